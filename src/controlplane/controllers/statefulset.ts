/**
 * The StatefulSet controller (k8s.io/kubernetes pkg/controller/statefulset) and, since no storage
 * provisioner runs in a sandbox, a volume binder standing in for kind's default `standard`
 * StorageClass (the `rancher.io/local-path` provisioner plus the PV controller's binding).
 *
 * StatefulSet pods have stable identities: `<set>-<ordinal>` for ordinals from
 * `spec.ordinals.start` (default 0) over `spec.replicas`, created from the template
 * (controller.GetPodFromTemplate: template metadata, `<set>-` generateName, controller ref) with
 * the labels `statefulset.kubernetes.io/pod-name`, `apps.kubernetes.io/pod-index` and
 * `controller-revision-hash`, `hostname` = the pod name and `subdomain` = `spec.serviceName`. Each
 * volumeClaimTemplate gives the pod a claim `<template>-<set>-<ordinal>` (labels: the template's
 * plus the selector's matchLabels), created before the pod if missing, and a volume of the
 * template's name pointing at it. Claims outlive their pods; `persistentVolumeClaimRetentionPolicy`
 * decides their ownerReferences as upstream (whenDeleted: Delete → controlled by the set;
 * whenScaled: Delete → controlled by the pod once its ordinal is out of range), so the garbage
 * collector deletes them with their owner. Matching orphan pods named after the set are adopted,
 * owned pods that stop matching are released.
 *
 * One pass (updateStatefulSet): every ordinal in range is processed in order — a failed or
 * succeeded pod is deleted (replaced on a later pass), a missing one is created, a pending one
 * gets any missing claim, a pod missing its identity labels or with claims not owned per the
 * retention policy is fixed. With `podManagementPolicy: OrderedReady` the pass stops at the first
 * pod created, terminating, or not Running and Ready (and available past `minReadySeconds`).
 * Pods beyond the range are then deleted from the highest ordinal, one at a time under
 * OrderedReady (waiting for every other pod to be healthy), all at once under Parallel.
 * RollingUpdate then deletes the highest-ordinal pod not at the update revision, down to
 * `rollingUpdate.partition`, one at a time, waiting for each replacement to be available;
 * OnDelete only replaces pods deleted by someone else.
 *
 * Status (what `kubectl rollout status sts` reads): `replicas` (created pods), `readyReplicas`,
 * `availableReplicas`, `currentReplicas` / `updatedReplicas` (pods at the current / update
 * revision), `currentRevision`, `updateRevision`, `observedGeneration`, `collisionCount`; when a
 * RollingUpdate has every replica updated and ready, the current revision becomes the update one.
 *
 * Revisions (getStatefulSetRevisions, see history.ts): every pass claims the set's
 * ControllerRevisions and finds the update revision — the newest one when it snapshots the
 * current template, else an older equal one re-numbered to the next revision (a rollback, e.g.
 * `kubectl rollout undo sts`), else a new one `<set>-<hash of its data and collisionCount>`.
 * The current revision is the one `status.currentRevision` names (the update one for a new set).
 * Pods are labelled `controller-revision-hash: <revision name>`; a pod created below the
 * partition (or, with no rollingUpdate, below `status.currentReplicas`) gets the current
 * revision's template (newVersionedStatefulSetPod). After the pass, revisions that are neither
 * current, update nor any pod's are deleted beyond `spec.revisionHistoryLimit`, oldest first
 * (truncateHistory).
 *
 * Differences from upstream: maxUnavailable (alpha, gated) is ignored: one pod at a time.
 * Pod volumes are immutable, so a pod whose volumes do not cover the claim templates only gets its
 * missing claims. Status is computed from the pods after this pass's writes, so one reconcile
 * reaches a fixed point and the next writes nothing.
 *
 * Volume binder: every Pending claim of class `standard` (see kinds/persistentvolumeclaim.ts) is
 * bound at once, as kind's provisioner and the PV controller would leave it — annotations
 * `pv.kubernetes.io/bind-completed`, `pv.kubernetes.io/bound-by-controller` and the storage
 * provisioner ones, `spec.volumeName: pvc-<uid>`, status Bound with the requested capacity and
 * access modes — and a `ProvisioningSucceeded` event. No PersistentVolume objects exist; claims of
 * another class, or pre-bound to a named volume, stay Pending.
 *
 * Watch events → keys: reconciler `statefulset` — a StatefulSet event enqueues itself; a Pod event
 * (add, update, delete) enqueues {@link statefulSetKeyForPod} (its controlling StatefulSet; for an
 * update whose controller ref changed, the keys of both old and new), and an orphan pod enqueues
 * {@link statefulSetKeysForPod} (the StatefulSets of its namespace that select it, which may adopt
 * it). Reconciler `volumebinder` — a PersistentVolumeClaim add or update enqueues its own
 * `namespace/name`.
 */
