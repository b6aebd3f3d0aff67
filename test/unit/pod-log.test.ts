/**
 * `GET …/pods/{name}/log` on the wire, as kube-apiserver + kubelet answer it: container choice,
 * the kubelet's status checks, PodLogOptions, and `follow` streams that end with the container.
 * Most tests bind pods to a node whose kubelet is stopped and write the container status by hand;
 * one lets the simulated kubelet run the pod.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KUBELET_STOPPED } from "../../src/controlplane/kubelet/heartbeat";
import { accept, cluster, contentType, paths, T0, type Cluster } from "./support/cluster";

let c: Cluster;
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await c?.closeWatches();
});

/** The node our hand-written statuses live on: its kubelet reports nothing. */
const NODE = "worker-2";
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
const cid = (run: number) => `containerd://run-${run}`;
const SCRIPT = ["sh", "-c", "echo one; sleep 10; echo two; sleep 10; echo three; sleep 3600"];

const running = (name: string, startedAt: number, extra: Record<string, unknown> = {}) => ({
  name,
  state: { running: { startedAt: iso(startedAt) } },
  containerID: cid(0),
  restartCount: 0,
  ready: true,
  ...extra,
});
const waiting = (name: string, reason: string) => ({ name, state: { waiting: { reason } }, restartCount: 0, ready: false });
const terminated = (run: number, startedAt: number, finishedAt: number, exitCode = 0) => ({
  exitCode,
  reason: exitCode === 0 ? "Completed" : "Error",
  startedAt: iso(startedAt),
  finishedAt: iso(finishedAt),
  containerID: cid(run),
});

async function createPod(name: string, containers: unknown[], opts: { nodeName?: string | null; initContainers?: unknown[]; annotations?: Record<string, string> } = {}) {
  const nodeName = opts.nodeName === undefined ? NODE : opts.nodeName;
  const body = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: { containers, ...(opts.initContainers ? { initContainers: opts.initContainers } : {}), ...(nodeName ? { nodeName } : {}) },
  };
  const res = await c.post(paths.pods(), body);
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
}

async function setStatuses(name: string, containerStatuses: unknown[], initContainerStatuses?: unknown[]) {
  const status = { phase: "Running", containerStatuses, ...(initContainerStatuses ? { initContainerStatuses } : {}) };
  const res = await c.patch(`${paths.pod(name)}/status`, { status }, contentType.merge);
  if (res.status !== 200) throw new Error(`status failed: ${res.status} ${res.text}`);
}

const logs = (name: string, query = "") => c.get(`${paths.pod(name)}/log${query ? `?${query}` : ""}`);

