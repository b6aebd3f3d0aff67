/**
 * Server-side field validation (`?fieldValidation=Ignore|Warn|Strict`) and pruning of unknown
 * fields, as kube-apiserver's create/update/patch handlers do through the strict JSON decoder.
 *
 * - Unknown fields (not in the kind's schema) are never stored, whatever the directive.
 * - Warn (the default when the parameter is absent) answers each problem as a `Warning` header:
 *   `unknown field "spec.foo"`, `duplicate field "metadata.name"`, or for YAML bodies
 *   `line 5: key "image" already set in map`.
 * - Strict rejects the request: create/update with 400 `Pod in version "v1" cannot be handled as
 *   a Pod: strict decoding error: unknown field "spec.foo", …`; patch with 422 on field `patch`.
 * - Paths are printed as the strict decoder does: `spec.containers[0].foo`, map values as
 *   `metadata.labels.app`.
 *
 * The schema of a kind is a {@link SchemaNode} tree from a {@link SchemaLookup}; built-in kinds come
 * from the protobuf message tables ({@link builtinSchema}). Kinds without a schema are not checked.
 *
 * Cost: one walk over the body per request (no copy; pruning deletes in place), plus for Warn and
 * Strict one scan of the JSON text for repeated keys. Controllers do not pass through here.
 */
import { LineCounter, parseDocument, isMap, isScalar, isSeq, type Node as YamlNode } from "yaml";
import type { PatchFunction } from "../registry/store";
import type { KObject } from "../registry/types";
import { decodeObject } from "./body";
import { findDuplicateKeys, type DuplicateKey, type PathSegment } from "./json-duplicates";
import { mediaType } from "./negotiate";
import { patchFunction } from "./patch";
import { decodeJsonPatch } from "./patch/json-patch";
import { kindMessage, messageDef, type FieldDef, type MessageDef } from "./protobuf/schema";
import { errors, field, invalid, StatusError } from "./status";

export type FieldValidationDirective = "Ignore" | "Warn" | "Strict";

/** The options kind upstream names when the parameter is invalid. */
export type WriteOptionsKind = "CreateOptions" | "UpdateOptions" | "PatchOptions";

const DIRECTIVE_VALUES = ["", "Ignore", "Strict", "Warn"];

/**
 * The request's directive; absent or empty means Warn. Any other value is upstream's 422
 * `CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "x": supported values: "", "Ignore", "Strict", "Warn"`.
 */
export function fieldValidationDirective(query: URLSearchParams, optionsKind: WriteOptionsKind): FieldValidationDirective {
  const value = query.get("fieldValidation") ?? "";
  if (!DIRECTIVE_VALUES.includes(value)) {
    throw invalid(optionsKind, "meta.k8s.io", "", [field.notSupported("fieldValidation", value, DIRECTIVE_VALUES)]);
  }
  return value === "" ? "Warn" : (value as FieldValidationDirective);
}

// ---- schemas ----

/**
 * What the decoder knows about one JSON value:
 * - `struct`: an object with named fields; any other key is unknown;
 * - `map`: an object with free keys whose values all have one schema;
 * - `list`: an array whose items all have one schema;
 * - `opaque`: not looked into (scalars, Quantity, Time, RawExtension, FieldsV1,
 *   x-kubernetes-preserve-unknown-fields): nothing in it is unknown or duplicated;
 * - `untyped`: free-form JSON (Go `interface{}`): nothing is unknown but repeated keys count.
 */
export type SchemaNode =
  | { readonly kind: "struct"; field(name: string): SchemaNode | undefined }
  | { readonly kind: "map"; readonly value: SchemaNode }
  | { readonly kind: "list"; readonly item: SchemaNode }
  | { readonly kind: "opaque" }
  | { readonly kind: "untyped" };

/** Finds the schema of an apiVersion/kind; undefined when the kind has none (it is not checked). */
export type SchemaLookup = (apiVersion: string, kind: string) => SchemaNode | undefined;

