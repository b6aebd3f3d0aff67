/**
 * apps/v1 StatefulSet: SetDefaults_StatefulSet, pkg/registry/apps/statefulset/strategy.go,
 * ValidateStatefulSetSpec / ValidateStatefulSetUpdate and printStatefulSet.
 *
 * As upstream, the pod template's PodSpec is not validated here (only its labels and
 * annotations); a bad PodSpec surfaces when the controller creates pods.
 */
import { field, type FieldError } from "../../apiserver/status";
import { age } from "../../apiserver/duration";
import { labelSelectorAsSelector, validateLabelSelector, type LabelSelector, type LabelSelectorObject } from "../../apiserver/selectors/labels";
import { validateAnnotations, validateLabels } from "../../apiserver/names";
import type { KindStrategy, KObject, TableColumn } from "../types";
import {
  arr,
  canonicalizeResourceList,
  decodeAndDefaultTemplate,
  deepEqual,
  defaultPersistentVolumeClaimSpec,
  goIntOrString,
  goStruct,
  intOrPercentValue,
  isNotMoreThan100Percent,
  isRecord,
  layoutContainerCells,
  quantityDecodeFailure,
  selectorError,
  selectorMismatch,
  setGeneration,
  templateContainers,
  validateNonnegative,
  validatePodSpecificAnnotations,
  validatePositiveIntOrPercent,
  withRenderedValue,
  type Obj,
  templateWideColumns,
} from "./pod-template";

const num = (v: unknown): number => (typeof v === "number" ? v : 0);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

function decodeAndDefault(obj: KObject): void {
  if (!isRecord(obj.spec)) obj.spec = {};
  const spec = obj.spec;
  if (!spec.podManagementPolicy) spec.podManagementPolicy = "OrderedReady";
  if (!isRecord(spec.updateStrategy)) spec.updateStrategy = {};
  const us = spec.updateStrategy;
  if (!us.type) {
    us.type = "RollingUpdate";
    if (!isRecord(us.rollingUpdate)) us.rollingUpdate = {};
  }
  if (us.type === "RollingUpdate" && isRecord(us.rollingUpdate) && (us.rollingUpdate.partition === undefined || us.rollingUpdate.partition === null)) {
    us.rollingUpdate.partition = 0;
  }
  if (!isRecord(spec.persistentVolumeClaimRetentionPolicy)) spec.persistentVolumeClaimRetentionPolicy = {};
  const retention = spec.persistentVolumeClaimRetentionPolicy;
  if (!retention.whenDeleted) retention.whenDeleted = "Retain";
  if (!retention.whenScaled) retention.whenScaled = "Retain";
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
  if (!isRecord(spec.template)) spec.template = {};
  decodeAndDefaultTemplate(obj, spec.template);
  for (const pvc of arr(spec.volumeClaimTemplates)) {
    if (!isRecord(pvc)) continue;
    if (!isRecord(pvc.spec)) pvc.spec = {};
    if (isRecord(pvc.spec.resources)) {
      canonicalizeResourceList(pvc.spec.resources.limits, quantityDecodeFailure(obj));
      canonicalizeResourceList(pvc.spec.resources.requests, quantityDecodeFailure(obj));
    }
    defaultPersistentVolumeClaimSpec(pvc.spec);
    if (!isRecord(pvc.status)) pvc.status = {};
    if (!pvc.status.phase) pvc.status.phase = "Pending";
  }
}

function prepareForCreate(obj: KObject): FieldError[] {
  decodeAndDefault(obj);
  obj.status = { availableReplicas: 0, replicas: 0 };
  return [];
}

function prepareForUpdate(obj: KObject, old: KObject): void {
  decodeAndDefault(obj);
  setGeneration(obj, old, !deepEqual(obj.spec, old.spec));
}

function validateUpdateStrategy(us: unknown): FieldError[] {
  const s: Obj = isRecord(us) ? us : {};
  const errs: FieldError[] = [];
  switch (s.type) {
    case undefined:
    case null:
    case "":
      errs.push(field.required("spec.updateStrategy", ""));
      break;
    case "OnDelete":
      if (isRecord(s.rollingUpdate)) {
        errs.push(
          withRenderedValue(
            field.invalid("spec.updateStrategy.rollingUpdate", s.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"),
            goStruct("apps.RollingUpdateStatefulSetStrategy", { partition: s.rollingUpdate.partition ?? 0, ...s.rollingUpdate }),
          ),
        );
      }
      break;
    case "RollingUpdate":
      if (isRecord(s.rollingUpdate)) {
        const ru = s.rollingUpdate;
        const p = "spec.updateStrategy.rollingUpdate";
        errs.push(...validateNonnegative(ru.partition, `${p}.partition`));
        if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== null) {
          errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`));
          if (intOrPercentValue(ru.maxUnavailable) === 0) {
            errs.push(withRenderedValue(field.invalid(`${p}.maxUnavailable`, ru.maxUnavailable, "cannot be 0"), goIntOrString(ru.maxUnavailable)));
          }
          errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`));
        }
      }
      break;
    default:
      errs.push(withRenderedValue(field.invalid("spec.updateStrategy", s, "must be 'RollingUpdate' or 'OnDelete'"), goStruct("apps.StatefulSetUpdateStrategy", s)));
  }
  return errs;
}

