import { describe, expect, it } from "vitest";
import { systemUser } from "../../src/sandbox/sandbox";
import { selectEverything } from "../../src/registry/selection";
import { formatTime } from "../../src/registry/clock";
import type { KObject } from "../../src/registry/types";
import {
  DELETION_TIMEOUT_MS,
  disruptionKeysForPod,
  disruptionReconciler,
  STALE_POD_DISRUPTION_TIMEOUT_MS,
  staleDisruptionKeyForPod,
  staleDisruptionReconciler,
} from "../../src/controlplane/controllers/disruption";
import { newControllerRef } from "../../src/controlplane/controllers/workloads";
import { podDisruptionBudgetStrategy } from "../../src/registry/kinds/poddisruptionbudget";
import { quietSandbox, T0 } from "./support/cluster";

// A sandbox whose control plane never runs: the test writes the workloads and their pods (as the
// workload controllers and kubelets would) and drives the disruption controller by hand.
async function world() {
  const { clock, registry } = await quietSandbox();
  const reconcile = disruptionReconciler({ registry, user: systemUser, now: () => clock.now() });
  const store = (group: string, resource: string) => registry.resource(group, resource);
  const pdbs = store("policy", "poddisruptionbudgets");
  const opts = { user: systemUser };
  const w = {
    clock,
    registry,
    reconcile,
    pdbs,
    store,
    pdb: (name = "web") => pdbs.get("default", name),
    /** A workload object (apps/v1) with the given replicas, selecting app=web. */
    async workload(kind: "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet", name: string, replicas: number, owner?: KObject) {
      const resource = `${kind.toLowerCase()}s`;
      const body: KObject = {
        apiVersion: "apps/v1",
        kind,
        metadata: { name, ...(owner ? { ownerReferences: [newControllerRef(owner)] } : {}) },
        spec: {
          ...(kind === "DaemonSet" ? {} : { replicas }),
          ...(kind === "StatefulSet" ? { serviceName: name } : {}),
          selector: { matchLabels: { app: "web" } },
          template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "main", image: "nginx" }] } },
        },
      };
      return store("apps", resource).create("default", body, opts);
    },
    /** A pod labelled app=web, Running, Ready unless said otherwise. */
    async pod(name: string, opts2: { owner?: KObject; ready?: boolean; labels?: Record<string, string>; namespace?: string } = {}) {
      const ns = opts2.namespace ?? "default";
      const pods = store("", "pods");
      await pods.create(
        ns,
        {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name, labels: opts2.labels ?? { app: "web" }, ...(opts2.owner ? { ownerReferences: [newControllerRef(opts2.owner)] } : {}) },
          spec: { nodeName: "worker-1", containers: [{ name: "main", image: "nginx" }] },
        },
        opts,
      );
      const ready = opts2.ready ?? true;
      return pods.patch(ns, name, (p) => ({ ...p, status: { ...p.status, phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] } }), {
        ...opts,
        subresource: "status",
      });
    },
    budget: (spec: Record<string, unknown>, name = "web") =>
      pdbs.create("default", { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name }, spec: { selector: { matchLabels: { app: "web" } }, ...spec } }, opts),
    events: (reason: string) =>
      store("", "events")
        .list("default", { selection: selectEverything })
        .items.filter((e) => e.reason === reason)
        .map((e) => `${e.involvedObject.kind}/${e.involvedObject.name} ${e.type}: ${e.message}`),
    /** Reconciles twice: the second pass must write nothing. */
    async settle(key = "default/web") {
      const first = await reconcile(key);
      const rv = w.pdb(key.split("/")[1]).metadata.resourceVersion;
      const eventCount = store("", "events").list("default", { selection: selectEverything }).items.length;
      const second = await reconcile(key);
      expect(w.pdb(key.split("/")[1]).metadata.resourceVersion).toBe(rv);
      expect(store("", "events").list("default", { selection: selectEverything }).items.length).toBe(eventCount);
      return first ?? second;
    },
  };
  return w;
}

