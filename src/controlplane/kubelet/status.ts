/**
 * The simulated kubelet's pure state machine: given a pod bound to a node and how much simulated
 * time passed since the kubelet took it up, the status it reports, the events it emitted in a
 * window, and when the next thing happens. See `index.ts` for the rules it simulates.
 *
 * The pod's life is a deterministic timeline over simulated elapsed time `t` (ms since the
 * kubelet first synced the pod): {@link podTimeline} replays it from 0 to `t`. Timestamps in the
 * status are wall-clock and stamped by observation, as a kubelet does: a time already in the
 * previous status for the same fact (same container run, same condition status) is kept,
 * anything new gets `now`.
 */
import { formatTime } from "../../registry/clock";
import type { KObject } from "../../registry/types";
import { containerBehavior, hex64, imageInfo, nodeHasImage, type Behavior } from "./behavior";

// ---- timing (simulated ms) -----------------------------------------------------------------

export const TIMING = {
  /** A pull of an image the node does not have. */
  pullMs: 2_000,
  /** A pull (policy Always) of an image the node already has: only the manifest is checked. */
  cachedPullMs: 500,
  /** Create + start of a container. */
  startMs: 1_000,
  /** The next sync after a container exits (when the exit is seen and a restart may happen). */
  syncMs: 1_000,
  /** CrashLoopBackOff and ImagePullBackOff: 10 s doubling to 5 min. */
  backoffBaseMs: 10_000,
  backoffMaxMs: 300_000,
  /** A program that handles SIGTERM stops within this long. */
  sigtermStopMs: 1_000,
};

export const backoffMs = (n: number): number => Math.min(TIMING.backoffBaseMs * 2 ** Math.max(0, n), TIMING.backoffMaxMs);

// ---- the timeline --------------------------------------------------------------------------

export interface TimedEvent {
  /** Simulated elapsed ms. */
  at: number;
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

export type SimState =
  | { kind: "waiting"; reason: string; message?: string }
  | { kind: "running"; since: number }
  | { kind: "terminated"; exitCode: number; reason: string; startedAt: number; finishedAt: number; message?: string };

export interface SimContainer {
  name: string;
  image: string;
  init: boolean;
  state: SimState;
  /** The previous run's end, once restarted. */
  last?: Extract<SimState, { kind: "terminated" }>;
  restartCount: number;
  /** Image pulled (imageID known). */
  pulled: boolean;
  started: boolean;
  ready: boolean;
  /** Running and how PID 1 takes SIGTERM. */
  behavior: Behavior;
  /** Done for good (no restart coming): exit code. */
  finalExit?: number;
}

interface ContainerSpec {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  readinessProbe?: { initialDelaySeconds?: number };
  startupProbe?: { initialDelaySeconds?: number };
}

interface RunContext {
  podRef: string;
  restartPolicy: "Always" | "OnFailure" | "Never";
  node: KObject | undefined;
  /** Images already pulled during this timeline (by earlier containers). */
  present: Set<string>;
}

interface ContainerResult {
  c: SimContainer;
  events: TimedEvent[];
  /** Earliest change after t, or null. */
  next: number | null;
  /** When it ended for good (init containers: when the next may start), if by t. */
  doneAt?: number;
}

/** Whole seconds as Go prints a time.Duration: `10s`, `1m20s`, `5m0s`. */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}

const minNext = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));

