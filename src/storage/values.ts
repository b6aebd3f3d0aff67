/**
 * How values enter the store: encoded to JSON once (the text that D1 stores and whose length
 * counts against quotas) and decoded into a fresh, deeply frozen copy that every reader shares.
 * The round trip means memory holds exactly what a cold start from D1 would load, and the
 * caller's object is never frozen or aliased.
 */

export interface EncodedValue<V> {
  /** JSON text of the value. */
  readonly text: string;
  /** A deeply frozen copy decoded from `text`. */
  readonly value: V;
}

export function encodeValue<V>(value: V): EncodedValue<V> {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError("storage values must be JSON-encodable");
  return { text, value: deepFreeze(JSON.parse(text) as V) };
}

/** Decodes stored JSON text into a deeply frozen value. */
export function decodeValue<V>(text: string): V {
  return deepFreeze(JSON.parse(text) as V);
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
