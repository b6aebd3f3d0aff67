/**
 * core/v1 Secret: type defaulting, `stringData` merged into `data`, upstream's ValidateSecret /
 * ValidateSecretUpdate and the `kubectl get secrets` columns.
 *
 * `data` values are base64 in JSON ([]byte fields). A value that is not valid standard base64 never
 * reaches validation upstream: the JSON decoder fails and kube-apiserver answers
 * 400 BadRequest `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at
 * input byte N` (N as Go's encoding/base64 reports it). The same decoding rules are exported for
 * ConfigMap.binaryData.
 */
import { errors, field, type FieldError } from "../../apiserver/status";
import type { KindStrategy, KObject } from "../types";
import { regexError } from "../../apiserver/names";
import { ageCell } from "./service";

/* eslint-disable @typescript-eslint/no-explicit-any */

export const maxSecretSize = 1024 * 1024;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** validation.IsConfigMapKey (Secret.data, ConfigMap.data and binaryData keys). */
export function configMapKeyErrors(key: string): string[] {
  const errs: string[] = [];
  if (textEncoder.encode(key).length > 253) errs.push("must be no more than 253 characters");
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
    errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", "[-._a-zA-Z0-9]+", "key.name", "KEY_NAME", "key-name"));
  }
  if (key === ".") errs.push("must not be '.'");
  else if (key === "..") errs.push("must not be '..'");
  else if (key.startsWith("..")) errs.push("must not start with '..'");
  return errs;
}

// ---- base64 as Go's encoding/base64 StdEncoding decodes it ----------------------------------

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const b64Map = new Map([...b64Alphabet].map((c, i) => [c.charCodeAt(0), i]));

/**
 * Decodes standard, padded base64 as Go does (CR and LF are skipped); on failure returns the
 * byte offset Go's CorruptInputError reports.
 */
export function decodeBase64Go(text: string): { bytes: Uint8Array } | { corruptAt: number } {
  const src = textEncoder.encode(text);
  const out: number[] = [];
  let si = 0;
  const isNL = (c: number) => c === 0x0a || c === 0x0d;
  while (si < src.length) {
    const quantum: number[] = [];
    let dlen = 4;
    let j = 0;
    let trailingError: number | null = null;
    for (; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return { bytes: Uint8Array.from(out) };
        return { corruptAt: si - j };
      }
      const c = src[si++];
      const v = b64Map.get(c);
      if (v !== undefined) {
        quantum[j] = v;
        continue;
      }
      if (isNL(c)) {
        j--;
        continue;
      }
      if (c !== 0x3d /* = */) return { corruptAt: si - 1 };
      if (j === 0 || j === 1) return { corruptAt: si - 1 };
      if (j === 2) {
        while (si < src.length && isNL(src[si])) si++;
        if (si === src.length) return { corruptAt: src.length };
        if (src[si] !== 0x3d) return { corruptAt: si - 1 };
        si++;
      }
      while (si < src.length && isNL(src[si])) si++;
      if (si < src.length) trailingError = si;
      dlen = j;
      break;
    }
    const val = ((quantum[0] ?? 0) << 18) | ((quantum[1] ?? 0) << 12) | ((quantum[2] ?? 0) << 6) | (quantum[3] ?? 0);
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
    out.push(...bytes.slice(0, dlen - 1));
    if (trailingError !== null) return { corruptAt: trailingError };
    if (dlen < 4) break;
    // Skip newlines between quanta, as Go's loop does before reading the next one.
  }
  return { bytes: Uint8Array.from(out) };
}

export function encodeBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    s += b64Alphabet[(n >> 18) & 63] + b64Alphabet[(n >> 12) & 63];
    s += i + 1 < bytes.length ? b64Alphabet[(n >> 6) & 63] : "=";
    s += i + 2 < bytes.length ? b64Alphabet[n & 63] : "=";
  }
  return s;
}

function goJSONKind(v: unknown): string {
  if (typeof v === "number") return "number";
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "array";
  if (typeof v === "object") return "object";
  return "string";
}

/**
 * Decodes a `map[string][]byte` field (Secret.data, ConfigMap.binaryData) as the JSON decoder
 * would: returns each value's decoded bytes, or throws the 400 kube-apiserver sends.
 */