/** A streaming log response read as it arrives. */
async function follow(name: string, query = "") {
  const req = c.request("GET", `${paths.pod(name)}/log?follow=true${query ? `&${query}` : ""}`);
  const res = await c.sandbox.api.handle(req, new URL(req.url).pathname);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let done = false;
  const pump = (async () => {
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
      }
    } catch {
      /* cancelled */
    }
    done = true;
  })();
  const stream = {
    res,
    get text() {
      return text;
    },
    /** Resolves once the text received satisfies `ok` (or fails after `timeoutMs`). */
    async until(ok: (text: string) => boolean, timeoutMs = 2500) {
      const deadline = Date.now() + timeoutMs;
      while (!ok(text)) {
        if (Date.now() > deadline) throw new Error(`stream text was ${JSON.stringify(text)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async ended(timeoutMs = 2500) {
      await Promise.race([pump, new Promise((r) => setTimeout(r, timeoutMs))]);
      return done;
    },
    close: () => reader.cancel().catch(() => {}),
  };
  open.push(stream);
  return stream;
}

beforeEach(async () => {
  c = await cluster();
  const res = await c.patch(`/api/v1/nodes/${NODE}`, { metadata: { annotations: { [KUBELET_STOPPED]: "true" } } }, contentType.merge);
  expect(res.status).toBe(200);
});

describe("discovery", () => {
  it("lists pods/log as a get-only subresource answering with Pod, in both discovery forms", async () => {
    const list = await c.get("/api/v1");
    expect(list.body.resources.find((r: { name: string }) => r.name === "pods/log")).toEqual({ name: "pods/log", singularName: "", namespaced: true, kind: "Pod", verbs: ["get"] });
    const aggregated = await c.get("/api", { headers: { accept: accept.discoveryV2 } });
    const pods = aggregated.body.items[0].versions[0].resources.find((r: { resource: string }) => r.resource === "pods");
    expect(pods.subresources).toContainEqual({ subresource: "log", responseKind: { group: "", version: "v1", kind: "Pod" }, verbs: ["get"] });
  });
});

describe("what a container printed", () => {
  it("serves a single-container pod's log as text/plain without naming the container", async () => {
    await createPod("web", [{ name: "nginx", image: "nginx:1.27" }]);
    await setStatuses("web", [running("nginx", T0)]);
    const res = await logs("web");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.text).toContain("/docker-entrypoint.sh: Configuration complete; ready for start up\n");
    expect(res.text).toMatch(/\[notice\] 1#1: start worker processes\n/);
  });

  it("shows a script's lines as its sleeps let them out", async () => {
    await createPod("job", [{ name: "main", image: "busybox", command: SCRIPT }]);
    await setStatuses("job", [running("main", T0)]);
    expect((await logs("job")).text).toBe("one\n");
    c.clock.advance(10_000);
    expect((await logs("job")).text).toBe("one\ntwo\n");
  });

  it("reads the named container, including an init container", async () => {
    await createPod("two", [{ name: "a", image: "redis:7.4" }, { name: "b", image: "busybox", command: ["sh", "-c", "echo from-b; sleep 3600"] }], {
      initContainers: [{ name: "init", image: "busybox", command: ["sh", "-c", "echo initialised"] }],
    });
    await setStatuses("two", [running("a", T0), running("b", T0)], [{ name: "init", state: { terminated: terminated(0, T0 - 5_000, T0 - 5_000) }, restartCount: 0, ready: false }]);
    expect((await logs("two", "container=b")).text).toBe("from-b\n");
    expect((await logs("two", "container=init")).text).toBe("initialised\n");
    expect((await logs("two", "container=a")).text).toContain("Ready to accept connections tcp");
  });

  it("answers 204 with no body for a pod not yet bound to a node", async () => {
    await createPod("pending", [{ name: "main", image: "nginx" }], { nodeName: null });
    const res = await logs("pending");
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
  });

  it("only reads: the log request writes nothing", async () => {
    await createPod("web", [{ name: "nginx", image: "nginx" }]);
    await setStatuses("web", [running("nginx", T0)]);
    const before = c.sandbox.stats().storage.revision;
    await logs("web");
    expect(c.sandbox.stats().storage.revision).toBe(before);
  });
});

describe("errors, worded as upstream", () => {
  beforeEach(async () => {
    await createPod("web", [{ name: "a", image: "nginx" }, { name: "b", image: "nginx" }], {
      initContainers: [{ name: "init", image: "busybox" }],
      annotations: { "kubectl.kubernetes.io/default-container": "a" },
    });
  });

  it.each([
    ["", 400, "a container name must be specified for pod web, choose one of: [init a b]"],
    ["container=c", 400, "container c is not valid for pod web"],
    ["container=a&tailLines=-1", 422, 'PodLogOptions "web" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0'],
    ["container=a&limitBytes=0", 422, 'PodLogOptions "web" is invalid: limitBytes: Invalid value: 0: must be greater than 0'],
    ["container=a&sinceSeconds=0", 422, 'PodLogOptions "web" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0'],
    ["container=a&sinceSeconds=5&sinceTime=2026-01-02T03:04:05Z", 422, 'PodLogOptions "web" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified'],
    ["container=a&tailLines=x", 400, 'strconv.ParseInt: parsing "x": invalid syntax'],
  ])("?%s → %i %s", async (query, code, message) => {
    const res = await logs("web", query);
    expect(res.status).toBe(code);
    expect(res.body).toMatchObject({ kind: "Status", status: "Failure", code, message });
  });

  it("leaves the default-container annotation to kubectl, which names the container itself", async () => {
    expect((await logs("web")).status).toBe(400);
  });

  it.each([
    [waiting("a", "ContainerCreating"), false, 'container "a" in pod "web" is waiting to start: ContainerCreating'],
    [waiting("a", "ErrImagePull"), false, `container "a" in pod "web" is waiting to start: image can't be pulled`],
    [waiting("a", "ImagePullBackOff"), false, 'container "a" in pod "web" is waiting to start: trying and failing to pull image'],
    [running("a", T0), true, 'previous terminated container "a" in pod "web" not found'],
    [{ name: "a", state: {}, restartCount: 0 }, false, 'container "a" in pod "web" is waiting to start - no logs yet'],
  ])("a container whose status is %j (previous=%s) → 400", async (status, previous, message) => {
    await setStatuses("web", [status, running("b", T0)]);
    const res = await logs("web", `container=a${previous ? "&previous=true" : ""}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ reason: "BadRequest", code: 400, message });
  });

  it("a container with no status yet is not available", async () => {
    const res = await logs("web", "container=a");
    expect(res.body).toMatchObject({ code: 400, message: 'container "a" in pod "web" is not available' });
  });

  it("a pod that does not exist is 404", async () => {
    const res = await logs("nope");
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ reason: "NotFound", message: 'pods "nope" not found' });
  });
});

describe("previous runs", () => {
  beforeEach(async () => {
    await createPod("crash", [{ name: "main", image: "busybox", command: ["sh", "-c", "echo starting; sleep 5; echo failing; exit 1"] }]);
  });

  it("reads the current run by default and the last terminated one with previous=true", async () => {
    c.clock.advance(20_000);
    await setStatuses("crash", [running("main", T0 + 20_000, { containerID: cid(1), restartCount: 1, lastState: { terminated: terminated(0, T0, T0 + 5_000, 1) } })]);
    const stamped = (text: string) => text.split("\n").filter(Boolean).map((l) => l.slice(11, 19) + l.slice(l.indexOf(" ")));
    expect(stamped((await logs("crash", "timestamps=true")).text)).toEqual(["03:04:25 starting"]);
    expect(stamped((await logs("crash", "timestamps=true&previous=true")).text)).toEqual(["03:04:05 starting", "03:04:10 failing"]);
  });

  it("in CrashLoopBackOff, the log is the run that just failed", async () => {
    c.clock.advance(20_000);
    await setStatuses("crash", [{ ...waiting("main", "CrashLoopBackOff"), restartCount: 1, lastState: { terminated: terminated(1, T0 + 10_000, T0 + 15_000, 1) } }]);
    expect((await logs("crash")).text).toBe("starting\nfailing\n");
  });
});

describe("PodLogOptions", () => {
  beforeEach(async () => {
    await createPod("job", [{ name: "main", image: "busybox", command: SCRIPT }]);
    await setStatuses("job", [running("main", T0)]);
    c.clock.advance(25_000);
  });

  it("tailLines keeps the last lines; tailLines=0 none", async () => {
    expect((await logs("job", "tailLines=2")).text).toBe("two\nthree\n");
    expect((await logs("job", "tailLines=0")).text).toBe("");
  });

  it("timestamps prefixes RFC 3339 nanosecond times derived from startedAt", async () => {
    const lines = (await logs("job", "timestamps=true")).text.trimEnd().split("\n");
    expect(lines.map((l) => l.replace(/\.\d{9}Z /, "Z "))).toEqual(["2026-01-02T03:04:05Z one", "2026-01-02T03:04:15Z two", "2026-01-02T03:04:25Z three"]);
  });

  it("sinceSeconds and sinceTime drop older lines", async () => {
    expect((await logs("job", "sinceSeconds=16")).text).toBe("two\nthree\n");
    expect((await logs("job", "sinceTime=2026-01-02T03:04:20Z")).text).toBe("three\n");
  });

  it("limitBytes cuts the output at that many bytes, mid-line", async () => {
    expect((await logs("job", "limitBytes=6")).text).toBe("one\ntw");
  });
});

describe("follow", () => {
  beforeEach(async () => {
    await createPod("job", [{ name: "main", image: "busybox", command: SCRIPT }]);
    await setStatuses("job", [running("main", T0)]);
  });

  it("streams new lines as they are written and ends when the container terminates", async () => {
    const stream = await follow("job");
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get("content-type")).toBe("text/plain");
    await stream.until((t) => t === "one\n");
    expect(c.sandbox.stats().openWatches).toBe(1);
    c.clock.advance(10_000);
    await stream.until((t) => t === "one\ntwo\n");
    // The container is killed 2 s later: "three" (due at 20 s) is never written.
    c.clock.advance(2_000);
    await setStatuses("job", [{ name: "main", state: { terminated: terminated(0, T0, T0 + 12_000, 137) }, containerID: cid(0), restartCount: 0, ready: false }]);
    expect(await stream.ended()).toBe(true);
    expect(stream.text).toBe("one\ntwo\n");
    expect(c.sandbox.stats().openWatches).toBe(0);
  });

  it("ends when the pod is deleted", async () => {
    const stream = await follow("job", "timestamps=true");
    await stream.until((t) => t.endsWith(" one\n"));
    expect((await c.del(paths.pod("job"), { gracePeriodSeconds: 0 })).status).toBe(200);
    expect(await stream.ended()).toBe(true);
    expect(c.sandbox.stats().openWatches).toBe(0);
  });

  it("releases the stream when the client goes away", async () => {
    const stream = await follow("job");
    await stream.until((t) => t === "one\n");
    await stream.close();
    await new Promise((r) => setTimeout(r, 20));
    expect(c.sandbox.stats().openWatches).toBe(0);
  });

  it("ends at once for a container that is no longer running, and at limitBytes", async () => {
    const limited = await follow("job", "limitBytes=2");
    expect(await limited.ended()).toBe(true);
    expect(limited.text).toBe("on");
    await setStatuses("job", [{ name: "main", state: { terminated: terminated(0, T0, T0 + 1_000, 137) }, containerID: cid(0), restartCount: 0 }]);
    const finished = await follow("job");
    expect(await finished.ended()).toBe(true);
    expect(finished.text).toBe("one\n");
    expect(c.sandbox.stats().openWatches).toBe(0);
  });
});

describe("with the simulated kubelet", () => {
  it("is waiting to start while the image pulls, then shows nginx starting", async () => {
    await createPod("web", [{ name: "nginx", image: "nginx:1.27" }], { nodeName: "worker-1" });
    await c.sandbox.controlPlane.runDue();
    await c.settle();
    expect((await logs("web")).body).toMatchObject({ code: 400, message: 'container "nginx" in pod "web" is waiting to start: ContainerCreating' });
    for (let i = 0; i < 4; i++) {
      c.clock.advance(1_000);
      await c.sandbox.controlPlane.runDue();
    }
    await c.settle();
    const pod = (await c.get(paths.pod("web"))).body;
    expect(pod.status.containerStatuses[0].state.running).toBeDefined();
    expect((await logs("web")).text).toMatch(/\[notice\] 1#1: start worker processes\n/);
  });
});
