/**
 * `GET /api/v1/namespaces/{ns}/pods/{name}/log`: what kube-apiserver's LogREST and the kubelet's
 * container-logs endpoint answer together, served from the simulated containers of
 * ../controlplane/kubelet/logs.ts.
 *
 * - PodLogOptions from the query (`container`, `follow`, `previous`, `timestamps`, `sinceSeconds`,
 *   `sinceTime`, `tailLines`, `limitBytes`), validated as upstream (422 `PodLogOptions "web" is
 *   invalid: …`; a malformed number or time is a 400).
 * - The container as LogLocation picks it: named and present (`container c is not valid for pod
 *   web`), or the only one (`a container name must be specified for pod web, choose one of: [a
 *   b]`, init containers first). The `kubectl.kubernetes.io/default-container` annotation is read
 *   by kubectl, which then names the container; the server does not read it.
 * - A pod not yet bound to a node: 204 No Content (LogLocation has no location to stream from).
 * - The run as the kubelet's validateContainerLogStatus picks it from the pod's status, with its
 *   400 errors (`container "nginx" in pod "web" is waiting to start: ContainerCreating`,
 *   `previous terminated container "nginx" in pod "web" not found`, …).
 * - The body as the kubelet writes it (`text/plain`): `tailLines` takes the last lines written so
 *   far, `sinceSeconds`/`sinceTime` drop older lines, `timestamps` prefixes each line with its
 *   RFC 3339 nanosecond time and a space, `limitBytes` cuts the output (mid-line) at that many bytes.
 * - `follow=true` on a running container streams what is there, then each line as it is written,
 *   and ends when that run stops (its terminated status is seen), the container restarts, the pod
 *   is deleted, `limitBytes` is reached, or after {@link MAX_FOLLOW_MS}. A client that goes away
 *   releases the stream (and its pod watch) at once. The stream counts as one of the sandbox's
 *   open watches.
 */
import type { Clock } from "../registry/clock";
import { buildSelection } from "../registry/selection";
import type { ObjectEvent, ResourceStore } from "../registry/store";
import type { KObject } from "../registry/types";
import { containerLog, formatLogTimestamp, isAfter, type ContainerRun, type LogContainerSpec, type LogLine } from "../controlplane/kubelet/logs";
import { parseQueryBool, parseQueryInt64 } from "./query";
import type { ResourceRequest } from "./request-info";
import { errors, field, invalid, type FieldError } from "./status";

export interface PodLogContext {
  clock: Clock;
  /** Registers an open stream; returns its release (throws 429 when the sandbox has too many). */
  openWatch(): () => void;
  /** The sandbox speed factor (simulated time per wall time); 1 when not given. */
  speed?(): number;
}

export interface PodLogOptions {
  container: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  sinceSeconds?: number;
  /** Epoch ms. */
  sinceTime?: number;
  tailLines?: number;
  limitBytes?: number;
}

/** A follow stream ends after this long (real ms) even if the container runs on. */
export const MAX_FOLLOW_MS = 60 * 60_000;
/** A follow stream looks for new lines at least this often (real ms): speed changes and clock advances show. */
const FOLLOW_POLL_MS = 1_000;
/** ... and at most this often (a line due now may still be a fraction of a millisecond ahead). */
const MIN_POLL_MS = 20;

const encoder = new TextEncoder();

