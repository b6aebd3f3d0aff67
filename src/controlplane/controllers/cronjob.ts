/**
 * The CronJob controller (k8s.io/kubernetes pkg/controller/cronjob, controller v2) for batch/v1
 * CronJobs.
 *
 * Each pass, for one CronJob and the Jobs it controls (controller ref):
 * - deletes finished Jobs beyond `successfulJobsHistoryLimit` / `failedJobsHistoryLimit`, oldest
 *   `status.startTime` first, propagation Background (`SuccessfulDelete` "Deleted job <name>");
 * - keeps `status.active`: a finished Job leaves it (`SawCompletedJob`), a vanished one too
 *   (`MissingJob`), an unfinished Job it does not list is reported (`UnexpectedJob`); a Complete
 *   Job's `completionTime` raises `status.lastSuccessfulTime`;
 * - unless the CronJob is being deleted, suspended, or has an unknown time zone
 *   (`UnknownTimeZone`), finds the most recent schedule time not yet handled and, honouring
 *   `startingDeadlineSeconds` (older times are not considered; `MissSchedule` guards the window)
 *   and `concurrencyPolicy` (Forbid: `JobAlreadyActive` and wait; Replace: delete the active Jobs
 *   first), creates `<cronjob>-<scheduled unix minutes>` from `spec.jobTemplate` with the
 *   `batch.kubernetes.io/cronjob-scheduled-timestamp` annotation (`SuccessfulCreate`). Only the
 *   most recent missed time runs, never a backlog; more than 100 missed times first warn
 *   `TooManyMissedTimes`;
 * - returns `requeueAfterMs` = simulated ms until the next schedule time + 100 ms
 *   (upstream's nextScheduleDelta). Nothing is requeued while suspended or when the schedule
 *   cannot be evaluated (`UnparseableSchedule`, `InvalidSchedule`): a spec change enqueues it.
 *
 * Schedules follow robfig/cron's standard parser as upstream: five fields (day-of-month and
 * day-of-week are ANDed when either is a plain `*`/`?`, ORed otherwise), the `@hourly`… and
 * `@every <duration>` descriptors, read in `spec.timeZone` or a `TZ=` / `CRON_TZ=` prefix
 * (`UnsupportedSchedule` warning, as upstream), else UTC (kube-controller-manager runs in UTC).
 * Next times come from `croner`.
 *
 * ## Time
 *
 * Schedules run on the sandbox's **simulated calendar** (`simulatedNow()`, which runs `speed`
 * times as fast as the wall clock and jumps on `clock:advance`); the Job name and its
 * scheduled-timestamp annotation carry the simulated schedule time, and `requeueAfterMs` is a
 * simulated duration. Timestamps clients see stay on the **wall clock**, never in its future:
 * `status.lastScheduleTime` is the wall-clock time of the run (at speed 1 with no advance, the
 * schedule time plus the queue's slack, as upstream), `status.lastSuccessfulTime` the Job's
 * `completionTime` (already wall clock).
 *
 * Which simulated schedule times are already handled — upstream derives it from
 * `lastScheduleTime`, else `creationTimestamp` — is kept in `status.simulatedScheduleCursor`
 * (RFC 3339, simulated calendar; not an upstream field): set to the simulated time at which the
 * controller first sees the CronJob, moved to each schedule time that produced a Job. The cursor
 * in force is the later of that field and the newest scheduled-timestamp annotation among the
 * CronJob's Jobs, so a pass interrupted between creating a Job and writing status does not run
 * that schedule again, and a restarted controller (Durable Object eviction) resumes exactly where
 * the stored state says: the next pass creates the most recent schedule time after the cursor, if
 * any is due. Like upstream's `lastScheduleTime`, the cursor does not move while Forbid waits or
 * while suspended, so the most recent missed time runs late once the active Job finishes or the
 * CronJob is resumed (unless `startingDeadlineSeconds` has passed by then).
 *
 * Departures from upstream: a Complete Job that leaves `active` raises `lastSuccessfulTime` in the
 * same pass (upstream: on the next one); an existing Job of the same name that this CronJob does
 * not control still requeues for the next schedule (upstream stops requeueing); jobs already
 * being deleted are not counted against the history limits.
 *
 * Watch events → keys (reconciler `cronjob`): a CronJob event enqueues itself; a Job event (add,
 * update, delete) enqueues {@link cronJobKeyForJob} (for an update that changed the controller
 * ref, the keys of both the old and the new Job).
 */
