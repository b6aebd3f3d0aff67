/**
 * `POST …/pods/{name}/eviction` on the wire, as `kubectl drain` sends it: budgets decide, the 429
 * that makes drain retry, terminal and pending pods, dryRun, and the errors upstream answers.
 * Pods are bound to a node whose kubelet is stopped and their status is written by hand; the
 * disruption controller is driven by hand (the lead wires it into the control loop).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KUBELET_STOPPED } from "../../src/controlplane/kubelet/heartbeat";
import { disruptionReconciler } from "../../src/controlplane/controllers/disruption";
import { formatTime } from "../../src/registry/clock";
import { systemUser } from "../../src/sandbox/sandbox";
import { accept, cluster, contentType, paths, T0, type Cluster } from "./support/cluster";

let c: Cluster;
afterEach(async () => {
  await c?.closeWatches();
});

const NODE = "worker-2";
const budgets = "/apis/policy/v1/namespaces/default/poddisruptionbudgets";
const budgetPath = (name: string) => `${budgets}/${name}`;

/** The body kubectl drain (1.27–1.33) posts for each pod. */
const drainEviction = (name: string, deleteOptions: Record<string, unknown> = {}, apiVersion = "policy/v1") => ({
  kind: "Eviction",
  apiVersion,
  metadata: { name, namespace: "default" },
  deleteOptions,
});
const evict = (name: string, body: unknown = drainEviction(name), query = "") => c.post(`${paths.pod(name)}/eviction${query}`, body);

async function pod(name: string, opts: { ready?: boolean; phase?: string; labels?: Record<string, string> } = {}) {
  const body = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: opts.labels ?? { app: "web" } },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 30, containers: [{ name: "main", image: "nginx" }] },
  };
  const created = await c.post(paths.pods(), body);
  if (created.status !== 201) throw new Error(`create failed: ${created.status} ${created.text}`);
  const ready = opts.ready ?? true;
  const status = { phase: opts.phase ?? "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] };
  const res = await c.patch(`${paths.pod(name)}/status`, { status }, contentType.merge);
  if (res.status !== 200) throw new Error(`status failed: ${res.status} ${res.text}`);
}

/** Runs the disruption controller over every budget, as the control loop would after each change. */
async function syncBudgets() {
  const reconcile = disruptionReconciler({ registry: c.sandbox.registry, user: systemUser, now: () => c.clock.now() });
  const list = await c.get(budgets);
  for (const b of list.body.items) await reconcile(`default/${b.metadata.name}`);
}

async function budget(name: string, spec: Record<string, unknown>) {
  const res = await c.post(budgets, { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name }, spec: { selector: { matchLabels: { app: "web" } }, ...spec } });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  await syncBudgets();
}

const getPod = async (name: string) => (await c.get(paths.pod(name))).body;
const getBudget = async (name: string) => (await c.get(budgetPath(name))).body;
const disruptionTarget = (p: { status: { conditions?: { type: string }[] } }) => p.status.conditions?.find((x) => x.type === "DisruptionTarget");

const SUCCESS = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 };

beforeEach(async () => {
  c = await cluster();
  const res = await c.patch(`/api/v1/nodes/${NODE}`, { metadata: { annotations: { [KUBELET_STOPPED]: "true" } } }, contentType.merge);
  expect(res.status).toBe(200);
});

describe("discovery", () => {
  it("lists pods/eviction as a create-only subresource answering with policy/v1 Eviction (what drain checks)", async () => {
    const core = await c.get("/api/v1");
    expect(core.body.resources.find((r: { name: string }) => r.name === "pods/eviction")).toMatchObject({
      name: "pods/eviction",
      namespaced: true,
      group: "policy",
      version: "v1",
      kind: "Eviction",
      verbs: ["create"],
    });
    const policy = await c.get("/apis/policy/v1");
    const names = policy.body.resources.map((r: { name: string }) => r.name);
    expect(names).toEqual(expect.arrayContaining(["poddisruptionbudgets", "poddisruptionbudgets/status"]));
    expect(policy.body.resources.find((r: { name: string }) => r.name === "poddisruptionbudgets").shortNames).toEqual(["pdb"]);
  });
});

