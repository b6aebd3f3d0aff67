/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), as kube-apiserver applies it
 * (k8s.io/apimachinery `pkg/util/strategicpatch`, StrategicMergeMapPatch with MergeParallelList and
 * IgnoreUnmatchedNulls, behind `handlers/patch.go`):
 *
 * - maps merge recursively; `null` deletes a member;
 * - lists follow the field's patch metadata ({@link patchMeta}): strategy `merge` with a merge key
 *   merges items by that key, `merge` without one merges primitives as a set; any other list is
 *   replaced by the patch's;
 * - directives: `$patch: replace|delete` on a map (`delete` leaves an empty map), `$patch:
 *   replace|delete` items in merged lists, `$retainKeys`, `$setElementOrder/<list>`,
 *   `$deleteFromPrimitiveList/<list>`; `$patch: merge` is refused, on maps and in lists, as upstream;
 * - merged lists are ordered as upstream: items named by the patch in the patch's order (or the
 *   `$setElementOrder` list's), interleaved best-effort with server-only items in their live order,
 *   including the effect of Go slice aliasing (an item added where one was deleted is placed by
 *   the freed live slot).
 *
 * Values the patch adds where the object had nothing (a new member, a new list item, a replaced
 * list or map) keep upstream's handling (nulls pruned from new members, a new map holding `$patch`
 * is dropped) and then lose any directive keys, as decoding into the typed object would drop them.
 *
 * Pure: inputs are never modified and the result shares no structure with them.
 */
import { errors, StatusError } from "../status";
import { cloneJson, goJsonKind, jsonEqual } from "./json-patch";
import { patchMeta, type PatchMeta } from "./patch-metadata";

type Obj = Record<string, unknown>;

/** Patch metadata of the field at a path (JSON field names; list items add no segment). */
export type PatchMetaLookup = (path: readonly string[]) => PatchMeta | undefined;

const DIRECTIVE = "$patch";
const RETAIN_KEYS = "$retainKeys";
const SET_ELEMENT_ORDER = "$setElementOrder";
const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList";

// ---------------------------------------------------------------------------------------------
// Errors. Upstream answers its three directive-format errors with 400 and lists of lists with 422
// (interpretStrategicMergePatchError); its other errors are plain Go errors, which kube-apiserver
// answers with 500 and an empty reason. Those are 400 BadRequest here, with upstream's text.

const badRetainKeys = () => errors.badRequest("invalid patch format of retainKeys");
const badSetElementOrder = () => errors.badRequest("invalid patch format of setElementOrder list");
const badPrimitiveList = () => errors.badRequest("invalid patch format of primitive list");
const noListOfLists = () =>
  new StatusError(422, "Invalid", "the server rejected our request due to an error in our request");
const failure = (message: string) => errors.badRequest(message);

const noMergeKey = (m: unknown, key: string) => failure(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);
const badArgType = (expected: "map" | "slice", actual: unknown) =>
  failure(`expected a ${expected === "map" ? "map[string]interface {}" : "[]interface {}"}, but received a ${goTypeName(actual)}`);
const badPatchType = (t: unknown, m: unknown) => failure(`unknown patch type: ${goFormatS(t)} in map: ${goFormat(m)}`);

/** reflect.TypeOf(v).String() for decoded JSON (Go decodes integers as int64 here). */
function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return "%!s(<nil>)";
  if (Array.isArray(v)) return "[]interface {}";
  switch (typeof v) {
    case "string":
      return "string";
    case "boolean":
      return "bool";
    case "number":
      return Number.isInteger(v) ? "int64" : "float64";
    default:
      return "map[string]interface {}";
  }
}

function goFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (!Number.isFinite(n)) return n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN";
  const [mantissa, exp] = n.toExponential().split("e");
  const e = Number(exp);
  if (e < -4 || e >= 21 || (e >= 6 && mantissa.replace(/[-.]/g, "").length > 6)) {
    return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  return String(n);
}

/** fmt's %v of decoded JSON: `map[a:1 b:[x y]]`, keys sorted. */
function goFormat(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(goFormat).join(" ")}]`;
  if (typeof v === "object") {
    const o = v as Obj;
    const keys = Object.keys(o).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${keys.map((k) => `${k}:${goFormat(o[k])}`).join(" ")}]`;
  }
  if (typeof v === "number") return goFloat(v);
  return String(v);
}

