/**
 * pods/exec and pods/attach: the streaming subresources kubectl reaches over WebSocket
 * (`v5.channel.k8s.io`, kubectl ≥ 1.30; `v4.channel.k8s.io` accepted too).
 *
 * Before the upgrade, errors are Status responses as kube-apiserver's streamLocation answers them:
 * the pod (404), the container (`container x is not valid for pod web`; none named and several:
 * `a container name must be specified for pod web, choose one of: [a b]`), a pod not on a node
 * (`pod web does not have a host assigned`), `you must specify at least 1 of stdin, stdout,
 * stderr`, and for exec a command. A SPDY client (kubectl ≤ 1.29) then gets a 400 saying exec
 * needs kubectl 1.30 or newer; a plain request `Upgrade request required`.
 *
 * After the upgrade a container that is not running ends the stream with the error kubectl shows
 * for it (`Internal error occurred: unable to upgrade connection: container not found ("x")`).
 * Each stream counts as one of the sandbox's open watches and lasts at most
 * {@link MAX_STREAM_MS}.
 */
import { getOrNull } from "../../controlplane/controllers/workloads";
import { selectRun } from "../pod-log";
import type { ResourceRequest } from "../request-info";
import type { ResourceContext } from "../resource-handler";
import type { ResourceStore } from "../../registry/store";
import { selectEverything } from "../../registry/selection";
import type { KObject } from "../../registry/types";
import { errors } from "../status";
import type { ClusterView, ContainerSpec } from "./environment";
import { isSpdyUpgrade, isWebSocketUpgrade, negotiateSubprotocol, SUBPROTOCOLS } from "./protocol";
import { AttachSession, ExecSession, parseStreamOptions, type FrameSink, type SessionContext, type StreamOptions } from "./session";
import { containerWorld } from "./world";

/** Real ms between the upgrade and the first output, so the client has its streams ready. */
const STREAM_START_DELAY_MS = 25;
/** A stream is closed after this long (real ms) whatever runs in it. */
export const MAX_STREAM_MS = 60 * 60_000;
/** How often (real ms) an attach looks for new output and for the end of the run. */
const ATTACH_POLL_MS = 1_000;

export const SPDY_UNSUPPORTED =
  "kubectl exec, attach and run -i need kubectl 1.30 or newer: this sandbox streams over WebSocket (v5.channel.k8s.io), " +
  "not over the SPDY protocol older kubectl versions use. Upgrade kubectl to 1.30 or newer and run the command again.";

/** streamLocation's container choice: the named one (any kind), or the pod's only container. */
export function streamContainer(pod: KObject, requested: string): ContainerSpec {
  const spec = pod.spec ?? {};
  const name = pod.metadata.name;
  const containers: ContainerSpec[] = spec.containers ?? [];
  const inits: ContainerSpec[] = spec.initContainers ?? [];
  const all = [...containers, ...inits, ...(spec.ephemeralContainers ?? [])];
  if (requested) {
    const found = all.find((c) => c.name === requested);
    if (!found) throw errors.badRequest(`container ${requested} is not valid for pod ${name}`);
    return found;
  }
  if (containers.length === 1) return containers[0]!;
  if (containers.length === 0) throw errors.badRequest(`a container name must be specified for pod ${name}`);
  let message = `a container name must be specified for pod ${name}, choose one of: [${containers.map((c) => c.name).join(" ")}]`;
  if (inits.length) message += ` or one of the init containers: [${inits.map((c) => c.name).join(" ")}]`;
  throw errors.badRequest(message);
}

/** The pre-upgrade checks; returns the options and the container. */
export function validateStream(pod: KObject, subresource: string, query: URLSearchParams): { options: StreamOptions; container: ContainerSpec } {
  const options = parseStreamOptions(query);
  if (!options.stdin && !options.stdout && !options.stderr) throw errors.badRequest("you must specify at least 1 of stdin, stdout, stderr");
  if (subresource === "exec" && options.command.length === 0) throw errors.badRequest("you must specify at least one command for the container");
  const container = streamContainer(pod, options.container);
  if (!pod.spec?.nodeName) throw errors.badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  return { options, container };
}

/** The run of the container that is running now, or null. */
function runningRun(pod: KObject, container: string): { containerID: string; startedAt: number } | null {
  try {
    const ref = selectRun(pod, container, false);
    return ref.running ? ref : null;
  } catch {
    return null;
  }
}

