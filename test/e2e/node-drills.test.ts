/**
 * Node failure drills through the management API, observed with kubectl 1.33: a node whose
 * kubelet stops goes NotReady, its pods are evicted after their 300 s tolerations and recreated
 * elsewhere, and the node recovers — with clock:advance instead of waiting.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, createSandbox, eventually, kubectlBinary, kubectlCommands, type SandboxHandle } from "./support/sandbox";

const binary = kubectlBinary("1.33");

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { phase: string };
}

describe("node drills with kubectl 1.33", () => {
  let sandbox: SandboxHandle;
  const { run, ok } = kubectlCommands(binary, () => sandbox);
  const pods = () => JSON.parse(ok("get", "pods", "-l", "app=web", "-o", "json")).items as Pod[];
  const nodeStatus = (name: string) => ok("get", "node", name, "--no-headers").split(/\s+/)[1];
  const drill = (path: string) => api(`/v1/sandboxes/${sandbox.id}/${path}`, { method: "POST" });
  const advance = async (seconds: number) => {
    const res = await api(`/v1/sandboxes/${sandbox.id}/clock:advance`, { method: "POST", body: JSON.stringify({ seconds }) });
    expect(res.status).toBe(200);
    await res.body?.cancel();
  };

  beforeAll(async () => {
    if (!binary) throw new Error("kubectl.1.33 is required but missing beside the machine's kubectl");
    sandbox = await createSandbox({ kubernetesVersion: "1.33", speed: 10 });
  });
  afterAll(async () => {
    await sandbox?.delete();
  });

  it("refuses an unknown node or drill with a 404 that says so", async () => {
    const res = await drill("nodes/worker-9:fail");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(`sandbox "${sandbox.id}" has no node "worker-9"`);
    const bad = await drill("nodes/worker-1:explode");
    expect(bad.status).toBe(404);
    await bad.body?.cancel();
  });

  it("fails a node: NotReady, then its pods are recreated on the other worker; recovers it", async () => {
    ok("create", "deployment", "web", "--image=nginx", "--replicas=4");
    ok("rollout", "status", "deployment/web", "--timeout=60s");
    const onFailed = pods().filter((p) => p.spec.nodeName === "worker-1").map((p) => p.metadata.name);
    expect(onFailed.length).toBeGreaterThan(0);

    const res = await drill("nodes/worker-1:fail");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: sandbox.id, node: "worker-1", kubelet: "stopped" });
    await advance(60);
    expect(await eventually(() => nodeStatus("worker-1"), (s) => s === "NotReady")).toBe("NotReady");
    expect(ok("get", "node", "worker-1", "-o", "jsonpath={.spec.taints[*].key}")).toContain("node.kubernetes.io/unreachable");
    expect(nodeStatus("worker-2")).toBe("Ready");

    await advance(300);
    const moved = await eventually(
      () => pods(),
      (all) => all.filter((p) => !p.metadata.deletionTimestamp && p.spec.nodeName === "worker-2" && p.status.phase === "Running").length === 4,
    );
    expect(moved.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.spec.nodeName)).toEqual(["worker-2", "worker-2", "worker-2", "worker-2"]);
    // The evicted pods wait, Terminating, for a kubelet that does not answer.
    expect(moved.filter((p) => p.metadata.deletionTimestamp).map((p) => p.metadata.name).sort()).toEqual([...onFailed].sort());
    expect(ok("get", "events", "--field-selector", "reason=TaintManagerEviction", "-o", "name").trim().split("\n")).toHaveLength(onFailed.length);

    const recovered = await drill("nodes/worker-1:recover");
    expect(await recovered.json()).toEqual({ id: sandbox.id, node: "worker-1", kubelet: "running" });
    expect(await eventually(() => nodeStatus("worker-1"), (s) => s === "Ready")).toBe("Ready");
    await advance(60);
    const left = await eventually(() => pods(), (all) => all.length === 4);
    expect(left.map((p) => p.metadata.name)).not.toContain(onFailed[0]);
    expect(ok("get", "node", "worker-1", "-o", "jsonpath={.spec.taints}")).toBe("");
  });

  it("adds nodes that join Ready (the kube-proxy DaemonSet follows them) and removes one", async () => {
    const added = await api(`/v1/sandboxes/${sandbox.id}/nodes`, { method: "POST", body: JSON.stringify({ name: "gpu", count: 2, cpu: "8", labels: { accelerator: "t4" } }) });
    expect(added.status).toBe(201);
    expect(await added.json()).toEqual({ id: sandbox.id, nodes: ["gpu-1", "gpu-2"] });
    expect(ok("get", "nodes", "-l", "accelerator=t4", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status} {end}").trim()).toBe("gpu-1=True gpu-2=True");
    const cidrs = ok("get", "nodes", "-o", "jsonpath={.items[*].spec.podCIDR}").split(" ");
    expect(new Set(cidrs).size).toBe(cidrs.length);
    const proxies = await eventually(
      () => ok("get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-proxy", "-o", "jsonpath={.items[*].spec.nodeName}").split(" "),
      (nodes) => nodes.includes("gpu-1") && nodes.includes("gpu-2"),
    );
    expect(proxies).toEqual(expect.arrayContaining(["gpu-1", "gpu-2"]));

    const again = await api(`/v1/sandboxes/${sandbox.id}/nodes`, { method: "POST", body: JSON.stringify({ name: "gpu-1" }) });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { message: string } }).error.message).toBe('node "gpu-1" already exists');
    const invalid = await api(`/v1/sandboxes/${sandbox.id}/nodes`, { method: "POST", body: JSON.stringify({ name: "gpu", cpu: "lots" }) });
    expect(invalid.status).toBe(422);
    expect(((await invalid.json()) as { error: { field: string } }).error.field).toBe("cpu");

    const removed = await api(`/v1/sandboxes/${sandbox.id}/nodes/gpu-2`, { method: "DELETE" });
    expect(await removed.json()).toEqual({ id: sandbox.id, node: "gpu-2", deleted: true });
    expect(run("get", "node", "gpu-2").stderr).toContain('nodes "gpu-2" not found');
    const left = await eventually(
      () => ok("get", "pods", "-A", "--field-selector", "spec.nodeName=gpu-2", "-o", "name"),
      (out) => out === "",
    );
    expect(left).toBe("");
    expect((await api(`/v1/sandboxes/${sandbox.id}/nodes/gpu-2`, { method: "DELETE" })).status).toBe(404);
  });

  it("runs a static pod from a manifest written on a node: its mirror pod comes back when deleted", async () => {
    const manifest = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: static-web\n  namespace: default\nspec:\n  containers:\n  - name: web\n    image: nginx\n";
    const put = await api(`/v1/sandboxes/${sandbox.id}/nodes/worker-2/manifests/static-web.yaml`, { method: "PUT", body: manifest, headers: { "content-type": "application/yaml" } });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ id: sandbox.id, node: "worker-2", file: "static-web.yaml", mirrorPod: "default/static-web-worker-2" });
    const phase = () => run("get", "pod", "static-web-worker-2", "-o", "jsonpath={.status.phase}").stdout;
    expect(await eventually(phase, (p) => p === "Running")).toBe("Running");
    const uid = ok("get", "pod", "static-web-worker-2", "-o", "jsonpath={.metadata.uid}");
    ok("delete", "pod", "static-web-worker-2", "--wait=false");
    const newUid = await eventually(() => run("get", "pod", "static-web-worker-2", "-o", "jsonpath={.metadata.uid}").stdout, (u) => u !== "" && u !== uid);
    expect(newUid).not.toBe(uid);

    const bad = await api(`/v1/sandboxes/${sandbox.id}/nodes/worker-2/manifests/bad.yaml`, { method: "PUT", body: "apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec: {containers: [{name: c}]}\n" });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain("spec.containers[0].image: Required value");

    const removed = await api(`/v1/sandboxes/${sandbox.id}/nodes/worker-2/manifests/static-web.yaml`, { method: "DELETE" });
    expect(await removed.json()).toEqual({ id: sandbox.id, node: "worker-2", file: "static-web.yaml", deleted: true });
    expect(await eventually(() => run("get", "pod", "static-web-worker-2").stderr, (e) => e !== "")).toContain('pods "static-web-worker-2" not found');
  });

  it("drains a node through evictions that respect a PodDisruptionBudget, then uncordons it", async () => {
    ok("create", "deployment", "guarded", "--image=nginx", "--replicas=2");
    ok("rollout", "status", "deployment/guarded", "--timeout=60s");
    ok("create", "pdb", "guarded", "--selector=app=guarded", "--min-available=1");
    expect(await eventually(() => run("get", "pdb", "guarded", "-o", "jsonpath={.status.disruptionsAllowed}").stdout, (n) => n === "1")).toBe("1");
    const drained = run("drain", "worker-1", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=90s");
    expect(drained.code, drained.stderr).toBe(0);
    expect(drained.stdout).toContain("node/worker-1 drained");
    expect(ok("get", "node", "worker-1", "-o", "jsonpath={.spec.unschedulable}")).toBe("true");
    const placed = await eventually(
      () => (JSON.parse(ok("get", "pods", "-l", "app=guarded", "-o", "json")).items as Pod[]).filter((p) => !p.metadata.deletionTimestamp),
      (pods) => pods.length === 2 && pods.every((p) => p.spec.nodeName !== "worker-1"),
    );
    expect(placed.map((p) => p.spec.nodeName)).not.toContain("worker-1");
    expect(ok("uncordon", "worker-1")).toBe("node/worker-1 uncordoned\n");
  });
});
