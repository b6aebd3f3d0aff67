/**
 * batch/v1 Job: SetDefaults_Job, pkg/registry/batch/job/strategy.go (selector generation),
 * pkg/apis/batch/validation and printJob.
 */
import { field, type FieldError } from "../../apiserver/status";
import { age, humanDuration } from "../../apiserver/duration";
import { formatLabelSelector, labelSelectorAsSelector, validateLabelSelector, type LabelSelectorObject } from "../../apiserver/selectors/labels";
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, regexError } from "../../apiserver/names";
import type { KindStrategy, KObject, TableColumn } from "../types";
import {
  arr,
  decodeAndDefaultTemplate,
  deepEqual,
  goStringMap,
  goStruct,
  immutableSelector,
  immutableValue,
  isRecord,
  layoutContainerCells,
  selectorError,
  selectorMismatch,
  setGeneration,
  templateContainers,
  tooMany,
  validateNonnegative,
  validatePodTemplateSpec,
  withRenderedValue,
  type Obj,
  templateWideColumns,
} from "./pod-template";

export const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";
export const CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid";
export const LEGACY_JOB_NAME_LABEL = "job-name";
export const LEGACY_CONTROLLER_UID_LABEL = "controller-uid";

const num = (v: unknown): number => (typeof v === "number" ? v : 0);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const MAX_INT32 = 2147483647;

