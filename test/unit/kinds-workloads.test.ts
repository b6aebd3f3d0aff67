import { describe, expect, it } from "vitest";
import { fieldErrorBody, StatusError, type FieldError } from "../../src/apiserver/status";
import type { KindStrategy, KObject, StrategyContext } from "../../src/registry/types";
import {
  applyBinding,
  computePodQOS,
  podCells,
  podDeletionGracePeriod,
  podStrategy,
  preparePodStatusUpdate,
  validateBinding,
  validatePodStatusUpdate,
} from "../../src/registry/kinds/pod";
import { deploymentStrategy } from "../../src/registry/kinds/deployment";
import { replicaSetStrategy } from "../../src/registry/kinds/replicaset";
import { statefulSetStrategy } from "../../src/registry/kinds/statefulset";
import { daemonSetStrategy, TEMPLATE_GENERATION_ANNOTATION } from "../../src/registry/kinds/daemonset";
import { jobStrategy } from "../../src/registry/kinds/job";
import { cronJobStrategy, cronScheduleError } from "../../src/registry/kinds/cronjob";
import { defaultPullPolicy } from "../../src/registry/kinds/pod-template";

// ---- builders ---------------------------------------------------------------------------------

const NOW = new Date("2025-01-01T12:00:00Z");
const UID = "6b1e4c2a-0d5e-4c55-9a0b-2f1f7f3e9a11";

const ctx: StrategyContext = {
  now: NOW,
  user: { username: "admin", groups: ["system:masters"] },
  allocator: { allocateServiceIP: () => ({ ip: "10.96.0.10" }), allocateNodePort: () => ({ port: 30000 }) },
};

const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString().replace(".000Z", "Z");
const minutes = (n: number) => n * 60_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Spec = Record<string, any>;

function object(apiVersion: string, kind: string, name: string, spec: Spec, extra: Partial<KObject> = {}): KObject {
  return {
    apiVersion,
    kind,
    metadata: { name, namespace: "default", uid: UID, creationTimestamp: ago(minutes(5)), ...(extra.metadata ?? {}) },
    spec,
    ...(extra.status ? { status: extra.status } : {}),
  };
}

const container = (over: Spec = {}): Spec => ({ name: "web", image: "nginx", ...over });
const pod = (spec: Spec = {}, extra: Partial<KObject> = {}) => object("v1", "Pod", "nginx", { containers: [container()], ...spec }, extra);
const template = (labels: Record<string, string> | undefined, spec: Spec = {}): Spec => ({
  metadata: labels ? { labels } : {},
  spec: { containers: [container()], ...spec },
});
const deployment = (spec: Spec = {}) => object("apps/v1", "Deployment", "web", { selector: { matchLabels: { app: "web" } }, template: template({ app: "web" }), ...spec });
const job = (spec: Spec = {}) => object("batch/v1", "Job", "pi", { template: template(undefined, { restartPolicy: "Never" }), ...spec });
const cronJob = (spec: Spec = {}) =>
  object("batch/v1", "CronJob", "hello", {
    schedule: "*/5 * * * *",
    jobTemplate: { spec: { template: template(undefined, { restartPolicy: "OnFailure" }) } },
    ...spec,
  });

/** Create as the store does: prepare (defaults), then validate; returns the object and the errors. */
function create(strategy: KindStrategy, obj: KObject): { obj: KObject; errors: FieldError[] } {
  const copy = structuredClone(obj);
  const errors = [...(strategy.prepareForCreate?.(copy, ctx) ?? []), ...(strategy.validate?.(copy) ?? [])];
  return { obj: copy, errors };
}

/** Update as the store does: the stored object carries a resourceVersion; prepare, validate, validateUpdate. */
function update(strategy: KindStrategy, old: KObject, mutate: (o: KObject) => void): { obj: KObject; errors: FieldError[] } {
  const stored = structuredClone(old);
  stored.metadata.resourceVersion = "10";
  stored.metadata.generation = 1;
  const next = structuredClone(stored);
  mutate(next);
  if (strategy.subresources?.status) next.status = structuredClone(stored.status);
  strategy.prepareForUpdate?.(next, stored, ctx);
  const errors = [...(strategy.validate?.(next) ?? []), ...(strategy.validateUpdate?.(next, stored) ?? [])];
  return { obj: next, errors };
}

