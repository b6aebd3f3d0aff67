import type { Registry } from "../../src/registry/registry";
import { systemUser } from "../../src/sandbox/sandbox";
import { describe, expect, it } from "vitest";
import {
  allocatePodIP,
  containerBehavior,
  imageInfo,
  kubeletReconciler,
  needsKubelet,
  nextPodStatus,
  type KubeletOutput,
  type Termination,
} from "../../src/controlplane/kubelet";
import type { KObject } from "../../src/registry/types";
import { selectEverything } from "../../src/registry/selection";
import { cluster, T0 } from "./support/cluster";

/** The by-node pod index the control plane keeps, read straight from the registry. */
const podsOnFrom = (registry: Registry) => (nodeName: string) =>
  registry.resource("", "pods").list("", { selection: selectEverything }).items.filter((p) => p.spec?.nodeName === nodeName && !["Succeeded", "Failed"].includes(p.status?.phase));

const NODE: KObject = {
  apiVersion: "v1",
  kind: "Node",
  metadata: { name: "worker" },
  spec: { podCIDR: "10.244.1.0/24" },
  status: { addresses: [{ type: "InternalIP", address: "172.18.0.3" }, { type: "Hostname", address: "worker" }], images: [] },
};

function mkPod(spec: Record<string, any>, meta: Record<string, any> = {}): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "default", uid: "uid-1", ...meta },
    spec: { nodeName: "worker", restartPolicy: "Always", ...spec },
    status: {
      phase: "Pending",
      qosClass: "BestEffort",
      conditions: [{ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: "2026-01-02T03:04:05Z" }],
    },
  };
}
const nginx = (extra: Record<string, any> = {}) => ({ name: "nginx", image: "nginx", imagePullPolicy: "Always", ...extra });

/** Drives the pure machine like the reconciler does: step from wake-up to wake-up, carrying the status. */
function drive(pod: KObject, until: number, opts: { deleteAt?: number; grace?: number; podIP?: string } = {}) {
  const termination = (t: number): Termination | undefined =>
    opts.deleteAt !== undefined && t >= opts.deleteAt ? { noticedAt: opts.deleteAt, gracePeriodSeconds: opts.grace ?? 30, killingReported: t > opts.deleteAt } : undefined;
  let t = 0;
  let since = -1;
  const events: { at: number; reason: string; message: string; type: string }[] = [];
  const trace: { t: number; out: KubeletOutput }[] = [];
  let current = structuredClone(pod);
  for (let i = 0; i < 500 && t <= until; i++) {
    const out = nextPodStatus({ pod: current, node: NODE, elapsedMs: t, sinceMs: since, now: T0 + t, podIP: opts.podIP ?? "10.244.1.2", termination: termination(t) });
    events.push(...out.events);
    trace.push({ t, out });
    current = { ...current, status: out.status };
    since = t;
    if (out.remove) break;
    const deleting = opts.deleteAt !== undefined && t < opts.deleteAt;
    if (out.wakeAfterMs === null && !deleting) break;
    t = Math.min(out.wakeAfterMs === null ? Infinity : t + Math.max(1, out.wakeAfterMs), deleting ? opts.deleteAt! : Infinity);
  }
  return { events, trace, final: trace[trace.length - 1]!.out, at: (x: number) => [...trace].reverse().find((s) => s.t <= x)!.out };
}

const stateOf = (cs: any) => Object.keys(cs.state)[0] + (cs.state.waiting ? `:${cs.state.waiting.reason}` : cs.state.terminated ? `:${cs.state.terminated.reason}` : "");
const condMap = (status: any) => Object.fromEntries(status.conditions.map((c: any) => [c.type, c.status]));