import { Cron } from "croner";
import type { Registry } from "../../registry/registry";
import { formatTime } from "../../registry/clock";
import { cronScheduleError, isKnownTimeZone } from "../../registry/kinds/cronjob";
import { deepEqual } from "../../registry/kinds/pod-template";
import { selectEverything } from "../../registry/selection";
import type { KObject, UserInfo } from "../../registry/types";
import { StatusError } from "../../apiserver/status";
import { recordEvent } from "../events";
import type { Reconciler, ReconcileResult } from "../runtime";
import { findCondition, isJobFinished } from "./job";
import { clone, controllerOf, controllerOwnerKey, getOrNull, isNotFound, newControllerRef, splitKey } from "./workloads";

export const CRONJOB_CONTROLLER = "cronjob-controller";
/** batchv1.CronJobScheduledTimestampAnnotation. */
export const SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp";
/** The status field holding the simulated schedule time up to which schedules are handled. */
export const SCHEDULE_CURSOR_FIELD = "simulatedScheduleCursor";
/** Upstream's nextScheduleDelta: slack added to every requeue. */
export const NEXT_SCHEDULE_DELTA_MS = 100;
/** More missed schedule times than this warn `TooManyMissedTimes`. */
export const MAX_MISSED_SCHEDULES = 100;

export const MESSAGES = {
  tooManyMissed: "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
  forbidActive: "Not starting job because prior execution is running and concurrency policy is Forbid",
  tooClose: "time difference between two schedules is less than 1 second",
};

export interface CronJobDeps {
  registry: Registry;
  user: UserInfo;
  /** Wall-clock ms: every timestamp clients see. */
  now(): number;
  /** The sandbox's simulated calendar (ms): what schedules follow. */
  simulatedNow(): number;
}

/** The key a Job event enqueues for the CronJob controller: its controlling CronJob, or null. */
export function cronJobKeyForJob(job: KObject): string | null {
  return controllerOwnerKey(job, "CronJob");
}

// ---- schedules -----------------------------------------------------------------------------------

/** A parsed schedule (robfig's cron.Schedule). Times are epoch ms on whole seconds. */
export interface Schedule {
  /** The first schedule time strictly after `ms` (from the next whole second), or null if none exists. */
  next(ms: number): number | null;
  /** The latest schedule time in `(after, atOrBefore]` of the sequence that starts after `after`, or null. */
  latest(after: number, atOrBefore: number): number | null;
}

