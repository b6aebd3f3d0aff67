/**
 * Helpers shared by the workload controllers (ReplicaSet, Deployment): controller references,
 * pod activity / readiness / availability (k8s.io/kubernetes pkg/controller/controller_utils.go and
 * pkg/api/v1/pod/util.go), label-selector matching on metav1.LabelSelector objects, and the
 * mapping of watch events to the owner keys to enqueue.
 */
import { labelSelectorAsSelector, type LabelSelectorObject } from "../../apiserver/selectors/labels";
import { StatusError } from "../../apiserver/status";
import type { ResourceStore } from "../../registry/store";
import type { KObject, OwnerReference, UserInfo } from "../../registry/types";

export { cloneJson as clone } from "../../registry/store";

export function isNotFound(e: unknown): boolean {
  return e instanceof StatusError && e.code === 404;
}

export function isConflictOrNotFound(e: unknown): boolean {
  return e instanceof StatusError && (e.code === 404 || e.code === 409);
}

/** `store.get` that answers null for 404. */
export function getOrNull(store: ResourceStore, namespace: string, name: string): KObject | null {
  try {
    return store.get(namespace, name);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

/** Splits a `namespace/name` key. */
export function splitKey(key: string): [string, string] {
  const i = key.indexOf("/");
  return i < 0 ? ["", key] : [key.slice(0, i), key.slice(i + 1)];
}

export function objectKey(obj: { metadata: { namespace?: string; name?: string } }): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : String(obj.metadata.name);
}

/** metav1.GetControllerOf. */
export function controllerOf(obj: { metadata: { ownerReferences?: OwnerReference[] } }): OwnerReference | undefined {
  return (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true);
}

/** metav1.NewControllerRef. */
export function newControllerRef(owner: KObject): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/**
 * The `namespace/name` key of the object's controller when that controller is of `kind`
 * (e.g. a Pod's ReplicaSet, a ReplicaSet's Deployment), or null.
 */
export function controllerOwnerKey(obj: KObject, kind: string): string | null {
  const ref = controllerOf(obj);
  if (!ref || ref.kind !== kind) return null;
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${ref.name}` : ref.name;
}

/**
 * The keys to enqueue for an event on a dependent (a Pod for ReplicaSets, a ReplicaSet for
 * Deployments), as upstream's add/update/delete handlers: its controller if it has one of `kind`;
 * if it is an orphan (and not being deleted), every candidate owner whose selector matches it
 * (they may adopt it). A dependent controlled by another kind enqueues nothing.
 */
export function ownerKeysFor(obj: KObject, kind: string, candidates: readonly KObject[]): string[] {
  const ref = controllerOf(obj);
  if (ref) {
    const key = controllerOwnerKey(obj, kind);
    return key ? [key] : [];
  }
  if (obj.metadata.deletionTimestamp) return [];
  return candidates
    .filter((c) => c.metadata.namespace === obj.metadata.namespace && !c.metadata.deletionTimestamp && selectorMatchesLabels(c.spec?.selector, obj.metadata.labels))
    .map(objectKey);
}

/**
 * Whether a metav1.LabelSelector matches labels. An empty or invalid selector matches nothing here
 * (controllers never select everything: upstream refuses empty selectors for workloads).
 */
export function selectorMatchesLabels(selector: unknown, labels: Record<string, string> | undefined): boolean {
  try {
    const s = labelSelectorAsSelector(selector as LabelSelectorObject);
    if (s.empty()) return false;
    return s.matches(labels ?? {});
  } catch {
    return false;
  }
}

// ---- pods ---------------------------------------------------------------------------------------

/** controller.IsPodActive: not finished and not being deleted. */
export function isPodActive(pod: KObject): boolean {
  const phase = pod.status?.phase;
  return phase !== "Succeeded" && phase !== "Failed" && !pod.metadata.deletionTimestamp;
}

function podCondition(pod: KObject, type: string): { status?: string; lastTransitionTime?: string } | undefined {
  return (pod.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
}

/** podutil.IsPodReady. */
export function isPodReady(pod: KObject): boolean {
  return podCondition(pod, "Ready")?.status === "True";
}

/**
 * podutil.IsPodAvailable: ready for at least minReadySeconds (by the Ready condition's
 * lastTransitionTime; a zero minReadySeconds or a missing transition time means ready = available).
 */
export function isPodAvailable(pod: KObject, minReadySeconds: number, nowMs: number): boolean {
  const ready = podCondition(pod, "Ready");
  if (ready?.status !== "True") return false;
  if (!minReadySeconds) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  if (Number.isNaN(since)) return true;
  return since + minReadySeconds * 1000 <= nowMs;
}

/** Milliseconds until a ready pod becomes available (0 when it already is or is not ready). */
export function msUntilAvailable(pod: KObject, minReadySeconds: number, nowMs: number): number {
  const ready = podCondition(pod, "Ready");
  if (ready?.status !== "True" || !minReadySeconds || !ready.lastTransitionTime) return 0;
  const since = Date.parse(ready.lastTransitionTime);
  if (Number.isNaN(since)) return 0;
  return Math.max(0, since + minReadySeconds * 1000 - nowMs);
}

export function restartCount(pod: KObject): number {
  return (pod.status?.containerStatuses ?? []).reduce((n: number, c: { restartCount?: number }) => n + (c.restartCount ?? 0), 0);
}

/** Creation time in ms (0 when unknown), for oldest/newest orderings. */
export function createdMs(obj: KObject): number {
  const t = obj.metadata.creationTimestamp ? Date.parse(obj.metadata.creationTimestamp) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** controller.ReplicaSetsByCreationTimestamp: oldest first, then by name. */
export function byCreation(a: KObject, b: KObject): number {
  const d = createdMs(a) - createdMs(b);
  if (d !== 0) return d;
  return String(a.metadata.name) < String(b.metadata.name) ? -1 : String(a.metadata.name) > String(b.metadata.name) ? 1 : 0;
}

/**
 * Carries out a claim (ReplicaSet and DaemonSet controllers): adopts the matching orphans (each
 * re-checked against the live pod) and releases owned pods that stopped matching. Returns the
 * pods the owner controls afterwards.
 */
export async function adoptAndRelease(
  pods: ResourceStore,
  owner: KObject,
  claim: { owned: readonly KObject[]; adopt: readonly KObject[]; release: readonly KObject[] },
  user: UserInfo,
): Promise<KObject[]> {
  const namespace = owner.metadata.namespace!;
  const owned = [...claim.owned];
  const controllerRef = newControllerRef(owner);
  for (const pod of claim.adopt) {
    try {
      const adopted = await pods.patch(
        namespace,
        pod.metadata.name!,
        (p) => {
          if (controllerOf(p) || p.metadata.deletionTimestamp || !selectorMatchesLabels(owner.spec?.selector, p.metadata.labels)) return p;
          p.metadata.ownerReferences = [...(p.metadata.ownerReferences ?? []), controllerRef];
          return p;
        },
        { user },
      );
      if (controllerOf(adopted)?.uid === owner.metadata.uid) owned.push(adopted);
    } catch (e) {
      if (!isConflictOrNotFound(e)) throw e;
    }
  }
  for (const pod of claim.release) {
    try {
      await pods.patch(
        namespace,
        pod.metadata.name!,
        (p) => {
          p.metadata.ownerReferences = (p.metadata.ownerReferences ?? []).filter((r: OwnerReference) => r.uid !== owner.metadata.uid);
          return p;
        },
        { user },
      );
    } catch (e) {
      if (!isConflictOrNotFound(e)) throw e;
    }
  }
  return owned;
}

/**
 * Writes a workload's computed status through its status subresource, keeping the conditions the
 * stored status has (and the `keep` fields); a conflict or a deleted object is left to the next pass.
 */
export async function writeWorkloadStatus(store: ResourceStore, obj: KObject, status: object, user: UserInfo, keep: readonly string[] = []): Promise<void> {
  await store
    .patch(
      obj.metadata.namespace!,
      obj.metadata.name!,
      (current) => {
        const next: Record<string, unknown> = { ...status };
        if (Array.isArray(current.status?.conditions) && current.status.conditions.length) next.conditions = current.status.conditions;
        else delete next.conditions;
        for (const k of keep) if (current.status?.[k] !== undefined) next[k] = current.status[k];
        current.status = next;
        return current;
      },
      { user, subresource: "status" },
    )
    .catch((e) => {
      if (!isConflictOrNotFound(e)) throw e;
    });
}

/** Whether two statuses say the same in `fields` (absent, null, 0 and "" alike; no conditions as none). */
export function sameStatus(fields: readonly string[], a: Record<string, any>, b: Record<string, any>): boolean {
  const canonical = (s: Record<string, any>) =>
    fields.map((k) => {
      const v = s[k];
      if (k === "conditions") return Array.isArray(v) && v.length ? v : null;
      return v === undefined || v === null || v === 0 || v === "" ? null : v;
    });
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