/** The cluster objects an exec reads, as they are now. */
function clusterView(ctx: ResourceContext, namespace: string): ClusterView {
  const all = (resource: string, ns: string) => ctx.registry.resource("", resource).list(ns, { selection: selectEverything }).items;
  return { services: all("services", ""), pods: all("pods", ""), configMaps: all("configmaps", namespace), secrets: all("secrets", namespace) };
}

export async function servePodStream(store: ResourceStore, info: ResourceRequest, request: Request, ctx: ResourceContext): Promise<Response> {
  await request.body?.cancel();
  if (info.verb !== "get" && info.verb !== "create") throw errors.methodNotAllowed(info.verb, { group: "", resource: `pods/${info.subresource}` });
  const pod = store.get(info.namespace, info.name);
  const { options, container } = validateStream(pod, info.subresource, new URL(request.url).searchParams);
  if (isSpdyUpgrade(request)) throw errors.badRequest(SPDY_UNSUPPORTED);
  if (!isWebSocketUpgrade(request)) throw errors.badRequest("Upgrade request required");
  const subprotocol = negotiateSubprotocol(request.headers.get("sec-websocket-protocol"));
  if (!subprotocol) throw errors.badRequest(`unable to upgrade: no supported sub-protocol requested: this server speaks ${SUBPROTOCOLS.join(", ")} (kubectl 1.30 or newer)`);

  const release = ctx.openWatch();
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  let timers: ReturnType<typeof setTimeout>[] = [];
  let closed = false;
  const sink: FrameSink = {
    send: (frame) => {
      if (!closed) server.send(frame);
    },
    close: () => {
      if (closed) return;
      closed = true;
      timers.forEach((t) => clearTimeout(t));
      timers = [];
      release();
      try {
        server.close(1000, "");
      } catch {
        // already closed by the client
      }
    },
  };

  const sessionContext: SessionContext = {
    sink,
    options,
    pod,
    container,
    world: containerWorld(pod, container, clusterView(ctx, info.namespace)),
    now: () => ctx.clock.now(),
    speed: ctx.speed?.() ?? 1,
  };
  const run = runningRun(pod, container.name);
  let session: ExecSession | AttachSession;
  if (info.subresource === "exec") session = new ExecSession(sessionContext);
  else session = new AttachSession(sessionContext, { pod, container, containerID: run?.containerID ?? "", startedAt: run?.startedAt ?? 0, speed: sessionContext.speed });

  // Binary messages may arrive as Blobs (the standard binaryType): read them in arrival order.
  let received: Promise<void> = Promise.resolve();
  server.addEventListener("message", (event: MessageEvent) => {
    const data = event.data as ArrayBuffer | string | Blob;
    received = received
      .then(async () => session.receive(data instanceof Blob ? await data.arrayBuffer() : data))
      .catch((e) => session.finish(1, (e as Error).message ?? String(e)));
  });
  server.addEventListener("close", () => sink.close());
  server.addEventListener("error", () => sink.close());
  timers.push(setTimeout(() => session.finish(0), MAX_STREAM_MS));

  const start = () => {
    if (!run) return session.fail(`unable to upgrade connection: container not found ("${container.name}")`);
    if (session instanceof ExecSession) return session.start();
    const attach = session;
    attach.start();
    const poll = () => {
      if (attach.done) return;
      const found = getOrNull(store, info.namespace, info.name);
      const current = found?.metadata.uid === pod.metadata.uid ? found : null;
      attach.tick(current, endedRun(current, container.name, run.containerID, ctx.clock.now()));
      timers.push(setTimeout(poll, ATTACH_POLL_MS));
    };
    timers.push(setTimeout(poll, ATTACH_POLL_MS));
  };
  // The session starts a moment after the upgrade: client-go reads frames while it still creates its
  // streams, and drops output that arrives before ("Unknown stream id 1, discarding message").
  timers.push(setTimeout(start, STREAM_START_DELAY_MS));
  return new Response(null, { status: 101, webSocket: client, headers: { "sec-websocket-protocol": subprotocol } });
}

/** The end of the run `containerID` once the pod's status shows it terminated (or replaced). */
function endedRun(pod: KObject | null, container: string, containerID: string, now: number): { finishedAt: number; exitCode: number } | null {
  if (!pod) return null;
  const statuses: any[] = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  const cs = statuses.find((s) => s?.name === container);
  if (cs?.state?.running && cs.containerID === containerID) return null;
  const terminated = [cs?.state?.terminated, cs?.lastState?.terminated].find((t) => t?.containerID === containerID);
  const finishedAt = Date.parse(terminated?.finishedAt ?? "");
  return { finishedAt: Number.isNaN(finishedAt) ? now : finishedAt, exitCode: terminated?.exitCode ?? 0 };
}