/** fmt's %s of a decoded JSON scalar. */
function goFormatS(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "%!s(<nil>)";
  if (typeof v === "number" || typeof v === "boolean") return `%!s(${goTypeName(v)}=${goFormat(v)})`;
  return goFormat(v);
}

// ---------------------------------------------------------------------------------------------
// Helpers

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function setOwn(o: Obj, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

/** Go's `==` on decoded JSON values (uncomparable values, which would panic there, compare deeply). */
function goEqual(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return a === b;
  return jsonEqual(a, b);
}

function isDirectiveKey(k: string): boolean {
  return (
    k === DIRECTIVE ||
    k === RETAIN_KEYS ||
    k.startsWith(SET_ELEMENT_ORDER) ||
    k.startsWith(DELETE_FROM_PRIMITIVE_LIST)
  );
}

/** Drops directive keys and null members, as decoding a patch value into a typed object would. */
function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null || x === undefined || isDirectiveKey(k)) continue;
    setOwn(out, k, stripDirectives(x));
  }
  return out;
}

/** discardNullValuesFromPatch: null members go, recursively (list elements stay). */
function discardNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(discardNulls);
  if (!isObject(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) setOwn(out, k, discardNulls(x));
  return out;
}

/**
 * removeDirectives: a map holding `$patch` is dropped (from its parent map or list); returns
 * undefined for a dropped value.
 */
function removeDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(removeDirectives).filter((x) => x !== undefined);
  if (!isObject(v)) return v;
  if (hasOwn(v, DIRECTIVE)) return undefined;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    const y = removeDirectives(x);
    if (y !== undefined) setOwn(out, k, y);
  }
  return out;
}

/** A patch value written where the object had nothing to merge into; undefined: write nothing. */
function freshValue(v: unknown): unknown {
  const kept = removeDirectives(discardNulls(v));
  return kept === undefined ? undefined : stripDirectives(kept);
}

/** extractKey: `$prefix/field` → field. */
function extractKey(key: string, prefix: string, error: () => StatusError): string {
  const slash = key.indexOf("/");
  if (slash < 0 || key.slice(0, slash) !== prefix) throw error();
  return key.slice(slash + 1);
}

/** The non-retainKeys strategy of a field ("" for none), as extractRetainKeysPatchStrategy. */
function listOrMapStrategy(meta: PatchMeta | undefined): string {
  if (!meta) return "";
  const parts = meta.strategy.split(",");
  if (parts.length === 1) return parts[0] === "retainKeys" ? "" : parts[0];
  if (parts.length === 2 && parts[0] === "retainKeys") return parts[1];
  if (parts.length === 2 && parts[1] === "retainKeys") return parts[0];
  throw failure(`unexpected patch strategy: [${parts.join(" ")}]`);
}

// ---------------------------------------------------------------------------------------------
// List element kinds and ordering

type ElementKind = "map" | "string" | "bool" | "int64" | "float64" | "nil";

function elementKind(v: unknown): ElementKind | "slice" {
  if (v === null || v === undefined) return "nil";
  if (Array.isArray(v)) return "slice";
  switch (typeof v) {
    case "string":
      return "string";
    case "boolean":
      return "bool";
    case "number":
      return Number.isInteger(v) ? "int64" : "float64";
    default:
      return "map";
  }
}

/** sliceElementType: all elements of all lists must have one type, and not be lists. */
function sliceElementType(...lists: unknown[][]): ElementKind {
  let kind: ElementKind | "slice" | undefined;
  for (const list of lists) {
    for (const v of list) {
      const k = elementKind(v);
      if (kind === undefined) {
        kind = k;
        if (kind === "slice") throw noListOfLists();
      } else if (k !== kind) {
        throw failure(`list element types are not identical: ${goFormat(lists)}`);
      }
    }
  }
  if (kind === undefined || kind === "slice") throw failure("no elements in any of the given slices");
  return kind;
}

/** index(): position of an item in `list`, matched by merge key for maps and by value otherwise. */
function indexIn(list: unknown[], item: unknown, mergeKey: string, kind: ElementKind): number {
  const valueOf = (x: unknown) => (kind === "map" ? (isObject(x) ? x[mergeKey] : undefined) : x);
  const wanted = valueOf(item);
  return list.findIndex((x) => goEqual(valueOf(x), wanted));
}

