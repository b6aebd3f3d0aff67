/**
 * The Job controller (k8s.io/kubernetes pkg/controller/job) and the TTL-after-finished controller
 * (pkg/controller/ttlafterfinished) for batch/v1 Jobs.
 *
 * - Keeps up to `parallelism` active pods, never more than the completions still missing, created
 *   from the template with the controller ref and `generateName: <job>-` (`<job>-<index>-` for
 *   Indexed jobs, which also get the `batch.kubernetes.io/job-completion-index` annotation and
 *   label and the `JOB_COMPLETION_INDEX` env var, as upstream).
 * - After pod failures, new pods wait out upstream's exponential backoff (10 s doubling, capped at
 *   10 min) counted from the last failure since the last success.
 * - Counts `active` / `ready` / `terminating` / `succeeded` / `failed`, sets `startTime` (again on
 *   resume), `completedIndexes` for Indexed jobs, and `completionTime` on completion.
 * - `podFailurePolicy`: each failed pod (phase Failed) is matched against the rules in order
 *   ({@link matchPodFailurePolicy}: `onExitCodes` on the containers' and init containers' non-zero
 *   terminated exit codes, or `onPodConditions`, e.g. `DisruptionTarget=True` after an eviction).
 *   `FailJob` fails the Job with reason `PodFailurePolicy` and upstream's message, `Ignore` leaves
 *   the failure out of `failed` (and so out of `backoffLimit`) and the pod is replaced, `Count` is
 *   the default counting, `FailIndex` fails the pod's index.
 * - `backoffLimitPerIndex` (Indexed): each replacement pod carries the index's failure counts in
 *   `batch.kubernetes.io/job-index-failure-count` (and `…-ignored-failure-count`); a counted failure
 *   of a pod whose count already reached the limit, or a `FailIndex` match, adds the index to
 *   `status.failedIndexes`, and it is not retried. Replacements back off per index (the same
 *   10 s doubling, from the index's failures). More than `maxFailedIndexes` failed indexes fail the
 *   Job with `MaxFailedIndexesExceeded`; once every index has succeeded or failed and some failed,
 *   it fails with `FailedIndexes`.
 * - `podReplacementPolicy: Failed` (the default with a podFailurePolicy): a terminating pod (deleted,
 *   not yet Failed) still holds its slot, and its index, until it is fully terminated.
 * - Finishing goes through upstream's interim conditions: `SuccessCriteriaMet` (reason
 *   `CompletionsReached`) or `FailureTarget` (`PodFailurePolicy`, then `BackoffLimitExceeded` when
 *   `failed > backoffLimit`, `DeadlineExceeded` past `activeDeadlineSeconds`, then the per-index
 *   reasons), active pods are deleted, and once none is terminating the terminal `Complete` /
 *   `Failed` condition (same reason and message) is added.
 * - `suspend: true` deletes the active pods and sets `Suspended=True` (`JobSuspended`); resuming
 *   flips it to False (`JobResumed`) and restarts `startTime`.
 * - `ttlSecondsAfterFinished`: the finished Job is deleted (propagation Background) that many
 *   simulated seconds after its Complete/Failed transition; until then the key is requeued.
 *
 * Simplifications (documented departures from upstream):
 * - No `batch.kubernetes.io/job-tracking` pod finalizer: the counters are recounted from the pods
 *   that still exist and never decrease (`max(previous, now)`; `failedIndexes` only grows), so
 *   `uncountedTerminatedPods` is always `{}`. A terminated pod deleted before this controller saw
 *   it is not counted, and a pod deleted while running is not counted as failed (upstream counts it
 *   under TerminatingOrFailed). Without the finalizer upstream delays to carry the index failure
 *   count over, deleting an index's last failed pod before its replacement exists resets the count.
 * - For Indexed jobs `succeeded` is the number of completed indexes.
 * - Per-index backoff requeues for the earliest index still backing off even when other indexes
 *   were created in the same pass (upstream waits for the next event).
 * - No orphan adoption (job selectors are generated from the uid), successPolicy or managedBy.
 * - Status is computed after this pass's creates and deletes, so one reconcile reaches a fixed
 *   point and a second one writes nothing.
 *
 * Watch events → keys (reconciler `job`): a Job event enqueues itself; a Pod event (add, update,
 * delete) enqueues {@link jobKeyForPod} (its controlling Job, if any; for an update that changed
 * the controller ref, the keys of both the old and the new pod).
 */
