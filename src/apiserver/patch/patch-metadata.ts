/**
 * Strategic-merge-patch metadata of the built-in kinds: which fields merge lists and by which key.
 *
 * Upstream reads this from the `patchStrategy` / `patchMergeKey` struct tags of k8s.io/api (the
 * same data OpenAPI publishes as `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key`).
 * Here it is a small table shaped like OpenAPI definitions: each definition lists only the
 * properties that carry patch metadata or lead (by `ref`) to a definition that does. Fields that
 * are absent have no strategy: maps merge recursively, lists are replaced. A later step can swap
 * the table for a walk over the generated OpenAPI schemas; the engine only calls {@link patchMeta}.
 *
 * The table mirrors k8s.io/api v0.33 (Kubernetes 1.33, the newest version served); older versions
 * have a subset of these fields, and metadata for a field an object cannot have is never used.
 */

export type PatchStrategy = "merge" | "retainKeys" | "merge,retainKeys" | "replace";

export interface PatchMeta {
  strategy: PatchStrategy;
  /** The key merged list items are matched by; absent for lists of primitives (merged as sets). */
  mergeKey?: string;
}

/** One property of a definition: `ref` names the definition of the value (or of the list items). */
interface FieldDef {
  ref?: string;
  strategy?: PatchStrategy;
  mergeKey?: string;
}

type Definition = Record<string, FieldDef>;

const META = "io.k8s.apimachinery.pkg.apis.meta.v1.";
const CORE = "io.k8s.api.core.v1.";
const APPS = "io.k8s.api.apps.v1.";
const BATCH = "io.k8s.api.batch.v1.";

const objectMeta: FieldDef = { ref: `${META}ObjectMeta` };
const byName = (ref?: string): FieldDef => ({ strategy: "merge", mergeKey: "name", ...(ref ? { ref } : {}) });
const conditions: FieldDef = { strategy: "merge", mergeKey: "type" };

/** Fields of a container (Container and EphemeralContainer's inlined EphemeralContainerCommon). */
const containerFields: Definition = {
  ports: { strategy: "merge", mergeKey: "containerPort" },
  env: byName(),
  volumeMounts: { strategy: "merge", mergeKey: "mountPath" },
  volumeDevices: { strategy: "merge", mergeKey: "devicePath" },
};

/** A workload: metadata, a spec with a pod template, and a status with conditions. */
function workload(prefix: string, kind: string): Record<string, Definition> {
  return {
    [`${prefix}${kind}`]: { metadata: objectMeta, spec: { ref: `${prefix}${kind}Spec` }, status: { ref: `${prefix}${kind}Status` } },
    [`${prefix}${kind}Spec`]: { template: { ref: `${CORE}PodTemplateSpec` } },
    [`${prefix}${kind}Status`]: { conditions },
  };
}

