/**
 * Validation of apiextensions.k8s.io/v1 CustomResourceDefinitions, with upstream's field paths
 * and messages (k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation).
 */
import { isDNS1035Label, isDNS1123Subdomain } from "../apiserver/names";
import { field, type FieldError } from "../apiserver/status";
import { ruleCompileErrors } from "./cel";
import type { CrdVersion } from "./custom-resource";
import { parseJsonPath } from "./printer";
import { structuralErrors, type Schema } from "./schema";

const COLUMN_TYPES = ["integer", "number", "string", "boolean", "date"];

/** The errors of a CRD's name and spec (create and update). */
export function validateCrd(crd: KObjectLike): FieldError[] {
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  const errs: FieldError[] = [];
  if (crd.metadata.name !== `${names.plural}.${spec.group}`) {
    errs.push(field.invalid("metadata.name", crd.metadata.name, `must be spec.names.plural+"."+spec.group`));
  }
  if (!spec.group) errs.push(field.required("spec.group"));
  else {
    const groupErrs = isDNS1123Subdomain(spec.group);
    if (groupErrs.length) errs.push(field.invalid("spec.group", spec.group, groupErrs.join(",")));
    else if (spec.group.split(".").length < 2) errs.push(field.invalid("spec.group", spec.group, "should be a domain with at least one dot"));
  }
  if (!spec.scope) errs.push(field.required("spec.scope"));
  else if (spec.scope !== "Cluster" && spec.scope !== "Namespaced") errs.push(field.notSupported("spec.scope", spec.scope, ["Cluster", "Namespaced"]));

  const versions = (Array.isArray(spec.versions) ? spec.versions : []) as CrdVersion[];
  if (versions.length === 0) errs.push(field.required("spec.versions", "must have at least one version"));
  versions.forEach((v, i) => errs.push(...validateVersion(v, `spec.versions[${i}]`)));
  if (new Set(versions.map((v) => v.name)).size !== versions.length) {
    errs.push(field.invalid("spec.versions", versions, "must contain unique version names"));
  }
  if (versions.length > 0 && versions.filter((v) => v.storage).length !== 1) {
    errs.push(field.invalid("spec.versions", versions, "must have exactly one version marked as storage version"));
  }
  for (const key of ["plural", "singular", "kind", "listKind"]) {
    if (!names[key]) errs.push(field.required(`spec.names.${key}`));
  }
  errs.push(...validateNames(names, "spec.names"));
  const strategy = spec.conversion?.strategy;
  if (strategy !== undefined && strategy !== "None" && strategy !== "Webhook") {
    errs.push(field.notSupported("spec.conversion.strategy", strategy, ["None", "Webhook"]));
  }
  return errs;
}

/** Updates may not change the group or plural, nor (once established) the scope or kind. */
export function validateCrdUpdate(crd: KObjectLike, old: KObjectLike, established: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const immutable = (path: string, a: unknown, b: unknown) => {
    if (a !== b) errs.push(field.invalid(path, a, "field is immutable"));
  };
  if (established) {
    immutable("spec.scope", crd.spec?.scope, old.spec?.scope);
    immutable("spec.names.kind", crd.spec?.names?.kind, old.spec?.names?.kind);
  }
  immutable("spec.group", crd.spec?.group, old.spec?.group);
  immutable("spec.names.plural", crd.spec?.names?.plural, old.spec?.names?.plural);
  return errs;
}

/** status.storedVersions must list the storage version and only versions of the spec. */
export function validateStoredVersions(crd: KObjectLike): FieldError[] {
  const stored = (crd.status?.storedVersions ?? []) as string[];
  const versions = (crd.spec?.versions ?? []) as CrdVersion[];
  if (stored.length === 0) return [field.invalid("status.storedVersions", stored, "must have at least one stored version")];
  const errs: FieldError[] = [];
  for (const v of versions) {
    if (v.storage && !stored.includes(v.name)) errs.push(field.invalid("status.storedVersions", v, `must have the storage version ${v.name}`));
  }
  stored.forEach((s, i) => {
    if (!versions.some((v) => v.name === s)) errs.push(field.invalid(`status.storedVersions[${i}]`, s, "must appear in spec.versions"));
  });
  return errs;
}