import type { Registry } from "../../registry/registry";
import { selectEverything } from "../../registry/selection";
import type { KObject, OwnerReference, UserInfo } from "../../registry/types";
import { StatusError } from "../../apiserver/status";
import { claimStorageClass, DEFAULT_PROVISIONER, DEFAULT_STORAGE_CLASS, requestedStorage } from "../../registry/kinds/persistentvolumeclaim";
import { recordEvent } from "../events";
import type { Reconciler } from "../runtime";
import { CONTROLLER_REVISION_HASH, controllerHistory, equalRevision, newControllerRevision, nextRevision, revisionHistoryLimit, sortRevisions, templateOf } from "./history";
import { claimPods, podFromTemplate } from "./replicaset";
import {
  adoptAndRelease,
  clone,
  controllerOf,
  controllerOwnerKey,
  getOrNull,
  isConflictOrNotFound,
  isNotFound,
  isPodAvailable,
  isPodReady,
  msUntilAvailable,
  newControllerRef,
  ownerKeysFor,
  splitKey,
  sameStatus,
  writeWorkloadStatus,
} from "./workloads";

export const STATEFULSET_CONTROLLER = "statefulset-controller";
export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";
export const BIND_COMPLETED_ANNOTATION = "pv.kubernetes.io/bind-completed";
export const BOUND_BY_CONTROLLER_ANNOTATION = "pv.kubernetes.io/bound-by-controller";
export const STORAGE_PROVISIONER_ANNOTATION = "volume.kubernetes.io/storage-provisioner";
export const BETA_STORAGE_PROVISIONER_ANNOTATION = "volume.beta.kubernetes.io/storage-provisioner";
/** How long (simulated) a pass waits for a stale claim to be garbage-collected before looking again. */
const STALE_CLAIM_RECHECK_MS = 1_000;

export interface StatefulSetDeps {
  registry: Registry;
  user: UserInfo;
  /** Wall-clock ms (events, availability). */
  now(): number;
  /**
   * How many times faster than wall-clock time simulated durations pass (default 1). A wait
   * measured in wall-clock time (minReadySeconds) becomes `requeueAfterMs` times this, so the
   * runtime queue, which divides simulated delays by the speed, wakes at the right moment.
   */
  speed?(): number;
}

/* eslint-disable @typescript-eslint/no-explicit-any */

// ---- identity -----------------------------------------------------------------------------------

/**
 * getParentNameAndOrdinal: `web-2` → ["web", 2]; a name without a canonical ordinal suffix
 * (none, leading zeros, beyond int32) → ["", -1].
 */
export function parentAndOrdinal(podName: string): [string, number] {
  const m = /^(.*)-([0-9]+)$/.exec(podName);
  if (!m) return ["", -1];
  const ordinal = Number(m[2]);
  if (ordinal > 2 ** 31 - 1 || String(ordinal) !== m[2]) return ["", -1];
  return [m[1], ordinal];
}

export const ordinalOf = (pod: KObject): number => parentAndOrdinal(pod.metadata.name ?? "")[1];
export const startOrdinal = (set: KObject): number => set.spec?.ordinals?.start ?? 0;
const replicasOf = (set: KObject): number => set.spec?.replicas ?? 1;
export const podName = (set: KObject, ordinal: number): string => `${set.metadata.name}-${ordinal}`;
export const claimName = (set: KObject, template: KObject, ordinal: number): string => `${template.metadata?.name}-${set.metadata.name}-${ordinal}`;
const claimTemplates = (set: KObject): KObject[] => (Array.isArray(set.spec?.volumeClaimTemplates) ? set.spec.volumeClaimTemplates : []);

/** isMemberOf: the pod's name says it belongs to the set. */
export function isMemberOf(set: KObject, pod: KObject): boolean {
  return parentAndOrdinal(pod.metadata.name ?? "")[0] === set.metadata.name;
}

/** podInOrdinalRange. */
export function inOrdinalRange(set: KObject, pod: KObject): boolean {
  const ordinal = ordinalOf(pod);
  return ordinal >= startOrdinal(set) && ordinal < startOrdinal(set) + replicasOf(set);
}

/** identityMatches: name, namespace and the pod-name label. */
function identityMatches(set: KObject, pod: KObject): boolean {
  return isMemberOf(set, pod) && pod.metadata.namespace === set.metadata.namespace && pod.metadata.labels?.[POD_NAME_LABEL] === pod.metadata.name;
}