import type { Registry } from "../../registry/registry";
import { formatTime } from "../../registry/clock";
import { selectEverything } from "../../registry/selection";
import type { KObject, UserInfo } from "../../registry/types";
import { recordEvent } from "../events";
import type { Reconciler, ReconcileResult } from "../runtime";
import { compareForDeletion } from "./replicaset";
import { clone, controllerOf, controllerOwnerKey, createdMs, getOrNull, isConflictOrNotFound, isNotFound, isPodActive, isPodReady, newControllerRef, splitKey } from "./workloads";

export const JOB_CONTROLLER = "job-controller";
export const COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index";
export const COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX";
/** Counted and ignored (podFailurePolicy Ignore) failures of the pods before this one in its index. */
export const INDEX_FAILURE_COUNT = "batch.kubernetes.io/job-index-failure-count";
export const INDEX_IGNORED_FAILURE_COUNT = "batch.kubernetes.io/job-index-ignored-failure-count";
/** Upstream's DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff. */
export const POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 10 * 60_000;
/** Upstream's MaxPodCreateDeletePerSync. */
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;

export const MESSAGES = {
  completionsReached: "Reached expected number of succeeded pods",
  backoffLimitExceeded: "Job has reached the specified backoff limit",
  deadlineExceeded: "Job was active longer than specified deadline",
  maxFailedIndexesExceeded: "Job has exceeded the specified maximal number of failed indexes",
  failedIndexes: "Job has failed indexes",
  suspended: "Job suspended",
  resumed: "Job resumed",
};

export interface JobDeps {
  registry: Registry;
  user: UserInfo;
  /** Wall-clock ms (timestamps, deadlines, backoff, TTL). */
  now(): number;
}

export interface JobCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** The key a pod event enqueues for the Job controller: its controlling Job, or null. */
export function jobKeyForPod(pod: KObject): string | null {
  return controllerOwnerKey(pod, "Job");
}

// ---- pure pieces --------------------------------------------------------------------------------

export function findCondition(job: KObject, type: string): JobCondition | undefined {
  return (job.status?.conditions ?? []).find((c: JobCondition) => c.type === type);
}

const isTrue = (job: KObject, type: string) => findCondition(job, type)?.status === "True";

/** util.IsJobFinished: Complete or Failed is True. */
export function isJobFinished(job: KObject): boolean {
  return isTrue(job, "Complete") || isTrue(job, "Failed");
}

/** When the job finished (the terminal condition's transition, or completionTime), ms; null if not finished. */
export function finishTimeMs(job: KObject): number | null {
  const c = ["Complete", "Failed"].map((t) => findCondition(job, t)).find((x) => x?.status === "True");
  if (!c) return null;
  const t = Date.parse(c.lastTransitionTime ?? job.status?.completionTime ?? "");
  return Number.isNaN(t) ? null : t;
}

/** The completion index of a pod (annotation, then label), or null when missing or invalid. */
export function completionIndex(pod: KObject): number | null {
  const v = pod.metadata.annotations?.[COMPLETION_INDEX] ?? pod.metadata.labels?.[COMPLETION_INDEX];
  if (typeof v !== "string" || !/^(0|[1-9]\d*)$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/** The valid completion indexes of some pods. */
function indexesOf(pods: readonly KObject[]): Set<number> {
  const out = new Set<number>();
  for (const p of pods) {
    const ix = completionIndex(p);
    if (ix !== null) out.add(ix);
  }
  return out;
}

/** Parses a `completedIndexes` string (`1,3-5,7`) into a sorted set of indexes below `completions`. */
export function parseIndexes(s: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? "").split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let i = lo; i <= Math.min(hi, completions - 1); i++) out.add(i);
  }
  return out;
}

