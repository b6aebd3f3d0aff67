/**
 * The exec/attach streams (src/apiserver/exec/): the WebSocket channel framing kubectl ≥ 1.30
 * speaks, the sessions driven frame by frame, and the Status errors answered before the upgrade.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame, exitStatus, negotiateSubprotocol, STREAM } from "../../src/apiserver/exec/protocol";
import { AttachSession, ExecSession, parseStreamOptions, type SessionContext, type StreamOptions } from "../../src/apiserver/exec/session";
import { containerWorld } from "../../src/apiserver/exec/world";
import { SPDY_UNSUPPORTED } from "../../src/apiserver/exec";
import type { ContainerSpec } from "../../src/apiserver/exec/environment";
import type { KObject } from "../../src/registry/types";
import { cluster, paths, pod as podBuilder, T0, type Cluster } from "./support/cluster";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("channel framing", () => {
  it("prefixes the stream byte and reads it back", () => {
    expect([...encodeFrame(STREAM.stdout, "hi")]).toEqual([1, 104, 105]);
    expect(decodeFrame(new Uint8Array([0, 65]).buffer)).toEqual({ stream: 0, payload: new Uint8Array([65]) });
    expect(decodeFrame(new Uint8Array([255, 0]))).toEqual({ stream: 255, payload: new Uint8Array([0]) });
    expect(decodeFrame(new Uint8Array([]))).toBeNull();
  });

  it("prefers v5 and accepts v4; nothing older", () => {
    expect(negotiateSubprotocol("v5.channel.k8s.io, v4.channel.k8s.io")).toBe("v5.channel.k8s.io");
    expect(negotiateSubprotocol("v4.channel.k8s.io")).toBe("v4.channel.k8s.io");
    expect(negotiateSubprotocol("channel.k8s.io, base64.channel.k8s.io")).toBeNull();
  });

  it("reports a non-zero exit as NonZeroExitCode with an ExitCode cause", () => {
    expect(exitStatus(0)).toEqual({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success" });
    expect(exitStatus(3)).toMatchObject({ status: "Failure", reason: "NonZeroExitCode", details: { causes: [{ reason: "ExitCode", message: "3" }] } });
  });

  it("reads PodExecOptions from the query, command repeated", () => {
    const q = new URLSearchParams("command=sh&command=-c&command=echo+hi&container=main&stdin=true&stdout=true&stderr=true&tty=false");
    expect(parseStreamOptions(q)).toEqual({ stdin: true, stdout: true, stderr: true, tty: false, container: "main", command: ["sh", "-c", "echo hi"] });
  });
});

const CONTAINER: ContainerSpec = { name: "main", image: "busybox:1.36", command: ["sh"], stdin: true };
const POD: KObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "box", namespace: "default", uid: "uid-box" },
  spec: { nodeName: "worker-1", containers: [CONTAINER] },
  status: { phase: "Running", podIP: "10.244.1.5" },
};

/** A session over a recording sink: frames by stream, closed flag, the final status. */
function harness(options: Partial<StreamOptions>, container = CONTAINER) {
  const frames: { stream: number; text: string }[] = [];
  let closed = false;
  const ctx: SessionContext = {
    sink: { send: (f) => frames.push({ stream: f[0]!, text: text(f.subarray(1)) }), close: () => (closed = true) },
    options: { stdin: false, stdout: true, stderr: true, tty: false, container: "main", command: [], ...options },
    pod: POD,
    container,
    world: containerWorld(POD, container, { services: [], pods: [POD], configMaps: [], secrets: [] }),
    now: () => T0,
    speed: 1,
  };
  return {
    ctx,
    frames,
    closed: () => closed,
    out: (stream: number) => frames.filter((f) => f.stream === stream).map((f) => f.text).join(""),
    status: () => {
      const error = frames.filter((f) => f.stream === STREAM.error && f.text);
      return error.length ? JSON.parse(error[error.length - 1]!.text) : null;
    },
    stdin: (s: string) => encodeFrame(STREAM.stdin, s),
  };
}

