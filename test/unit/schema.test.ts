import { describe, expect, it } from "vitest";
import { patchMeta } from "../../src/apiserver/patch/patch-metadata";
import { allMessageNames } from "../../src/apiserver/protobuf/schema";
import { annotationOf, descriptionOf, fieldOf, fieldsOf, kindMessageName, listTypeAt, requiredOf } from "../../src/schema/model";
import { fieldAnnotations, requiredFields } from "../../src/schema/annotations";
import { descriptions } from "../../src/schema/descriptions";

/**
 * Every entry of the hand-kept patch table that the schema replaced, as `path=strategy[/mergeKey]`
 * per `group/Kind`: patchMeta must still answer each one the same.
 */
const previousTable: Record<string, string[]> = {
  "core/Pod": [
    "metadata.ownerReferences=merge/uid", "metadata.finalizers=merge", "spec.volumes=merge,retainKeys/name",
    "spec.initContainers=merge/name", "spec.initContainers.ports=merge/containerPort",
    "spec.initContainers.env=merge/name", "spec.initContainers.volumeMounts=merge/mountPath",
    "spec.initContainers.volumeDevices=merge/devicePath", "spec.containers=merge/name",
    "spec.containers.ports=merge/containerPort", "spec.containers.env=merge/name",
    "spec.containers.volumeMounts=merge/mountPath", "spec.containers.volumeDevices=merge/devicePath",
    "spec.ephemeralContainers=merge/name", "spec.ephemeralContainers.ports=merge/containerPort",
    "spec.ephemeralContainers.env=merge/name", "spec.ephemeralContainers.volumeMounts=merge/mountPath",
    "spec.ephemeralContainers.volumeDevices=merge/devicePath", "spec.imagePullSecrets=merge/name",
    "spec.hostAliases=merge/ip", "spec.topologySpreadConstraints=merge/topologyKey", "spec.schedulingGates=merge/name",
    "spec.resourceClaims=merge,retainKeys/name", "status.conditions=merge/type", "status.hostIPs=merge/ip",
    "status.podIPs=merge/ip", "status.resourceClaimStatuses=merge,retainKeys/name",
    "status.initContainerStatuses.volumeMounts=merge/mountPath",
    "status.initContainerStatuses.allocatedResourcesStatus=merge/name",
    "status.containerStatuses.volumeMounts=merge/mountPath",
    "status.containerStatuses.allocatedResourcesStatus=merge/name",
    "status.ephemeralContainerStatuses.volumeMounts=merge/mountPath",
    "status.ephemeralContainerStatuses.allocatedResourcesStatus=merge/name",
  ],
  "core/PodTemplate": [
    "metadata.ownerReferences=merge/uid", "metadata.finalizers=merge", "template.metadata.ownerReferences=merge/uid",
    "template.metadata.finalizers=merge", "template.spec.volumes=merge,retainKeys/name",
    "template.spec.initContainers=merge/name", "template.spec.initContainers.ports=merge/containerPort",
    "template.spec.initContainers.env=merge/name", "template.spec.initContainers.volumeMounts=merge/mountPath",
    "template.spec.initContainers.volumeDevices=merge/devicePath", "template.spec.containers=merge/name",
    "template.spec.containers.ports=merge/containerPort", "template.spec.containers.env=merge/name",
    "template.spec.containers.volumeMounts=merge/mountPath", "template.spec.containers.volumeDevices=merge/devicePath",
    "template.spec.ephemeralContainers=merge/name", "template.spec.ephemeralContainers.ports=merge/containerPort",
    "template.spec.ephemeralContainers.env=merge/name",
    "template.spec.ephemeralContainers.volumeMounts=merge/mountPath",
    "template.spec.ephemeralContainers.volumeDevices=merge/devicePath", "template.spec.imagePullSecrets=merge/name",
    "template.spec.hostAliases=merge/ip", "template.spec.topologySpreadConstraints=merge/topologyKey",
    "template.spec.schedulingGates=merge/name", "template.spec.resourceClaims=merge,retainKeys/name",
  ],
  "core/ReplicationController": [
    "metadata.ownerReferences=merge/uid", "metadata.finalizers=merge",
    "spec.template.metadata.ownerReferences=merge/uid", "spec.template.metadata.finalizers=merge",
    "spec.template.spec.volumes=merge,retainKeys/name", "spec.template.spec.initContainers=merge/name",
    "spec.template.spec.initContainers.ports=merge/containerPort", "spec.template.spec.initContainers.env=merge/name",
    "spec.template.spec.initContainers.volumeMounts=merge/mountPath",
    "spec.template.spec.initContainers.volumeDevices=merge/devicePath", "spec.template.spec.containers=merge/name",
    "spec.template.spec.containers.ports=merge/containerPort", "spec.template.spec.containers.env=merge/name",
    "spec.template.spec.containers.volumeMounts=merge/mountPath",
    "spec.template.spec.containers.volumeDevices=merge/devicePath", "spec.template.spec.ephemeralContainers=merge/name",
    "spec.template.spec.ephemeralContainers.ports=merge/containerPort",
    "spec.template.spec.ephemeralContainers.env=merge/name",
    "spec.template.spec.ephemeralContainers.volumeMounts=merge/mountPath",
    "spec.template.spec.ephemeralContainers.volumeDevices=merge/devicePath",
    "spec.template.spec.imagePullSecrets=merge/name", "spec.template.spec.hostAliases=merge/ip",
    "spec.template.spec.topologySpreadConstraints=merge/topologyKey", "spec.template.spec.schedulingGates=merge/name",
    "spec.template.spec.resourceClaims=merge,retainKeys/name", "status.conditions=merge/type",
  ],
  "core/Service": [
    "metadata.ownerReferences=merge/uid", "metadata.finalizers=merge", "spec.ports=merge/port",
    "status.conditions=merge/type",
  ],
  "core/Node": [
    "metadata.ownerReferences=merge/uid", "metadata.finalizers=merge", "spec.podCIDRs=merge",
    "status.conditions=merge/type", "status.addresses=merge/type",
  ],
  "core/Namespace": [
    "metadata.ownerReferences=merge/uid", "metadata.finalizers=merge", "status.conditions=merge/type",
  ],
  "core/ServiceAccount": [
    "metadata.ownerReferences=merge/uid", "metadata.finalizers=merge", "secrets=merge/name",
  ],
  "core/PersistentVolumeClaim": [
    "metadata.ownerReferences=merge/uid", "metadata.finalizers=merge", "status.conditions=merge/type",
  ],
  "core/ComponentStatus": [
    "metadata.ownerReferences=merge/uid", "metadata.finalizers=merge", "conditions=merge/type",
  ],
  "apps/Deployment": [
    "metadata.ownerReferences=merge/uid", "metadata.finalizers=merge",
    "spec.template.metadata.ownerReferences=merge/uid", "spec.template.metadata.finalizers=merge",
    "spec.template.spec.volumes=merge,retainKeys/name", "spec.template.spec.initContainers=merge/name",
    "spec.template.spec.initContainers.ports=merge/containerPort", "spec.template.spec.initContainers.env=merge/name",
    "spec.template.spec.initContainers.volumeMounts=merge/mountPath",
    "spec.template.spec.initContainers.volumeDevices=merge/devicePath", "spec.template.spec.containers=merge/name",
    "spec.template.spec.containers.ports=merge/containerPort", "spec.template.spec.containers.env=merge/name",
    "spec.template.spec.containers.volumeMounts=merge/mountPath",
    "spec.template.spec.containers.volumeDevices=merge/devicePath", "spec.template.spec.ephemeralContainers=merge/name",
    "spec.template.spec.ephemeralContainers.ports=merge/containerPort",
    "spec.template.spec.ephemeralContainers.env=merge/name",
    "spec.template.spec.ephemeralContainers.volumeMounts=merge/mountPath",
    "spec.template.spec.ephemeralContainers.volumeDevices=merge/devicePath",
    "spec.template.spec.imagePullSecrets=merge/name", "spec.template.spec.hostAliases=merge/ip",
    "spec.template.spec.topologySpreadConstraints=merge/topologyKey", "spec.template.spec.schedulingGates=merge/name",
    "spec.template.spec.resourceClaims=merge,retainKeys/name", "spec.strategy=retainKeys",
    "status.conditions=merge/type",
  ],
  "apps/ReplicaSet": [
    "metadata.ownerReferences=merge/uid", "metadata.finalizers=merge",
    "spec.template.metadata.ownerReferences=merge/uid", "spec.template.metadata.finalizers=merge",
    "spec.template.spec.volumes=merge,retainKeys/name", "spec.template.spec.initContainers=merge/name",
    "spec.template.spec.initContainers.ports=merge/containerPort", "spec.template.spec.initContainers.env=merge/name",
    "spec.template.spec.initContainers.volumeMounts=merge/mountPath",
    "spec.template.spec.initContainers.volumeDevices=merge/devicePath", "spec.template.spec.containers=merge/name",
    "spec.template.spec.containers.ports=merge/containerPort", "spec.template.spec.containers.env=merge/name",
    "spec.template.spec.containers.volumeMounts=merge/mountPath",
    "spec.template.spec.containers.volumeDevices=merge/devicePath", "spec.template.spec.ephemeralContainers=merge/name",
    "spec.template.spec.ephemeralContainers.ports=merge/containerPort",
    "spec.template.spec.ephemeralContainers.env=merge/name",
    "spec.template.spec.ephemeralContainers.volumeMounts=merge/mountPath",
    "spec.template.spec.ephemeralContainers.volumeDevices=merge/devicePath",
    "spec.template.spec.imagePullSecrets=merge/name", "spec.template.spec.hostAliases=merge/ip",
    "spec.template.spec.topologySpreadConstraints=merge/topologyKey", "spec.template.spec.schedulingGates=merge/name",
    "spec.template.spec.resourceClaims=merge,retainKeys/name", "status.conditions=merge/type",
  ],
  "apps/StatefulSet": [
    "metadata.ownerReferences=merge/uid", "metadata.finalizers=merge",
    "spec.template.metadata.ownerReferences=merge/uid", "spec.template.metadata.finalizers=merge",
    "spec.template.spec.volumes=merge,retainKeys/name", "spec.template.spec.initContainers=merge/name",
    "spec.template.spec.initContainers.ports=merge/containerPort", "spec.template.spec.initContainers.env=merge/name",
    "spec.template.spec.initContainers.volumeMounts=merge/mountPath",
    "spec.template.spec.initContainers.volumeDevices=merge/devicePath", "spec.template.spec.containers=merge/name",
    "spec.template.spec.containers.ports=merge/containerPort", "spec.template.spec.containers.env=merge/name",
    "spec.template.spec.containers.volumeMounts=merge/mountPath",
    "spec.template.spec.containers.volumeDevices=merge/devicePath", "spec.template.spec.ephemeralContainers=merge/name",
    "spec.template.spec.ephemeralContainers.ports=merge/containerPort",
    "spec.template.spec.ephemeralContainers.env=merge/name",
    "spec.template.spec.ephemeralContainers.volumeMounts=merge/mountPath",
    "spec.template.spec.ephemeralContainers.volumeDevices=merge/devicePath",
    "spec.template.spec.imagePullSecrets=merge/name", "spec.template.spec.hostAliases=merge/ip",
    "spec.template.spec.topologySpreadConstraints=merge/topologyKey", "spec.template.spec.schedulingGates=merge/name",
    "spec.template.spec.resourceClaims=merge,retainKeys/name", "status.conditions=merge/type",
  ],
  "apps/DaemonSet": [
    "metadata.ownerReferences=merge/uid", "metadata.finalizers=merge",
    "spec.template.metadata.ownerReferences=merge/uid", "spec.template.metadata.finalizers=merge",
    "spec.template.spec.volumes=merge,retainKeys/name", "spec.template.spec.initContainers=merge/name",
    "spec.template.spec.initContainers.ports=merge/containerPort", "spec.template.spec.initContainers.env=merge/name",
    "spec.template.spec.initContainers.volumeMounts=merge/mountPath",
    "spec.template.spec.initContainers.volumeDevices=merge/devicePath", "spec.template.spec.containers=merge/name",
    "spec.template.spec.containers.ports=merge/containerPort", "spec.template.spec.containers.env=merge/name",
    "spec.template.spec.containers.volumeMounts=merge/mountPath",
    "spec.template.spec.containers.volumeDevices=merge/devicePath", "spec.template.spec.ephemeralContainers=merge/name",
    "spec.template.spec.ephemeralContainers.ports=merge/containerPort",
    "spec.template.spec.ephemeralContainers.env=merge/name",
    "spec.template.spec.ephemeralContainers.volumeMounts=merge/mountPath",
    "spec.template.spec.ephemeralContainers.volumeDevices=merge/devicePath",
    "spec.template.spec.imagePullSecrets=merge/name", "spec.template.spec.hostAliases=merge/ip",
    "spec.template.spec.topologySpreadConstraints=merge/topologyKey", "spec.template.spec.schedulingGates=merge/name",
    "spec.template.spec.resourceClaims=merge,retainKeys/name", "status.conditions=merge/type",
  ],
  "batch/Job": [
    "metadata.ownerReferences=merge/uid", "metadata.finalizers=merge",
    "spec.template.metadata.ownerReferences=merge/uid", "spec.template.metadata.finalizers=merge",
    "spec.template.spec.volumes=merge,retainKeys/name", "spec.template.spec.initContainers=merge/name",
    "spec.template.spec.initContainers.ports=merge/containerPort", "spec.template.spec.initContainers.env=merge/name",
    "spec.template.spec.initContainers.volumeMounts=merge/mountPath",
    "spec.template.spec.initContainers.volumeDevices=merge/devicePath", "spec.template.spec.containers=merge/name",
    "spec.template.spec.containers.ports=merge/containerPort", "spec.template.spec.containers.env=merge/name",
    "spec.template.spec.containers.volumeMounts=merge/mountPath",
    "spec.template.spec.containers.volumeDevices=merge/devicePath", "spec.template.spec.ephemeralContainers=merge/name",
    "spec.template.spec.ephemeralContainers.ports=merge/containerPort",
    "spec.template.spec.ephemeralContainers.env=merge/name",
    "spec.template.spec.ephemeralContainers.volumeMounts=merge/mountPath",
    "spec.template.spec.ephemeralContainers.volumeDevices=merge/devicePath",
    "spec.template.spec.imagePullSecrets=merge/name", "spec.template.spec.hostAliases=merge/ip",
    "spec.template.spec.topologySpreadConstraints=merge/topologyKey", "spec.template.spec.schedulingGates=merge/name",
    "spec.template.spec.resourceClaims=merge,retainKeys/name", "status.conditions=merge/type",
  ],
  "batch/CronJob": [
    "metadata.ownerReferences=merge/uid", "metadata.finalizers=merge",
    "spec.jobTemplate.metadata.ownerReferences=merge/uid", "spec.jobTemplate.metadata.finalizers=merge",
    "spec.jobTemplate.spec.template.metadata.ownerReferences=merge/uid",
    "spec.jobTemplate.spec.template.metadata.finalizers=merge",
    "spec.jobTemplate.spec.template.spec.volumes=merge,retainKeys/name",
    "spec.jobTemplate.spec.template.spec.initContainers=merge/name",
    "spec.jobTemplate.spec.template.spec.initContainers.ports=merge/containerPort",
    "spec.jobTemplate.spec.template.spec.initContainers.env=merge/name",
    "spec.jobTemplate.spec.template.spec.initContainers.volumeMounts=merge/mountPath",
    "spec.jobTemplate.spec.template.spec.initContainers.volumeDevices=merge/devicePath",
    "spec.jobTemplate.spec.template.spec.containers=merge/name",
    "spec.jobTemplate.spec.template.spec.containers.ports=merge/containerPort",
    "spec.jobTemplate.spec.template.spec.containers.env=merge/name",
    "spec.jobTemplate.spec.template.spec.containers.volumeMounts=merge/mountPath",
    "spec.jobTemplate.spec.template.spec.containers.volumeDevices=merge/devicePath",
    "spec.jobTemplate.spec.template.spec.ephemeralContainers=merge/name",
    "spec.jobTemplate.spec.template.spec.ephemeralContainers.ports=merge/containerPort",
    "spec.jobTemplate.spec.template.spec.ephemeralContainers.env=merge/name",
    "spec.jobTemplate.spec.template.spec.ephemeralContainers.volumeMounts=merge/mountPath",
    "spec.jobTemplate.spec.template.spec.ephemeralContainers.volumeDevices=merge/devicePath",
    "spec.jobTemplate.spec.template.spec.imagePullSecrets=merge/name",
    "spec.jobTemplate.spec.template.spec.hostAliases=merge/ip",
    "spec.jobTemplate.spec.template.spec.topologySpreadConstraints=merge/topologyKey",
    "spec.jobTemplate.spec.template.spec.schedulingGates=merge/name",
    "spec.jobTemplate.spec.template.spec.resourceClaims=merge,retainKeys/name",
  ],
};

