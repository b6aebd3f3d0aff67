/**
 * The Deployment controller (k8s.io/kubernetes pkg/controller/deployment and
 * pkg/controller/deployment/util): one ReplicaSet per pod template, named
 * `<deployment>-<pod-template-hash>`, rolled with RollingUpdate (maxSurge / maxUnavailable) or
 * Recreate, revisions in `deployment.kubernetes.io/revision`, history cleanup, `paused`, and the
 * status / conditions `kubectl rollout status` reads.
 *
 * The pod-template-hash: upstream hashes the `%#v` dump of the template with FNV-32a (plus the
 * collision count) and encodes the decimal value with `rand.SafeEncodeString`. We hash a canonical
 * JSON (sorted keys) of the template instead: deterministic and stable across restarts, the same
 * shape (up to 10 characters of `bcdfghjklmnpqrstvwxz2456789`), but not byte-identical to
 * upstream's value for the same template.
 *
 * Time: the progress deadline is judged against the wall-clock condition timestamps and the
 * requeue for it is asked in those ms, so it is exact at speed 1 only (at other speeds or after a
 * clock advance it fires early or late; the check itself stays correct when it does run).
 *
 * Watch events → keys (reconciler `deployment`): a Deployment event enqueues itself; a ReplicaSet
 * event enqueues {@link deploymentKeysForReplicaSet}; a Pod DELETED event enqueues
 * {@link deploymentKeyForPod} (Recreate waits for old pods to be gone).
 */
import type { Registry } from "../../registry/registry";
import { formatTime } from "../../registry/clock";
import { selectEverything } from "../../registry/selection";
import type { KObject, UserInfo } from "../../registry/types";
import { StatusError } from "../../apiserver/status";
import { recordEvent } from "../events";
import type { Reconciler } from "../runtime";
import { byCreation, clone, controllerOf, getOrNull, isConflictOrNotFound, newControllerRef, ownerKeysFor, selectorMatchesLabels, splitKey } from "./workloads";

export const DEPLOYMENT_CONTROLLER = "deployment-controller";
export const POD_TEMPLATE_HASH = "pod-template-hash";
export const REVISION = "deployment.kubernetes.io/revision";
export const REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
export const DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
const ROLLBACK_TO = "deprecated.deployment.rollback.to";
/** Annotations of the Deployment never copied to its ReplicaSets (skipCopyAnnotation). */
const NOT_COPIED = new Set([LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO]);

export interface DeploymentDeps {
  registry: Registry;
  user: UserInfo;
  /** Wall-clock ms (timestamps, progress deadline). */
  now(): number;
}

// ---- event → key mapping ---------------------------------------------------------------------

/** The keys a ReplicaSet event enqueues: its controlling Deployment, or for an orphan every matching Deployment. */
export function deploymentKeysForReplicaSet(rs: KObject, deployments: readonly KObject[]): string[] {
  return ownerKeysFor(rs, "Deployment", deployments);
}

/** The Deployment a pod belongs to through its ReplicaSet (for pod deletions under Recreate), or null. */
export function deploymentKeyForPod(pod: KObject, replicaSets: readonly KObject[]): string | null {
  const ref = controllerOf(pod);
  if (!ref || ref.kind !== "ReplicaSet") return null;
  const rs = replicaSets.find((r) => r.metadata.uid === ref.uid && r.metadata.namespace === pod.metadata.namespace);
  if (!rs) return null;
  const owner = controllerOf(rs);
  return owner?.kind === "Deployment" ? `${rs.metadata.namespace}/${owner.name}` : null;
}

// ---- pure pieces -----------------------------------------------------------------------------

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}

