// Field tables for k8s.io.api.autoscaling.v1 (k8s.io/api autoscaling/v1/generated.proto); format in ../schema.ts.
// Derived from upstream v0.36.3 generated.proto (numbers, wire types) and types.go struct tags (json names,
// omitempty, pointers, order).
export const autoscaling1: Record<string, string> = {
  CrossVersionObjectReference: "1kind 2name 3apiVersion?",
  HorizontalPodAutoscaler: "1metadata?:meta.ObjectMeta 2spec?:HorizontalPodAutoscalerSpec 3status?:HorizontalPodAutoscalerStatus",
  HorizontalPodAutoscalerList: "1metadata?:meta.ListMeta 2items:[HorizontalPodAutoscaler",
  HorizontalPodAutoscalerSpec: "1scaleTargetRef:CrossVersionObjectReference 2minReplicas?*:i 3maxReplicas:i 4targetCPUUtilizationPercentage?*:i",
  HorizontalPodAutoscalerStatus: "1observedGeneration?*:I 2lastScaleTime?*:T 3currentReplicas:i 4desiredReplicas:i 5currentCPUUtilizationPercentage?*:i",
  Scale: "1metadata?:meta.ObjectMeta 2spec?:ScaleSpec 3status?:ScaleStatus",
  ScaleSpec: "1replicas?:i",
  ScaleStatus: "1replicas:i 2selector?",
};