export const OPAQUE: SchemaNode = { kind: "opaque" };
export const UNTYPED: SchemaNode = { kind: "untyped" };

/** A struct node over a fixed table of fields. */
export function structNode(fields: ReadonlyMap<string, SchemaNode>): SchemaNode {
  return { kind: "struct", field: (name) => fields.get(name) };
}

const messageNodes = new Map<string, SchemaNode>();
const kindNodes = new Map<string, SchemaNode>();

function fieldNode(f: FieldDef): SchemaNode {
  const element = f.type.includes(".") ? messageNode(f.type) : OPAQUE;
  if (f.card === "repeated") return element === OPAQUE ? OPAQUE : { kind: "list", item: element };
  // Map keys are checked for repeats even when the values are scalars (labels, annotations).
  if (f.card === "map") return { kind: "map", value: element };
  return element;
}

/** Adds a message's JSON fields, flattening inlined embedded structs (`Volume.VolumeSource`). */
function collectFields(def: MessageDef, into: Map<string, SchemaNode>): void {
  for (const f of def.fields) {
    if (f.json !== "") {
      into.set(f.json, fieldNode(f));
      continue;
    }
    const embedded = messageDef(f.type);
    if (embedded) collectFields(embedded, into);
  }
}

/** The node of a protobuf message, built lazily (message graphs are recursive). */
function messageNode(name: string): SchemaNode {
  let node = messageNodes.get(name);
  if (node) return node;
  const def = messageDef(name);
  if (!def) node = OPAQUE;
  else if (def.stringList) node = OPAQUE;
  else {
    let fields: Map<string, SchemaNode> | undefined;
    node = {
      kind: "struct",
      field(jsonName: string) {
        if (!fields) collectFields(def, (fields = new Map()));
        return fields.get(jsonName);
      },
    };
  }
  messageNodes.set(name, node);
  return node;
}

/** Every top-level object also carries TypeMeta (`apiVersion`, `kind`), inlined in Go. */
function withTypeMeta(inner: SchemaNode): SchemaNode {
  if (inner.kind !== "struct") return inner;
  return { kind: "struct", field: (name) => (name === "apiVersion" || name === "kind" ? OPAQUE : inner.field(name)) };
}

const openApiNodes = new WeakMap<object, SchemaNode>();
const isSchemaObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const NO_FIELDS: SchemaNode = { kind: "struct", field: () => undefined };

/**
 * The node of a structural OpenAPI v3 schema (a CRD version's): properties are a struct,
 * additionalProperties a map, items a list; preserve-unknown-fields, embedded resources,
 * int-or-string and scalars are opaque; an object declaring neither knows no fields (all pruned).
 */
function openApiNode(schema: Record<string, unknown>): SchemaNode {
  let node = openApiNodes.get(schema);
  if (node) return node;
  const { properties, additionalProperties, items } = schema;
  if (schema["x-kubernetes-preserve-unknown-fields"] === true || schema["x-kubernetes-embedded-resource"] === true || schema["x-kubernetes-int-or-string"] === true) {
    node = OPAQUE;
  } else if (schema.type === "array") {
    node = isSchemaObject(items) ? { kind: "list", item: openApiNode(items) } : OPAQUE;
  } else if (schema.type === "object" && isSchemaObject(properties)) {
    node = { kind: "struct", field: (name) => (Object.hasOwn(properties, name) && isSchemaObject(properties[name]) ? openApiNode(properties[name]) : undefined) };
  } else if (schema.type === "object" && (isSchemaObject(additionalProperties) || additionalProperties === true)) {
    node = { kind: "map", value: isSchemaObject(additionalProperties) ? openApiNode(additionalProperties) : OPAQUE };
  } else {
    node = schema.type === "object" ? NO_FIELDS : OPAQUE;
  }
  openApiNodes.set(schema, node);
  return node;
}