const DESCRIPTORS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const GO_DURATION_UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in ms (the schedule validator has already checked the grammar). */
export function parseGoDuration(s: string): number {
  const sign = s.startsWith("-") ? -1 : 1;
  let total = 0;
  for (const m of s.replace(/^[+-]/, "").matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(m[1]) * GO_DURATION_UNIT_MS[m[2]!]!;
  return sign * total;
}

const floorSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

/** robfig's ConstantDelaySchedule: every `delay` (whole seconds, at least one) from the start's second. */
function constantDelaySchedule(delayMs: number): Schedule {
  const delay = Math.max(1000, floorSecond(delayMs));
  return {
    next: (ms) => floorSecond(ms) + delay,
    latest(after, atOrBefore) {
      const origin = floorSecond(after);
      const k = Math.floor((atOrBefore - origin) / delay);
      return k >= 1 ? origin + k * delay : null;
    },
  };
}

/** Whether a robfig field sets the star bit: some comma part is `*` or `?` with a step of at most 1. */
function hasStarBit(field: string): boolean {
  return field.split(",").some((part) => {
    const [range, step] = part.split("/");
    return (range === "*" || range === "?") && (step === undefined || Number(step) <= 1);
  });
}

function fieldSchedule(fields: string[], timeZone: string): Schedule {
  const pattern = fields.map((f) => f.replace(/(^|,)\?/g, "$1*")).join(" ");
  const cron = new Cron(pattern, {
    paused: true,
    mode: "5-part",
    sloppyRanges: true,
    timezone: timeZone,
    domAndDow: hasStarBit(fields[2]!) || hasStarBit(fields[4]!),
  });
  return {
    next: (ms) => cron.nextRun(new Date(ms))?.getTime() ?? null,
    latest(after, atOrBefore) {
      const t = cron.previousRuns(1, new Date(atOrBefore + 1))[0]?.getTime();
      return t !== undefined && t > after ? t : null;
    },
  };
}

/** What the schedule string says: the fields or descriptor, and a `TZ=` / `CRON_TZ=` zone if any. */
function splitTimeZonePrefix(schedule: string): { spec: string; timeZone?: string } {
  if (!schedule.startsWith("TZ=") && !schedule.startsWith("CRON_TZ=")) return { spec: schedule };
  const space = schedule.indexOf(" ");
  return { spec: schedule.slice(space).trim(), timeZone: schedule.slice(schedule.indexOf("=") + 1, space) };
}

/**
 * Parses a CronJob schedule as cron.ParseStandard would after upstream's formatSchedule: a
 * `TZ=`/`CRON_TZ=` prefix wins over `timeZone`; no zone means UTC. Throws an Error carrying
 * robfig's message when the string does not parse.
 */
export function parseSchedule(schedule: string, timeZone?: string | null): Schedule {
  const invalid = cronScheduleError(schedule);
  if (invalid) throw new Error(invalid);
  const prefixed = splitTimeZonePrefix(schedule);
  const zone = prefixed.timeZone || timeZone || "UTC";
  const spec = DESCRIPTORS[prefixed.spec] ?? prefixed.spec;
  if (spec.startsWith("@every ")) return constantDelaySchedule(parseGoDuration(spec.slice("@every ".length)));
  return fieldSchedule(spec.split(/\s+/).filter(Boolean), zone);
}

export type MissedSchedules = "none" | "few" | "many";

export class InvalidScheduleError extends Error {}

/**
 * Upstream's mostRecentScheduleTime: the latest schedule time in `(earliest, now]` (null when
 * none has come) and how many were missed, counted as upstream does (the time since the first
 * missed one over the gap between the first two). Throws {@link InvalidScheduleError} for a
 * schedule that never fires (e.g. `0 0 31 2 *`).
 */
export function mostRecentScheduleTime(schedule: Schedule, earliest: number, now: number): { mostRecent: number | null; missed: MissedSchedules } {
  const t1 = schedule.next(earliest);
  const t2 = t1 === null ? null : schedule.next(t1);
  if (t1 !== null && now < t1) return { mostRecent: null, missed: "none" };
  if (t1 !== null && t2 !== null && now < t2) return { mostRecent: t1, missed: "none" };
  const gapSeconds = t1 === null || t2 === null ? 0 : Math.round((t2 - t1) / 1000);
  if (gapSeconds < 1) throw new InvalidScheduleError(MESSAGES.tooClose);
  const missedCount = Math.floor(Math.floor((now - t1!) / 1000) / gapSeconds) + 1;
  return { mostRecent: schedule.latest(earliest, now), missed: missedCount > MAX_MISSED_SCHEDULES ? "many" : "few" };
}

/**
 * Upstream's nextScheduleTimeDuration: ms from `now` to the schedule time after the most recent
 * one (after `earliest` when none came, after `now` when the count failed), plus
 * {@link NEXT_SCHEDULE_DELTA_MS}; null when the schedule has no next time.
 */
export function nextScheduleDelayMs(schedule: Schedule, earliest: number, now: number): number | null {
  let base = now;
  try {
    const { mostRecent, missed } = mostRecentScheduleTime(schedule, earliest, now);
    base = mostRecent ?? (missed === "none" ? earliest : now);
  } catch (e) {
    if (!(e instanceof InvalidScheduleError)) throw e;
  }
  const next = schedule.next(base);
  return next === null ? null : next + NEXT_SCHEDULE_DELTA_MS - now;
}

// ---- time formats --------------------------------------------------------------------------------

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The UTC offset (minutes east) of a zone at an instant. */
function offsetMinutes(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" }).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return Math.round((wall - floorSecond(ms)) / 60_000);
}

/** Go's `t.In(zone).Format(time.RFC3339)`: local time with its offset, `Z` for a zero offset. */
export function formatRFC3339InZone(ms: number, timeZone = "UTC"): string {
  const offset = offsetMinutes(ms, timeZone);
  const local = new Date(floorSecond(ms) + offset * 60_000).toISOString().slice(0, 19);
  if (offset === 0) return `${local}Z`;
  const abs = Math.abs(offset);
  return `${local}${offset < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Go's `t.UTC().Format(time.RFC1123Z)`: `Mon, 02 Jan 2006 15:04:05 +0000`. */
export function formatRFC1123Z(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

// ---- jobs ----------------------------------------------------------------------------------------

/** getJobName: `<cronjob>-<scheduled time in unix minutes>`. */
export function jobName(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(scheduledMs / 60_000)}`;
}

const asCronJob = (cj: KObject): KObject => ({ ...cj, apiVersion: "batch/v1", kind: "CronJob" });

/** getJobFromTemplate2: the Job a CronJob (whose `timeZone`, if set, is known) creates for a scheduled time. */
export function jobFromCronJob(cj: KObject, scheduledMs: number): KObject {
  const template = cj.spec?.jobTemplate ?? {};
  const meta = template.metadata ?? {};
  const job: KObject = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobName(cj.metadata.name!, scheduledMs),
      namespace: cj.metadata.namespace,
      annotations: { ...meta.annotations, [SCHEDULED_TIMESTAMP_ANNOTATION]: formatRFC3339InZone(scheduledMs, cj.spec?.timeZone || "UTC") },
      ownerReferences: [newControllerRef(asCronJob(cj))],
    },
    spec: clone(template.spec ?? {}),
  };
  if (meta.labels && Object.keys(meta.labels).length) job.metadata.labels = clone(meta.labels);
  return job;
}

