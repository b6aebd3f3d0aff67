/**
 * The operations structured-merge-diff performs on typed values, over plain JSON objects with the
 * list types supplied by a {@link ListTypeLookup}: the field set a value sets, the comparison of two
 * values, the merge of an applied configuration into a live object, and the removal of paths.
 * All functions are pure and never mutate their inputs.
 */
import { FieldSet, isPlainObject, keyElement, pathString, serializePathElement, type Path, type PathElement } from "./fieldpath";
import type { ListType, ListTypeLookup } from "./list-types";

/** A value that does not fit its list types (an item without its key, a duplicate key). */
export class TypedValueError extends Error {}

type Json = unknown;

function isAtomicList(info: ListType | undefined): boolean {
  return !info || info.type === "atomic";
}

function isAtomicObject(lookup: ListTypeLookup, schemaPath: readonly string[]): boolean {
  return schemaPath.length > 0 && lookup(schemaPath)?.type === "atomic";
}

/** The element naming a list item, or a TypedValueError when the item cannot be named. */
function itemElement(info: ListType, item: Json, index: number, at: Path): PathElement {
  if (info.type === "set") {
    if (isPlainObject(item) || Array.isArray(item)) throw new TypedValueError(`${pathString(at)}: element ${index}: associative list without keys has an element that's a map type`);
    return { value: item };
  }
  const keys = info.keys ?? [];
  if (keys.length === 0 || !isPlainObject(item)) return { index };
  return keyElement(
    keys.map((name) => {
      const v = item[name] ?? info.keyDefaults?.[name];
      if (v === undefined || v === null) {
        throw new TypedValueError(`${pathString(at)}: element ${index}: associative list with keys has an element that omits key field ${JSON.stringify(name)} (and doesn't have default value)`);
      }
      return [name, v] as const;
    }),
  );
}

interface IndexedItem {
  pe: PathElement;
  id: string;
  value: Json;
}

/** The items of a non-atomic list with their names; duplicate names are an error. */
function indexItems(info: ListType, list: readonly Json[], at: Path): IndexedItem[] {
  const seen = new Set<string>();
  return list.map((value, i) => {
    const pe = itemElement(info, value, i, at);
    const id = serializePathElement(pe);
    if (seen.has(id)) throw new TypedValueError(`${pathString(at)}: duplicate entries for key ${pathString([pe])}`);
    seen.add(id);
    return { pe, id, value };
  });
}

