/**
 * The simulated kubelet: for every pod bound to a node (`spec.nodeName`), the status, events and
 * final deletion a real kubelet would produce — without running anything. Keyed `namespace/name`.
 *
 * ## Rules (simulated time throughout; see ./behavior.ts for what a container does)
 *
 * - **Start.** The kubelet takes a pod up at its first sync (elapsed 0): the sandbox is ready at
 *   once (`PodReadyToStartContainers=True`, `podIP` = the next free address of the node's
 *   `spec.podCIDR`, skipping `.0` and `.1` and the IPs of the node's other non-terminal pods;
 *   `hostNetwork` pods get the node's InternalIP), `hostIP(s)` = the node's InternalIP,
 *   `startTime`, and the scheduler's `PodScheduled` and the API's `qosClass` are kept.
 * - **Init containers** run one after another, each to successful completion, before any regular
 *   container; their failure restarts them (the pod's restartPolicy, `Always` acting as
 *   `OnFailure`), or with `Never` fails the pod. Regular containers then start together.
 * - **A container**: image pull 2 s (`Pulling`, `Pulled` with upstream's
 *   `Successfully pulled image "x" in 2s (2s including waiting). Image size: N bytes.`) unless
 *   policy `IfNotPresent`/`Never` and the node has it (`node.status.images`) or an earlier
 *   container of the pod pulled it (`Container image "x" already present on machine`); policy
 *   `Always` with the image present pulls in 0.5 s; then create+start 1 s (`Created`
 *   `Created container: x`, `Started` `Started container x`). Waiting reason `ContainerCreating`
 *   (`PodInitializing` for init containers) until running.
 * - **Probes** always pass: `started` after the startupProbe's `initialDelaySeconds`, `ready`
 *   after the readinessProbe's too (at once without probes). Liveness never fails.
 * - **Exits**: per ./behavior.ts; `Completed` (0) or `Error`. Restart per restartPolicy
 *   (`Always`; `OnFailure` when non-zero; `Never`): the first restart at the next sync (1 s), then
 *   `CrashLoopBackOff` with a `BackOff` event (`Back-off restarting failed container x in pod
 *   p_ns(uid)`) for 10 s, 20 s, 40 s … up to 5 min after each exit (upstream's per-container
 *   back-off, which lets the first restart through).
 * - **Images**: invalid references → `InvalidImageName` (`InspectFailed` + `Failed` events);
 *   unresolvable (`doesnotexist`/`nonexistent`/`does-not-exist` in the reference) → each pull
 *   fails after 2 s: `ErrImagePull` with `Failed` events, a second later `ImagePullBackOff`
 *   (`BackOff` `Back-off pulling image "x"` + `Failed` `Error: ImagePullBackOff`), retried after
 *   10 s doubling to 5 min. `Never` without the image → `ErrImageNeverPull`.
 * - **Phase** as upstream getPhase; Ready/ContainersReady/Initialized with upstream's reasons and
 *   messages; conditions ordered PodReadyToStartContainers, Initialized, Ready, ContainersReady,
 *   PodScheduled; `lastTransitionTime` changes only when the status does.
 * - **Deletion** (`deletionTimestamp`): `Killing` (`Stopping container x`) for each running
 *   container; a program that handles SIGTERM exits 0 within 1 s, a shell or `sleep` as PID 1 is
 *   killed at the end of the grace period (`deletionGracePeriodSeconds`) with 137; once none runs
 *   the final status is written and the pod deleted with `gracePeriodSeconds: 0`. A pod already
 *   gone is forgotten. A terminal pod being deleted is deleted at once.
 *
 * ## State and the wake-up contract
 *
 * The pure step ({@link nextPodStatus}) is a function of the pod, its node and the simulated time
 * elapsed since the kubelet took the pod up. The reconciler keeps, per pod UID, the simulated
 * instant it took the pod up, the elapsed time up to which events were emitted and when it saw
 * the deletion (memory only). Each reconcile reads the pod fresh, computes the status at
 * `clock.simulatedNow() − start`, writes it if it differs, records the new events, and returns
 * `requeueAfterMs` = the simulated time to the next change (none when nothing happens by itself,
 * e.g. a running nginx). Extra reconciles (watch events, our own writes) are harmless: they
 * recompute the same status. After the memory is lost (Durable Object eviction) the start is
 * recovered by replaying the timeline to the first point whose status matches the stored one
 * (events up to there count as emitted), so a pod resumes its current stage rather than restarting.
 */