const customResourceNodes = new WeakMap<object, SchemaNode>();

/** A custom resource's schema: its CRD's for the body, ObjectMeta's for `metadata`, TypeMeta opaque. */
function customResourceNode(openApiSchema: Record<string, unknown>): SchemaNode {
  let node = customResourceNodes.get(openApiSchema);
  if (node) return node;
  const body = openApiNode(openApiSchema);
  const configMap = builtinSchema("v1", "ConfigMap");
  const objectMeta = configMap?.kind === "struct" ? configMap.field("metadata") : OPAQUE;
  node = {
    kind: "struct",
    field(name) {
      if (name === "apiVersion" || name === "kind") return OPAQUE;
      if (name === "metadata") return objectMeta;
      return body.kind === "struct" ? body.field(name) : body.kind === "opaque" ? OPAQUE : undefined;
    },
  };
  customResourceNodes.set(openApiSchema, node);
  return node;
}

/** The schema of a built-in kind from the protobuf message tables. */
export const builtinSchema: SchemaLookup = (apiVersion, kind) => {
  const key = `${apiVersion}/${kind}`;
  let node = kindNodes.get(key);
  if (!node) {
    const def = kindMessage(apiVersion, kind);
    if (!def) return undefined;
    node = withTypeMeta(messageNode(def.name));
    kindNodes.set(key, node);
  }
  return node;
};

// ---- unknown fields ----

/** Upstream's strict decoder keeps at most this many errors. */
const MAX_STRICT_ERRORS = 100;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `spec.containers[0].image` from path segments, as the strict decoder prints paths. */
export function formatPath(segments: readonly PathSegment[], last?: string): string {
  let out = "";
  for (const s of segments) out += typeof s === "number" ? `[${s}]` : out === "" ? s : `.${s}`;
  if (last !== undefined) out += out === "" ? last : `.${last}`;
  return out;
}

/**
 * Walks `value` against `schema`; calls `onUnknown` with the path of each unknown field (document
 * order) and, when `prune`, deletes it in place. Values of the wrong JSON type are left alone:
 * type errors are the decoder's business, not this walk's.
 */
export function walkUnknownFields(value: unknown, schema: SchemaNode, prune: boolean, onUnknown?: (path: string) => void): void {
  const path: PathSegment[] = [];
  const visit = (v: unknown, node: SchemaNode): void => {
    switch (node.kind) {
      case "struct": {
        if (!isPlainObject(v)) return;
        for (const key in v) {
          const child = node.field(key);
          if (!child) {
            onUnknown?.(formatPath(path, key));
            if (prune) delete v[key];
          } else if (child.kind !== "opaque" && child.kind !== "untyped") {
            path.push(key);
            visit(v[key], child);
            path.pop();
          }
        }
        return;
      }
      case "map": {
        if (!isPlainObject(v) || node.value.kind === "opaque" || node.value.kind === "untyped") return;
        for (const key in v) {
          path.push(key);
          visit(v[key], node.value);
          path.pop();
        }
        return;
      }
      case "list": {
        if (!Array.isArray(v)) return;
        for (let i = 0; i < v.length; i++) {
          path.push(i);
          visit(v[i], node.item);
          path.pop();
        }
        return;
      }
    }
  };
  visit(value, schema);
}

/** Removes unknown fields in place, reporting nothing (fieldValidation=Ignore, or a check that already ran). */
export function pruneUnknownFields(value: unknown, schema: SchemaNode): void {
  walkUnknownFields(value, schema, true);
}

// ---- repeated keys ----

/**
 * Whether the strict decoder reports a repeated key: only where it decodes into a known struct
 * field or a map — not under opaque values, and not for unknown fields (reported as unknown once).
 */