const counts = (pdb: KObject) => {
  const { currentHealthy, desiredHealthy, expectedPods, disruptionsAllowed } = pdb.status;
  return { currentHealthy, desiredHealthy, expectedPods, disruptionsAllowed };
};
const allowedCondition = (pdb: KObject) => pdb.status.conditions.find((c: { type: string }) => c.type === "DisruptionAllowed");

async function threeReplicaSet(w: Awaited<ReturnType<typeof world>>) {
  const rs = await w.workload("ReplicaSet", "web-rs", 3);
  for (const i of [0, 1, 2]) await w.pod(`web-${i}`, { owner: rs });
  return rs;
}

describe("PodDisruptionBudget status", () => {
  it("a 3-replica ReplicaSet under minAvailable 2 allows one disruption", async () => {
    const w = await world();
    await threeReplicaSet(w);
    await w.budget({ minAvailable: 2 });
    await w.settle();
    const pdb = w.pdb();
    expect(counts(pdb)).toEqual({ currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1 });
    expect(pdb.status.observedGeneration).toBe(1);
    expect(pdb.status.conditions).toEqual([
      { type: "DisruptionAllowed", status: "True", observedGeneration: 1, lastTransitionTime: formatTime(T0), reason: "SufficientPods", message: "" },
    ]);
  });

  it("a 3-replica ReplicaSet under maxUnavailable 1 allows one disruption, counting the ReplicaSet's replicas", async () => {
    const w = await world();
    await threeReplicaSet(w);
    await w.budget({ maxUnavailable: 1 });
    await w.settle();
    expect(counts(w.pdb())).toEqual({ currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1 });
  });

  it("expects the replicas of the workload scale: a wanted pod not yet there uses up maxUnavailable", async () => {
    const w = await world();
    const rs = await w.workload("ReplicaSet", "web-rs", 4);
    for (const i of [0, 1, 2]) await w.pod(`web-${i}`, { owner: rs });
    await w.budget({ maxUnavailable: 1 });
    await w.settle();
    expect(counts(w.pdb())).toEqual({ currentHealthy: 3, desiredHealthy: 3, expectedPods: 4, disruptionsAllowed: 0 });
    expect(allowedCondition(w.pdb())).toMatchObject({ status: "False", reason: "InsufficientPods" });
  });

  it("scales a percentage against the Deployment that owns the pods' ReplicaSet, rounding up", async () => {
    const w = await world();
    const deploy = await w.workload("Deployment", "web", 5);
    const rs = await w.workload("ReplicaSet", "web-7d9f", 5, deploy);
    for (const i of [0, 1, 2, 3, 4]) await w.pod(`web-${i}`, { owner: rs, ready: i !== 4 });
    await w.budget({ minAvailable: "50%" });
    await w.settle();
    expect(counts(w.pdb())).toEqual({ currentHealthy: 4, desiredHealthy: 3, expectedPods: 5, disruptionsAllowed: 1 });
  });

  it("uses a StatefulSet's replicas", async () => {
    const w = await world();
    const sts = await w.workload("StatefulSet", "db", 3);
    for (const i of [0, 1, 2]) await w.pod(`db-${i}`, { owner: sts });
    await w.budget({ maxUnavailable: "34%" });
    await w.settle();
    expect(counts(w.pdb())).toEqual({ currentHealthy: 3, desiredHealthy: 1, expectedPods: 3, disruptionsAllowed: 2 });
  });

  it("counts neither unready pods nor pods being deleted as healthy", async () => {
    const w = await world();
    const rs = await threeReplicaSet(w);
    await w.pod("web-3", { owner: rs, ready: false });
    await w.budget({ minAvailable: 2 });
    await w.settle();
    expect(counts(w.pdb())).toEqual({ currentHealthy: 3, desiredHealthy: 2, expectedPods: 4, disruptionsAllowed: 1 });
    await w.store("", "pods").delete("default", "web-0", { user: systemUser, gracePeriodSeconds: 30 });
    await w.settle();
    expect(counts(w.pdb())).toEqual({ currentHealthy: 2, desiredHealthy: 2, expectedPods: 4, disruptionsAllowed: 0 });
    expect(allowedCondition(w.pdb())).toMatchObject({ status: "False", reason: "InsufficientPods" });
  });

  it("flips DisruptionAllowed with a new transition time when the pods change", async () => {
    const w = await world();
    const rs = await threeReplicaSet(w);
    await w.budget({ minAvailable: 3 });
    await w.settle();
    expect(allowedCondition(w.pdb())).toMatchObject({ status: "False", reason: "InsufficientPods", lastTransitionTime: formatTime(T0) });
    w.clock.advance(60_000);
    await w.pod("web-3", { owner: rs });
    await w.settle();
    expect(counts(w.pdb())).toMatchObject({ currentHealthy: 4, expectedPods: 4, disruptionsAllowed: 1 });
    expect(allowedCondition(w.pdb())).toMatchObject({ status: "True", reason: "SufficientPods", lastTransitionTime: formatTime(T0 + 60_000) });
  });

  it("bumps observedGeneration when the spec changes", async () => {
    const w = await world();
    await threeReplicaSet(w);
    await w.budget({ minAvailable: 2 });
    await w.settle();
    await w.pdbs.patch("default", "web", (p) => ({ ...p, spec: { ...p.spec, minAvailable: 1 } }), { user: systemUser });
    expect(w.pdb().metadata.generation).toBe(2);
    await w.settle();
    expect(w.pdb().status).toMatchObject({ observedGeneration: 2, desiredHealthy: 1, disruptionsAllowed: 2 });
    expect(allowedCondition(w.pdb()).observedGeneration).toBe(2);
  });

  it("allows nothing and says NoPods while it selects no pod", async () => {
    const w = await world();
    await w.budget({ minAvailable: 0 });
    await w.settle();
    expect(counts(w.pdb())).toEqual({ currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 });
    expect(w.events("NoPods")).toEqual(["PodDisruptionBudget/web Normal: No matching pods found"]);
  });

  it("warns about pods without a controller under a scaled budget and leaves them out of expectedPods", async () => {
    const w = await world();
    const rs = await w.workload("ReplicaSet", "web-rs", 2);
    await w.pod("web-0", { owner: rs });
    await w.pod("web-1", { owner: rs });
    await w.pod("stray");
    await w.budget({ maxUnavailable: 1 });
    await w.settle();
    expect(counts(w.pdb())).toEqual({ currentHealthy: 3, desiredHealthy: 1, expectedPods: 2, disruptionsAllowed: 2 });
    expect(w.events("UnmanagedPods")).toEqual([
      "PodDisruptionBudget/web Warning: Pods selected by this PodDisruptionBudget (selector: &LabelSelector{MatchLabels:map[string]string{app: web,},MatchExpressions:[]LabelSelectorRequirement{},}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB to an integer value.",
    ]);
  });
});