/** One container from `startAt` to `t`: pulls, runs, exits, restarts with backoff. */
function simulateContainer(spec: ContainerSpec, init: boolean, startAt: number, t: number, ctx: RunContext): ContainerResult {
  const image = spec.image ?? "";
  const info = imageInfo(image);
  const behavior = containerBehavior(spec);
  const c: SimContainer = {
    name: spec.name,
    image,
    init,
    state: { kind: "waiting", reason: init ? "PodInitializing" : "ContainerCreating" },
    restartCount: 0,
    pulled: false,
    started: false,
    ready: false,
    behavior,
  };
  const events: TimedEvent[] = [];
  const ev = (at: number, type: TimedEvent["type"], reason: string, message: string) => {
    if (at <= t) events.push({ at, type, reason, message });
  };
  const policy = spec.imagePullPolicy ?? "IfNotPresent";
  const restarts = (exit: number) => {
    const p = init && ctx.restartPolicy === "Always" ? "OnFailure" : ctx.restartPolicy;
    return p === "Always" || (p === "OnFailure" && exit !== 0);
  };
  if (startAt > t) {
    c.state = { kind: "waiting", reason: "PodInitializing" };
    return { c, events, next: startAt === Infinity ? null : startAt };
  }

  if (info.kind === "invalid") {
    const msg = `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`;
    ev(startAt, "Warning", "InspectFailed", msg);
    ev(startAt, "Warning", "Failed", "Error: InvalidImageName");
    c.state = { kind: "waiting", reason: "InvalidImageName", message: msg };
    return { c, events, next: null };
  }
  let at = startAt;
  for (;;) {
    // Image.
    const present = ctx.present.has(image) || nodeHasImage(ctx.node, image);
    if (policy === "Never" && !present) {
      const msg = `Container image "${image}" is not present with pull policy of Never`;
      ev(at, "Warning", "ErrImageNeverPull", msg);
      ev(at, "Warning", "Failed", "Error: ErrImageNeverPull");
      if (at <= t) c.state = { kind: "waiting", reason: "ErrImageNeverPull", message: msg };
      return { c, events, next: at > t ? at : null };
    }
    let createdAt = at;
    if (policy === "Always" || !present) {
      if (info.kind === "unresolvable") {
        // Pull attempts fail forever, with image-pull backoff between them.
        for (let attempt = 0; ; attempt++) {
          if (at > t) return { c, events, next: at };
          ev(at, "Normal", "Pulling", `Pulling image "${image}"`);
          const failAt = at + TIMING.pullMs;
          if (failAt > t) return { c, events, next: failAt };
          const err = `failed to pull and unpack image "${info.reference}": failed to resolve reference "${info.reference}": ${info.reference}: not found`;
          const pullMsg = `Failed to pull image "${image}": rpc error: code = NotFound desc = ${err}`;
          ev(failAt, "Warning", "Failed", pullMsg);
          ev(failAt, "Warning", "Failed", "Error: ErrImagePull");
          c.state = { kind: "waiting", reason: "ErrImagePull", message: pullMsg };
          const backAt = failAt + TIMING.syncMs;
          if (backAt > t) return { c, events, next: backAt };
          const backMsg = `Back-off pulling image "${image}"`;
          ev(backAt, "Normal", "BackOff", backMsg);
          ev(backAt, "Warning", "Failed", "Error: ImagePullBackOff");
          c.state = { kind: "waiting", reason: "ImagePullBackOff", message: backMsg };
          at = failAt + backoffMs(attempt);
        }
      }
      const pullMs = present ? TIMING.cachedPullMs : TIMING.pullMs;
      ev(at, "Normal", "Pulling", `Pulling image "${image}"`);
      createdAt = at + pullMs;
      const secs = `${pullMs / 1000}s`;
      ev(createdAt, "Normal", "Pulled", `Successfully pulled image "${image}" in ${secs} (${secs} including waiting). Image size: ${info.sizeBytes} bytes.`);
    } else {
      ev(at, "Normal", "Pulled", `Container image "${image}" already present on machine`);
    }
    if (createdAt > t) return { c, events, next: createdAt };
    ctx.present.add(image);
    c.pulled = true;
    ev(createdAt, "Normal", "Created", `Created container: ${spec.name}`);
    const startedAt = createdAt + TIMING.startMs;
    if (startedAt > t) return { c, events, next: startedAt };
    ev(startedAt, "Normal", "Started", `Started container ${spec.name}`);
    c.state = { kind: "running", since: startedAt };
    // Probes pass after their initial delay: started after the startup probe's, ready after both.
    const startupAt = startedAt + (spec.startupProbe ? (spec.startupProbe.initialDelaySeconds ?? 0) * 1000 : 0);
    const readyAt = init ? Infinity : Math.max(startupAt, startedAt + (spec.readinessProbe ? (spec.readinessProbe.initialDelaySeconds ?? 0) * 1000 : 0));
    const finishedAt = behavior.runsForMs === null ? Infinity : startedAt + behavior.runsForMs;
    c.started = t >= startupAt && t < finishedAt;
    c.ready = t >= readyAt && t < finishedAt;
    if (finishedAt > t) {
      let next: number | null = finishedAt === Infinity ? null : finishedAt;
      if (startupAt > t && startupAt < finishedAt) next = minNext(next, startupAt);
      if (readyAt > t && readyAt < finishedAt) next = minNext(next, readyAt);
      return { c, events, next };
    }
    // Exited.
    const exit = behavior.exitCode;
    const terminated = { kind: "terminated" as const, exitCode: exit, reason: exit === 0 ? "Completed" : "Error", startedAt, finishedAt };
    c.state = terminated;
    c.started = false;
    c.ready = false;
    if (!restarts(exit)) {
      c.finalExit = exit;
      return { c, events, next: null, doneAt: finishedAt };
    }
    // Restart: the first at the next sync, later ones after a doubling back-off from the exit.
    const n = c.restartCount; // restarts so far
    const delay = n === 0 ? TIMING.syncMs : Math.max(TIMING.syncMs, backoffMs(n - 1));
    const restartAt = finishedAt + delay;
    if (delay > TIMING.syncMs) {
      const seenAt = finishedAt + TIMING.syncMs;
      if (seenAt > t) return { c, events, next: seenAt };
      ev(seenAt, "Warning", "BackOff", `Back-off restarting failed container ${spec.name} in pod ${ctx.podRef}`);
      c.state = {
        kind: "waiting",
        reason: "CrashLoopBackOff",
        message: `back-off ${goDuration(backoffMs(n - 1))} restarting failed container=${spec.name} pod=${ctx.podRef}`,
      };
      c.last = terminated;
    }
    if (restartAt > t) return { c, events, next: restartAt };
    c.last = terminated;
    c.restartCount++;
    c.state = { kind: "waiting", reason: "ContainerCreating" };
    at = restartAt;
  }
}

