import { describe, expect, it } from "vitest";
import { systemUser } from "../../src/sandbox/sandbox";
import { selectEverything } from "../../src/registry/selection";
import { formatTime } from "../../src/registry/clock";
import type { KObject } from "../../src/registry/types";
import { compareForDeletion, podsToDelete, replicaSetKeysForPod, replicaSetReconciler } from "../../src/controlplane/controllers/replicaset";
import {
  computeHash,
  deploymentKeysForReplicaSet,
  deploymentReconciler,
  maxSurge,
  maxUnavailable,
  proportionalSizes,
  POD_TEMPLATE_HASH,
  resolveFenceposts,
  REVISION,
} from "../../src/controlplane/controllers/deployment";
import { controllerOwnerKey } from "../../src/controlplane/controllers/workloads";
import { quietSandbox, T0 } from "./support/cluster";

// ---------------------------------------------------------------------------------------------
// A sandbox whose own control plane never runs: the test drives the reconcilers by hand.

async function world() {
  const { clock, registry } = await quietSandbox();
  const deps = { registry, user: systemUser, now: () => clock.now() };
  const rsc = replicaSetReconciler(deps);
  const dc = deploymentReconciler(deps);
  const pods = registry.resource("", "pods");
  const rss = registry.resource("apps", "replicasets");
  const deploys = registry.resource("apps", "deployments");
  const events = registry.resource("", "events");
  const list = (store: typeof pods) => store.list("default", { selection: selectEverything }).items;
  const w = {
    clock,
    registry,
    pods,
    rss,
    deploys,
    rsc,
    dc,
    podList: () => list(pods).filter((p) => !p.metadata.deletionTimestamp),
    rsList: () => list(rss),
    events: (reason?: string) => list(events).filter((e) => !reason || e.reason === reason).map((e) => e.message as string),
    /** Every resourceVersion in the namespace, to prove a pass wrote nothing. */
    snapshot: () => [...list(pods), ...list(rss), ...list(deploys), ...list(events)].map((o) => `${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`).sort(),
    /** Runs the deployment and replicaset reconcilers until nothing changes. */
    async settle(rounds = 20) {
      for (let i = 0; i < rounds; i++) {
        const before = w.snapshot().join();
        for (const d of list(deploys)) await dc(`default/${d.metadata.name}`);
        for (const rs of list(rss)) await rsc(`default/${rs.metadata.name}`);
        if (w.snapshot().join() === before) return;
      }
      throw new Error("did not settle");
    },
    /** Marks pods Running and Ready (as the kubelet would), by name filter. */
    async makeReady(filter: (p: KObject) => boolean = () => true) {
      for (const p of w.podList().filter(filter)) {
        if (p.status?.conditions?.some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True")) continue;
        await pods.patch("default", p.metadata.name!, (c) => ({ ...c, status: readyStatus(clock.now()) }), { user: systemUser, subresource: "status" });
      }
    },
  };
  return w;
}

function readyStatus(now: number, ready = true) {
  const t = formatTime(now);
  return {
    phase: "Running",
    conditions: [
      { type: "Ready", status: ready ? "True" : "False", lastProbeTime: null, lastTransitionTime: t },
      { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: t },
    ],
  };
}

function replicaSet(name: string, replicas: number, opts: { app?: string; minReadySeconds?: number } = {}): KObject {
  const app = opts.app ?? name;
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name },
    spec: {
      replicas,
      ...(opts.minReadySeconds ? { minReadySeconds: opts.minReadySeconds } : {}),
      selector: { matchLabels: { app } },
      template: { metadata: { labels: { app }, annotations: { note: "x" } }, spec: { containers: [{ name: "main", image: "nginx:1.27" }] } },
    },
  };
}

function deployment(name: string, replicas: number, opts: { image?: string; strategy?: unknown; minReadySeconds?: number; progressDeadlineSeconds?: number } = {}): KObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      ...(opts.strategy ? { strategy: opts.strategy } : {}),
      ...(opts.minReadySeconds ? { minReadySeconds: opts.minReadySeconds } : {}),
      ...(opts.progressDeadlineSeconds ? { progressDeadlineSeconds: opts.progressDeadlineSeconds } : {}),
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "main", image: opts.image ?? "nginx:1.27" }] } },
    },
  };
}

const user = { user: systemUser };
const setImage = (image: string) => (d: KObject) => {
  d.spec.template.spec.containers[0].image = image;
  return d;
};

// ---------------------------------------------------------------------------------------------