/** storageMatches: every claim template has a volume of its name pointing at the pod's claim. */
function storageMatches(set: KObject, pod: KObject): boolean {
  const ordinal = ordinalOf(pod);
  const volumes: any[] = pod.spec?.volumes ?? [];
  return claimTemplates(set).every((t) => volumes.some((v) => v?.name === t.metadata?.name && v.persistentVolumeClaim?.claimName === claimName(set, t, ordinal)));
}

/** The pod's revision: its controller-revision-hash label, a ControllerRevision name. */
export const podRevision = (pod: KObject): string => pod.metadata.labels?.[CONTROLLER_REVISION_HASH] ?? "";

/** The revisions one pass works with (getStatefulSetRevisions). */
export interface Revisions {
  /** The ControllerRevision names of the current and update revisions. */
  current: string;
  update: string;
  /** The pod template the current revision restores (ApplyRevision). */
  currentTemplate: unknown;
  /** status.collisionCount after finding or creating the update revision. */
  collisionCount: number;
}

/**
 * newVersionedStatefulSetPod's choice: the current revision for an ordinal below the partition
 * (or, for RollingUpdate without rollingUpdate, below status.currentReplicas), else the update one.
 */
export function createsAtCurrentRevision(set: KObject, ordinal: number): boolean {
  const strategy = set.spec?.updateStrategy ?? {};
  const rollingUpdate = strategy.rollingUpdate;
  if (rollingUpdate) return ordinal < startOrdinal(set) + (rollingUpdate.partition ?? 0);
  return (strategy.type ?? "RollingUpdate") === "RollingUpdate" && ordinal < startOrdinal(set) + (set.status?.currentReplicas ?? 0);
}

/** The pod of `ordinal` at the revision newVersionedStatefulSetPod picks. */
export function newVersionedStatefulSetPod(set: KObject, ordinal: number, revisions: Revisions): KObject {
  if (!createsAtCurrentRevision(set, ordinal)) return newStatefulSetPod(set, ordinal, revisions.update);
  const currentSet = { ...set, spec: { ...set.spec, template: clone(revisions.currentTemplate) } };
  return newStatefulSetPod(currentSet, ordinal, revisions.current);
}

/** The claims a pod of `ordinal` uses (getPersistentVolumeClaims), by template name. */
export function claimsFor(set: KObject, ordinal: number): { template: string; claim: KObject }[] {
  const matchLabels: Record<string, string> = set.spec?.selector?.matchLabels ?? {};
  return claimTemplates(set).map((t) => {
    const meta = clone(t.metadata ?? {});
    for (const k of ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"]) delete meta[k];
    const claim: KObject = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { ...meta, name: claimName(set, t, ordinal), namespace: set.metadata.namespace, labels: { ...(meta.labels ?? {}), ...matchLabels } },
      spec: clone(t.spec ?? {}),
    };
    return { template: String(t.metadata?.name), claim };
  });
}

/** newStatefulSetPod: the pod of `ordinal` at `revision`, from the set's template. */
export function newStatefulSetPod(set: KObject, ordinal: number, revision: string): KObject {
  const pod = podFromTemplate(set);
  const name = podName(set, ordinal);
  pod.metadata.name = name;
  pod.metadata.ownerReferences = [newControllerRef(set)];
  pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [CONTROLLER_REVISION_HASH]: revision };
  pod.spec.hostname = name;
  if (set.spec?.serviceName) pod.spec.subdomain = set.spec.serviceName;
  const claims = claimsFor(set, ordinal);
  const claimed = new Set(claims.map((c) => c.template));
  pod.spec.volumes = [
    ...claims.map((c) => ({ name: c.template, persistentVolumeClaim: { claimName: c.claim.metadata.name } })),
    ...(pod.spec.volumes ?? []).filter((v: any) => !claimed.has(v?.name)),
  ];
  if (pod.spec.volumes.length === 0) delete pod.spec.volumes;
  return pod;
}

// ---- pod health -----------------------------------------------------------------------------------

const phaseOf = (pod: KObject): string => pod.status?.phase ?? "";
const isTerminating = (pod: KObject): boolean => !!pod.metadata.deletionTimestamp;
const isFinished = (pod: KObject): boolean => phaseOf(pod) === "Failed" || phaseOf(pod) === "Succeeded";

/** isRunningAndReady. */
export function isRunningAndReady(pod: KObject): boolean {
  return phaseOf(pod) === "Running" && isPodReady(pod);
}

/** Running, ready for minReadySeconds and not terminating (the negation of upstream's isUnavailable). */
function isHealthyAndAvailable(pod: KObject | null, minReadySeconds: number, nowMs: number): boolean {
  return !!pod && !isTerminating(pod) && isRunningAndReady(pod) && isPodAvailable(pod, minReadySeconds, nowMs);
}