describe("sync failures (failSafe)", () => {
  it("a DaemonSet has no scale: SyncFailed, no disruption allowed, and a warning", async () => {
    const w = await world();
    const ds = await w.workload("DaemonSet", "agent", 0);
    await w.pod("agent-a", { owner: ds });
    await w.pod("agent-b", { owner: ds });
    await w.budget({ maxUnavailable: 1 });
    await w.settle();
    const pdb = w.pdb();
    expect(pdb.status.disruptionsAllowed).toBe(0);
    expect(allowedCondition(pdb)).toEqual({
      type: "DisruptionAllowed",
      status: "False",
      lastTransitionTime: formatTime(T0),
      reason: "SyncFailed",
      message: "daemonsets.apps does not implement the scale subresource",
    });
    expect(w.events("CalculateExpectedPodCountFailed")).toEqual([
      "PodDisruptionBudget/web Warning: Failed to calculate the number of expected pods: daemonsets.apps does not implement the scale subresource",
    ]);
  });

  it("a pod whose controller is gone fails the sync by name", async () => {
    const w = await world();
    const rs = await w.workload("ReplicaSet", "web-rs", 1);
    await w.pod("web-0", { owner: rs });
    await w.pdbs.create("default", { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "web" }, spec: { minAvailable: "100%", selector: { matchLabels: { app: "web" } } } }, { user: systemUser });
    // The ReplicaSet goes (orphan deletion) while its pod stays.
    await w.store("apps", "replicasets").delete("default", "web-rs", { user: systemUser });
    await w.settle();
    expect(allowedCondition(w.pdb())).toMatchObject({ status: "False", reason: "SyncFailed", message: 'found no controllers for pod "web-0"' });
  });
});