describe("patch metadata derived from the schema", () => {
  const rows = Object.entries(previousTable).flatMap(([gk, entries]) =>
    entries.map((e) => {
      const [path, meta] = e.split("=");
      const [strategy, mergeKey] = meta.split("/");
      const [group, kind] = gk.split("/");
      return [kind, group === "core" ? "" : group, path, mergeKey ? { strategy, mergeKey } : { strategy }] as const;
    }),
  );

  it.each(rows)("%s (%s) %s answers as the previous table", (kind, group, path, expected) => {
    expect(patchMeta(kind, group, path.split("."))).toEqual(expected);
    expect(patchMeta(kind, undefined, path.split("."))).toEqual(expected);
  });

  it.each<[string, string | undefined, string, unknown]>([
    // Upstream annotates more than the previous table had.
    ["Service", "", "spec.ports", { strategy: "merge", mergeKey: "port" }],
    ["Node", "", "spec.taints", undefined],
    ["Pod", "", "spec.tolerations", undefined],
    ["Pod", "", "spec.containers.resizePolicy", undefined],
    ["Endpoints", "", "subsets.addresses", undefined],
    ["Pod", "", "spec.containers.nope.deeper", undefined],
    ["Pod", "", "spec.nodeSelector.x", undefined],
    ["HorizontalPodAutoscaler", "autoscaling", "metadata.finalizers", { strategy: "merge" }],
    // A kind the tables do not know (a custom resource): only its ObjectMeta.
    ["CronTab", "stable.example.com", "metadata.ownerReferences", { strategy: "merge", mergeKey: "uid" }],
    ["CronTab", "stable.example.com", "spec.containers", undefined],
  ])("%s (%s) %s", (kind, group, path, expected) => {
    expect(patchMeta(kind, group, path.split("."))).toEqual(expected);
  });
});

