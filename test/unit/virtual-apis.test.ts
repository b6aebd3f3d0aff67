/**
 * The resources served without storage: metrics.k8s.io (what `kubectl top` reads), the access
 * reviews (`kubectl auth can-i`) and SelfSubjectReview (`kubectl auth whoami`), on the wire.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { accept, cluster, pod, T0, type Cluster } from "./support/cluster";
import { authorizerFor } from "../../src/auth/rbac-objects";
import { containerUsage, nodeUsage, podContainerUsage } from "../../src/apiserver/virtual/metrics";
import { parseQuantity, milliValue, scaledValue, value } from "../../src/registry/kinds/quantity";

let c: Cluster;
afterEach(async () => {
  await c?.closeWatches();
});

const cpuMilli = (q: string) => Number(milliValue(parseQuantity(q)));
const bytes = (q: string) => Number(value(parseQuantity(q)));
const cpuNanos = (q: string) => Number(scaledValue(parseQuantity(q), -9));

/** A pod bound to `node` whose listed containers the kubelet reports running. */
async function runningPod(name: string, opts: { node?: string; containers: { name: string; cpu?: string; memory?: string }[]; running?: string[]; labels?: Record<string, string> }) {
  const containers = opts.containers.map((ct) => ({
    name: ct.name,
    image: "nginx:1.27",
    ...(ct.cpu || ct.memory ? { resources: { requests: { ...(ct.cpu ? { cpu: ct.cpu } : {}), ...(ct.memory ? { memory: ct.memory } : {}) } } } : {}),
  }));
  const created = await c.post("/api/v1/namespaces/default/pods", pod(name, { containers, nodeName: opts.node ?? "worker-1", labels: opts.labels }));
  expect(created.status, created.text).toBe(201);
  const running = new Set(opts.running ?? opts.containers.map((ct) => ct.name));
  const status = {
    phase: "Running",
    containerStatuses: opts.containers.map((ct) => ({
      name: ct.name,
      image: "nginx:1.27",
      imageID: "",
      ready: running.has(ct.name),
      restartCount: 0,
      state: running.has(ct.name) ? { running: { startedAt: new Date(T0).toISOString() } } : { waiting: { reason: "ContainerCreating" } },
    })),
  };
  const res = await c.patch(`/api/v1/namespaces/default/pods/${name}/status`, { status });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

describe("metrics.k8s.io/v1beta1", () => {
  beforeEach(async () => {
    c = await cluster();
  });

  it("is discovered with get and list only, so kubectl top finds it", async () => {
    const res = await c.get("/apis/metrics.k8s.io/v1beta1");
    expect(res.status).toBe(200);
    expect(res.body.resources).toEqual([
      expect.objectContaining({ name: "nodes", kind: "NodeMetrics", namespaced: false, verbs: ["get", "list"] }),
      expect.objectContaining({ name: "pods", kind: "PodMetrics", namespaced: true, verbs: ["get", "list"] }),
    ]);
    const groups = await c.get("/apis", { headers: { accept: accept.discoveryV2 } });
    expect(groups.body.items.map((g: any) => g.metadata.name)).toContain("metrics.k8s.io");
  });

  it("reports a running pod's containers at a stable 10–60 % of their requests", async () => {
    await runningPod("web", { containers: [{ name: "app", cpu: "500m", memory: "256Mi" }, { name: "sidecar" }], labels: { app: "web" } });
    const res = await c.get("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web");
    expect(res.status, res.text).toBe(200);
    const m = res.body;
    expect(m).toMatchObject({ kind: "PodMetrics", apiVersion: "metrics.k8s.io/v1beta1", metadata: { name: "web", namespace: "default", labels: { app: "web" } }, window: "15s" });
    expect(m.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const [app, sidecar] = m.containers;
    expect(app.name).toBe("app");
    expect(cpuMilli(app.usage.cpu)).toBeGreaterThanOrEqual(50);
    expect(cpuMilli(app.usage.cpu)).toBeLessThanOrEqual(300);
    expect(bytes(app.usage.memory)).toBeGreaterThanOrEqual(0.1 * 256 * 2 ** 20);
    expect(bytes(app.usage.memory)).toBeLessThanOrEqual(0.6 * 256 * 2 ** 20);
    // Without requests: a small default.
    expect(cpuMilli(sidecar.usage.cpu)).toBeLessThanOrEqual(5);
    expect(bytes(sidecar.usage.memory)).toBeLessThanOrEqual(24 * 2 ** 20);

    c.clock.advance(60_000);
    const again = await c.get("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web");
    expect(again.body.containers).toEqual(m.containers);
  });

  it("leaves out containers that are not running and pods with none running, as metrics-server", async () => {
    await runningPod("half", { containers: [{ name: "a", cpu: "100m" }, { name: "b", cpu: "100m" }], running: ["a"] });
    await runningPod("none", { containers: [{ name: "a", cpu: "100m" }], running: [] });
    await c.post("/api/v1/namespaces/default/pods", pod("pending"));

    const list = await c.get("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods");
    expect(list.body).toMatchObject({ kind: "PodMetricsList", apiVersion: "metrics.k8s.io/v1beta1", metadata: {} });
    expect(list.body.items.map((m: any) => [m.metadata.name, m.containers.map((ct: any) => ct.name)])).toEqual([["half", ["a"]]]);

    const missing = await c.get("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/pending");
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('podmetrics.metrics.k8s.io "default/pending" not found');
  });

  it("lists pods across namespaces and by label selector", async () => {
    await runningPod("a", { containers: [{ name: "x" }], labels: { tier: "front" } });
    await runningPod("b", { containers: [{ name: "x" }], labels: { tier: "back" } });
    const all = await c.get("/apis/metrics.k8s.io/v1beta1/pods");
    expect(all.body.items.map((m: any) => m.metadata.name).sort()).toEqual(["a", "b"]);
    const front = await c.get("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=tier%3Dfront");
    expect(front.body.items.map((m: any) => m.metadata.name)).toEqual(["a"]);
  });

  it("reports a node as its pods' usage plus a system overhead", async () => {
    const before = await c.get("/apis/metrics.k8s.io/v1beta1/nodes/worker-1");
    expect(before.status, before.text).toBe(200);
    expect(before.body).toMatchObject({ kind: "NodeMetrics", metadata: { name: "worker-1" }, window: "15s" });
    const idleCpu = cpuNanos(before.body.usage.cpu);
    expect(idleCpu).toBeGreaterThan(0);

    const p = await runningPod("busy", { containers: [{ name: "app", cpu: "1", memory: "1Gi" }] });
    const after = await c.get("/apis/metrics.k8s.io/v1beta1/nodes/worker-1");
    expect(cpuNanos(after.body.usage.cpu)).toBe(idleCpu + podContainerUsage(p)[0].usage.cpuNanos);

    const list = await c.get("/apis/metrics.k8s.io/v1beta1/nodes");
    expect(list.body.kind).toBe("NodeMetricsList");
    expect(list.body.items.length).toBeGreaterThan(1);

    const missing = await c.get("/apis/metrics.k8s.io/v1beta1/nodes/nope");
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('nodemetrics.metrics.k8s.io "nope" not found');
  });

  it("has no metrics for a node that is not Ready", () => {
    const node = { apiVersion: "v1", kind: "Node", metadata: { name: "n" }, status: { capacity: { cpu: "2", memory: "4Gi" }, conditions: [{ type: "Ready", status: "Unknown" }] } };
    expect(nodeUsage(node, [])).toBeNull();
  });

  it("refuses writes and watches", async () => {
    const res = await c.post("/apis/metrics.k8s.io/v1beta1/nodes", { kind: "NodeMetrics" });
    expect(res.status).toBe(405);
    const watch = await c.get("/apis/metrics.k8s.io/v1beta1/nodes?watch=true");
    expect(watch.status).toBe(405);
  });

  it("derives the same usage from the same pod uid and container", () => {
    const ct = { name: "app", resources: { requests: { cpu: "200m", memory: "128Mi" } } };
    expect(containerUsage("uid-1", ct)).toEqual(containerUsage("uid-1", ct));
    expect(containerUsage("uid-1", ct)).not.toEqual(containerUsage("uid-2", ct));
  });
});

describe("access reviews and SelfSubjectReview", () => {
  beforeEach(async () => {
    c = await cluster();
  });

  it("allows the sandbox admin (system:masters) with no reason, as the privileged group authorizer", async () => {
    const body = {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      spec: { resourceAttributes: { namespace: "default", verb: "create", resource: "pods" } },
    };
    const res = await c.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body);
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({ ...body, metadata: { creationTimestamp: null }, status: { allowed: true } });
  });

  it("rejects a review that names neither or both kinds of attributes", async () => {
    const res = await c.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: {} });
    expect(res.status).toBe(422);
    expect(res.body.message).toContain("spec.resourceAttributes: Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified");
  });

  it("denies a user outside system:masters whom no RBAC binding allows", async () => {
    const res = await c.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: { user: "jane", groups: ["system:authenticated"], resourceAttributes: { verb: "get", resource: "pods" } },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.status).toEqual({ allowed: false });
  });

  it("lists the admin's rules as kubeadm's default policy grants them", async () => {
    const res = await c.post("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectRulesReview",
      spec: { namespace: "default" },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.status.incomplete).toBe(false);
    expect(res.body.status.resourceRules[0]).toEqual({ verbs: ["*"], apiGroups: ["*"], resources: ["*"] });
    expect(res.body.status.nonResourceRules[0]).toEqual({ verbs: ["*"], nonResourceURLs: ["*"] });
    expect(authorizerFor(c.sandbox.registry).rulesFor({ username: "anon", groups: ["system:unauthenticated"] }, "default").resourceRules).toEqual([]);
  });

  it("tells the caller who they are (v1 and v1beta1), stamped with the time", async () => {
    for (const version of ["v1", "v1beta1"]) {
      const res = await c.post(`/apis/authentication.k8s.io/${version}/selfsubjectreviews`, { apiVersion: `authentication.k8s.io/${version}`, kind: "SelfSubjectReview", metadata: {} });
      expect(res.status, res.text).toBe(201);
      expect(res.body).toEqual({
        apiVersion: `authentication.k8s.io/${version}`,
        kind: "SelfSubjectReview",
        metadata: { creationTimestamp: new Date(T0).toISOString().replace(".000", "") },
        status: { userInfo: { username: "kubernetes-admin", groups: ["system:masters", "system:authenticated"] } },
      });
    }
  });

  it("is create-only and stores nothing", async () => {
    const revision = c.sandbox.registry.resource("", "pods").revision;
    await c.post("/apis/authentication.k8s.io/v1/selfsubjectreviews", { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" });
    await c.get("/apis/metrics.k8s.io/v1beta1/nodes");
    expect(c.sandbox.registry.resource("", "pods").revision).toBe(revision);
    const res = await c.get("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews");
    expect(res.status).toBe(405);
    expect(res.body.reason).toBe("MethodNotAllowed");
    const disc = await c.get("/apis/authorization.k8s.io/v1");
    expect(disc.body.resources.find((r: any) => r.name === "selfsubjectaccessreviews")).toMatchObject({ namespaced: false, verbs: ["create"] });
  });
});