describe("disruptedPods (evictions the API approved)", () => {
  it("keeps a just-evicted pod out of currentHealthy until the deletion timeout, then drops it with NotDeleted", async () => {
    const w = await world();
    await threeReplicaSet(w);
    await w.budget({ minAvailable: 2 });
    await w.settle();
    // What the eviction subresource writes when it approves evicting web-0.
    await w.pdbs.patch("default", "web", (p) => ({ ...p, status: { ...p.status, disruptionsAllowed: 0, disruptedPods: { "web-0": formatTime(T0) } } }), {
      user: systemUser,
      subresource: "status",
    });
    const result = await w.settle();
    expect(result).toEqual({ requeueAfterMs: DELETION_TIMEOUT_MS });
    expect(w.pdb().status).toMatchObject({ currentHealthy: 2, disruptionsAllowed: 0, disruptedPods: { "web-0": formatTime(T0) } });

    w.clock.advance(DELETION_TIMEOUT_MS + 1_000);
    expect(await w.settle()).toBeUndefined();
    expect(w.pdb().status.disruptedPods).toBeUndefined();
    expect(counts(w.pdb())).toMatchObject({ currentHealthy: 3, disruptionsAllowed: 1 });
    expect(w.events("NotDeleted")).toEqual(["Pod/web-0 Warning: Pod was expected by PDB default/default to be deleted but it wasn't"]);
  });

  it("forgets the entry of a pod that is being deleted", async () => {
    const w = await world();
    await threeReplicaSet(w);
    await w.budget({ minAvailable: 2 });
    await w.settle();
    await w.pdbs.patch("default", "web", (p) => ({ ...p, status: { ...p.status, disruptedPods: { "web-0": formatTime(T0) } } }), { user: systemUser, subresource: "status" });
    await w.store("", "pods").delete("default", "web-0", { user: systemUser, gracePeriodSeconds: 30 });
    expect(await w.settle()).toBeUndefined();
    expect(w.pdb().status.disruptedPods).toBeUndefined();
    expect(counts(w.pdb())).toMatchObject({ currentHealthy: 2, disruptionsAllowed: 0 });
    expect(w.events("NotDeleted")).toEqual([]);
  });
});

describe("stale DisruptionTarget conditions", () => {
  const disrupted = (reason: string) => ({ type: "DisruptionTarget", status: "True", lastProbeTime: null, lastTransitionTime: formatTime(T0), reason, message: "Eviction API: evicting" });

  it("resets an eviction's condition to False once it has stood for the timeout on a pod that was not deleted", async () => {
    const w = await world();
    const cleanup = staleDisruptionReconciler({ registry: w.registry, user: systemUser, now: () => w.clock.now() });
    const pods = w.store("", "pods");
    await w.pod("web-0");
    await pods.patch("default", "web-0", (p) => ({ ...p, status: { ...p.status, conditions: [...p.status.conditions, disrupted("EvictionByEvictionAPI")] } }), {
      user: systemUser,
      subresource: "status",
    });
    w.clock.advance(30_000);
    expect(await cleanup("default/web-0")).toEqual({ requeueAfterMs: STALE_POD_DISRUPTION_TIMEOUT_MS - 30_000 });
    expect(pods.get("default", "web-0").status.conditions[1]).toMatchObject({ status: "True" });

    w.clock.advance(STALE_POD_DISRUPTION_TIMEOUT_MS - 30_000);
    expect(await cleanup("default/web-0")).toBeUndefined();
    const cleaned = pods.get("default", "web-0");
    expect(cleaned.status.conditions[1]).toEqual({ type: "DisruptionTarget", status: "False", lastProbeTime: null, lastTransitionTime: formatTime(T0 + STALE_POD_DISRUPTION_TIMEOUT_MS) });
    expect(staleDisruptionKeyForPod(cleaned)).toBeNull();
    await cleanup("default/web-0");
    expect(pods.get("default", "web-0").metadata.resourceVersion).toBe(cleaned.metadata.resourceVersion);
  });

  it("maps only pods that carry an eviction's condition and are not going anyway", () => {
    const pod = (conditions: unknown[], extra: Record<string, unknown> = {}): KObject => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "web-0", namespace: "default", ...extra },
      status: { phase: "Running", conditions },
    });
    expect(staleDisruptionKeyForPod(pod([disrupted("EvictionByEvictionAPI")]))).toBe("default/web-0");
    expect(staleDisruptionKeyForPod(pod([disrupted("TerminationByKubelet")]))).toBeNull();
    expect(staleDisruptionKeyForPod(pod([disrupted("EvictionByEvictionAPI")], { deletionTimestamp: formatTime(T0) }))).toBeNull();
    expect(staleDisruptionKeyForPod(pod([{ type: "Ready", status: "True" }]))).toBeNull();
  });
});