// ---- claim retention ----------------------------------------------------------------------------

type Retention = "Retain" | "Delete";

function retentionOf(set: KObject): { whenDeleted: Retention; whenScaled: Retention } {
  const p = set.spec?.persistentVolumeClaimRetentionPolicy ?? {};
  return { whenDeleted: p.whenDeleted === "Delete" ? "Delete" : "Retain", whenScaled: p.whenScaled === "Delete" ? "Delete" : "Retain" };
}

const refersTo = (ref: OwnerReference, obj: KObject): boolean => ref.apiVersion === obj.apiVersion && ref.kind === obj.kind && ref.name === obj.metadata.name;
const hasOwnerRef = (claim: KObject, owner: KObject): boolean => !!owner.metadata.uid && (claim.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid);

/** hasStaleOwnerRef: the claim refers to an object of this kind and name, but another uid. */
function hasStaleOwnerRef(claim: KObject, owner: KObject): boolean {
  const ref = (claim.metadata.ownerReferences ?? []).find((r) => refersTo(r, owner));
  return !!ref && ref.uid !== owner.metadata.uid;
}

/** hasUnexpectedController: under a Delete policy, a controller other than the set or the pod. */
function hasUnexpectedController(claim: KObject, set: KObject, pod: KObject): boolean {
  const policy = retentionOf(set);
  if (policy.whenDeleted === "Retain" && policy.whenScaled === "Retain") return false;
  for (const ref of claim.metadata.ownerReferences ?? []) {
    if (refersTo(ref, set)) {
      if (ref.uid !== set.metadata.uid) return true;
    } else if (refersTo(ref, pod)) {
      if (ref.uid !== pod.metadata.uid) return true;
    } else if (ref.controller) return true;
  }
  return false;
}

/** The set and the pod a claim should be controlled by under the retention policy. */
function wantedClaimOwners(set: KObject, pod: KObject): { set: boolean; pod: boolean } {
  const policy = retentionOf(set);
  const scaledDown = !inOrdinalRange(set, pod);
  return {
    set: policy.whenDeleted === "Delete" && !(policy.whenScaled === "Delete" && scaledDown),
    pod: policy.whenScaled === "Delete" && scaledDown,
  };
}

/** isClaimOwnerUpToDate: the claim's references to the set and pod follow the retention policy. */
export function claimOwnerUpToDate(claim: KObject, set: KObject, pod: KObject): boolean {
  if (hasStaleOwnerRef(claim, set) || hasStaleOwnerRef(claim, pod)) return true;
  if (hasUnexpectedController(claim, set, pod)) return !(hasOwnerRef(claim, set) || hasOwnerRef(claim, pod));
  const ours = (claim.metadata.ownerReferences ?? []).filter((r) => r.uid === set.metadata.uid || r.uid === pod.metadata.uid);
  if (ours.some((r) => !r.controller)) return false;
  const wanted = wantedClaimOwners(set, pod);
  return hasOwnerRef(claim, set) === wanted.set && hasOwnerRef(claim, pod) === wanted.pod;
}

/** updateClaimOwnerRefForSetAndPod: the claim's ownerReferences with ours replaced per the policy. */
export function claimOwnerRefs(claim: KObject, set: KObject, pod: KObject): OwnerReference[] {
  const unexpected = hasUnexpectedController(claim, set, pod);
  const refs = (claim.metadata.ownerReferences ?? []).filter((r) => !refersTo(r, set) && !refersTo(r, pod));
  if (unexpected) return refs;
  const wanted = wantedClaimOwners(set, pod);
  if (wanted.pod && pod.metadata.uid) refs.push(newControllerRef(pod));
  if (wanted.set) refs.push(newControllerRef(set));
  return refs;
}

// ---- status -------------------------------------------------------------------------------------

export interface StatefulSetStatus {
  observedGeneration?: number;
  replicas: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount: number;
  availableReplicas: number;
  conditions?: unknown[];
}

/**
 * updateStatus + completeRollingUpdate over the set's pods (those with an ordinal). Zero
 * optional counts are left out (`omitempty`).
 */
