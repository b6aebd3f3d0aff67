// Field tables for k8s.io.api.coordination.v1 (k8s.io/api coordination/v1/generated.proto); format in ../schema.ts.
// Derived from upstream v0.36.3 generated.proto (numbers, wire types) and types.go struct tags (json names,
// omitempty, pointers, order).
export const coordination: Record<string, string> = {
  Lease: "1metadata?:meta.ObjectMeta 2spec?:LeaseSpec",
  LeaseList: "1metadata?:meta.ListMeta 2items:[Lease",
  LeaseSpec: "1holderIdentity?* 2leaseDurationSeconds?*:i 3acquireTime?*:M 4renewTime?*:M 5leaseTransitions?*:i 6strategy?* 7preferredHolder?*",
};