describe("kubectl get pdb", () => {
  it("shows the bounds and the allowed disruptions", async () => {
    for (const i of [0, 1, 2]) await pod(`web-${i}`);
    await budget("web", { minAvailable: 2 });
    const table = await c.get(budgets, { headers: { accept: accept.table } });
    expect(table.body.columnDefinitions.map((d: { name: string }) => d.name)).toEqual(["Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age"]);
    expect(table.body.rows.map((r: { cells: unknown[] }) => r.cells)).toEqual([["web", "2", "N/A", 1, "0s"]]);
  });
});

describe("evicting under a budget", () => {
  beforeEach(async () => {
    for (const i of [0, 1, 2]) await pod(`web-${i}`);
    await budget("web", { minAvailable: 2 });
  });

  it("evicts while the budget allows it, then refuses with 429 and upstream's message and cause", async () => {
    c.clock.advance(5_000);
    const first = await evict("web-0");
    expect(first.status).toBe(201);
    expect(first.body).toEqual(SUCCESS);

    // The pod is deleted gracefully, marked as disrupted by the eviction API.
    const evicted = await getPod("web-0");
    expect(evicted.metadata.deletionTimestamp).toBe(formatTime(T0 + 35_000));
    expect(evicted.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(disruptionTarget(evicted)).toEqual({
      type: "DisruptionTarget",
      status: "True",
      lastProbeTime: null,
      lastTransitionTime: formatTime(T0 + 5_000),
      reason: "EvictionByEvictionAPI",
      message: "Eviction API: evicting",
    });

    // The eviction took the budget's one disruption and told the controller which pod goes.
    const taken = await getBudget("web");
    expect(taken.status).toMatchObject({ disruptionsAllowed: 0, currentHealthy: 3, desiredHealthy: 2, disruptedPods: { "web-0": formatTime(T0 + 5_000) } });
    expect(taken.status.conditions[0]).toMatchObject({ type: "DisruptionAllowed", status: "False", reason: "InsufficientPods" });

    const refused = await evict("web-1");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBeNull();
    expect(refused.body).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      reason: "TooManyRequests",
      details: { causes: [{ reason: "DisruptionBudget", message: "The disruption budget web needs 2 healthy pods and has 3 currently" }] },
      code: 429,
    });
    expect((await getPod("web-1")).metadata.deletionTimestamp).toBeUndefined();

    // Once the controller has seen web-0 terminating, the count it reports is the real one.
    await syncBudgets();
    const again = await evict("web-1");
    expect(again.status).toBe(429);
    expect(again.body.details.causes[0].message).toBe("The disruption budget web needs 2 healthy pods and has 2 currently");
  });

  it("passes the Eviction's deleteOptions to the delete (drain --grace-period), in policy/v1beta1 too", async () => {
    const res = await evict("web-0", drainEviction("web-0", { gracePeriodSeconds: 5 }, "policy/v1beta1"));
    expect(res.status).toBe(201);
    const evicted = await getPod("web-0");
    expect(evicted.metadata.deletionGracePeriodSeconds).toBe(5);
    expect(evicted.metadata.deletionTimestamp).toBe(formatTime(T0 + 5_000));
  });

  it("dryRun (query or deleteOptions) evicts nothing and takes nothing from the budget", async () => {
    const before = await getBudget("web");
    for (const [body, query] of [
      [drainEviction("web-0"), "?dryRun=All"],
      [drainEviction("web-0", { dryRun: ["All"] }), ""],
    ] as const) {
      const res = await evict("web-0", body, query);
      expect(res.status).toBe(201);
      expect(res.body).toEqual(SUCCESS);
    }
    const untouched = await getPod("web-0");
    expect(untouched.metadata.deletionTimestamp).toBeUndefined();
    expect(disruptionTarget(untouched)).toBeUndefined();
    expect(await getBudget("web")).toEqual(before);
  });

  it("a dryRun still answers 429 when the budget allows nothing", async () => {
    await c.patch(budgetPath("web"), { spec: { minAvailable: 3 } }, contentType.merge);
    await syncBudgets();
    const res = await evict("web-0", drainEviction("web-0"), "?dryRun=All");
    expect(res.status).toBe(429);
    expect(res.body.details.causes[0].message).toBe("The disruption budget web needs 3 healthy pods and has 3 currently");
  });

  it("an unready pod goes without using the budget while the budget is met", async () => {
    await pod("web-3", { ready: false });
    await syncBudgets();
    const before = (await getBudget("web")).status;
    expect(before).toMatchObject({ currentHealthy: 3, desiredHealthy: 2, disruptionsAllowed: 1 });
    expect((await evict("web-3")).status).toBe(201);
    expect((await getPod("web-3")).metadata.deletionTimestamp).toBeDefined();
    expect((await getBudget("web")).status).toEqual(before);
  });

  it("a budget the controller has not caught up with answers 429 with Retry-After", async () => {
    await c.patch(budgetPath("web"), { spec: { minAvailable: 1 } }, contentType.merge);
    const res = await evict("web-0");
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("10");
    expect(res.body.details).toEqual({ retryAfterSeconds: 10, causes: [{ reason: "DisruptionBudget", message: "The disruption budget web is still being processed by the server." }] });
  });

  it("a pod selected by two budgets cannot be evicted: 500 with upstream's message", async () => {
    await budget("web-too", { maxUnavailable: 1 });
    const res = await evict("web-0");
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
      code: 500,
    });
    expect((await getPod("web-0")).metadata.deletionTimestamp).toBeUndefined();
  });
});

