/**
 * Validation of ObjectMeta shared by every kind, as upstream's ValidateObjectMeta and
 * ValidateObjectMetaUpdate.
 */
import {
  isDNS1123Label,
  isQualifiedName,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  nameIsPathSegment,
  validateObjectMetaAnnotations,
  validateObjectMetaLabels,
  type NameValidator,
} from "../apiserver/names";
import { field, type FieldError } from "../apiserver/status";
import type { KindDefinition, KObject } from "./types";

const nameValidators: Record<NonNullable<KindDefinition["nameRule"]>, NameValidator> = {
  subdomain: nameIsDNSSubdomain,
  "dns1123-label": nameIsDNSLabel,
  "dns1035-label": nameIsDNS1035Label,
  "path-segment": nameIsPathSegment,
};

export function validateObjectMeta(obj: KObject, kind: KindDefinition): FieldError[] {
  const meta = obj.metadata;
  const errs: FieldError[] = [];
  const validateName = nameValidators[kind.nameRule ?? "subdomain"];
  if (meta.generateName) {
    for (const msg of validateName(meta.generateName, true)) errs.push(field.invalid("metadata.generateName", meta.generateName, msg));
  }
  if (!meta.name) {
    errs.push(field.required("metadata.name", "name or generateName is required"));
  } else {
    for (const msg of validateName(meta.name, false)) errs.push(field.invalid("metadata.name", meta.name, msg));
  }
  if (kind.namespaced) {
    if (!meta.namespace) errs.push(field.required("metadata.namespace"));
    else for (const msg of isDNS1123Label(meta.namespace)) errs.push(field.invalid("metadata.namespace", meta.namespace, msg));
  }
  errs.push(...validateObjectMetaLabels(meta.labels), ...validateObjectMetaAnnotations(meta.annotations));
  (meta.ownerReferences ?? []).forEach((ref, i) => {
    const path = `metadata.ownerReferences[${i}]`;
    if (!ref.apiVersion) errs.push(field.invalid(`${path}.apiVersion`, ref.apiVersion ?? "", "version must not be empty"));
    if (!ref.kind) errs.push(field.invalid(`${path}.kind`, ref.kind ?? "", "kind must not be empty"));
    if (!ref.name) errs.push(field.invalid(`${path}.name`, ref.name ?? "", "name must not be empty"));
    if (!ref.uid) errs.push(field.invalid(`${path}.uid`, ref.uid ?? "", "uid must not be empty"));
  });
  if ((meta.ownerReferences ?? []).filter((r) => r.controller).length > 1) {
    errs.push(field.invalid("metadata.ownerReferences", meta.ownerReferences, "Only one reference can have Controller set to true"));
  }
  (meta.finalizers ?? []).forEach((f, i) => {
    for (const msg of isQualifiedName(f)) errs.push(field.invalid(`metadata.finalizers[${i}]`, f, msg));
  });
  return errs;
}

export function validateObjectMetaUpdate(next: KObject, old: KObject, kind: KindDefinition): FieldError[] {
  const errs = validateObjectMeta(next, kind);
  if (next.metadata.uid !== old.metadata.uid) errs.push(field.invalid("metadata.uid", next.metadata.uid, "field is immutable"));
  if (old.metadata.deletionTimestamp) {
    const before = new Set(old.metadata.finalizers ?? []);
    const added = (next.metadata.finalizers ?? []).filter((f) => !before.has(f));
    if (added.length) {
      errs.push(
        field.forbidden(
          "metadata.finalizers",
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(", ")}}`,
        ),
      );
    }
  }
  return errs;
}
