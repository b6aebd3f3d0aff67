/**
 * batch/v1 CronJob: SetDefaults_CronJob, pkg/registry/batch/cronjob/strategy.go,
 * validateCronJobSpec (with robfig/cron's standard parser and its messages) and printCronJob.
 */
import { field, type FieldError } from "../../apiserver/status";
import { age } from "../../apiserver/duration";
import { formatLabelSelector, type LabelSelectorObject } from "../../apiserver/selectors/labels";
import type { KindStrategy, KObject, TableColumn } from "../types";
import { arr, decodeAndDefaultTemplate, deepEqual, isRecord, layoutContainerCells, selectorError, setGeneration, templateContainers, templateWideColumns, validateNonnegative, type Obj } from "./pod-template";
import { validateJobSpec } from "./job";

const str = (v: unknown): string => (typeof v === "string" ? v : "");

function decodeAndDefault(obj: KObject): void {
  if (!isRecord(obj.spec)) obj.spec = {};
  const spec = obj.spec;
  if (!spec.concurrencyPolicy) spec.concurrencyPolicy = "Allow";
  if (spec.suspend === undefined || spec.suspend === null) spec.suspend = false;
  if (spec.successfulJobsHistoryLimit === undefined || spec.successfulJobsHistoryLimit === null) spec.successfulJobsHistoryLimit = 3;
  if (spec.failedJobsHistoryLimit === undefined || spec.failedJobsHistoryLimit === null) spec.failedJobsHistoryLimit = 1;
  if (!isRecord(spec.jobTemplate)) spec.jobTemplate = {};
  if (!isRecord(spec.jobTemplate.spec)) spec.jobTemplate.spec = {};
  const jobSpec = spec.jobTemplate.spec;
  if (!isRecord(jobSpec.template)) jobSpec.template = {};
  decodeAndDefaultTemplate(obj, jobSpec.template);
}

function prepareForCreate(obj: KObject): FieldError[] {
  decodeAndDefault(obj);
  obj.status = {};
  return [];
}

function prepareForUpdate(obj: KObject, old: KObject): void {
  decodeAndDefault(obj);
  setGeneration(obj, old, !deepEqual(obj.spec, old.spec));
}

// ---------------------------------------------------------------------------------------------
// robfig/cron/v3 ParseStandard (minute hour day-of-month month day-of-week, or a descriptor)
// ---------------------------------------------------------------------------------------------

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const months: Bounds = {
  min: 1,
  max: 12,
  names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
const fieldBounds: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  months,
  { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } },
];

class CronError extends Error {}