/** PodLogOptions from the query string, as the parameter codec converts them. */
export function parsePodLogOptions(query: URLSearchParams, name: string): PodLogOptions {
  const sinceTimeText = query.get("sinceTime");
  const options: PodLogOptions = {
    container: query.get("container") ?? "",
    follow: parseQueryBool(query.get("follow")),
    previous: parseQueryBool(query.get("previous")),
    timestamps: parseQueryBool(query.get("timestamps")),
    sinceSeconds: parseQueryInt64(query.get("sinceSeconds")),
    sinceTime: sinceTimeText === null || sinceTimeText === "" ? undefined : parseRFC3339(sinceTimeText),
    tailLines: parseQueryInt64(query.get("tailLines")),
    limitBytes: parseQueryInt64(query.get("limitBytes")),
  };
  const errs: FieldError[] = [];
  if (options.tailLines !== undefined && options.tailLines < 0) errs.push(field.invalid("tailLines", options.tailLines, "must be greater than or equal to 0"));
  if (options.limitBytes !== undefined && options.limitBytes < 1) errs.push(field.invalid("limitBytes", options.limitBytes, "must be greater than 0"));
  if (options.sinceSeconds !== undefined && options.sinceTime !== undefined) {
    errs.push(field.forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified"));
  } else if (options.sinceSeconds !== undefined && options.sinceSeconds < 1) {
    errs.push(field.invalid("sinceSeconds", options.sinceSeconds, "must be greater than 0"));
  }
  if (errs.length) throw invalid("PodLogOptions", "", name, errs);
  return options;
}

/** metav1.Time from a query parameter: RFC 3339 (Go's `time.Parse` error text otherwise). */
function parseRFC3339(text: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw errors.badRequest(`parsing time "${text}" as "2006-01-02T15:04:05Z07:00": cannot parse "${text}" as "2006"`);
  return ms;
}

/** LogLocation's container choice: the named one (any kind), or the pod's only container. */
export function logContainerName(pod: KObject, requested: string): string {
  const spec = pod.spec ?? {};
  const all: string[] = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].map((c: { name: string }) => c.name);
  const name = pod.metadata.name;
  if (requested) {
    if (!all.includes(requested)) throw errors.badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  const containers: { name: string }[] = spec.containers ?? [];
  if (containers.length === 1) return containers[0]!.name;
  if (containers.length === 0) throw errors.badRequest(`a container name must be specified for pod ${name}`);
  throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${all.join(" ")}]`);
}

interface RunRef {
  containerID: string;
  startedAt: number;
  finishedAt?: number;
  exitCode?: number;
  running: boolean;
}

/** The kubelet's validateContainerLogStatus: which run's log is read, or its 400. */
export function selectRun(pod: KObject, container: string, previous: boolean): RunRef {
  const status = pod.status ?? {};
  const statuses: any[] = [...(status.containerStatuses ?? []), ...(status.initContainerStatuses ?? []), ...(status.ephemeralContainerStatuses ?? [])];
  const cs = statuses.find((s) => s?.name === container);
  const where = `container "${container}" in pod "${pod.metadata.name}"`;
  if (!cs) throw errors.badRequest(`${where} is not available`);
  const last = cs.lastState?.terminated;
  const { waiting, running, terminated } = cs.state ?? {};
  const ended = (t: any): RunRef => ({ containerID: t.containerID, startedAt: timeOf(t.startedAt), finishedAt: timeOf(t.finishedAt), exitCode: t.exitCode, running: false });
  if (previous) {
    if (!last?.containerID) throw errors.badRequest(`previous terminated ${where} not found`);
    return ended(last);
  }
  if (running) return { containerID: cs.containerID ?? "", startedAt: timeOf(running.startedAt), running: true };
  if (terminated) {
    if (terminated.containerID) return ended(terminated);
    if (last?.containerID) return ended(last);
    throw errors.badRequest(`${where} is terminated`);
  }
  if (last) {
    if (!last.containerID) throw errors.badRequest(`${where} is terminated`);
    return ended(last);
  }
  if (waiting) {
    if (waiting.reason === "ErrImagePull") throw errors.badRequest(`${where} is waiting to start: image can't be pulled`);
    if (waiting.reason === "ImagePullBackOff") throw errors.badRequest(`${where} is waiting to start: trying and failing to pull image`);
    throw errors.badRequest(`${where} is waiting to start: ${waiting.reason ?? ""}`);
  }
  throw errors.badRequest(`${where} is waiting to start - no logs yet`);
}

const timeOf = (stamp: unknown): number => {
  const ms = typeof stamp === "string" ? Date.parse(stamp) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
};

function containerSpec(pod: KObject, name: string): LogContainerSpec {
  const spec = pod.spec ?? {};
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].find((c: LogContainerSpec) => c.name === name);
}

/** Writes lines as the kubelet does: since-filter, timestamp prefix, byte limit. */
class LogWriter {
  private remaining: number;
  constructor(
    private readonly options: PodLogOptions,
    private readonly since: number | undefined,
  ) {
    this.remaining = options.limitBytes ?? Infinity;
  }

  get full(): boolean {
    return this.remaining <= 0;
  }

  render(lines: LogLine[]): Uint8Array {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (const line of lines) {
      if (this.full) break;
      if (this.since !== undefined && line.at < this.since) continue;
      let bytes = encoder.encode(`${this.options.timestamps ? `${formatLogTimestamp(line)} ` : ""}${line.text}\n`);
      if (bytes.byteLength > this.remaining) bytes = bytes.subarray(0, this.remaining);
      this.remaining -= bytes.byteLength;
      chunks.push(bytes);
      size += bytes.byteLength;
    }
    const out = new Uint8Array(size);
    let offset = 0;
    for (const c of chunks) {
      out.set(c, offset);
      offset += c.byteLength;
    }
    return out;
  }
}

const TEXT_HEADERS = { "content-type": "text/plain" };