/** Formats indexes as upstream's compressed intervals: runs of three or more as `0-2`, pairs as `7,8` (`0-2,5,7,8`). */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}${j === i + 1 ? "," : "-"}${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** When a terminated pod finished: its containers' latest finishedAt, else its latest condition transition, else its creation. */
export function podFinishedMs(pod: KObject): number {
  let best = NaN;
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  for (const c of statuses) {
    const t = Date.parse(c?.state?.terminated?.finishedAt ?? "");
    if (!Number.isNaN(t) && !(t <= best)) best = t;
  }
  if (Number.isNaN(best)) {
    for (const c of pod.status?.conditions ?? []) {
      const t = Date.parse(c?.lastTransitionTime ?? "");
      if (!Number.isNaN(t) && !(t <= best)) best = t;
    }
  }
  return Number.isNaN(best) ? createdMs(pod) : best;
}

/**
 * The pod-creation backoff (upstream's backoffRecord): failures after the last success, and the
 * time the latest of them finished. Delay = 10 s · 2^(failures−1), capped at 10 min.
 */
export function podCreationBackoffUntil(pods: readonly KObject[]): number | null {
  let lastSuccess = -Infinity;
  for (const p of pods) if (p.status?.phase === "Succeeded") lastSuccess = Math.max(lastSuccess, podFinishedMs(p));
  const failures = pods.filter((p) => p.status?.phase === "Failed").map(podFinishedMs).filter((t) => t > lastSuccess);
  if (!failures.length) return null;
  return Math.max(...failures) + failureBackoffMs(failures.length);
}

/** The delay before the next pod after `failures` consecutive failures (≥ 1): 10 s · 2^(failures−1), capped at 10 min. */
export function failureBackoffMs(failures: number): number {
  return Math.min(MAX_POD_FAILURE_BACKOFF_MS, POD_FAILURE_BACKOFF_MS * 2 ** Math.min(Math.max(failures, 1) - 1, 30));
}

// ---- podFailurePolicy and backoffLimitPerIndex ---------------------------------------------------

export type PodFailureAction = "FailJob" | "FailIndex" | "Ignore" | "Count";

export interface PodFailureMatch {
  /** The action of the first matching rule, or null when no rule (or no policy) matched. */
  action: PodFailureAction | null;
  /** Whether the failure counts towards `failed` and the limits (false only for Ignore). */
  countFailed: boolean;
  /** The Job's failure message for a FailJob match, else null. */
  failJobMessage: string | null;
}

type Rec = Record<string, any>;
const isRecord = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);
const asList = (v: unknown): any[] => (Array.isArray(v) ? v : []);

/** The first terminated container (containers, then init containers) with a non-zero exit code matching the requirement. */
function matchExitCodes(pod: KObject, requirement: Rec): { name: string; exitCode: number } | null {
  const values: unknown[] = asList(requirement.values);
  for (const list of [pod.status?.containerStatuses, pod.status?.initContainerStatuses]) {
    for (const cs of asList(list)) {
      const exitCode = cs?.state?.terminated?.exitCode;
      if (typeof exitCode !== "number" || exitCode === 0) continue;
      if (typeof requirement.containerName === "string" && requirement.containerName !== cs.name) continue;
      const listed = values.includes(exitCode);
      if ((requirement.operator === "In" && listed) || (requirement.operator === "NotIn" && !listed)) return { name: cs.name, exitCode };
    }
  }
  return null;
}

/** The pod's first condition matching one of the patterns (type and status). */
function matchPodConditions(pod: KObject, patterns: unknown[]): { type: string } | null {
  for (const c of asList(pod.status?.conditions)) {
    if (patterns.some((p) => isRecord(p) && p.type === c?.type && p.status === c?.status)) return c;
  }
  return null;
}

