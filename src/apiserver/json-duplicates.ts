/**
 * Finds object keys that occur more than once in a JSON text — something `JSON.parse` silently
 * resolves (the last value wins) but Go's strict decoder reports as `duplicate field "a.b"`.
 *
 * Contract: the text is valid JSON (callers parse it first); on anything else the scan stops
 * early without throwing. One linear pass; allocations only for the frames of open containers
 * (reused by depth), the keys of open objects and the reported duplicates.
 */

/** A step of a path inside a JSON document: an object key or an array index. */
export type PathSegment = string | number;

export interface DuplicateKey {
  /** Path of the object holding the repeated key (empty for the root object). */
  readonly parent: readonly PathSegment[];
  readonly key: string;
}

interface Frame {
  isObject: boolean;
  /** In an object: the next string is a key. */
  expectKey: boolean;
  /** In an array: index of the next element. */
  index: number;
  keys: string[];
  keySet: Set<string> | undefined;
}

/** Above this many keys an object's keys are tracked in a Set rather than scanned linearly. */
const LINEAR_KEY_LIMIT = 16;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isDelimiter(c: number): boolean {
  // , ] } and JSON whitespace
  return c === 0x2c || c === 0x5d || c === 0x7d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Index of the closing quote of the string that opens at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i;
  }
  return -1;
}

/** Returns true when the key was already present in the frame (and records it otherwise). */
function seenBefore(frame: Frame, key: string): boolean {
  if (frame.keySet) {
    if (frame.keySet.has(key)) return true;
    frame.keySet.add(key);
    return false;
  }
  if (frame.keys.includes(key)) return true;
  frame.keys.push(key);
  if (frame.keys.length > LINEAR_KEY_LIMIT) frame.keySet = new Set(frame.keys);
  return false;
}

export function findDuplicateKeys(text: string): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const frames: Frame[] = [];
  const path: PathSegment[] = [];
  let depth = 0;

  const open = (isObject: boolean) => {
    const parent = depth > 0 ? frames[depth - 1] : undefined;
    if (parent && !parent.isObject) path.push(parent.index);
    let frame = frames[depth];
    if (!frame) frames[depth] = frame = { isObject, expectKey: isObject, index: 0, keys: [], keySet: undefined };
    else {
      frame.isObject = isObject;
      frame.expectKey = isObject;
      frame.index = 0;
      frame.keys.length = 0;
      frame.keySet = undefined;
    }
    depth++;
  };
  /** A value ended in the current container; `wasContainer` when it pushed an array index. */
  const valueDone = (wasContainer: boolean) => {
    if (depth === 0) return;
    const frame = frames[depth - 1];
    if (frame.isObject) {
      path.pop();
      frame.expectKey = true;
    } else {
      if (wasContainer) path.pop();
      frame.index++;
    }
  };

  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) break;
      const frame = depth > 0 ? frames[depth - 1] : undefined;
      if (frame?.isObject && frame.expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes("\\") ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (seenBefore(frame, key)) found.push({ parent: path.slice(), key });
        path.push(key);
        frame.expectKey = false;
      } else {
        valueDone(false);
      }
      i = end + 1;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      open(c === 0x7b);
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (depth === 0) break;
      depth--;
      valueDone(true);
      i++;
    } else if (c === 0x2c || c === 0x3a || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      i++;
    } else {
      // number, true, false, null
      while (i < text.length && !isDelimiter(text.charCodeAt(i))) i++;
      valueDone(false);
    }
  }
  return found;
}