describe("ReplicaSet controller", () => {
  it("creates spec.replicas pods from the template with a controller ref, events and status", async () => {
    const w = await world();
    const rs = await w.rss.create("default", replicaSet("web", 3), user);
    await w.rsc("default/web");
    const pods = w.podList();
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^web-/);
      expect(p.metadata.labels).toEqual({ app: "web" });
      expect(p.metadata.annotations).toEqual({ note: "x" });
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    expect(w.events("SuccessfulCreate").sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
    expect(w.rss.get("default", "web").status).toEqual({ replicas: 3, fullyLabeledReplicas: 3, observedGeneration: 1 });
  });

  it("is idempotent: a second reconcile writes nothing", async () => {
    const w = await world();
    await w.rss.create("default", replicaSet("web", 2), user);
    await w.rsc("default/web");
    const before = w.snapshot();
    await w.rsc("default/web");
    expect(w.snapshot()).toEqual(before);
  });

  it("counts ready and available pods, honouring minReadySeconds with a requeue", async () => {
    const w = await world();
    await w.rss.create("default", replicaSet("web", 2, { minReadySeconds: 10 }), user);
    await w.rsc("default/web");
    await w.makeReady();
    const result = await w.rsc("default/web");
    expect(w.rss.get("default", "web").status).toMatchObject({ replicas: 2, readyReplicas: 2 });
    expect(w.rss.get("default", "web").status.availableReplicas).toBeUndefined();
    expect(result).toEqual({ requeueAfterMs: 10_001 });
    w.clock.advance(10_000);
    await w.rsc("default/web");
    expect(w.rss.get("default", "web").status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2 });
  });

  it("scales down in upstream's preference order", async () => {
    const w = await world();
    await w.rss.create("default", replicaSet("web", 4), user);
    await w.rsc("default/web");
    const [a, b, c, d] = w.podList().map((p) => p.metadata.name!);
    // a: scheduled+running+ready; b: scheduled+running not ready; c: unscheduled pending; d: scheduled+running+ready with restarts.
    const setStatus = (name: string, status: unknown, nodeName?: string) =>
      w.pods.patch("default", name, (p) => ({ ...p, spec: nodeName ? { ...p.spec, nodeName } : p.spec, status }), { user: systemUser, subresource: nodeName ? "binding" : "status" });
    await setStatus(a, readyStatus(w.clock.now()), "node-1");
    await setStatus(b, readyStatus(w.clock.now(), false), "node-1");
    await setStatus(d, { ...readyStatus(w.clock.now()), containerStatuses: [{ name: "main", restartCount: 3 }] }, "node-1");
    // Scaled one at a time, since events list by name, not by time.
    const remaining: string[][] = [];
    for (const replicas of [3, 2, 1]) {
      await w.rss.patch("default", "web", (r) => ({ ...r, spec: { ...r.spec, replicas } }), user);
      await w.rsc("default/web");
      remaining.push(w.podList().map((p) => p.metadata.name!));
    }
    expect(remaining).toEqual([[a, b, d], [a, d], [a]]);
    expect(w.events("SuccessfulDelete").sort()).toEqual([`Deleted pod: ${b}`, `Deleted pod: ${c}`, `Deleted pod: ${d}`].sort());
    expect(w.podList().map((p) => p.metadata.name)).toEqual([a]);
    expect(w.rss.get("default", "web").status).toMatchObject({ replicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 4 });
  });

  it.each([
    ["unscheduled before scheduled", { spec: {} }, { spec: { nodeName: "n" } }],
    ["pending before running", { spec: { nodeName: "n" }, status: { phase: "Pending" } }, { spec: { nodeName: "n" }, status: { phase: "Running" } }],
    ["not ready before ready", { spec: { nodeName: "n" }, status: readyStatus(T0, false) }, { spec: { nodeName: "n" }, status: readyStatus(T0) }],
    ["more restarts first", { spec: { nodeName: "n" }, status: { phase: "Running", containerStatuses: [{ restartCount: 2 }] } }, { spec: { nodeName: "n" }, status: { phase: "Running" } }],
    ["newer first", { metadata: { creationTimestamp: "2026-01-02T00:00:10Z" } }, { metadata: { creationTimestamp: "2026-01-02T00:00:00Z" } }],
  ])("deletion order: %s", (_, first, second) => {
    const mk = (name: string, o: Record<string, any>): KObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name, ...o.metadata }, spec: o.spec ?? {}, status: o.status });
    const x = mk("x", first);
    const y = mk("y", second);
    expect(compareForDeletion(x, y)).toBeLessThan(0);
    expect(podsToDelete([y, x], 1)).toEqual([x]);
  });

  it("adopts matching orphans and creates only the rest", async () => {
    const w = await world();
    await w.pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "orphan", labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "nginx" }] } }, user);
    await w.pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "other", labels: { app: "db" } }, spec: { containers: [{ name: "c", image: "nginx" }] } }, user);
    const rs = await w.rss.create("default", replicaSet("web", 2), user);
    await w.rsc("default/web");
    expect(w.pods.get("default", "orphan").metadata.ownerReferences?.[0]).toMatchObject({ kind: "ReplicaSet", uid: rs.metadata.uid, controller: true });
    expect(w.pods.get("default", "other").metadata.ownerReferences).toBeUndefined();
    expect(w.podList().filter((p) => p.metadata.labels?.app === "web")).toHaveLength(2);
    expect(w.events("SuccessfulCreate")).toHaveLength(1);
  });

  it("maps pod events to ReplicaSet keys", async () => {
    const rs = { ...replicaSet("web", 1), metadata: { name: "web", namespace: "default", uid: "u1" } };
    const owned: KObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default", labels: { app: "web" }, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: "u1", controller: true }] } };
    const orphan: KObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "q", namespace: "default", labels: { app: "web" } } };
    expect(replicaSetKeysForPod(owned, [])).toEqual(["default/web"]);
    expect(controllerOwnerKey(owned, "ReplicaSet")).toBe("default/web");
    expect(controllerOwnerKey(owned, "Job")).toBeNull();
    expect(replicaSetKeysForPod(orphan, [rs])).toEqual(["default/web"]);
    expect(deploymentKeysForReplicaSet(rs, [])).toEqual([]);
  });
});