/** The simulated schedule time a CronJob's Job was created for: its annotation, else its name's minutes; null if neither says. */
export function scheduledTimeOfJob(job: KObject, cronJobName: string): number | null {
  const t = Date.parse(job.metadata.annotations?.[SCHEDULED_TIMESTAMP_ANNOTATION] ?? "");
  if (!Number.isNaN(t)) return t;
  const m = new RegExp(`^${cronJobName.replace(/[.]/g, "\\.")}-(\\d+)$`).exec(job.metadata.name ?? "");
  return m ? Number(m[1]) * 60_000 : null;
}

const jobConditionTrue = (job: KObject, type: string) => findCondition(job, type)?.status === "True";

/** The terminal condition type of a finished Job (Complete or Failed), else null. */
function finishedType(job: KObject): "Complete" | "Failed" | null {
  if (jobConditionTrue(job, "Complete")) return "Complete";
  if (jobConditionTrue(job, "Failed")) return "Failed";
  return null;
}

const timeMs = (t: unknown): number => (typeof t === "string" ? Date.parse(t) : NaN);

/** byJobStartTime: by `status.startTime`, Jobs without one last, then by name. */
export function byJobStartTime(a: KObject, b: KObject): number {
  const ta = timeMs(a.status?.startTime);
  const tb = timeMs(b.status?.startTime);
  if (Number.isNaN(ta) !== Number.isNaN(tb)) return Number.isNaN(ta) ? 1 : -1;
  if (!Number.isNaN(ta) && ta !== tb) return ta - tb;
  return String(a.metadata.name) < String(b.metadata.name) ? -1 : String(a.metadata.name) > String(b.metadata.name) ? 1 : 0;
}

export interface ObjectReference {
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  apiVersion: string;
  resourceVersion?: string;
}

/** ref.GetReference for a Job, as `status.active` lists it. */
function jobReference(job: KObject): ObjectReference {
  return { kind: "Job", namespace: job.metadata.namespace, name: job.metadata.name!, uid: job.metadata.uid, apiVersion: "batch/v1", resourceVersion: job.metadata.resourceVersion };
}

interface CronJobStatus {
  active: ObjectReference[];
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
  cursor: number;
}

/**
 * The simulated schedule time up to which schedules are handled: the later of the status cursor
 * and the Jobs' scheduled times; null when neither exists (a CronJob the controller never saw).
 */
export function scheduleCursor(cj: KObject, jobs: readonly KObject[]): number | null {
  const times = [timeMs(cj.status?.[SCHEDULE_CURSOR_FIELD]), ...jobs.map((j) => scheduledTimeOfJob(j, cj.metadata.name!) ?? NaN)].filter((t) => !Number.isNaN(t));
  return times.length ? Math.max(...times) : null;
}

function statusObject(s: CronJobStatus): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.active.length) out.active = s.active;
  if (s.lastScheduleTime) out.lastScheduleTime = s.lastScheduleTime;
  if (s.lastSuccessfulTime) out.lastSuccessfulTime = s.lastSuccessfulTime;
  out[SCHEDULE_CURSOR_FIELD] = formatTime(s.cursor);
  return out;
}

const isAlreadyExists = (e: unknown) => e instanceof StatusError && e.code === 409 && e.reason === "AlreadyExists";
const isNamespaceTerminating = (e: unknown) => e instanceof StatusError && e.code === 403 && /because it is being terminated/.test(e.message);
const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

