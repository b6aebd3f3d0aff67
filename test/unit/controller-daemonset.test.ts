import { describe, expect, it } from "vitest";
import { systemUser } from "../../src/sandbox/sandbox";
import { selectEverything } from "../../src/registry/selection";
import { formatTime } from "../../src/registry/clock";
import type { KObject } from "../../src/registry/types";
import {
  CONTROLLER_REVISION_HASH,
  daemonSetFenceposts,
  daemonSetKeysForNode,
  daemonSetKeysForPod,
  daemonSetReconciler,
  nodeShouldRunDaemonPod,
  pinToNode,
  POD_TEMPLATE_GENERATION,
  targetNodeName,
} from "../../src/controlplane/controllers/daemonset";
import { quietSandbox } from "./support/cluster";

// A sandbox whose own control plane never runs: the test drives the reconciler, and plays
// scheduler (binds pods to the node their affinity pins) and kubelet (readiness, termination).
async function world() {
  const { clock, registry } = await quietSandbox();
  const dsc = daemonSetReconciler({ registry, user: systemUser, now: () => clock.now() });
  const pods = registry.resource("", "pods");
  const dss = registry.resource("apps", "daemonsets");
  const nodes = registry.resource("", "nodes");
  const events = registry.resource("", "events");
  const revisions = registry.resource("apps", "controllerrevisions");
  const user = { user: systemUser };
  const w = {
    clock,
    pods,
    dss,
    nodes,
    dsc,
    podList: (ns = "default") => pods.list(ns, { selection: selectEverything }).items,
    live: (ns = "default") => w.podList(ns).filter((p) => !p.metadata.deletionTimestamp),
    /** node → pod names, for live pods. */
    placement: (ns = "default") => {
      const out: Record<string, string[]> = {};
      for (const p of w.live(ns)) (out[targetNodeName(p)!] ??= []).push(p.metadata.name!);
      return out;
    },
    events: (reason: string, ns = "default") =>
      events
        .list(ns, { selection: selectEverything })
        .items.filter((e) => e.reason === reason)
        .map((e) => e.message as string),
    snapshot: (ns = "default") =>
      [...pods.list(ns, { selection: selectEverything }).items, ...dss.list(ns, { selection: selectEverything }).items, ...events.list(ns, { selection: selectEverything }).items, ...revisions.list(ns, { selection: selectEverything }).items]
        .map((o) => `${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`)
        .sort(),
    /** Scheduler + kubelet: bind, mark ready, finish terminating pods. */
    async run(ns = "default") {
      for (const p of w.podList(ns)) {
        if (p.metadata.deletionTimestamp) {
          await pods.delete(ns, p.metadata.name!, { user: systemUser, gracePeriodSeconds: 0 });
          continue;
        }
        if (!p.spec.nodeName) {
          const node = targetNodeName(p)!;
          await pods.patch(ns, p.metadata.name!, (c) => ({ ...c, spec: { ...c.spec, nodeName: node } }), { user: systemUser, subresource: "binding" });
        }
        if (p.status?.phase !== "Running") {
          const t = formatTime(clock.now());
          await pods.patch(ns, p.metadata.name!, (c) => ({ ...c, status: { phase: "Running", podIP: "10.244.1.9", conditions: [{ type: "Ready", status: "True", lastTransitionTime: t }] } }), {
            user: systemUser,
            subresource: "status",
          });
        }
      }
    },
    /** Alternates the reconciler with scheduler/kubelet until nothing changes. */
    async settle(key = "default/agent", ns = "default", rounds = 30) {
      for (let i = 0; i < rounds; i++) {
        const before = w.snapshot(ns).join();
        await dsc(key);
        await w.run(ns);
        if (w.snapshot(ns).join() === before) return;
      }
      throw new Error("did not settle");
    },
    create: (ds: KObject, ns = "default") => dss.create(ns, ds, user),
  };
  return w;
}

function daemonSet(name: string, opts: { image?: string; tolerations?: unknown[]; nodeSelector?: Record<string, string>; updateStrategy?: unknown; minReadySeconds?: number } = {}): KObject {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      ...(opts.updateStrategy ? { updateStrategy: opts.updateStrategy } : {}),
      ...(opts.minReadySeconds ? { minReadySeconds: opts.minReadySeconds } : {}),
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: "main", image: opts.image ?? "busybox:1.36" }],
          ...(opts.tolerations ? { tolerations: opts.tolerations } : {}),
          ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
        },
      },
    },
  };
}

