// Field tables for k8s.io.api.batch.v1 (k8s.io/api batch/v1/generated.proto); format in ../schema.ts.
// Derived from upstream v0.36.3 generated.proto (numbers, wire types) and types.go struct tags (json names,
// omitempty, pointers, order).
export const batch: Record<string, string> = {
  CronJob: "1metadata?:meta.ObjectMeta 2spec?:CronJobSpec 3status?:CronJobStatus",
  CronJobList: "1metadata?:meta.ListMeta 2items:[CronJob",
  CronJobSpec: "1schedule 8timeZone?* 2startingDeadlineSeconds?*:I 3concurrencyPolicy? 4suspend?*:b 5jobTemplate:JobTemplateSpec 6successfulJobsHistoryLimit?*:i 7failedJobsHistoryLimit?*:i",
  CronJobStatus: "1active?:[core.ObjectReference 4lastScheduleTime?*:T 5lastSuccessfulTime?*:T",
  Job: "1metadata?:meta.ObjectMeta 2spec?:JobSpec 3status?:JobStatus",
  JobCondition: "1type 2status 3lastProbeTime?:T 4lastTransitionTime?:T 5reason? 6message?",
  JobList: "1metadata?:meta.ListMeta 2items:[Job",
  JobSpec: "1parallelism?*:i 2completions?*:i 3activeDeadlineSeconds?*:I 11podFailurePolicy?*:PodFailurePolicy 16successPolicy?*:SuccessPolicy 7backoffLimit?*:i 12backoffLimitPerIndex?*:i 13maxFailedIndexes?*:i 4selector?*:meta.LabelSelector 5manualSelector?*:b 6template:core.PodTemplateSpec 8ttlSecondsAfterFinished?*:i 9completionMode?* 10suspend?*:b 14podReplacementPolicy?* 15managedBy?*",
  JobStatus: "1conditions?:[JobCondition 2startTime?*:T 3completionTime?*:T 4active?:i 5succeeded?:i 6failed?:i 11terminating?*:i 7completedIndexes? 10failedIndexes?* 8uncountedTerminatedPods?*:UncountedTerminatedPods 9ready?*:i",
  JobTemplateSpec: "1metadata?:meta.ObjectMeta 2spec?:JobSpec",
  PodFailurePolicy: "1rules:[PodFailurePolicyRule",
  PodFailurePolicyOnExitCodesRequirement: "1containerName?* 2operator 3values:[i",
  PodFailurePolicyOnPodConditionsPattern: "1type 2status",
  PodFailurePolicyRule: "1action 2onExitCodes?*:PodFailurePolicyOnExitCodesRequirement 3onPodConditions?:[PodFailurePolicyOnPodConditionsPattern",
  SuccessPolicy: "1rules:[SuccessPolicyRule",
  SuccessPolicyRule: "1succeededIndexes?* 2succeededCount?*:i",
  UncountedTerminatedPods: "1succeeded?:[s 2failed?:[s",
};