// ---- the reconciler ------------------------------------------------------------------------------

export function cronJobReconciler(deps: CronJobDeps): Reconciler {
  const cronJobs = deps.registry.resource("batch", "cronjobs");
  const jobs = deps.registry.resource("batch", "jobs");
  const event = (cj: KObject, reason: string, message: string, type: "Normal" | "Warning" = "Normal") =>
    recordEvent(deps.registry, deps.user, deps.now(), asCronJob(cj), { type, reason, message, component: CRONJOB_CONTROLLER });

  /** deleteJob: deletes a Job (Background) and drops it from `active`; false when the delete failed. */
  async function deleteJob(cj: KObject, status: CronJobStatus, job: KObject): Promise<boolean> {
    try {
      await jobs.delete(job.metadata.namespace!, job.metadata.name!, { user: deps.user, propagationPolicy: "Background" });
    } catch (e) {
      if (!isNotFound(e)) {
        await event(cj, "FailedDelete", `Deleted job: ${errorMessage(e)}`, "Warning");
        return false;
      }
    }
    status.active = status.active.filter((r) => r.uid !== job.metadata.uid);
    await event(cj, "SuccessfulDelete", `Deleted job ${job.metadata.name}`);
    return true;
  }

  /** cleanupFinishedJobs: the oldest finished Jobs beyond each history limit. */
  async function cleanupFinishedJobs(cj: KObject, status: CronJobStatus, owned: readonly KObject[]): Promise<void> {
    const limits = { Complete: cj.spec?.successfulJobsHistoryLimit, Failed: cj.spec?.failedJobsHistoryLimit };
    for (const type of ["Complete", "Failed"] as const) {
      const limit = limits[type];
      if (typeof limit !== "number") continue;
      const finished = owned.filter((j) => !j.metadata.deletionTimestamp && finishedType(j) === type).sort(byJobStartTime);
      for (const job of finished.slice(0, Math.max(0, finished.length - limit))) await deleteJob(cj, status, job);
    }
  }

  /** Reconciles `active` and `lastSuccessfulTime` with the Jobs that exist. */
  async function trackJobs(cj: KObject, status: CronJobStatus, owned: readonly KObject[]): Promise<void> {
    for (const job of owned) {
      const listed = status.active.some((r) => r.uid === job.metadata.uid);
      const finished = finishedType(job);
      if (!listed && !finished) {
        await event(cj, "UnexpectedJob", `Saw a job that the controller did not create or forgot: ${job.metadata.name}`, "Warning");
      } else if (listed && finished) {
        status.active = status.active.filter((r) => r.uid !== job.metadata.uid);
        await event(cj, "SawCompletedJob", `Saw completed job: ${job.metadata.name}, status: ${finished}`);
      }
      const completed = job.status?.completionTime;
      if (finished === "Complete" && completed && !(timeMs(completed) <= timeMs(status.lastSuccessfulTime))) status.lastSuccessfulTime = completed;
    }
    for (const ref of [...status.active]) {
      if (owned.some((j) => j.metadata.uid === ref.uid)) continue;
      const live = getOrNull(jobs, ref.namespace ?? cj.metadata.namespace!, ref.name);
      if (live && live.metadata.uid === ref.uid) continue;
      await event(cj, "MissingJob", `Active job went missing: ${ref.name}`);
      status.active = status.active.filter((r) => r !== ref);
    }
  }

  /** syncCronJob's scheduling half: may create (and for Replace delete) Jobs; returns the requeue. */
  async function schedule(cj: KObject, status: CronJobStatus): Promise<ReconcileResult> {
    const spec = cj.spec ?? {};
    const timeZone: string | undefined = typeof spec.timeZone === "string" ? spec.timeZone : undefined;
    if (timeZone !== undefined && !isKnownTimeZone(timeZone)) {
      await event(cj, "UnknownTimeZone", `invalid timeZone: ${JSON.stringify(timeZone)}: unknown time zone ${timeZone}`, "Warning");
      return;
    }
    if (spec.suspend === true) return;

    const scheduleString = String(spec.schedule ?? "");
    if (scheduleString.includes("TZ")) {
      await event(cj, "UnsupportedSchedule", `CRON_TZ or TZ used in schedule ${JSON.stringify(scheduleString)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`, "Warning");
    }
    let sched: Schedule;
    try {
      sched = parseSchedule(scheduleString, timeZone);
    } catch (e) {
      await event(cj, "UnparseableSchedule", `unparseable schedule: ${JSON.stringify(scheduleString)} : ${errorMessage(e)}`, "Warning");
      return;
    }

    const now = deps.simulatedNow();
    const deadlineSeconds: number | undefined = typeof spec.startingDeadlineSeconds === "number" ? spec.startingDeadlineSeconds : undefined;
    const requeue = (): ReconcileResult => {
      const ms = nextScheduleDelayMs(sched, status.cursor, now);
      return ms === null ? undefined : { requeueAfterMs: Math.max(0, ms) };
    };

    let due: { mostRecent: number | null; missed: MissedSchedules };
    try {
      const windowStart = deadlineSeconds === undefined ? status.cursor : Math.max(status.cursor, now - deadlineSeconds * 1000);
      due = mostRecentScheduleTime(sched, windowStart, now);
    } catch (e) {
      await event(cj, "InvalidSchedule", `invalid schedule: ${scheduleString} : ${errorMessage(e)}`, "Warning");
      return;
    }
    if (due.mostRecent !== null && due.missed === "many") await event(cj, "TooManyMissedTimes", MESSAGES.tooManyMissed, "Warning");
    const scheduled = due.mostRecent;
    if (scheduled === null) return requeue();

    // Upstream's guard; the deadline window above already keeps such times out.
    if (deadlineSeconds !== undefined && scheduled + deadlineSeconds * 1000 < now) {
      await event(cj, "MissSchedule", `Missed scheduled time to start a job: ${formatRFC1123Z(scheduled)}`, "Warning");
      return requeue();
    }
    const name = jobName(cj.metadata.name!, scheduled);
    if (status.active.some((r) => r.name === name)) return requeue();
    if (spec.concurrencyPolicy === "Forbid" && status.active.length > 0) {
      await event(cj, "JobAlreadyActive", MESSAGES.forbidActive);
      return requeue();
    }
    if (spec.concurrencyPolicy === "Replace") {
      for (const ref of [...status.active]) {
        const job = getOrNull(jobs, ref.namespace ?? cj.metadata.namespace!, ref.name);
        if (!job) {
          status.active = status.active.filter((r) => r !== ref);
          continue;
        }
        if (!(await deleteJob(cj, status, job))) throw new Error(`could not replace job ${job.metadata.namespace}/${job.metadata.name}`);
      }
    }

    let created: KObject;
    try {
      created = await jobs.create(cj.metadata.namespace!, jobFromCronJob(cj, scheduled), { user: deps.user });
      await event(cj, "SuccessfulCreate", `Created job ${created.metadata.name}`);
    } catch (e) {
      if (isNamespaceTerminating(e)) return;
      if (!isAlreadyExists(e)) {
        await event(cj, "FailedCreate", `Error creating job: ${errorMessage(e)}`, "Warning");
        throw e;
      }
      const existing = getOrNull(jobs, cj.metadata.namespace!, name);
      if (!existing || controllerOf(existing)?.uid !== cj.metadata.uid) return requeue();
      if (status.active.some((r) => r.uid === existing.metadata.uid)) return requeue();
      created = existing;
    }
    status.active = [...status.active, jobReference(created)];
    status.lastScheduleTime = formatTime(deps.now());
    status.cursor = scheduled;
    return requeue();
  }

  return async (key) => {
    const [namespace, name] = splitKey(key);
    const cj = getOrNull(cronJobs, namespace, name);
    if (!cj) return;
    const owned = jobs.list(namespace, { selection: selectEverything }).items.filter((j) => controllerOf(j)?.uid === cj.metadata.uid);
    const prev = cj.status ?? {};
    const status: CronJobStatus = {
      active: clone(prev.active ?? []),
      lastScheduleTime: prev.lastScheduleTime,
      lastSuccessfulTime: prev.lastSuccessfulTime,
      cursor: scheduleCursor(cj, owned) ?? deps.simulatedNow(),
    };

    await cleanupFinishedJobs(cj, status, owned);
    await trackJobs(cj, status, owned);
    const result = cj.metadata.deletionTimestamp ? undefined : await schedule(cj, status);

    const next = statusObject(status);
    if (deepEqual(next, prev)) return result;
    const fresh = getOrNull(cronJobs, namespace, name);
    if (!fresh || fresh.metadata.uid !== cj.metadata.uid) return;
    try {
      await cronJobs.patch(
        namespace,
        name,
        (current) => {
          current.status = next;
          return current;
        },
        { user: deps.user, subresource: "status" },
      );
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    return result;
  };
}