/**
 * sort.SliceStable (insertion sort on blocks of 20, then SymMerge), kept exactly because
 * upstream's comparator is not a strict weak order when an item is missing from the order list.
 */
function goStableSort<T>(data: T[], less: (a: T, b: T) => boolean): void {
  const lessAt = (i: number, j: number) => less(data[i], data[j]);
  const swap = (i: number, j: number) => {
    const t = data[i];
    data[i] = data[j];
    data[j] = t;
  };
  const insertionSort = (a: number, b: number) => {
    for (let i = a + 1; i < b; i++) for (let j = i; j > a && lessAt(j, j - 1); j--) swap(j, j - 1);
  };
  const swapRange = (a: number, b: number, n: number) => {
    for (let i = 0; i < n; i++) swap(a + i, b + i);
  };
  const rotate = (a: number, m: number, b: number) => {
    let i = m - a;
    let j = b - m;
    while (i !== j) {
      if (i > j) {
        swapRange(m - i, m, j);
        i -= j;
      } else {
        swapRange(m - i, m + j - i, i);
        j -= i;
      }
    }
    swapRange(m - i, m, i);
  };
  const symMerge = (a: number, m: number, b: number): void => {
    if (m - a === 1) {
      let i = m;
      let j = b;
      while (i < j) {
        const h = (i + j) >>> 1;
        if (lessAt(h, a)) i = h + 1;
        else j = h;
      }
      for (let k = a; k < i - 1; k++) swap(k, k + 1);
      return;
    }
    if (b - m === 1) {
      let i = a;
      let j = m;
      while (i < j) {
        const h = (i + j) >>> 1;
        if (!lessAt(m, h)) i = h + 1;
        else j = h;
      }
      for (let k = m; k > i; k--) swap(k, k - 1);
      return;
    }
    const mid = (a + b) >>> 1;
    const n = mid + m;
    let start: number;
    let r: number;
    if (m > mid) {
      start = n - b;
      r = mid;
    } else {
      start = a;
      r = m;
    }
    const p = n - 1;
    while (start < r) {
      const c = (start + r) >>> 1;
      if (!lessAt(p - c, c)) start = c + 1;
      else r = c;
    }
    const end = n - start;
    if (start < m && m < end) rotate(start, m, end);
    if (a < start && start < mid) symMerge(a, start, mid);
    if (mid < end && end < b) symMerge(mid, end, b);
  };

  const n = data.length;
  let blockSize = 20;
  let a = 0;
  let b = blockSize;
  while (b <= n) {
    insertionSort(a, b);
    a = b;
    b += blockSize;
  }
  insertionSort(a, n);
  while (blockSize < n) {
    a = 0;
    b = 2 * blockSize;
    while (b <= n) {
      symMerge(a, a + blockSize, b);
      a = b;
      b += 2 * blockSize;
    }
    const m = a + blockSize;
    if (m < n) symMerge(a, m, n);
    blockSize *= 2;
  }
}

function validateMergeKeyInLists(mergeKey: string, ...lists: unknown[][]): void {
  for (const list of lists) {
    for (const item of list) {
      if (!isObject(item)) throw badArgType("map", item);
      if (!hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    }
  }
}

/** extractToDeleteItems: [kept, `$patch: delete` items]. */
function extractToDeleteItems(list: unknown[]): [unknown[], unknown[]] {
  const keep: unknown[] = [];
  const del: unknown[] = [];
  for (const v of list) {
    if (!isObject(v)) throw badArgType("map", v);
    if (hasOwn(v, DIRECTIVE) && v[DIRECTIVE] === "delete") del.push(v);
    else keep.push(v);
  }
  return [keep, del];
}

/** normalizeSliceOrder: sort `toSort` by position in `order` (delete items go last). */
function normalizeSliceOrder(toSort: unknown[], order: unknown[], mergeKey: string, kind: ElementKind): unknown[] {
  let del: unknown[] = [];
  let items = [...toSort];
  if (kind === "map") {
    validateMergeKeyInLists(mergeKey, items, order);
    [items, del] = extractToDeleteItems(items);
  }
  goStableSort(items, (x, y) => {
    const ix = indexIn(order, x, mergeKey, kind);
    if (ix >= 0) {
      const iy = indexIn(order, y, mergeKey, kind);
      if (iy >= 0) return ix < iy;
    }
    return true;
  });
  return [...items, ...del];
}

/**
 * mergeSortedSlice: interleaves server-only items (`left`) into patch items (`right`), both
 * already sorted; a server-only item goes first only when both are in the live list and it comes
 * first there.
 */
function mergeSortedSlice(left: unknown[], right: unknown[], serverOrder: unknown[], mergeKey: string, kind: ElementKind): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey, kind);
      const ri = indexIn(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

function normalizeElementOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: ElementKind,
): unknown[] {
  const sortedPatch = normalizeSliceOrder(patchItems, patchOrder, mergeKey, kind);
  const sortedServer = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(sortedServer, sortedPatch, serverOrder, mergeKey, kind);
}

