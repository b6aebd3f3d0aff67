// Field tables for k8s.io.api.node.v1 (k8s.io/api node/v1/generated.proto); format in ../schema.ts.
// Derived from upstream v0.36.3 generated.proto (numbers, wire types) and types.go struct tags (json names,
// omitempty, pointers, order).
export const node: Record<string, string> = {
  Overhead: "1podFixed?:{Q",
  RuntimeClass: "1metadata?:meta.ObjectMeta 2handler 3overhead?*:Overhead 4scheduling?*:Scheduling",
  RuntimeClassList: "1metadata?:meta.ListMeta 2items:[RuntimeClass",
  Scheduling: "1nodeSelector?:{s 2tolerations?:[core.Toleration",
};
