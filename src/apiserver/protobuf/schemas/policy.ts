// Field tables for k8s.io.api.policy.v1 (k8s.io/api policy/v1/generated.proto); format in ../schema.ts.
// Derived from upstream v0.36.3 generated.proto (numbers, wire types) and types.go struct tags (json names,
// omitempty, pointers, order).
export const policy: Record<string, string> = {
  Eviction: "1metadata?:meta.ObjectMeta 2deleteOptions?*:meta.DeleteOptions",
  PodDisruptionBudget: "1metadata?:meta.ObjectMeta 2spec?:PodDisruptionBudgetSpec 3status?:PodDisruptionBudgetStatus",
  PodDisruptionBudgetList: "1metadata?:meta.ListMeta 2items:[PodDisruptionBudget",
  PodDisruptionBudgetSpec: "1minAvailable?*:X 2selector?*:meta.LabelSelector 3maxUnavailable?*:X 4unhealthyPodEvictionPolicy?*",
  PodDisruptionBudgetStatus: "1observedGeneration?:I 2disruptedPods?:{T 3disruptionsAllowed:i 4currentHealthy:i 5desiredHealthy:i 6expectedPods:i 7conditions?:[meta.Condition",
};
