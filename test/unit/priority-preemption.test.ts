/**
 * Pod priority end to end as a kubectl user sees it: the Priority admission (priorityClassName →
 * spec.priority / spec.preemptionPolicy, unknown classes forbidden, the global default) and the
 * scheduler's preemption — victims marked DisruptionTarget, a `Preempted` event, deleted; the
 * preemptor nominated (NOMINATED NODE) and bound there once its victims are gone.
 */
import { describe, expect, it } from "vitest";
import { StatusError } from "../../src/apiserver/status";
import { systemUser } from "../../src/sandbox/sandbox";
import { selectEverything } from "../../src/registry/selection";
import type { KObject } from "../../src/registry/types";
import { applyBinding, podStrategy } from "../../src/registry/kinds/pod";
import { SchedulerCache } from "../../src/controlplane/scheduler";
import { schedulerReconciler, type SchedulerDeps } from "../../src/controlplane/controllers/scheduler";
import { quietSandbox } from "./support/cluster";

const user = { user: systemUser };

function pc(name: string, value: number, body: Record<string, unknown> = {}): KObject {
  return { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name }, value, ...body };
}

function pod(name: string, opts: { cpu?: string; className?: string; spec?: Record<string, unknown>; generateName?: string } = {}): KObject {
  const resources = opts.cpu ? { requests: { cpu: opts.cpu } } : {};
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: opts.generateName ? { generateName: opts.generateName } : { name },
    spec: { containers: [{ name: "main", image: "nginx:1.27", resources }], ...(opts.className ? { priorityClassName: opts.className } : {}), ...opts.spec },
  };
}

/**
 * A quiet sandbox (control-plane + worker-1 + worker-2, 4 CPUs each) with classes low (100),
 * mid (500), high (1000) and polite (1000, Never). The test plays the watches (a fresh scheduler
 * cache per cycle) and the kubelet (start times, finishing terminations).
 */
async function world() {
  const { clock, registry } = await quietSandbox();
  const pods = registry.resource("", "pods");
  const nodes = registry.resource("", "nodes");
  const events = registry.resource("", "events");
  const pcs = registry.resource("scheduling.k8s.io", "priorityclasses");
  for (const c of [pc("low", 100), pc("mid", 500), pc("high", 1000), pc("polite", 1000, { preemptionPolicy: "Never" })]) await pcs.create("", c, user);
  const freshCache = () => {
    const cache = new SchedulerCache();
    for (const n of nodes.list("", { selection: selectEverything }).items) cache.setNode(n);
    for (const p of pods.list("", { selection: selectEverything }).items) cache.setPod(p);
    return cache;
  };
  const deps: SchedulerDeps = { registry, user: systemUser, now: () => clock.now(), diagnostics: new Map(), cache: freshCache() };
  const reconcile = schedulerReconciler(deps);
  const w = {
    clock,
    pods,
    pcs,
    get: (name: string) => pods.get("default", name),
    exists: (name: string) => pods.list("default", { selection: selectEverything }).items.some((p) => p.metadata.name === name),
    /** One scheduling cycle for `name`, against the cluster as it is now. */
    async schedule(name: string) {
      deps.cache = freshCache();
      return reconcile(`default/${name}`);
    },
    /** Creates a pod already running on `node`, started at `startedAt` (ms after now). */
    async running(name: string, node: string, opts: { cpu: string; className: string; startedAt?: number }) {
      await pods.create("default", pod(name, opts), user);
      const binding: KObject = { apiVersion: "v1", kind: "Binding", metadata: { name, namespace: "default" }, target: { kind: "Node", name: node } };
      await pods.patch("default", name, (p) => applyBinding(p, binding, new Date(clock.now())), { user: systemUser, subresource: "binding" });
      const startTime = new Date(clock.now() + (opts.startedAt ?? 0)).toISOString().replace(/\.\d+Z$/, "Z");
      await pods.patch("default", name, (p) => ({ ...p, status: { ...p.status, phase: "Running", startTime } }), { user: systemUser, subresource: "status" });
    },
    /** The kubelet finishes a terminating pod. */
    finish: (name: string) => pods.delete("default", name, { user: systemUser, gracePeriodSeconds: 0 }),
    events: (reason: string) =>
      events
        .list("default", { selection: selectEverything })
        .items.filter((e) => e.reason === reason)
        .map((e) => `${e.involvedObject.name}: ${e.message}`),
    snapshot: () =>
      [...pods.list("default", { selection: selectEverything }).items, ...events.list("default", { selection: selectEverything }).items]
        .map((o) => `${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`)
        .sort()
        .join(),
    condition: (name: string, type: string) => w.get(name).status?.conditions?.find((c: { type: string }) => c.type === type),
  };
  return w;
}

