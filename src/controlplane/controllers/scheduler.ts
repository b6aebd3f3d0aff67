/**
 * The scheduler as a controller: each pending pod of `default-scheduler` is scheduled against the
 * nodes and pods of the sandbox (the framework in ../scheduler), then bound through the binding
 * subresource with a `Scheduled` event — or marked `PodScheduled=False` (`Unschedulable`) with a
 * `FailedScheduling` event carrying upstream's message, and retried when the cluster changes.
 * The last cycle's per-node verdicts and scores are kept for `/v1/sandboxes/{id}/scheduling`.
 */
import { applyBinding } from "../../registry/kinds/pod";
import type { Registry } from "../../registry/registry";
import type { KObject, UserInfo } from "../../registry/types";
import { errors, StatusError } from "../../apiserver/status";
import { formatTime } from "../../registry/clock";
import type { Reconciler } from "../runtime";
import { scheduleInSnapshot, type Diagnostics, type SchedulerCache } from "../scheduler";
import { recordEvent } from "../events";

export const SCHEDULER_NAME = "default-scheduler";
/** Upstream retries unschedulable pods at the latest after this long (podMaxInUnschedulablePodsDuration). */
const UNSCHEDULABLE_RETRY_MS = 5 * 60_000;
/** Most pods whose last cycle `/v1/sandboxes/{id}/scheduling` can show (the oldest are forgotten first). */
export const MAX_DIAGNOSTICS = 1000;

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

export function schedulerReconciler(deps: SchedulerDeps): Reconciler {
  const pods = deps.registry.resource("", "pods");
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
        return;
      }
      throw e;
    }
    if (!needsScheduling(pod)) {
      deps.cache.unschedulable.delete(key);
      return;
    }
    const snapshot = deps.cache.snapshot();
    const result = scheduleInSnapshot(pod, snapshot, { random: Math.random, startIndex });
    if (snapshot.nodes.length) startIndex = (startIndex + result.diagnostics.evaluatedNodes) % snapshot.nodes.length;
    const at = formatTime(deps.now());
    if ("node" in result) {
      deps.cache.unschedulable.delete(key);
      remember(key, { at, node: result.node, diagnostics: result.diagnostics });
      const binding: KObject = { apiVersion: "v1", kind: "Binding", metadata: { name, namespace }, target: { kind: "Node", name: result.node } };
      try {
        const bound = await pods.patch(namespace, name, (p) => applyBinding(p, binding, new Date(deps.now())), { user: deps.user, subresource: "binding" });
        deps.cache.setPod(bound); // assumed: the next cycle counts it before its watch event arrives
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
    const message = result.failure.message;
    deps.cache.unschedulable.add(key);
    remember(key, { at, message, diagnostics: result.diagnostics });
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
        return p;
      },
      { user: deps.user, subresource: "status" },
    ).catch((e) => {
      if (e instanceof StatusError && (e.code === 404 || e.code === 409)) return null;
      throw e;
    });
    // An unchanged condition means this cycle only repeated the last one: no new event.
    if (!updated || updated.metadata.resourceVersion === pod.metadata.resourceVersion) return { requeueAfterMs: UNSCHEDULABLE_RETRY_MS };
    await recordEvent(deps.registry, deps.user, deps.now(), updated, { type: "Warning", reason: "FailedScheduling", message, component: SCHEDULER_NAME });
    return { requeueAfterMs: UNSCHEDULABLE_RETRY_MS };
  };
}