/** findMapInSliceBasedOnKeyValue: index of the first map whose merge key equals `value`, or -1. */
function findByKey(list: unknown[], mergeKey: string, value: unknown): number {
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (!isObject(v)) throw failure(`value for key ${i} is not a map`);
    if (hasOwn(v, mergeKey) && goEqual(v[mergeKey], value)) return i;
  }
  return -1;
}

/** Splits `list` into items present in `by` and the others (server-only). */
function partition(list: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of list) {
    let found: boolean;
    if (mergeKey) {
      if (!isObject(v)) throw badArgType("map", v);
      if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
      found = findByKey(by, mergeKey, v[mergeKey]) >= 0;
    } else {
      found = by.some((x) => goEqual(x, v));
    }
    (found ? inPatch : serverOnly).push(v);
  }
  return [inPatch, serverOnly];
}

// ---------------------------------------------------------------------------------------------
// Merging

class Merger {
  constructor(private readonly lookup: PatchMetaLookup) {}

  /** mergeMap: merges `patch` into `original` (both private copies, modified in place). */
  mergeMap(original: Obj, patch: Obj, path: readonly string[]): Obj {
    if (hasOwn(patch, DIRECTIVE)) {
      const directive = patch[DIRECTIVE];
      if (directive === "replace") {
        delete patch[DIRECTIVE];
        return stripDirectives(patch) as Obj;
      }
      if (directive === "delete") return {};
      throw badPatchType(directive, patch);
    }

    this.applyRetainKeys(original, patch);
    this.mergeSetElementOrder(original, patch, path);

    // Lists are merged before their `$deleteFromPrimitiveList` twins (upstream's order is random).
    const keys = Object.keys(patch);
    const ordered = [
      ...keys.filter((k) => !k.startsWith(DELETE_FROM_PRIMITIVE_LIST)),
      ...keys.filter((k) => k.startsWith(DELETE_FROM_PRIMITIVE_LIST)),
    ];
    for (const patchKey of ordered) {
      const patchValue = patch[patchKey];
      let key = patchKey;
      let isDeleteList = false;
      if (patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
        key = extractKey(patchKey, DELETE_FROM_PRIMITIVE_LIST, badPrimitiveList);
        isDeleteList = true;
      }

      if (patchValue === null || patchValue === undefined) {
        delete original[key];
        continue;
      }

      if (!hasOwn(original, key) || elementKind(original[key]) !== elementKind(patchValue)) {
        if (!isDeleteList) this.writeFresh(original, key, patchValue);
        continue;
      }

      const current = original[key];
      const fieldPath = [...path, key];
      if (isObject(current) && isObject(patchValue)) {
        const strategy = listOrMapStrategy(this.lookup(fieldPath));
        setOwn(original, key, strategy === "replace" ? stripDirectives(patchValue) : this.mergeMap(current, patchValue, fieldPath));
      } else if (Array.isArray(current) && Array.isArray(patchValue)) {
        const meta = this.lookup(fieldPath);
        setOwn(original, key, this.mergeSliceHandler(current, patchValue, fieldPath, listOrMapStrategy(meta), meta?.mergeKey ?? "", isDeleteList));
      } else {
        setOwn(original, key, patchValue);
      }
    }
    return original;
  }

  private writeFresh(original: Obj, key: string, patchValue: unknown): void {
    const v = freshValue(patchValue);
    if (v === undefined) delete original[key];
    else setOwn(original, key, v);
  }

