// Field tables for k8s.io.api.scheduling.v1 (k8s.io/api scheduling/v1/generated.proto); format in ../schema.ts.
// Derived from upstream v0.36.3 generated.proto (numbers, wire types) and types.go struct tags (json names,
// omitempty, pointers, order).
export const scheduling: Record<string, string> = {
  PriorityClass: "1metadata?:meta.ObjectMeta 2value:i 3globalDefault?:b 4description? 5preemptionPolicy?*",
  PriorityClassList: "1metadata?:meta.ListMeta 2items:[PriorityClass",
};
