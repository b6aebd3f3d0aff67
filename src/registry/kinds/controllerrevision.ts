/**
 * apps/v1 ControllerRevision: an immutable snapshot of a DaemonSet's or StatefulSet's pod template
 * (`data`, a strategic-merge patch the controllers write and `kubectl rollout undo` applies) with
 * its ordinal `revision`. Validation as upstream's ValidateControllerRevision(Update): `data` is
 * required and immutable, `revision` non-negative (and, as upstream, mutable: the controllers
 * re-number a revision that becomes current again). `kubectl get controllerrevisions` columns as
 * upstream's printControllerRevision: NAME, CONTROLLER (`daemonset.apps/fluentd`), REVISION, AGE.
 */
import { field, type FieldError } from "../../apiserver/status";
import { age } from "../../apiserver/duration";
import type { KindStrategy, KObject, OwnerReference } from "../types";
import { IMMUTABLE_MSG, deepEqual, validateNonnegative } from "./pod-template";

export function validateControllerRevision(revision: KObject): FieldError[] {
  const errs: FieldError[] = [];
  if (revision.data === undefined || revision.data === null) errs.push(field.required("data", "data is mandatory"));
  errs.push(...validateNonnegative(revision.revision, "revision"));
  return errs;
}

function validateControllerRevisionUpdate(next: KObject, old: KObject): FieldError[] {
  return deepEqual(next.data ?? null, old.data ?? null) ? [] : [field.invalid("data", next.data ?? null, IMMUTABLE_MSG)];
}

/** The CONTROLLER cell: `<kind>.<group>/<name>` of the controller reference (formatResourceName), or `<none>`. */
export function controllerCell(ref: OwnerReference | undefined): string {
  if (!ref) return "<none>";
  const slash = ref.apiVersion.indexOf("/");
  const group = slash < 0 ? "" : ref.apiVersion.slice(0, slash);
  const kind = group ? `${ref.kind}.${group}` : ref.kind;
  return `${kind.toLowerCase()}/${ref.name}`;
}

export const controllerRevisionStrategy: KindStrategy = {
  group: "apps",
  version: "v1",
  kind: "ControllerRevision",
  resource: "controllerrevisions",
  singular: "controllerrevision",
  namespaced: true,
  nameRule: "subdomain",
  validate: validateControllerRevision,
  validateUpdate: validateControllerRevisionUpdate,
  table: {
    columns: [
      { name: "Controller", type: "string", priority: 0, description: "Controller of the object" },
      { name: "Revision", type: "string", priority: 0, description: "Revision indicates the revision of the state represented by Data." },
      { name: "Age", type: "string", priority: 0, description: "Time since the revision was created." },
    ],
    cells: (obj, now) => [
      controllerCell((obj.metadata.ownerReferences ?? []).find((r) => r.controller === true)),
      typeof obj.revision === "number" ? obj.revision : 0,
      age(obj.metadata.creationTimestamp, now),
    ],
  },
};
