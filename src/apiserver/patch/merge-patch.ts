/**
 * JSON Merge Patch (RFC 7386): `null` deletes a member, objects merge recursively, everything
 * else (arrays included) replaces.
 *
 * Two flavours:
 * - {@link mergePatch}: the RFC algorithm, exactly.
 * - {@link applyMergePatch}: what kube-apiserver does for `application/merge-patch+json`
 *   (gopkg.in/evanphx/json-patch.v4 MergePatch behind the handler's decoding), which differs from
 *   the RFC in one observable way: when a patch value is written where the document had no object
 *   to merge into, nulls are pruned from it recursively, including inside objects within arrays
 *   (`{"a":[{"b":null}]}` onto `{}` gives `{"a":[{}]}`; the RFC keeps the null).
 *
 * All functions are pure: inputs are never modified and results share no structure with them.
 */
import { errors } from "../status";
import { cloneJson, goJsonKind, jsonEqual, type FieldValidation, type JsonValue } from "./json-patch";

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function setOwn(o: Obj, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

/** RFC 7386 MergePatch(target, patch). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return cloneJson(patch);
  const result: Obj = isObject(target) ? cloneJson(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (v === null) delete result[k];
    else setOwn(result, k, mergePatch(hasOwn(result, k) ? result[k] : undefined, v));
  }
  return result;
}

// ---- evanphx/json-patch v4 semantics (in place, on private copies) ----

function pruneNulls(v: unknown): unknown {
  if (isObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null || v[k] === undefined) delete v[k];
      else pruneNulls(v[k]);
    }
  } else if (Array.isArray(v)) {
    for (const el of v) if (el !== null) pruneNulls(el);
  }
  return v;
}

function mergeValue(cur: unknown, patch: unknown): unknown {
  if (!isObject(cur)) return pruneNulls(patch);
  if (!isObject(patch)) return patch;
  mergeDocs(cur, patch);
  return cur;
}

function mergeDocs(doc: Obj, patch: Obj): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === undefined) {
      delete doc[k];
    } else if (!hasOwn(doc, k) || doc[k] === null || doc[k] === undefined) {
      setOwn(doc, k, pruneNulls(v));
    } else {
      setOwn(doc, k, mergeValue(doc[k], v));
    }
  }
}

/**
 * kube-apiserver's merge patch of an object: the parsed patch body onto `doc`.
 *
 * Errors, as the apiserver answers them:
 * - fieldValidation Warn (the default) or Strict and a patch that is not an object or null:
 *   400 `error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}`;
 * - a `null` patch, or (with Ignore) a string/number/boolean patch: 400 `Invalid JSON Patch`.
 *
 * With fieldValidation Ignore an array patch replaces the whole document (nulls pruned) and is
 * returned as is; the caller's decoding of the result then fails, as upstream.
 */
export function applyMergePatch(doc: unknown, patch: unknown, fieldValidation: FieldValidation = "Warn"): unknown {
  if ((fieldValidation === "Warn" || fieldValidation === "Strict") && patch !== null && !isObject(patch)) {
    throw errors.badRequest(
      `error decoding patch: json: cannot unmarshal ${goJsonKind(patch)} into Go value of type map[string]interface {}`,
    );
  }
  if (patch === null || patch === undefined) throw errors.badRequest("Invalid JSON Patch");
  if (Array.isArray(patch)) return pruneNulls(cloneJson(patch));
  if (!isObject(patch)) throw errors.badRequest("Invalid JSON Patch");
  const patchCopy = cloneJson(patch);
  if (!isObject(doc)) return pruneNulls(patchCopy);
  const result = cloneJson(doc);
  mergeDocs(result, patchCopy);
  return result;
}

/**
 * A merge patch that turns `original` into `modified` (objects are diffed member by member;
 * removed members become null; anything else that differs is replaced wholesale).
 * When either side is not an object the patch is `modified` itself.
 */
export function createMergePatch(original: unknown, modified: unknown): JsonValue {
  if (!isObject(original) || !isObject(modified)) return cloneJson(modified) as JsonValue;
  const patch: Record<string, JsonValue> = {};
  for (const k of Object.keys(original)) {
    if (original[k] !== undefined && (!hasOwn(modified, k) || modified[k] === undefined)) setOwn(patch, k, null);
  }
  for (const [k, v] of Object.entries(modified)) {
    if (v === undefined) continue;
    const before = hasOwn(original, k) ? original[k] : undefined;
    if (before === undefined) {
      setOwn(patch, k, cloneJson(v) as JsonValue);
    } else if (isObject(before) && isObject(v)) {
      const sub = createMergePatch(before, v);
      if (isObject(sub) && Object.keys(sub).length > 0) setOwn(patch, k, sub);
    } else if (!jsonEqual(before, v)) {
      setOwn(patch, k, cloneJson(v) as JsonValue);
    }
  }
  return patch;
}