function duplicateIsReported(schema: SchemaNode, dup: DuplicateKey): boolean {
  let node: SchemaNode | undefined = schema;
  for (const seg of dup.parent) {
    if (node.kind === "untyped") return true;
    if (node.kind === "struct" && typeof seg === "string") node = node.field(seg);
    else if (node.kind === "map" && typeof seg === "string") node = node.value;
    else if (node.kind === "list" && typeof seg === "number") node = node.item;
    else return false;
    if (!node) return false;
  }
  if (node.kind === "struct") return node.field(dup.key) !== undefined;
  return node.kind === "map" || node.kind === "untyped";
}

function jsonDuplicateErrors(text: string, schema: SchemaNode): string[] {
  const out: string[] = [];
  for (const dup of findDuplicateKeys(text)) {
    if (duplicateIsReported(schema, dup)) out.push(`duplicate field ${JSON.stringify(formatPath(dup.parent, dup.key))}`);
  }
  return out;
}

const YAML_ERROR_PREFIX = "error converting YAML to JSON: yaml: unmarshal errors:\n";

/** Go's `%#v` of a YAML map key: strings quoted, other scalars bare. */
function goKey(key: unknown): string {
  return typeof key === "string" ? JSON.stringify(key) : String(key);
}

/**
 * The YAML strict conversion error for repeated mapping keys (sigs.k8s.io/yaml YAMLToJSONStrict):
 * one line per repeat, numbered by the line where the repeated key's value starts; undefined when
 * there are none. Repeats are found anywhere in the document (the conversion has no schema).
 */
export function yamlDuplicateError(text: string): string | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: false, lineCounter });
  const lines: string[] = [];
  const visit = (node: unknown): void => {
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        // The value is converted before the key is stored, so repeats inside it come first.
        visit(pair.value);
        if (seen.has(key)) {
          const start = (pair.value as YamlNode | null)?.range?.[0] ?? (pair.key as YamlNode | null)?.range?.[0] ?? 0;
          lines.push(`line ${lineCounter.linePos(start).line}: key ${goKey(key)} already set in map`);
        } else seen.add(key);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) visit(item);
    }
  };
  visit(doc.contents);
  return lines.length ? YAML_ERROR_PREFIX + lines.map((l) => `  ${l}`).join("\n") : undefined;
}

/** Upstream splits a YAML strict error into one warning per line (parseYAMLWarnings). */
function warningsOf(problems: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of problems) {
    if (p.startsWith(YAML_ERROR_PREFIX)) for (const line of p.slice(YAML_ERROR_PREFIX.length).split("\n")) out.push(line.trim());
    else out.push(p);
  }
  return out;
}

/** Deduplicated and capped, as the strict decoder accumulates them. */
function capped(problems: string[]): string[] {
  return [...new Set(problems)].slice(0, MAX_STRICT_ERRORS);
}

// ---- request bodies ----

export interface ValidationTarget {
  directive: FieldValidationDirective;
  /** Schema of the kind the endpoint decodes into; undefined skips validation. */
  schema: SchemaNode | undefined;
  /** The endpoint's kind and apiVersion (upstream's defaults when the body names none). */
  kind: string;
  apiVersion: string;
}

const textDecoder = new TextDecoder();

function isYaml(type: string): boolean {
  return type === "application/yaml" || type === "application/x-yaml" || type === "text/yaml";
}

function isProtobuf(type: string): boolean {
  return type === "application/vnd.kubernetes.protobuf";
}

/**
 * Checks a decoded create/update body and prunes its unknown fields in place. Returns the
 * warnings to send (Warn); throws upstream's 400 for Strict. Protobuf bodies have no unknown fields.
 */
