/**
 * The ReplicaSet controller (k8s.io/kubernetes pkg/controller/replicaset): keeps `spec.replicas`
 * active pods matching the selector and controlled by the ReplicaSet, adopting matching orphans
 * and releasing owned pods that stopped matching; scales down in upstream's preference order
 * (ActivePodsWithRanks, without the co-location rank); keeps the status counts.
 *
 * Unlike upstream, the status written is computed from the pods as they are after this pass's
 * creates and deletes (upstream writes the pre-manage counts and relies on the next resync), so
 * that one reconcile reaches a fixed point and a second one writes nothing.
 *
 * Watch events → keys (reconciler `replicaset`): a ReplicaSet event enqueues itself; a Pod event
 * enqueues {@link replicaSetKeysForPod} (its controlling ReplicaSet, or for an orphan every
 * ReplicaSet of its namespace whose selector matches). An update that changed a pod's controller
 * ref enqueues the keys of both the old and the new object.
 */
import type { Registry } from "../../registry/registry";
import { formatTime } from "../../registry/clock";
import { selectEverything } from "../../registry/selection";
import type { KObject, UserInfo } from "../../registry/types";
import { recordEvent } from "../events";
import type { Reconciler } from "../runtime";
import {
  adoptAndRelease,
  clone,
  controllerOf,
  getOrNull,
  isConflictOrNotFound,
  isNotFound,
  isPodActive,
  isPodAvailable,
  isPodReady,
  msUntilAvailable,
  newControllerRef,
  ownerKeysFor,
  restartCount,
  createdMs,
  selectorMatchesLabels,
  splitKey,
  writeWorkloadStatus,
} from "./workloads";

export const REPLICASET_CONTROLLER = "replicaset-controller";
/** Upstream's burstReplicas: most creates or deletes per sync. */
export const BURST_REPLICAS = 500;
const DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";

export interface ReplicaSetDeps {
  registry: Registry;
  user: UserInfo;
  /** Wall-clock ms (timestamps, availability). */
  now(): number;
  /**
   * How many times faster than wall-clock time simulated durations pass (default 1). A wait
   * measured in wall-clock time (minReadySeconds) becomes `requeueAfterMs` times this, so the
   * runtime queue, which divides simulated delays by the speed, wakes at the right moment.
   */
  speed?(): number;
}

/** The keys a pod event enqueues for the ReplicaSet controller. */
export function replicaSetKeysForPod(pod: KObject, replicaSets: readonly KObject[]): string[] {
  return ownerKeysFor(pod, "ReplicaSet", replicaSets);
}

// ---- pure pieces --------------------------------------------------------------------------------

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function readySince(pod: KObject): number {
  const c = (pod.status?.conditions ?? []).find((x: { type: string }) => x.type === "Ready");
  const t = c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

function deletionCost(pod: KObject): number {
  const v = Number(pod.metadata.annotations?.[DELETION_COST]);
  return Number.isFinite(v) ? v : 0;
}

/**
 * Deletion preference (ActivePodsWithRanks.Less without ranks): negative when `a` should go
 * before `b`. Unscheduled < scheduled; Pending < Unknown < Running; not ready < ready; lower
 * pod-deletion-cost first; ready for less time first; more restarts first; newer first.
 */
export function compareForDeletion(a: KObject, b: KObject): number {
  const aNode = a.spec?.nodeName ? 1 : 0;
  const bNode = b.spec?.nodeName ? 1 : 0;
  if (aNode !== bNode) return aNode - bNode;
  const ap = PHASE_RANK[a.status?.phase ?? "Pending"] ?? 0;
  const bp = PHASE_RANK[b.status?.phase ?? "Pending"] ?? 0;
  if (ap !== bp) return ap - bp;
  const ar = isPodReady(a) ? 1 : 0;
  const br = isPodReady(b) ? 1 : 0;
  if (ar !== br) return ar - br;
  const ac = deletionCost(a);
  const bc = deletionCost(b);
  if (ac !== bc) return ac - bc;
  if (ar && br) {
    const d = readySince(b) - readySince(a);
    if (d !== 0) return d;
  }
  const rc = restartCount(b) - restartCount(a);
  if (rc !== 0) return rc;
  const cd = createdMs(b) - createdMs(a);
  if (cd !== 0) return cd;
  return 0;
}

/** The `count` pods to delete first (getPodsToDelete). */
export function podsToDelete(pods: readonly KObject[], count: number): KObject[] {
  if (count <= 0) return [];
  return [...pods].sort(compareForDeletion).slice(0, count);
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: unknown[];
}

/**
 * calculateStatus over the ReplicaSet's active pods. Zero counts other than `replicas` are left
 * out (`omitempty`, as upstream serialises them).
 */
export function replicaSetStatus(rs: KObject, activePods: readonly KObject[], nowMs: number): ReplicaSetStatus {
  const templateLabels: Record<string, string> = rs.spec?.template?.metadata?.labels ?? {};
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fully = 0;
  let ready = 0;
  let available = 0;
  for (const pod of activePods) {
    const labels = pod.metadata.labels ?? {};
    if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fully++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, nowMs)) available++;
    }
  }
  const status: ReplicaSetStatus = { replicas: activePods.length };
  if (fully) status.fullyLabeledReplicas = fully;
  if (ready) status.readyReplicas = ready;
  if (available) status.availableReplicas = available;
  if (rs.metadata.generation !== undefined) status.observedGeneration = rs.metadata.generation;
  if (Array.isArray(rs.status?.conditions) && rs.status.conditions.length) status.conditions = clone(rs.status.conditions);
  return status;
}

