/**
 * apps/v1 ReplicaSet: SetDefaults_ReplicaSet, pkg/registry/apps/replicaset/strategy.go,
 * ValidateReplicaSetSpec and printReplicaSet.
 */
import type { FieldError } from "../../apiserver/status";
import { age } from "../../apiserver/duration";
import { formatLabelSelector, type LabelSelectorObject } from "../../apiserver/selectors/labels";
import type { KindStrategy, KObject, TableColumn } from "../types";
import {
  decodeAndDefaultTemplate,
  deepEqual,
  immutableSelector,
  isRecord,
  layoutContainerCells,
  setGeneration,
  templateContainers,
  validateNonnegative,
  validateReplicaSetSelectorAndTemplate,
  type Obj,
  templateWideColumns,
} from "./pod-template";

const num = (v: unknown): number => (typeof v === "number" ? v : 0);

function decodeAndDefault(obj: KObject): void {
  if (!isRecord(obj.spec)) obj.spec = {};
  if (obj.spec.replicas === undefined || obj.spec.replicas === null) obj.spec.replicas = 1;
  if (!isRecord(obj.spec.template)) obj.spec.template = {};
  decodeAndDefaultTemplate(obj, obj.spec.template);
}

function prepareForCreate(obj: KObject): FieldError[] {
  decodeAndDefault(obj);
  obj.status = { replicas: 0 };
  return [];
}

function prepareForUpdate(obj: KObject, old: KObject): void {
  decodeAndDefault(obj);
  setGeneration(obj, old, !deepEqual(obj.spec, old.spec));
}

/** ValidateReplicaSetSpec (its empty-selector message does say "deployment", as upstream's). */
function validate(obj: KObject): FieldError[] {
  const spec: Obj = isRecord(obj.spec) ? obj.spec : {};
  return [
    ...validateNonnegative(spec.replicas, "spec.replicas"),
    ...validateNonnegative(spec.minReadySeconds, "spec.minReadySeconds"),
    ...validateReplicaSetSelectorAndTemplate(spec, "empty selector is invalid for deployment"),
  ];
}

function validateUpdate(obj: KObject, old: KObject): FieldError[] {
  return immutableSelector(obj.spec?.selector, old.spec?.selector, "spec.selector");
}

const columns: TableColumn[] = [
  { name: "Desired", type: "integer", priority: 0, description: "The number of pods wanted." },
  { name: "Current", type: "integer", priority: 0, description: "The number of pods that exist." },
  { name: "Ready", type: "integer", priority: 0, description: "The number of ready pods." },
  { name: "Age", type: "string", priority: 0, description: "Time since the replica set was created." },
  ...templateWideColumns("replica set"),
];

function cells(obj: KObject, now: Date): unknown[] {
  const spec: Obj = isRecord(obj.spec) ? obj.spec : {};
  const status: Obj = isRecord(obj.status) ? obj.status : {};
  const [names, images] = layoutContainerCells(templateContainers(spec.template));
  return [
    num(spec.replicas),
    num(status.replicas),
    num(status.readyReplicas),
    age(obj.metadata.creationTimestamp, now),
    names,
    images,
    formatLabelSelector(spec.selector as LabelSelectorObject),
  ];
}

export const replicaSetStrategy: KindStrategy = {
  group: "apps",
  version: "v1",
  kind: "ReplicaSet",
  resource: "replicasets",
  singular: "replicaset",
  namespaced: true,
  shortNames: ["rs"],
  categories: ["all"],
  nameRule: "subdomain",
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