export interface PodTimeline {
  initContainers: SimContainer[];
  containers: SimContainer[];
  events: TimedEvent[];
  /** Earliest change after t (simulated elapsed ms), or null when nothing more happens by itself. */
  next: number | null;
  /** All init containers completed. */
  initialized: boolean;
  /** An init container failed for good (restartPolicy Never): the pod failed. */
  initFailed: boolean;
}

/** Replays the pod's life from the kubelet taking it up (0) to `t`. Events are every one in [0, t]. */
export function podTimeline(pod: KObject, node: KObject | undefined, t: number): PodTimeline {
  const spec = pod.spec ?? {};
  const ctx: RunContext = {
    podRef: `${pod.metadata.name}_${pod.metadata.namespace ?? "default"}(${pod.metadata.uid ?? ""})`,
    restartPolicy: spec.restartPolicy ?? "Always",
    node,
    present: new Set(),
  };
  const events: TimedEvent[] = [];
  let next: number | null = null;
  const initContainers: SimContainer[] = [];
  let startAt = 0;
  let initialized = true;
  let initFailed = false;
  const initSpecs: ContainerSpec[] = spec.initContainers ?? [];
  for (let i = 0; i < initSpecs.length; i++) {
    const s = initSpecs[i]!;
    if (!initialized) {
      initContainers.push(simulateContainer(s, true, Infinity, t, ctx).c);
      continue;
    }
    const r = simulateContainer(s, true, startAt, t, ctx);
    initContainers.push(r.c);
    events.push(...r.events);
    next = minNext(next, r.next);
    if (r.doneAt === undefined) initialized = false;
    else if (r.c.finalExit !== 0) {
      initialized = false;
      initFailed = true;
    } else startAt = r.doneAt;
  }
  const containers: SimContainer[] = [];
  for (const s of (spec.containers ?? []) as ContainerSpec[]) {
    const r = simulateContainer(s, false, initialized ? startAt : Infinity, t, ctx);
    containers.push(r.c);
    if (initialized) {
      events.push(...r.events);
      next = minNext(next, r.next);
    }
  }
  if (initFailed) next = null;
  events.sort((a, b) => a.at - b.at);
  return { initContainers, containers, events, next, initialized, initFailed };
}

// ---- deletion ------------------------------------------------------------------------------

export interface Termination {
  /** Simulated elapsed ms at which the kubelet saw the deletion. */
  noticedAt: number;
  /** The pod's grace period in seconds. */
  gracePeriodSeconds: number;
  /** The `Killing` events were emitted already (they are outside the `sinceMs` window). */
  killingReported?: boolean;
}

