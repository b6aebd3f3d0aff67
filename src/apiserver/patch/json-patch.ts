/**
 * RFC 6902 JSON Patch with the behaviour kube-apiserver actually has: it applies patches with
 * gopkg.in/evanphx/json-patch.v4 (k8s.io/apiserver/pkg/endpoints/handlers/patch.go), whose
 * deviations from the RFC are kept here because clients can observe them:
 *
 * - negative array indices count from the end (`/a/-1` is the last element; for `add`, `-1`
 *   appends); indices may have a sign or leading zeros (`+1`, `01`);
 * - `replace` of a missing object member adds it (arrays still need an existing index);
 * - `add`/`remove` with path "" fail; `replace` with path "" swaps the whole document (object or array);
 * - `copy` from a missing object member copies `null`; an op without `value` writes `null`;
 * - `test` of a missing or null member passes when `value` is null or absent;
 * - a path whose first character is not `/` still works from the second segment on (`a/b` ≡ `/b`).
 *
 * Every apply failure becomes the same 422 Invalid, because the apiserver wraps the library's error
 * with errors.NewGenericServerResponse(422, ...), which drops the library's text:
 * `{"code":422,"reason":"Invalid","message":"the server rejected our request due to an error in our request","details":{}}`.
 * {@link tryApplyJsonPatch} returns the library's own text, for logs and tests.
 */
import { errors, StatusError } from "../status";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A patch operation as sent; fields are validated while applying, as upstream. */
export type JsonPatchOperation = Record<string, unknown>;

/** handlers.maxJSONPatchOperations. */
export const JSON_PATCH_MAX_OPERATIONS = 10000;
/** kube-apiserver's JSONPatchMaxCopyBytes: total bytes `copy` operations may add. */
export const JSON_PATCH_MAX_COPY_BYTES = 3 * 1024 * 1024;

/** The value of `fieldValidation` (default Warn, as kube-apiserver). */
export type FieldValidation = "Ignore" | "Warn" | "Strict";

/** The 422 every JSON patch apply failure turns into. */
export function jsonPatchApplyError(): StatusError {
  return new StatusError(422, "Invalid", "the server rejected our request due to an error in our request", {});
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** How Go's encoding/json names a JSON value's kind in UnmarshalTypeError. */
export function goJsonKind(v: unknown): string {
  if (Array.isArray(v)) return "array";
  switch (typeof v) {
    case "string":
      return "string";
    case "number":
    case "bigint":
      return "number";
    case "boolean":
      return "bool";
    default:
      return "object";
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const OP_FIELDS = ["op", "path", "from", "value"];

/**
 * Checks a parsed JSON Patch body the way the apiserver decodes it, before applying:
 *
 * - with fieldValidation Warn/Strict (the default is Warn) the body is first strictly decoded into
 *   `[]handlers.jsonPatchOp`: type errors are 400 `error decoding patch: json: cannot unmarshal
 *   object into Go value of type []handlers.jsonPatchOp` (or `... into Go struct field
 *   jsonPatchOp.op of type string`), and unknown members are returned as `strictErrors`
 *   (`json patch unknown field "[0].foo"`) for the caller to warn about (Warn) or reject (Strict,
 *   as a 422 on field `patch`);
 * - then it is decoded as the library does (Ignore reports these as the bare Go message:
 *   `json: cannot unmarshal object into Go value of type jsonpatch.Patch`);
 * - more than 10000 operations is 413 RequestEntityTooLarge.
 *
 * A `null` body is an empty patch.
 */
export function decodeJsonPatch(
  body: unknown,
  fieldValidation: FieldValidation = "Warn",
): { ops: (JsonPatchOperation | null)[]; strictErrors: string[] } {
  const strictErrors: string[] = [];
  if (fieldValidation === "Warn" || fieldValidation === "Strict") {
    let typeError: string | undefined;
    if (body !== null && !Array.isArray(body)) {
      typeError = `json: cannot unmarshal ${goJsonKind(body)} into Go value of type []handlers.jsonPatchOp`;
    } else if (Array.isArray(body)) {
      body.forEach((el, i) => {
        if (el === null) return;
        if (!isPlainObject(el)) {
          typeError ??= `json: cannot unmarshal ${goJsonKind(el)} into Go value of type handlers.jsonPatchOp`;
          return;
        }
        for (const [k, v] of Object.entries(el)) {
          if (!OP_FIELDS.includes(k)) {
            strictErrors.push(`json patch unknown field "[${i}].${k}"`);
          } else if (k !== "value" && v !== null && typeof v !== "string") {
            typeError ??= `json: cannot unmarshal ${goJsonKind(v)} into Go struct field jsonPatchOp.${k} of type string`;
          }
        }
      });
    }
    if (typeError !== undefined) throw errors.badRequest(`error decoding patch: ${typeError}`);
  }
  if (body === null) return { ops: [], strictErrors };
  if (!Array.isArray(body)) {
    throw errors.badRequest(`json: cannot unmarshal ${goJsonKind(body)} into Go value of type jsonpatch.Patch`);
  }
  for (const el of body) {
    if (el !== null && !isPlainObject(el)) {
      throw errors.badRequest(`json: cannot unmarshal ${goJsonKind(el)} into Go value of type jsonpatch.Operation`);
    }
  }
  if (body.length > JSON_PATCH_MAX_OPERATIONS) {
    throw errors.tooLarge(`The allowed maximum operations in a JSON patch is ${JSON_PATCH_MAX_OPERATIONS}, got ${body.length}`);
  }
  return { ops: body as (JsonPatchOperation | null)[], strictErrors };
}

// ---------------------------------------------------------------------------------------------
// Applying

class PatchError extends Error {}

function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** Sets an own property without ever touching the prototype (safe for `__proto__`). */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

/** Deep copy of JSON data (undefined members dropped, like a JSON round trip). */
export function cloneJson<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : cloneJson(x))) as T;
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) setOwn(out, k, cloneJson(x));
    return out as T;
  }
  return v;
}