describe("the schema model", () => {
  it("flattens inlined embedded structs into their parent", () => {
    const env = fieldOf("core.EphemeralContainer", "env");
    expect(env?.owner).toBe("core.EphemeralContainerCommon");
    expect(annotationOf(env!)).toMatchObject({ patchStrategy: "merge", patchMergeKey: "name" });
    expect(fieldsOf("core.ConfigMapKeySelector").map((f) => f.json)).toEqual(["name", "key", "optional"]);
  });

  it("required follows openapi-gen: +required, or neither +optional nor omitempty", () => {
    expect(requiredOf("apps.DeploymentSpec")).toEqual(["selector", "template"]);
    expect(requiredOf("core.Container")).toEqual(["name"]);
    expect(requiredOf("core.ContainerPort")).toEqual(["containerPort"]);
    expect(requiredOf("core.ServiceSpec")).toEqual([]);
    expect(requiredOf("meta.OwnerReference")).toEqual(["apiVersion", "kind", "name", "uid"]);
  });

  it("resolves kinds to messages by group and version", () => {
    expect(kindMessageName("Deployment", "apps", "v1")).toBe("apps.Deployment");
    expect(kindMessageName("HorizontalPodAutoscaler", "autoscaling", "v2")).toBe("autoscaling2.HorizontalPodAutoscaler");
    expect(kindMessageName("Event", "events.k8s.io")).toBe("events.Event");
    expect(kindMessageName("Event")).toBe("core.Event");
    expect(kindMessageName("CronTab", "stable.example.com")).toBeUndefined();
  });

  it("every annotation and required list names a field the tables have", () => {
    const messages = new Set(allMessageNames());
    for (const key of Object.keys(fieldAnnotations)) {
      const message = key.slice(0, key.lastIndexOf("."));
      expect(messages.has(message), key).toBe(true);
      expect(fieldOf(message, key.slice(key.lastIndexOf(".") + 1)), key).toBeDefined();
    }
    for (const [message, names] of Object.entries(requiredFields)) {
      for (const name of names.split(" ")) expect(fieldOf(message, name), `${message}.${name}`).toBeDefined();
    }
  });

  it("every description names a message or a field the tables have", () => {
    const messages = new Set(allMessageNames());
    for (const key of Object.keys(descriptions)) {
      if (messages.has(key)) continue;
      const message = key.slice(0, key.lastIndexOf("."));
      expect(fieldOf(message, key.slice(key.lastIndexOf(".") + 1)), key).toBeDefined();
    }
  });

  it("describes every field of the workload specs, the pod spec, containers, services, config and metadata", () => {
    const described = [
      "apps.DeploymentSpec", "apps.DeploymentStrategy", "apps.RollingUpdateDeployment", "apps.StatefulSetSpec", "apps.DaemonSetSpec",
      "batch.JobSpec", "batch.CronJobSpec", "core.PodTemplateSpec", "core.PodSpec", "core.Container", "core.ContainerPort", "core.EnvVar",
      "core.Probe", "core.VolumeMount", "core.ServiceSpec", "core.ServicePort", "meta.ObjectMeta", "meta.LabelSelector",
    ];
    for (const message of described) {
      expect(descriptionOf(message), message).toBeTruthy();
      for (const f of fieldsOf(message)) expect(descriptionOf(f.owner, f.json) ?? descriptionOf(message, f.json), `${message}.${f.json}`).toBeTruthy();
    }
    for (const kind of ["core.ConfigMap", "core.Secret"]) {
      for (const f of fieldsOf(kind).filter((f) => f.json !== "metadata")) expect(descriptionOf(kind, f.json), `${kind}.${f.json}`).toBeTruthy();
    }
  });
});

describe("list types for server-side apply", () => {
  it.each<[string, string | undefined, string, unknown]>([
    ["Deployment", "apps", "spec.template.spec.containers", { type: "map", keys: ["name"] }],
    ["Pod", "", "spec.containers.ports", { type: "map", keys: ["containerPort", "protocol"] }],
    ["Service", "", "spec.ports", { type: "map", keys: ["port", "protocol"] }],
    ["Pod", "", "spec.tolerations", { type: "atomic" }],
    ["ConfigMap", "", "metadata.finalizers", { type: "set" }],
    ["Pod", "", "status.conditions", { type: "map", keys: ["type"] }],
    ["Pod", "", "spec.nodeSelector", { mapType: "atomic" }],
    ["Pod", "", "metadata.labels", undefined],
    ["CronTab", "stable.example.com", "metadata.ownerReferences", { type: "map", keys: ["uid"] }],
  ])("%s (%s) %s", (kind, group, path, expected) => {
    expect(listTypeAt(kind, group, path.split("."))).toEqual(expected);
  });
});