/** Stops the running containers of a timeline frozen at `noticedAt`, as seen at `t`. */
function applyTermination(tl: PodTimeline, term: Termination, t: number): { events: TimedEvent[]; next: number | null; removeAt: number } {
  const events: TimedEvent[] = [];
  const graceMs = Math.max(0, term.gracePeriodSeconds) * 1000;
  let removeAt = term.noticedAt;
  let next: number | null = null;
  for (const c of [...tl.initContainers, ...tl.containers]) {
    if (c.state.kind !== "running") continue;
    events.push({ at: term.noticedAt, type: "Normal", reason: "Killing", message: `Stopping container ${c.name}` });
    const handled = c.behavior.handlesSigterm && TIMING.sigtermStopMs <= graceMs;
    const stopAt = term.noticedAt + (handled ? TIMING.sigtermStopMs : graceMs);
    removeAt = Math.max(removeAt, stopAt);
    c.ready = false;
    if (stopAt <= t) {
      const exitCode = handled ? 0 : 137;
      c.state = { kind: "terminated", exitCode, reason: exitCode === 0 ? "Completed" : "Error", startedAt: c.state.since, finishedAt: stopAt };
      c.started = false;
      c.finalExit = exitCode;
    } else next = minNext(next, stopAt);
  }
  return { events: events.filter((e) => e.at <= t), next, removeAt };
}

// ---- the status ----------------------------------------------------------------------------

export interface KubeletInput {
  pod: KObject;
  node: KObject | undefined;
  /** Simulated ms since the kubelet took the pod up. */
  elapsedMs: number;
  /** Events at or before this elapsed time were emitted already (default: none were, -1). */
  sinceMs?: number;
  /** Set once the kubelet saw `deletionTimestamp`. */
  termination?: Termination;
  /** Wall-clock epoch ms, for timestamps stamped now. */
  now: number;
  /** The pod IP assigned to the sandbox (the reconciler allocates it); absent: keep the current one. */
  podIP?: string;
}

export interface KubeletOutput {
  /** The status to write (the whole `status`). */
  status: any;
  /** Events in (sinceMs, elapsedMs], oldest first. */
  events: TimedEvent[];
  /** Simulated ms from elapsedMs to the next change, or null: nothing happens by itself. */
  wakeAfterMs: number | null;
  /** Every container stopped after deletion: delete the pod for good (grace period 0). */
  remove: boolean;
}

const TERMINAL = new Set(["Succeeded", "Failed"]);

/** Upstream getPhase over the simulated containers. */
function podPhase(tl: PodTimeline, restartPolicy: string, terminating: boolean): string {
  if (tl.initFailed) return "Failed";
  if (!tl.initialized) return "Pending";
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of tl.containers) {
    if (c.state.kind === "running") running++;
    else if (c.state.kind === "terminated") {
      stopped++;
      if (c.state.exitCode === 0) succeeded++;
    } else if (c.last) running++; // crash-looping: counted as running
    else waiting++;
  }
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    if (restartPolicy === "Always" && !terminating) return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (restartPolicy === "Never" || terminating) return "Failed";
    return "Running";
  }
  return "Pending";
}

function nodeInternalIP(node: KObject | undefined): string | undefined {
  return (node?.status?.addresses ?? []).find((a: { type: string }) => a.type === "InternalIP")?.address;
}

/** The next free address of a node's pod CIDR (skipping the network address and the .1 gateway), or undefined when full. */
export function allocatePodIP(cidr: string | undefined, used: Iterable<string>): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr ?? "");
  if (!m) return undefined;
  const base = ((+m[1]! << 24) | (+m[2]! << 16) | (+m[3]! << 8) | +m[4]!) >>> 0;
  const size = 2 ** (32 - +m[5]!);
  const taken = new Set(used);
  for (let i = 2; i < size - 1; i++) {
    const n = base + i;
    const ip = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    if (!taken.has(ip)) return ip;
  }
  return undefined;
}

function containerStatus(c: SimContainer, prev: any, pod: KObject, now: string): any {
  const idOf = (run: number) => `containerd://${hex64(`${pod.metadata.uid}/${c.name}/${run}`)}`;
  // A run is known by its container ID: times already reported for it are kept.
  const reported = (id: string): any =>
    [prev?.state?.running, prev?.state?.terminated, prev?.lastState?.terminated].find((s) => s && (s.containerID ?? prev?.containerID) === id);
  const info = imageInfo(c.image);
  const id = idOf(c.restartCount);
  let state: any;
  if (c.state.kind === "waiting") state = { waiting: { reason: c.state.reason, ...(c.state.message ? { message: c.state.message } : {}) } };
  else if (c.state.kind === "running") state = { running: { startedAt: reported(id)?.startedAt ?? now } };
  else {
    const p = reported(id);
    state = { terminated: { exitCode: c.state.exitCode, reason: c.state.reason, startedAt: p?.startedAt ?? now, finishedAt: p?.finishedAt ?? now, containerID: id } };
  }
  let lastState: any = {};
  if (c.last) {
    // In CrashLoopBackOff the last run is the current count's; after a restart, the one before.
    const lastID = c.state.kind === "waiting" && c.state.reason === "CrashLoopBackOff" ? id : idOf(c.restartCount - 1);
    const p = reported(lastID);
    lastState = { terminated: { exitCode: c.last.exitCode, reason: c.last.reason, startedAt: p?.startedAt ?? now, finishedAt: p?.finishedAt ?? now, containerID: lastID } };
  }
  const out: any = { name: c.name, state, lastState, ready: c.ready, restartCount: c.restartCount, image: c.image, imageID: c.pulled && info.kind === "ok" ? info.imageID : "" };
  if (c.state.kind !== "waiting") out.containerID = id;
  out.started = c.started;
  return out;
}