/** The pod a ReplicaSet creates (controller.GetPodFromTemplate): template metadata, `<rs>-` generateName, controller ref. */
export function podFromTemplate(rs: KObject): KObject {
  const template = rs.spec?.template ?? {};
  const meta = template.metadata ?? {};
  const pod: KObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: `${rs.metadata.name}-`,
      namespace: rs.metadata.namespace,
      ownerReferences: [newControllerRef({ ...rs, apiVersion: "apps/v1", kind: "ReplicaSet" })],
    },
    spec: clone(template.spec ?? {}),
  };
  if (meta.labels && Object.keys(meta.labels).length) pod.metadata.labels = clone(meta.labels);
  if (meta.annotations && Object.keys(meta.annotations).length) pod.metadata.annotations = clone(meta.annotations);
  if (meta.finalizers?.length) pod.metadata.finalizers = clone(meta.finalizers);
  return pod;
}

export interface PodClaim {
  /** Pods the ReplicaSet controls (after adoption and release). */
  owned: KObject[];
  /** Orphans to adopt. */
  adopt: KObject[];
  /** Owned pods that no longer match, to release. */
  release: KObject[];
}

/** ClaimPods: owned pods that match are kept, non-matching ones released, matching orphans adopted. */
export function claimPods(rs: KObject, pods: readonly KObject[]): PodClaim {
  const claim: PodClaim = { owned: [], adopt: [], release: [] };
  const deleting = !!rs.metadata.deletionTimestamp;
  for (const pod of pods) {
    if (pod.metadata.namespace !== rs.metadata.namespace) continue;
    const ref = controllerOf(pod);
    const matches = selectorMatchesLabels(rs.spec?.selector, pod.metadata.labels);
    if (ref) {
      if (ref.uid !== rs.metadata.uid) continue;
      if (matches || deleting) claim.owned.push(pod);
      else if (!pod.metadata.deletionTimestamp) claim.release.push(pod);
      continue;
    }
    if (matches && !deleting && !pod.metadata.deletionTimestamp) claim.adopt.push(pod);
  }
  return claim;
}

// ---- the reconciler ----------------------------------------------------------------------------