/** Upstream's rendering of one field error: `path: Body`. */
const render = (e: FieldError): string => `${e.field}: ${fieldErrorBody(e)}`;

const messages = (errors: FieldError[]) => errors.map(render);

const created = (strategy: KindStrategy, obj: KObject) => {
  const r = create(strategy, obj);
  expect(messages(r.errors)).toEqual([]);
  return r.obj;
};

// ---- defaulting ---------------------------------------------------------------------------------

describe("defaulting matches kube-apiserver", () => {
  it("fills in a minimal pod", () => {
    const obj = created(podStrategy, pod());
    expect(obj.spec).toEqual({
      containers: [
        {
          name: "web",
          image: "nginx",
          imagePullPolicy: "Always",
          resources: {},
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
        },
      ],
      dnsPolicy: "ClusterFirst",
      enableServiceLinks: true,
      restartPolicy: "Always",
      schedulerName: "default-scheduler",
      securityContext: {},
      terminationGracePeriodSeconds: 30,
      // Priority admission: no class, no global default
      priority: 0,
      preemptionPolicy: "PreemptLowerPriority",
      // DefaultTolerationSeconds admission
      tolerations: [
        { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
        { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      ],
    });
    expect(obj.status).toEqual({ phase: "Pending", qosClass: "BestEffort" });
  });

  it("keeps a pod's own not-ready/unreachable tolerations (DefaultTolerationSeconds adds only missing ones)", () => {
    const tolerations = [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 5 }];
    const obj = created(podStrategy, pod({ containers: [container()], tolerations }));
    expect(obj.spec.tolerations).toEqual([...tolerations, { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }]);
    expect(created(podStrategy, pod({ containers: [container()], tolerations: [{ operator: "Exists" }] })).spec.tolerations).toEqual([{ operator: "Exists" }]);
  });

  it("defaults ports, probes, volumes, env field references and requests from limits", () => {
    const obj = created(
      podStrategy,
      pod({
        containers: [
          container({
            image: "nginx:1.27",
            ports: [{ containerPort: 80 }],
            livenessProbe: { httpGet: { port: 80 } },
            env: [{ name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
            resources: { limits: { cpu: "0.5", memory: "128Mi" } },
            volumeMounts: [{ name: "cache", mountPath: "/cache" }],
          }),
        ],
        volumes: [{ name: "cache" }, { name: "cfg", configMap: { name: "cfg" } }, { name: "tls", secret: { secretName: "tls" } }],
      }),
    );
    const c = obj.spec.containers[0];
    expect(c.imagePullPolicy).toBe("IfNotPresent");
    expect(c.ports).toEqual([{ containerPort: 80, protocol: "TCP" }]);
    expect(c.livenessProbe).toEqual({ httpGet: { port: 80, path: "/", scheme: "HTTP" }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    expect(c.env[0].valueFrom.fieldRef).toEqual({ apiVersion: "v1", fieldPath: "metadata.name" });
    expect(c.resources).toEqual({ limits: { cpu: "500m", memory: "128Mi" }, requests: { cpu: "500m", memory: "128Mi" } });
    expect(obj.spec.volumes).toEqual([
      { name: "cache", emptyDir: {} },
      { name: "cfg", configMap: { name: "cfg", defaultMode: 420 } },
      { name: "tls", secret: { secretName: "tls", defaultMode: 420 } },
    ]);
    expect(obj.status.qosClass).toBe("Guaranteed");
  });

  it("mirrors serviceAccountName into the deprecated serviceAccount and host ports on the host network", () => {
    const obj = created(podStrategy, pod({ serviceAccount: "builder", hostNetwork: true, containers: [container({ ports: [{ containerPort: 8080 }] })] }));
    expect(obj.spec.serviceAccountName).toBe("builder");
    expect(obj.spec.serviceAccount).toBe("builder");
    expect(obj.spec.containers[0].ports).toEqual([{ containerPort: 8080, hostPort: 8080, protocol: "TCP" }]);
  });

  it.each([
    ["nginx", "Always"],
    ["nginx:latest", "Always"],
    ["nginx:1.27", "IfNotPresent"],
    ["localhost:5000/team/app", "Always"],
    [`nginx@sha256:${"a".repeat(64)}`, "IfNotPresent"],
    ["Nginx", "IfNotPresent"],
  ])("pulls %s with %s", (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy);
  });

  it("fills in a minimal deployment (without pod-only defaults)", () => {
    const obj = created(deploymentStrategy, deployment());
    expect(obj.spec).toEqual({
      replicas: 1,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: { app: "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [
            { name: "web", image: "nginx", imagePullPolicy: "Always", resources: {}, terminationMessagePath: "/dev/termination-log", terminationMessagePolicy: "File" },
          ],
          dnsPolicy: "ClusterFirst",
          restartPolicy: "Always",
          schedulerName: "default-scheduler",
          securityContext: {},
          terminationGracePeriodSeconds: 30,
        },
      },
    });
    expect(obj.status).toEqual({});
  });

  it("fills in a minimal job and generates its selector and labels", () => {
    const obj = created(jobStrategy, job());
    const generated = {
      "batch.kubernetes.io/controller-uid": UID,
      "batch.kubernetes.io/job-name": "pi",
      "controller-uid": UID,
      "job-name": "pi",
    };
    expect(obj.metadata.labels).toEqual(generated);
    expect(obj.spec).toMatchObject({
      backoffLimit: 6,
      completionMode: "NonIndexed",
      completions: 1,
      parallelism: 1,
      podReplacementPolicy: "TerminatingOrFailed",
      selector: { matchLabels: { "batch.kubernetes.io/controller-uid": UID } },
      suspend: false,
      template: { metadata: { labels: generated }, spec: { restartPolicy: "Never", dnsPolicy: "ClusterFirst" } },
    });
    expect(obj.spec.manualSelector).toBeUndefined();
    expect(obj.status).toEqual({});
  });

  it("keeps a job's own labels when its template has some", () => {
    const obj = created(jobStrategy, job({ template: template({ app: "pi" }, { restartPolicy: "OnFailure" }) }));
    expect(obj.metadata.labels).toEqual({ app: "pi" });
    expect(obj.spec.template.metadata.labels).toMatchObject({ app: "pi", "job-name": "pi" });
  });

  it("fills in stateful sets, daemon sets, replica sets and cron jobs", () => {
    const sts = created(
      statefulSetStrategy,
      object("apps/v1", "StatefulSet", "db", {
        selector: { matchLabels: { app: "db" } },
        serviceName: "db",
        template: template({ app: "db" }),
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1024Mi" } } } }],
      }),
    );
    expect(sts.spec).toMatchObject({
      podManagementPolicy: "OrderedReady",
      replicas: 1,
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
    });
    expect(sts.spec.volumeClaimTemplates[0]).toEqual({
      metadata: { name: "data" },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, volumeMode: "Filesystem" },
      status: { phase: "Pending" },
    });
    expect(sts.status).toEqual({ availableReplicas: 0, replicas: 0 });

    const ds = created(daemonSetStrategy, object("apps/v1", "DaemonSet", "agent", { selector: { matchLabels: { app: "agent" } }, template: template({ app: "agent" }) }));
    expect(ds.spec).toMatchObject({ revisionHistoryLimit: 10, updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } } });
    expect(ds.metadata.annotations).toEqual({ [TEMPLATE_GENERATION_ANNOTATION]: "1" });
    expect(ds.status).toEqual({ currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 });

    const rs = created(replicaSetStrategy, object("apps/v1", "ReplicaSet", "web-abc", { selector: { matchLabels: { app: "web" } }, template: template({ app: "web" }) }));
    expect(rs.spec.replicas).toBe(1);
    expect(rs.status).toEqual({ replicas: 0 });

    const cj = created(cronJobStrategy, cronJob());
    expect(cj.spec).toMatchObject({ concurrencyPolicy: "Allow", suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(cj.spec.jobTemplate.spec.backoffLimit).toBeUndefined();
    expect(cj.spec.jobTemplate.spec.template.spec.dnsPolicy).toBe("ClusterFirst");
  });
});

// ---- QoS ----------------------------------------------------------------------------------------

describe("QoS class", () => {
  const withResources = (...resources: Spec[]) => ({ containers: resources.map((r, i) => container({ name: `c${i}`, resources: r })) });
  it.each([
    ["no resources", "BestEffort", withResources({})],
    ["requests only", "Burstable", withResources({ requests: { cpu: "100m" } })],
    ["limits equal requests", "Guaranteed", withResources({ limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "1000m", memory: "1024Mi" } })],
    ["one container without limits", "Burstable", withResources({ limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "1", memory: "1Gi" } }, {})],
    ["zero requests ignored", "BestEffort", withResources({ requests: { cpu: "0" } })],
    ["pod-level resources win", "Guaranteed", { ...withResources({}), resources: { limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "1", memory: "1Gi" } } }],
  ])("%s → %s", (_name, qos, spec) => {
    expect(computePodQOS(spec)).toBe(qos);
  });
});

