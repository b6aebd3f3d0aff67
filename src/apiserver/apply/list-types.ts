/**
 * How server-side apply treats each list (and, for a few, each object) of a kind — upstream's
 * `x-kubernetes-list-type` / `x-kubernetes-list-map-keys` / `x-kubernetes-map-type`:
 * - `map`:    an associative list; items are identified by the values of `keys` (a key missing
 *             from an item takes its default from `keyDefaults`), merged and owned item by item;
 * - `set`:    a list of primitives; items are identified by their value;
 * - `atomic`: replaced and owned as a whole. Lists without an entry are atomic. An object path
 *             may be declared atomic too (upstream's `+structType=atomic`, e.g. a LabelSelector);
 *             objects without an entry are owned field by field.
 */
import { listTypeAt } from "../../schema/model";
import { patchMeta } from "../patch/patch-metadata";
import { isPlainObject } from "./fieldpath";

export interface ListType {
  type: "atomic" | "set" | "map";
  keys?: string[];
  keyDefaults?: Record<string, unknown>;
}

/** `path`: JSON field names from the object's root; list items add no segment. */
export type ListTypeLookup = (path: readonly string[]) => ListType | undefined;

/** Objects upstream marks `+structType=atomic` that built-in kinds use: label selectors. */
function isAtomicStruct(kind: string, path: readonly string[]): boolean {
  const last = path[path.length - 1];
  if (last === "labelSelector" || last === "namespaceSelector" || last === "podSelector") return true;
  // Service and ReplicationController selectors are plain string maps, owned key by key.
  return path.length === 2 && path[0] === "spec" && last === "selector" && kind !== "Service" && kind !== "ReplicationController";
}

/**
 * The list types of a built-in kind: the schema's `x-kubernetes-list-type` / `map-type` where
 * declared, else (as upstream's schema conversion) derived from the strategic-merge-patch metadata.
 */
export function builtinListTypes(kind: string, group: string | undefined): ListTypeLookup {
  return (path) => {
    if (path.length > 0 && isAtomicStruct(kind, path)) return { type: "atomic" };
    const declared = listTypeAt(kind, group, path);
    if (declared && "mapType" in declared) return declared.mapType === "atomic" ? { type: "atomic" } : undefined;
    if (declared?.type === "map") {
      const keys = [...(declared.keys ?? [])];
      return keys.includes("protocol") ? { type: "map", keys, keyDefaults: { protocol: "TCP" } } : { type: "map", keys };
    }
    if (declared) return { type: declared.type };
    const meta = patchMeta(kind, group, path);
    if (!meta?.strategy.includes("merge")) return undefined;
    if (!meta.mergeKey) return { type: "set" };
    return { type: "map", keys: [meta.mergeKey] };
  };
}

type Schema = Record<string, unknown>;

/** Steps from a schema node to the schema of the value at `field` (through list items). */
function childSchema(schema: Schema | undefined, field: string): Schema | undefined {
  let node = schema;
  while (node && node.type === "array" && isPlainObject(node.items)) node = node.items;
  if (!node) return undefined;
  const props = node.properties;
  if (isPlainObject(props) && isPlainObject(props[field])) return props[field];
  const additional = node.additionalProperties;
  return isPlainObject(additional) ? additional : undefined;
}

/** The list types of a custom resource, read from its structural OpenAPI v3 schema. */
export function listTypesFromSchema(openApiV3Schema: unknown): ListTypeLookup {
  const root = isPlainObject(openApiV3Schema) ? openApiV3Schema : undefined;
  return (path) => {
    let node = root;
    for (const field of path) node = childSchema(node, field);
    if (!node) return undefined;
    if (node.type === "object" || node["x-kubernetes-map-type"] !== undefined) {
      return node["x-kubernetes-map-type"] === "atomic" ? { type: "atomic" } : undefined;
    }
    const listType = node["x-kubernetes-list-type"];
    if (listType === "set") return { type: "set" };
    if (listType !== "map") return undefined;
    const keys = Array.isArray(node["x-kubernetes-list-map-keys"]) ? node["x-kubernetes-list-map-keys"].map(String) : [];
    const item = isPlainObject(node.items) ? node.items : undefined;
    const props = item && isPlainObject(item.properties) ? item.properties : {};
    const keyDefaults: Record<string, unknown> = {};
    for (const key of keys) {
      const prop = props[key];
      if (isPlainObject(prop) && prop.default !== undefined) keyDefaults[key] = prop.default;
    }
    return Object.keys(keyDefaults).length > 0 ? { type: "map", keys, keyDefaults } : { type: "map", keys };
  };
}
