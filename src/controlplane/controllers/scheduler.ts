/**
 * The scheduler as a controller: each pending pod of `default-scheduler` is scheduled against the
 * nodes and pods of the sandbox (the framework in ../scheduler), then bound through the binding
 * subresource with a `Scheduled` event — or marked `PodScheduled=False` (`Unschedulable`) with a
 * `FailedScheduling` event carrying upstream's message, and retried when the cluster changes.
 * When preemption picks a node, its victims get the `DisruptionTarget` condition, a `Preempted`
 * event and are deleted, and the pod is nominated there (`status.nominatedNodeName`): it tries
 * that node first once the victims are gone, and pods of lower priority leave its room alone.
 * The last cycle's per-node verdicts and scores are kept for `/v1/sandboxes/{id}/scheduling`.
 *
 * Contract with the watches: every pod event enqueues a pod that needs scheduling, and a pod
 * that leaves a node (deleted, terminal, unbound) enqueues every pod in `cache.unschedulable`.
 */
import { applyBinding } from "../../registry/kinds/pod";
import type { Registry } from "../../registry/registry";
import type { KObject, UserInfo } from "../../registry/types";
import { errors, StatusError } from "../../apiserver/status";
import { formatTime } from "../../registry/clock";
import type { Reconciler } from "../runtime";
import { scheduleInSnapshot, type Diagnostics, type SchedulerCache } from "../scheduler";
import { PREEMPTION_BY_SCHEDULER, type Nomination } from "../scheduler/preemption";
import { recordEvent } from "../events";
import { getOrNull, isConflictOrNotFound } from "./workloads";

export const SCHEDULER_NAME = "default-scheduler";
/** Upstream retries unschedulable pods at the latest after this long (podMaxInUnschedulablePodsDuration). */
const UNSCHEDULABLE_RETRY_MS = 5 * 60_000;
/** Most pods whose last cycle `/v1/sandboxes/{id}/scheduling` can show (the oldest are forgotten first). */
export const MAX_DIAGNOSTICS = 100;

/** What one scheduling cycle decided for a pod, and why. */
export interface SchedulingCycle {
  at: string;
  node?: string;
  message?: string;
  diagnostics: Diagnostics;
}

export interface SchedulerDeps {
  registry: Registry;
  user: UserInfo;
  now(): number;
  /** The last cycle of each recently scheduled pod (`namespace/name`), at most {@link MAX_DIAGNOSTICS}. */
  diagnostics: Map<string, SchedulingCycle>;
  /** Nodes and bound pods, fed from watch events. */
  cache: SchedulerCache;
}