import type { Registry } from "../../registry/registry";
import type { KObject, UserInfo } from "../../registry/types";
import { errors, StatusError } from "../../apiserver/status";
import type { Reconciler } from "../runtime";
import { recordEvent } from "../events";
import { allocatePodIP, nextPodStatus, type Termination } from "./status";
import { isKubeletStopped } from "./heartbeat";

export { allocatePodIP, backoffMs, nextPodStatus, podTimeline, TIMING, type KubeletInput, type KubeletOutput, type TimedEvent, type Termination } from "./status";
export { containerBehavior, imageInfo, imageRepository, type Behavior, type ImageInfo } from "./behavior";

export const KUBELET_COMPONENT = "kubelet";
const TERMINAL = new Set(["Succeeded", "Failed"]);
/** Most timeline steps replayed when recovering a pod's start. */
const MAX_RECOVERY_STEPS = 2_000;

export interface KubeletClock {
  /** Wall-clock epoch ms, for timestamps. */
  now(): number;
  /** The simulated clock (ms), monotonic, including `clock:advance`. */
  simulatedNow(): number;
}

export interface KubeletDeps {
  registry: Registry;
  user: UserInfo;
  clock: KubeletClock;
  /** The non-terminal pods bound to a node (an index kept from the watch). */
  podsOn(nodeName: string): KObject[];
}

/** Per pod UID: what the kubelet remembers. */
interface PodMemory {
  /** Simulated instant the pod was taken up. */
  start: number;
  /** Events up to this elapsed time were emitted. */
  emittedUpTo: number;
  termination?: Termination;
}

/** Whether the kubelet has work for this pod: bound, and not finished (unless being deleted). */
export function needsKubelet(pod: KObject): boolean {
  return !!pod.spec?.nodeName && (!TERMINAL.has(pod.status?.phase) || !!pod.metadata.deletionTimestamp);
}

/** A fingerprint of what a status says (phase, container states, restarts, readiness), times left out. */
function fingerprint(status: any): string {
  const cs = (list: any[] | undefined) =>
    (list ?? []).map((c) => `${c.name}:${Object.keys(c.state ?? {})[0]}:${c.state?.waiting?.reason ?? c.state?.terminated?.reason ?? ""}:${c.restartCount}:${c.ready}:${c.started}`).join(",");
  return `${status?.phase}|${cs(status?.initContainerStatuses)}|${cs(status?.containerStatuses)}`;
}

/** The elapsed time at which the timeline first shows the pod's stored status (0 when none matches). */
export function recoverElapsed(pod: KObject, node: KObject | undefined, nowMs: number): number {
  if (!pod.status?.containerStatuses) return 0;
  const want = fingerprint(pod.status);
  let t = 0;
  for (let i = 0; i < MAX_RECOVERY_STEPS; i++) {
    const out = nextPodStatus({ pod, node, elapsedMs: t, now: nowMs });
    if (fingerprint(out.status) === want) return t;
    if (out.wakeAfterMs === null) break;
    t += Math.max(1, out.wakeAfterMs);
  }
  return 0;
}