const definitions: Record<string, Definition> = {
  [`${META}ObjectMeta`]: {
    ownerReferences: { strategy: "merge", mergeKey: "uid" },
    finalizers: { strategy: "merge" },
  },

  // core/v1: pods and templates
  [`${CORE}Pod`]: { metadata: objectMeta, spec: { ref: `${CORE}PodSpec` }, status: { ref: `${CORE}PodStatus` } },
  [`${CORE}PodSpec`]: {
    volumes: { strategy: "merge,retainKeys", mergeKey: "name" },
    initContainers: byName(`${CORE}Container`),
    containers: byName(`${CORE}Container`),
    ephemeralContainers: byName(`${CORE}EphemeralContainer`),
    imagePullSecrets: byName(),
    hostAliases: { strategy: "merge", mergeKey: "ip" },
    topologySpreadConstraints: { strategy: "merge", mergeKey: "topologyKey" },
    schedulingGates: byName(),
    resourceClaims: { strategy: "merge,retainKeys", mergeKey: "name" },
  },
  [`${CORE}Container`]: containerFields,
  [`${CORE}EphemeralContainer`]: containerFields,
  [`${CORE}PodStatus`]: {
    conditions,
    hostIPs: { strategy: "merge", mergeKey: "ip" },
    podIPs: { strategy: "merge", mergeKey: "ip" },
    resourceClaimStatuses: { strategy: "merge,retainKeys", mergeKey: "name" },
    initContainerStatuses: { ref: `${CORE}ContainerStatus` },
    containerStatuses: { ref: `${CORE}ContainerStatus` },
    ephemeralContainerStatuses: { ref: `${CORE}ContainerStatus` },
  },
  [`${CORE}ContainerStatus`]: {
    volumeMounts: { strategy: "merge", mergeKey: "mountPath" },
    allocatedResourcesStatus: byName(),
  },
  [`${CORE}PodTemplateSpec`]: { metadata: objectMeta, spec: { ref: `${CORE}PodSpec` } },
  [`${CORE}PodTemplate`]: { metadata: objectMeta, template: { ref: `${CORE}PodTemplateSpec` } },
  ...workload(CORE, "ReplicationController"),

  // core/v1: everything else
  [`${CORE}Service`]: { metadata: objectMeta, spec: { ref: `${CORE}ServiceSpec` }, status: { ref: `${CORE}ServiceStatus` } },
  [`${CORE}ServiceSpec`]: { ports: { strategy: "merge", mergeKey: "port" } },
  [`${CORE}ServiceStatus`]: { conditions },
  [`${CORE}Node`]: { metadata: objectMeta, spec: { ref: `${CORE}NodeSpec` }, status: { ref: `${CORE}NodeStatus` } },
  [`${CORE}NodeSpec`]: { podCIDRs: { strategy: "merge" } },
  [`${CORE}NodeStatus`]: { conditions, addresses: { strategy: "merge", mergeKey: "type" } },
  [`${CORE}Namespace`]: { metadata: objectMeta, status: { ref: `${CORE}NamespaceStatus` } },
  [`${CORE}NamespaceStatus`]: { conditions },
  [`${CORE}ServiceAccount`]: { metadata: objectMeta, secrets: byName() },
  [`${CORE}PersistentVolumeClaim`]: { metadata: objectMeta, status: { ref: `${CORE}PersistentVolumeClaimStatus` } },
  [`${CORE}PersistentVolumeClaimStatus`]: { conditions },
  [`${CORE}ComponentStatus`]: { metadata: objectMeta, conditions },

  // apps/v1
  ...workload(APPS, "Deployment"),
  [`${APPS}DeploymentSpec`]: { template: { ref: `${CORE}PodTemplateSpec` }, strategy: { strategy: "retainKeys" } },
  ...workload(APPS, "ReplicaSet"),
  ...workload(APPS, "StatefulSet"),
  ...workload(APPS, "DaemonSet"),

  // batch/v1
  ...workload(BATCH, "Job"),
  [`${BATCH}CronJob`]: { metadata: objectMeta, spec: { ref: `${BATCH}CronJobSpec` } },
  [`${BATCH}CronJobSpec`]: { jobTemplate: { ref: `${BATCH}JobTemplateSpec` } },
  [`${BATCH}JobTemplateSpec`]: { metadata: objectMeta, spec: { ref: `${BATCH}JobSpec` } },

  /** Any other built-in kind: only its ObjectMeta has patch metadata. */
  objectWithMeta: { metadata: objectMeta },
};

/** group → kind → root definition. */
const roots: Record<string, Record<string, string>> = {
  "": Object.fromEntries(
    ["Pod", "PodTemplate", "ReplicationController", "Service", "Node", "Namespace", "ServiceAccount", "PersistentVolumeClaim", "ComponentStatus"].map(
      (k) => [k, `${CORE}${k}`],
    ),
  ),
  apps: Object.fromEntries(["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"].map((k) => [k, `${APPS}${k}`])),
  batch: { Job: `${BATCH}Job`, CronJob: `${BATCH}CronJob` },
};

function rootDefinition(kind: string, group: string | undefined): string {
  if (group !== undefined) return roots[group]?.[kind] ?? "objectWithMeta";
  for (const kinds of Object.values(roots)) if (kinds[kind]) return kinds[kind];
  return "objectWithMeta";
}

/**
 * The patch metadata of the field at `path` (JSON field names from the object's root; list items
 * add no segment, so `spec.template.spec.containers[*].env` is
 * `["spec","template","spec","containers","env"]`), or undefined when the field has none.
 * `group` undefined matches the kind in any group.
 */
export function patchMeta(kind: string, group: string | undefined, path: readonly string[]): PatchMeta | undefined {
  if (path.length === 0) return undefined;
  let def: Definition | undefined = definitions[rootDefinition(kind, group)];
  for (let i = 0; i < path.length - 1; i++) {
    const ref: string | undefined = def && Object.hasOwn(def, path[i]) ? def[path[i]].ref : undefined;
    if (!ref) return undefined;
    def = definitions[ref];
  }
  const field = def && Object.hasOwn(def, path[path.length - 1]) ? def[path[path.length - 1]] : undefined;
  if (!field?.strategy) return undefined;
  return field.mergeKey ? { strategy: field.strategy, mergeKey: field.mergeKey } : { strategy: field.strategy };
}
