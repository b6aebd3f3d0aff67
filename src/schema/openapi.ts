/**
 * OpenAPI schemas of the built-in kinds, generated from the schema model (model.ts) the way
 * upstream's openapi-gen lays them out: one named definition per message
 * (`io.k8s.api.apps.v1.DeploymentSpec`), properties referring to other definitions by `$ref`,
 * `required`, `x-kubernetes-group-version-kind` on kinds, and the patch/list/map extensions.
 *
 * Two dialects: `v3` (components.schemas; a `$ref` with siblings is wrapped in `allOf`; Quantity
 * and IntOrString as `oneOf`) and `v2` (definitions; `$ref` with a description beside it).
 */
import { messageDef } from "../apiserver/protobuf/schema";
import { annotationOf, descriptionOf, fieldsOf, kindsOf, requiredOf, type SchemaField } from "./model";

export type Dialect = "v2" | "v3";
export type JsonSchema = Record<string, unknown>;

/** Table package → upstream Go package path in OpenAPI names. */
const packagePaths: Record<string, string> = {
  admission: "io.k8s.api.admissionregistration.v1",
  apps: "io.k8s.api.apps.v1",
  authn: "io.k8s.api.authentication.v1",
  authz: "io.k8s.api.authorization.v1",
  autoscaling1: "io.k8s.api.autoscaling.v1",
  autoscaling2: "io.k8s.api.autoscaling.v2",
  batch: "io.k8s.api.batch.v1",
  certificates: "io.k8s.api.certificates.v1",
  coordination: "io.k8s.api.coordination.v1",
  core: "io.k8s.api.core.v1",
  discovery: "io.k8s.api.discovery.v1",
  events: "io.k8s.api.events.v1",
  flowcontrol: "io.k8s.api.flowcontrol.v1",
  meta: "io.k8s.apimachinery.pkg.apis.meta.v1",
  networking: "io.k8s.api.networking.v1",
  node: "io.k8s.api.node.v1",
  policy: "io.k8s.api.policy.v1",
  rbac: "io.k8s.api.rbac.v1",
  resource: "io.k8s.api.resource.v1",
  scheduling: "io.k8s.api.scheduling.v1",
  storage: "io.k8s.api.storage.v1",
};

const META = packagePaths.meta;
export const objectMetaDefinition = `${META}.ObjectMeta`;

/** Types with their own JSON form that upstream publishes as named definitions. */
const specialDefinitions: Record<string, { name: string; v2: JsonSchema; v3: JsonSchema; description: string }> = {
  T: {
    name: `${META}.Time`,
    v2: { type: "string", format: "date-time" },
    v3: { type: "string", format: "date-time" },
    description: "A timestamp in RFC 3339 form, to the second, always in UTC.",
  },
  M: {
    name: `${META}.MicroTime`,
    v2: { type: "string", format: "date-time" },
    v3: { type: "string", format: "date-time" },
    description: "A timestamp in RFC 3339 form with microseconds, always in UTC.",
  },
  F: {
    name: `${META}.FieldsV1`,
    v2: { type: "object" },
    v3: { type: "object" },
    description: "The set of fields a manager owns, in the fieldsV1 trie format of server-side apply.",
  },
  Q: {
    name: "io.k8s.apimachinery.pkg.api.resource.Quantity",
    v2: { type: "string" },
    v3: { oneOf: [{ type: "string" }, { type: "number" }] },
    description: "An amount of a resource, written as a number with an optional suffix: binary (Ki, Mi, Gi, Ti, Pi, Ei), decimal (m, k, M, G, T, P, E) or a decimal exponent (1e3). Examples: 500m, 2, 128Mi, 1.5Gi.",
  },
  X: {
    name: "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    v2: { type: "string", format: "int-or-string" },
    v3: { format: "int-or-string", oneOf: [{ type: "integer" }, { type: "string" }] },
    description: "Either an integer or a string; the field says what each means (a port number or port name, an absolute count or a percentage).",
  },
  R: {
    name: "io.k8s.apimachinery.pkg.runtime.RawExtension",
    v2: { type: "object" },
    v3: { type: "object" },
    description: "An embedded object of any kind, with its own apiVersion and kind.",
  },
};