export function needsScheduling(pod: KObject): boolean {
  return !pod.spec?.nodeName && !pod.metadata.deletionTimestamp && (pod.spec?.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME &&
    !["Succeeded", "Failed"].includes(pod.status?.phase);
}

/**
 * The pending pods nominated to each node (upstream's nominator), rebuilt from what the scheduler
 * sees: a pod is recorded when a cycle finds it nominated, and forgotten once it is bound, gone,
 * or nominated elsewhere. Entries are checked against the store when read.
 */
class Nominator {
  private readonly byNode = new Map<string, Map<string, KObject>>();
  private readonly nodeOf = new Map<string, string>();

  constructor(private readonly current: (key: string) => KObject | null) {}

  /** Records `pod` under its `status.nominatedNodeName` (or forgets it when it has none). */
  set(key: string, pod: KObject): void {
    this.forget(key);
    const node: string | undefined = pod.status?.nominatedNodeName;
    if (!node) return;
    this.nodeOf.set(key, node);
    let pods = this.byNode.get(node);
    if (!pods) this.byNode.set(node, (pods = new Map()));
    pods.set(key, pod);
  }

  forget(key: string): void {
    const node = this.nodeOf.get(key);
    if (node === undefined) return;
    this.nodeOf.delete(key);
    const pods = this.byNode.get(node)!;
    pods.delete(key);
    if (pods.size === 0) this.byNode.delete(node);
  }

  /** The pods still pending and nominated to `node`, by key. */
  on(node: string): Map<string, KObject> {
    for (const key of [...(this.byNode.get(node)?.keys() ?? [])]) {
      const pod = this.current(key);
      if (!pod || !needsScheduling(pod) || pod.status?.nominatedNodeName !== node) this.forget(key);
    }
    return this.byNode.get(node) ?? new Map();
  }
}

const DISRUPTION_MESSAGE = `${SCHEDULER_NAME}: preempting to accommodate a higher priority pod`;

export function schedulerReconciler(deps: SchedulerDeps): Reconciler {
  const pods = deps.registry.resource("", "pods");
  const nominator = new Nominator((key) => {
    const [namespace, name] = key.split("/");
    return getOrNull(pods, namespace!, name!);
  });
  const nominatedPods = (node: string) => [...nominator.on(node).values()];

  /** prepareCandidate: each victim is marked DisruptionTarget, told why in an event, and deleted (with its grace period). */
  const evict = async (preemptor: KObject, nomination: Nomination) => {
    for (const victim of nomination.victims) {
      const { namespace, name } = victim.metadata;
      try {
        const marked = await pods.patch(
          namespace!,
          name!,
          (p) => {
            const conditions = (p.status?.conditions ?? []).filter((c: { type: string }) => c.type !== "DisruptionTarget");
            conditions.push({
              type: "DisruptionTarget",
              status: "True",
              lastProbeTime: null,
              lastTransitionTime: formatTime(deps.now()),
              reason: PREEMPTION_BY_SCHEDULER,
              message: DISRUPTION_MESSAGE,
            });
            p.status = { ...p.status, conditions };
            return p;
          },
          { user: deps.user, subresource: "status" },
        );
        await recordEvent(deps.registry, deps.user, deps.now(), marked, {
          type: "Normal",
          reason: "Preempted",
          message: `Preempted by pod ${preemptor.metadata.uid} on node ${nomination.node}`,
          component: SCHEDULER_NAME,
        });
        await pods.delete(namespace!, name!, { user: deps.user });
      } catch (e) {
        if (!isConflictOrNotFound(e)) throw e;
      }
    }
  };

  /** Lower-priority pods nominated to the node the preemptor takes lose their nomination (they would not fit). */
  const clearLowerNominations = async (preemptor: KObject, node: string) => {
    const priority = preemptor.spec?.priority ?? 0;
    for (const [key, pod] of nominator.on(node)) {
      if ((pod.spec?.priority ?? 0) >= priority || pod.metadata.uid === preemptor.metadata.uid) continue;
      nominator.forget(key);
      await pods
        .patch(pod.metadata.namespace!, pod.metadata.name!, (p) => {
          if (p.status) delete p.status.nominatedNodeName;
          return p;
        }, { user: deps.user, subresource: "status" })
        .catch((e) => {
          if (!isConflictOrNotFound(e)) throw e;
        });
    }
  };

  const remember = (key: string, cycle: SchedulingCycle) => {
    deps.diagnostics.delete(key);
    deps.diagnostics.set(key, cycle);
    if (deps.diagnostics.size > MAX_DIAGNOSTICS) deps.diagnostics.delete(deps.diagnostics.keys().next().value!);
  };
  /** Where the next cycle starts scanning nodes (upstream's nextStartNodeIndex). */
  let startIndex = 0;
  return async (key) => {
    const [namespace, name] = key.split("/");
    let pod: KObject;
    try {
      pod = pods.get(namespace, name);
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) {
        deps.diagnostics.delete(key);
        deps.cache.unschedulable.delete(key);
        nominator.forget(key);
        return;
      }
      throw e;
    }
    if (!needsScheduling(pod)) {
      deps.cache.unschedulable.delete(key);
      nominator.forget(key);
      return;
    }
    nominator.set(key, pod);
    const snapshot = deps.cache.snapshot();
    const result = scheduleInSnapshot(pod, snapshot, { random: Math.random, startIndex, nominatedPods });
    if (snapshot.nodes.length) startIndex = (startIndex + result.diagnostics.evaluatedNodes) % snapshot.nodes.length;
    const at = formatTime(deps.now());
    if ("node" in result) {
      deps.cache.unschedulable.delete(key);
      nominator.forget(key);
      remember(key, { at, node: result.node, diagnostics: result.diagnostics });
      const binding: KObject = { apiVersion: "v1", kind: "Binding", metadata: { name, namespace }, target: { kind: "Node", name: result.node } };
      // Assumed before binding, as upstream's scheduler cache does: cycles running meanwhile count it.
      deps.cache.setPod({ ...pod, spec: { ...pod.spec, nodeName: result.node } });
      try {
        const bound = await pods.patch(namespace, name, (p) => applyBinding(p, binding, new Date(deps.now())), { user: deps.user, subresource: "binding" }).catch((e) => {
          const current = getOrNull(pods, namespace, name); // not bound by us: the cache holds what is stored
          if (current) deps.cache.setPod(current);
          else deps.cache.removePod(key);
          throw e;
        });
        deps.cache.setPod(bound);
        await recordEvent(deps.registry, deps.user, deps.now(), bound, {
          type: "Normal",
          reason: "Scheduled",
          message: `Successfully assigned ${namespace}/${name} to ${result.node}`,
          component: SCHEDULER_NAME,
        });
      } catch (e) {
        // Bound or deleted meanwhile: nothing left to do.
        if (e instanceof StatusError && (e.code === 404 || e.code === 409)) return;
        throw e;
      }
      return;
    }
    const { message, nomination } = result.failure;
    deps.cache.unschedulable.add(key);
    remember(key, { at, message, diagnostics: result.diagnostics });
    if (nomination) {
      await evict(pod, nomination);
      await clearLowerNominations(pod, nomination.node);
    }
    const updated = await pods.patch(
      namespace,
      name,
      (p) => {
        if (!needsScheduling(p)) throw errors.conflict(pods.gr, name, "already scheduled");
        const conditions = (p.status?.conditions ?? []).filter((c: { type: string }) => c.type !== "PodScheduled");
        const previous = (p.status?.conditions ?? []).find((c: { type: string }) => c.type === "PodScheduled");
        conditions.push({
          type: "PodScheduled",
          status: "False",
          lastProbeTime: null,
          lastTransitionTime: previous?.status === "False" ? previous.lastTransitionTime : at,
          reason: "Unschedulable",
          message,
        });
        p.status = { ...p.status, conditions };
        if (nomination) p.status.nominatedNodeName = nomination.node;
        return p;
      },
      { user: deps.user, subresource: "status" },
    ).catch((e) => {
      if (e instanceof StatusError && (e.code === 404 || e.code === 409)) return null;
      throw e;
    });
    if (updated) nominator.set(key, updated);
    // An unchanged condition means this cycle only repeated the last one: no new event.
    if (!updated || updated.metadata.resourceVersion === pod.metadata.resourceVersion) return { requeueAfterMs: UNSCHEDULABLE_RETRY_MS };
    await recordEvent(deps.registry, deps.user, deps.now(), updated, { type: "Warning", reason: "FailedScheduling", message, component: SCHEDULER_NAME });
    return { requeueAfterMs: UNSCHEDULABLE_RETRY_MS };
  };
}