/**
 * The pure kubelet step: the status the kubelet reports for `pod` at `elapsedMs`, the events
 * emitted since `sinceMs`, and the simulated delay to the next change.
 */
export function nextPodStatus(input: KubeletInput): KubeletOutput {
  const { pod, node, elapsedMs: t, termination } = input;
  const now = formatTime(input.now);
  const prev = pod.status ?? {};
  const restartPolicy = pod.spec?.restartPolicy ?? "Always";
  const tl = podTimeline(pod, node, termination ? Math.min(t, termination.noticedAt) : t);
  let events = tl.events;
  let next = tl.next;
  let remove = false;
  if (termination) {
    const term = applyTermination(tl, termination, t);
    events = [...events, ...term.events];
    next = term.next;
    remove = t >= term.removeAt;
  }
  const since = input.sinceMs ?? -1;
  events = events.filter((e) => (e.reason === "Killing" && termination ? !termination.killingReported : e.at > since) && e.at <= t);

  const phase = podPhase(tl, restartPolicy, !!termination);
  const terminal = TERMINAL.has(phase);
  const byName = (list: any[] | undefined) => new Map((list ?? []).map((s: any) => [s.name, s]));
  const prevInit = byName(prev.initContainerStatuses);
  const prevMain = byName(prev.containerStatuses);

  const prevCond = new Map((prev.conditions ?? []).map((c: any) => [c.type, c]));
  const cond = (type: string, ok: boolean, reason?: string, message?: string) => {
    const status = ok ? "True" : "False";
    const p: any = prevCond.get(type);
    return {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: p && p.status === status ? p.lastTransitionTime : now,
      ...(reason ? { reason } : {}),
      ...(message ? { message } : {}),
    };
  };
  const incompleteInit = tl.initContainers.filter((c) => c.finalExit !== 0).map((c) => c.name);
  const unready = tl.containers.filter((c) => !c.ready).map((c) => c.name);
  const sandboxUp = !terminal && !remove;
  const conditions: any[] = [
    cond("PodReadyToStartContainers", sandboxUp),
    phase === "Succeeded"
      ? cond("Initialized", true, "PodCompleted")
      : cond("Initialized", incompleteInit.length === 0, incompleteInit.length ? "ContainersNotInitialized" : undefined, incompleteInit.length ? `containers with incomplete status: [${incompleteInit.join(" ")}]` : undefined),
  ];
  for (const type of ["Ready", "ContainersReady"]) {
    if (phase === "Succeeded") conditions.push(cond(type, false, "PodCompleted"));
    else conditions.push(cond(type, unready.length === 0, unready.length ? "ContainersNotReady" : undefined, unready.length ? `containers with unready status: [${unready.join(" ")}]` : undefined));
  }
  const scheduled = prevCond.get("PodScheduled") ?? { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: now };
  conditions.push(scheduled);

  const hostIP = nodeInternalIP(node);
  const podIP = pod.spec?.hostNetwork ? hostIP : (input.podIP ?? prev.podIP);
  const status: any = {
    phase,
    conditions,
    ...(hostIP ? { hostIP, hostIPs: [{ ip: hostIP }] } : {}),
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    startTime: prev.startTime ?? now,
  };
  if (tl.initContainers.length) status.initContainerStatuses = tl.initContainers.map((c) => containerStatus(c, prevInit.get(c.name), pod, now));
  status.containerStatuses = tl.containers.map((c) => containerStatus(c, prevMain.get(c.name), pod, now));
  if (prev.qosClass) status.qosClass = prev.qosClass;
  if (prev.nominatedNodeName) status.nominatedNodeName = prev.nominatedNodeName;

  return { status, events, wakeAfterMs: next === null ? null : Math.max(0, next - t), remove };
}