describe("exec sessions", () => {
  it("opens with an empty stdout frame, runs the script, ends with its status and closes", () => {
    const h = harness({ command: ["sh", "-c", "echo hi; echo err >&2; exit 3"] });
    new ExecSession(h.ctx).start();
    expect(h.frames[0]).toEqual({ stream: STREAM.stdout, text: "" });
    expect(h.out(STREAM.stdout)).toBe("hi\n");
    expect(h.out(STREAM.stderr)).toBe("err\n");
    expect(h.status()).toMatchObject({ reason: "NonZeroExitCode", details: { causes: [{ message: "3" }] } });
    expect(h.closed()).toBe(true);
  });

  it("runs a program without a shell", () => {
    const h = harness({ command: ["hostname"] });
    new ExecSession(h.ctx).start();
    expect(h.out(STREAM.stdout)).toBe("box\n");
    expect(h.status()).toMatchObject({ status: "Success" });
  });

  it("`exec -i sh` reads stdin lines until the client closes stdin (v5 close signal)", () => {
    const h = harness({ command: ["sh"], stdin: true });
    const s = new ExecSession(h.ctx);
    s.start();
    s.receive(h.stdin("echo a\nX=5\n"));
    s.receive(h.stdin("echo $X"));
    expect(h.out(STREAM.stdout)).toBe("a\n");
    expect(h.closed()).toBe(false);
    s.receive(new Uint8Array([STREAM.close, STREAM.stdin]));
    expect(h.out(STREAM.stdout)).toBe("a\n5\n");
    expect(h.status()).toMatchObject({ status: "Success" });
    expect(h.closed()).toBe(true);
  });

  it("a shell without stdin ends at once", () => {
    const h = harness({ command: ["sh"] });
    new ExecSession(h.ctx).start();
    expect(h.status()).toMatchObject({ status: "Success" });
  });

  it("on a TTY: prompt, echo of typed keys, CRLF, backspace, exit ends the stream", () => {
    const h = harness({ command: ["sh"], stdin: true, tty: true, stderr: false });
    const s = new ExecSession(h.ctx);
    s.start();
    s.receive(h.stdin("echo hix\x7f\r"));
    s.receive(h.stdin("nope\r"));
    s.receive(h.stdin("exit 2\r"));
    expect(h.out(STREAM.stdout)).toBe("/ # echo hix\b \b\r\nhi\r\n/ # nope\r\nsh: nope: not found\r\n/ # exit 2\r\n");
    expect(h.out(STREAM.stderr)).toBe("");
    expect(h.status()).toMatchObject({ details: { causes: [{ message: "2" }] } });
  });

  it("a blocking script waits for Ctrl-C (130)", () => {
    const h = harness({ command: ["sh", "-c", "sleep infinity"], stdin: true, tty: true });
    const s = new ExecSession(h.ctx);
    s.start();
    expect(h.closed()).toBe(false);
    s.receive(h.stdin("\x03"));
    expect(h.status()).toMatchObject({ details: { causes: [{ message: "130" }] } });
  });

  it("a container that is not running fails with the kubelet's error", () => {
    const h = harness({ command: ["env"] });
    new ExecSession(h.ctx).fail('unable to upgrade connection: container not found ("main")');
    expect(h.status()).toMatchObject({ status: "Failure", reason: "InternalError", message: 'Internal error occurred: unable to upgrade connection: container not found ("main")' });
  });
});

describe("attach sessions", () => {
  const run = (container: ContainerSpec) => ({ pod: POD, container, containerID: "containerd://abc", startedAt: T0, speed: 1 });

  it("streams what the container printed, then new lines, and ends with the run", () => {
    const container: ContainerSpec = { name: "main", image: "busybox", command: ["sh", "-c", "echo one; sleep 5; echo two; sleep 5; echo three"] };
    const h = harness({}, container);
    h.ctx.now = () => T0 + 1_000;
    const s = new AttachSession(h.ctx, run(container));
    s.start();
    expect(h.out(STREAM.stdout)).toBe("one\n");
    h.ctx.now = () => T0 + 6_000;
    s.tick(POD, null);
    expect(h.out(STREAM.stdout)).toBe("one\ntwo\n");
    s.tick(POD, { finishedAt: T0 + 10_000, exitCode: 0 });
    expect(h.out(STREAM.stdout)).toBe("one\ntwo\nthree\n");
    expect(h.status()).toMatchObject({ status: "Success" });
    expect(h.closed()).toBe(true);
  });

  it("feeds stdin to a container's shell started with stdin", () => {
    const h = harness({ stdin: true });
    const s = new AttachSession(h.ctx, run(CONTAINER));
    s.start();
    s.receive(h.stdin("echo attached\nexit\n"));
    expect(h.out(STREAM.stdout)).toBe("attached\n");
    expect(h.closed()).toBe(true);
  });

  it("ends when the pod is deleted", () => {
    const h = harness({}, { name: "main", image: "nginx" });
    const s = new AttachSession(h.ctx, run({ name: "main", image: "nginx" }));
    s.start();
    s.tick(null, null);
    expect(h.closed()).toBe(true);
  });
});

describe("errors before the upgrade", () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await cluster();
    expect((await c.post(paths.pods(), podBuilder("web", { nodeName: "worker-1" }))).status).toBe(201);
    expect((await c.post(paths.pods(), podBuilder("pending"))).status).toBe(201);
  });
  afterAll(() => c.closeWatches());

  const exec = (name: string, query: string, headers: Record<string, string> = { upgrade: "websocket", connection: "Upgrade", "sec-websocket-protocol": "v5.channel.k8s.io" }) =>
    c.send("POST", `${paths.pod(name)}/exec?${query}`, undefined, { headers });

  it.each([
    ["nosuch", "command=env&stdout=true", 404, 'pods "nosuch" not found'],
    ["web", "command=env&stdout=true&container=other", 400, "container other is not valid for pod web"],
    ["web", "stdout=true", 400, "you must specify at least one command for the container"],
    ["web", "command=env", 400, "you must specify at least 1 of stdin, stdout, stderr"],
    ["pending", "command=env&stdout=true", 400, "pod pending does not have a host assigned"],
  ])("%s?%s → %i %s", async (name, query, code, message) => {
    const r = await exec(name, query);
    expect(r.status).toBe(code);
    expect(r.body).toMatchObject({ kind: "Status", code, message });
  });

  it("tells a SPDY client (kubectl ≤ 1.29) which kubectl works", async () => {
    const r = await exec("web", "command=env&stdout=true", { upgrade: "SPDY/3.1", connection: "Upgrade", "x-stream-protocol-version": "v4.channel.k8s.io" });
    expect(r.status).toBe(400);
    expect(r.body.message).toBe(SPDY_UNSUPPORTED);
    expect(r.body.message).toContain("kubectl 1.30 or newer");
    // Where a proxy dropped the hop-by-hop Upgrade header, SPDY's own headers still tell.
    const stripped = await exec("web", "command=env&stdout=true", { "x-stream-protocol-version": "v4.channel.k8s.io" });
    expect(stripped.body.message).toBe(SPDY_UNSUPPORTED);
  });

  it("refuses a request that does not upgrade", async () => {
    const r = await exec("web", "command=env&stdout=true", {});
    expect(r).toMatchObject({ status: 400, body: { message: "Upgrade request required" } });
  });
});