/** Upstream's matchPodFailurePolicy: the first rule of `policy` that matches the failed `pod`. */
export function matchPodFailurePolicy(policy: unknown, pod: KObject): PodFailureMatch {
  const none: PodFailureMatch = { action: null, countFailed: true, failJobMessage: null };
  if (!isRecord(policy)) return none;
  const where = `${pod.metadata.namespace}/${pod.metadata.name}`;
  for (const [index, rule] of asList(policy.rules).entries()) {
    if (!isRecord(rule)) continue;
    let failJobMessage: string | null = null;
    if (isRecord(rule.onExitCodes)) {
      const c = matchExitCodes(pod, rule.onExitCodes);
      if (!c) continue;
      failJobMessage = `Container ${c.name} for pod ${where} failed with exit code ${c.exitCode} matching FailJob rule at index ${index}`;
    } else if (Array.isArray(rule.onPodConditions)) {
      const c = matchPodConditions(pod, rule.onPodConditions);
      if (!c) continue;
      failJobMessage = `Pod ${where} has condition ${c.type} matching FailJob rule at index ${index}`;
    } else continue;
    switch (rule.action) {
      case "FailJob":
        return { action: "FailJob", countFailed: true, failJobMessage };
      case "Ignore":
        return { action: "Ignore", countFailed: false, failJobMessage: null };
      case "FailIndex":
      case "Count":
        return { action: rule.action, countFailed: true, failJobMessage: null };
    }
  }
  return none;
}

/** The FailJob message of the earliest failed pod that matches a FailJob rule, or null. */
export function failJobMessage(policy: unknown, pods: readonly KObject[]): string | null {
  if (!isRecord(policy)) return null;
  const failed = pods.filter((p) => p.status?.phase === "Failed").sort((a, b) => podFinishedMs(a) - podFinishedMs(b));
  for (const p of failed) {
    const m = matchPodFailurePolicy(policy, p).failJobMessage;
    if (m !== null) return m;
  }
  return null;
}

/** An index-failure-count annotation: a non-negative int32, 0 when missing or invalid. */
function countAnnotation(pod: KObject, key: string): number {
  const v = pod.metadata.annotations?.[key];
  if (typeof v !== "string" || !/^\d+$/.test(v)) return 0;
  const n = Number(v);
  return n <= 2 ** 31 - 1 ? n : 0;
}

export interface IndexFailureCounts {
  counted: number;
  ignored: number;
}

/** The failure counts a pod carries for its index (the failures before it). */
export function indexFailureCounts(pod: KObject): IndexFailureCounts {
  return { counted: countAnnotation(pod, INDEX_FAILURE_COUNT), ignored: countAnnotation(pod, INDEX_IGNORED_FAILURE_COUNT) };
}

/** The counts for the pod replacing `replaced` in its index (zero for an index's first pod). */
export function replacementFailureCounts(job: KObject, replaced: KObject | null | undefined): IndexFailureCounts {
  if (!replaced) return { counted: 0, ignored: 0 };
  const { counted, ignored } = indexFailureCounts(replaced);
  return matchPodFailurePolicy(job.spec?.podFailurePolicy, replaced).countFailed ? { counted: counted + 1, ignored } : { counted, ignored: ignored + 1 };
}

/** Whether a pod's failure fails its index (backoffLimitPerIndex): a FailIndex match, or a counted failure with the index's limit already reached. */
export function isIndexFailed(job: KObject, pod: KObject): boolean {
  if (pod.status?.phase !== "Failed") return false;
  const m = matchPodFailurePolicy(job.spec?.podFailurePolicy, pod);
  if (m.action === "FailIndex") return true;
  return m.countFailed && indexFailureCounts(pod).counted >= (job.spec?.backoffLimitPerIndex ?? 0);
}

/**
 * The failed pod each retryable index is replacing: for every index below `completions` not in
 * `settled` (succeeded, failed or active), its failed pod with the most failures, latest finished.
 */
export function lastFailedPodPerIndex(pods: readonly KObject[], completions: number, settled: ReadonlySet<number>): Map<number, KObject> {
  const out = new Map<number, KObject>();
  const failures = (p: KObject) => {
    const c = indexFailureCounts(p);
    return c.counted + c.ignored;
  };
  for (const p of pods) {
    if (p.status?.phase !== "Failed") continue;
    const ix = completionIndex(p);
    if (ix === null || ix >= completions || settled.has(ix)) continue;
    const best = out.get(ix);
    if (!best || failures(p) > failures(best) || (failures(p) === failures(best) && podFinishedMs(p) >= podFinishedMs(best))) out.set(ix, p);
  }
  return out;
}