/** The kubernetes.io docs' fluentd-elasticsearch DaemonSet, as the e2e fixtures apply it. */
const fluentd: KObject = {
  apiVersion: "apps/v1",
  kind: "DaemonSet",
  metadata: { name: "fluentd-elasticsearch", namespace: "kube-system", labels: { "k8s-app": "fluentd-logging" } },
  spec: {
    selector: { matchLabels: { name: "fluentd-elasticsearch" } },
    template: {
      metadata: { labels: { name: "fluentd-elasticsearch" } },
      spec: {
        tolerations: [
          { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
          { key: "node-role.kubernetes.io/master", operator: "Exists", effect: "NoSchedule" },
        ],
        containers: [
          {
            name: "fluentd-elasticsearch",
            image: "quay.io/fluentd_elasticsearch/fluentd:v2.5.2",
            resources: { limits: { memory: "200Mi" }, requests: { cpu: "100m", memory: "200Mi" } },
            volumeMounts: [{ name: "varlog", mountPath: "/var/log" }],
          },
        ],
        terminationGracePeriodSeconds: 30,
        volumes: [{ name: "varlog", hostPath: { path: "/var/log" } }],
      },
    },
  },
};

const setImage = (image: string) => (d: KObject) => {
  d.spec.template.spec.containers[0].image = image;
  return d;
};

describe("DaemonSet controller", () => {
  it("creates one pod per worker, pinned by node affinity, with labels, tolerations, owner and events", async () => {
    const w = await world();
    const ds = await w.create(daemonSet("agent"));
    await w.dsc("default/agent");
    const pods = w.live();
    expect(Object.keys(w.placement()).sort()).toEqual(["worker-1", "worker-2"]);
    const hash = pods[0].metadata.labels![CONTROLLER_REVISION_HASH];
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^agent-/);
      expect(p.spec.nodeName).toBeUndefined();
      expect(p.metadata.labels).toEqual({ app: "agent", [POD_TEMPLATE_GENERATION]: "1", [CONTROLLER_REVISION_HASH]: hash });
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: "apps/v1", kind: "DaemonSet", name: "agent", uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      expect(p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
        { matchFields: [{ key: "metadata.name", operator: "In", values: [targetNodeName(p)] }] },
      ]);
      expect(p.spec.tolerations.map((t: { key: string; effect: string }) => `${t.key}:${t.effect}`)).toEqual([
        "node.kubernetes.io/not-ready:NoExecute",
        "node.kubernetes.io/unreachable:NoExecute",
        "node.kubernetes.io/disk-pressure:NoSchedule",
        "node.kubernetes.io/memory-pressure:NoSchedule",
        "node.kubernetes.io/pid-pressure:NoSchedule",
        "node.kubernetes.io/unschedulable:NoSchedule",
      ]);
    }
    expect(w.events("SuccessfulCreate").sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
    expect(w.dss.get("default", "agent").status).toEqual({ currentNumberScheduled: 2, numberMisscheduled: 0, desiredNumberScheduled: 2, numberReady: 0, numberUnavailable: 2, observedGeneration: 1, updatedNumberScheduled: 2 });
  });

  it("is idempotent: a second reconcile writes nothing", async () => {
    const w = await world();
    await w.create(daemonSet("agent"));
    await w.dsc("default/agent");
    const before = w.snapshot();
    await w.dsc("default/agent");
    expect(w.snapshot()).toEqual(before);
    await w.settle();
    const settled = w.snapshot();
    await w.dsc("default/agent");
    expect(w.snapshot()).toEqual(settled);
    expect(w.dss.get("default", "agent").status).toEqual({
      currentNumberScheduled: 2,
      numberMisscheduled: 0,
      desiredNumberScheduled: 2,
      numberReady: 2,
      numberAvailable: 2,
      updatedNumberScheduled: 2,
      observedGeneration: 1,
    });
  });

  it("runs the fixture's kube-system fluentd DaemonSet on every node, control plane included", async () => {
    const w = await world();
    await w.create(structuredClone(fluentd), "kube-system");
    await w.settle("kube-system/fluentd-elasticsearch", "kube-system");
    expect(Object.keys(w.placement("kube-system")).sort()).toEqual(["control-plane", "worker-1", "worker-2"]);
    expect(w.dss.get("kube-system", "fluentd-elasticsearch").status).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, numberAvailable: 3 });
  });

  it.each([
    ["no toleration: workers only", {}, ["worker-1", "worker-2"]],
    ["tolerating everything", { tolerations: [{ operator: "Exists" }] }, ["control-plane", "worker-1", "worker-2"]],
    ["nodeSelector", { nodeSelector: { "kubernetes.io/hostname": "worker-2" } }, ["worker-2"]],
    ["nodeSelector matching no node", { nodeSelector: { disk: "ssd" } }, []],
  ])("node eligibility: %s", async (_, opts, nodes) => {
    const w = await world();
    await w.create(daemonSet("agent", opts));
    await w.settle();
    expect(Object.keys(w.placement()).sort()).toEqual(nodes);
    expect(w.dss.get("default", "agent").status.desiredNumberScheduled).toBe(nodes.length);
  });

  it("adds a pod when a node is added, removes it when the node stops qualifying", async () => {
    const w = await world();
    await w.create(daemonSet("agent"));
    await w.settle();
    const template = w.nodes.get("", "worker-1");
    const extra: KObject = { apiVersion: "v1", kind: "Node", metadata: { name: "worker-3", labels: { ...template.metadata.labels, "kubernetes.io/hostname": "worker-3" } }, spec: {}, status: template.status };
    const before = w.nodes.list("", { selection: selectEverything }).items;
    const created = await w.nodes.create("", extra, { user: systemUser });
    const dsList = w.dss.list("default", { selection: selectEverything }).items;
    expect(daemonSetKeysForNode(null, created, dsList)).toEqual(["default/agent"]);
    expect(before.length).toBe(3);
    await w.settle();
    expect(Object.keys(w.placement()).sort()).toEqual(["worker-1", "worker-2", "worker-3"]);

    // A NoExecute taint the daemon pod does not tolerate: the pod goes.
    const tainted = await w.nodes.patch("", "worker-3", (n) => ({ ...n, spec: { ...n.spec, taints: [{ key: "dedicated", value: "db", effect: "NoExecute" }] } }), { user: systemUser });
    expect(daemonSetKeysForNode(created, tainted, dsList)).toEqual(["default/agent"]);
    await w.settle();
    expect(Object.keys(w.placement()).sort()).toEqual(["worker-1", "worker-2"]);
    expect(w.dss.get("default", "agent").status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberMisscheduled: 0 });
  });

  it("recreates a deleted pod and deletes failed ones", async () => {
    const w = await world();
    await w.create(daemonSet("agent"));
    await w.settle();
    const [first, second] = w.live();
    await w.pods.delete("default", first.metadata.name!, { user: systemUser, gracePeriodSeconds: 0 });
    await w.pods.patch("default", second.metadata.name!, (c) => ({ ...c, status: { ...c.status, phase: "Failed" } }), { user: systemUser, subresource: "status" });
    await w.settle();
    const names = w.live().map((p) => p.metadata.name);
    expect(names).toHaveLength(2);
    expect(names).not.toContain(first.metadata.name);
    expect(names).not.toContain(second.metadata.name);
    expect(w.events("FailedDaemonPod")).toEqual([`Found failed daemon pod default/${second.metadata.name} on node ${second.spec.nodeName}, will try to kill it`]);
  });

  it("replaces pods on a template change, at most maxUnavailable at a time", async () => {
    const w = await world();
    await w.create(daemonSet("agent", { tolerations: [{ operator: "Exists" }] }));
    await w.settle();
    const oldHash = w.live()[0].metadata.labels![CONTROLLER_REVISION_HASH];
    await w.dss.patch("default", "agent", setImage("busybox:1.37"), { user: systemUser });
    // One reconcile: one old pod deleted (maxUnavailable 1), nothing created yet (it is still terminating).
    await w.dsc("default/agent");
    expect(w.live()).toHaveLength(2);
    expect(w.podList().filter((p) => p.metadata.deletionTimestamp)).toHaveLength(1);
    const steps: number[] = [];
    for (let i = 0; i < 12; i++) {
      await w.run();
      await w.dsc("default/agent");
      steps.push(w.live().filter((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH] === oldHash).length);
      // Never more than one node without a ready pod.
      expect(w.live().filter((p) => p.status?.phase === "Running").length).toBeGreaterThanOrEqual(2);
    }
    await w.settle();
    const pods = w.live();
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => p.spec.containers[0].image === "busybox:1.37" && p.metadata.labels?.[POD_TEMPLATE_GENERATION] === "2")).toBe(true);
    expect(pods.every((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH] !== oldHash)).toBe(true);
    expect(w.dss.get("default", "agent").status).toMatchObject({ desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3, observedGeneration: 2 });
    expect(steps[steps.length - 1]).toBe(0);
  });

  it("surges a new pod beside the old one with maxSurge, deleting the old one once the new is available", async () => {
    const w = await world();
    await w.create(daemonSet("agent", { updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } }));
    await w.settle();
    await w.dss.patch("default", "agent", setImage("busybox:1.37"), { user: systemUser });
    await w.dsc("default/agent");
    expect(w.live()).toHaveLength(3); // one surge pod
    expect(w.podList().filter((p) => p.metadata.deletionTimestamp)).toHaveLength(0);
    await w.settle();
    const pods = w.live();
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.spec.containers[0].image === "busybox:1.37")).toBe(true);
  });

  it("OnDelete leaves old pods until they are deleted", async () => {
    const w = await world();
    await w.create(daemonSet("agent", { updateStrategy: { type: "OnDelete" } }));
    await w.settle();
    await w.dss.patch("default", "agent", setImage("busybox:1.37"), { user: systemUser });
    await w.settle();
    expect(w.live().every((p) => p.spec.containers[0].image === "busybox:1.36")).toBe(true);
    expect(w.dss.get("default", "agent").status.updatedNumberScheduled).toBeUndefined();
    const [victim] = w.live();
    await w.pods.delete("default", victim.metadata.name!, { user: systemUser, gracePeriodSeconds: 0 });
    await w.settle();
    expect(w.live().filter((p) => p.spec.containers[0].image === "busybox:1.37")).toHaveLength(1);
    expect(w.dss.get("default", "agent").status.updatedNumberScheduled).toBe(1);
  });

  it("honours minReadySeconds with a requeue", async () => {
    const w = await world();
    await w.create(daemonSet("agent", { minReadySeconds: 10 }));
    await w.settle();
    expect(w.dss.get("default", "agent").status).toMatchObject({ numberReady: 2, numberUnavailable: 2 });
    expect(await w.dsc("default/agent")).toEqual({ requeueAfterMs: 10_001 });
    w.clock.advance(10_000);
    await w.dsc("default/agent");
    expect(w.dss.get("default", "agent").status).toMatchObject({ numberReady: 2, numberAvailable: 2 });
  });

  it("maps pod events to DaemonSet keys", () => {
    const ds = { ...daemonSet("agent"), metadata: { name: "agent", namespace: "default", uid: "u1" } };
    const owned: KObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default", labels: { app: "agent" }, ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "agent", uid: "u1", controller: true }] } };
    const orphan: KObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "q", namespace: "default", labels: { app: "agent" } } };
    const other: KObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "r", namespace: "default", labels: { app: "x" } } };
    expect(daemonSetKeysForPod(owned, [])).toEqual(["default/agent"]);
    expect(daemonSetKeysForPod(orphan, [ds])).toEqual(["default/agent"]);
    expect(daemonSetKeysForPod(other, [ds])).toEqual([]);
  });

  it.each([
    ["untainted worker", {}, [], { shouldRun: true, shouldContinueRunning: true }],
    ["control-plane NoSchedule", {}, [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }], { shouldRun: false, shouldContinueRunning: true }],
    ["untolerated NoExecute", {}, [{ key: "x", effect: "NoExecute" }], { shouldRun: false, shouldContinueRunning: false }],
    ["unschedulable taint tolerated automatically", {}, [{ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" }], { shouldRun: true, shouldContinueRunning: true }],
    ["not-ready NoExecute tolerated automatically", {}, [{ key: "node.kubernetes.io/not-ready", effect: "NoExecute" }], { shouldRun: true, shouldContinueRunning: true }],
    ["network-unavailable needs hostNetwork", {}, [{ key: "node.kubernetes.io/network-unavailable", effect: "NoSchedule" }], { shouldRun: false, shouldContinueRunning: true }],
    ["network-unavailable with hostNetwork", { hostNetwork: true }, [{ key: "node.kubernetes.io/network-unavailable", effect: "NoSchedule" }], { shouldRun: true, shouldContinueRunning: true }],
    ["other nodeName", { nodeName: "elsewhere" }, [], { shouldRun: false, shouldContinueRunning: false }],
  ])("nodeShouldRunDaemonPod: %s", (_, specExtra, taints, want) => {
    const ds = daemonSet("agent");
    Object.assign(ds.spec.template.spec, specExtra);
    const node: KObject = { apiVersion: "v1", kind: "Node", metadata: { name: "n1", labels: {} }, spec: { taints } };
    expect(nodeShouldRunDaemonPod(node, ds)).toEqual(want);
  });

  it.each([
    [{ maxUnavailable: 1, maxSurge: 0 }, 10, [0, 1]],
    [{ maxUnavailable: "25%", maxSurge: 0 }, 10, [0, 3]],
    [{ maxUnavailable: 0, maxSurge: "10%" }, 10, [1, 0]],
    [{ maxUnavailable: 0, maxSurge: 0 }, 10, [0, 1]],
  ])("fenceposts %j over %i nodes", (rollingUpdate, desired, want) => {
    expect(daemonSetFenceposts(daemonSet("x", { updateStrategy: { type: "RollingUpdate", rollingUpdate } }), desired)).toEqual(want);
  });

  it("pins affinity to a node, replacing only the required terms", () => {
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "a", operator: "Exists" }] }] }, preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: {} }] }, podAntiAffinity: {} };
    expect(pinToNode(affinity, "n1")).toEqual({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["n1"] }] }] }, preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: {} }] },
      podAntiAffinity: {},
    });
    expect(pinToNode(undefined, "n1").nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values).toEqual(["n1"]);
  });
});