export function decodeBytesMap(obj: KObject, fieldName: string): Map<string, Uint8Array> {
  const kind = obj.kind;
  const fail = (msg: string) => errors.badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: ${msg}`);
  const result = new Map<string, Uint8Array>();
  const raw = obj[fieldName];
  if (raw == null) return result;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw fail(`json: cannot unmarshal ${goJSONKind(raw)} into Go struct field ${kind}.${fieldName} of type map[string][]uint8`);
  }
  for (const [key, value] of Object.entries(raw)) {
    if (value === null) {
      result.set(key, new Uint8Array());
      continue;
    }
    if (typeof value !== "string") {
      throw fail(`json: cannot unmarshal ${goJSONKind(value)} into Go struct field ${kind}.${fieldName} of type []uint8`);
    }
    const decoded = decodeBase64Go(value);
    if ("corruptAt" in decoded) throw fail(`illegal base64 data at input byte ${decoded.corruptAt}`);
    result.set(key, decoded.bytes);
  }
  return result;
}

/** Decodes a `map[string]string` field, failing on non-string values as the JSON decoder does. */
export function decodeStringMap(obj: KObject, fieldName: string): Record<string, string> | undefined {
  const kind = obj.kind;
  const raw = obj[fieldName];
  if (raw == null) return undefined;
  const fail = (msg: string) => errors.badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: ${msg}`);
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw fail(`json: cannot unmarshal ${goJSONKind(raw)} into Go struct field ${kind}.${fieldName} of type map[string]string`);
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === null) out[key] = "";
    else if (typeof value === "string") out[key] = value;
    else throw fail(`json: cannot unmarshal ${goJSONKind(value)} into Go struct field ${kind}.${fieldName} of type string`);
  }
  return out;
}

// ---- a JSON syntax check with Go's encoding/json messages (dockercfg payloads) ---------------

function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return "'\"'";
  const named: Record<number, string> = { 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 0x5c: "\\\\" };
  if (named[c]) return `'${named[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, "0")}'`;
  if (c >= 0x80 && (c < 0xa1 || c === 0xad)) return `'\\u${c.toString(16).padStart(4, "0")}'`;
  return `'${String.fromCharCode(c)}'`;
}

class GoJSONError extends Error {}

/** json.Unmarshal(data, &map[string]interface{}{}) error text, or null when it would succeed. */
export function goJSONObjectError(data: Uint8Array): string | null {
  let i = 0;
  const fail = (context: string): never => {
    if (i >= data.length) throw new GoJSONError("unexpected end of JSON input");
    throw new GoJSONError(`invalid character ${quoteChar(data[i])} ${context}`);
  };
  const ws = () => {
    while (i < data.length && (data[i] === 0x20 || data[i] === 0x09 || data[i] === 0x0a || data[i] === 0x0d)) i++;
  };
  const digit = () => i < data.length && data[i] >= 0x30 && data[i] <= 0x39;
  const literal = (word: string) => {
    for (let k = 1; k < word.length; k++) {
      i++;
      if (data[i] !== word.charCodeAt(k)) fail(`in literal ${word} (expecting '${word[k]}')`);
    }
    i++;
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= data.length) fail("");
      const c = data[i];
      if (c === 0x22) {
        i++;
        return;
      }
      if (c === 0x5c) {
        i++;
        if (i >= data.length) fail("");
        const e = data[i];
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            i++;
            if (i >= data.length) fail("");
            if (!/[0-9a-fA-F]/.test(String.fromCharCode(data[i]))) fail("in \\u hexadecimal character escape");
          }
        } else if (!'"\\/bfnrt'.includes(String.fromCharCode(e))) fail("in string escape code");
        i++;
        continue;
      }
      if (c < 0x20) fail("in string literal");
      i++;
    }
  };
  const number = () => {
    if (data[i] === 0x2d) {
      i++;
      if (!digit()) fail("in numeric literal");
    }
    if (data[i] === 0x30) i++;
    else while (digit()) i++;
    if (data[i] === 0x2e) {
      i++;
      if (!digit()) fail("after decimal point in numeric literal");
      while (digit()) i++;
    }
    if (data[i] === 0x65 || data[i] === 0x45) {
      i++;
      if (data[i] === 0x2b || data[i] === 0x2d) i++;
      if (!digit()) fail("in exponent of numeric literal");
      while (digit()) i++;
    }
  };
  const value = (): string => {
    ws();
    if (i >= data.length) fail("");
    const c = data[i];
    if (c === 0x7b) {
      i++;
      ws();
      if (data[i] === 0x7d) {
        i++;
        return "object";
      }
      for (;;) {
        ws();
        if (data[i] !== 0x22) fail("looking for beginning of object key string");
        string();
        ws();
        if (data[i] !== 0x3a) fail("after object key");
        i++;
        value();
        ws();
        if (data[i] === 0x2c) {
          i++;
          continue;
        }
        if (data[i] === 0x7d) {
          i++;
          return "object";
        }
        fail("after object key:value pair");
      }
    }
    if (c === 0x5b) {
      i++;
      ws();
      if (data[i] === 0x5d) {
        i++;
        return "array";
      }
      for (;;) {
        value();
        ws();
        if (data[i] === 0x2c) {
          i++;
          continue;
        }
        if (data[i] === 0x5d) {
          i++;
          return "array";
        }
        fail("after array element");
      }
    }
    if (c === 0x22) {
      string();
      return "string";
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      number();
      return "number";
    }
    const words: Record<number, [string, string]> = { 0x74: ["true", "bool"], 0x66: ["false", "bool"], 0x6e: ["null", "null"] };
    const word = words[c];
    if (word) {
      literal(word[0]);
      return word[1];
    }
    return fail("looking for beginning of value");
  };
  try {
    const kind = value();
    ws();
    if (i < data.length) fail("after top-level value");
    if (kind === "object" || kind === "null") return null;
    return `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`;
  } catch (e) {
    if (e instanceof GoJSONError) return e.message;
    throw e;
  }
}