/** SetDefaults_Job (including its copy of template labels to unlabelled jobs). */
function defaultJobSpec(obj: KObject): void {
  if (!isRecord(obj.spec)) obj.spec = {};
  const spec = obj.spec;
  const unset = (v: unknown) => v === undefined || v === null;
  if (unset(spec.completions) && unset(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  if (unset(spec.parallelism)) spec.parallelism = 1;
  if (unset(spec.backoffLimit)) spec.backoffLimit = unset(spec.backoffLimitPerIndex) ? 6 : MAX_INT32;
  if (!isRecord(spec.template)) spec.template = {};
  copyTemplateLabels(obj);
  if (unset(spec.completionMode)) spec.completionMode = "NonIndexed";
  if (unset(spec.suspend)) spec.suspend = false;
  if (isRecord(spec.podFailurePolicy)) {
    for (const rule of arr(spec.podFailurePolicy.rules)) {
      if (!isRecord(rule)) continue;
      for (const pattern of arr(rule.onPodConditions)) if (isRecord(pattern) && !pattern.status) pattern.status = "True";
    }
  }
  if (unset(spec.podReplacementPolicy)) spec.podReplacementPolicy = isRecord(spec.podFailurePolicy) ? "Failed" : "TerminatingOrFailed";
}

function copyTemplateLabels(obj: KObject): void {
  const template: Obj = isRecord(obj.spec?.template) ? obj.spec.template : {};
  const labels = isRecord(template.metadata) ? template.metadata.labels : undefined;
  if (isRecord(labels) && Object.keys(obj.metadata.labels ?? {}).length === 0) obj.metadata.labels = { ...labels };
}

function decodeAndDefault(obj: KObject): void {
  defaultJobSpec(obj);
  decodeAndDefaultTemplate(obj, obj.spec.template);
}

/** generateSelector: the controller-uid selector and the job-name/controller-uid template labels. */
function generateSelector(obj: KObject): void {
  const template: Obj = obj.spec.template;
  if (!isRecord(template.metadata)) template.metadata = {};
  if (!isRecord(template.metadata.labels)) template.metadata.labels = {};
  const labels = template.metadata.labels;
  const name = obj.metadata.name ?? "";
  const uid = obj.metadata.uid ?? "";
  for (const key of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) if (!(key in labels)) labels[key] = name;
  for (const key of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) if (!(key in labels)) labels[key] = uid;
  if (!isRecord(obj.spec.selector)) obj.spec.selector = {};
  if (!isRecord(obj.spec.selector.matchLabels)) obj.spec.selector.matchLabels = {};
  if (!(CONTROLLER_UID_LABEL in obj.spec.selector.matchLabels)) obj.spec.selector.matchLabels[CONTROLLER_UID_LABEL] = uid;
}

function prepareForCreate(obj: KObject): FieldError[] {
  decodeAndDefault(obj);
  if (obj.spec.manualSelector !== true) generateSelector(obj);
  // Reads re-apply the label defaulting, so an unlabelled job shows the generated labels.
  copyTemplateLabels(obj);
  obj.status = {};
  return [];
}

function prepareForUpdate(obj: KObject, old: KObject): void {
  decodeAndDefault(obj);
  setGeneration(obj, old, !deepEqual(obj.spec, old.spec));
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

function validateHasLabel(templateMeta: Obj, key: string, expected: string): FieldError[] {
  const labels: Obj = isRecord(templateMeta.labels) ? templateMeta.labels : {};
  const path = `spec.template.metadata.labels[${key}]`;
  if (!(key in labels)) return [field.required(path, `must be '${expected}'`)];
  if (labels[key] !== expected) return [withRenderedValue(field.invalid(path, labels, `must be '${expected}'`), goStringMap(labels))];
  return [];
}

/** validateGeneratedSelector: a generated selector must be exactly what the job would have generated. */
function validateGeneratedSelector(obj: KObject, requirePrefixedLabels: boolean): FieldError[] {
  const spec: Obj = isRecord(obj.spec) ? obj.spec : {};
  if (spec.manualSelector === true || !isRecord(spec.selector)) return [];
  const errs: FieldError[] = [];
  const uid = obj.metadata.uid ?? "";
  const name = obj.metadata.name ?? "";
  if (!uid) errs.push(field.required("metadata.uid", ""));
  const meta: Obj = isRecord(spec.template?.metadata) ? spec.template.metadata : {};
  errs.push(...validateHasLabel(meta, LEGACY_CONTROLLER_UID_LABEL, uid));
  errs.push(...validateHasLabel(meta, LEGACY_JOB_NAME_LABEL, name));
  const expected: Record<string, string> = {};
  if (requirePrefixedLabels) {
    errs.push(...validateHasLabel(meta, CONTROLLER_UID_LABEL, uid));
    errs.push(...validateHasLabel(meta, JOB_NAME_LABEL, name));
    expected[CONTROLLER_UID_LABEL] = uid;
    expected[JOB_NAME_LABEL] = name;
  }
  expected[LEGACY_CONTROLLER_UID_LABEL] = uid;
  expected[LEGACY_JOB_NAME_LABEL] = name;
  try {
    if (!labelSelectorAsSelector(spec.selector as LabelSelectorObject).matches(expected)) {
      errs.push(selectorError(spec.selector, "spec.selector", "`selector` not auto-generated"));
    }
  } catch {
    // reported by the selector's own validation
  }
  return errs;
}

const httpPathRe = /^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;

function validateManagedBy(value: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!value) return [field.required(path, "")];
  const slash = value.indexOf("/");
  if (slash <= 0 || slash === value.length - 1) return [field.invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const host = value.slice(0, slash);
  const rest = value.slice(slash + 1);
  for (const msg of isDNS1123Subdomain(host)) errs.push(field.invalid(path, host, msg));
  if (!httpPathRe.test(rest)) errs.push(field.invalid(path, rest, regexError("Invalid path", "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+")));
  if (value.length > 63) errs.push(field.tooLong(path, 63));
  return errs;
}

/** parseIndexInterval / validateIndexesFormat (succeededIndexes). */
function validateIndexesFormat(indexes: string, completions: number): { total: number; error?: string } {
  if (!indexes) return { total: 0 };
  let last: number | undefined;
  let total = 0;
  for (const interval of indexes.split(",")) {
    const limits = interval.split("-");
    if (limits.length > 2) return { total: 0, error: `the fragment ${JSON.stringify(interval)} violates the requirement that an index interval can have at most two parts separated by '-'` };
    const parse = (s: string) => (/^[+-]?[0-9]+$/.test(s) ? Number(s) : NaN);
    const x = parse(limits[0]!);
    if (Number.isNaN(x)) return { total: 0, error: `cannot convert string to integer for index: ${JSON.stringify(limits[0])}` };
    if (x >= completions) return { total: 0, error: `too large index: ${JSON.stringify(limits[0])}` };
    let y = x;
    if (limits.length > 1) {
      y = parse(limits[1]!);
      if (Number.isNaN(y)) return { total: 0, error: `cannot convert string to integer for index: ${JSON.stringify(limits[1])}` };
      if (y >= completions) return { total: 0, error: `too large index: ${JSON.stringify(limits[1])}` };
      if (x >= y) return { total: 0, error: `non-increasing order, previous: ${x}, current: ${y}` };
    }
    if (last !== undefined && last >= x) return { total: 0, error: `non-increasing order, previous: ${last}, current: ${x}` };
    total += y - x + 1;
    last = y;
  }
  return { total };
}

/** field.Invalid with upstream's OmitValueType: no bad value is printed. */
const invalidWithoutValue = (path: string, detail: string): FieldError => ({ type: "FieldValueInvalid", field: path, detail });

const podFailureActions = ["Count", "FailIndex", "FailJob", "Ignore"];

function validatePodFailurePolicy(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const rules = arr(spec.podFailurePolicy.rules);
  const rulesPath = `${path}.rules`;
  if (rules.length > 20) errs.push(tooMany(rulesPath, rules.length, 20));
  const template: Obj = isRecord(spec.template) ? spec.template : {};
  const podSpec: Obj = isRecord(template.spec) ? template.spec : {};
  const containerNames = new Set([...arr(podSpec.containers), ...arr(podSpec.initContainers)].map((c) => (isRecord(c) ? str(c.name) : "")));
  rules.forEach((raw, i) => {
    const rule: Obj = isRecord(raw) ? raw : {};
    const rp = `${rulesPath}[${i}]`;
    const action = str(rule.action);
    if (!action) errs.push(field.required(`${rp}.action`, `valid values: ["Count" "FailIndex" "FailJob" "Ignore"]`));
    else if (action === "FailIndex") {
      if (spec.backoffLimitPerIndex === undefined || spec.backoffLimitPerIndex === null) errs.push(field.invalid(`${rp}.action`, action, "requires the backoffLimitPerIndex to be set"));
    } else if (!podFailureActions.includes(action)) errs.push(field.notSupported(`${rp}.action`, action, podFailureActions));
    const onExit = isRecord(rule.onExitCodes) ? rule.onExitCodes : null;
    const onConditions = arr(rule.onPodConditions);
    if (onExit) {
      const ep = `${rp}.onExitCodes`;
      const op = str(onExit.operator);
      if (!op) errs.push(field.required(`${ep}.operator`, `valid values: ["In" "NotIn"]`));
      else if (op !== "In" && op !== "NotIn") errs.push(field.notSupported(`${ep}.operator`, op, ["In", "NotIn"]));
      if (typeof onExit.containerName === "string" && !containerNames.has(onExit.containerName)) {
        errs.push(field.invalid(`${ep}.containerName`, onExit.containerName, "must be one of the container or initContainer names in the pod template"));
      }
      const values = arr(onExit.values);
      if (values.length === 0) errs.push(field.invalid(`${ep}.values`, values, "at least one value is required"));
      else if (values.length > 255) errs.push(tooMany(`${ep}.values`, values.length, 255));
      const seen = new Set<number>();
      let ordered = true;
      values.forEach((v, j) => {
        if (op === "In" && v === 0) errs.push(field.invalid(`${ep}.values[${j}]`, v, "must not be 0 for the In operator"));
        if (seen.has(v)) errs.push(field.duplicate(`${ep}.values[${j}]`, v));
        else seen.add(v);
        if (j > 0 && values[j - 1] > v) ordered = false;
      });
      if (!ordered) errs.push(field.invalid(`${ep}.values`, values, "must be ordered"));
    }
    if (onConditions.length > 0) {
      const cp = `${rp}.onPodConditions`;
      if (onConditions.length > 20) errs.push(tooMany(cp, onConditions.length, 20));
      onConditions.forEach((rawPattern, j) => {
        const pattern: Obj = isRecord(rawPattern) ? rawPattern : {};
        for (const msg of isQualifiedName(str(pattern.type))) errs.push(field.invalid(`${cp}[${j}].type`, str(pattern.type), msg));
        const status = str(pattern.status);
        if (!status) errs.push(field.required(`${cp}[${j}].status`, `valid values: ["False" "True" "Unknown"]`));
        else if (!["False", "True", "Unknown"].includes(status)) errs.push(field.notSupported(`${cp}[${j}].status`, status, ["False", "True", "Unknown"]));
      });
    }
    if (onExit && onConditions.length > 0) errs.push(invalidWithoutValue(rp, "specifying both OnExitCodes and OnPodConditions is not supported"));
    if (!onExit && onConditions.length === 0) errs.push(invalidWithoutValue(rp, "specifying one of OnExitCodes and OnPodConditions is required"));
  });
  return errs;
}

function validateSuccessPolicy(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const rules = arr(spec.successPolicy.rules);
  const rulesPath = `${path}.rules`;
  if (rules.length === 0) errs.push(field.required(rulesPath, "at least one rules must be specified when the successPolicy is specified"));
  if (rules.length > 20) errs.push(tooMany(rulesPath, rules.length, 20));
  const completions = num(spec.completions);
  rules.forEach((raw, i) => {
    const rule: Obj = isRecord(raw) ? raw : {};
    const rp = `${rulesPath}[${i}]`;
    if ((rule.succeededCount === undefined || rule.succeededCount === null) && typeof rule.succeededIndexes !== "string") {
      errs.push(field.required(rp, "at least one of succeededCount or succeededIndexes must be specified"));
    }
    let total = 0;
    if (typeof rule.succeededIndexes === "string") {
      if (rule.succeededIndexes.length > 64 * 1024) errs.push(field.tooLong(`${rp}.succeededIndexes`, 64 * 1024));
      const parsed = validateIndexesFormat(rule.succeededIndexes, completions);
      total = parsed.total;
      if (parsed.error) errs.push(field.invalid(`${rp}.succeededIndexes`, rule.succeededIndexes, `error parsing succeededIndexes: ${parsed.error}`));
    }
    if (typeof rule.succeededCount === "number") {
      const cp = `${rp}.succeededCount`;
      errs.push(...validateNonnegative(rule.succeededCount, cp));
      if (rule.succeededCount > completions) {
        errs.push(field.invalid(cp, rule.succeededCount, `must be less than or equal to ${completions} (the number of specified completions)`));
      }
      if (typeof rule.succeededIndexes === "string" && rule.succeededCount > total) {
        errs.push(field.invalid(cp, rule.succeededCount, `must be less than or equal to ${total} (the number of indexes in the specified succeededIndexes field)`));
      }
    }
  });
  return errs;
}

/** validateJobSpec: everything but the selector (shared with CronJob's job template). `path` is the JobSpec's. */
export function validateJobSpec(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const set = (v: unknown) => v !== undefined && v !== null;
  for (const f of ["parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished", "backoffLimitPerIndex"]) {
    if (set(spec[f])) errs.push(...validateNonnegative(spec[f], `${path}.${f}`));
  }
  if (set(spec.maxFailedIndexes)) {
    errs.push(...validateNonnegative(spec.maxFailedIndexes, `${path}.maxFailedIndexes`));
    if (!set(spec.backoffLimitPerIndex)) errs.push(field.required(`${path}.backoffLimitPerIndex`, "when maxFailedIndexes is specified"));
  }
  if (typeof spec.managedBy === "string") errs.push(...validateManagedBy(spec.managedBy, `${path}.managedBy`));
  if (set(spec.completionMode)) {
    const mode = spec.completionMode;
    if (mode !== "NonIndexed" && mode !== "Indexed") errs.push(field.notSupported(`${path}.completionMode`, mode, ["NonIndexed", "Indexed"]));
    if (mode === "Indexed") {
      if (!set(spec.completions)) errs.push(field.required(`${path}.completions`, "when completion mode is Indexed"));
      if (typeof spec.parallelism === "number" && spec.parallelism > 100000) {
        errs.push(field.invalid(`${path}.parallelism`, spec.parallelism, "must be less than or equal to 100000 when completion mode is Indexed"));
      }
      if (typeof spec.completions === "number" && typeof spec.maxFailedIndexes === "number" && spec.maxFailedIndexes > spec.completions) {
        errs.push(field.invalid(`${path}.maxFailedIndexes`, spec.maxFailedIndexes, "must be less than or equal to completions"));
      }
      if (typeof spec.maxFailedIndexes === "number" && spec.maxFailedIndexes > 100000) {
        errs.push(field.invalid(`${path}.maxFailedIndexes`, spec.maxFailedIndexes, "must be less than or equal to 100000"));
      }
      if (typeof spec.completions === "number" && spec.completions > 100000 && set(spec.backoffLimitPerIndex)) {
        if (!set(spec.maxFailedIndexes)) errs.push(field.required(`${path}.maxFailedIndexes`, "must be specified when completions is above 100000"));
        if (typeof spec.parallelism === "number" && spec.parallelism > 10000) {
          errs.push(field.invalid(`${path}.parallelism`, spec.parallelism, "must be less than or equal to 10000 when completions are above 100000 and used with backoff limit per index"));
        }
        if (typeof spec.maxFailedIndexes === "number" && spec.maxFailedIndexes > 10000) {
          errs.push(field.invalid(`${path}.maxFailedIndexes`, spec.maxFailedIndexes, "must be less than or equal to 10000 when completions are above 100000 and used with backoff limit per index"));
        }
      }
    }
  }
  if (!set(spec.completionMode) || spec.completionMode === "NonIndexed") {
    if (set(spec.backoffLimitPerIndex)) errs.push(field.invalid(`${path}.backoffLimitPerIndex`, spec.backoffLimitPerIndex, "requires indexed completion mode"));
    if (set(spec.maxFailedIndexes)) errs.push(field.invalid(`${path}.maxFailedIndexes`, spec.maxFailedIndexes, "requires indexed completion mode"));
  }
  if (isRecord(spec.podFailurePolicy)) errs.push(...validatePodFailurePolicy(spec, `${path}.podFailurePolicy`));
  if (isRecord(spec.successPolicy)) {
    if (spec.completionMode !== "Indexed") {
      errs.push(withRenderedValue(field.invalid(`${path}.successPolicy`, spec.successPolicy, "requires indexed completion mode"), goStruct("batch.SuccessPolicy", spec.successPolicy)));
    } else errs.push(...validateSuccessPolicy(spec, `${path}.successPolicy`));
  }
  if (set(spec.podReplacementPolicy)) {
    const prp = spec.podReplacementPolicy;
    if (isRecord(spec.podFailurePolicy)) {
      if (prp !== "Failed") errs.push(field.notSupported(`${path}.podReplacementPolicy`, prp, ["Failed"]));
    } else if (prp !== "Failed" && prp !== "TerminatingOrFailed") {
      errs.push(field.notSupported(`${path}.podReplacementPolicy`, prp, ["Failed", "TerminatingOrFailed"]));
    }
  }
  errs.push(...validatePodTemplateSpec(spec.template, `${path}.template`));
  const podSpec: Obj = isRecord(spec.template) && isRecord(spec.template.spec) ? spec.template.spec : {};
  const restartPolicy = str(podSpec.restartPolicy);
  const rpPath = `${path}.template.spec.restartPolicy`;
  if (restartPolicy === "Always" || restartPolicy === "") errs.push(field.required(rpPath, 'valid values: "OnFailure", "Never"'));
  else if (restartPolicy !== "OnFailure" && restartPolicy !== "Never") errs.push(field.notSupported(rpPath, restartPolicy, ["OnFailure", "Never"]));
  else if (isRecord(spec.podFailurePolicy) && restartPolicy !== "Never") errs.push(field.invalid(rpPath, restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'));
  return errs;
}

/** ValidateJobSpec: validateJobSpec plus the selector and its match with the template. */
function validateJobSpecWithSelector(spec: Obj): FieldError[] {
  const errs = validateJobSpec(spec, "spec");
  if (spec.selector === undefined || spec.selector === null) errs.push(field.required("spec.selector", ""));
  else errs.push(...validateLabelSelector(spec.selector as LabelSelectorObject, "spec.selector", { allowInvalidLabelValueInSelector: false }));
  try {
    const labels = isRecord(spec.template?.metadata) ? spec.template.metadata.labels : undefined;
    if (!labelSelectorAsSelector(spec.selector as LabelSelectorObject).matches(isRecord(labels) ? (labels as Record<string, string>) : {})) {
      errs.push(selectorMismatch(labels, "spec.template.metadata.labels"));
    }
  } catch {
    // reported above
  }
  return errs;
}

/** ValidateJob. */
function validate(obj: KObject): FieldError[] {
  const spec: Obj = isRecord(obj.spec) ? obj.spec : {};
  const errs: FieldError[] = [];
  errs.push(...validateGeneratedSelector(obj, true));
  errs.push(...validateJobSpecWithSelector(spec));
  if (spec.completionMode === "Indexed" && typeof spec.completions === "number" && spec.completions > 0) {
    const hostname = `${obj.metadata.name ?? ""}-${spec.completions - 1}`;
    if (isDNS1123Label(hostname).length > 0) {
      errs.push(field.invalid("metadata.name", obj.metadata.name ?? "", `will not able to create pod with invalid DNS label: ${hostname}`));
    }
  }
  return errs;
}

/** The pod template with the scheduling directives a suspended, never-started job may change. */
function mutableSchedulingTemplate(template: Obj, next: Obj): Obj {
  const out: Obj = structuredClone(template);
  const spec: Obj = isRecord(out.spec) ? out.spec : (out.spec = {});
  const nextSpec: Obj = isRecord(next.spec) ? next.spec : {};
  const oldAffinity = isRecord(spec.affinity) ? spec.affinity : undefined;
  const newAffinity = isRecord(nextSpec.affinity) ? nextSpec.affinity : undefined;
  if (!newAffinity && oldAffinity) {
    delete oldAffinity.nodeAffinity;
    if (Object.keys(oldAffinity).length === 0) delete spec.affinity;
  } else if (newAffinity && !oldAffinity) {
    spec.affinity = newAffinity.nodeAffinity === undefined ? {} : { nodeAffinity: structuredClone(newAffinity.nodeAffinity) };
  } else if (newAffinity && oldAffinity) {
    if (newAffinity.nodeAffinity === undefined) delete oldAffinity.nodeAffinity;
    else oldAffinity.nodeAffinity = structuredClone(newAffinity.nodeAffinity);
  }
  for (const k of ["nodeSelector", "tolerations", "schedulingGates"]) {
    if (nextSpec[k] === undefined) delete spec[k];
    else spec[k] = structuredClone(nextSpec[k]);
  }
  const meta: Obj = isRecord(out.metadata) ? out.metadata : (out.metadata = {});
  const nextMeta: Obj = isRecord(next.metadata) ? next.metadata : {};
  for (const k of ["annotations", "labels"]) {
    if (nextMeta[k] === undefined) delete meta[k];
    else meta[k] = structuredClone(nextMeta[k]);
  }
  return out;
}

/** ValidateJobSpecUpdate. */
function validateUpdate(obj: KObject, old: KObject): FieldError[] {
  const spec: Obj = isRecord(obj.spec) ? obj.spec : {};
  const oldSpec: Obj = isRecord(old.spec) ? old.spec : {};
  const errs: FieldError[] = [];
  // completions: elastic for Indexed jobs when changed together with parallelism.
  if (spec.completionMode === "Indexed") {
    if (!deepEqual(spec.completions ?? null, oldSpec.completions ?? null) && typeof spec.completions === "number" && spec.completions !== spec.parallelism) {
      errs.push(field.invalid("spec.completions", spec.completions, "can only be modified in tandem with spec.parallelism"));
    }
  } else errs.push(...immutableValue(spec.completions, oldSpec.completions, "spec.completions"));
  errs.push(...immutableSelector(spec.selector, oldSpec.selector, "spec.selector"));
  const suspendedNeverStarted = oldSpec.suspend === true && !(isRecord(old.status) && old.status.startTime);
  const oldTemplate: Obj = isRecord(oldSpec.template) ? oldSpec.template : {};
  const newTemplate: Obj = isRecord(spec.template) ? spec.template : {};
  const comparable = suspendedNeverStarted ? mutableSchedulingTemplate(oldTemplate, newTemplate) : oldTemplate;
  if (!deepEqual(newTemplate, comparable)) {
    errs.push(withRenderedValue(field.invalid("spec.template", newTemplate, "field is immutable"), goStruct("core.PodTemplateSpec", newTemplate)));
  }
  errs.push(...immutableValue(spec.completionMode, oldSpec.completionMode, "spec.completionMode"));
  if (!deepEqual(spec.podFailurePolicy ?? null, oldSpec.podFailurePolicy ?? null)) {
    errs.push(withRenderedValue(field.invalid("spec.podFailurePolicy", spec.podFailurePolicy ?? null, "field is immutable"), goStruct("batch.PodFailurePolicy", spec.podFailurePolicy)));
  }
  errs.push(...immutableValue(spec.backoffLimitPerIndex, oldSpec.backoffLimitPerIndex, "spec.backoffLimitPerIndex"));
  errs.push(...immutableValue(spec.managedBy, oldSpec.managedBy, "spec.managedBy"));
  if (!deepEqual(spec.successPolicy ?? null, oldSpec.successPolicy ?? null)) {
    errs.push(withRenderedValue(field.invalid("spec.successPolicy", spec.successPolicy ?? null, "field is immutable"), goStruct("batch.SuccessPolicy", spec.successPolicy)));
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Table (printJob)
// ---------------------------------------------------------------------------------------------

const conditionTrue = (status: Obj, type: string): boolean => {
  const c = arr(status.conditions).find((x) => isRecord(x) && x.type === type);
  return isRecord(c) && c.status === "True";
};

const columns: TableColumn[] = [
  { name: "Status", type: "string", priority: 0, description: "Whether the job is running, complete, failed or suspended." },
  { name: "Completions", type: "string", priority: 0, description: "Succeeded pods out of the completions wanted." },
  { name: "Duration", type: "string", priority: 0, description: "How long the job ran (or has been running)." },
  { name: "Age", type: "string", priority: 0, description: "Time since the job was created." },
  ...templateWideColumns("job"),
];

/** printJob's STATUS. */
export function jobStatusCell(obj: KObject): string {
  const status: Obj = isRecord(obj.status) ? obj.status : {};
  if (conditionTrue(status, "Complete")) return "Complete";
  if (conditionTrue(status, "Failed")) return "Failed";
  if (obj.metadata.deletionTimestamp) return "Terminating";
  if (conditionTrue(status, "Suspended")) return "Suspended";
  if (conditionTrue(status, "FailureTarget")) return "FailureTarget";
  return "Running";
}

function cells(obj: KObject, now: Date): unknown[] {
  const spec: Obj = isRecord(obj.spec) ? obj.spec : {};
  const status: Obj = isRecord(obj.status) ? obj.status : {};
  const succeeded = num(status.succeeded);
  let completions: string;
  if (typeof spec.completions === "number") completions = `${succeeded}/${spec.completions}`;
  else completions = num(spec.parallelism) > 1 ? `${succeeded}/1 of ${spec.parallelism}` : `${succeeded}/1`;
  let duration = "";
  const start = typeof status.startTime === "string" ? Date.parse(status.startTime) : NaN;
  if (!Number.isNaN(start)) {
    const end = typeof status.completionTime === "string" ? Date.parse(status.completionTime) : NaN;
    duration = humanDuration((Number.isNaN(end) ? now.getTime() : end) - start);
  }
  const [names, images] = layoutContainerCells(templateContainers(spec.template));
  return [jobStatusCell(obj), completions, duration, age(obj.metadata.creationTimestamp, now), names, images, formatLabelSelector(spec.selector as LabelSelectorObject)];
}

export const jobStrategy: KindStrategy = {
  group: "batch",
  version: "v1",
  kind: "Job",
  resource: "jobs",
  singular: "job",
  namespaced: true,
  categories: ["all"],
  nameRule: "subdomain",
  tracksGeneration: true,
  subresources: { status: true },
  prepareForCreate,
  prepareForUpdate,
  validate,
  validateUpdate,
  table: { columns, cells },
};

