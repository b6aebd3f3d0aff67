/**
 * apps/v1 DaemonSet: SetDefaults_DaemonSet, pkg/registry/apps/daemonset/strategy.go,
 * ValidateDaemonSetSpec and printDaemonSet.
 *
 * The internal `templateGeneration` travels in apps/v1 as the
 * `deprecated.daemonset.template.generation` annotation: 1 on create, +1 on template changes.
 */
import { field, type FieldError } from "../../apiserver/status";
import { age } from "../../apiserver/duration";
import { formatLabelSelector, labelSelectorAsSelector, validateLabelSelector, type LabelSelectorObject } from "../../apiserver/selectors/labels";
import type { KindStrategy, KObject, TableColumn } from "../types";
import {
  arr,
  decodeAndDefaultTemplate,
  deepEqual,
  formatLabels,
  goIntOrString,
  goStruct,
  immutableSelector,
  intOrPercentValue,
  isNotMoreThan100Percent,
  isRecord,
  layoutContainerCells,
  selectorError,
  selectorMismatch,
  setGeneration,
  templateContainers,
  validateNonnegative,
  validatePodTemplateSpec,
  validatePositiveIntOrPercent,
  withRenderedValue,
  type Obj,
  templateWideColumns,
} from "./pod-template";

export const TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation";

const num = (v: unknown): number => (typeof v === "number" ? v : 0);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

function decodeAndDefault(obj: KObject): void {
  if (!isRecord(obj.spec)) obj.spec = {};
  const spec = obj.spec;
  if (!isRecord(spec.updateStrategy)) spec.updateStrategy = {};
  const us = spec.updateStrategy;
  if (!us.type) us.type = "RollingUpdate";
  if (us.type === "RollingUpdate") {
    if (!isRecord(us.rollingUpdate)) us.rollingUpdate = {};
    if (us.rollingUpdate.maxUnavailable === undefined || us.rollingUpdate.maxUnavailable === null) us.rollingUpdate.maxUnavailable = 1;
    if (us.rollingUpdate.maxSurge === undefined || us.rollingUpdate.maxSurge === null) us.rollingUpdate.maxSurge = 0;
  }
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
  if (!isRecord(spec.template)) spec.template = {};
  decodeAndDefaultTemplate(obj, spec.template);
}

function templateGeneration(obj: KObject): number {
  const raw = obj.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  const n = typeof raw === "string" && /^[0-9]+$/.test(raw) ? Number(raw) : 0;
  return n;
}

function setTemplateGeneration(obj: KObject, generation: number): void {
  obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [TEMPLATE_GENERATION_ANNOTATION]: String(generation) };
}