// ---- validation -----------------------------------------------------------------------------

const DNS_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

describe("validation messages", () => {
  it.each<[string, () => ReturnType<typeof create>, string[]]>([
    ["missing image", () => create(podStrategy, pod({ containers: [{ name: "web" }] })), ["spec.containers[0].image: Required value"]],
    [
      "bad container name",
      () => create(podStrategy, pod({ containers: [container({ name: "Web_1" })] })),
      [`spec.containers[0].name: Invalid value: "Web_1": ${DNS_LABEL_MSG}`],
    ],
    ["no containers", () => create(podStrategy, pod({ containers: [] })), ["spec.containers: Required value"]],
    [
      "duplicate container names",
      () => create(podStrategy, pod({ containers: [container(), container()] })),
      ['spec.containers[1].name: Duplicate value: "web"'],
    ],
    [
      "mount of a missing volume",
      () => create(podStrategy, pod({ containers: [container({ volumeMounts: [{ name: "data", mountPath: "/data" }] })] })),
      ['spec.containers[0].volumeMounts[0].name: Not found: "data"'],
    ],
    [
      "requests above limits",
      () => create(podStrategy, pod({ containers: [container({ resources: { limits: { cpu: "1" }, requests: { cpu: "2" } } })] })),
      ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'],
    ],
    [
      "port out of range and bad protocol",
      () => create(podStrategy, pod({ containers: [container({ ports: [{ containerPort: 70000, protocol: "HTTP" }] })] })),
      [
        "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
        'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      ],
    ],
    [
      "restart policy and dns policy enums",
      () => create(podStrategy, pod({ restartPolicy: "Sometimes", dnsPolicy: "Google" })),
      [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
        'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
      ],
    ],
    [
      "toleration with an empty key",
      () => create(podStrategy, pod({ tolerations: [{ operator: "Equal", value: "x", effect: "NoSchedule" }] })),
      ['spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"'],
    ],
    [
      "volume with two sources",
      () => create(podStrategy, pod({ volumes: [{ name: "v", emptyDir: {}, hostPath: { path: "/tmp" } }] })),
      ["spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type"],
    ],
    [
      "selector that does not match the template",
      () => create(deploymentStrategy, deployment({ template: template({ app: "api" }) })),
      ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"api"}: `selector` does not match template `labels`'],
    ],
    [
      "deployment without a selector",
      () => create(deploymentStrategy, deployment({ selector: undefined })),
      ["spec.selector: Required value", 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`'],
    ],
    [
      "restartPolicy Never in a deployment",
      () => create(deploymentStrategy, deployment({ template: template({ app: "web" }, { restartPolicy: "Never" }) })),
      ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    ],
    [
      "negative replicas",
      () => create(deploymentStrategy, deployment({ replicas: -1 })),
      ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"],
    ],
    [
      "template pod errors are prefixed",
      () => create(deploymentStrategy, deployment({ template: template({ app: "web" }, { containers: [{ name: "web" }] }) })),
      ["spec.template.spec.containers[0].image: Required value"],
    ],
    [
      "restartPolicy Always in a job",
      () => create(jobStrategy, job({ template: template(undefined, { restartPolicy: "Always" }) })),
      ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
    ],
    [
      "manual job selector without match",
      () => create(jobStrategy, job({ manualSelector: true, selector: { matchLabels: { app: "x" } }, template: template({ app: "y" }, { restartPolicy: "Never" }) })),
      ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`'],
    ],
    [
      "bad cron schedule",
      () => create(cronJobStrategy, cronJob({ schedule: "* * *" })),
      ['spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]'],
    ],
    [
      "statefulset without a selector",
      () => create(statefulSetStrategy, object("apps/v1", "StatefulSet", "db", { template: template({ app: "db" }) })),
      ["spec.selector: Required value", 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"db"}: `selector` does not match template `labels`'],
    ],
  ])("%s", (_name, run, expected) => {
    expect(messages(run().errors)).toEqual(expected);
  });

  it("rejects malformed quantities while decoding, as a 400", () => {
    try {
      create(podStrategy, pod({ containers: [container({ resources: { limits: { cpu: "one" } } })] }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(StatusError);
      const err = e as StatusError;
      expect(err.code).toBe(400);
      expect(err.message).toBe(
        "Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
      );
    }
    expect(() => create(deploymentStrategy, deployment({ template: template({ app: "web" }, { containers: [container({ resources: { requests: { memory: "1ki" } } })] }) }))).toThrow(
      "Deployment in version \"v1\" cannot be handled as a Deployment: unable to parse quantity's suffix",
    );
  });

  it.each([
    ["*/5 * * * *", null],
    ["@hourly", null],
    ["@every 1h30m", null],
    ["0 0 * * sun", null],
    ["60 * * * *", "end of range (60) above maximum (59): 60"],
    ["* * * * 8", "end of range (8) above maximum (6): 8"],
    ["x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ["@often", "unrecognized descriptor: @often"],
  ])("cron schedule %j", (schedule, error) => {
    expect(cronScheduleError(schedule)).toBe(error);
  });
});

// ---- updates ---------------------------------------------------------------------------------

const POD_UPDATE_PREFIX =
  "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n";

describe("pod updates", () => {
  const stored = created(podStrategy, pod({ tolerations: [{ key: "dedicated", operator: "Exists", effect: "NoSchedule" }], activeDeadlineSeconds: 100 }));

  it("may change images, lower activeDeadlineSeconds and add tolerations", () => {
    const { obj, errors } = update(podStrategy, stored, (p) => {
      p.spec.containers[0].image = "nginx:1.27";
      p.spec.activeDeadlineSeconds = 50;
      p.spec.tolerations.push({ key: "gpu", operator: "Exists" });
    });
    expect(messages(errors)).toEqual([]);
    expect(obj.metadata.generation).toBe(2);
  });

  it("is not a change when the body omits defaulted fields", () => {
    const { obj, errors } = update(podStrategy, stored, (p) => {
      delete p.spec.dnsPolicy;
      delete p.spec.containers[0].terminationMessagePath;
    });
    expect(messages(errors)).toEqual([]);
    expect(obj.metadata.generation).toBe(1);
  });

  it("may not change anything else", () => {
    const { errors } = update(podStrategy, stored, (p) => {
      p.spec.restartPolicy = "Never";
    });
    expect(errors).toHaveLength(1);
    const msg = render(errors[0]!);
    expect(msg.startsWith(`${POD_UPDATE_PREFIX}  core.PodSpec{\n`)).toBe(true);
    expect(msg).toContain('- \tRestartPolicy: "Always",\n+ \tRestartPolicy: "Never",');
  });

  it.each<[string, (p: KObject) => void, string[]]>([
    ["adding a container", (p) => p.spec.containers.push(container({ name: "sidecar" })), ["spec.containers: Forbidden: pod updates may not add or remove containers"]],
    ["raising activeDeadlineSeconds", (p) => (p.spec.activeDeadlineSeconds = 200), ["spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value"]],
    [
      "changing a toleration",
      (p) => (p.spec.tolerations[0].effect = "NoExecute"),
      ["spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"],
    ],
    ["clearing an image", (p) => (p.spec.containers[0].image = ""), ["spec.containers[0].image: Required value", "spec.containers[0].image: Required value"]],
  ])("%s", (_name, mutate, expected) => {
    const { errors } = update(podStrategy, stored, mutate);
    expect(messages(errors).filter((m) => !m.startsWith(POD_UPDATE_PREFIX))).toEqual(expected);
  });
});

describe("workload updates", () => {
  it("apps/v1 selectors are immutable", () => {
    const stored = created(deploymentStrategy, deployment());
    const { errors } = update(deploymentStrategy, stored, (d) => {
      d.spec.selector = { matchLabels: { app: "other" } };
      d.spec.template.metadata.labels = { app: "other" };
    });
    expect(messages(errors)).toEqual([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"other"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
  });

  it("deployment generation follows spec and annotation changes", () => {
    const stored = created(deploymentStrategy, deployment());
    expect(update(deploymentStrategy, stored, (d) => (d.spec.replicas = 3)).obj.metadata.generation).toBe(2);
    expect(update(deploymentStrategy, stored, (d) => (d.metadata.annotations = { note: "x" })).obj.metadata.generation).toBe(2);
    expect(update(deploymentStrategy, stored, (d) => (d.metadata.labels = { team: "a" })).obj.metadata.generation).toBe(1);
  });

  it("a daemon set's template generation counts template changes", () => {
    const stored = created(daemonSetStrategy, object("apps/v1", "DaemonSet", "agent", { selector: { matchLabels: { app: "agent" } }, template: template({ app: "agent" }) }));
    const changed = update(daemonSetStrategy, stored, (d) => (d.spec.template.spec.containers[0].image = "agent:2")).obj;
    expect(changed.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]).toBe("2");
    const same = update(daemonSetStrategy, stored, (d) => (d.spec.minReadySeconds = 5)).obj;
    expect(same.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]).toBe("1");
  });

  it("stateful sets may only change some fields", () => {
    const stored = created(statefulSetStrategy, object("apps/v1", "StatefulSet", "db", { selector: { matchLabels: { app: "db" } }, template: template({ app: "db" }) }));
    expect(messages(update(statefulSetStrategy, stored, (s) => (s.spec.replicas = 3)).errors)).toEqual([]);
    expect(messages(update(statefulSetStrategy, stored, (s) => (s.spec.serviceName = "other")).errors)).toEqual([
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
  });

  it("a job's template is immutable unless it is suspended and never started", () => {
    const stored = created(jobStrategy, job());
    const { errors } = update(jobStrategy, stored, (j) => (j.spec.template.spec.containers[0].image = "perl"));
    expect(errors.map((e) => `${e.field}: ${e.detail}`)).toEqual(["spec.template: field is immutable"]);
    const suspended = created(jobStrategy, job({ suspend: true }));
    expect(messages(update(jobStrategy, suspended, (j) => (j.spec.template.spec.nodeSelector = { zone: "a" })).errors)).toEqual([]);
    expect(messages(update(jobStrategy, stored, (j) => (j.spec.completions = 3)).errors)).toEqual(["spec.completions: Invalid value: 3: field is immutable"]);
  });
});

// ---- tables -----------------------------------------------------------------------------------

const running = (over: Spec = {}) => ({ name: "web", ready: true, restartCount: 0, state: { running: { startedAt: ago(minutes(4)) } }, ...over });

describe("pod table cells", () => {
  const bound = (status: Spec, spec: Spec = {}, metadata: Spec = {}) =>
    podCells(pod({ nodeName: "node-1", ...spec }, { status, metadata: { name: "nginx", creationTimestamp: ago(minutes(5)), ...metadata } }), NOW);

  it.each<[string, string[], string[]]>([
    ["pending", podCells(pod({}, { status: { phase: "Pending" } }), NOW), ["0/1", "Pending", "0", "5m", "<none>", "<none>", "<none>", "<none>"]],
    [
      "container creating",
      bound({ phase: "Pending", containerStatuses: [{ name: "web", ready: false, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } } }] }),
      ["0/1", "ContainerCreating", "0", "5m", "<none>", "node-1", "<none>", "<none>"],
    ],
    [
      "running",
      bound({ phase: "Running", podIP: "10.244.0.5", podIPs: [{ ip: "10.244.0.5" }], containerStatuses: [running()] }),
      ["1/1", "Running", "0", "5m", "10.244.0.5", "node-1", "<none>", "<none>"],
    ],
    [
      "completed",
      bound({ phase: "Succeeded", containerStatuses: [{ name: "web", ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed" } } }] }),
      ["0/1", "Completed", "0", "5m", "<none>", "node-1", "<none>", "<none>"],
    ],
    [
      "error",
      bound({ phase: "Failed", containerStatuses: [{ name: "web", ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: "Error" } } }] }),
      ["0/1", "Error", "0", "5m", "<none>", "node-1", "<none>", "<none>"],
    ],
    [
      "crash loop",
      bound({
        phase: "Running",
        containerStatuses: [
          {
            name: "web",
            ready: false,
            restartCount: 5,
            state: { waiting: { reason: "CrashLoopBackOff" } },
            lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: ago(minutes(2)) } },
          },
        ],
      }),
      ["0/1", "CrashLoopBackOff", "5 (2m ago)", "5m", "<none>", "node-1", "<none>", "<none>"],
    ],
    [
      "initializing",
      bound(
        { phase: "Pending", initContainerStatuses: [{ name: "init-a", ready: false, restartCount: 0, state: { running: {} } }] },
        { initContainers: [container({ name: "init-a" }), container({ name: "init-b" })] },
      ),
      ["0/1", "Init:0/2", "0", "5m", "<none>", "node-1", "<none>", "<none>"],
    ],
    [
      "init container failing",
      bound(
        {
          phase: "Pending",
          initContainerStatuses: [{ name: "init-a", ready: false, restartCount: 3, state: { waiting: { reason: "CrashLoopBackOff" } } }],
        },
        { initContainers: [container({ name: "init-a" })] },
      ),
      ["0/1", "Init:CrashLoopBackOff", "3", "5m", "<none>", "node-1", "<none>", "<none>"],
    ],
    [
      "sidecar counts as a container",
      bound(
        {
          phase: "Running",
          conditions: [{ type: "Initialized", status: "True" }],
          initContainerStatuses: [{ name: "proxy", ready: true, started: true, restartCount: 0, state: { running: {} } }],
          containerStatuses: [running()],
        },
        { initContainers: [container({ name: "proxy", restartPolicy: "Always" })] },
      ),
      ["2/2", "Running", "0", "5m", "<none>", "node-1", "<none>", "<none>"],
    ],
    [
      "terminating",
      bound({ phase: "Running", containerStatuses: [running()] }, {}, { deletionTimestamp: ago(10_000) }),
      ["1/1", "Terminating", "0", "5m", "<none>", "node-1", "<none>", "<none>"],
    ],
    [
      "readiness gates",
      bound({ phase: "Running", conditions: [{ type: "example.com/gate", status: "True" }], containerStatuses: [running()] }, { readinessGates: [{ conditionType: "example.com/gate" }, { conditionType: "example.com/other" }] }),
      ["1/1", "Running", "0", "5m", "<none>", "node-1", "<none>", "1/2"],
    ],
  ])("%s", (_name, cells, expected) => {
    expect(cells).toEqual(expected);
  });

  it("declares upstream's columns", () => {
    expect(podStrategy.table!.columns.map((c) => [c.name, c.priority])).toEqual([
      ["Ready", 0],
      ["Status", 0],
      ["Restarts", 0],
      ["Age", 0],
      ["IP", 1],
      ["Node", 1],
      ["Nominated Node", 1],
      ["Readiness Gates", 1],
    ]);
  });
});

describe("workload table cells", () => {
  it("deployment", () => {
    const d = created(deploymentStrategy, deployment({ replicas: 3 }));
    d.status = { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 };
    expect(deploymentStrategy.table!.cells(d, NOW)).toEqual(["2/3", 3, 2, "5m", "web", "nginx", "app=web"]);
  });

  it("replica set, stateful set and daemon set", () => {
    const rs = created(replicaSetStrategy, object("apps/v1", "ReplicaSet", "web-1", { replicas: 2, selector: { matchLabels: { app: "web" } }, template: template({ app: "web" }) }));
    rs.status = { replicas: 2, readyReplicas: 1 };
    expect(replicaSetStrategy.table!.cells(rs, NOW)).toEqual([2, 2, 1, "5m", "web", "nginx", "app=web"]);

    const sts = created(statefulSetStrategy, object("apps/v1", "StatefulSet", "db", { replicas: 3, selector: { matchLabels: { app: "db" } }, template: template({ app: "db" }) }));
    expect(statefulSetStrategy.table!.cells(sts, NOW)).toEqual(["0/3", "5m", "web", "nginx"]);

    const ds = created(
      daemonSetStrategy,
      object("apps/v1", "DaemonSet", "agent", { selector: { matchLabels: { app: "agent" } }, template: template({ app: "agent" }, { nodeSelector: { "kubernetes.io/os": "linux" } }) }),
    );
    expect(daemonSetStrategy.table!.cells(ds, NOW)).toEqual([0, 0, 0, 0, 0, "kubernetes.io/os=linux", "5m", "web", "nginx", "app=agent"]);
  });

  it("job status and duration", () => {
    const j = created(jobStrategy, job());
    expect(jobStrategy.table!.cells(j, NOW).slice(0, 4)).toEqual(["Running", "0/1", "", "5m"]);
    j.status = { succeeded: 1, startTime: ago(minutes(4)), completionTime: ago(minutes(3)), conditions: [{ type: "Complete", status: "True" }] };
    expect(jobStrategy.table!.cells(j, NOW).slice(0, 4)).toEqual(["Complete", "1/1", "60s", "5m"]);
    j.status = { startTime: ago(30_000), conditions: [{ type: "Suspended", status: "True" }] };
    expect(jobStrategy.table!.cells(j, NOW).slice(0, 3)).toEqual(["Suspended", "0/1", "30s"]);
  });

  it("cron job", () => {
    const cj = created(cronJobStrategy, cronJob());
    expect(cronJobStrategy.table!.cells(cj, NOW)).toEqual(["*/5 * * * *", "<none>", "False", 0, "<none>", "5m", "web", "nginx", "<none>"]);
    cj.status = { active: [{ name: "hello-1" }], lastScheduleTime: ago(minutes(2)) };
    expect(cronJobStrategy.table!.cells(cj, NOW).slice(3, 5)).toEqual([1, "2m"]);
  });
});

// ---- binding and field selectors ---------------------------------------------------------------

describe("pods/binding", () => {
  const binding = (node: string): KObject => ({ apiVersion: "v1", kind: "Binding", metadata: { name: "nginx" }, target: { kind: "Node", name: node } });

  it("binds an unbound pod and records PodScheduled", () => {
    const p = created(podStrategy, pod());
    const bound = applyBinding(p, binding("node-1"), NOW);
    expect(bound.spec.nodeName).toBe("node-1");
    expect(bound.status.conditions).toEqual([{ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: "2025-01-01T12:00:00Z" }]);
  });

  it("refuses a pod that is already bound", () => {
    const p = applyBinding(created(podStrategy, pod()), binding("node-1"), NOW);
    expect(() => applyBinding(p, binding("node-2"), NOW)).toThrow('Operation cannot be fulfilled on pods/binding "nginx": pod nginx is already assigned to node "node-1"');
  });

  it("validates the target", () => {
    expect(messages(validateBinding({ apiVersion: "v1", kind: "Binding", metadata: { name: "x" }, target: { kind: "Pod" } }))).toEqual([
      'target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"',
      "target.name: Required value",
    ]);
  });

  it("exposes upstream's selectable fields", () => {
    const p = created(podStrategy, pod({ nodeName: "node-1" }));
    expect(podStrategy.selectableFields!(p)).toEqual({
      "spec.nodeName": "node-1",
      "spec.restartPolicy": "Always",
      "spec.schedulerName": "default-scheduler",
      "spec.serviceAccountName": "",
      "spec.hostNetwork": "false",
      "status.phase": "Pending",
      "status.podIP": "",
      "status.nominatedNodeName": "",
    });
  });
});

describe("pod deletion and status writes", () => {
  it("grace period follows upstream's CheckGracefulDelete", () => {
    const unbound = created(podStrategy, pod());
    expect(podDeletionGracePeriod(unbound)).toBe(0);
    const bound = applyBinding(created(podStrategy, pod()), { apiVersion: "v1", kind: "Binding", metadata: { name: "nginx" }, target: { name: "n1" } }, NOW);
    expect(podDeletionGracePeriod(bound)).toBe(30);
    expect(podDeletionGracePeriod(bound, 5)).toBe(5);
    expect(podDeletionGracePeriod(bound, -3)).toBe(1);
    expect(podDeletionGracePeriod({ ...bound, status: { phase: "Succeeded" } })).toBe(0);
  });

  it("keeps the QoS class and refuses to change it", () => {
    const old = created(podStrategy, pod());
    const next = structuredClone(old);
    next.status = { phase: "Running" };
    preparePodStatusUpdate(next, old);
    expect(next.status.qosClass).toBe("BestEffort");
    next.status.qosClass = "Guaranteed";
    expect(messages(validatePodStatusUpdate(next, old))).toEqual(['status.qosClass: Invalid value: "Guaranteed": field is immutable']);
  });
});
