/**
 * Node lifecycle (k8s.io/kubernetes pkg/controller/nodelifecycle), taint-based eviction
 * (pkg/controller/tainteviction) and the orphan part of pod GC (pkg/controller/podgc), each keyed
 * by node name.
 *
 * ## Node health ({@link nodeLifecycleReconciler})
 *
 * Like upstream, health is judged by when this controller last *saw the node's Lease change*, in
 * simulated time — never by the timestamp written in it. When that is longer ago than the
 * node-monitor grace period (40 s; 50 s from Kubernetes 1.32 on), the node's conditions become
 * `Unknown` (`NodeStatusUnknown`, "Kubelet stopped posting node status."), the taints
 * `node.kubernetes.io/unreachable` NoSchedule and NoExecute (with `timeAdded`) are added, a
 * `NodeNotReady` event is recorded for the node, and its pods get `Ready=False` with a Warning
 * `NodeNotReady` "Node is not ready" event each. When the kubelet posts `Ready=True` again, both
 * taints are removed.
 *
 * Only nodes whose simulated kubelet is stopped (`isKubeletStopped`) are re-checked on a timer:
 * a running kubelet's Lease changes are enough, so a healthy idle sandbox has nothing due.
 * After a restart (DO eviction) the grace period starts again at the first look, as upstream's
 * controller does after a restart.
 *
 * ## Taint-based eviction ({@link taintEvictionReconciler})
 *
 * Every pod on a node with NoExecute taints: not tolerating one of them → deleted at once;
 * tolerating all of them → deleted when the shortest `tolerationSeconds` among the matching
 * tolerations has passed since the taint was first seen (simulated; forever without one). The pod
 * gets the `DisruptionTarget` condition (`DeletionByTaintManager`) and a `TaintManagerEviction`
 * event, then a normal graceful delete — on an unreachable node it stays `Terminating` until the
 * node comes back or goes, as upstream, while its controller already replaces it. Pods get
 * 300 s tolerations for `not-ready`/`unreachable` when created (see the Pod kind).
 *
 * ## Orphaned pods ({@link podGCReconciler})
 *
 * Pods bound to a node that no longer exists get `DisruptionTarget` (`DeletionByPodGC`), phase
 * `Failed` when not terminal, and are deleted at once (grace 0).
 */
import { formatTime } from "../../registry/clock";
import type { Registry } from "../../registry/registry";
import type { KObject, UserInfo } from "../../registry/types";
import { recordEvent } from "../events";
import type { KubeletClock } from "../kubelet";
import { isKubeletStopped } from "../kubelet/heartbeat";
import type { Reconciler } from "../runtime";
import { toleratesTaint } from "../scheduler/podinfo";
import type { Taint, Toleration } from "../scheduler/types";
import { getOrNull, isConflictOrNotFound } from "./workloads";

export const NODE_CONTROLLER = "node-controller";
export const TAINT_EVICTION_CONTROLLER = "taint-eviction-controller";
export const UNREACHABLE_TAINT = "node.kubernetes.io/unreachable";
export const NOT_READY_TAINT = "node.kubernetes.io/not-ready";

/** The default `--node-monitor-grace-period` of a Kubernetes minor version (`"1.31"`). */
export function nodeMonitorGraceMs(kubernetesVersion: string): number {
  const minor = Number(kubernetesVersion.split(".")[1]);
  return minor >= 32 ? 50_000 : 40_000;
}

export interface NodeLifecycleDeps extends ControllerDeps {
  /** Simulated ms without a Lease change before a node is unhealthy. */
  graceMs: number;
}

type Condition = { type: string; status: string; reason?: string; message?: string; lastHeartbeatTime?: string; lastTransitionTime?: string };

const conditionOf = (obj: KObject, type: string): Condition | undefined => (obj.status?.conditions ?? []).find((c: Condition) => c.type === type);

interface ControllerDeps {
  registry: Registry;
  user: UserInfo;
  clock: KubeletClock;
  /** The non-terminal pods bound to a node (an index kept from the watch). */
  podsOn(nodeName: string): KObject[];
}

const ignoreGone = (e: unknown) => {
  if (!isConflictOrNotFound(e)) throw e;
  return null;
};

/** Adds or replaces a pod condition; the transition time changes only with the status. */
function withPodCondition(pod: KObject, condition: Condition): KObject {
  const conditions: Condition[] = [...(pod.status?.conditions ?? [])];
  const i = conditions.findIndex((c) => c.type === condition.type);
  const old = i >= 0 ? conditions[i] : undefined;
  const next = { lastProbeTime: null, ...condition, lastTransitionTime: old && old.status === condition.status ? old.lastTransitionTime : condition.lastTransitionTime } as Condition;
  if (i >= 0) conditions[i] = next;
  else conditions.push(next);
  return { ...pod, status: { ...pod.status, conditions } };
}