interface KObjectLike {
  metadata: { name?: string };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  status?: any;
}

function validateVersion(v: CrdVersion, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const nameErrs = isDNS1035Label(v.name ?? "");
  if (nameErrs.length) errs.push(field.invalid(`${path}.name`, v.name ?? "", nameErrs.join(",")));
  const schema = v.schema?.openAPIV3Schema;
  if (!schema) errs.push(field.required(`${path}.schema.openAPIV3Schema`, "schemas are required"));
  else errs.push(...validateSchema(schema, `${path}.schema.openAPIV3Schema`));
  const scale = v.subresources?.scale;
  if (scale) {
    const scalePath = `${path}.subresources.scale`;
    if (!scale.specReplicasPath) errs.push(field.required(`${scalePath}.specReplicasPath`));
    else if (!scale.specReplicasPath.startsWith(".spec.")) errs.push(field.invalid(`${scalePath}.specReplicasPath`, scale.specReplicasPath, "should be a json path under .spec"));
    if (!scale.statusReplicasPath) errs.push(field.required(`${scalePath}.statusReplicasPath`));
    else if (!scale.statusReplicasPath.startsWith(".status.")) errs.push(field.invalid(`${scalePath}.statusReplicasPath`, scale.statusReplicasPath, "should be a json path under .status"));
    if (scale.labelSelectorPath && !/^\.(spec|status)\./.test(scale.labelSelectorPath)) {
      errs.push(field.invalid(`${scalePath}.labelSelectorPath`, scale.labelSelectorPath, "should be a json path under either .spec or .status"));
    }
  }
  (v.additionalPrinterColumns ?? []).forEach((c, i) => {
    const colPath = `${path}.additionalPrinterColumns[${i}]`;
    if (!c.name) errs.push(field.required(`${colPath}.name`));
    if (!c.type) errs.push(field.required(`${colPath}.type`));
    else if (!COLUMN_TYPES.includes(c.type)) errs.push(field.notSupported(`${colPath}.type`, c.type, COLUMN_TYPES));
    if (!c.jsonPath) errs.push(field.required(`${colPath}.JSONPath`));
    else {
      try {
        parseJsonPath(c.jsonPath);
      } catch (e) {
        errs.push(field.invalid(`${colPath}.JSONPath`, c.jsonPath, `invalid JSONPath: ${(e as Error).message}`));
      }
    }
  });
  return errs;
}

function validateSchema(schema: Schema, path: string): FieldError[] {
  const errs = [...structuralErrors(schema, path), ...ruleCompileErrors(schema, path)];
  const metadata = schema.properties?.metadata;
  if (metadata && typeof metadata === "object") {
    for (const key of Object.keys(metadata.properties ?? {})) {
      if (key !== "name" && key !== "generateName") {
        errs.push(field.forbidden(`${path}.properties[metadata].properties[${key}]`, "must not be specified"));
      }
    }
  }
  return errs;
}

function validateNames(names: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const label = (key: string, value: unknown, lower = false) => {
    if (typeof value !== "string" || value === "") return;
    const found = isDNS1035Label(lower ? value.toLowerCase() : value);
    if (found.length) errs.push(field.invalid(`${path}.${key}`, value, lower ? `may have mixed case, but should otherwise match: ${found.join(",")}` : found.join(",")));
  };
  label("plural", names.plural);
  label("singular", names.singular);
  label("kind", names.kind, true);
  label("listKind", names.listKind, true);
  if (names.kind && names.kind === names.listKind) errs.push(field.invalid(`${path}.listKind`, names.listKind, "kind and listKind may not be the same"));
  ((names.shortNames ?? []) as string[]).forEach((s, i) => {
    const found = isDNS1035Label(s);
    if (found.length) errs.push(field.invalid(`${path}.shortNames[${i}]`, s, found.join(",")));
  });
  ((names.categories ?? []) as string[]).forEach((c, i) => {
    const found = isDNS1035Label(c);
    if (found.length) errs.push(field.invalid(`${path}.categories[${i}]`, c, found.join(",")));
  });
  return errs;
}