export function statefulSetStatus(set: KObject, pods: readonly KObject[], revisions: Revisions, nowMs: number): StatefulSetStatus {
  const minReady = set.spec?.minReadySeconds ?? 0;
  let replicas = 0;
  let ready = 0;
  let available = 0;
  let current = 0;
  let updated = 0;
  for (const pod of pods) {
    if (ordinalOf(pod) < 0) continue;
    const created = phaseOf(pod) !== "";
    if (created) replicas++;
    if (isRunningAndReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, nowMs)) available++;
    }
    if (created && !isTerminating(pod)) {
      if (podRevision(pod) === revisions.current) current++;
      if (podRevision(pod) === revisions.update) updated++;
    }
  }
  let currentRevision = revisions.current;
  const desired = replicasOf(set);
  if (updateStrategyOf(set) === "RollingUpdate" && updated === desired && ready === desired && replicas === desired) {
    current = updated;
    currentRevision = revisions.update;
  }
  const status: StatefulSetStatus = { replicas, collisionCount: revisions.collisionCount, availableReplicas: available };
  if (set.metadata.generation !== undefined) status.observedGeneration = set.metadata.generation;
  if (ready) status.readyReplicas = ready;
  if (current) status.currentReplicas = current;
  if (updated) status.updatedReplicas = updated;
  status.currentRevision = currentRevision;
  status.updateRevision = revisions.update;
  if (Array.isArray(set.status?.conditions) && set.status.conditions.length) status.conditions = clone(set.status.conditions);
  return status;
}

const updateStrategyOf = (set: KObject): string => set.spec?.updateStrategy?.type ?? "RollingUpdate";

const STATUS_FIELDS = [
  "observedGeneration",
  "replicas",
  "readyReplicas",
  "currentReplicas",
  "updatedReplicas",
  "currentRevision",
  "updateRevision",
  "collisionCount",
  "availableReplicas",
  "conditions",
] as const;

// ---- event → key helpers ------------------------------------------------------------------------

/** The StatefulSet controlling a pod (`namespace/name`), or null. */
export function statefulSetKeyForPod(pod: KObject): string | null {
  return controllerOwnerKey(pod, "StatefulSet");
}

/** The keys a pod event enqueues: its controlling StatefulSet, or for an orphan every set selecting it. */
export function statefulSetKeysForPod(pod: KObject, statefulSets: readonly KObject[]): string[] {
  return ownerKeysFor(pod, "StatefulSet", statefulSets);
}

// ---- the StatefulSet reconciler ---------------------------------------------------------------

const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const isAlreadyExists = (e: unknown): boolean => e instanceof StatusError && e.reason === "AlreadyExists";