describe("container behaviour from the spec", () => {
  const cases: [string, Record<string, any>, { runsForMs: number | null; exitCode: number }][] = [
    ["no command, nginx", { image: "nginx" }, { runsForMs: null, exitCode: 0 }],
    ["no command, busybox", { image: "busybox" }, { runsForMs: 0, exitCode: 0 }],
    ["sleep 5", { command: ["sleep", "5"] }, { runsForMs: 5000, exitCode: 0 }],
    ["sh -c sleep 2m", { command: ["sh", "-c", "sleep 2m"] }, { runsForMs: 120_000, exitCode: 0 }],
    ["sh -c exit 3", { command: ["/bin/sh", "-c"], args: ["echo hi; sleep 1; exit 3"] }, { runsForMs: 1000, exitCode: 3 }],
    ["false", { command: ["false"] }, { runsForMs: 0, exitCode: 1 }],
    ["true", { command: ["true"] }, { runsForMs: 0, exitCode: 0 }],
    ["echo", { command: ["sh", "-c", "echo hello"] }, { runsForMs: 0, exitCode: 0 }],
    ["while loop", { command: ["sh", "-c", "while true; do sleep 1; done"] }, { runsForMs: null, exitCode: 0 }],
    ["sleep infinity", { command: ["sleep", "infinity"] }, { runsForMs: null, exitCode: 0 }],
  ];
  it.each(cases)("%s", (_, c, want) => {
    expect(containerBehavior(c)).toMatchObject(want);
  });

  it("images", () => {
    expect(imageInfo("nginx")).toMatchObject({ kind: "ok", reference: "docker.io/library/nginx:latest" });
    expect((imageInfo("nginx") as any).imageID).toMatch(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    expect(imageInfo("nginx")).toEqual(imageInfo("nginx"));
    expect(imageInfo("Nginx").kind).toBe("invalid");
    expect(imageInfo("nginx:doesnotexist").kind).toBe("unresolvable");
    expect(imageInfo("registry.k8s.io/pause:3.10")).toMatchObject({ kind: "ok", reference: "registry.k8s.io/pause:3.10" });
  });

  it("pod IPs: next free, skipping .0 and .1", () => {
    expect(allocatePodIP("10.244.1.0/24", [])).toBe("10.244.1.2");
    expect(allocatePodIP("10.244.1.0/24", ["10.244.1.2", "10.244.1.4"])).toBe("10.244.1.3");
    expect(allocatePodIP("10.0.0.0/30", ["10.0.0.2"])).toBeUndefined();
  });
});

describe("nextPodStatus", () => {
  it("long-running nginx: Pending → ContainerCreating → Running, conditions, IPs, events in order", () => {
    const run = drive(mkPod({ containers: [nginx()] }), 60_000);
    const first = run.at(0);
    expect(first.status.phase).toBe("Pending");
    expect(stateOf(first.status.containerStatuses[0])).toBe("waiting:ContainerCreating");
    expect(condMap(first.status)).toEqual({ PodReadyToStartContainers: "True", Initialized: "True", Ready: "False", ContainersReady: "False", PodScheduled: "True" });
    expect(first.status.conditions.map((c: any) => c.type)).toEqual(["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]);
    expect(first.status.conditions[2]).toMatchObject({ reason: "ContainersNotReady", message: "containers with unready status: [nginx]" });
    expect(first.wakeAfterMs).toBe(2000);

    const running = run.final;
    expect(running.wakeAfterMs).toBeNull();
    expect(running.status).toMatchObject({
      phase: "Running",
      hostIP: "172.18.0.3",
      hostIPs: [{ ip: "172.18.0.3" }],
      podIP: "10.244.1.2",
      podIPs: [{ ip: "10.244.1.2" }],
      qosClass: "BestEffort",
      startTime: "2026-01-02T03:04:05Z",
    });
    expect(condMap(running.status)).toEqual({ PodReadyToStartContainers: "True", Initialized: "True", Ready: "True", ContainersReady: "True", PodScheduled: "True" });
    const cs = running.status.containerStatuses[0];
    expect(cs).toMatchObject({ name: "nginx", image: "nginx", ready: true, started: true, restartCount: 0, state: { running: { startedAt: "2026-01-02T03:04:08Z" } } });
    expect(cs.imageID).toMatch(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    expect(cs.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    // Ready flipped at 3 s: its transition time says so, PodScheduled's is the scheduler's.
    expect(running.status.conditions.find((c: any) => c.type === "Ready").lastTransitionTime).toBe("2026-01-02T03:04:08Z");
    expect(running.status.conditions.find((c: any) => c.type === "PodScheduled").lastTransitionTime).toBe("2026-01-02T03:04:05Z");

    expect(run.events.map((e) => [e.at, e.reason, e.message.replace(/\d+ bytes/, "N bytes")])).toEqual([
      [0, "Pulling", 'Pulling image "nginx"'],
      [2000, "Pulled", 'Successfully pulled image "nginx" in 2s (2s including waiting). Image size: N bytes.'],
      [2000, "Created", "Created container: nginx"],
      [3000, "Started", "Started container nginx"],
    ]);
  });

  it("IfNotPresent with the image on the node: no pull", () => {
    const pod = mkPod({ containers: [nginx({ image: "nginx:1.27", imagePullPolicy: "IfNotPresent" })] });
    const out = nextPodStatus({ pod, node: { ...NODE, status: { ...NODE.status, images: [{ names: ["docker.io/library/nginx:1.27"] }] } }, elapsedMs: 1000, now: T0 });
    expect(out.events.map((e) => e.message)).toEqual(['Container image "nginx:1.27" already present on machine', "Created container: nginx", "Started container nginx"]);
    expect(stateOf(out.status.containerStatuses[0])).toBe("running");
  });

  it("sleep 5 with restartPolicy Never → Succeeded 5 s after starting", () => {
    const run = drive(mkPod({ restartPolicy: "Never", containers: [nginx({ image: "busybox", command: ["sleep", "5"] })] }), 60_000);
    expect(run.at(7_999).status.phase).toBe("Running");
    const done = run.final;
    expect(run.trace[run.trace.length - 1]!.t).toBe(8000);
    expect(done.wakeAfterMs).toBeNull();
    expect(done.status.phase).toBe("Succeeded");
    expect(done.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: "Completed", startedAt: "2026-01-02T03:04:08Z", finishedAt: "2026-01-02T03:04:13Z" });
    expect(done.status.conditions.find((c: any) => c.type === "Ready")).toMatchObject({ status: "False", reason: "PodCompleted" });
    expect(condMap(done.status).PodReadyToStartContainers).toBe("False");
  });

  it("exit 1 with Always → Error, restart, CrashLoopBackOff with doubling back-off", () => {
    const run = drive(mkPod({ containers: [nginx({ image: "busybox", command: ["sh", "-c", "exit 1"] })] }), 200_000);
    // Exit at 3 s; first restart at the next sync (4 s); later ones 10 s, 20 s, 40 s after each exit.
    // (Each restart re-pulls with policy Always: 0.5 s, then 1 s to start.)
    const starts = run.events.filter((e) => e.reason === "Started").map((e) => e.at);
    expect(starts.slice(0, 5)).toEqual([3000, 5500, 17_000, 38_500, 80_000]);
    expect(run.events.filter((e) => e.reason === "Pulling").map((e) => e.at).slice(0, 4)).toEqual([0, 4000, 15_500, 37_000]);
    const backoffs = run.events.filter((e) => e.reason === "BackOff");
    expect(backoffs[0]).toMatchObject({ at: 6500, type: "Warning", message: "Back-off restarting failed container nginx in pod p_default(uid-1)" });
    const err = run.at(3000).status.containerStatuses[0];
    expect(stateOf(err)).toBe("terminated:Error");
    expect(run.at(3000).status.phase).toBe("Running");
    const loop = run.at(6500).status.containerStatuses[0];
    expect(stateOf(loop)).toBe("waiting:CrashLoopBackOff");
    expect(loop.state.waiting.message).toBe("back-off 10s restarting failed container=nginx pod=p_default(uid-1)");
    expect(loop.restartCount).toBe(1);
    expect(loop.lastState.terminated).toMatchObject({ exitCode: 1, reason: "Error" });
    expect(run.at(18_000).status.containerStatuses[0].state.waiting.message).toMatch(/^back-off 20s /);
    expect(run.at(81_000).status.containerStatuses[0].state.waiting.message).toMatch(/^back-off 1m20s /);
    // Capped at 5 min.
    const late = nextPodStatus({ pod: mkPod({ containers: [nginx({ image: "busybox", command: ["false"] })] }), node: NODE, elapsedMs: 3_600_000, now: T0 });
    expect(late.status.containerStatuses[0].restartCount).toBeGreaterThan(8);
    expect(late.wakeAfterMs).toBeLessThanOrEqual(300_000);
  });

  it("OnFailure: a successful exit is final", () => {
    const out = nextPodStatus({ pod: mkPod({ restartPolicy: "OnFailure", containers: [nginx({ command: ["true"] })] }), node: NODE, elapsedMs: 60_000, now: T0 });
    expect(out.status.phase).toBe("Succeeded");
    expect(out.wakeAfterMs).toBeNull();
  });

  it("init containers run in order, each to completion, before the app", () => {
    const pod = mkPod({
      initContainers: [
        { name: "init-a", image: "busybox", imagePullPolicy: "IfNotPresent", command: ["sh", "-c", "sleep 2"] },
        { name: "init-b", image: "busybox", imagePullPolicy: "IfNotPresent", command: ["sh", "-c", "echo done"] },
      ],
      containers: [nginx()],
    });
    const run = drive(pod, 60_000);
    const during = run.at(4000).status;
    expect(during.phase).toBe("Pending");
    expect(during.initContainerStatuses.map(stateOf)).toEqual(["running", "waiting:PodInitializing"]);
    expect(during.conditions.find((c: any) => c.type === "Initialized")).toMatchObject({ status: "False", reason: "ContainersNotInitialized", message: "containers with incomplete status: [init-a init-b]" });
    expect(stateOf(during.containerStatuses[0])).toBe("waiting:PodInitializing");
    expect(run.events.map((e) => `${e.reason} ${e.message.split(" ").slice(-1)[0]}`).filter((s) => /^(Created|Started)/.test(s))).toEqual([
      "Created init-a",
      "Started init-a",
      "Created init-b",
      "Started init-b",
      "Created nginx",
      "Started nginx",
    ]);
    // init-b reuses the image init-a pulled.
    expect(run.events.find((e) => e.at > 3000 && e.reason === "Pulled")!.message).toBe('Container image "busybox" already present on machine');
    expect(run.final.status.phase).toBe("Running");
    expect(run.final.status.initContainerStatuses.map(stateOf)).toEqual(["terminated:Completed", "terminated:Completed"]);
    expect(condMap(run.final.status).Initialized).toBe("True");
  });

  it("a failing init container with restartPolicy Never fails the pod", () => {
    const pod = mkPod({ restartPolicy: "Never", initContainers: [{ name: "i", image: "busybox", command: ["false"] }], containers: [nginx()] });
    const out = nextPodStatus({ pod, node: NODE, elapsedMs: 60_000, now: T0 });
    expect(out.status.phase).toBe("Failed");
    expect(out.wakeAfterMs).toBeNull();
  });

  it("readiness after the probe's initialDelaySeconds", () => {
    const run = drive(mkPod({ containers: [nginx({ readinessProbe: { httpGet: { port: 80 }, initialDelaySeconds: 10 } })] }), 60_000);
    const started = run.at(3000).status;
    expect(started.phase).toBe("Running");
    expect(started.containerStatuses[0]).toMatchObject({ ready: false, started: true });
    expect(condMap(started).Ready).toBe("False");
    expect(run.at(3000).wakeAfterMs).toBe(10_000);
    const ready = run.at(13_000).status;
    expect(ready.containerStatuses[0].ready).toBe(true);
    expect(condMap(ready).Ready).toBe("True");
  });

  it("unresolvable image: ErrImagePull then ImagePullBackOff with Failed events", () => {
    const run = drive(mkPod({ containers: [nginx({ image: "nginx:doesnotexist" })] }), 40_000);
    expect(stateOf(run.at(2000).status.containerStatuses[0])).toBe("waiting:ErrImagePull");
    expect(stateOf(run.at(3000).status.containerStatuses[0])).toBe("waiting:ImagePullBackOff");
    expect(run.at(3000).status.phase).toBe("Pending");
    expect(run.events.slice(0, 5).map((e) => [e.at, e.type, e.reason, e.message])).toEqual([
      [0, "Normal", "Pulling", 'Pulling image "nginx:doesnotexist"'],
      [
        2000,
        "Warning",
        "Failed",
        'Failed to pull image "nginx:doesnotexist": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:doesnotexist": failed to resolve reference "docker.io/library/nginx:doesnotexist": docker.io/library/nginx:doesnotexist: not found',
      ],
      [2000, "Warning", "Failed", "Error: ErrImagePull"],
      [3000, "Normal", "BackOff", 'Back-off pulling image "nginx:doesnotexist"'],
      [3000, "Warning", "Failed", "Error: ImagePullBackOff"],
    ]);
    // Retries 10 s, then 20 s after each failure.
    expect(run.events.filter((e) => e.reason === "Pulling").map((e) => e.at)).toEqual([0, 12_000, 34_000]);
  });

  it("invalid image name: InvalidImageName", () => {
    const out = nextPodStatus({ pod: mkPod({ containers: [nginx({ image: "Nginx" })] }), node: NODE, elapsedMs: 5000, now: T0 });
    expect(stateOf(out.status.containerStatuses[0])).toBe("waiting:InvalidImageName");
    expect(out.events.map((e) => e.reason)).toEqual(["InspectFailed", "Failed"]);
    expect(out.wakeAfterMs).toBeNull();
  });

  it.each([
    ["nginx handles SIGTERM: gone within 1 s", nginx(), 30, 11_000, 0],
    ["sleep as PID 1 is killed after the grace period", nginx({ image: "busybox", command: ["sleep", "3600"] }), 5, 15_000, 137],
  ])("deletion: %s", (_, container, grace, removeAt, exitCode) => {
    const run = drive(mkPod({ containers: [container] }), 120_000, { deleteAt: 10_000, grace });
    const killing = run.events.filter((e) => e.reason === "Killing");
    expect(killing).toEqual([{ at: 10_000, type: "Normal", reason: "Killing", message: "Stopping container nginx" }]);
    expect(run.at(10_000).remove).toBe(false);
    expect(run.at(10_000).status.containerStatuses[0].ready).toBe(false);
    expect(run.trace[run.trace.length - 1]!.t).toBe(removeAt);
    expect(run.final.remove).toBe(true);
    expect(run.final.status.containerStatuses[0].state.terminated.exitCode).toBe(exitCode);
    expect(run.final.status.phase).toBe(exitCode === 0 ? "Succeeded" : "Failed");
  });

  it("deleting a pod whose containers never started removes it at once", () => {
    const out = nextPodStatus({ pod: mkPod({ containers: [nginx()] }), node: NODE, elapsedMs: 500, termination: { noticedAt: 500, gracePeriodSeconds: 30 }, now: T0 });
    expect(out.remove).toBe(true);
    expect(out.events.map((e) => e.reason)).toEqual(["Pulling"]);
  });
});

describe("kubelet reconciler", () => {
  it("takes one pod end to end: status, events, requeues, graceful removal", async () => {
    const c = await cluster();
    const { registry } = c.sandbox;
    const nodes = registry.resource("", "nodes").list("", { selection: selectEverything }).items;
    const node = nodes.find((n) => !n.spec?.taints?.length) ?? nodes[0]!;
    let sim = 1_000_000;
    const clock = { now: () => c.clock.now(), simulatedNow: () => sim };
    const advance = (ms: number) => {
      sim += ms;
      c.clock.advance(ms);
    };
    const user = { username: "system:node:" + node.metadata.name, groups: ["system:nodes"] };
    const reconcile = kubeletReconciler({ registry, user, clock, podsOn: podsOnFrom(registry) });
    const pods = registry.resource("", "pods");
    // The pod comes from the API (a node may create only mirror pods); the kubelet writes as its node.
    await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, spec: { nodeName: node.metadata.name, containers: [{ name: "nginx", image: "nginx" }] } }, { user: systemUser });
    expect(needsKubelet(pods.get("default", "web"))).toBe(true);

    expect(await reconcile("default/web")).toEqual({ requeueAfterMs: 2000 });
    // Idempotent: a second reconcile at the same instant writes and emits nothing new.
    const rv = pods.get("default", "web").metadata.resourceVersion;
    expect(await reconcile("default/web")).toEqual({ requeueAfterMs: 2000 });
    expect(pods.get("default", "web").metadata.resourceVersion).toBe(rv);
    expect(pods.get("default", "web").status.containerStatuses[0].state.waiting.reason).toBe("ContainerCreating");

    advance(2000);
    expect(await reconcile("default/web")).toEqual({ requeueAfterMs: 1000 });
    advance(1000);
    expect(await reconcile("default/web")).toBeUndefined();
    const running = pods.get("default", "web");
    expect(running.status.phase).toBe("Running");
    expect(running.status.podIP).toMatch(new RegExp(`^${node.spec.podCIDR.replace(/\.0\/24$/, "").replace(/\./g, "\\.")}\\.2$`));
    expect(running.status.hostIP).toBe(node.status.addresses.find((a: any) => a.type === "InternalIP").address);
    expect(running.status.qosClass).toBe("BestEffort");

    const events = registry
      .resource("", "events")
      .list("default", { selection: selectEverything })
      .items.filter((e) => e.involvedObject.name === "web")
      .sort((a, b) => a.firstTimestamp.localeCompare(b.firstTimestamp));
    // (Events in the same second have no stored order.)
    expect(events.map((e) => e.reason).sort()).toEqual(["Created", "Pulled", "Pulling", "Started"]);
    expect(events[0]!.reason).toBe("Pulling");
    expect(events[0]!.source).toEqual({ component: "kubelet", host: node.metadata.name });

    // A kubelet that lost its memory (eviction) resumes the pod where it is, emitting nothing again.
    const fresh = kubeletReconciler({ registry, user, clock, podsOn: podsOnFrom(registry) });
    const before = registry.resource("", "events").list("default", { selection: selectEverything }).items.length;
    const rv2 = pods.get("default", "web").metadata.resourceVersion;
    expect(await fresh("default/web")).toBeUndefined();
    expect(pods.get("default", "web").metadata.resourceVersion).toBe(rv2);
    expect(registry.resource("", "events").list("default", { selection: selectEverything }).items.length).toBe(before);

    // A second pod on the node gets the next address.
    await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "web2" }, spec: { nodeName: node.metadata.name, containers: [{ name: "nginx", image: "nginx" }] } }, { user: systemUser });
    await reconcile("default/web2");
    expect(pods.get("default", "web2").status.podIP).toBe(running.status.podIP.replace(/\.2$/, ".3"));

    // Deletion: graceful when the API keeps the pod, else the pod is simply gone.
    await pods.delete("default", "web", { user, gracePeriodSeconds: 30 });
    const still = (() => {
      try {
        return pods.get("default", "web");
      } catch {
        return null;
      }
    })();
    if (still) {
      expect(await reconcile("default/web")).toEqual({ requeueAfterMs: 1000 });
      advance(1000);
      expect(await reconcile("default/web")).toBeUndefined();
      expect(() => pods.get("default", "web")).toThrow();
    } else {
      expect(await reconcile("default/web")).toBeUndefined();
    }
  });
});