// ---- Secret ---------------------------------------------------------------------------------

/** Conversion from v1: `stringData` entries overwrite `data` (as base64) and stringData is dropped. */
function decodeSecret(secret: KObject): void {
  decodeBytesMap(secret, "data");
  const stringData = decodeStringMap(secret, "stringData");
  if (stringData) {
    const data = (secret.data ??= {});
    for (const [k, v] of Object.entries(stringData)) data[k] = encodeBase64(textEncoder.encode(v));
  }
  delete secret.stringData;
  if (!secret.type) secret.type = "Opaque";
}

function dataBytes(secret: KObject): Map<string, Uint8Array> {
  try {
    return decodeBytesMap(secret, "data");
  } catch {
    return new Map();
  }
}

export function validateSecret(secret: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const data = dataBytes(secret);
  let total = 0;
  for (const [key, bytes] of data) {
    errs.push(...configMapKeyErrors(key).map((m) => field.invalid(`data[${key}]`, key, m)));
    total += bytes.length;
  }
  if (total > maxSecretSize) errs.push(field.tooLong("data", maxSecretSize));

  const has = (k: string) => data.has(k);
  switch (secret.type) {
    case "kubernetes.io/service-account-token":
      if (!secret.metadata.annotations?.["kubernetes.io/service-account.name"]) {
        errs.push(field.required("metadata.annotations[kubernetes.io/service-account.name]"));
      }
      break;
    case "kubernetes.io/dockercfg":
    case "kubernetes.io/dockerconfigjson": {
      const key = secret.type === "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson";
      if (!has(key)) {
        errs.push(field.required(`data[${key}]`));
        break;
      }
      const problem = goJSONObjectError(data.get(key)!);
      if (problem) errs.push(field.invalid(`data[${key}]`, "<secret contents redacted>", problem));
      break;
    }
    case "kubernetes.io/basic-auth":
      if (!has("username") && !has("password")) {
        errs.push(field.required("data[username]"), field.required("data[password]"));
      }
      break;
    case "kubernetes.io/ssh-auth":
      if ((data.get("ssh-privatekey")?.length ?? 0) === 0) errs.push(field.required("data[ssh-privatekey]"));
      break;
    case "kubernetes.io/tls":
      if (!has("tls.crt")) errs.push(field.required("data[tls.crt]"));
      if (!has("tls.key")) errs.push(field.required("data[tls.key]"));
      break;
  }
  return errs;
}

/** Compares two byte maps by content (so differently wrapped base64 of the same bytes is equal). */
export function sameBytesMaps(a: Map<string, Uint8Array>, b: Map<string, Uint8Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || w.length !== v.length || v.some((x, i) => x !== w[i])) return false;
  }
  return true;
}

export function validateSecretUpdate(secret: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  if ((secret.type ?? "") !== (old.type ?? "")) errs.push(field.invalid("type", secret.type ?? "", "field is immutable"));
  if (old.immutable === true) {
    if (secret.immutable !== true) errs.push(field.forbidden("immutable", "field is immutable when `immutable` is set"));
    if (!sameBytesMaps(dataBytes(secret), dataBytes(old))) errs.push(field.forbidden("data", "field is immutable when `immutable` is set"));
  }
  return errs;
}

/** The decoded value of one data key as text (for callers such as the token controller). */
export function secretText(secret: KObject, key: string): string | undefined {
  const bytes = dataBytes(secret).get(key);
  return bytes ? textDecoder.decode(bytes) : undefined;
}

export const secretStrategy: KindStrategy = {
  group: "",
  version: "v1",
  kind: "Secret",
  resource: "secrets",
  singular: "secret",
  namespaced: true,

  prepareForCreate: (secret) => decodeSecret(secret),
  prepareForUpdate: (secret) => decodeSecret(secret),
  validate: validateSecret,
  validateUpdate: validateSecretUpdate,
  selectableFields: (secret) => ({ type: secret.type ?? "" }),

  table: {
    columns: [
      { name: "Type", type: "string", description: "Used to facilitate programmatic handling of secret data.", priority: 0 },
      { name: "Data", type: "string", description: "The number of keys in the secret's data.", priority: 0 },
      { name: "Age", type: "string", description: "Time since the object was created.", priority: 0 },
    ],
    cells: (secret, now) => [secret.type ?? "", Object.keys(secret.data ?? {}).length, ageCell(secret.metadata.creationTimestamp, now)],
  },
};