/** worker-1 full of low pods, worker-2 full of mid pods (2 CPUs each). */
async function fullWorld() {
  const w = await world();
  await w.running("low-old", "worker-1", { cpu: "2", className: "low", startedAt: -60_000 });
  await w.running("low-new", "worker-1", { cpu: "2", className: "low" });
  await w.running("mid-1", "worker-2", { cpu: "2", className: "mid" });
  await w.running("mid-2", "worker-2", { cpu: "2", className: "mid" });
  return w;
}

const FULL = "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.";

async function forbidden(write: Promise<unknown>): Promise<string> {
  try {
    await write;
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    expect((e as StatusError).code).toBe(403);
    return (e as StatusError).message;
  }
  throw new Error("write succeeded");
}

describe("Priority admission", () => {
  it("resolves priorityClassName to spec.priority and spec.preemptionPolicy", async () => {
    const w = await world();
    const made = await w.pods.create("default", pod("web", { className: "polite" }), user);
    expect(made.spec).toMatchObject({ priorityClassName: "polite", priority: 1000, preemptionPolicy: "Never" });
    const critical = await w.pods.create("default", pod("dns", { className: "system-cluster-critical" }), user);
    expect(critical.spec).toMatchObject({ priority: 2000000000, preemptionPolicy: "PreemptLowerPriority" });
  });

  it("forbids an unknown class, with upstream's message (a generated name shows as its prefix)", async () => {
    const w = await world();
    expect(await forbidden(w.pods.create("default", pod("x", { className: "foo" }), user))).toBe('pods "x" is forbidden: no PriorityClass with name foo was found');
    expect(await forbidden(w.pods.create("default", pod("", { className: "foo", generateName: "web-" }), user))).toBe(
      'pods "web-" is forbidden: no PriorityClass with name foo was found',
    );
  });

  it("gives pods without a class priority 0, or the global default class", async () => {
    const w = await world();
    const plain = await w.pods.create("default", pod("plain"), user);
    expect(plain.spec).toMatchObject({ priority: 0, preemptionPolicy: "PreemptLowerPriority" });
    expect(plain.spec.priorityClassName).toBeUndefined();
    await w.pcs.create("", pc("standard", 250, { globalDefault: true, preemptionPolicy: "Never" }), user);
    expect((await w.pods.create("default", pod("defaulted"), user)).spec).toMatchObject({ priorityClassName: "standard", priority: 250, preemptionPolicy: "Never" });
  });

  it("forbids a priority or preemptionPolicy of the pod's own that differs from the class", async () => {
    const w = await world();
    expect(await forbidden(w.pods.create("default", pod("sneaky", { className: "low", spec: { priority: 1000000 } }), user))).toBe(
      'pods "sneaky" is forbidden: the integer value of priority (1000000) must not be provided in pod spec; priority admission controller computed 100 from the given PriorityClass name',
    );
    expect(await forbidden(w.pods.create("default", pod("pushy", { className: "polite", spec: { preemptionPolicy: "PreemptLowerPriority" } }), user))).toBe(
      'pods "pushy" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name',
    );
    // The same values as the class are accepted (a pod spec copied from a running pod).
    expect((await w.pods.create("default", pod("copied", { className: "low", spec: { priority: 100, preemptionPolicy: "PreemptLowerPriority" } }), user)).spec.priority).toBe(100);
  });
});