// ---- node health --------------------------------------------------------------------------------

/** The node as the node controller leaves it once its kubelet is unresponsive (null: already so). */
export function markUnreachable(node: KObject, time: string): KObject | null {
  const conditions: Condition[] = node.status?.conditions ?? [];
  const taints: Taint[] = node.spec?.taints ?? [];
  const hasTaint = (effect: string) => taints.some((t) => t.key === UNREACHABLE_TAINT && t.effect === effect);
  const conditionsDone = conditions.every((c) => c.status === "Unknown");
  if (conditionsDone && hasTaint("NoSchedule") && hasTaint("NoExecute")) return null;
  const unknown = conditions.map((c) =>
    c.status === "Unknown" ? c : { ...c, status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", lastTransitionTime: time },
  );
  const kept = taints.filter((t) => t.key !== NOT_READY_TAINT);
  if (!hasTaint("NoSchedule")) kept.push({ key: UNREACHABLE_TAINT, effect: "NoSchedule", timeAdded: time } as Taint);
  if (!hasTaint("NoExecute")) kept.push({ key: UNREACHABLE_TAINT, effect: "NoExecute", timeAdded: time } as Taint);
  return { ...node, spec: { ...node.spec, taints: kept }, status: { ...node.status, conditions: unknown } };
}

/** The node's taints once its kubelet reports Ready again (null: nothing to remove). */
export function withoutHealthTaints(node: KObject): Taint[] | null {
  const taints: Taint[] = node.spec?.taints ?? [];
  const kept = taints.filter((t) => t.key !== UNREACHABLE_TAINT && t.key !== NOT_READY_TAINT);
  return kept.length === taints.length ? null : kept;
}

export function nodeLifecycleReconciler(deps: NodeLifecycleDeps): Reconciler {
  const { registry, user } = deps;
  const nodes = registry.resource("", "nodes");
  const leases = registry.resource("coordination.k8s.io", "leases");
  const pods = registry.resource("", "pods");
  /** Per node: the Lease renewTime last seen and the simulated instant it was first seen. */
  const probes = new Map<string, { renewTime: string; seenAt: number }>();

  return async (name) => {
    const node = getOrNull(nodes, "", name);
    if (!node) {
      probes.delete(name);
      return;
    }
    const simNow = deps.clock.simulatedNow();
    const renewTime = String(getOrNull(leases, "kube-node-lease", name)?.spec?.renewTime ?? "");
    const probe = probes.get(name);
    if (!probe || probe.renewTime !== renewTime) probes.set(name, { renewTime, seenAt: simNow });
    const silentFor = simNow - probes.get(name)!.seenAt;

    if (silentFor < deps.graceMs) {
      if (conditionOf(node, "Ready")?.status === "True") {
        const taints = withoutHealthTaints(node);
        if (taints) {
          await nodes
            .patch("", name, (n) => {
              const { taints: _, ...spec } = n.spec;
              return { ...n, spec: taints.length ? { ...spec, taints } : spec }; // an empty list is omitted, as upstream's omitempty
            }, { user })
            .catch(ignoreGone);
        }
      }
      return isKubeletStopped(node) ? { requeueAfterMs: deps.graceMs - silentFor } : undefined;
    }

    const now = deps.clock.now();
    const time = formatTime(now);
    if (!markUnreachable(node, time)) return;
    const wasReady = conditionOf(node, "Ready")?.status !== "Unknown";
    // Conditions and taints live in status and spec: two writes, each recomputed on the fresh node.
    await nodes.patch("", name, (n) => ({ ...n, status: (markUnreachable(n, time) ?? n).status }), { user, subresource: "status" }).catch(ignoreGone);
    const written = await nodes.patch("", name, (n) => ({ ...n, spec: (markUnreachable(n, time) ?? n).spec }), { user }).catch(ignoreGone);
    if (!written || !wasReady) return;
    await recordEvent(registry, user, now, written, { type: "Normal", reason: "NodeNotReady", message: `Node ${name} status is now: NodeNotReady`, component: NODE_CONTROLLER });
    for (const pod of deps.podsOn(name)) {
      const ready = conditionOf(pod, "Ready");
      if (!ready || ready.status === "False") continue;
      const updated = await pods
        .patch(pod.metadata.namespace!, pod.metadata.name!, (p) => withPodCondition(p, { ...(conditionOf(p, "Ready") ?? ready), status: "False", lastTransitionTime: time }), { user, subresource: "status" })
        .catch(ignoreGone);
      if (updated) await recordEvent(registry, user, now, updated, { type: "Warning", reason: "NodeNotReady", message: "Node is not ready", component: NODE_CONTROLLER });
    }
  };
}

// ---- taint-based eviction -----------------------------------------------------------------------

/**
 * How long (ms) a pod may stay on a node with these NoExecute taints: 0 when one is not
 * tolerated, the shortest matching `tolerationSeconds` otherwise, null for forever.
 */
export function toleratedForMs(tolerations: Toleration[], taints: Taint[]): number | null {
  let min: number | null = null;
  for (const taint of taints) {
    const matching = tolerations.filter((t) => (!t.effect || t.effect === "NoExecute") && toleratesTaint(t, taint));
    if (matching.length === 0) return 0;
    for (const t of matching) {
      const seconds = (t as { tolerationSeconds?: number }).tolerationSeconds;
      if (typeof seconds !== "number") continue;
      const ms = Math.max(0, seconds) * 1000;
      if (min === null || ms < min) min = ms;
    }
  }
  return min;
}

export function taintEvictionReconciler(deps: ControllerDeps): Reconciler {
  const { registry, user } = deps;
  const nodes = registry.resource("", "nodes");
  const pods = registry.resource("", "pods");
  /** Per `node/taint key`: the simulated instant the NoExecute taint was first seen. */
  const firstSeen = new Map<string, number>();

  return async (name) => {
    const node = getOrNull(nodes, "", name);
    const taints: Taint[] = (node?.spec?.taints ?? []).filter((t: Taint) => t.effect === "NoExecute");
    const simNow = deps.clock.simulatedNow();
    const seenKeys = new Set(taints.map((t) => `${name}/${t.key}`));
    for (const key of firstSeen.keys()) if (key.startsWith(`${name}/`) && !seenKeys.has(key)) firstSeen.delete(key);
    if (taints.length === 0) return;
    for (const key of seenKeys) if (!firstSeen.has(key)) firstSeen.set(key, simNow);
    const taintedAt = Math.max(...taints.map((t) => firstSeen.get(`${name}/${t.key}`)!));

    let nextDue: number | null = null;
    for (const pod of deps.podsOn(name)) {
      if (pod.metadata.deletionTimestamp) continue;
      const allowed = toleratedForMs(pod.spec?.tolerations ?? [], taints);
      if (allowed === null) continue;
      const dueAt = taintedAt + allowed;
      if (dueAt > simNow) {
        nextDue = Math.min(nextDue ?? Infinity, dueAt);
        continue;
      }
      const now = deps.clock.now();
      const { namespace, name: podName, uid } = pod.metadata;
      const marked = await pods
        .patch(namespace!, podName!, (p) => withPodCondition(p, { type: "DisruptionTarget", status: "True", reason: "DeletionByTaintManager", message: "Taint manager: deleting due to NoExecute taint", lastTransitionTime: formatTime(now) }), {
          user,
          subresource: "status",
        })
        .catch(ignoreGone);
      if (!marked) continue;
      await recordEvent(registry, user, now, marked, { type: "Normal", reason: "TaintManagerEviction", message: `Marking for deletion Pod ${namespace}/${podName}`, component: TAINT_EVICTION_CONTROLLER });
      await pods.delete(namespace!, podName!, { user, preconditions: { uid } }).catch(ignoreGone);
    }
    return nextDue === null ? undefined : { requeueAfterMs: nextDue - simNow };
  };
}

// ---- orphaned pods ------------------------------------------------------------------------------

export function podGCReconciler(deps: ControllerDeps): Reconciler {
  const { registry, user } = deps;
  const nodes = registry.resource("", "nodes");
  const pods = registry.resource("", "pods");
  return async (name) => {
    if (getOrNull(nodes, "", name)) return;
    for (const pod of deps.podsOn(name)) {
      const { namespace, name: podName, uid } = pod.metadata;
      const time = formatTime(deps.clock.now());
      await pods
        .patch(
          namespace!,
          podName!,
          (p) => {
            const marked = withPodCondition(p, { type: "DisruptionTarget", status: "True", reason: "DeletionByPodGC", message: "PodGC: node no longer exists", lastTransitionTime: time });
            if (marked.status.phase !== "Succeeded" && marked.status.phase !== "Failed") marked.status.phase = "Failed";
            return marked;
          },
          { user, subresource: "status" },
        )
        .catch(ignoreGone);
      await pods.delete(namespace!, podName!, { user, gracePeriodSeconds: 0, preconditions: { uid } }).catch(ignoreGone);
    }
  };
}