  /** applyRetainKeysDirective: clears the members `$retainKeys` does not list. */
  private applyRetainKeys(original: Obj, patch: Obj): void {
    if (!hasOwn(patch, RETAIN_KEYS)) return;
    const retain = patch[RETAIN_KEYS];
    delete patch[RETAIN_KEYS];
    if (!Array.isArray(retain)) throw badRetainKeys();
    const kept = (k: string) => retain.some((r) => r === k);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
      if (!kept(k)) throw badRetainKeys();
    }
    for (const k of Object.keys(original)) if (!kept(k)) delete original[k];
  }

  /** mergePatchIntoOriginal: merges each list named by a `$setElementOrder`, then orders it. */
  private mergeSetElementOrder(original: Obj, patch: Obj, path: readonly string[]): void {
    for (const directiveKey of Object.keys(patch)) {
      if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
      const order = patch[directiveKey];
      delete patch[directiveKey];
      if (!Array.isArray(order)) throw badArgType("slice", order);
      const key = extractKey(directiveKey, SET_ELEMENT_ORDER, badSetElementOrder);

      const foundOriginal = hasOwn(original, key);
      const foundPatch = hasOwn(patch, key);
      let originalList: unknown[] = [];
      let patchList: unknown[] = [];
      if (foundOriginal) {
        if (!Array.isArray(original[key])) throw badArgType("slice", original[key]);
        originalList = original[key] as unknown[];
      }
      if (foundPatch) {
        if (!Array.isArray(patch[key])) throw badArgType("slice", patch[key]);
        patchList = patch[key] as unknown[];
      }
      const fieldPath = [...path, key];
      const meta = this.lookup(fieldPath);
      const strategy = listOrMapStrategy(meta);
      const mergeKey = meta?.mergeKey ?? "";
      validatePatchWithSetOrderList(patchList, order, mergeKey);

      let merged: unknown[];
      if (foundOriginal && !foundPatch) merged = originalList;
      else if (!foundOriginal && foundPatch) merged = stripDirectives(removeDirectives(patchList)) as unknown[];
      else if (foundOriginal && foundPatch) merged = this.mergeSliceHandler(originalList, patchList, fieldPath, strategy, mergeKey, false);
      else continue;

      const [patchItems, serverOnly] = partition(merged, order, mergeKey);
      const kind = sliceElementType(originalList, patchList);
      setOwn(original, key, normalizeElementOrder(patchItems, serverOnly, order, originalList, mergeKey, kind));
      delete patch[key];
    }
  }

  private mergeSliceHandler(
    original: unknown[],
    patch: unknown[],
    path: readonly string[],
    strategy: string,
    mergeKey: string,
    isDeleteList: boolean,
  ): unknown[] {
    if (strategy === "merge" || isDeleteList) return this.mergeSlice(original, patch, path, mergeKey, isDeleteList);
    return stripDirectives(patch) as unknown[];
  }

  /**
   * mergeSlice. For lists of maps `original` is used as upstream uses its Go slice: deletions shift
   * items left inside it and new items are appended into the slots they free, so a caller holding
   * `original` (the `$setElementOrder` path) sees those writes, as upstream's live order does.
   */
  private mergeSlice(original: unknown[], patch: unknown[], path: readonly string[], mergeKey: string, isDeleteList: boolean): unknown[] {
    if (original.length === 0 && patch.length === 0) return original;
    const kind = sliceElementType(original, patch);

    if (kind !== "map") {
      if (isDeleteList) return original.filter((v) => !patch.some((d) => goEqual(d, v)));
      const merged: unknown[] = [];
      for (const v of [...original, ...patch]) if (!merged.some((m) => goEqual(m, v))) merged.push(v);
      const [inPatch, serverOnly] = partition(merged, patch, "");
      return normalizeElementOrder(inPatch, serverOnly, patch, original, "", kind);
    }

    if (!mergeKey) throw failure("cannot merge lists without merge key for struct");
    const list = new GoSlice(original);
    const patchItems = applySpecialElements(list, patch, mergeKey);
    const live = list.view();
    for (const item of patchItems) {
      const v = item as Obj;
      if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
      const at = findByKey(list.view(), mergeKey, v[mergeKey]);
      if (at >= 0) list.set(at, this.mergeMap(list.get(at) as Obj, v, path));
      else list.append(stripDirectives(v));
    }
    const merged = list.view();
    const [inPatch, serverOnly] = partition(merged, patchItems, mergeKey);
    return normalizeElementOrder(inPatch, serverOnly, patchItems, live, mergeKey, kind);
  }
}

