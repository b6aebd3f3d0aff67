// Kinds registered per apiVersion (register.go addKnownTypes); values are "package:Kind Kind …".
// Every apiVersion also gets metav1's options types and WatchEvent (metav1.AddToGroupVersion).
export const registeredKinds: Record<string, string> = {
  "v1": "core:Pod PodList PodStatusResult PodTemplate PodTemplateList ReplicationController ReplicationControllerList Service ServiceProxyOptions ServiceList Endpoints EndpointsList Node NodeList NodeProxyOptions Binding Event EventList List LimitRange LimitRangeList ResourceQuota ResourceQuotaList Namespace NamespaceList Secret SecretList ServiceAccount ServiceAccountList PersistentVolume PersistentVolumeList PersistentVolumeClaim PersistentVolumeClaimList PodAttachOptions PodLogOptions PodExecOptions PodPortForwardOptions PodProxyOptions ComponentStatus ComponentStatusList SerializedReference RangeAllocation ConfigMap ConfigMapList meta:Status",
  "apps/v1": "apps:Deployment DeploymentList StatefulSet StatefulSetList DaemonSet DaemonSetList ReplicaSet ReplicaSetList ControllerRevision ControllerRevisionList",
  "batch/v1": "batch:Job JobList CronJob CronJobList",
  "rbac.authorization.k8s.io/v1": "rbac:Role RoleBinding RoleBindingList RoleList ClusterRole ClusterRoleBinding ClusterRoleBindingList ClusterRoleList",
  "policy/v1": "policy:PodDisruptionBudget PodDisruptionBudgetList Eviction",
  "scheduling.k8s.io/v1": "scheduling:PriorityClass PriorityClassList",
  "networking.k8s.io/v1": "networking:Ingress IngressList IngressClass IngressClassList NetworkPolicy NetworkPolicyList IPAddress IPAddressList ServiceCIDR ServiceCIDRList",
  "autoscaling/v1": "autoscaling1:HorizontalPodAutoscaler HorizontalPodAutoscalerList Scale",
  "autoscaling/v2": "autoscaling2:HorizontalPodAutoscaler HorizontalPodAutoscalerList",
  "authentication.k8s.io/v1": "authn:TokenReview TokenRequest SelfSubjectReview",
  "authorization.k8s.io/v1": "authz:SelfSubjectRulesReview SelfSubjectAccessReview SubjectAccessReview LocalSubjectAccessReview",
  "coordination.k8s.io/v1": "coordination:Lease LeaseList",
  "events.k8s.io/v1": "events:Event EventList",
  "discovery.k8s.io/v1": "discovery:EndpointSlice EndpointSliceList",
  "storage.k8s.io/v1": "storage:StorageClass StorageClassList VolumeAttachment VolumeAttachmentList CSINode CSINodeList CSIDriver CSIDriverList CSIStorageCapacity CSIStorageCapacityList VolumeAttributesClass VolumeAttributesClassList",
  "certificates.k8s.io/v1": "certificates:CertificateSigningRequest CertificateSigningRequestList",
  "node.k8s.io/v1": "node:RuntimeClass RuntimeClassList",
  "admissionregistration.k8s.io/v1": "admission:ValidatingWebhookConfiguration ValidatingWebhookConfigurationList MutatingWebhookConfiguration MutatingWebhookConfigurationList ValidatingAdmissionPolicy ValidatingAdmissionPolicyList ValidatingAdmissionPolicyBinding ValidatingAdmissionPolicyBindingList MutatingAdmissionPolicy MutatingAdmissionPolicyList MutatingAdmissionPolicyBinding MutatingAdmissionPolicyBindingList",
  "flowcontrol.apiserver.k8s.io/v1": "flowcontrol:FlowSchema FlowSchemaList PriorityLevelConfiguration PriorityLevelConfigurationList",
  "resource.k8s.io/v1": "resource:DeviceClass DeviceClassList ResourceClaim ResourceClaimList ResourceClaimTemplate ResourceClaimTemplateList ResourceSlice ResourceSliceList",
};