/** FNV-32a of a string's UTF-8 bytes. */
export function fnv32a(text: string, hash = 0x811c9dc5): number {
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

const SAFE_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789";

/** rand.SafeEncodeString. */
export function safeEncodeString(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHANUMS[s.charCodeAt(i) % SAFE_ALPHANUMS.length];
  return out;
}

/** controller.ComputeHash: the pod-template-hash of a template (see the header for the differences from upstream). */
export function computeHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(canonicalJson(template ?? {}));
  if (collisionCount !== undefined && collisionCount !== null) {
    // As upstream: the collision count is hashed in as a little-endian uint32.
    const bytes = [collisionCount & 0xff, (collisionCount >>> 8) & 0xff, (collisionCount >>> 16) & 0xff, (collisionCount >>> 24) & 0xff];
    for (const b of bytes) {
      h ^= b;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return safeEncodeString(String(h >>> 0));
}

function withoutHash(template: unknown): unknown {
  const t = clone((template ?? {}) as Record<string, any>);
  if (t.metadata?.labels) {
    delete t.metadata.labels[POD_TEMPLATE_HASH];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  // Go's zero time: a `creationTimestamp: null` (kubectl's rollout undo sends one) equals an absent one.
  if (t.metadata && t.metadata.creationTimestamp == null) delete t.metadata.creationTimestamp;
  if (t.metadata && Object.keys(t.metadata).length === 0) delete t.metadata;
  return t;
}

/** EqualIgnoreHash: templates equal once the pod-template-hash label is ignored. */
export function equalIgnoreHash(a: unknown, b: unknown): boolean {
  return canonicalJson(withoutHash(a)) === canonicalJson(withoutHash(b));
}

/** intstr.GetScaledValueFromIntOrPercent. */
export function scaledValue(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^[0-9]+%$/.test(value)) {
    const v = (Number(value.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(v) : Math.floor(v);
  }
  if (typeof value === "string" && /^[0-9]+$/.test(value)) return Number(value);
  return 0;
}

/** ResolveFenceposts: [surge, unavailable]; both 0 → unavailable 1. */
export function resolveFenceposts(maxSurge: unknown, maxUnavailable: unknown, desired: number): [number, number] {
  const surge = scaledValue(maxSurge ?? "25%", desired, true);
  let unavailable = scaledValue(maxUnavailable ?? "25%", desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

const replicasOf = (d: KObject): number => d.spec?.replicas ?? 1;
const isRolling = (d: KObject) => (d.spec?.strategy?.type ?? "RollingUpdate") === "RollingUpdate";

/** deploymentutil.MaxUnavailable. */
export function maxUnavailable(d: KObject): number {
  const replicas = replicasOf(d);
  if (!isRolling(d) || replicas === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const [, unavailable] = resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicas);
  return Math.min(unavailable, replicas);
}

/** deploymentutil.MaxSurge. */
export function maxSurge(d: KObject): number {
  if (!isRolling(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  return resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicasOf(d))[0];
}

const specReplicas = (rs: KObject | null | undefined): number => rs?.spec?.replicas ?? 0;
const sum = (list: readonly (KObject | null | undefined)[], f: (rs: KObject) => number) => list.reduce((n, rs) => n + (rs ? f(rs) : 0), 0);

/** NewRSNewReplicas for RollingUpdate (Recreate: the full count). */
export function newRSNewReplicas(d: KObject, allRSs: readonly KObject[], newRS: KObject): number {
  const replicas = replicasOf(d);
  if (!isRolling(d)) return replicas;
  const current = specReplicas(newRS);
  if (current === replicas) return current;
  if (current > replicas) return replicas;
  const maxTotal = replicas + maxSurge(d);
  const total = sum(allRSs, specReplicas);
  if (total >= maxTotal) return current;
  return current + Math.min(maxTotal - total, replicas - current);
}

/** The revision number of a ReplicaSet (0 when absent). */
export function revisionOf(obj: KObject | null | undefined): number {
  const v = Number(obj?.metadata.annotations?.[REVISION]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/** FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's, hash ignored. */
export function findNewReplicaSet(d: KObject, rsList: readonly KObject[]): KObject | null {
  return [...rsList].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template)) ?? null;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  collisionCount?: number;
  conditions?: Condition[];
}

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  lastUpdateTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** SetDeploymentCondition: same status and reason → unchanged; same status → keep the transition time. */
export function setCondition(conditions: readonly Condition[], cond: Condition): Condition[] {
  const current = conditions.find((c) => c.type === cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return [...conditions];
  const next = current && current.status === cond.status ? { ...cond, lastTransitionTime: current.lastTransitionTime } : cond;
  return [...conditions.filter((c) => c.type !== cond.type), next];
}

function condition(type: string, status: Condition["status"], reason: string, message: string, nowMs: number): Condition {
  const t = formatTime(nowMs);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

const omitZero = (s: DeploymentStatus): DeploymentStatus => {
  const out: DeploymentStatus = { ...s };
  for (const k of ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"] as const) if (!out[k]) delete out[k];
  if (!out.conditions?.length) delete out.conditions;
  if (out.collisionCount === undefined) delete out.collisionCount;
  return out;
};

/** calculateStatus, including the Available condition. */
export function calculateStatus(d: KObject, allRSs: readonly KObject[], newRS: KObject | null, nowMs: number): DeploymentStatus {
  const available = sum(allRSs, (rs) => rs.status?.availableReplicas ?? 0);
  const total = sum(allRSs, specReplicas);
  let conditions: Condition[] = clone(d.status?.conditions ?? []);
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    conditions = setCondition(conditions, condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", nowMs));
  } else {
    conditions = setCondition(conditions, condition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", nowMs));
  }
  return {
    observedGeneration: d.metadata.generation,
    replicas: sum(allRSs, (rs) => rs.status?.replicas ?? 0),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sum(allRSs, (rs) => rs.status?.readyReplicas ?? 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
    collisionCount: d.status?.collisionCount,
    conditions,
  };
}

/** DeploymentComplete. */
export function deploymentComplete(d: KObject, status: DeploymentStatus): boolean {
  const r = replicasOf(d);
  return (status.updatedReplicas ?? 0) === r && (status.replicas ?? 0) === r && (status.availableReplicas ?? 0) === r && (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** DeploymentProgressing: more updated, fewer old, more ready or more available pods than recorded. */
export function deploymentProgressing(d: KObject, status: DeploymentStatus): boolean {
  const old: DeploymentStatus = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (
    (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

function progressing(status: DeploymentStatus): Condition | undefined {
  return status.conditions?.find((c) => c.type === "Progressing");
}

/** DeploymentTimedOut. */
export function deploymentTimedOut(d: KObject, status: DeploymentStatus, nowMs: number): boolean {
  const deadline = d.spec?.progressDeadlineSeconds;
  if (typeof deadline !== "number") return false;
  const cond = progressing(status);
  if (!cond) return false;
  if (cond.reason === "NewReplicaSetAvailable") return false;
  if (cond.reason === "ProgressDeadlineExceeded") return true;
  const from = Date.parse(cond.lastUpdateTime);
  return !Number.isNaN(from) && from + deadline * 1000 < nowMs;
}

/**
 * syncRolloutStatus's status: calculateStatus plus the Progressing condition (complete →
 * NewReplicaSetAvailable; progress → ReplicaSetUpdated; past the deadline → ProgressDeadlineExceeded).
 * Also returns when to look again for the deadline (requeueStuckDeployment).
 */
export function rolloutStatus(d: KObject, allRSs: readonly KObject[], newRS: KObject | null, nowMs: number): { status: DeploymentStatus; requeueAfterMs?: number } {
  const status = calculateStatus(d, allRSs, newRS, nowMs);
  const deadline = d.spec?.progressDeadlineSeconds;
  if (typeof deadline !== "number") {
    status.conditions = (status.conditions ?? []).filter((c) => c.type !== "Progressing");
    return { status: omitZero(status) };
  }
  const current = progressing(status);
  const complete = status.replicas === status.updatedReplicas && current?.reason === "NewReplicaSetAvailable";
  if (!complete && newRS) {
    let conds = status.conditions ?? [];
    if (deploymentComplete(d, status)) {
      conds = setCondition(conds, condition("Progressing", "True", "NewReplicaSetAvailable", `ReplicaSet "${newRS.metadata.name}" has successfully progressed.`, nowMs));
    } else if (deploymentProgressing(d, status)) {
      const cond = condition("Progressing", "True", "ReplicaSetUpdated", `ReplicaSet "${newRS.metadata.name}" is progressing.`, nowMs);
      // Progress refreshes the update time even with an unchanged reason (that is the deadline's base).
      if (current?.status === "True") cond.lastTransitionTime = current.lastTransitionTime;
      conds = [...conds.filter((c) => c.type !== "Progressing"), cond];
    } else if (deploymentTimedOut(d, status, nowMs)) {
      conds = setCondition(conds, condition("Progressing", "False", "ProgressDeadlineExceeded", `ReplicaSet "${newRS.metadata.name}" has timed out progressing.`, nowMs));
    }
    status.conditions = conds;
  }
  let requeueAfterMs: number | undefined;
  const cond = progressing(status);
  if (cond && !deploymentComplete(d, status) && cond.reason !== "ProgressDeadlineExceeded") {
    const from = Date.parse(cond.lastUpdateTime);
    if (!Number.isNaN(from)) {
      const after = from + deadline * 1000 - nowMs;
      requeueAfterMs = after < 1000 ? Math.max(1, after + 1) : after + 1000;
    }
  }
  return { status: omitZero(status), requeueAfterMs };
}

/** FindActiveOrLatest: the only active set, or the newest when none is active; null with several active. */
export function findActiveOrLatest(newRS: KObject | null, oldRSs: readonly KObject[]): KObject | null {
  if (!newRS && oldRSs.length === 0) return null;
  const old = [...oldRSs].sort(byCreation).reverse();
  const active = [...old, ...(newRS ? [newRS] : [])].filter((rs) => specReplicas(rs) > 0);
  if (active.length === 0) return newRS ?? old[0];
  return active.length === 1 ? active[0] : null;
}

/** IsSaturated: the new set has the full count, knows it, and has it all available. */
export function isSaturated(d: KObject, rs: KObject | null): boolean {
  if (!rs) return false;
  const r = replicasOf(d);
  return specReplicas(rs) === r && rs.metadata.annotations?.[DESIRED_REPLICAS] === String(r) && (rs.status?.availableReplicas ?? 0) === r;
}

/**
 * Proportional scaling of a RollingUpdate Deployment resized mid-rollout (DeploymentController.scale):
 * the difference to replicas + maxSurge is shared by the active sets in proportion to their size
 * (against their max-replicas annotation), leftovers to the largest. Returns every active set with its size.
 */
export function proportionalSizes(d: KObject, newRS: KObject | null, oldRSs: readonly KObject[]): [KObject, number][] {
  const active = [...oldRSs, ...(newRS ? [newRS] : [])].filter((rs) => specReplicas(rs) > 0);
  const replicas = replicasOf(d);
  const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
  const toAdd = allowed - sum(active, specReplicas);
  if (toAdd > 0) active.sort((a, b) => specReplicas(b) - specReplicas(a) || byCreation(b, a));
  else if (toAdd < 0) active.sort((a, b) => specReplicas(b) - specReplicas(a) || byCreation(a, b));
  const fraction = (rs: KObject): number => {
    if (replicas === 0) return -specReplicas(rs);
    const annotated = Number(rs.metadata.annotations?.[MAX_REPLICAS]);
    const base = Number.isFinite(annotated) && annotated > 0 ? annotated : (d.status?.replicas ?? 0);
    if (!base) return 0;
    return Math.round((specReplicas(rs) * allowed) / base) - specReplicas(rs);
  };
  let added = 0;
  const sizes: [KObject, number][] = active.map((rs) => {
    if (toAdd === 0 || toAdd === added) return [rs, specReplicas(rs)];
    const left = toAdd - added;
    const p = toAdd > 0 ? Math.min(fraction(rs), left) : Math.max(fraction(rs), left);
    added += p;
    return [rs, specReplicas(rs) + p];
  });
  if (sizes.length && toAdd !== 0) sizes[0][1] = Math.max(0, sizes[0][1] + toAdd - added);
  return sizes;
}

/** The ReplicaSets to delete for revisionHistoryLimit (cleanupDeployment): oldest revisions first. */
export function replicaSetsToCleanUp(d: KObject, oldRSs: readonly KObject[]): KObject[] {
  const limit = d.spec?.revisionHistoryLimit;
  if (typeof limit !== "number") return [];
  const cleanable = oldRSs
    .filter((rs) => !rs.metadata.deletionTimestamp)
    .filter((rs) => specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && (rs.status?.observedGeneration ?? 0) >= (rs.metadata.generation ?? 0));
  const diff = cleanable.length - limit;
  if (diff <= 0) return [];
  return cleanable.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b)).slice(0, diff);
}

/** The ReplicaSet a Deployment creates for its current template. */
export function newReplicaSetFor(d: KObject, hash: string, replicas: number, revision: number): KObject {
  const template = clone(d.spec?.template ?? {});
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash } };
  const selector = clone(d.spec?.selector ?? {});
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash };
  const rs: KObject = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      labels: clone(template.metadata.labels),
      ownerReferences: [newControllerRef({ ...d, apiVersion: "apps/v1", kind: "Deployment" })],
    },
    spec: { replicas, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
  };
  setNewReplicaSetAnnotations(d, rs, revision);
  return rs;
}

/**
 * SetNewReplicaSetAnnotations: the Deployment's copyable annotations, the revision (raised to
 * `revision` if lower, remembering the old one in revision-history) and the replica annotations.
 * Mutates `rs`; returns whether anything changed.
 */
export function setNewReplicaSetAnnotations(d: KObject, rs: KObject, revision: number): boolean {
  const before = canonicalJson(rs.metadata.annotations ?? {});
  const ann: Record<string, string> = { ...(rs.metadata.annotations ?? {}) };
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (!NOT_COPIED.has(k)) ann[k] = v;
  const old = Number(ann[REVISION] ?? 0) || 0;
  if (old < revision) {
    if (old > 0) ann[REVISION_HISTORY] = ann[REVISION_HISTORY] ? `${ann[REVISION_HISTORY]},${old}` : String(old);
    ann[REVISION] = String(revision);
  }
  ann[DESIRED_REPLICAS] = String(replicasOf(d));
  ann[MAX_REPLICAS] = String(replicasOf(d) + maxSurge(d));
  rs.metadata.annotations = ann;
  return canonicalJson(ann) !== before;
}

// ---- the reconciler ----------------------------------------------------------------------------

export function deploymentReconciler(deps: DeploymentDeps): Reconciler {
  const deployments = deps.registry.resource("apps", "deployments");
  const replicaSets = deps.registry.resource("apps", "replicasets");
  const pods = deps.registry.resource("", "pods");
  const event = (obj: KObject, reason: string, message: string) =>
    recordEvent(deps.registry, deps.user, deps.now(), obj, { type: "Normal", reason, message, component: DEPLOYMENT_CONTROLLER });

  /** Scales a ReplicaSet (and refreshes its replica annotations), with the ScalingReplicaSet event. */
  async function scale(d: KObject, rs: KObject, to: number): Promise<KObject> {
    const from = specReplicas(rs);
    const updated = await replicaSets.patch(
      rs.metadata.namespace!,
      rs.metadata.name!,
      (current) => {
        current.spec = { ...current.spec, replicas: to };
        current.metadata.annotations = {
          ...(current.metadata.annotations ?? {}),
          [DESIRED_REPLICAS]: String(replicasOf(d)),
          [MAX_REPLICAS]: String(replicasOf(d) + maxSurge(d)),
        };
        return current;
      },
      { user: deps.user },
    );
    if (from !== to) await event(d, "ScalingReplicaSet", `Scaled ${to > from ? "up" : "down"} replica set ${rs.metadata.name} to ${to} from ${from}`);
    return updated;
  }

  return async (key) => {
    const [namespace, name] = splitKey(key);
    let d = getOrNull(deployments, namespace, name);
    if (!d) return;
    const now = deps.now();

    // Claim ReplicaSets: owned and matching, plus matching orphans (adopted); owned non-matching released.
    const owned: KObject[] = [];
    for (const rs of replicaSets.list(namespace, { selection: selectEverything }).items) {
      const ref = controllerOf(rs);
      const matches = selectorMatchesLabels(d.spec?.selector, rs.metadata.labels);
      if (ref && ref.uid !== d.metadata.uid) continue;
      if (ref) {
        if (matches || d.metadata.deletionTimestamp) owned.push(rs);
        else
          await replicaSets
            .patch(namespace, rs.metadata.name!, (c) => ({ ...c, metadata: { ...c.metadata, ownerReferences: (c.metadata.ownerReferences ?? []).filter((r) => r.uid !== d!.metadata.uid) } }), { user: deps.user })
            .catch((e) => { if (!isConflictOrNotFound(e)) throw e; });
        continue;
      }
      if (!matches || d.metadata.deletionTimestamp || rs.metadata.deletionTimestamp) continue;
      const adopted = await replicaSets
        .patch(namespace, rs.metadata.name!, (c) => {
          if (controllerOf(c)) return c;
          c.metadata.ownerReferences = [...(c.metadata.ownerReferences ?? []), newControllerRef({ ...d!, apiVersion: "apps/v1", kind: "Deployment" })];
          return c;
        }, { user: deps.user })
        .catch((e) => { if (isConflictOrNotFound(e)) return null; throw e; });
      if (adopted && controllerOf(adopted)?.uid === d.metadata.uid) owned.push(adopted);
    }

    /** syncRolloutStatus (rollout) or syncDeploymentStatus (sync: no Progressing update, no deadline). */
    const writeStatus = async (allRSs: KObject[], newRS: KObject | null, mode: "rollout" | "sync" = "rollout") => {
      const { status, requeueAfterMs } = mode === "rollout" ? rolloutStatus(d!, allRSs, newRS, now) : { status: omitZero(calculateStatus(d!, allRSs, newRS, now)), requeueAfterMs: undefined };
      await deployments
        .patch(namespace, name, (c) => ({ ...c, status }), { user: deps.user, subresource: "status" })
        .catch((e) => { if (!isConflictOrNotFound(e)) throw e; });
      return requeueAfterMs ? { requeueAfterMs } : undefined;
    };

    let newRS = findNewReplicaSet(d, owned);
    let oldRSs = owned.filter((rs) => rs !== newRS);
    if (d.metadata.deletionTimestamp) return writeStatus(owned, newRS, "sync");

    // Revision: the new ReplicaSet's revision is one above every old one (SetNewReplicaSetAnnotations).
    const maxOld = Math.max(0, ...oldRSs.map(revisionOf));
    const paused = !!d.spec?.paused;
    const rolling = isRolling(d);

    // checkPausedConditions: Progressing=Unknown DeploymentPaused / DeploymentResumed (never over a timeout).
    if (typeof d.spec?.progressDeadlineSeconds === "number") {
      const cur = progressing({ conditions: d.status?.conditions ?? [] });
      const was = cur?.reason === "DeploymentPaused";
      let cond: Condition | null = null;
      if (cur?.reason !== "ProgressDeadlineExceeded") {
        if (paused && !was) cond = condition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", now);
        else if (!paused && was) cond = condition("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed", now);
      }
      if (cond) {
        const conds = setCondition(d.status?.conditions ?? [], cond);
        d = await deployments.patch(namespace, name, (c) => ({ ...c, status: { ...c.status, conditions: conds } }), { user: deps.user, subresource: "status" });
      }
    }

    // An existing new ReplicaSet: bring its annotations (revision) and minReadySeconds up to date.
    if (newRS) {
      const probe = clone(newRS);
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (setNewReplicaSetAnnotations(d, probe, maxOld + 1) || (newRS.spec?.minReadySeconds ?? 0) !== minReady) {
        newRS = await replicaSets.patch(namespace, newRS.metadata.name!, (c) => {
          setNewReplicaSetAnnotations(d!, c, maxOld + 1);
          c.spec = { ...c.spec, minReadySeconds: minReady };
          return c;
        }, { user: deps.user });
      }
    }

    // Creates the new ReplicaSet (getNewReplicaSet with createIfNotExisted).
    const createNew = async (replicas: (rs: KObject) => number): Promise<KObject> => {
      const hash = computeHash(d!.spec?.template, d!.status?.collisionCount);
      const candidate = newReplicaSetFor(d!, hash, 0, maxOld + 1);
      candidate.spec.replicas = replicas(candidate);
      setNewReplicaSetAnnotations(d!, candidate, maxOld + 1);
      try {
        const created = await replicaSets.create(namespace, candidate, { user: deps.user });
        if (candidate.spec.replicas > 0) await event(d!, "ScalingReplicaSet", `Scaled up replica set ${created.metadata.name} to ${candidate.spec.replicas}`);
        const conds = setCondition(d!.status?.conditions ?? [], condition("Progressing", "True", "NewReplicaSetCreated", `Created new replica set "${created.metadata.name}"`, now));
        d = await deployments.patch(namespace, name, (c) => ({ ...c, status: { ...c.status, conditions: conds } }), { user: deps.user, subresource: "status" });
        return created;
      } catch (e) {
        if (e instanceof StatusError && e.code === 409 && e.reason === "AlreadyExists") {
          const existing = getOrNull(replicaSets, namespace, candidate.metadata.name!);
          if (existing && controllerOf(existing)?.uid === d!.metadata.uid && equalIgnoreHash(existing.spec?.template, d!.spec?.template)) return existing;
          // A hash collision: bump collisionCount and try again with a new name.
          await deployments.patch(namespace, name, (c) => ({ ...c, status: { ...c.status, collisionCount: (c.status?.collisionCount ?? 0) + 1 } }), { user: deps.user, subresource: "status" });
        }
        throw e;
      }
    };

    // The Deployment's revision annotation follows the new ReplicaSet's (SetDeploymentRevision).
    const syncRevision = async () => {
      const rev = newRS ? newRS.metadata.annotations?.[REVISION] : undefined;
      if (rev && d!.metadata.annotations?.[REVISION] !== rev) {
        // Through status, as upstream: an annotation change on the main resource would bump the generation.
        d = await deployments.patch(namespace, name, (c) => {
          c.metadata.annotations = { ...(c.metadata.annotations ?? {}), [REVISION]: rev };
          return c;
        }, { user: deps.user, subresource: "status" });
      }
      if (newRS && !progressing({ conditions: d!.status?.conditions ?? [] }) && typeof d!.spec?.progressDeadlineSeconds === "number") {
        const conds = setCondition(d!.status?.conditions ?? [], condition("Progressing", "True", "FoundNewReplicaSet", `Found new replica set "${newRS.metadata.name}"`, now));
        d = await deployments.patch(namespace, name, (c) => ({ ...c, status: { ...c.status, conditions: conds } }), { user: deps.user, subresource: "status" });
      }
    };

    const cleanup = async () => {
      for (const rs of replicaSetsToCleanUp(d!, oldRSs)) {
        await replicaSets.delete(namespace, rs.metadata.name!, { user: deps.user, propagationPolicy: "Background" }).catch((e) => { if (!isConflictOrNotFound(e)) throw e; });
        oldRSs = oldRSs.filter((o) => o !== rs);
      }
    };
    const all = () => (newRS ? [...oldRSs, newRS] : [...oldRSs]);

    // A scaling event (or a paused Deployment): adjust sizes without rolling (sync).
    const activeRSs = all().filter((rs) => specReplicas(rs) > 0);
    const scalingEvent = activeRSs.some((rs) => rs.metadata.annotations?.[DESIRED_REPLICAS] !== undefined && rs.metadata.annotations[DESIRED_REPLICAS] !== String(replicasOf(d!)));
    if (paused || scalingEvent) {
      if (newRS) await syncRevision();
      await scaleForSync();
      if (paused) await cleanup();
      return writeStatus(all(), newRS, "sync");
    }

    if (rolling) {
      if (!newRS) newRS = await createNew((rs) => newRSNewReplicas(d!, [...oldRSs, rs], rs));
      await syncRevision();
      const target = newRSNewReplicas(d, all(), newRS);
      if (target !== specReplicas(newRS)) {
        newRS = await scale(d, newRS, target);
        return writeStatus(all(), newRS);
      }
      if (await reconcileOld()) return writeStatus(all(), newRS);
      const { status } = rolloutStatus(d, all(), newRS, now);
      if (deploymentComplete(d, status)) await cleanup();
      return writeStatus(all(), newRS);
    }

    // Recreate.
    let scaledDown = false;
    for (let i = 0; i < oldRSs.length; i++) {
      if (specReplicas(oldRSs[i]) === 0) continue;
      oldRSs[i] = await scale(d, oldRSs[i], 0);
      scaledDown = true;
    }
    if (scaledDown) return writeStatus(all(), newRS);
    const oldUids = new Set(oldRSs.map((rs) => rs.metadata.uid));
    const oldRunning =
      oldRSs.some((rs) => (rs.status?.replicas ?? 0) > 0) ||
      pods.list(namespace, { selection: selectEverything }).items.some((p) => {
        const ref = controllerOf(p);
        return ref && oldUids.has(ref.uid) && p.status?.phase !== "Failed" && p.status?.phase !== "Succeeded";
      });
    if (oldRunning) return writeStatus(all(), newRS);
    if (!newRS) newRS = await createNew(() => replicasOf(d!));
    await syncRevision();
    if (specReplicas(newRS) !== replicasOf(d)) newRS = await scale(d, newRS, replicasOf(d));
    const { status } = rolloutStatus(d, all(), newRS, now);
    if (deploymentComplete(d, status)) await cleanup();
    return writeStatus(all(), newRS);

    /** reconcileOldReplicaSets: clean up unhealthy old pods, then scale old sets down within maxUnavailable. */
    async function reconcileOld(): Promise<boolean> {
      const dep = d!;
      const oldCount = sum(oldRSs, specReplicas);
      if (oldCount === 0) return false;
      let allCount = sum(all(), specReplicas);
      const minAvailable = replicasOf(dep) - maxUnavailable(dep);
      const newUnavailable = specReplicas(newRS) - (newRS!.status?.availableReplicas ?? 0);
      const maxScaledDown = allCount - minAvailable - newUnavailable;
      if (maxScaledDown <= 0) return false;
      let changed = false;
      const order = [...oldRSs].sort(byCreation);
      // cleanupUnhealthyReplicas
      let cleaned = 0;
      for (const rs of order) {
        if (cleaned >= maxScaledDown) break;
        const spec = specReplicas(rs);
        const avail = rs.status?.availableReplicas ?? 0;
        if (spec === 0 || spec === avail) continue;
        const down = Math.min(maxScaledDown - cleaned, spec - avail);
        const updated = await scale(dep, rs, spec - down);
        oldRSs = oldRSs.map((o) => (o === rs ? updated : o));
        cleaned += down;
        changed = true;
      }
      allCount -= cleaned;
      // scaleDownOldReplicaSetsForRollingUpdate
      const availableCount = sum(all(), (rs) => rs.status?.availableReplicas ?? 0);
      if (availableCount > minAvailable) {
        const total = availableCount - minAvailable;
        let done = 0;
        for (const rs of [...oldRSs].sort(byCreation)) {
          if (done >= total) break;
          const spec = specReplicas(rs);
          if (spec === 0) continue;
          const down = Math.min(spec, total - done);
          const updated = await scale(dep, rs, spec - down);
          oldRSs = oldRSs.map((o) => (o === rs ? updated : o));
          done += down;
          changed = true;
        }
      }
      return changed;
    }

    /** sync's scale: the one active (or latest) set takes the full count; otherwise proportional scaling. */
    async function scaleForSync(): Promise<void> {
      const dep = d!;
      const want = replicasOf(dep);
      const replace = (rs: KObject, updated: KObject) => {
        if (rs === newRS) newRS = updated;
        else oldRSs = oldRSs.map((o) => (o === rs ? updated : o));
      };
      const target = findActiveOrLatest(newRS, oldRSs);
      if (target) {
        if (specReplicas(target) !== want || target.metadata.annotations?.[DESIRED_REPLICAS] !== String(want)) replace(target, await scale(dep, target, want));
        return;
      }
      if (isSaturated(dep, newRS)) {
        for (const rs of oldRSs.filter((o) => specReplicas(o) > 0)) replace(rs, await scale(dep, rs, 0));
        return;
      }
      if (!isRolling(dep)) return;
      const sizes = proportionalSizes(dep, newRS, oldRSs);
      for (const [rs, size] of sizes) replace(rs, await scale(dep, rs, size));
    }
  };
}
