/**
 * The single description of the built-in kinds: the protobuf message tables
 * (src/apiserver/protobuf/schemas: structure, types, field numbers) joined with the annotation
 * layer (annotations.ts) and our descriptions (descriptions.ts). Everything that needs to know a
 * built-in field — OpenAPI, strategic-merge metadata, protobuf — reads it through here or through
 * the tables themselves.
 *
 * Messages are named as in the tables, `pkg.Name` (`core.PodSpec`, `meta.ObjectMeta`).
 */
import { messageDef, registeredKindList, SCALAR_CODES, SPECIAL_CODES, type FieldDef } from "../apiserver/protobuf/schema";
import { fieldAnnotations, requiredFields } from "./annotations";
import { descriptions } from "./descriptions";
import type { FieldAnnotation, GroupVersionKind } from "./types";

/** A field as an object's JSON shows it: inlined embedded structs are flattened into their parent. */
export interface SchemaField extends FieldDef {
  /** The message that declares the field (the embedded one, for inlined fields). */
  readonly owner: string;
}

const flattened = new Map<string, readonly SchemaField[]>();

/** The JSON-visible fields of a message, in Go struct order; empty for an unknown message. */
export function fieldsOf(message: string): readonly SchemaField[] {
  const hit = flattened.get(message);
  if (hit) return hit;
  const out: SchemaField[] = [];
  for (const f of messageDef(message)?.fields ?? []) {
    if (f.json === "") out.push(...fieldsOf(f.type));
    else out.push({ ...f, owner: message });
  }
  flattened.set(message, out);
  return out;
}

/** The field with JSON name `json` of `message` (inlined fields included), or undefined. */
export function fieldOf(message: string, json: string): SchemaField | undefined {
  return fieldsOf(message).find((f) => f.json === json);
}

export function annotationOf(field: SchemaField): FieldAnnotation | undefined {
  const key = `${field.owner}.${field.json}`;
  return Object.hasOwn(fieldAnnotations, key) ? fieldAnnotations[key] : undefined;
}

/** The JSON names of the fields a valid object must set, as upstream's OpenAPI `required`. */
export function requiredOf(message: string): string[] {
  const owners = new Set(fieldsOf(message).map((f) => f.owner));
  const names = new Set([...owners].flatMap((o) => (Object.hasOwn(requiredFields, o) ? requiredFields[o].split(" ") : [])));
  return fieldsOf(message)
    .filter((f) => names.has(f.json))
    .map((f) => f.json);
}

/** Our description of a message (`core.Pod`) or of a field (`core.Pod.spec`), if we wrote one. */
export function descriptionOf(message: string, json?: string): string | undefined {
  const key = json === undefined ? message : `${message}.${json}`;
  return Object.hasOwn(descriptions, key) ? descriptions[key] : undefined;
}

let kindsByMessage: Map<string, GroupVersionKind[]> | undefined;

function gvkIndex(): Map<string, GroupVersionKind[]> {
  if (kindsByMessage) return kindsByMessage;
  kindsByMessage = new Map();
  for (const { apiVersion, kind, message } of registeredKindList()) {
    const slash = apiVersion.indexOf("/");
    const gvk = { group: slash < 0 ? "" : apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind };
    if (!kindsByMessage.has(message)) kindsByMessage.set(message, []);
    kindsByMessage.get(message)!.push(gvk);
  }
  return kindsByMessage;
}

/** The group/version/kinds a message is registered as (empty for a message that is no kind). */
export function kindsOf(message: string): readonly GroupVersionKind[] {
  return gvkIndex().get(message) ?? [];
}

/**
 * The message of a built-in kind. `group` undefined matches the kind in any group; `version`
 * undefined matches any version (the first registered).
 */
export function kindMessageName(kind: string, group?: string, version?: string): string | undefined {
  const key = `${kind}/${group ?? "*"}/${version ?? "*"}`;
  if (kindLookups.has(key)) return kindLookups.get(key);
  let found: string | undefined;
  for (const [message, gvks] of gvkIndex()) {
    if (gvks.some((g) => g.kind === kind && (group === undefined || g.group === group) && (version === undefined || g.version === version))) {
      found = message;
      break;
    }
  }
  kindLookups.set(key, found);
  return found;
}

const kindLookups = new Map<string, string | undefined>();

const isMessage = (type: string) => !SCALAR_CODES.has(type) && !SPECIAL_CODES.has(type);

/**
 * The field at `path` of a kind's objects: JSON field names from the object's root; list items
 * add no segment, map values add their key (`spec.template.spec.containers[*].env` is
 * `["spec","template","spec","containers","env"]`). A kind the tables do not know (a custom
 * resource) has only its `metadata`. Undefined when no such field exists.
 */
export function fieldAt(kind: string, group: string | undefined, path: readonly string[]): SchemaField | undefined {
  let message = kindMessageName(kind, group) ?? (path[0] === "metadata" ? "meta.PartialObjectMetadata" : undefined);
  for (let i = 0; message !== undefined && i < path.length; i++) {
    const field = fieldOf(message, path[i]);
    if (!field || i === path.length - 1) return field;
    if (!isMessage(field.type)) return undefined;
    if (field.card === "map") i++; // the map key
    message = field.type;
  }
  return undefined;
}

/**
 * Server-side apply's view of the list or map at `path` (see {@link fieldAt}): upstream's
 * `x-kubernetes-list-type` with its map keys, or `x-kubernetes-map-type`. Undefined when the
 * field has no such marker.
 */
export function listTypeAt(
  kind: string,
  group: string | undefined,
  path: readonly string[],
): { type: "atomic" | "set" | "map"; keys?: readonly string[] } | { mapType: "atomic" | "granular" } | undefined {
  const field = fieldAt(kind, group, path);
  const a = field && annotationOf(field);
  if (a?.listType) return a.listMapKeys ? { type: a.listType, keys: a.listMapKeys } : { type: a.listType };
  if (a?.mapType) return { mapType: a.mapType };
  return undefined;
}