export async function servePodLog(store: ResourceStore, info: ResourceRequest, request: Request, ctx: PodLogContext): Promise<Response> {
  await request.body?.cancel();
  if (info.verb !== "get") throw errors.methodNotAllowed(info.verb, { group: "", resource: "pods/log" });
  const options = parsePodLogOptions(new URL(request.url).searchParams, info.name);
  const pod = store.get(info.namespace, info.name);
  const containerName = logContainerName(pod, options.container);
  if (!pod.spec?.nodeName) return new Response(null, { status: 204 });
  const ref = selectRun(pod, containerName, options.previous);
  const now = ctx.clock.now();
  const run: ContainerRun = {
    pod,
    container: containerSpec(pod, containerName),
    containerID: ref.containerID,
    startedAt: ref.startedAt,
    finishedAt: ref.finishedAt,
    exitCode: ref.exitCode,
    speed: ctx.speed?.() ?? 1,
  };
  const written = containerLog(run, now);
  const shown = options.tailLines === undefined ? written : options.tailLines === 0 ? [] : written.slice(-options.tailLines);
  const since = options.sinceTime ?? (options.sinceSeconds !== undefined ? now - options.sinceSeconds * 1000 : undefined);
  const writer = new LogWriter(options, since);
  const body = writer.render(shown);
  if (!options.follow || !ref.running || writer.full) return new Response(body, { status: 200, headers: TEXT_HEADERS });
  return followResponse(store, pod, run, written.at(-1), body, writer, ctx);
}

/**
 * Streams a running container's new lines until its run ends. `last` is the newest line already
 * accounted for (sent or cut by `tailLines`).
 */
function followResponse(store: ResourceStore, pod: KObject, run: ContainerRun, last: LogLine | undefined, first: Uint8Array, writer: LogWriter, ctx: PodLogContext): Response {
  const release = ctx.openWatch();
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const out = writable.getWriter();
  let closed = false;
  let cancelWatch: (() => void) | null = null;
  let poll: ReturnType<typeof setTimeout> | undefined;
  const deadline = setTimeout(() => close(), MAX_FOLLOW_MS);

  const close = () => {
    if (closed) return;
    closed = true;
    cancelWatch?.();
    clearTimeout(poll);
    clearTimeout(deadline);
    out.close().catch(() => {});
    release();
  };
  // A client that goes away cancels the readable side: stop at once.
  out.closed.catch(() => close());

  const send = (bytes: Uint8Array) => {
    if (closed || bytes.byteLength === 0) return;
    out.write(bytes).catch(() => close());
  };

  /** Sends the lines written since the last one sent; `ended` is the run's terminated state once it stopped. */
  const flush = (ended?: { finishedAt?: string; exitCode?: number }) => {
    if (closed) return;
    const current = ended ? { ...run, finishedAt: timeOf(ended.finishedAt), exitCode: ended.exitCode } : run;
    const fresh = containerLog(current, ctx.clock.now()).filter((line) => !last || isAfter(line, last));
    if (fresh.length) last = fresh[fresh.length - 1];
    send(writer.render(fresh));
    if (writer.full) close();
  };

  const schedulePoll = () => {
    if (closed) return;
    const next = containerLog(run, ctx.clock.now() + FOLLOW_POLL_MS).find((line) => !last || isAfter(line, last));
    const delay = next ? Math.min(FOLLOW_POLL_MS, Math.max(MIN_POLL_MS, next.at - ctx.clock.now())) : FOLLOW_POLL_MS;
    poll = setTimeout(() => {
      flush();
      schedulePoll();
    }, delay);
  };

  const onEvent = (event: ObjectEvent) => {
    const current = event.object;
    if (event.type === "DELETED" || current.metadata.uid !== pod.metadata.uid) {
      flush();
      return close();
    }
    const statuses: any[] = [...(current.status?.containerStatuses ?? []), ...(current.status?.initContainerStatuses ?? []), ...(current.status?.ephemeralContainerStatuses ?? [])];
    const cs = statuses.find((s) => s?.name === run.container.name);
    if (cs?.state?.running && cs.containerID === run.containerID) return flush();
    // The followed run stopped (or was replaced): what it wrote up to its end, then the end.
    const terminated = [cs?.state?.terminated, cs?.lastState?.terminated].find((t) => t?.containerID === run.containerID);
    flush(terminated);
    close();
  };

  send(first);
  try {
    const selection = buildSelection(store.strategy, null, `metadata.name=${pod.metadata.name}`);
    cancelWatch = store.watch(pod.metadata.namespace ?? "", store.revision, selection, onEvent);
  } catch (e) {
    close();
    throw e;
  }
  schedulePoll();

  return new Response(readable, {
    status: 200,
    headers: { ...TEXT_HEADERS, "content-encoding": "identity", "cache-control": "no-cache, no-transform" },
  });
}