/** Structural equality of JSON data. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x ?? null, bb[i] ?? null));
  }
  const ka = Object.keys(a);
  const bo = b as Record<string, unknown>;
  if (ka.length !== Object.keys(bo).length) return false;
  return ka.every((k) => hasOwn(bo, k) && jsonEqual((a as Record<string, unknown>)[k] ?? null, bo[k] ?? null));
}

/** strconv.Atoi as the library uses it for array indices. */
function atoi(key: string): number {
  if (!/^[+-]?[0-9]+$/.test(key)) throw new PatchError(`strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`);
  const n = Number(key);
  if (!Number.isSafeInteger(n)) throw new PatchError(`strconv.Atoi: parsing ${JSON.stringify(key)}: value out of range`);
  return n;
}

const invalidIndex = (idx: number) => new PatchError(`Unable to access invalid index: ${idx}: invalid index referenced`);

type Container = Record<string, unknown> | unknown[];

function containerGet(c: Container, key: string): unknown {
  if (!Array.isArray(c)) return hasOwn(c, key) ? c[key] ?? null : undefined;
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -c.length) throw invalidIndex(idx);
    idx += c.length;
  }
  if (idx >= c.length) throw invalidIndex(idx);
  return c[idx] ?? null;
}

/** Only used for `replace`, after a successful get. */
function containerSet(c: Container, key: string, val: unknown): void {
  if (!Array.isArray(c)) {
    setOwn(c, key, val);
    return;
  }
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -c.length) throw invalidIndex(idx);
    idx += c.length;
  }
  c[idx] = val;
}

function containerAdd(c: Container, key: string, val: unknown): void {
  if (!Array.isArray(c)) {
    setOwn(c, key, val);
    return;
  }
  if (key === "-") {
    c.push(val);
    return;
  }
  let idx: number;
  try {
    idx = atoi(key);
  } catch (e) {
    throw new PatchError(`value was not a proper array index: '${key}': ${(e as Error).message}`);
  }
  const size = c.length + 1;
  if (idx >= size) throw invalidIndex(idx);
  if (idx < 0) {
    if (idx < -size) throw invalidIndex(idx);
    idx += size;
  }
  c.splice(idx, 0, val);
}

