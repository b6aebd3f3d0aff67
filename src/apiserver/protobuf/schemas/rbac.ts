// Field tables for k8s.io.api.rbac.v1 (k8s.io/api rbac/v1/generated.proto); format in ../schema.ts.
// Derived from upstream v0.36.3 generated.proto (numbers, wire types) and types.go struct tags (json names,
// omitempty, pointers, order).
export const rbac: Record<string, string> = {
  AggregationRule: "1clusterRoleSelectors?:[meta.LabelSelector",
  ClusterRole: "1metadata?:meta.ObjectMeta 2rules:[PolicyRule 3aggregationRule?*:AggregationRule",
  ClusterRoleBinding: "1metadata?:meta.ObjectMeta 2subjects?:[Subject 3roleRef:RoleRef",
  ClusterRoleBindingList: "1metadata?:meta.ListMeta 2items:[ClusterRoleBinding",
  ClusterRoleList: "1metadata?:meta.ListMeta 2items:[ClusterRole",
  PolicyRule: "1verbs:[s 2apiGroups?:[s 3resources?:[s 4resourceNames?:[s 5nonResourceURLs?:[s",
  Role: "1metadata?:meta.ObjectMeta 2rules:[PolicyRule",
  RoleBinding: "1metadata?:meta.ObjectMeta 2subjects?:[Subject 3roleRef:RoleRef",
  RoleBindingList: "1metadata?:meta.ListMeta 2items:[RoleBinding",
  RoleList: "1metadata?:meta.ListMeta 2items:[Role",
  RoleRef: "1apiGroup 2kind 3name",
  Subject: "1kind 2apiGroup? 3name 4namespace?",
};