export function statefulSetReconciler(deps: StatefulSetDeps): Reconciler {
  const sets = deps.registry.resource("apps", "statefulsets");
  const pods = deps.registry.resource("", "pods");
  const claims = deps.registry.resource("", "persistentvolumeclaims");
  const history = controllerHistory(deps.registry, deps.user);
  const user = { user: deps.user };
  const event = (set: KObject, reason: string, message: string, type: "Normal" | "Warning" = "Normal") =>
    recordEvent(deps.registry, deps.user, deps.now(), set, { type, reason, message, component: STATEFULSET_CONTROLLER });

  /** What processing one ordinal ended in: `blocked` stops an OrderedReady pass; `wait` also asks for a later look (a stale claim must go first). */
  type Outcome = "done" | "blocked" | "wait";

  return async (key) => {
    const [namespace, name] = splitKey(key);
    const set = getOrNull(sets, namespace, name);
    if (!set || set.metadata.deletionTimestamp) return;
    const owned = await claim(set);
    const setRevisions = sortRevisions(await history.claim(set, "StatefulSet"));
    const revisions = await statefulSetRevisions(set, setRevisions);
    const waitingForClaim = await sync(set, owned, revisions);

    // The status describes the spec this pass acted on; a newer spec has queued another pass.
    const fresh = getOrNull(sets, namespace, name);
    if (!fresh || fresh.metadata.uid !== set.metadata.uid) return;
    const now = deps.now();
    const finalPods = ownedNow(set);
    await writeStatus(fresh, statefulSetStatus(set, finalPods, revisions, now));
    await truncateHistory(set, owned, setRevisions, revisions);

    if (waitingForClaim) return { requeueAfterMs: STALE_CLAIM_RECHECK_MS };
    // Ready pods waiting out minReadySeconds: look again when the first becomes available.
    const minReady = set.spec?.minReadySeconds ?? 0;
    const waits = finalPods.map((p) => msUntilAvailable(p, minReady, now)).filter((ms) => ms > 0);
    if (waits.length) return { requeueAfterMs: (Math.min(...waits) + 1) * (deps.speed?.() ?? 1) };
    return;
  };

  /** getPodsForStatefulSet: adopt matching orphans named after the set, release owned pods that no longer qualify. */
  async function claim(set: KObject): Promise<KObject[]> {
    const all = pods.list(set.metadata.namespace!, { selection: selectEverything }).items;
    const c = claimPods(set, all);
    const release = [...c.release, ...c.owned.filter((p) => !isMemberOf(set, p) && !isTerminating(p))];
    const owned = c.owned.filter((p) => isMemberOf(set, p));
    return adoptAndRelease(pods, set, { owned, adopt: c.adopt.filter((p) => isMemberOf(set, p)), release }, deps.user);
  }

  /**
   * getStatefulSetRevisions over the set's revisions (oldest first): the update revision is the
   * newest when it snapshots the template, else an equal older one re-numbered to the next
   * revision, else a new one (its name moved on past collisions). The current one is the revision
   * status.currentRevision names, or the update one.
   */
  async function statefulSetRevisions(set: KObject, revisions: readonly KObject[]): Promise<Revisions> {
    const collisionCount = { value: set.status?.collisionCount ?? 0 };
    const candidate = newControllerRevision(set, "StatefulSet", nextRevision(revisions), { collisionCount: collisionCount.value });
    const equal = revisions.filter((r) => equalRevision(r, candidate));
    const newest = revisions.at(-1);
    let update: KObject;
    if (equal.length && newest && equalRevision(newest, candidate)) update = newest;
    else if (equal.length) update = await history.renumber(equal.at(-1)!, candidate.revision);
    else update = await history.create(set, candidate, collisionCount);
    const current = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
    return { current: current.metadata.name!, update: update.metadata.name!, currentTemplate: templateOf(current), collisionCount: collisionCount.value };
  }

  /** truncateHistory: deletes the oldest revisions no pod uses, beyond the history limit (the current and update ones stay). */
  async function truncateHistory(set: KObject, setPods: readonly KObject[], revisions: readonly KObject[], live: Revisions): Promise<void> {
    const inUse = new Set([live.current, live.update, ...setPods.map(podRevision)]);
    const old = revisions.filter((r) => !inUse.has(r.metadata.name!));
    const excess = old.length - revisionHistoryLimit(set);
    for (const revision of old.slice(0, Math.max(0, excess))) await history.delete(revision);
  }

  function ownedNow(set: KObject): KObject[] {
    return pods.list(set.metadata.namespace!, { selection: selectEverything }).items.filter((p) => controllerOf(p)?.uid === set.metadata.uid && isMemberOf(set, p));
  }

  /**
   * updateStatefulSet: replicas in ordinal order, then condemned pods, then the rolling update.
   * Answers whether a pod waits for a stale claim to be garbage-collected.
   */
  async function sync(set: KObject, owned: readonly KObject[], revisions: Revisions): Promise<boolean> {
    const monotonic = set.spec?.podManagementPolicy !== "Parallel";
    const minReady = set.spec?.minReadySeconds ?? 0;
    const now = deps.now();
    const start = startOrdinal(set);
    const replicas: (KObject | null)[] = new Array(replicasOf(set)).fill(null);
    const condemned: KObject[] = [];
    for (const pod of owned) {
      const ordinal = ordinalOf(pod);
      if (inOrdinalRange(set, pod)) replicas[ordinal - start] = pod;
      else if (ordinal >= 0) condemned.push(pod);
    }
    condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
    const healthy = (p: KObject | null) => isHealthyAndAvailable(p, minReady, now);
    // The first unhealthy pod: a replica (missing ones count), else the lowest condemned one.
    const unhealthyReplica = replicas.findIndex((p) => !healthy(p));
    const unhealthyCondemned = [...condemned].reverse().find((p) => !healthy(p));
    const firstUnhealthyOrdinal = unhealthyReplica >= 0 ? start + unhealthyReplica : unhealthyCondemned ? ordinalOf(unhealthyCondemned) : -1;

    let waitingForClaim = false;
    for (let i = 0; i < replicas.length; i++) {
      const outcome = await processReplica(set, replicas[i], start + i, monotonic, revisions, minReady, now);
      if (outcome === "wait") waitingForClaim = true;
      if (outcome !== "done" && monotonic) return waitingForClaim;
    }

    for (const pod of condemned) if (!claimsMatchRetention(set, pod)) await fixClaimOwners(set, pod);

    for (const pod of condemned) {
      if (isTerminating(pod)) {
        if (monotonic) return waitingForClaim;
        continue;
      }
      if (monotonic && ordinalOf(pod) !== firstUnhealthyOrdinal && !healthy(pod)) return waitingForClaim;
      await deletePod(set, pod);
      if (monotonic) return waitingForClaim;
    }

    if (updateStrategyOf(set) !== "RollingUpdate") return waitingForClaim;
    const partition = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    for (let i = replicas.length - 1; i >= partition; i--) {
      const pod = replicas[i];
      if (pod && podRevision(pod) !== revisions.update && !isTerminating(pod)) {
        await deletePod(set, pod);
        return waitingForClaim;
      }
      if (!healthy(pod)) return waitingForClaim;
    }
    return waitingForClaim;
  }

  /** processReplica (see {@link Outcome}). */
  async function processReplica(set: KObject, pod: KObject | null, ordinal: number, monotonic: boolean, revisions: Revisions, minReady: number, now: number): Promise<Outcome> {
    if (pod && isFinished(pod)) {
      if (!isTerminating(pod)) await deletePod(set, pod);
      return "blocked";
    }
    if (!pod) {
      if (claimIsStale(set, ordinal)) return "wait";
      await createPod(set, ordinal, revisions);
      return "blocked";
    }
    if (phaseOf(pod) === "Pending") await createMissingClaims(set, pod);
    if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod) || !isPodAvailable(pod, minReady, now))) return "blocked";
    const retentionMatches = claimsMatchRetention(set, pod);
    if (identityMatches(set, pod) && storageMatches(set, pod) && retentionMatches) return "done";
    await updatePod(set, pod, retentionMatches);
    return "done";
  }

  /** PodClaimIsStale: under whenScaled Delete, a claim still controlled by an earlier pod of that name. */
  function claimIsStale(set: KObject, ordinal: number): boolean {
    if (retentionOf(set).whenScaled === "Retain") return false;
    const placeholder: KObject = { apiVersion: "v1", kind: "Pod", metadata: { name: podName(set, ordinal), namespace: set.metadata.namespace } };
    return claimsFor(set, ordinal).some(({ claim: c }) => {
      const existing = getOrNull(claims, set.metadata.namespace!, c.metadata.name!);
      return !!existing && hasStaleOwnerRef(existing, placeholder);
    });
  }

  /** CreateStatefulPod: the missing claims first, then the pod. */
  async function createPod(set: KObject, ordinal: number, revisions: Revisions): Promise<void> {
    const pod = newVersionedStatefulSetPod(set, ordinal, revisions);
    try {
      await createMissingClaims(set, pod);
    } catch (e) {
      await event(set, "FailedCreate", `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(e)}`, "Warning");
      throw e;
    }
    try {
      await pods.create(set.metadata.namespace!, pod, user);
    } catch (e) {
      if (isAlreadyExists(e)) return;
      await event(set, "FailedCreate", `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(e)}`, "Warning");
      throw e;
    }
    await event(set, "SuccessfulCreate", `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
  }

  /** createPersistentVolumeClaims: creates the pod's missing claims, owned per the retention policy; answers how many. */
  async function createMissingClaims(set: KObject, pod: KObject): Promise<number> {
    const namespace = set.metadata.namespace!;
    const failures: string[] = [];
    let created = 0;
    for (const { claim: wanted } of claimsFor(set, ordinalOf(pod))) {
      const name = wanted.metadata.name!;
      const existing = getOrNull(claims, namespace, name);
      if (existing) {
        if (isTerminating(existing)) failures.push(`pvc ${name} is being deleted`);
        continue;
      }
      wanted.metadata.ownerReferences = claimOwnerRefs(wanted, set, pod);
      if (!wanted.metadata.ownerReferences.length) delete wanted.metadata.ownerReferences;
      try {
        await claims.create(namespace, wanted, user);
        created++;
        await event(set, "SuccessfulCreate", `create Claim ${name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`);
      } catch (e) {
        if (isAlreadyExists(e)) continue;
        failures.push(`failed to create PVC ${name}: ${errorMessage(e)}`);
        await event(set, "FailedCreate", `create Claim ${name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(e)}`, "Warning");
      }
    }
    if (failures.length) throw new Error(failures.length === 1 ? failures[0] : `[${failures.join(", ")}]`);
    return created;
  }

  function claimsMatchRetention(set: KObject, pod: KObject): boolean {
    return claimsFor(set, ordinalOf(pod)).every(({ claim: c }) => {
      const existing = getOrNull(claims, set.metadata.namespace!, c.metadata.name!);
      return !existing || claimOwnerUpToDate(existing, set, pod);
    });
  }

  /** UpdatePodClaimForRetentionPolicy; answers whether a claim changed. */
  async function fixClaimOwners(set: KObject, pod: KObject): Promise<boolean> {
    let changed = false;
    for (const { claim: c } of claimsFor(set, ordinalOf(pod))) {
      try {
        const before = getOrNull(claims, set.metadata.namespace!, c.metadata.name!)?.metadata.resourceVersion;
        const after = await claims.patch(
          set.metadata.namespace!,
          c.metadata.name!,
          (current) => {
            if (claimOwnerUpToDate(current, set, pod)) return current;
            const refs = claimOwnerRefs(current, set, pod);
            if (refs.length) current.metadata.ownerReferences = refs;
            else delete current.metadata.ownerReferences;
            return current;
          },
          user,
        );
        if (after.metadata.resourceVersion !== before) changed = true;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    return changed;
  }

  /**
   * UpdateStatefulPod: restores the identity labels, creates missing claims, fixes claim owners;
   * `SuccessfulUpdate` when something was written.
   */
  async function updatePod(set: KObject, pod: KObject, retentionMatches: boolean): Promise<void> {
    const namespace = set.metadata.namespace!;
    const name = pod.metadata.name!;
    let changed = false;
    try {
      if (!identityMatches(set, pod)) {
        await pods.patch(
          namespace,
          name,
          (current) => {
            current.metadata.labels = { ...(current.metadata.labels ?? {}), [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinalOf(current)) };
            return current;
          },
          user,
        );
        changed = true;
      }
      if (!storageMatches(set, pod) && (await createMissingClaims(set, pod)) > 0) changed = true;
      if (!retentionMatches && (await fixClaimOwners(set, pod))) changed = true;
    } catch (e) {
      if (isConflictOrNotFound(e)) return;
      await event(set, "FailedUpdate", `update Pod ${name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(e)}`, "Warning");
      throw e;
    }
    if (changed) await event(set, "SuccessfulUpdate", `update Pod ${name} in StatefulSet ${set.metadata.name} successful`);
  }

  /** DeleteStatefulPod (graceful, as upstream's plain delete). */
  async function deletePod(set: KObject, pod: KObject): Promise<void> {
    try {
      await pods.delete(set.metadata.namespace!, pod.metadata.name!, { user: deps.user, preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      if (isConflictOrNotFound(e)) return;
      await event(set, "FailedDelete", `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(e)}`, "Warning");
      throw e;
    }
    await event(set, "SuccessfulDelete", `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
  }

  async function writeStatus(set: KObject, status: StatefulSetStatus): Promise<void> {
    if (sameStatus(STATUS_FIELDS, set.status ?? {}, status)) return;
    await writeWorkloadStatus(sets, set, status, deps.user);
  }
}