function containerRemove(c: Container, key: string): void {
  if (!Array.isArray(c)) {
    if (!hasOwn(c, key)) throw new PatchError(`Unable to remove nonexistent key: ${key}: missing value`);
    delete c[key];
    return;
  }
  let idx = atoi(key);
  if (idx >= c.length) throw invalidIndex(idx);
  if (idx < 0) {
    if (idx < -c.length) throw invalidIndex(idx);
    idx += c.length;
  }
  c.splice(idx, 1);
}

function decodePointerToken(t: string): string {
  // strings.NewReplacer("~1", "/", "~0", "~"): one left-to-right pass, so "~01" is "~1".
  return t.replace(/~[01]/g, (m) => (m === "~1" ? "/" : "~"));
}

function isContainer(v: unknown): v is Container {
  return typeof v === "object" && v !== null;
}

/** findObject: the container holding the last path segment, and that segment; undefined if unreachable. */
function findObject(root: Container, path: string): [Container, string] | undefined {
  const split = path.split("/");
  if (split.length < 2) return undefined;
  let doc: Container = root;
  for (const part of split.slice(1, -1)) {
    let next: unknown;
    try {
      next = containerGet(doc, decodePointerToken(part));
    } catch {
      return undefined;
    }
    if (!isContainer(next)) return undefined;
    doc = next;
  }
  return [doc, decodePointerToken(split[split.length - 1]!)];
}

/** Reads a string member the way Operation.Path()/From() do; undefined = missing or null. */
function stringMember(op: JsonPatchOperation, name: string): string | undefined | PatchError {
  if (!hasOwn(op, name) || op[name] === null || op[name] === undefined) return undefined;
  const v = op[name];
  if (typeof v !== "string") return new PatchError(`json: cannot unmarshal ${goJsonKind(v)} into Go value of type string`);
  return v;
}

function opPath(op: JsonPatchOperation, kind: string): string {
  const p = stringMember(op, "path");
  if (p === undefined) throw new PatchError(`${kind} operation failed to decode path: missing value`);
  if (p instanceof PatchError) throw new PatchError(`${kind} operation failed to decode path: ${p.message}`);
  return p;
}

function opFrom(op: JsonPatchOperation, kind: string): string {
  const p = stringMember(op, "from");
  if (p === undefined) throw new PatchError(`${kind} operation failed to decode from: operation, missing from field: missing value`);
  if (p instanceof PatchError) throw new PatchError(`${kind} operation failed to decode from: ${p.message}`);
  return p;
}

/** The op's value, deep-copied so the result never aliases the patch; absent → null. */
function opValue(op: JsonPatchOperation): unknown {
  return hasOwn(op, "value") && op.value !== undefined ? cloneJson(op.value) : null;
}

function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

interface State {
  root: Container;
  copied: number;
}