describe("Deployment controller", () => {
  it.each([
    [10, "25%", "25%", 3, 2],
    [4, "25%", "25%", 1, 1],
    [3, "25%", "25%", 1, 0],
    [1, 0, 0, 0, 1],
    [10, "50%", 2, 5, 2],
  ])("fenceposts for %i replicas, surge %s, unavailable %s → %i / %i", (replicas, surge, unavail, s, u) => {
    expect(resolveFenceposts(surge, unavail, replicas)).toEqual([s, u]);
    const d = deployment("x", replicas, { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: surge, maxUnavailable: unavail } } });
    expect(maxSurge(d)).toBe(s);
    expect(maxUnavailable(d)).toBe(Math.min(u, replicas));
  });

  it("hashes templates deterministically", () => {
    const t = deployment("x", 1).spec.template;
    expect(computeHash(t)).toBe(computeHash(structuredClone(t)));
    expect(computeHash(t)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(computeHash(t)).not.toBe(computeHash(t, 1));
    expect(computeHash(t)).not.toBe(computeHash(setImage("nginx:1.28")(structuredClone({ spec: { template: t } }) as unknown as KObject).spec.template));
  });

  it("creates its ReplicaSet with the hash label, revision 1 and a complete status", async () => {
    const w = await world();
    await w.deploys.create("default", deployment("web", 3), user);
    await w.settle();
    const [rs] = w.rsList();
    const hash = rs.metadata.labels![POD_TEMPLATE_HASH];
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.spec.selector.matchLabels).toEqual({ app: "web", [POD_TEMPLATE_HASH]: hash });
    expect(rs.spec.template.metadata.labels).toEqual({ app: "web", [POD_TEMPLATE_HASH]: hash });
    expect(rs.metadata.annotations).toMatchObject({ [REVISION]: "1", "deployment.kubernetes.io/desired-replicas": "3", "deployment.kubernetes.io/max-replicas": "4" });
    expect(rs.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Deployment", name: "web", controller: true });
    expect(w.podList().every((p) => p.metadata.labels?.[POD_TEMPLATE_HASH] === hash)).toBe(true);
    expect(w.events("ScalingReplicaSet")).toEqual([`Scaled up replica set ${rs.metadata.name} to 3`]);
    let d = w.deploys.get("default", "web");
    expect(d.metadata.annotations?.[REVISION]).toBe("1");
    expect(d.metadata.generation).toBe(1); // the revision annotation is written through status, as upstream
    expect(d.status).toMatchObject({ replicas: 3, updatedReplicas: 3, unavailableReplicas: 3, observedGeneration: d.metadata.generation });
    expect(condition(d, "Available")).toMatchObject({ status: "False", reason: "MinimumReplicasUnavailable" });
    expect(condition(d, "Progressing")).toMatchObject({ status: "True" });
    await w.makeReady();
    await w.settle();
    d = w.deploys.get("default", "web");
    expect(d.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(d.status.unavailableReplicas).toBeUndefined();
    expect(rolloutDone(d)).toBe(true);
    expect(condition(d, "Available")).toMatchObject({ status: "True", reason: "MinimumReplicasAvailable", message: "Deployment has minimum availability." });
    expect(condition(d, "Progressing")).toMatchObject({ status: "True", reason: "NewReplicaSetAvailable", message: `ReplicaSet "${rs.metadata.name}" has successfully progressed.` });
    // Idempotent once settled.
    const before = w.snapshot();
    await w.dc("default/web");
    await w.rsc(`default/${rs.metadata.name}`);
    expect(w.snapshot()).toEqual(before);
  });

  it("rolls a template change within maxSurge/maxUnavailable, then rolls back to revision 3 reusing the old ReplicaSet", async () => {
    const w = await world();
    await w.deploys.create("default", deployment("web", 4, { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }), user);
    await w.settle();
    await w.makeReady();
    await w.settle();
    const [first] = w.rsList();
    await w.deploys.patch("default", "web", setImage("nginx:1.28"), user);
    await w.settle();
    expect(w.rsList()).toHaveLength(2);
    const second = w.rsList().find((r) => r.metadata.name !== first.metadata.name)!;
    expect(second.metadata.annotations?.[REVISION]).toBe("2");
    expect(w.deploys.get("default", "web").metadata.annotations?.[REVISION]).toBe("2");
    expect(rolloutDone(w.deploys.get("default", "web"))).toBe(false);
    // First step, nothing new available yet: old 4 → 3, new 0 → 1 → 2 (5 pods, 3 available).
    expect(w.rss.get("default", first.metadata.name!).spec.replicas).toBe(3);
    expect(w.rss.get("default", second.metadata.name!).spec.replicas).toBe(2);
    expect(condition(w.deploys.get("default", "web"), "Progressing")).toMatchObject({ status: "True", reason: "ReplicaSetUpdated" });
    // Step by step: total pods ≤ 4 + 1 and available ≥ 4 − 1 at every point.
    for (let step = 0; step < 10; step++) {
      const sizes = w.rsList().map((r) => r.spec.replicas as number);
      expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(5);
      const available = w.rsList().reduce((n, r) => n + (r.status?.availableReplicas ?? 0), 0);
      expect(available).toBeGreaterThanOrEqual(3);
      if (rolloutDone(w.deploys.get("default", "web"))) break;
      await w.makeReady();
      await w.settle();
    }
    const d = w.deploys.get("default", "web");
    expect(rolloutDone(d)).toBe(true);
    expect(w.rss.get("default", first.metadata.name!).spec.replicas).toBe(0);
    expect(w.rss.get("default", second.metadata.name!).spec.replicas).toBe(4);
    expect(w.podList().every((p) => p.spec.containers[0].image === "nginx:1.28")).toBe(true);
    expect(w.events("ScalingReplicaSet")).toContain(`Scaled down replica set ${first.metadata.name} to 3 from 4`);

    // kubectl rollout undo: the old template comes back.
    await w.deploys.patch("default", "web", setImage("nginx:1.27"), user);
    await w.settle();
    expect(w.rsList()).toHaveLength(2);
    expect(w.rss.get("default", first.metadata.name!).metadata.annotations).toMatchObject({ [REVISION]: "3", "deployment.kubernetes.io/revision-history": "1" });
    expect(w.deploys.get("default", "web").metadata.annotations?.[REVISION]).toBe("3");
    for (let step = 0; step < 10 && !rolloutDone(w.deploys.get("default", "web")); step++) {
      await w.makeReady();
      await w.settle();
    }
    expect(rolloutDone(w.deploys.get("default", "web"))).toBe(true);
    expect(w.rss.get("default", first.metadata.name!).spec.replicas).toBe(4);
    expect(w.rss.get("default", second.metadata.name!).spec.replicas).toBe(0);
  });

  it("scales a settled Deployment through its ReplicaSet", async () => {
    const w = await world();
    await w.deploys.create("default", deployment("web", 3), user);
    await w.settle();
    const [rs] = w.rsList();
    await w.deploys.patch("default", "web", (d) => ({ ...d, spec: { ...d.spec, replicas: 5 } }), user);
    await w.settle();
    expect(w.rss.get("default", rs.metadata.name!).spec.replicas).toBe(5);
    expect(w.rss.get("default", rs.metadata.name!).metadata.annotations).toMatchObject({ "deployment.kubernetes.io/desired-replicas": "5", "deployment.kubernetes.io/max-replicas": "7" });
    expect(w.events("ScalingReplicaSet")).toContain(`Scaled up replica set ${rs.metadata.name} to 5 from 3`);
    expect(w.podList()).toHaveLength(5);
  });

  it("scales proportionally in the middle of a rollout", () => {
    const mk = (name: string, replicas: number, created: string, max: number): KObject => ({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name, creationTimestamp: created, annotations: { "deployment.kubernetes.io/max-replicas": String(max) } },
      spec: { replicas },
    });
    // Upstream's example: 10 replicas, maxSurge 3 → 13 pods (8 old + 5 new); scaled to 15 (+3 surge = 18).
    const d = deployment("web", 15, { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } });
    const old = mk("old", 8, "2026-01-01T00:00:00Z", 13);
    const neu = mk("new", 5, "2026-01-01T00:01:00Z", 13);
    const sizes = proportionalSizes(d, neu, [old]).map(([rs, n]) => [rs.metadata.name, n]);
    expect(sizes).toEqual([["old", 11], ["new", 7]]);
  });

  it("Recreate scales the old ReplicaSet to 0 before creating the new one", async () => {
    const w = await world();
    await w.deploys.create("default", deployment("web", 2, { strategy: { type: "Recreate" } }), user);
    await w.settle();
    await w.makeReady();
    await w.settle();
    const [first] = w.rsList();
    await w.deploys.patch("default", "web", setImage("nginx:1.28"), user);
    await w.dc("default/web");
    expect(w.rsList()).toHaveLength(1);
    expect(w.rss.get("default", first.metadata.name!).spec.replicas).toBe(0);
    await w.settle();
    expect(w.rsList()).toHaveLength(2);
    const second = w.rsList().find((r) => r.metadata.name !== first.metadata.name)!;
    expect(second.spec.replicas).toBe(2);
    expect(w.podList().every((p) => p.spec.containers[0].image === "nginx:1.28")).toBe(true);
    await w.makeReady();
    await w.settle();
    expect(rolloutDone(w.deploys.get("default", "web"))).toBe(true);
  });

  it("paused stops the rollout; resuming continues it", async () => {
    const w = await world();
    await w.deploys.create("default", deployment("web", 2), user);
    await w.settle();
    await w.makeReady();
    await w.settle();
    await w.deploys.patch("default", "web", (d) => ({ ...setImage("nginx:1.28")(d), spec: { ...d.spec, paused: true } }), user);
    await w.settle();
    expect(w.rsList()).toHaveLength(1);
    expect(condition(w.deploys.get("default", "web"), "Progressing")).toMatchObject({ status: "Unknown", reason: "DeploymentPaused" });
    await w.deploys.patch("default", "web", (d) => ({ ...d, spec: { ...d.spec, paused: false } }), user);
    await w.settle();
    expect(w.rsList()).toHaveLength(2);
  });

  it("reports ProgressDeadlineExceeded after progressDeadlineSeconds without progress", async () => {
    const w = await world();
    await w.deploys.create("default", deployment("web", 1, { progressDeadlineSeconds: 30 }), user);
    await w.settle();
    const result = await w.dc("default/web");
    expect(result).toMatchObject({ requeueAfterMs: expect.any(Number) });
    w.clock.advance(31_000);
    await w.dc("default/web");
    const d = w.deploys.get("default", "web");
    expect(condition(d, "Progressing")).toMatchObject({ status: "False", reason: "ProgressDeadlineExceeded" });
  });

  it("deletes old ReplicaSets beyond revisionHistoryLimit", async () => {
    const w = await world();
    const d = deployment("web", 1);
    d.spec.revisionHistoryLimit = 1;
    await w.deploys.create("default", d, user);
    for (const image of ["nginx:1.27", "nginx:1.28", "nginx:1.29"]) {
      await w.deploys.patch("default", "web", setImage(image), user);
      for (let i = 0; i < 6 && !rolloutDone(w.deploys.get("default", "web")); i++) {
        await w.settle();
        await w.makeReady();
      }
      await w.settle();
    }
    expect(w.rsList().map((r) => r.metadata.annotations?.[REVISION]).sort()).toEqual(["2", "3"]);
  });
});

function condition(d: KObject, type: string) {
  return (d.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
}

/** What `kubectl rollout status deployment` checks. */
function rolloutDone(d: KObject): boolean {
  const s = d.status ?? {};
  return (
    (d.metadata.generation ?? 0) <= (s.observedGeneration ?? 0) &&
    (s.updatedReplicas ?? 0) >= d.spec.replicas &&
    (s.replicas ?? 0) <= (s.updatedReplicas ?? 0) &&
    (s.availableReplicas ?? 0) >= (s.updatedReplicas ?? 0)
  );
}