/** The set of leaf fields, list items and empty objects that `value` sets (upstream ToFieldSet). */
export function toFieldSet(value: Json, lookup: ListTypeLookup): FieldSet {
  const set = new FieldSet();
  const walk = (v: Json, schemaPath: string[], at: PathElement[]): void => {
    if (Array.isArray(v)) {
      const info = lookup(schemaPath);
      if (isAtomicList(info)) return set.insert(at);
      for (const item of indexItems(info!, v, at)) {
        const itemPath = [...at, item.pe];
        walk(item.value, schemaPath, itemPath);
        set.insert(itemPath);
      }
      return;
    }
    if (isPlainObject(v)) {
      if (isAtomicObject(lookup, schemaPath)) return set.insert(at);
      for (const [k, child] of Object.entries(v)) {
        const childPath = [...at, { field: k }];
        walk(child, [...schemaPath, k], childPath);
        if (child === null || (isPlainObject(child) && Object.keys(child).length === 0)) set.insert(childPath);
      }
      return;
    }
    set.insert(at);
  };
  walk(value, [], []);
  return set;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

function isEmptyObject(v: Json): boolean {
  return v === undefined || (isPlainObject(v) && Object.keys(v).length === 0);
}

export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * What changed from `lhs` to `rhs` (upstream Compare): leaves, list items and objects that
 * appeared, changed or disappeared. An object or list item that appears or disappears is itself
 * in `added`/`removed` together with its contents.
 */
export function compare(lhs: Json, rhs: Json, lookup: ListTypeLookup): Comparison {
  const out: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const leaf = (l: Json, r: Json, at: Path): void => {
    if (l === undefined && r === undefined) return;
    if (l === undefined) out.added.insert(at);
    else if (r === undefined) out.removed.insert(at);
    else if (!deepEqual(l, r)) out.modified.insert(at);
  };
  const walk = (l: Json, r: Json, schemaPath: string[], at: Path): void => {
    if (l === undefined && r === undefined) return;
    const present = r === undefined ? l : r;
    const sameShape = l === undefined || r === undefined || (Array.isArray(l) === Array.isArray(r) && isPlainObject(l) === isPlainObject(r));
    if (!sameShape) return leaf(l, r, at);
    if (Array.isArray(present)) {
      const info = lookup(schemaPath);
      if (isAtomicList(info)) return leaf(l, r, at);
      const left = new Map(indexItems(info!, (l as Json[] | undefined) ?? [], at).map((i) => [i.id, i]));
      const right = new Map(indexItems(info!, (r as Json[] | undefined) ?? [], at).map((i) => [i.id, i]));
      for (const [id, item] of left) walk(item.value, right.get(id)?.value, schemaPath, [...at, item.pe]);
      for (const [id, item] of right) if (!left.has(id)) walk(undefined, item.value, schemaPath, [...at, item.pe]);
    } else if (isPlainObject(present)) {
      if (isAtomicObject(lookup, schemaPath) || (isEmptyObject(l) && isEmptyObject(r))) return leaf(l, r, at);
      const lo = (l ?? {}) as Record<string, Json>;
      const ro = (r ?? {}) as Record<string, Json>;
      for (const k of new Set([...Object.keys(lo), ...Object.keys(ro)])) walk(lo[k], ro[k], [...schemaPath, k], [...at, { field: k }]);
    } else {
      return leaf(l, r, at);
    }
    if (l === undefined) out.added.insert(at);
    else if (r === undefined) out.removed.insert(at);
  };
  walk(lhs, rhs, [], []);
  return out;
}

type MergedItem = { live?: IndexedItem; config?: IndexedItem };

/**
 * Items of both lists in upstream's merged order: items only in the live list keep their place,
 * the configuration's items come in its order, and an item in both is placed where the
 * configuration puts it relative to the other shared items.
 */
function mergedOrder(live: IndexedItem[], config: IndexedItem[]): MergedItem[] {
  const liveById = new Map(live.map((i) => [i.id, i]));
  const inConfig = new Set(config.map((i) => i.id));
  const sharedOrder = config.filter((i) => liveById.has(i.id)).map((i) => i.id);
  let nextShared = 0;
  const emitted = new Set<string>();
  const out: MergedItem[] = [];
  let li = 0;
  let ci = 0;
  while (li < live.length || ci < config.length) {
    const l = live[li];
    const c = config[ci];
    if (l && c) {
      if (l.id === c.id) {
        out.push({ live: l, config: c });
        emitted.add(c.id);
        li++;
        ci++;
        nextShared++;
        continue;
      }
      if (inConfig.has(l.id) && nextShared < sharedOrder.length && sharedOrder[nextShared] !== l.id) {
        li++; // shared, but the configuration places another shared item first
        continue;
      }
    }
    if (l && !inConfig.has(l.id)) {
      out.push({ live: l });
      li++;
      continue;
    }
    if (l && emitted.has(l.id)) {
      li++;
      continue;
    }
    if (c) {
      out.push({ live: liveById.get(c.id), config: c });
      emitted.add(c.id);
      if (sharedOrder[nextShared] === c.id) nextShared++;
      ci++;
      continue;
    }
    li++;
  }
  return out;
}

/**
 * The applied configuration merged into the live value (upstream Merge): the configuration wins
 * for leaves and atomic values, objects merge field by field, associative lists and sets merge
 * item by item. A `null` in the configuration removes the field.
 */
export function merge(live: Json, config: Json, lookup: ListTypeLookup): Json {
  const copy = (v: Json): Json =>
    Array.isArray(v) ? v.map(copy) : isPlainObject(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, copy(x)])) : v;
  const walk = (l: Json, c: Json, schemaPath: string[], at: Path): Json => {
    if (c === undefined) return l;
    if (l === undefined || l === null) return copy(c);
    if (Array.isArray(c) && Array.isArray(l)) {
      const info = lookup(schemaPath);
      if (isAtomicList(info)) return copy(c);
      return mergedOrder(indexItems(info!, l, at), indexItems(info!, c, at)).map((e) =>
        e.config ? walk(e.live?.value, e.config.value, schemaPath, [...at, e.config.pe]) : e.live?.value,
      );
    }
    if (isPlainObject(c) && isPlainObject(l) && !isAtomicObject(lookup, schemaPath)) {
      const out: Record<string, Json> = { ...l };
      for (const [k, v] of Object.entries(c)) {
        if (v === null) delete out[k];
        else out[k] = walk(l[k], v, [...schemaPath, k], [...at, { field: k }]);
      }
      return out;
    }
    return copy(c);
  };
  return walk(live, config, [], []);
}

/** `value` without the paths of `set`: a member path goes with everything below it. */
export function removeItems(value: Json, set: FieldSet, lookup: ListTypeLookup): Json {
  const walk = (v: Json, toRemove: FieldSet, schemaPath: string[], at: Path): Json => {
    if (toRemove.isEmpty()) return v;
    if (Array.isArray(v)) {
      const info = lookup(schemaPath);
      if (isAtomicList(info)) return v;
      return indexItems(info!, v, at)
        .filter((item) => !toRemove.hasMember(item.pe))
        .map((item) => walk(item.value, toRemove.childSet(item.pe), schemaPath, [...at, item.pe]));
    }
    if (isPlainObject(v)) {
      if (isAtomicObject(lookup, schemaPath)) return v;
      const out: Record<string, Json> = {};
      for (const [k, child] of Object.entries(v)) {
        const pe = { field: k };
        if (toRemove.hasMember(pe)) continue;
        out[k] = walk(child, toRemove.childSet(pe), [...schemaPath, k], [...at, pe]);
      }
      return out;
    }
    return v;
  };
  return walk(value, set, [], []);
}