describe("watch mapping", () => {
  it("a pod enqueues the budgets of its namespace whose non-empty selector matches it", () => {
    const budget = (name: string, selector: unknown, namespace = "default"): KObject => ({ apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name, namespace }, spec: { selector } });
    const pod: KObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "web-0", namespace: "default", labels: { app: "web", tier: "front" } } };
    const budgets = [
      budget("by-app", { matchLabels: { app: "web" } }),
      budget("by-tier", { matchExpressions: [{ key: "tier", operator: "In", values: ["front"] }] }),
      budget("other-app", { matchLabels: { app: "db" } }),
      budget("elsewhere", { matchLabels: { app: "web" } }, "prod"),
      budget("empty", {}),
      budget("none", undefined),
    ];
    expect(disruptionKeysForPod(pod, budgets)).toEqual(["default/by-app", "default/by-tier"]);
  });
});

describe("the PodDisruptionBudget kind", () => {
  it("prints MIN AVAILABLE, MAX UNAVAILABLE, ALLOWED DISRUPTIONS, AGE", async () => {
    const w = await world();
    await w.budget({ minAvailable: 2 }, "by-count");
    await w.budget({ maxUnavailable: "25%" }, "by-percent");
    const { columns, cells } = podDisruptionBudgetStrategy.table!;
    expect(columns.map((c) => c.name)).toEqual(["Min Available", "Max Unavailable", "Allowed Disruptions", "Age"]);
    const now = new Date(T0 + 90_000);
    expect(cells(w.pdb("by-count"), now)).toEqual(["2", "N/A", 0, "90s"]);
    expect(cells(w.pdb("by-percent"), now)).toEqual(["N/A", "25%", 0, "90s"]);
  });

  it("starts with a zero status and refuses to take both bounds, with upstream's messages", async () => {
    const w = await world();
    const created = await w.budget({ minAvailable: 1, status: undefined });
    expect(created.status).toEqual({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
    await expect(w.budget({ minAvailable: 1, maxUnavailable: "120%" }, "both")).rejects.toMatchObject({
      code: 422,
      message:
        'PodDisruptionBudget.policy "both" is invalid: [spec.minAvailable: Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:(*intstr.IntOrString)(0xc00001000), Selector:(*v1.LabelSelector)(0xc00001020), MaxUnavailable:(*intstr.IntOrString)(0xc00001040), UnhealthyPodEvictionPolicy:(*policy.UnhealthyPodEvictionPolicyType)(nil)}: minAvailable and maxUnavailable cannot be both set, spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%]',
    });
    await expect(w.budget({ minAvailable: -1, unhealthyPodEvictionPolicy: "Never" }, "bad")).rejects.toMatchObject({
      message:
        'PodDisruptionBudget.policy "bad" is invalid: [spec.minAvailable: Invalid value: -1: must be greater than or equal to 0, spec.unhealthyPodEvictionPolicy: Unsupported value: "Never": supported values: "AlwaysAllow", "IfHealthyBudget"]',
    });
  });
});