/** A Go slice over a shared backing array: enough of len/cap/append to reproduce aliasing. */
class GoSlice {
  private length: number;
  constructor(private backing: unknown[]) {
    this.length = backing.length;
  }
  view(): unknown[] {
    return this.backing.slice(0, this.length);
  }
  get(i: number): unknown {
    return this.backing[i];
  }
  set(i: number, v: unknown): void {
    this.backing[i] = v;
  }
  /** `s = append(s[:i], s[i+1:]...)`. */
  removeAt(i: number): void {
    for (let j = i; j < this.length - 1; j++) this.backing[j] = this.backing[j + 1];
    this.length--;
  }
  /** `s = append(s, v)`: in place while the backing array has room, else into a new array. */
  append(v: unknown): void {
    if (this.length >= this.backing.length) this.backing = this.view();
    this.backing[this.length++] = v;
  }
  /** `s = other` (a fresh slice). */
  replace(items: unknown[]): void {
    this.backing = items;
    this.length = items.length;
  }
}

/**
 * mergeSliceWithSpecialElements: applies `$patch: delete` items to the live list; a
 * `$patch: replace` item makes the patch's other items the whole list. Returns the patch items
 * still to merge.
 */
function applySpecialElements(list: GoSlice, patch: unknown[], mergeKey: string): unknown[] {
  const plain: unknown[] = [];
  let replace = false;
  for (const item of patch) {
    const v = item as Obj;
    if (!hasOwn(v, DIRECTIVE)) {
      plain.push(v);
      continue;
    }
    const directive = v[DIRECTIVE];
    if (directive === "delete") {
      if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
      for (let at = findByKey(list.view(), mergeKey, v[mergeKey]); at >= 0; at = findByKey(list.view(), mergeKey, v[mergeKey])) {
        list.removeAt(at);
      }
    } else if (directive === "replace") {
      replace = true;
    } else if (directive === "merge") {
      throw failure("merging lists cannot yet be specified in the patch");
    } else {
      throw badPatchType(directive, v);
    }
  }
  if (!replace) return plain;
  list.replace(plain.map(stripDirectives));
  return [];
}

/**
 * validatePatchWithSetOrderList: the patch list's items (deletions aside) must appear in the
 * `$setElementOrder` list, in the same relative order.
 */
function validatePatchWithSetOrderList(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = mergeKey ? extractToDeleteItems(patchList)[0] : patchList;
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    const item = items[p];
    if (isObject(item) && hasOwn(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (mergeKeyValueEqual(item, order[o], mergeKey)) p++;
    o++;
  }
  if (p < items.length && o >= order.length) {
    throw failure(`The order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormat(order)}\n`);
  }
}

function mergeKeyValueEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (!mergeKey) return goEqual(left, right);
  if (!isObject(left)) throw badArgType("map", left);
  if (!isObject(right)) throw badArgType("map", right);
  if (!hasOwn(left, mergeKey)) throw noMergeKey(left, mergeKey);
  if (!hasOwn(right, mergeKey)) throw noMergeKey(right, mergeKey);
  return goEqual(left[mergeKey], right[mergeKey]);
}

// ---------------------------------------------------------------------------------------------
// Entry points

/**
 * Applies a parsed strategic merge patch body to `original`, with patch metadata from `lookup`.
 * A `null` body is an empty patch; any other non-object is a 400, as the apiserver's decoding.
 */
export function strategicMergePatchWithMeta(original: unknown, patch: unknown, lookup: PatchMetaLookup): unknown {
  if (patch === null || patch === undefined) return cloneJson(isObject(original) ? original : {});
  if (!isObject(patch)) {
    throw errors.badRequest(`json: cannot unmarshal ${goJsonKind(patch)} into Go value of type map[string]interface {}`);
  }
  const doc = isObject(original) ? cloneJson(original) : {};
  return new Merger(lookup).mergeMap(doc, cloneJson(patch), []);
}

/**
 * kube-apiserver's strategic merge patch of a built-in object of `kind` (in `group`; undefined
 * matches the kind in any group). Throws a StatusError (400, or 422 for lists of lists) for
 * malformed patches, with upstream's messages.
 */
export function applyStrategicMergePatch(original: unknown, patch: unknown, kind: string, group?: string): unknown {
  return strategicMergePatchWithMeta(original, patch, (path) => patchMeta(kind, group, path));
}