// ---- the volume binder ----------------------------------------------------------------------

/** The volume a claim is bound to by the binder. */
export const volumeNameFor = (claim: KObject): string => `pvc-${claim.metadata.uid}`;

/** Whether the binder would bind this claim: Pending, of the default class, not pre-bound elsewhere, with a storage request. */
export function isBindable(claim: KObject): boolean {
  if (claim.metadata.deletionTimestamp || claim.status?.phase === "Bound") return false;
  if (claimStorageClass(claim) !== DEFAULT_STORAGE_CLASS) return false;
  if (claim.spec?.volumeName && claim.spec.volumeName !== volumeNameFor(claim)) return false;
  return requestedStorage(claim) !== null;
}

export function volumeBinderReconciler(deps: StatefulSetDeps): Reconciler {
  const claims = deps.registry.resource("", "persistentvolumeclaims");
  const user = { user: deps.user };

  return async (key) => {
    const [namespace, name] = splitKey(key);
    const claim = getOrNull(claims, namespace, name);
    if (!claim || !isBindable(claim)) return;
    const volume = volumeNameFor(claim);
    try {
      const bound = await claims.patch(
        namespace,
        name,
        (c) => {
          c.metadata.annotations = {
            ...(c.metadata.annotations ?? {}),
            [BIND_COMPLETED_ANNOTATION]: "yes",
            [BOUND_BY_CONTROLLER_ANNOTATION]: "yes",
            [BETA_STORAGE_PROVISIONER_ANNOTATION]: DEFAULT_PROVISIONER,
            [STORAGE_PROVISIONER_ANNOTATION]: DEFAULT_PROVISIONER,
          };
          c.spec.volumeName = volume;
          return c;
        },
        user,
      );
      await claims.patch(
        namespace,
        name,
        (c) => {
          c.status = { ...(c.status ?? {}), phase: "Bound", accessModes: clone(c.spec?.accessModes ?? []), capacity: { storage: requestedStorage(c) } };
          return c;
        },
        { ...user, subresource: "status" },
      );
      await recordEvent(deps.registry, deps.user, deps.now(), bound, {
        type: "Normal",
        reason: "ProvisioningSucceeded",
        message: `Successfully provisioned volume ${volume}`,
        component: DEFAULT_PROVISIONER,
      });
    } catch (e) {
      if (!isConflictOrNotFound(e)) throw e;
    }
  };
}