describe("pods whose budget does not matter", () => {
  beforeEach(async () => {
    await budget("web", { minAvailable: 5 });
  });

  it("a terminal pod is evicted regardless of the budget (and goes at once)", async () => {
    await pod("done", { phase: "Succeeded", ready: false });
    await pod("crashed", { phase: "Failed", ready: false });
    await syncBudgets();
    expect((await getBudget("web")).status.disruptionsAllowed).toBe(0);
    for (const name of ["done", "crashed"]) {
      const res = await evict(name);
      expect(res.status).toBe(201);
      expect((await c.get(paths.pod(name))).status).toBe(404);
    }
  });

  it("a pending pod is evicted regardless of the budget", async () => {
    await pod("starting", { phase: "Pending", ready: false });
    const res = await evict("starting");
    expect(res.status).toBe(201);
    expect(disruptionTarget(await getPod("starting"))).toMatchObject({ reason: "EvictionByEvictionAPI" });
  });

  it("an unready pod goes when the budget says AlwaysAllow, even though the budget is not met", async () => {
    await c.patch(budgetPath("web"), { spec: { unhealthyPodEvictionPolicy: "AlwaysAllow" } }, contentType.merge);
    await pod("web-0");
    await pod("web-1", { ready: false });
    await syncBudgets();
    expect((await evict("web-1")).status).toBe(201);
    expect((await evict("web-0")).status).toBe(429);
  });

  it("a pod no budget selects is simply evicted", async () => {
    await pod("lonely", { labels: { app: "other" } });
    expect((await evict("lonely")).status).toBe(201);
    expect((await getPod("lonely")).metadata.deletionTimestamp).toBeDefined();
  });
});

describe("errors", () => {
  it("404 for a pod that does not exist", async () => {
    const res = await evict("nope");
    expect(res.status).toBe(404);
    expect(res.body.message).toBe('pods "nope" not found');
  });

  it("400 when the Eviction names another pod or another namespace", async () => {
    await pod("web-0");
    const other = await evict("web-0", drainEviction("web-1"));
    expect(other.status).toBe(400);
    expect(other.body.message).toBe("name in URL does not match name in Eviction object");
    const elsewhere = await evict("web-0", { ...drainEviction("web-0"), metadata: { name: "web-0", namespace: "prod" } });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.message).toBe("the namespace of the provided object does not match the namespace sent on the request");
  });

  it("409 when the deleteOptions' resourceVersion precondition is stale", async () => {
    await pod("web-0");
    const res = await evict("web-0", drainEviction("web-0", { preconditions: { resourceVersion: "1" } }));
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/^Operation cannot be fulfilled on Pod "web-0": the ResourceVersion in the precondition \(1\) does not match the ResourceVersion in record \(\d+\)\. The object might have been modified$/);
    expect((await getPod("web-0")).metadata.deletionTimestamp).toBeUndefined();
  });
});