function prepareForCreate(obj: KObject): FieldError[] {
  decodeAndDefault(obj);
  obj.status = { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
  setTemplateGeneration(obj, Math.max(templateGeneration(obj), 1));
  return [];
}

function prepareForUpdate(obj: KObject, old: KObject): void {
  decodeAndDefault(obj);
  const oldGeneration = Math.max(templateGeneration(old), 1);
  const templateChanged = !deepEqual(obj.spec.template, old.spec?.template);
  setTemplateGeneration(obj, templateChanged ? oldGeneration + 1 : oldGeneration);
  setGeneration(obj, old, templateChanged || !deepEqual(obj.spec, old.spec));
}

function validateUpdateStrategy(us: unknown): FieldError[] {
  const s: Obj = isRecord(us) ? us : {};
  const path = "spec.updateStrategy";
  switch (s.type) {
    case "OnDelete":
      return [];
    case "RollingUpdate": {
      if (!isRecord(s.rollingUpdate)) return [field.required(`${path}.rollingUpdate`, "")];
      const ru = s.rollingUpdate;
      const p = `${path}.rollingUpdate`;
      const errs: FieldError[] = [];
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, `${p}.maxSurge`));
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`));
      errs.push(...isNotMoreThan100Percent(ru.maxSurge, `${p}.maxSurge`));
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable && hasSurge) {
        errs.push(withRenderedValue(field.invalid(`${p}.maxSurge`, ru.maxSurge, "may not be set when maxUnavailable is non-zero"), goIntOrString(ru.maxSurge)));
      } else if (!hasUnavailable && !hasSurge) {
        errs.push(field.required(`${p}.maxUnavailable`, "cannot be 0 when maxSurge is 0"));
      }
      return errs;
    }
    default:
      return [withRenderedValue(field.notSupported(path, s, ["RollingUpdate", "OnDelete"]), goStruct("apps.DaemonSetUpdateStrategy", s))];
  }
}

/** ValidateDaemonSetSpec. */
function validate(obj: KObject): FieldError[] {
  const spec: Obj = isRecord(obj.spec) ? obj.spec : {};
  const errs: FieldError[] = [];
  const selector = spec.selector;
  errs.push(...validateLabelSelector(isRecord(selector) ? (selector as LabelSelectorObject) : null, "spec.selector", { allowInvalidLabelValueInSelector: false }));
  const template: Obj = isRecord(spec.template) ? spec.template : {};
  const labels = isRecord(template.metadata) ? template.metadata.labels : undefined;
  try {
    if (!labelSelectorAsSelector(selector as LabelSelectorObject).matches(isRecord(labels) ? (labels as Record<string, string>) : {})) {
      errs.push(selectorMismatch(labels, "spec.template.metadata.labels"));
    }
  } catch {
    // An unparsable selector was reported above.
  }
  if (isRecord(selector) && Object.keys(isRecord(selector.matchLabels) ? selector.matchLabels : {}).length + arr(selector.matchExpressions).length === 0) {
    errs.push(selectorError(selector, "spec.selector", "empty selector is invalid for daemonset"));
  }
  errs.push(...validatePodTemplateSpec(template, "spec.template"));
  const podSpec: Obj = isRecord(template.spec) ? template.spec : {};
  if (podSpec.restartPolicy !== "Always") errs.push(field.notSupported("spec.template.spec.restartPolicy", str(podSpec.restartPolicy), ["Always"]));
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(field.forbidden("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in DaemonSet is not Supported"));
  }
  errs.push(...validateNonnegative(spec.minReadySeconds, "spec.minReadySeconds"));
  errs.push(...validateUpdateStrategy(spec.updateStrategy));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, "spec.revisionHistoryLimit"));
  return errs;
}

function validateUpdate(obj: KObject, old: KObject): FieldError[] {
  return immutableSelector(obj.spec?.selector, old.spec?.selector, "spec.selector");
}

const columns: TableColumn[] = [
  { name: "Desired", type: "integer", priority: 0, description: "Nodes that should run the daemon pod." },
  { name: "Current", type: "integer", priority: 0, description: "Nodes running at least one daemon pod." },
  { name: "Ready", type: "integer", priority: 0, description: "Nodes whose daemon pod is ready." },
  { name: "Up-to-date", type: "integer", priority: 0, description: "Nodes running the current template." },
  { name: "Available", type: "integer", priority: 0, description: "Nodes whose daemon pod has been ready for minReadySeconds." },
  { name: "Node Selector", type: "string", priority: 0, description: "The node selector of the pod template." },
  { name: "Age", type: "string", priority: 0, description: "Time since the daemon set was created." },
  ...templateWideColumns("daemon set"),
];

function cells(obj: KObject, now: Date): unknown[] {
  const spec: Obj = isRecord(obj.spec) ? obj.spec : {};
  const status: Obj = isRecord(obj.status) ? obj.status : {};
  const template: Obj = isRecord(spec.template) ? spec.template : {};
  const [names, images] = layoutContainerCells(templateContainers(template));
  return [
    num(status.desiredNumberScheduled),
    num(status.currentNumberScheduled),
    num(status.numberReady),
    num(status.updatedNumberScheduled),
    num(status.numberAvailable),
    formatLabels(isRecord(template.spec) ? template.spec.nodeSelector : undefined),
    age(obj.metadata.creationTimestamp, now),
    names,
    images,
    formatLabelSelector(spec.selector as LabelSelectorObject),
  ];
}

export const daemonSetStrategy: KindStrategy = {
  group: "apps",
  version: "v1",
  kind: "DaemonSet",
  resource: "daemonsets",
  singular: "daemonset",
  namespaced: true,
  shortNames: ["ds"],
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
