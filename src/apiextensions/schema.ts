/**
 * Structural schemas of custom resources (apiextensions.k8s.io/v1 `openAPIV3Schema`): validation
 * with kube-openapi's messages, pruning of unknown fields, and defaulting, as the
 * apiextensions-apiserver applies them to every custom resource it stores or serves.
 *
 * All functions take the value and the schema describing it; `path` is the field path as
 * upstream prints it (`spec.ports[0].name`).
 */
import { field, type FieldError } from "../apiserver/status";

/** A JSONSchemaProps in its JSON form. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Schema = Record<string, any>;

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The metadata fields a custom resource's root always keeps, whatever its schema says. */
const ROOT_FIELDS = new Set(["apiVersion", "kind", "metadata"]);

export const childPath = (path: string, key: string) => (path ? `${path}.${key}` : key);
export const indexPath = (path: string, i: number) => `${path}[${i}]`;

/** The schema of an object's property, or undefined when the schema does not describe it. */
export function propertySchema(schema: Schema | undefined, key: string): Schema | undefined {
  if (!schema) return undefined;
  if (schema.properties && key in schema.properties) return schema.properties[key];
  if (isObject(schema.additionalProperties)) return schema.additionalProperties as Schema;
  return undefined;
}

/** True when the schema keeps fields it does not list (preserve-unknown-fields or additionalProperties). */
function keepsUnknown(schema: Schema): boolean {
  return schema["x-kubernetes-preserve-unknown-fields"] === true || schema.additionalProperties !== undefined && schema.additionalProperties !== false;
}

// ---- pruning ---------------------------------------------------------------------------------

/**
 * Drops, in place, every object field the schema does not specify (upstream's structural pruning):
 * below `x-kubernetes-preserve-unknown-fields` unknown fields stay; an embedded resource keeps its
 * apiVersion, kind and metadata. `root`: the custom resource itself (keeps apiVersion/kind/metadata).
 */
export function prune(value: Json, schema: Schema | undefined, root = false): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    if (schema.items) for (const item of value) prune(item, schema.items);
    return;
  }
  if (!isObject(value)) return;
  const keepsMeta = root || schema["x-kubernetes-embedded-resource"] === true;
  for (const key of Object.keys(value)) {
    // apiVersion, kind and metadata are the object's own, whatever the schema says of them.
    if (keepsMeta && ROOT_FIELDS.has(key)) continue;
    const child = propertySchema(schema, key);
    if (child) prune(value[key], child);
    else if (!keepsUnknown(schema)) delete value[key];
  }
}

// ---- defaulting ------------------------------------------------------------------------------

/** True when the schema or anything below it has a `default`. */
export function hasDefaults(schema: unknown): boolean {
  if (!isObject(schema)) return false;
  if (schema.default !== undefined) return true;
  if (schema.properties && Object.values(schema.properties).some((s) => hasDefaults(s as Schema))) return true;
  return hasDefaults(schema.items) || hasDefaults(schema.additionalProperties);
}

/**
 * Fills, in place, missing fields that have a `default` (and non-nullable nulls that have one), then
 * drops the remaining nulls of non-nullable fields, as upstream's structural defaulting does.
 */
export function applyDefaults(value: Json, schema: Schema | undefined): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    if (schema.items) for (let i = 0; i < value.length; i++) value[i] = defaultedItem(value[i], schema.items);
    return;
  }
  if (!isObject(value)) return;
  for (const [key, child] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    const missing = !(key in value) || (value[key] === null && !child.nullable);
    if (missing && child.default !== undefined) value[key] = structuredClone(child.default);
  }
  for (const key of Object.keys(value)) {
    const child = propertySchema(schema, key);
    if (!child) continue;
    if (value[key] === null && !child.nullable) delete value[key];
    else applyDefaults(value[key], child);
  }
}

function defaultedItem(item: Json, schema: Schema): Json {
  const out = item === null && !schema.nullable && schema.default !== undefined ? structuredClone(schema.default) : item;
  applyDefaults(out, schema);
  return out;
}

// ---- validation ------------------------------------------------------------------------------