export function replicaSetReconciler(deps: ReplicaSetDeps): Reconciler {
  const replicaSets = deps.registry.resource("apps", "replicasets");
  const pods = deps.registry.resource("", "pods");
  const event = (obj: KObject, reason: string, message: string, type: "Normal" | "Warning" = "Normal") =>
    recordEvent(deps.registry, deps.user, deps.now(), obj, { type, reason, message, component: REPLICASET_CONTROLLER });

  return async (key) => {
    const [namespace, name] = splitKey(key);
    const rs = getOrNull(replicaSets, namespace, name);
    if (!rs) return;
    const all = pods.list(namespace, { selection: selectEverything }).items;
    const owned = await adoptAndRelease(pods, { ...rs, apiVersion: "apps/v1", kind: "ReplicaSet" }, claimPods(rs, all), deps.user);

    let active = owned.filter(isPodActive);
    if (!rs.metadata.deletionTimestamp) {
      const want = rs.spec?.replicas ?? 1;
      const diff = active.length - want;
      if (diff < 0) {
        const template = podFromTemplate(rs);
        let failure: unknown = null;
        // slowStartBatch: 1, 2, 4, … creates at once, stopping after a batch with a failure.
        let remaining = Math.min(-diff, BURST_REPLICAS);
        for (let batch = 1; remaining > 0 && !failure; batch *= 2) {
          const size = Math.min(batch, remaining);
          remaining -= size;
          const results = await Promise.allSettled(Array.from({ length: size }, () => pods.create(namespace, clone(template), { user: deps.user })));
          const recorded: Promise<void>[] = [];
          for (const r of results) {
            if (r.status === "fulfilled") {
              active.push(r.value);
              recorded.push(event(rs, "SuccessfulCreate", `Created pod: ${r.value.metadata.name}`));
              continue;
            }
            failure = r.reason;
            const message = r.reason instanceof Error ? r.reason.message : String(r.reason);
            recorded.push(event(rs, "FailedCreate", `Error creating: ${message}`, "Warning"));
          }
          await Promise.all(recorded);
        }
        await setReplicaFailure(rs, failure);
      } else if (diff > 0) {
        const victims = podsToDelete(active, Math.min(diff, BURST_REPLICAS));
        for (const victim of victims) {
          try {
            await pods.delete(namespace, victim.metadata.name!, { user: deps.user, preconditions: { uid: victim.metadata.uid } });
            await event(rs, "SuccessfulDelete", `Deleted pod: ${victim.metadata.name}`);
          } catch (e) {
            if (!isNotFound(e)) throw e;
          }
          active = active.filter((p) => p.metadata.uid !== victim.metadata.uid);
        }
      }
    }

    const now = deps.now();
    const fresh = getOrNull(replicaSets, namespace, name);
    if (!fresh) return;
    const status = replicaSetStatus(fresh, active, now);
    await writeStatus(fresh, status);

    // Ready pods waiting out minReadySeconds: look again when the first becomes available.
    const minReady = fresh.spec?.minReadySeconds ?? 0;
    const waits = active.map((p) => msUntilAvailable(p, minReady, now)).filter((ms) => ms > 0);
    if (waits.length) return { requeueAfterMs: (Math.min(...waits) + 1) * (deps.speed?.() ?? 1) };
    return;
  };

  async function setReplicaFailure(rs: KObject, failure: unknown): Promise<void> {
    const has = (rs.status?.conditions ?? []).some((c: { type: string }) => c.type === "ReplicaFailure");
    if (!failure && !has) return;
    await replicaSets
      .patch(
        rs.metadata.namespace!,
        rs.metadata.name!,
        (current) => {
          const others = (current.status?.conditions ?? []).filter((c: { type: string }) => c.type !== "ReplicaFailure");
          const conditions = failure
            ? [
                ...others,
                {
                  type: "ReplicaFailure",
                  status: "True",
                  lastTransitionTime: formatTime(deps.now()),
                  reason: "FailedCreate",
                  message: failure instanceof Error ? failure.message : String(failure),
                },
              ]
            : others;
          current.status = { ...current.status };
          if (conditions.length) current.status.conditions = conditions;
          else delete current.status.conditions;
          return current;
        },
        { user: deps.user, subresource: "status" },
      )
      .catch((e) => {
        if (!isConflictOrNotFound(e)) throw e;
      });
  }

  async function writeStatus(rs: KObject, status: ReplicaSetStatus): Promise<void> {
    await writeWorkloadStatus(replicaSets, rs, status, deps.user);
  }
}
