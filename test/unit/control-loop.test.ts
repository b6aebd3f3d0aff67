/**
 * The whole control loop of a sandbox in plain Node: every controller wired as in the Durable
 * Object, driven by hand — run what is due, move the clock to the next due time, repeat.
 */
import { describe, expect, it } from "vitest";
import { systemUser } from "../../src/sandbox/sandbox";
import { selectEverything } from "../../src/registry/selection";
import type { KObject } from "../../src/registry/types";
import { setKubeletRunning } from "../../src/sandbox/drills";
import { quietSandbox, runLoop } from "./support/cluster";

async function loop() {
  const { clock, sandbox, registry } = await quietSandbox();
  const cp = sandbox.controlPlane;
  return {
    sandbox,
    registry,
    clock,
    observe: () => cp.observe(),
    nextWakeAt: () => cp.nextWakeAt(),
    create: (group: string, resource: string, obj: KObject) => registry.resource(group, resource).create(obj.metadata.namespace ?? "", obj, { user: systemUser }),
    list: (group: string, resource: string, ns = "default") => registry.resource(group, resource).list(ns, { selection: selectEverything }).items,
    /** Lets `horizonMs` of time pass, running the loop whenever it asks to be woken. */
    run: (horizonMs = 60_000) => runLoop(sandbox, clock, horizonMs),
  };
}

const labels = { app: "web" };
const deployment = (replicas: number): KObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default" },
  spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "nginx", image: "nginx", ports: [{ name: "http", containerPort: 80 }] }] } } },
});
const service: KObject = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "default" },
  spec: { selector: labels, ports: [{ port: 80, targetPort: "http" }] },
};

describe("the control loop", () => {
  it("lists a Deployment's ready pods in its Service's Endpoints", async () => {
    const l = await loop();
    await l.create("apps", "deployments", deployment(3));
    await l.create("", "services", service);
    await l.run();
    const pods = l.list("", "pods");
    expect(pods).toHaveLength(3);
    const [ep] = l.list("", "endpoints").filter((e) => e.metadata.name === "web");
    expect(ep.subsets).toHaveLength(1);
    expect(ep.subsets[0].addresses.map((a: { ip: string }) => a.ip).sort()).toEqual(pods.map((p) => p.status.podIP).sort());
    expect(ep.subsets[0].ports).toEqual([{ port: 80, protocol: "TCP" }]);
  });
});

