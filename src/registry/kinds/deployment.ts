/**
 * apps/v1 Deployment: SetDefaults_Deployment, pkg/registry/apps/deployment/strategy.go,
 * ValidateDeploymentSpec and printDeployment.
 */
import { field, type FieldError } from "../../apiserver/status";
import { age } from "../../apiserver/duration";
import { labelSelectorAsSelector, type LabelSelectorObject } from "../../apiserver/selectors/labels";
import type { KindStrategy, KObject, TableColumn } from "../types";
import {
  deepEqual,
  decodeAndDefaultTemplate,
  goStruct,
  immutableSelector,
  intOrPercentValue,
  isNotMoreThan100Percent,
  isRecord,
  layoutContainerCells,
  setGeneration,
  templateContainers,
  validateNonnegative,
  validatePositiveIntOrPercent,
  validateReplicaSetSelectorAndTemplate,
  withRenderedValue,
  goIntOrString,
  type Obj,
  templateWideColumns,
} from "./pod-template";

const num = (v: unknown): number => (typeof v === "number" ? v : 0);

/** SetDefaults_Deployment and the template's PodSpec defaults. */
function decodeAndDefault(obj: KObject): void {
  if (!isRecord(obj.spec)) obj.spec = {};
  const spec = obj.spec;
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  if (!isRecord(spec.strategy)) spec.strategy = {};
  const strategy = spec.strategy;
  if (!strategy.type) strategy.type = "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    if (!isRecord(strategy.rollingUpdate)) strategy.rollingUpdate = {};
    if (strategy.rollingUpdate.maxUnavailable === undefined || strategy.rollingUpdate.maxUnavailable === null) strategy.rollingUpdate.maxUnavailable = "25%";
    if (strategy.rollingUpdate.maxSurge === undefined || strategy.rollingUpdate.maxSurge === null) strategy.rollingUpdate.maxSurge = "25%";
  }
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
  if (spec.progressDeadlineSeconds === undefined || spec.progressDeadlineSeconds === null) spec.progressDeadlineSeconds = 600;
  if (!isRecord(spec.template)) spec.template = {};
  decodeAndDefaultTemplate(obj, spec.template);
}

function prepareForCreate(obj: KObject): FieldError[] {
  decodeAndDefault(obj);
  obj.status = {};
  return [];
}

function prepareForUpdate(obj: KObject, old: KObject): void {
  decodeAndDefault(obj);
  // Spec changes bump the generation; so do annotation changes (they are copied to ReplicaSets).
  setGeneration(obj, old, !deepEqual(obj.spec, old.spec) || !deepEqual(obj.metadata.annotations ?? null, old.metadata.annotations ?? null));
}

function validateRollingUpdate(ru: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, `${path}.maxUnavailable`));
  errs.push(...validatePositiveIntOrPercent(ru.maxSurge, `${path}.maxSurge`));
  if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
    errs.push(withRenderedValue(field.invalid(`${path}.maxUnavailable`, ru.maxUnavailable ?? null, "may not be 0 when `maxSurge` is 0"), goIntOrString(ru.maxUnavailable)));
  }
  errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, `${path}.maxUnavailable`));
  return errs;
}

function validateStrategy(strategy: unknown): FieldError[] {
  const s: Obj = isRecord(strategy) ? strategy : {};
  switch (s.type) {
    case "Recreate":
      return isRecord(s.rollingUpdate) ? [field.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")] : [];
    case "RollingUpdate":
      if (!isRecord(s.rollingUpdate)) return [field.required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil")];
      return validateRollingUpdate(s.rollingUpdate, "spec.strategy.rollingUpdate");
    default:
      return [
        withRenderedValue(field.notSupported("spec.strategy", s, ["Recreate", "RollingUpdate"]), goStruct("apps.DeploymentStrategy", { type: s.type ?? "", rollingUpdate: s.rollingUpdate })),
      ];
  }
}

/** ValidateDeploymentSpec. */
function validate(obj: KObject): FieldError[] {
  const spec: Obj = isRecord(obj.spec) ? obj.spec : {};
  const errs: FieldError[] = [];
  errs.push(...validateNonnegative(spec.replicas, "spec.replicas"));
  errs.push(...validateReplicaSetSelectorAndTemplate(spec, "empty selector is invalid for deployment"));
  errs.push(...validateStrategy(spec.strategy));
  errs.push(...validateNonnegative(spec.minReadySeconds, "spec.minReadySeconds"));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, "spec.revisionHistoryLimit"));
  if (isRecord(spec.rollbackTo)) errs.push(...validateNonnegative(spec.rollbackTo.revision, "spec.rollback.version"));
  if (typeof spec.progressDeadlineSeconds === "number") {
    errs.push(...validateNonnegative(spec.progressDeadlineSeconds, "spec.progressDeadlineSeconds"));
    if (spec.progressDeadlineSeconds <= num(spec.minReadySeconds)) {
      errs.push(field.invalid("spec.progressDeadlineSeconds", spec.progressDeadlineSeconds, "must be greater than minReadySeconds"));
    }
  }
  return errs;
}

/** apps/v1 forbids changing the selector. */
function validateUpdate(obj: KObject, old: KObject): FieldError[] {
  return immutableSelector(obj.spec?.selector, old.spec?.selector, "spec.selector");
}

const columns: TableColumn[] = [
  { name: "Ready", type: "string", priority: 0, description: "Ready pods out of the desired replicas." },
  { name: "Up-to-date", type: "string", priority: 0, description: "Pods running the current template." },
  { name: "Available", type: "string", priority: 0, description: "Pods ready for at least minReadySeconds." },
  { name: "Age", type: "string", priority: 0, description: "Time since the deployment was created." },
  ...templateWideColumns("deployment"),
];

function cells(obj: KObject, now: Date): unknown[] {
  const spec: Obj = isRecord(obj.spec) ? obj.spec : {};
  const status: Obj = isRecord(obj.status) ? obj.status : {};
  let selector: string;
  try {
    selector = labelSelectorAsSelector(spec.selector as LabelSelectorObject).toString();
  } catch {
    selector = "<invalid>";
  }
  const [names, images] = layoutContainerCells(templateContainers(spec.template));
  return [
    `${num(status.readyReplicas)}/${num(spec.replicas)}`,
    num(status.updatedReplicas),
    num(status.availableReplicas),
    age(obj.metadata.creationTimestamp, now),
    names,
    images,
    selector,
  ];
}

export const deploymentStrategy: KindStrategy = {
  group: "apps",
  version: "v1",
  kind: "Deployment",
  resource: "deployments",
  singular: "deployment",
  namespaced: true,
  shortNames: ["deploy"],
  categories: ["all"],
  nameRule: "subdomain",
  tracksGeneration: true,
  subresources: {
    // The deployment controller sets its revision annotation through status, so the generation stays.
    status: "with-annotations",
    scale: { specReplicas: "spec.replicas", statusReplicas: "status.replicas", labelSelector: "spec.selector" },
  },
  prepareForCreate,
  prepareForUpdate,
  validate,
  validateUpdate,
  table: { columns, cells },
};