/** When a replacement for an index whose last failed pod is `lastFailed` may be created (upstream's per-index backoff). */
export function indexBackoffUntil(lastFailed: KObject): number {
  const c = indexFailureCounts(lastFailed);
  return podFinishedMs(lastFailed) + failureBackoffMs(c.counted + c.ignored + 1);
}

/**
 * The pod a Job creates (GetPodFromTemplate + the Indexed additions). With backoffLimitPerIndex the
 * pod carries its index's failure counts, one more than those of `replaced` (the index's last failed pod).
 */
export function podFromJobTemplate(job: KObject, index: number | null, replaced?: KObject | null): KObject {
  const template = job.spec?.template ?? {};
  const meta = template.metadata ?? {};
  const pod: KObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: index === null ? `${job.metadata.name}-` : `${job.metadata.name}-${index}-`,
      namespace: job.metadata.namespace,
      ownerReferences: [newControllerRef({ ...job, apiVersion: "batch/v1", kind: "Job" })],
    },
    spec: clone(template.spec ?? {}),
  };
  if (meta.labels && Object.keys(meta.labels).length) pod.metadata.labels = clone(meta.labels);
  if (meta.annotations && Object.keys(meta.annotations).length) pod.metadata.annotations = clone(meta.annotations);
  if (meta.finalizers?.length) pod.metadata.finalizers = clone(meta.finalizers);
  if (index !== null) {
    pod.metadata.annotations = { ...pod.metadata.annotations, [COMPLETION_INDEX]: String(index) };
    pod.metadata.labels = { ...pod.metadata.labels, [COMPLETION_INDEX]: String(index) };
    if (typeof job.spec?.backoffLimitPerIndex === "number") {
      const counts = replacementFailureCounts(job, replaced);
      pod.metadata.annotations[INDEX_FAILURE_COUNT] = String(counts.counted);
      if (counts.ignored > 0) pod.metadata.annotations[INDEX_IGNORED_FAILURE_COUNT] = String(counts.ignored);
    }
    for (const list of [pod.spec.initContainers, pod.spec.containers]) {
      for (const c of list ?? []) {
        if ((c.env ?? []).some((e: { name: string }) => e.name === COMPLETION_INDEX_ENV)) continue;
        c.env = [...(c.env ?? []), { name: COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } } }];
      }
    }
  }
  return pod;
}

function newCondition(type: string, status: "True" | "False", reason: string, message: string, nowMs: number): JobCondition {
  const t = formatTime(nowMs);
  return { type, status, lastProbeTime: t, lastTransitionTime: t, reason, message };
}

/** Sets a condition, keeping the transition time when the status does not change (and the whole condition when nothing does). */
function setCondition(conditions: JobCondition[], next: JobCondition): JobCondition[] {
  const i = conditions.findIndex((c) => c.type === next.type);
  if (i < 0) return [...conditions, next];
  const old = conditions[i];
  if (old.status === next.status && old.reason === next.reason && old.message === next.message) return conditions;
  const merged = old.status === next.status ? { ...next, lastTransitionTime: old.lastTransitionTime } : next;
  return conditions.map((c, j) => (j === i ? merged : c));
}

// ---- the reconciler ----------------------------------------------------------------------------

