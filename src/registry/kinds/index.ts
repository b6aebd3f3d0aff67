/** Every built-in kind a sandbox serves, in discovery order within each group. */
import type { KindStrategy } from "../types";
import { componentStatusStrategy } from "./componentstatus";
import { configMapStrategy } from "./configmap";
import { controllerRevisionStrategy } from "./controllerrevision";
import { cronJobStrategy } from "./cronjob";
import { customResourceDefinitionStrategy } from "./customresourcedefinition";
import { daemonSetStrategy } from "./daemonset";
import { deploymentStrategy } from "./deployment";
import { endpointsStrategy } from "./endpoints";
import { endpointSliceStrategy } from "./endpointslice";
import { eventStrategy, eventsV1Strategy } from "./event";
import { leaseStrategy } from "./lease";
import { limitRangeStrategy } from "./limitrange";
import { jobStrategy } from "./job";
import { namespaceStrategy } from "./namespace";
import { nodeStrategy } from "./node";
import { persistentVolumeClaimStrategy } from "./persistentvolumeclaim";
import { podStrategy } from "./pod";
import { podDisruptionBudgetStrategy } from "./poddisruptionbudget";
import { priorityClassStrategy } from "./priorityclass";
import { mutatingWebhookConfigurationStrategy, validatingWebhookConfigurationStrategy } from "./admissionregistration";
import { clusterRoleBindingStrategy, clusterRoleStrategy, roleBindingStrategy, roleStrategy } from "./rbac";
import { replicaSetStrategy } from "./replicaset";
import { resourceQuotaStrategy } from "./resourcequota";
import { secretStrategy } from "./secret";
import { serviceStrategy } from "./service";
import { serviceAccountStrategy } from "./serviceaccount";
import { statefulSetStrategy } from "./statefulset";

export const builtinKinds: readonly KindStrategy[] = [
  namespaceStrategy,
  nodeStrategy,
  podStrategy,
  serviceStrategy,
  endpointsStrategy,
  configMapStrategy,
  secretStrategy,
  serviceAccountStrategy,
  persistentVolumeClaimStrategy,
  limitRangeStrategy,
  resourceQuotaStrategy,
  eventStrategy,
  eventsV1Strategy,
  componentStatusStrategy,
  leaseStrategy,
  deploymentStrategy,
  replicaSetStrategy,
  statefulSetStrategy,
  daemonSetStrategy,
  controllerRevisionStrategy,
  jobStrategy,
  cronJobStrategy,
  endpointSliceStrategy,
  priorityClassStrategy,
  podDisruptionBudgetStrategy,
  clusterRoleBindingStrategy,
  clusterRoleStrategy,
  roleBindingStrategy,
  roleStrategy,
  customResourceDefinitionStrategy,
  validatingWebhookConfigurationStrategy,
  mutatingWebhookConfigurationStrategy,
];