function applyOne(state: State, op: JsonPatchOperation | null): void {
  const kind = op && typeof op.op === "string" ? op.op : "unknown";
  if (op === null || !["add", "remove", "replace", "move", "test", "copy"].includes(kind)) {
    throw new PatchError(`Unexpected kind: ${kind}`);
  }
  switch (kind) {
    case "add": {
      const path = opPath(op, "add");
      const found = findObject(state.root, path);
      if (!found) throw new PatchError(`add operation does not apply: doc is missing path: "${path}": missing value`);
      try {
        containerAdd(found[0], found[1], opValue(op));
      } catch (e) {
        throw new PatchError(`error in add for path: '${path}': ${(e as Error).message}`);
      }
      return;
    }
    case "remove": {
      const path = opPath(op, "remove");
      const found = findObject(state.root, path);
      if (!found) throw new PatchError(`remove operation does not apply: doc is missing path: "${path}": missing value`);
      try {
        containerRemove(found[0], found[1]);
      } catch (e) {
        throw new PatchError(`error in remove for path: '${path}': ${(e as Error).message}`);
      }
      return;
    }
    case "replace": {
      const path = opPath(op, "replace");
      if (path === "") {
        const val = opValue(op);
        if (!isContainer(val)) throw new PatchError("replace operation value must be object or array: <nil>");
        state.root = val;
        return;
      }
      const found = findObject(state.root, path);
      if (!found) throw new PatchError(`replace operation does not apply: doc is missing path: ${path}: missing value`);
      try {
        containerGet(found[0], found[1]);
      } catch {
        throw new PatchError(`replace operation does not apply: doc is missing key: ${path}: missing value`);
      }
      containerSet(found[0], found[1], opValue(op));
      return;
    }
    case "move": {
      const from = opFrom(op, "move");
      const src = findObject(state.root, from);
      if (!src) throw new PatchError(`move operation does not apply: doc is missing from path: ${from}: missing value`);
      let val: unknown;
      try {
        val = containerGet(src[0], src[1]) ?? null;
        containerRemove(src[0], src[1]);
      } catch (e) {
        throw new PatchError(`error in move for path: '${src[1]}': ${(e as Error).message}`);
      }
      const path = opPath(op, "move");
      const dst = findObject(state.root, path);
      if (!dst) throw new PatchError(`move operation does not apply: doc is missing destination path: ${path}: missing value`);
      try {
        containerAdd(dst[0], dst[1], val);
      } catch (e) {
        throw new PatchError(`error in move for path: '${path}': ${(e as Error).message}`);
      }
      return;
    }
    case "test": {
      const path = opPath(op, "test");
      const hasValue = hasOwn(op, "value") && op.value !== undefined;
      if (path === "") {
        if (jsonEqual(state.root, hasValue ? op.value : undefined)) return;
        throw new PatchError(`testing value ${path} failed: test failed`);
      }
      const found = findObject(state.root, path);
      if (!found) throw new PatchError(`test operation does not apply: is missing path: ${path}: missing value`);
      let val: unknown;
      try {
        val = containerGet(found[0], found[1]);
      } catch (e) {
        throw new PatchError(`error in test for path: '${path}': ${(e as Error).message}`);
      }
      if (val === undefined || val === null) {
        if (!hasValue || op.value === null) return;
        throw new PatchError(`testing value ${path} failed: test failed`);
      }
      if (hasValue && jsonEqual(val, op.value)) return;
      throw new PatchError(`testing value ${path} failed: test failed`);
    }
    case "copy": {
      const from = opFrom(op, "copy");
      const src = findObject(state.root, from);
      if (!src) throw new PatchError(`copy operation does not apply: doc is missing from path: ${from}: missing value`);
      let val: unknown;
      try {
        val = containerGet(src[0], src[1]);
      } catch (e) {
        throw new PatchError(`error in copy for from: '${from}': ${(e as Error).message}`);
      }
      const path = opPath(op, "copy");
      const dst = findObject(state.root, path);
      if (!dst) throw new PatchError(`copy operation does not apply: doc is missing destination path: ${path}: missing value`);
      const copy = val === undefined || val === null ? null : cloneJson(val);
      state.copied += copy === null ? 0 : utf8Bytes(JSON.stringify(copy));
      if (state.copied > JSON_PATCH_MAX_COPY_BYTES) {
        throw new PatchError(
          `Unable to complete the copy, the accumulated size increase of copy is ${state.copied}, exceeding the limit ${JSON_PATCH_MAX_COPY_BYTES}`,
        );
      }
      try {
        containerAdd(dst[0], dst[1], copy);
      } catch (e) {
        throw new PatchError(`error while adding value during copy: ${(e as Error).message}`);
      }
      return;
    }
  }
}

/**
 * Applies the operations to a copy of `doc` and returns it, or the library's error text.
 * `doc` is never modified, and the result shares no structure with `doc` or `ops`.
 */
export function tryApplyJsonPatch<T>(
  doc: T,
  ops: readonly (JsonPatchOperation | null)[],
): { ok: true; doc: T } | { ok: false; error: string } {
  if (!isContainer(doc)) return { ok: false, error: "json: cannot unmarshal non-object document" };
  const state: State = { root: cloneJson(doc as Container), copied: 0 };
  try {
    for (const op of ops) applyOne(state, op);
  } catch (e) {
    if (e instanceof PatchError) return { ok: false, error: e.message };
    throw e;
  }
  return { ok: true, doc: state.root as T };
}

/**
 * Pure JSON Patch application. Throws StatusError 422 Invalid with kube-apiserver's generic
 * message on any failure (see the file comment); `doc` is never modified.
 */
export function applyJsonPatch<T>(doc: T, ops: readonly (JsonPatchOperation | null)[]): T {
  const result = tryApplyJsonPatch(doc, ops);
  if (!result.ok) throw jsonPatchApplyError();
  return result.doc;
}