export function checkObjectBody(object: unknown, bytes: Uint8Array, contentType: string | null, target: ValidationTarget): string[] {
  const { schema, directive } = target;
  const type = mediaType(contentType);
  if (!schema || isProtobuf(type)) return [];
  if (directive === "Ignore") {
    pruneUnknownFields(object, schema);
    return [];
  }
  const problems: string[] = [];
  if (isYaml(type)) {
    const yamlError = yamlDuplicateError(textDecoder.decode(bytes));
    if (yamlError) problems.push(yamlError);
  } else {
    problems.push(...jsonDuplicateErrors(textDecoder.decode(bytes), schema));
  }
  walkUnknownFields(object, schema, true, (path) => problems.push(`unknown field ${JSON.stringify(path)}`));
  if (problems.length === 0) return [];
  const all = capped(problems);
  if (directive === "Warn") return warningsOf(all);
  throw errors.badRequest(`${cannotBeHandled(object, target)}: strict decoding error: ${all.join(", ")}`);
}

/** `Pod in version "v1" cannot be handled as a Pod`, naming the body's own kind and version. */
function cannotBeHandled(object: unknown, target: ValidationTarget): string {
  const body = isPlainObject(object) ? object : {};
  const kind = typeof body.kind === "string" && body.kind ? body.kind : target.kind;
  const apiVersion = typeof body.apiVersion === "string" && body.apiVersion ? body.apiVersion : target.apiVersion;
  const version = apiVersion.slice(apiVersion.indexOf("/") + 1);
  return `${kind} in version ${JSON.stringify(version)} cannot be handled as a ${target.kind}`;
}

// ---- patches ----

export interface CheckedPatch {
  patch: PatchFunction;
  /** Warnings of the last application of `patch` (Warn); read after the write. */
  readonly warnings: string[];
}

/**
 * Wraps a patch so that its result is checked and pruned like a decoded body, and the patch body
 * itself is checked as upstream's patch handler does: repeated keys in any patch body, unknown
 * members of JSON Patch operations (`json patch unknown field "[0].foo"`). Strict problems are
 * 422 `"" is invalid: patch: Invalid value: "…": strict decoding error: …`. Apply patches
 * (server-side apply) are returned unwrapped: their schema errors come from the apply machinery.
 */
export function checkedPatch(patch: PatchFunction, bytes: Uint8Array, contentType: string | null, target: ValidationTarget): CheckedPatch {
  const { schema, directive } = target;
  const type = mediaType(contentType);
  const warnings: string[] = [];
  if (!schema || type.startsWith("application/apply-patch")) return { patch, warnings };
  if (directive === "Ignore") {
    return {
      patch: (current) => {
        const result = patch(current);
        pruneUnknownFields(result, schema);
        return result;
      },
      warnings,
    };
  }
  const text = textDecoder.decode(bytes);
  const bodyProblems = patchBodyProblems(text, type, directive);
  const checked: PatchFunction = (current) => {
    warnings.length = 0;
    const result = patch(current);
    const unknown: string[] = [];
    // Strict reports the unpruned result, so it collects before pruning; nothing is stored then.
    walkUnknownFields(result, schema, directive === "Warn", (path) => unknown.push(`unknown field ${JSON.stringify(path)}`));
    const problems = capped([...bodyProblems, ...unknown]);
    if (problems.length === 0) return result;
    if (directive === "Warn") {
      warnings.push(...warningsOf(problems));
      return result;
    }
    throw invalid("", "", "", [
      {
        ...field.invalid("patch", undefined, `strict decoding error: ${problems.join(", ")}`),
        renderedValue: JSON.stringify(patchedValueText(type, text, result)),
      },
    ]);
  };
  return { patch: checked, warnings };
}

function patchBodyProblems(text: string, type: string, directive: FieldValidationDirective): string[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return []; // the patch function reports malformed bodies
  }
  if (type === "application/json-patch+json") {
    const problems = jsonDuplicateErrors(text, JSON_PATCH_SCHEMA).map((e) => `json patch ${e}`);
    try {
      problems.push(...decodeJsonPatch(body, directive).strictErrors);
    } catch (e) {
      if (!(e instanceof StatusError)) throw e; // the patch function reports it
    }
    return problems;
  }
  return jsonDuplicateErrors(text, UNTYPED);
}