export function kubeletReconciler(deps: KubeletDeps): Reconciler {
  const pods = deps.registry.resource("", "pods");
  const nodes = deps.registry.resource("", "nodes");
  const memory = new Map<string, PodMemory>();
  /** Per node, pod IPs handed out whose status write has not landed yet (uid → IP): reconciles run concurrently. */
  const allocating = new Map<string, Map<string, string>>();
  const release = (nodeName: string | undefined, uid: string) => {
    const ips = nodeName ? allocating.get(nodeName) : undefined;
    if (ips?.delete(uid) && ips.size === 0) allocating.delete(nodeName!);
  };
  const forget = (pod: KObject) => {
    memory.delete(pod.metadata.uid ?? "");
    release(pod.spec?.nodeName, pod.metadata.uid ?? "");
  };
  const ignoreGone = (e: unknown) => {
    if (e instanceof StatusError && (e.code === 404 || e.code === 409)) return null;
    throw e;
  };

  return async (key) => {
    const [namespace, name] = key.split("/") as [string, string];
    let pod: KObject;
    try {
      pod = pods.get(namespace, name);
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) return;
      throw e;
    }
    const uid = pod.metadata.uid ?? "";
    if (!needsKubelet(pod)) {
      forget(pod);
      return;
    }
    if (TERMINAL.has(pod.status?.phase)) {
      // A finished pod being deleted: nothing runs, it goes at once.
      await pods.delete(namespace, name, { user: deps.user, gracePeriodSeconds: 0, preconditions: { uid } }).catch(ignoreGone);
      forget(pod);
      return;
    }
    const nodeName: string = pod.spec.nodeName;
    let node: KObject | undefined;
    try {
      node = nodes.get("", nodeName);
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) return; // no node, no kubelet
      throw e;
    }
    if (isKubeletStopped(node)) return; // a stopped kubelet reports nothing; its node's recovery re-enqueues the pod
    const simNow = deps.clock.simulatedNow();
    let mem = memory.get(uid);
    if (!mem) {
      const elapsed = recoverElapsed(pod, node, deps.clock.now());
      mem = { start: simNow - elapsed, emittedUpTo: pod.status?.containerStatuses ? elapsed : -1 };
      memory.set(uid, mem);
    }
    const elapsedMs = Math.max(0, simNow - mem.start);
    if (pod.metadata.deletionTimestamp && !mem.termination) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
      mem.termination = { noticedAt: elapsedMs, gracePeriodSeconds: grace };
    }
    let podIP: string | undefined;
    if (!pod.status?.podIP && !pod.spec.hostNetwork) {
      const used = deps
        .podsOn(nodeName)
        .filter((p) => p.metadata.uid !== uid && p.status?.podIP)
        .map((p) => p.status.podIP as string);
      for (const [other, ip] of allocating.get(nodeName) ?? []) if (other !== uid) used.push(ip);
      podIP = allocatePodIP(node.spec?.podCIDR, used);
      if (podIP) {
        if (!allocating.has(nodeName)) allocating.set(nodeName, new Map());
        allocating.get(nodeName)!.set(uid, podIP);
      }
    }
    const out = nextPodStatus({ pod, node, elapsedMs, sinceMs: mem.emittedUpTo, termination: mem.termination, now: deps.clock.now(), podIP });
    const written = await pods
      .patch(
        namespace,
        name,
        (p) => {
          if (p.metadata.uid !== uid) throw errors.conflict(pods.gr, name, "the pod was replaced");
          p.status = out.status;
          return p;
        },
        { user: deps.user, subresource: "status" },
      )
      .catch(ignoreGone);
    if (!written) {
      forget(pod);
      return;
    }
    if (written.status?.podIP) release(nodeName, uid); // now in the by-node index
    for (const e of out.events) {
      await recordEvent(deps.registry, deps.user, deps.clock.now(), written, { type: e.type, reason: e.reason, message: e.message, component: KUBELET_COMPONENT, host: nodeName });
    }
    mem.emittedUpTo = elapsedMs;
    if (mem.termination) mem.termination.killingReported = true;
    if (out.remove) {
      await pods.delete(namespace, name, { user: deps.user, gracePeriodSeconds: 0, preconditions: { uid } }).catch(ignoreGone);
      forget(pod);
      return;
    }
    return out.wakeAfterMs === null ? undefined : { requeueAfterMs: Math.max(1, out.wakeAfterMs) };
  };
}