/** Go's strconv.Atoi, reported as robfig does. */
function mustParseInt(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) {
    throw new CronError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  }
  const n = Number(expr);
  if (!Number.isSafeInteger(n) || Math.abs(n) > 2 ** 63 - 1) {
    throw new CronError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: value out of range`);
  }
  if (n < 0) throw new CronError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, b: Bounds): number {
  const named = b.names?.[expr.toLowerCase()];
  return named !== undefined ? named : mustParseInt(expr);
}

function checkRange(expr: string, b: Bounds): void {
  const rangeAndStep = expr.split("/");
  const lowAndHigh = rangeAndStep[0]!.split("-");
  const singleDigit = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
    start = b.min;
    end = b.max;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, b);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, b);
    else throw new CronError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]!);
    if (singleDigit) end = b.max;
  } else if (rangeAndStep.length > 2) {
    throw new CronError(`too many slashes: ${expr}`);
  }
  if (start < b.min) throw new CronError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new CronError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new CronError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronError(`step of range should be a positive number: ${expr}`);
}

/** Go's time.ParseDuration grammar (for `@every`). */
function isGoDuration(s: string): boolean {
  if (s === "0") return true;
  return /^[+-]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/.test(s);
}

/** Whether a time zone name is known (Go's time.LoadLocation, approximated with the IANA database of Intl). */
export function isKnownTimeZone(tz: string): boolean {
  if (tz === "UTC" || tz === "") return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** ParseStandard's error for `schedule`, or null when it parses. */
export function cronScheduleError(schedule: string): string | null {
  try {
    let spec = schedule;
    if (spec.length === 0) throw new CronError("empty spec string");
    if (spec.startsWith("TZ=") || spec.startsWith("CRON_TZ=")) {
      const i = spec.indexOf(" ");
      const eq = spec.indexOf("=");
      const loc = i < 0 ? spec.slice(eq + 1) : spec.slice(eq + 1, i);
      if (i < 0 || !isKnownTimeZone(loc)) throw new CronError(`provided bad location ${loc}: unknown time zone ${loc}`);
      spec = spec.slice(i).trim();
    }
    if (spec.startsWith("@")) {
      const descriptors = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];
      if (descriptors.includes(spec)) return null;
      if (spec.startsWith("@every ")) {
        const d = spec.slice("@every ".length);
        if (!isGoDuration(d)) throw new CronError(`failed to parse duration ${spec}: time: invalid duration ${JSON.stringify(d)}`);
        return null;
      }
      throw new CronError(`unrecognized descriptor: ${spec}`);
    }
    const fields = spec.split(/\s+/).filter((f) => f.length > 0);
    if (fields.length !== 5) throw new CronError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`);
    fields.forEach((f, i) => {
      for (const part of f.split(",")) checkRange(part, fieldBounds[i]!);
    });
    return null;
  } catch (e) {
    if (e instanceof CronError) return e.message;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

const validTimeZoneCharacters = /^[A-Za-z.\-_0-9+]{1,14}$/;

function validateTimeZone(tz: unknown, path: string): FieldError[] {
  if (tz === undefined || tz === null) return [];
  const value = str(tz);
  if (value.length === 0) return [field.invalid(path, value, "timeZone must be nil or non-empty string")];
  for (const part of value.split("/")) {
    if (part === "." || part === ".." || part.startsWith("-") || !validTimeZoneCharacters.test(part)) {
      return [field.invalid(path, value, `unknown time zone ${value}`)];
    }
  }
  const errs: FieldError[] = [];
  if (value.toLowerCase() === "local") errs.push(field.invalid(path, value, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"));
  else if (!isKnownTimeZone(value)) errs.push(field.invalid(path, value, `unknown time zone ${value}`));
  return errs;
}

/** validateCronJobSpec (on create: no TZ in the schedule, timeZone always checked). */
function validateSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const schedule = str(spec.schedule);
  if (!schedule) errs.push(field.required("spec.schedule", ""));
  else {
    const err = cronScheduleError(schedule);
    if (err) errs.push(field.invalid("spec.schedule", schedule, err));
    if (schedule.includes("TZ")) errs.push(field.invalid("spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
  }
  errs.push(...validateNonnegative(spec.startingDeadlineSeconds, "spec.startingDeadlineSeconds"));
  errs.push(...validateTimeZone(spec.timeZone, "spec.timeZone"));
  const policy = str(spec.concurrencyPolicy);
  if (!policy) errs.push(field.required("spec.concurrencyPolicy", ""));
  else if (!["Allow", "Forbid", "Replace"].includes(policy)) errs.push(field.notSupported("spec.concurrencyPolicy", policy, ["Allow", "Forbid", "Replace"]));
  const jobTemplate: Obj = isRecord(spec.jobTemplate) ? spec.jobTemplate : {};
  const jobSpec: Obj = isRecord(jobTemplate.spec) ? jobTemplate.spec : {};
  errs.push(...validateJobSpec(jobSpec, "spec.jobTemplate.spec"));
  if (jobSpec.selector !== undefined && jobSpec.selector !== null) {
    errs.push(selectorError(jobSpec.selector, "spec.jobTemplate.spec.selector", "`selector` will be auto-generated"));
  }
  if (jobSpec.manualSelector === true) errs.push(field.notSupported("spec.jobTemplate.spec.manualSelector", true, ["nil", "false"]));
  errs.push(...validateNonnegative(spec.successfulJobsHistoryLimit, "spec.successfulJobsHistoryLimit"));
  errs.push(...validateNonnegative(spec.failedJobsHistoryLimit, "spec.failedJobsHistoryLimit"));
  return errs;
}

function validate(obj: KObject): FieldError[] {
  const errs = validateSpec(isRecord(obj.spec) ? obj.spec : {});
  // The controller appends an 11-character suffix to job names (63 - 11 = 52); checked on create only.
  const name = obj.metadata.name ?? "";
  if (!obj.metadata.resourceVersion && name.length > 52) errs.push(field.invalid("metadata.name", name, "must be no more than 52 characters"));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Table (printCronJob)
// ---------------------------------------------------------------------------------------------

const columns: TableColumn[] = [
  { name: "Schedule", type: "string", priority: 0, description: "The cron schedule." },
  { name: "Timezone", type: "string", priority: 0, description: "The time zone the schedule is read in." },
  { name: "Suspend", type: "boolean", priority: 0, description: "Whether new runs are suspended." },
  { name: "Active", type: "integer", priority: 0, description: "Jobs currently running." },
  { name: "Last Schedule", type: "string", priority: 0, description: "Time since a job was last scheduled." },
  { name: "Age", type: "string", priority: 0, description: "Time since the cron job was created." },
  ...templateWideColumns("job"),
];

function cells(obj: KObject, now: Date): unknown[] {
  const spec: Obj = isRecord(obj.spec) ? obj.spec : {};
  const status: Obj = isRecord(obj.status) ? obj.status : {};
  const jobSpec: Obj = isRecord(spec.jobTemplate) && isRecord(spec.jobTemplate.spec) ? spec.jobTemplate.spec : {};
  const suspend = typeof spec.suspend === "boolean" ? (spec.suspend ? "True" : "False") : "<unset>";
  const lastSchedule = typeof status.lastScheduleTime === "string" && status.lastScheduleTime ? age(status.lastScheduleTime, now) : "<none>";
  const [names, images] = layoutContainerCells(templateContainers(jobSpec.template));
  return [
    str(spec.schedule),
    typeof spec.timeZone === "string" ? spec.timeZone : "<none>",
    suspend,
    arr(status.active).length,
    lastSchedule,
    age(obj.metadata.creationTimestamp, now),
    names,
    images,
    formatLabelSelector(jobSpec.selector as LabelSelectorObject),
  ];
}

export const cronJobStrategy: KindStrategy = {
  group: "batch",
  version: "v1",
  kind: "CronJob",
  resource: "cronjobs",
  singular: "cronjob",
  namespaced: true,
  shortNames: ["cj"],
  categories: ["all"],
  nameRule: "subdomain",
  tracksGeneration: true,
  subresources: { status: true },
  prepareForCreate,
  prepareForUpdate,
  validate,
  table: { columns, cells },
};