/** `[]handlers.jsonPatchOp`: op, path and from are strings, value is free-form. */
const JSON_PATCH_SCHEMA: SchemaNode = {
  kind: "list",
  item: structNode(new Map<string, SchemaNode>([["op", OPAQUE], ["path", OPAQUE], ["from", OPAQUE], ["value", UNTYPED]])),
};

/**
 * The bad value upstream prints: the patched object as JSON with sorted keys (JSON and merge
 * patch), or the patch map as Go's `%+v` (strategic merge patch).
 */
function patchedValueText(type: string, patchText: string, result: KObject): string {
  if (type === "application/strategic-merge-patch+json") return goValue(JSON.parse(patchText));
  return sortedJson(result);
}

function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(",")}]`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** Go's `fmt.Sprintf("%+v", v)` of a JSON value decoded into interface{} (map keys sorted). */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(goValue).join(" ")}]`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goValue(v[k])}`).join(" ")}]`;
  }
  if (typeof v === "number" && !Number.isInteger(v)) {
    // %v of a float64 is %g with the shortest representation; exponent form from 1e21 or below 1e-4.
    const abs = Math.abs(v);
    if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) return v.toExponential().replace(/e([+-])(\d)$/, "e$10$2");
  }
  return String(v);
}

// ---- response ----

const utf8 = new TextEncoder();

/** A header value carrying `text`'s UTF-8 bytes (Fetch headers hold bytes as Latin-1 characters). */
function headerBytes(text: string): string {
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  let out = "";
  for (const byte of utf8.encode(text)) out += String.fromCharCode(byte);
  return out;
}

/** `Warning: 299 - "text"` headers on a response (one per distinct warning), as upstream writes them. */
export function withWarnings(response: Response, warnings: readonly string[]): Response {
  for (const w of new Set(warnings)) response.headers.append("Warning", headerBytes(`299 - ${JSON.stringify(w)}`));
  return response;
}

// ---- handler entry points ----

/** The endpoint an API request writes through (a ResourceStore). */
export interface WriteEndpoint {
  readonly apiVersion: string;
  /** `openApiSchema`: the kind's own schema (custom resources), checked instead of `schemas`. */
  readonly strategy: { readonly kind: string; readonly openApiSchema?: Record<string, unknown> };
}

function targetOf(query: URLSearchParams, optionsKind: WriteOptionsKind, endpoint: WriteEndpoint, schemas: SchemaLookup): ValidationTarget {
  const { apiVersion } = endpoint;
  const { kind, openApiSchema } = endpoint.strategy;
  const schema = openApiSchema ? customResourceNode(openApiSchema) : schemas(apiVersion, kind);
  return { directive: fieldValidationDirective(query, optionsKind), schema, kind, apiVersion };
}

/** Decodes a create/update body (see decodeObject), then checks and prunes it per `?fieldValidation`. */
export function decodeCheckedObject(
  bytes: Uint8Array,
  contentType: string | null,
  query: URLSearchParams,
  optionsKind: "CreateOptions" | "UpdateOptions",
  endpoint: WriteEndpoint,
  schemas: SchemaLookup = builtinSchema,
): { object: KObject; warnings: string[] } {
  const target = targetOf(query, optionsKind, endpoint, schemas);
  const object = decodeObject(bytes, contentType, endpoint.strategy.kind);
  return { object: object as KObject, warnings: checkObjectBody(object, bytes, contentType, target) };
}

/** Builds the patch function for a PATCH body (see patchFunction), checked per `?fieldValidation`. */
export function checkedPatchFunction(
  bytes: Uint8Array,
  contentType: string | null,
  query: URLSearchParams,
  endpoint: WriteEndpoint,
  schemas: SchemaLookup = builtinSchema,
): CheckedPatch {
  const target = targetOf(query, "PatchOptions", endpoint, schemas);
  return checkedPatch(patchFunction(contentType, bytes, endpoint.strategy), bytes, contentType, target);
}