describe("a node whose kubelet stops", () => {
  const condition = (obj: KObject, type: string) => (obj.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
  const node = (l: Awaited<ReturnType<typeof loop>>, name: string) => l.registry.resource("", "nodes").get("", name);

  it("goes NotReady after the grace period; its pods are evicted after 300 s and replaced; it recovers", async () => {
    const l = await loop();
    l.observe();
    await l.create("apps", "deployments", deployment(2));
    await l.run(10_000);
    const before = l.list("", "pods");
    expect(before.map((p) => p.spec.nodeName).sort()).toEqual(["worker-1", "worker-2"]);
    expect(before[0].spec.tolerations).toEqual(
      expect.arrayContaining([{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }]),
    );
    const victim = before.find((p) => p.spec.nodeName === "worker-1")!;

    expect(await setKubeletRunning(l.registry, "worker-1", false, l.clock.now())).toEqual({ node: "worker-1", kubelet: "stopped" });
    await l.run(49_000);
    expect(condition(node(l, "worker-1"), "Ready").status).toBe("True"); // 1.32: 50 s grace
    await l.run(2_000);
    const failed = node(l, "worker-1");
    expect(condition(failed, "Ready")).toMatchObject({ status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status." });
    expect(failed.spec.taints).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: "node.kubernetes.io/unreachable", effect: "NoExecute" }), expect.objectContaining({ key: "node.kubernetes.io/unreachable", effect: "NoSchedule" })]),
    );
    expect(condition(node(l, "worker-2"), "Ready").status).toBe("True");
    const victimNow = l.list("", "pods").find((p) => p.metadata.name === victim.metadata.name)!;
    expect(condition(victimNow, "Ready").status).toBe("False");
    expect(victimNow.metadata.deletionTimestamp).toBeUndefined();

    await l.run(298_000); // 299 s since the taint
    expect(l.list("", "pods").find((p) => p.metadata.name === victim.metadata.name)!.metadata.deletionTimestamp).toBeUndefined();
    await l.run(10_000); // the eviction, then the replacement's image pull and start
    const after = l.list("", "pods");
    const evicted = after.find((p) => p.metadata.name === victim.metadata.name)!;
    expect(evicted.metadata.deletionTimestamp).toBeDefined(); // its kubelet is gone: Terminating
    expect(condition(evicted, "DisruptionTarget")).toMatchObject({ status: "True", reason: "DeletionByTaintManager" });
    const live = after.filter((p) => !p.metadata.deletionTimestamp);
    expect(live).toHaveLength(2);
    expect(live.every((p) => p.spec.nodeName === "worker-2" && p.status.phase === "Running")).toBe(true);
    const reasons = l.list("", "events").map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(["NodeNotReady", "TaintManagerEviction"]));

    await setKubeletRunning(l.registry, "worker-1", true, l.clock.now());
    await l.run(60_000);
    const recovered = node(l, "worker-1");
    expect(condition(recovered, "Ready")).toMatchObject({ status: "True", reason: "KubeletReady" });
    expect(recovered.spec.taints ?? []).toEqual([]);
    expect(l.list("", "pods").some((p) => p.metadata.name === victim.metadata.name)).toBe(false);
  });

  it("leaves an idle, healthy sandbox with nothing due once nobody is looking (its Events expire later)", async () => {
    const l = await loop();
    l.observe();
    await l.create("apps", "deployments", deployment(2));
    await l.run(10_000);
    expect(l.list("", "events").length).toBeGreaterThan(0);
    expect(l.nextWakeAt()).not.toBeNull(); // heartbeats while observed
    l.clock.advance(5 * 60_000);
    await l.run(1);
    expect(l.nextWakeAt()).toBeNull();
    expect(condition(node(l, "worker-1"), "Ready").status).toBe("True");
  });
});

describe("static pods", () => {
  const manifest: KObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "static-web", labels: { role: "static" } }, spec: { containers: [{ name: "web", image: "nginx" }] } };

  it("posts a mirror pod for a manifest, brings it back when deleted, and removes it with the manifest", async () => {
    const l = await loop();
    await l.sandbox.staticPods.put({ node: "worker-1", file: "web.yaml", pod: manifest });
    await l.run(10_000);
    const mirror = l.list("", "pods").find((p) => p.metadata.name === "static-web-worker-1")!;
    expect(mirror.spec.nodeName).toBe("worker-1");
    expect(mirror.status.phase).toBe("Running");
    const annotations = mirror.metadata.annotations ?? {};
    expect(annotations["kubernetes.io/config.source"]).toBe("file");
    expect(annotations["kubernetes.io/config.mirror"]).toBe(annotations["kubernetes.io/config.hash"]);
    expect(mirror.metadata.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Node", name: "worker-1", uid: l.registry.resource("", "nodes").get("", "worker-1").metadata.uid, controller: true }]);

    await l.registry.resource("", "pods").delete("default", "static-web-worker-1", { user: systemUser });
    await l.run(60_000);
    const back = l.list("", "pods").find((p) => p.metadata.name === "static-web-worker-1")!;
    expect(back.metadata.uid).not.toBe(mirror.metadata.uid);
    expect(back.metadata.deletionTimestamp).toBeUndefined();

    expect(await l.sandbox.staticPods.remove("worker-1", "web.yaml")).toBe(true);
    await l.run(10_000);
    expect(l.list("", "pods").some((p) => p.metadata.name === "static-web-worker-1")).toBe(false);
    expect(await l.sandbox.staticPods.remove("worker-1", "web.yaml")).toBe(false);
  });
});