const scalarSchemas: Record<string, JsonSchema> = {
  s: { type: "string" },
  i: { type: "integer", format: "int32" },
  I: { type: "integer", format: "int64" },
  u: { type: "integer", format: "int32" },
  U: { type: "integer", format: "int64" },
  b: { type: "boolean" },
  y: { type: "string", format: "byte" },
  d: { type: "number", format: "double" },
  f: { type: "number", format: "float" },
  D: { type: "string" },
};

/** The OpenAPI definition name of a table message (`apps.Deployment` → `io.k8s.api.apps.v1.Deployment`). */
export function definitionName(message: string): string {
  const dot = message.indexOf(".");
  return `${packagePaths[message.slice(0, dot)]}${message.slice(dot)}`;
}

/** The reference prefix of a dialect. */
export function refPrefix(dialect: Dialect): string {
  return dialect === "v3" ? "#/components/schemas/" : "#/definitions/";
}

/** What a field's type refers to: a named definition, or an inline schema. */
function typeSchema(type: string, dialect: Dialect, refs: Set<string>): { ref?: string; inline?: JsonSchema } {
  if (Object.hasOwn(scalarSchemas, type)) return { inline: scalarSchemas[type] };
  const special = Object.hasOwn(specialDefinitions, type) ? specialDefinitions[type] : undefined;
  const name = special ? special.name : definitionName(type);
  if (!special && messageDef(type)?.stringList) return { inline: { type: "array", items: { type: "string" } } };
  refs.add(special ? `special:${type}` : type);
  return { ref: `${refPrefix(dialect)}${name}` };
}

/** A property referring to a definition, with a description (and upstream's `default: {}` for a struct value). */
function refProperty(ref: string, dialect: Dialect, description: string | undefined, structValue: boolean): JsonSchema {
  if (dialect === "v2") return description ? { $ref: ref, description } : { $ref: ref };
  if (!description && !structValue) return { $ref: ref };
  return { allOf: [{ $ref: ref }], ...(structValue ? { default: {} } : {}), ...(description ? { description } : {}) };
}