function typeName(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(type: string, v: Json): boolean {
  switch (type) {
    case "object":
      return isObject(v);
    case "array":
      return Array.isArray(v);
    case "string":
      return typeof v === "string";
    case "boolean":
      return typeof v === "boolean";
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "number":
      return typeof v === "number";
    default:
      return true;
  }
}

/** `spec.replicas in body must be of type integer: "string"` — kube-openapi's type error. */
function typeError(path: string, expected: string, v: Json): FieldError {
  const actual = typeName(v);
  return field.invalid(path, actual, `${path} in body must be of type ${expected}: ${JSON.stringify(actual)}`);
}

const formats: Record<string, (s: string) => boolean> = {
  "date-time": (s) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)),
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)),
  uuid: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  ipv4: (s) => /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s),
  ipv6: (s) => s.includes(":") && /^[0-9a-fA-F:.]+$/.test(s),
  hostname: (s) => s.length <= 255 && /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(s),
  email: (s) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s),
  byte: (s) => /^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s),
  duration: (s) => /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w))+$/.test(s),
  mac: (s) => /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(s),
  cidr: (s) => /^[0-9a-fA-F:.]+\/\d{1,3}$/.test(s),
};

/**
 * The errors of a value against its schema, as upstream reports them for custom resources
 * (required, type, enum, pattern, bounds, lengths, item counts, format). `root`: the custom
 * resource itself, whose apiVersion, kind and metadata the generic registry validates.
 */
export function validateValue(value: Json, schema: Schema | undefined, path: string, root = false): FieldError[] {
  if (!schema) return [];
  const errs: FieldError[] = [];
  if (value === null) {
    if (!schema.nullable && schema.type) errs.push(typeError(path, schema.type, value));
    return errs;
  }
  if (schema["x-kubernetes-int-or-string"]) {
    if (!(typeof value === "string" || (typeof value === "number" && Number.isInteger(value)))) errs.push(typeError(path, "integer,string", value));
  } else if (schema.type && !typeMatches(schema.type, value)) {
    // As upstream: a value of the wrong type is still checked against the enum, and nothing else.
    return [typeError(path, schema.type, value), ...enumErrors(value, schema, path)];
  }
  errs.push(...enumErrors(value, schema, path));
  if (typeof value === "string") errs.push(...validateString(value, schema, path));
  if (typeof value === "number") errs.push(...validateNumber(value, schema, path));
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) {
      errs.push(field.invalid(path, value.length, `${path} in body should have at least ${schema.minItems} items`));
    }
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) {
      errs.push({ type: "FieldValueTooMany", field: path, detail: `${value.length}: must have at most ${schema.maxItems} items` });
    }
    if (schema.uniqueItems || schema["x-kubernetes-list-type"] === "set") {
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const k = JSON.stringify(item);
        if (seen.has(k)) errs.push(field.duplicate(indexPath(path, i), item));
        seen.add(k);
      });
    }
    if (schema.items) value.forEach((item, i) => errs.push(...validateValue(item, schema.items, indexPath(path, i))));
  }
  if (isObject(value)) errs.push(...validateObject(value, schema, path, root));
  return errs;
}

function enumErrors(value: Json, schema: Schema, path: string): FieldError[] {
  if (!Array.isArray(schema.enum) || schema.enum.some((e: Json) => JSON.stringify(e) === JSON.stringify(value))) return [];
  return [field.notSupported(path, value, schema.enum.map((e: Json) => (typeof e === "string" ? e : JSON.stringify(e))))];
}

function validateString(value: string, schema: Schema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const length = [...value].length;
  if (typeof schema.maxLength === "number" && length > schema.maxLength) errs.push(field.tooLong(path, schema.maxLength));
  if (typeof schema.minLength === "number" && length < schema.minLength) {
    errs.push(field.invalid(path, value, `${path} in body should be at least ${schema.minLength} chars long`));
  }
  if (typeof schema.pattern === "string" && !patternMatches(schema.pattern, value)) {
    errs.push(field.invalid(path, value, `${path} in body should match '${schema.pattern}'`));
  }
  const check = typeof schema.format === "string" ? formats[schema.format] : undefined;
  if (check && !check(value)) errs.push(field.invalid(path, value, `${path} in body must be of type ${schema.format}: ${JSON.stringify(value)}`));
  return errs;
}