describe("kubelet reconciler, graceful pod deletion", () => {
  it("stops the containers (Killing), then removes the pod within its grace period", async () => {
    const c = await cluster();
    const { registry } = c.sandbox;
    const node = registry.resource("", "nodes").list("", { selection: selectEverything }).items[0]!;
    let sim = 0;
    const clock = { now: () => c.clock.now(), simulatedNow: () => sim };
    const user = { username: "system:node:" + node.metadata.name, groups: ["system:nodes"] };
    const reconcile = kubeletReconciler({ registry, user, clock, podsOn: podsOnFrom(registry) });
    const pods = registry.resource("", "pods");
    await pods.create(
      "default",
      { apiVersion: "v1", kind: "Pod", metadata: { name: "graceful" }, spec: { nodeName: node.metadata.name, containers: [{ name: "nginx", image: "nginx" }] } },
      { user: systemUser },
    );
    await reconcile("default/graceful");
    sim += 3000;
    await reconcile("default/graceful");
    expect(pods.get("default", "graceful").status.phase).toBe("Running");
    const deleted = await pods.delete("default", "graceful", { user });
    // A bound pod is deleted gracefully: it stays, Terminating, with its grace period.
    expect(deleted.deleted).toBe(false);
    expect(deleted.object.metadata.deletionGracePeriodSeconds).toBe(30);
    for (let i = 0; i < 10; i++) {
      const result = await reconcile("default/graceful");
      if (!result) break;
      sim += result.requeueAfterMs ?? 0;
    }
    expect(() => pods.get("default", "graceful")).toThrow(/not found/);
    const reasons = registry.resource("", "events").list("default", { selection: selectEverything }).items.filter((e) => e.involvedObject.name === "graceful").map((e) => e.reason);
    expect(reasons).toContain("Killing");
  });
});
