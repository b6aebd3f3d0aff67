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
const objectMeta = (p = "") => [`${p}metadata.ownerReferences=merge/uid`, `${p}metadata.finalizers=merge`];
const containerLists = (p: string) =>
  ["initContainers", "containers", "ephemeralContainers"].flatMap((c) => [
    `${p}${c}=merge/name`,
    `${p}${c}.ports=merge/containerPort`,
    `${p}${c}.env=merge/name`,
    `${p}${c}.volumeMounts=merge/mountPath`,
    `${p}${c}.volumeDevices=merge/devicePath`,
  ]);
const podSpec = (p: string) => [
  `${p}volumes=merge,retainKeys/name`,
  ...containerLists(p),
  `${p}imagePullSecrets=merge/name`,
  `${p}hostAliases=merge/ip`,
  `${p}topologySpreadConstraints=merge/topologyKey`,
  `${p}schedulingGates=merge/name`,
  `${p}resourceClaims=merge,retainKeys/name`,
];
const podTemplate = (p: string) => [...objectMeta(p), ...podSpec(`${p}spec.`)];
const workload = (...extra: string[]) => [...objectMeta(), ...podTemplate("spec.template."), "status.conditions=merge/type", ...extra];
const containerStatusLists = ["initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"].flatMap((c) => [
  `status.${c}.volumeMounts=merge/mountPath`,
  `status.${c}.allocatedResourcesStatus=merge/name`,
]);

const previousTable: Record<string, string[]> = {
  "core/Pod": [
    ...objectMeta(),
    ...podSpec("spec."),
    "status.conditions=merge/type",
    "status.hostIPs=merge/ip",
    "status.podIPs=merge/ip",
    "status.resourceClaimStatuses=merge,retainKeys/name",
    ...containerStatusLists,
  ],
  "core/PodTemplate": [...objectMeta(), ...podTemplate("template.")],
  "core/ReplicationController": workload(),
  "core/Service": [...objectMeta(), "spec.ports=merge/port", "status.conditions=merge/type"],
  "core/Node": [...objectMeta(), "spec.podCIDRs=merge", "status.conditions=merge/type", "status.addresses=merge/type"],
  "core/Namespace": [...objectMeta(), "status.conditions=merge/type"],
  "core/ServiceAccount": [...objectMeta(), "secrets=merge/name"],
  "core/PersistentVolumeClaim": [...objectMeta(), "status.conditions=merge/type"],
  "core/ComponentStatus": [...objectMeta(), "conditions=merge/type"],
  "apps/Deployment": workload("spec.strategy=retainKeys"),
  "apps/ReplicaSet": workload(),
  "apps/StatefulSet": workload(),
  "apps/DaemonSet": workload(),
  "batch/Job": workload(),
  "batch/CronJob": [...objectMeta(), ...objectMeta("spec.jobTemplate."), ...podTemplate("spec.jobTemplate.spec.template.")],
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