export function jobReconciler(deps: JobDeps): Reconciler {
  const jobs = deps.registry.resource("batch", "jobs");
  const pods = deps.registry.resource("", "pods");
  const event = (obj: KObject, reason: string, message: string, type: "Normal" | "Warning" = "Normal") =>
    recordEvent(deps.registry, deps.user, deps.now(), { ...obj, apiVersion: "batch/v1", kind: "Job" }, { type, reason, message, component: JOB_CONTROLLER });

  async function deletePod(job: KObject, pod: KObject): Promise<void> {
    try {
      await pods.delete(pod.metadata.namespace!, pod.metadata.name!, { user: deps.user, preconditions: { uid: pod.metadata.uid } });
      await event(job, "SuccessfulDelete", `Deleted pod: ${pod.metadata.name}`);
    } catch (e) {
      if (!isConflictOrNotFound(e)) throw e;
    }
  }

  /** Creates pods (one per entry: an index, or null for NonIndexed; `replacing` maps an index to its last failed pod); false once a create failed. */
  async function createPods(job: KObject, indexes: (number | null)[], replacing?: ReadonlyMap<number, KObject>): Promise<boolean> {
    for (const index of indexes.slice(0, MAX_POD_CREATE_DELETE_PER_SYNC)) {
      try {
        const pod = podFromJobTemplate(job, index, index === null ? null : replacing?.get(index));
        const created = await pods.create(job.metadata.namespace!, pod, { user: deps.user });
        await event(job, "SuccessfulCreate", `Created pod: ${created.metadata.name}`);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        await event(job, "FailedCreate", `Error creating: ${message}`, "Warning");
        return false;
      }
    }
    return true;
  }

  function ownedPods(job: KObject): KObject[] {
    return pods.list(job.metadata.namespace!, { selection: selectEverything }).items.filter((p) => controllerOf(p)?.uid === job.metadata.uid);
  }

  async function ttl(job: KObject): Promise<ReconcileResult> {
    const seconds = job.spec?.ttlSecondsAfterFinished;
    if (typeof seconds !== "number" || job.metadata.deletionTimestamp) return;
    const finished = finishTimeMs(job);
    if (finished === null) return;
    const due = finished + seconds * 1000;
    const now = deps.now();
    if (now < due) return { requeueAfterMs: due - now };
    try {
      await jobs.delete(job.metadata.namespace!, job.metadata.name!, { user: deps.user, propagationPolicy: "Background", preconditions: { uid: job.metadata.uid } });
    } catch (e) {
      if (!isConflictOrNotFound(e)) throw e;
    }
    return;
  }

  return async (key) => {
    const [namespace, name] = splitKey(key);
    const job = getOrNull(jobs, namespace, name);
    if (!job) return;
    if (isJobFinished(job)) return ttl(job);
    if (job.metadata.deletionTimestamp) return;

    const now = deps.now();
    const spec = job.spec ?? {};
    const indexed = spec.completionMode === "Indexed";
    const completions: number | null = typeof spec.completions === "number" ? spec.completions : null;
    const parallelism: number = typeof spec.parallelism === "number" ? spec.parallelism : 1;
    const backoffLimit: number = typeof spec.backoffLimit === "number" ? spec.backoffLimit : 6;
    const suspended = spec.suspend === true;
    const policy = spec.podFailurePolicy;
    const perIndex = indexed && typeof spec.backoffLimitPerIndex === "number";
    // A terminating pod keeps its slot (and index) until it is Failed.
    const onlyReplaceFailed = spec.podReplacementPolicy === "Failed" || isRecord(policy);
    const prev = job.status ?? {};
    let conditions: JobCondition[] = clone(prev.conditions ?? []);
    let startTime: string | undefined = prev.startTime;
    let requeue: number | null = null;
    const requeueIn = (ms: number) => {
      if (ms > 0 && (requeue === null || ms < requeue)) requeue = ms;
    };

    let owned = ownedPods(job);
    const counts = () => {
      const succeededPods = owned.filter((p) => p.status?.phase === "Succeeded");
      const completed = indexed ? parseIndexes(prev.completedIndexes, completions ?? 0) : new Set<number>();
      if (indexed) {
        for (const p of succeededPods) {
          const ix = completionIndex(p);
          if (ix !== null && ix < (completions ?? 0)) completed.add(ix);
        }
      }
      const failedPods = owned.filter((p) => p.status?.phase === "Failed");
      const failedIndexes = perIndex ? parseIndexes(prev.failedIndexes, completions ?? 0) : new Set<number>();
      if (perIndex) {
        for (const p of failedPods) {
          const ix = completionIndex(p);
          if (ix !== null && ix < (completions ?? 0) && isIndexFailed(job, p)) failedIndexes.add(ix);
        }
      }
      return {
        active: owned.filter(isPodActive),
        terminating: owned.filter((p) => p.metadata.deletionTimestamp && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed"),
        succeeded: indexed ? completed.size : Math.max(prev.succeeded ?? 0, succeededPods.length),
        failed: Math.max(prev.failed ?? 0, failedPods.filter((p) => matchPodFailurePolicy(policy, p).countFailed).length),
        completed,
        failedIndexes,
      };
    };
    let c = counts();

    const resuming = !suspended && isTrue(job, "Suspended");
    if (!suspended && (!startTime || resuming)) startTime = formatTime(now);

    // The finishing condition: an interim one already set, else failure (a FailJob match, backoffLimit,
    // activeDeadlineSeconds, then the failed indexes), else success.
    let finishing: JobCondition | null = null;
    const interim = conditions.find((x) => (x.type === "FailureTarget" || x.type === "SuccessCriteriaMet") && x.status === "True");
    const failJob = interim ? null : failJobMessage(policy, owned);
    if (interim) finishing = interim;
    else if (failJob !== null) finishing = newCondition("FailureTarget", "True", "PodFailurePolicy", failJob, now);
    else if (c.failed > backoffLimit) {
      finishing = newCondition("FailureTarget", "True", "BackoffLimitExceeded", MESSAGES.backoffLimitExceeded, now);
    } else if (!suspended && typeof spec.activeDeadlineSeconds === "number" && startTime) {
      const deadline = Date.parse(startTime) + spec.activeDeadlineSeconds * 1000;
      if (now >= deadline) finishing = newCondition("FailureTarget", "True", "DeadlineExceeded", MESSAGES.deadlineExceeded, now);
      else requeueIn(deadline - now);
    }
    if (!finishing && perIndex) {
      const failedIndexes = c.failedIndexes.size;
      if (typeof spec.maxFailedIndexes === "number" && failedIndexes > spec.maxFailedIndexes) {
        finishing = newCondition("FailureTarget", "True", "MaxFailedIndexesExceeded", MESSAGES.maxFailedIndexesExceeded, now);
      } else if (failedIndexes > 0 && failedIndexes + c.succeeded >= (completions ?? 0)) {
        finishing = newCondition("FailureTarget", "True", "FailedIndexes", MESSAGES.failedIndexes, now);
      }
    }
    if (!finishing) {
      const done = completions === null ? c.succeeded > 0 && c.active.length === 0 : c.succeeded >= completions;
      if (done) finishing = newCondition("SuccessCriteriaMet", "True", "CompletionsReached", MESSAGES.completionsReached, now);
    }

    let completionTime: string | undefined = prev.completionTime;
    let finishedNow: JobCondition | null = null;
    if (finishing) {
      conditions = setCondition(conditions, finishing);
      for (const p of c.active) await deletePod(job, p);
      owned = ownedPods(job);
      c = counts();
      if (c.terminating.length === 0 && c.active.length === 0) {
        finishedNow = newCondition(finishing.type === "FailureTarget" ? "Failed" : "Complete", "True", finishing.reason!, finishing.message!, now);
        conditions = setCondition(conditions, finishedNow);
        if (finishedNow.type === "Complete") completionTime = formatTime(now);
      }
    } else if (suspended) {
      for (const p of c.active) await deletePod(job, p);
      owned = ownedPods(job);
      c = counts();
      if (!isTrue(job, "Suspended")) {
        conditions = setCondition(conditions, newCondition("Suspended", "True", "JobSuspended", MESSAGES.suspended, now));
        await event(job, "Suspended", MESSAGES.suspended);
      }
    } else {
      if (resuming) {
        conditions = setCondition(conditions, newCondition("Suspended", "False", "JobResumed", MESSAGES.resumed, now));
        await event(job, "Resumed", MESSAGES.resumed);
      }
      const wantActive = completions === null ? (c.succeeded > 0 ? c.active.length : parallelism) : Math.max(0, Math.min(parallelism, completions - c.succeeded));
      const backoffUntil = podCreationBackoffUntil(owned);
      const mayCreate = backoffUntil === null || now >= backoffUntil;
      const holdingSlots = onlyReplaceFailed ? c.terminating : [];
      if (indexed) {
        const n = completions ?? 0;
        const seen = new Set<number>();
        const excess: KObject[] = [];
        for (const p of [...c.active].sort((a, b) => createdMs(a) - createdMs(b))) {
          const ix = completionIndex(p);
          if (ix === null || ix >= n || c.completed.has(ix) || seen.has(ix)) excess.push(p);
          else seen.add(ix);
        }
        let keep = c.active.filter((p) => !excess.includes(p));
        if (keep.length > wantActive) excess.push(...[...keep].sort(compareForDeletion).slice(0, keep.length - wantActive));
        keep = keep.filter((p) => !excess.includes(p));
        for (const p of excess.slice(0, MAX_POD_CREATE_DELETE_PER_SYNC)) await deletePod(job, p);
        const missing = wantActive - keep.length - holdingSlots.length;
        if (missing > 0) {
          const settled = new Set([...c.completed, ...c.failedIndexes, ...indexesOf(keep)]);
          const notPending = new Set([...settled, ...indexesOf(holdingSlots)]);
          const pending: number[] = [];
          for (let i = 0; i < n && pending.length < missing; i++) if (!notPending.has(i)) pending.push(i);
          if (perIndex) {
            const replacing = lastFailedPodPerIndex(owned, n, settled);
            const ready: number[] = [];
            for (const ix of pending) {
              const last = replacing.get(ix);
              const until = last ? indexBackoffUntil(last) : now;
              if (now >= until) ready.push(ix);
              else requeueIn(until - now);
            }
            if (ready.length) await createPods(job, ready, replacing);
          } else if (pending.length && mayCreate) await createPods(job, pending);
          else if (pending.length) requeueIn(backoffUntil! - now);
        }
      } else {
        const surplus = c.active.length - wantActive;
        const missing = wantActive - c.active.length - holdingSlots.length;
        if (surplus > 0) for (const p of [...c.active].sort(compareForDeletion).slice(0, Math.min(surplus, MAX_POD_CREATE_DELETE_PER_SYNC))) await deletePod(job, p);
        else if (missing > 0 && mayCreate) await createPods(job, Array.from({ length: missing }, () => null));
        else if (missing > 0) requeueIn(backoffUntil! - now);
      }
      owned = ownedPods(job);
      c = counts();
    }

    const status: Record<string, unknown> = {};
    if (conditions.length) status.conditions = conditions;
    if (startTime) status.startTime = startTime;
    if (completionTime) status.completionTime = completionTime;
    if (c.active.length) status.active = c.active.length;
    if (c.succeeded) status.succeeded = c.succeeded;
    if (c.failed) status.failed = c.failed;
    if (indexed && c.completed.size) status.completedIndexes = formatIndexes(c.completed);
    if (perIndex) status.failedIndexes = formatIndexes(c.failedIndexes);
    status.terminating = c.terminating.length;
    status.uncountedTerminatedPods = {};
    status.ready = c.active.filter(isPodReady).length;

    const fresh = getOrNull(jobs, namespace, name);
    if (!fresh || fresh.metadata.uid !== job.metadata.uid) return;
    try {
      await jobs.patch(
        namespace,
        name,
        (current) => {
          current.status = status;
          return current;
        },
        { user: deps.user, subresource: "status" },
      );
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (finishedNow?.type === "Complete") await event(job, "Completed", "Job completed");
    else if (finishedNow) await event(job, finishedNow.reason!, finishedNow.message!, "Warning");
    if (finishedNow) {
      const after = await ttl(getOrNull(jobs, namespace, name) ?? job);
      if (after?.requeueAfterMs) requeueIn(after.requeueAfterMs);
      else return;
    }
    if (requeue !== null) return { requeueAfterMs: requeue };
    return;
  };
}