/** ValidateStatefulSetSpec. */
function validate(obj: KObject): FieldError[] {
  const spec: Obj = isRecord(obj.spec) ? obj.spec : {};
  const errs: FieldError[] = [];
  const pmp = spec.podManagementPolicy;
  if (!pmp) errs.push(field.required("spec.podManagementPolicy", ""));
  else if (pmp !== "OrderedReady" && pmp !== "Parallel") errs.push(field.invalid("spec.podManagementPolicy", pmp, "must be 'OrderedReady' or 'Parallel'"));
  errs.push(...validateUpdateStrategy(spec.updateStrategy));
  if (isRecord(spec.persistentVolumeClaimRetentionPolicy)) {
    for (const k of ["whenDeleted", "whenScaled"]) {
      const v = str(spec.persistentVolumeClaimRetentionPolicy[k]);
      if (v !== "Retain" && v !== "Delete") errs.push(field.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${k}`, v, ["Retain", "Delete"]));
    }
  }
  errs.push(...validateNonnegative(spec.replicas, "spec.replicas"));
  errs.push(...validateNonnegative(spec.minReadySeconds, "spec.minReadySeconds"));
  if (isRecord(spec.ordinals)) errs.push(...validateNonnegative(spec.ordinals.start, "spec.ordinals.start"));

  const selector = spec.selector;
  if (selector === undefined || selector === null) errs.push(field.required("spec.selector", ""));
  else {
    errs.push(...validateLabelSelector(selector as LabelSelectorObject, "spec.selector", { allowInvalidLabelValueInSelector: false }));
    const sel: Obj = isRecord(selector) ? selector : {};
    if (Object.keys(isRecord(sel.matchLabels) ? sel.matchLabels : {}).length + arr(sel.matchExpressions).length === 0) {
      errs.push(selectorError(selector, "spec.selector", "empty selector is invalid for statefulset"));
    }
  }
  let parsed: LabelSelector | null = null;
  try {
    parsed = labelSelectorAsSelector(selector as LabelSelectorObject);
  } catch {
    errs.push(selectorError(selector, "spec.selector", ""));
  }
  const template: Obj = isRecord(spec.template) ? spec.template : {};
  const meta: Obj = isRecord(template.metadata) ? template.metadata : {};
  if (parsed) {
    if (!parsed.empty() && !parsed.matches(isRecord(meta.labels) ? (meta.labels as Record<string, string>) : {})) {
      errs.push(selectorMismatch(meta.labels, "spec.template.metadata.labels"));
    }
    errs.push(...validateLabels(isRecord(meta.labels) ? meta.labels : undefined, "spec.template.labels"));
    errs.push(...validateAnnotations(isRecord(meta.annotations) ? meta.annotations : undefined, "spec.template.annotations"));
    errs.push(...validatePodSpecificAnnotations(meta.annotations, template.spec, "spec.template.annotations"));
  }
  const podSpec: Obj = isRecord(template.spec) ? template.spec : {};
  if (podSpec.restartPolicy !== "Always") errs.push(field.notSupported("spec.template.spec.restartPolicy", str(podSpec.restartPolicy), ["Always"]));
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(field.forbidden("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in StatefulSet is not Supported"));
  }
  return errs;
}

const UPDATABLE = ["replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"];

/** ValidateStatefulSetUpdate: only some spec fields may change. */
function validateUpdate(obj: KObject, old: KObject): FieldError[] {
  const a: Obj = { ...(isRecord(obj.spec) ? obj.spec : {}) };
  const b: Obj = { ...(isRecord(old.spec) ? old.spec : {}) };
  for (const k of UPDATABLE) {
    delete a[k];
    delete b[k];
  }
  if (deepEqual(a, b)) return [];
  return [
    field.forbidden(
      "spec",
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ),
  ];
}

const columns: TableColumn[] = [
  { name: "Ready", type: "string", priority: 0, description: "Ready pods out of the desired replicas." },
  { name: "Age", type: "string", priority: 0, description: "Time since the stateful set was created." },
  ...templateWideColumns("stateful set", false),
];

function cells(obj: KObject, now: Date): unknown[] {
  const spec: Obj = isRecord(obj.spec) ? obj.spec : {};
  const status: Obj = isRecord(obj.status) ? obj.status : {};
  const [names, images] = layoutContainerCells(templateContainers(spec.template));
  return [`${num(status.readyReplicas)}/${num(spec.replicas)}`, age(obj.metadata.creationTimestamp, now), names, images];
}

export const statefulSetStrategy: KindStrategy = {
  group: "apps",
  version: "v1",
  kind: "StatefulSet",
  resource: "statefulsets",
  singular: "statefulset",
  namespaced: true,
  shortNames: ["sts"],
  categories: ["all"],
  nameRule: "dns1123-label",
  tracksGeneration: true,
  subresources: {
    status: true,
    scale: { specReplicas: "spec.replicas", statusReplicas: "status.replicas", labelSelector: "spec.selector" },
  },
  prepareForCreate,
  prepareForUpdate,
  validate,
  validateUpdate,
  table: { columns, cells },
};