function patternMatches(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern, "u").test(value);
  } catch {
    return true;
  }
}

function validateNumber(value: number, schema: Schema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof schema.minimum === "number") {
    if (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum) {
      const relation = schema.exclusiveMinimum ? "greater than" : "greater than or equal to";
      errs.push(field.invalid(path, value, `${path} in body should be ${relation} ${schema.minimum}`));
    }
  }
  if (typeof schema.maximum === "number") {
    if (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum) {
      const relation = schema.exclusiveMaximum ? "less than" : "less than or equal to";
      errs.push(field.invalid(path, value, `${path} in body should be ${relation} ${schema.maximum}`));
    }
  }
  if (typeof schema.multipleOf === "number" && schema.multipleOf > 0 && !Number.isInteger(value / schema.multipleOf)) {
    errs.push(field.invalid(path, value, `${path} in body should be a multiple of ${schema.multipleOf}`));
  }
  if (schema.format === "int32" && (value < -(2 ** 31) || value >= 2 ** 31)) {
    errs.push(field.invalid(path, value, `${path} in body must be of type int32: ${JSON.stringify(String(value))}`));
  }
  return errs;
}

function validateObject(value: Record<string, Json>, schema: Schema, path: string, root: boolean): FieldError[] {
  const errs: FieldError[] = [];
  for (const key of (schema.required ?? []) as string[]) {
    if (!(key in value) || value[key] === undefined) errs.push(field.required(childPath(path, key)));
  }
  const count = Object.keys(value).length;
  if (typeof schema.minProperties === "number" && count < schema.minProperties) {
    errs.push(field.invalid(path, count, `${path} in body should have at least ${schema.minProperties} properties`));
  }
  if (typeof schema.maxProperties === "number" && count > schema.maxProperties) {
    errs.push({ type: "FieldValueTooMany", field: path, detail: `${count}: must have at most ${schema.maxProperties} items` });
  }
  if (schema["x-kubernetes-embedded-resource"]) {
    for (const key of ["apiVersion", "kind"]) {
      if (typeof value[key] !== "string" || value[key] === "") errs.push(field.required(childPath(path, key), "must not be empty"));
    }
  }
  for (const [key, child] of Object.entries(value)) {
    if (root && ROOT_FIELDS.has(key)) continue;
    const sub = propertySchema(schema, key);
    if (sub) errs.push(...validateValue(child, sub, childPath(path, key)));
  }
  return errs;
}

// ---- structural checks of a CRD's schema -------------------------------------------------------

/**
 * The errors that make a schema non-structural (upstream's `must not be empty for specified
 * object fields` family), with `path` the schema's own field path in the CRD.
 */
export function structuralErrors(schema: Schema, path: string, root = true): FieldError[] {
  const errs: FieldError[] = [];
  const intOrString = schema["x-kubernetes-int-or-string"] === true;
  const preserves = schema["x-kubernetes-preserve-unknown-fields"] === true;
  if (!schema.type && !intOrString && !preserves) {
    const detail = root ? "must not be empty at the root" : "must not be empty for specified object fields";
    errs.push(field.required(`${path}.type`, detail));
  }
  if (root && schema.type && schema.type !== "object") {
    errs.push(field.invalid(`${path}.type`, schema.type, "must be object at the root"));
  }
  if (schema.type === "array" && !schema.items) errs.push(field.required(`${path}.items`, "must be specified"));
  if (schema.properties && schema.additionalProperties !== undefined && schema.additionalProperties !== false) {
    errs.push(field.forbidden(`${path}.additionalProperties`, "additionalProperties and properties are mutual exclusive"));
  }
  for (const [key, child] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    errs.push(...structuralErrors(child, `${path}.properties[${key}]`, false));
  }
  if (isObject(schema.items)) errs.push(...structuralErrors(schema.items as Schema, `${path}.items`, false));
  if (isObject(schema.additionalProperties)) errs.push(...structuralErrors(schema.additionalProperties as Schema, `${path}.additionalProperties`, false));
  return errs;
}