function fieldSchema(message: string, f: SchemaField, dialect: Dialect, refs: Set<string>): JsonSchema {
  const description = descriptionOf(f.owner, f.json) ?? descriptionOf(message, f.json) ?? commonFieldDescription(message, f.json);
  const annotation = annotationOf(f);
  const target = typeSchema(f.type, dialect, refs);
  const isStruct = !f.pointer && target.ref !== undefined && !Object.hasOwn(specialDefinitions, f.type);
  const valueSchema = (): JsonSchema => (target.ref ? { $ref: target.ref } : { ...target.inline });
  let out: JsonSchema;
  if (f.card === "repeated") out = { type: "array", items: valueSchema(), ...(description ? { description } : {}) };
  else if (f.card === "map") out = { type: "object", additionalProperties: valueSchema(), ...(description ? { description } : {}) };
  else if (target.ref) out = refProperty(target.ref, dialect, description, isStruct);
  else out = { ...target.inline, ...(description ? { description } : {}) };
  if (annotation?.enum) {
    // The enum constrains the values: the items of a list, the values of a map.
    const constrained = f.card === "repeated" ? (out.items as JsonSchema) : f.card === "map" ? (out.additionalProperties as JsonSchema) : out;
    constrained.enum = [...annotation.enum];
    out.description = `${description ?? ""}${description ? "\n\n" : ""}Possible enum values:\n${annotation.enum.map((v) => ` - \`"${v}"\``).join("\n")}`;
  }
  if (annotation?.listType) out["x-kubernetes-list-type"] = annotation.listType;
  if (annotation?.listMapKeys) out["x-kubernetes-list-map-keys"] = [...annotation.listMapKeys];
  if (annotation?.mapType) out["x-kubernetes-map-type"] = annotation.mapType;
  if (annotation?.patchMergeKey) out["x-kubernetes-patch-merge-key"] = annotation.patchMergeKey;
  if (annotation?.patchStrategy) out["x-kubernetes-patch-strategy"] = annotation.patchStrategy;
  return out;
}

/** Descriptions of the fields every kind shares, for kinds we did not describe one by one. */
function commonFieldDescription(message: string, json: string): string | undefined {
  if (kindsOf(message).length === 0 && json !== "metadata") return undefined;
  switch (json) {
    case "apiVersion":
      return "The versioned schema of this representation of an object: `group/version`, or `v1` for the core group. Servers convert recognized schemas to the latest internal value and may reject unrecognized values.";
    case "kind":
      return "The REST resource this object represents, in CamelCase. Servers may infer it from the endpoint the client submits requests to; it cannot be updated.";
    case "metadata":
      return message.endsWith("List") ? "Standard list metadata: resourceVersion and continue token." : "Standard object metadata: name, namespace, labels, annotations, owner references and the fields the server sets.";
    case "spec":
      return "The desired behavior of this object, as the user states it.";
    case "status":
      return "The most recently observed state of this object, written by the system. Read-only.";
    case "items":
      return "The objects of the list.";
  }
  return undefined;
}

const typeMeta = ["apiVersion", "kind"];

/** The definition of one message. */
function messageSchema(message: string, dialect: Dialect, refs: Set<string>): JsonSchema {
  const gvks = kindsOf(message);
  const properties: Record<string, JsonSchema> = {};
  if (gvks.length > 0) for (const name of typeMeta) properties[name] = { type: "string", ...withDescription(commonFieldDescription(message, name)) };
  for (const f of fieldsOf(message)) properties[f.json] = fieldSchema(message, f, dialect, refs);
  const required = requiredOf(message);
  const out: JsonSchema = { ...withDescription(descriptionOf(message)), type: "object", properties: sortedKeys(properties) };
  if (required.length) out.required = required;
  if (gvks.length) out["x-kubernetes-group-version-kind"] = gvks.map((g) => ({ group: g.group, kind: g.kind, version: g.version }));
  return out;
}

const withDescription = (d: string | undefined) => (d ? { description: d } : {});

/** Upstream writes properties sorted by name. */
function sortedKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Message definitions are pure functions of the tables: computed once per dialect, shared read-only. */
const messageSchemas: Record<Dialect, Map<string, { schema: JsonSchema; refs: ReadonlySet<string> }>> = { v2: new Map(), v3: new Map() };

function cachedMessageSchema(message: string, dialect: Dialect): { schema: JsonSchema; refs: ReadonlySet<string> } {
  let hit = messageSchemas[dialect].get(message);
  if (!hit) {
    const refs = new Set<string>();
    hit = { schema: messageSchema(message, dialect, refs), refs };
    messageSchemas[dialect].set(message, hit);
  }
  return hit;
}

/**
 * The definitions of `roots` (table message names) and of everything they refer to, by OpenAPI
 * name. The same inputs always give equal output; callers must not mutate the schemas.
 */
export function builtinDefinitions(roots: Iterable<string>, dialect: Dialect): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  const pending = new Set<string>(roots);
  const done = new Set<string>();
  while (pending.size > 0) {
    const [next] = pending;
    pending.delete(next);
    if (done.has(next)) continue;
    done.add(next);
    if (next.startsWith("special:")) {
      const s = specialDefinitions[next.slice("special:".length)];
      out[s.name] = { description: s.description, ...s[dialect] };
      continue;
    }
    const { schema, refs } = cachedMessageSchema(next, dialect);
    out[definitionName(next)] = schema;
    for (const r of refs) if (!done.has(r)) pending.add(r);
  }
  return sortedKeys(out);
}