describe("preemption", () => {
  it("evicts the fewest, least important pods on the cheapest node, nominates it, then binds there", async () => {
    const w = await fullWorld();
    const high = await w.pods.create("default", pod("high", { cpu: "2", className: "high" }), user);
    await w.schedule("high");

    // worker-1 (highest victim priority 100) beats worker-2 (500); one 2-CPU pod is enough, and
    // the one that started last goes.
    expect(w.get("high").status.nominatedNodeName).toBe("worker-1");
    expect(w.condition("high", "PodScheduled")).toMatchObject({ status: "False", reason: "Unschedulable", message: FULL });
    expect(podStrategy.table!.cells(w.get("high"), new Date())[podStrategy.table!.columns.findIndex((c) => c.name === "Nominated Node")]).toBe("worker-1");
    const victim = w.get("low-new");
    expect(victim.metadata.deletionTimestamp).toBeDefined();
    expect(w.condition("low-new", "DisruptionTarget")).toMatchObject({
      status: "True",
      reason: "PreemptionByScheduler",
      message: "default-scheduler: preempting to accommodate a higher priority pod",
    });
    expect(w.get("low-old").metadata.deletionTimestamp).toBeUndefined();
    expect(w.get("mid-1").metadata.deletionTimestamp).toBeUndefined();
    expect(w.events("Preempted")).toEqual([`low-new: Preempted by pod ${high.metadata.uid} on node worker-1`]);
    expect(w.events("FailedScheduling")).toEqual([`high: ${FULL}`]);

    // While the victim terminates, the pod waits instead of preempting more.
    await w.schedule("high");
    expect(w.condition("high", "PodScheduled").message).toBe(`${FULL} preemption: not eligible due to a terminating pod on the nominated node.`);
    expect(w.get("low-old").metadata.deletionTimestamp).toBeUndefined();

    // A lower-priority pod that would fit in the freed room leaves it to the nominated pod.
    await w.finish("low-new");
    await w.pods.create("default", pod("late-low", { cpu: "2", className: "low" }), user);
    await w.schedule("late-low");
    expect(w.get("late-low").spec.nodeName).toBeUndefined();

    // The nominated node is tried first, even though worker-2 is now emptier.
    await w.finish("mid-1");
    await w.finish("mid-2");
    await w.schedule("high");
    expect(w.get("high").spec.nodeName).toBe("worker-1");
    expect(w.events("Scheduled")).toEqual(["high: Successfully assigned default/high to worker-1"]);

    // Fixed point: another pass writes nothing.
    const before = w.snapshot();
    await w.schedule("high");
    expect(w.snapshot()).toBe(before);
  });

  it("a preemptionPolicy: Never pod does not preempt and says so", async () => {
    const w = await fullWorld();
    await w.pods.create("default", pod("polite", { cpu: "2", className: "polite" }), user);
    await w.schedule("polite");
    expect(w.condition("polite", "PodScheduled").message).toBe(`${FULL} preemption: not eligible due to preemptionPolicy=Never.`);
    expect(w.get("polite").status.nominatedNodeName).toBeUndefined();
    expect(w.events("Preempted")).toEqual([]);
    for (const name of ["low-old", "low-new", "mid-1", "mid-2"]) expect(w.get(name).metadata.deletionTimestamp).toBeUndefined();
    const before = w.snapshot();
    await w.schedule("polite");
    expect(w.snapshot()).toBe(before);
  });

  it("equal priority never preempts", async () => {
    const w = await world();
    for (const node of ["worker-1", "worker-2"]) {
      await w.running(`${node}-a`, node, { cpu: "2", className: "mid" });
      await w.running(`${node}-b`, node, { cpu: "2", className: "mid" });
    }
    await w.pods.create("default", pod("peer", { cpu: "2", className: "mid" }), user);
    await w.schedule("peer");
    expect(w.condition("peer", "PodScheduled").message).toBe(
      `${FULL} preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod..`,
    );
    expect(w.get("peer").status.nominatedNodeName).toBeUndefined();
    expect(w.events("Preempted")).toEqual([]);
  });

  it("does not preempt where evicting every lower-priority pod would still not make room", async () => {
    const w = await fullWorld();
    await w.pods.create("default", pod("giant", { cpu: "5", className: "high" }), user);
    await w.schedule("giant");
    expect(w.condition("giant", "PodScheduled").message).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
    expect(w.events("Preempted")).toEqual([]);
  });

  it("evicts as many pods as the room needs, and no more", async () => {
    const w = await fullWorld();
    await w.pods.create("default", pod("huge", { cpu: "3500m", className: "high" }), user);
    await w.schedule("huge");
    const uid = w.get("huge").metadata.uid;
    expect(w.get("huge").status.nominatedNodeName).toBe("worker-1");
    expect(w.events("Preempted").sort()).toEqual([`low-new: Preempted by pod ${uid} on node worker-1`, `low-old: Preempted by pod ${uid} on node worker-1`]);
    expect(w.get("mid-1").metadata.deletionTimestamp).toBeUndefined();
  });
});
