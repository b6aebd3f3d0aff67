/**
 * How values enter the store: encoded to JSON once (the text that D1 stores and whose length
 * counts against quotas) and decoded into a fresh, deeply frozen copy that every reader shares.
 * The round trip means memory holds exactly what a cold start from D1 would load, and the
 * caller's object is never frozen or aliased.
 *
 * Decoded values share memory with earlier ones: equal short strings (timestamps, reasons, image
 * names) and equal flat objects (a toleration, a condition, resource requests) are stored once.
 * That is safe because stored values are frozen, and it is what lets a sandbox of 10,000 pods and
 * their events fit in a Durable Object's memory.
 */

export interface EncodedValue<V> {
  /** JSON text of the value. */
  readonly text: string;
  /** A deeply frozen copy decoded from `text`. */
  readonly value: V;
}

/**
 * `previous`, when given, is the stored value this one replaces (the key's previous revision):
 * every part equal to the corresponding part of `previous` is taken from it, so revisions of one
 * object kept in the watch history share what did not change (a pod's spec across its status
 * updates).
 */
export function encodeValue<V>(value: V, previous?: V): EncodedValue<V> {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError("storage values must be JSON-encodable");
  return { text, value: canonical(JSON.parse(text), previous) as V };
}

/** Decodes stored JSON text into a deeply frozen value (sharing equal parts with earlier values). */
export function decodeValue<V>(text: string): V {
  return canonical(JSON.parse(text), undefined) as V;
}

/** Longest string, and longest flat-object key, worth sharing. */
const MAX_SHARED_STRING = 128;
const MAX_SHARED_OBJECT_KEY = 128;
/** The tables start afresh past this many entries: values already decoded keep what they share. */
const MAX_SHARED_ENTRIES = 20_000;
let sharedStrings = new Map<string, string>();
let sharedObjects = new Map<string, object>();

function shareString(s: string): string {
  if (s.length > MAX_SHARED_STRING) return s;
  const known = sharedStrings.get(s);
  if (known !== undefined) return known;
  if (sharedStrings.size >= MAX_SHARED_ENTRIES) sharedStrings = new Map();
  sharedStrings.set(s, s);
  return s;
}

/**
 * Freezes a freshly parsed JSON value bottom-up, replacing short strings and flat objects (only
 * primitive members) by equal ones seen before, and any part equal to its counterpart in
 * `previous` (a frozen value decoded earlier) by that counterpart.
 */
function canonical(value: unknown, previous: unknown): unknown {
  if (typeof value === "string") return value === previous ? previous : shareString(value);
  if (typeof value !== "object" || value === null) return value;
  const prev = typeof previous === "object" && previous !== null ? (previous as Record<string, unknown>) : undefined;
  if (Array.isArray(value)) {
    const prevArray = Array.isArray(prev) ? prev : undefined;
    let same = prevArray?.length === value.length;
    for (let i = 0; i < value.length; i++) {
      value[i] = canonical(value[i], prevArray?.[i]);
      same &&= value[i] === prevArray![i];
    }
    return same ? prevArray : Object.freeze(value);
  }
  const obj = value as Record<string, unknown>;
  const prevObject = prev && !Array.isArray(prev) ? prev : undefined;
  const prevKeys = prevObject && Object.keys(prevObject);
  let same = prevKeys !== undefined;
  let count = 0;
  let key: string | null = "";
  for (const k in obj) {
    const v = canonical(obj[k], prevObject?.[k]);
    obj[k] = v;
    same &&= k === prevKeys![count] && v === prevObject![k];
    count++;
    if (key === null) continue;
    if (typeof v === "object" && v !== null) key = null;
    else key += `${k}\u0000${typeof v === "string" ? "s" : ""}${String(v)}\u0001`;
  }
  if (same && count === prevKeys!.length) return prevObject;
  Object.freeze(obj);
  if (key === null || key.length > MAX_SHARED_OBJECT_KEY) return obj;
  const known = sharedObjects.get(key);
  if (known !== undefined) return known;
  if (sharedObjects.size >= MAX_SHARED_ENTRIES) sharedObjects = new Map();
  sharedObjects.set(key, obj);
  return obj;
}

/** Freezes a JSON value and everything inside it; returns it. Already-frozen subtrees are skipped. */
export function deepFreeze<V>(value: V): V {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (Array.isArray(value)) {
      for (const item of value) deepFreeze(item);
    } else {
      for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
    }
  }
  return value;
}
