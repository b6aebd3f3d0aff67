/**
 * Decoding of Kubernetes protobuf request bodies (`Content-Type: application/vnd.kubernetes.protobuf`)
 * into the object's JSON form, as kube-apiserver's protobuf serializer followed by Go's encoding/json
 * would produce it. kubectl ≥ 1.32 sends every typed-clientset body this way (kubectl-wire.md §0.2, §4).
 *
 * Envelope (apimachinery `runtime/serializer/protobuf`): the magic `k8s\0`, then `runtime.Unknown`
 * `{1: TypeMeta{1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType}`; `raw` is the
 * object's k8s.io/api `generated.proto` message. Field tables are in ./schemas (format: ./schema.ts).
 *
 * JSON rules followed (Go encoding/json over the k8s.io/api structs): fields in struct order;
 * `omitempty` drops "", 0, false, nil pointers and empty slices/maps but never structs; a nil slice,
 * map or pointer without omitempty is `null`; map keys sorted; `[]byte` as base64.
 */
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { kindMessage, messageDef, type FieldDef, type MessageDef } from "./schema";

export const KUBERNETES_PROTOBUF_CONTENT_TYPE = "application/vnd.kubernetes.protobuf";
/** `k8s\0`, the prefix of every Kubernetes protobuf document. */
export const KUBERNETES_PROTOBUF_MAGIC: readonly number[] = [0x6b, 0x38, 0x73, 0x00];

export type ProtobufDecodeErrorReason = "Malformed" | "NotRegistered" | "MissingKind" | "MissingVersion";

/**
 * A body that cannot be decoded; the message follows kube-apiserver's wording. Callers answer 400.
 * `apiVersion`/`kind` are set once the envelope was read (what upstream reports as the body's GVK,
 * e.g. for `<Kind> in version "<v>" cannot be handled as a <Kind>: <message>`); errors in the
 * envelope itself (wrong magic, truncated envelope) carry none.
 */
export class ProtobufDecodeError extends Error {
  apiVersion?: string;
  kind?: string;
  constructor(
    readonly reason: ProtobufDecodeErrorReason,
    message: string,
  ) {
    super(message);
    this.name = "ProtobufDecodeError";
  }
}

export interface DecodedKubernetesObject {
  apiVersion: string;
  kind: string;
  object: Record<string, unknown>;
}

export interface DecodeDefaults {
  /** Used when the envelope carries no apiVersion (as the apiserver's default GVK for the endpoint). */
  apiVersion?: string;
  /** Used when the envelope carries no kind. */
  kind?: string;
}

/** The scheme name kube-apiserver puts in "not registered" errors. */
const SCHEME_NAME = "pkg/api/legacyscheme/scheme.go:30";
/** Deepest message nesting accepted (Pod → … → NodeSelectorRequirement is about 10). */
const MAX_DEPTH = 64;

const textDecoder = new TextDecoder();

export function isKubernetesProtobuf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && KUBERNETES_PROTOBUF_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Decodes a Kubernetes protobuf document (magic + runtime.Unknown) into its JSON object, with
 * `kind` and `apiVersion` taken from the envelope (or `defaults`). Throws ProtobufDecodeError.
 */
export function decodeKubernetesProtobuf(bytes: Uint8Array, defaults: DecodeDefaults = {}): DecodedKubernetesObject {
  return decodeEnvelope(bytes, defaults, 0);
}

function decodeEnvelope(bytes: Uint8Array, defaults: DecodeDefaults, depth: number): DecodedKubernetesObject {
  if (bytes.length === 0) throw new ProtobufDecodeError("Malformed", "empty data");
  if (!isKubernetesProtobuf(bytes)) {
    throw new ProtobufDecodeError(
      "Malformed",
      `provided data does not appear to be a protobuf message, expected prefix [${KUBERNETES_PROTOBUF_MAGIC.join(" ")}]`,
    );
  }
  if (bytes.length === KUBERNETES_PROTOBUF_MAGIC.length) throw new ProtobufDecodeError("Malformed", "empty body");
  const unknown = wrapWireErrors(() => readUnknown(bytes.subarray(KUBERNETES_PROTOBUF_MAGIC.length)));
  const apiVersion = unknown.apiVersion || defaults.apiVersion || "";
  const kind = unknown.kind || defaults.kind || "";
  const typeMeta = `runtime.TypeMeta{APIVersion:${goQuote(unknown.apiVersion)}, Kind:${goQuote(unknown.kind)}}`;
  if (!kind) throw new ProtobufDecodeError("MissingKind", `Object 'Kind' is missing in '${typeMeta}'`);
  if (!apiVersion || !/^([^/]+\/)?[^/]+$/.test(apiVersion)) {
    throw new ProtobufDecodeError("MissingVersion", `Object 'apiVersion' is missing in '${typeMeta}'`);
  }
  try {
    const def = kindMessage(apiVersion, kind);
    if (!def) {
      throw new ProtobufDecodeError(
        "NotRegistered",
        `no kind ${goQuote(kind)} is registered for version ${goQuote(apiVersion)} in scheme ${goQuote(SCHEME_NAME)}`,
      );
    }
    const body = wrapWireErrors(() => decodeMessage(def, unknown.raw, depth));
    return { apiVersion, kind, object: { kind, apiVersion, ...body } };
  } catch (e) {
    // Reported against the outermost document (a nested RawExtension document's error included).
    if (e instanceof ProtobufDecodeError) {
      e.apiVersion = apiVersion;
      e.kind = kind;
    }
    throw e;
  }
}

/**
 * Decodes one message of the tables (`core.PodSpec`, `meta.ObjectMeta`, …) into its JSON form,
 * without an envelope. Throws ProtobufDecodeError.
 */
export function decodeProtobufMessage(messageName: string, bytes: Uint8Array): Record<string, unknown> {
  const def = messageDef(messageName);
  if (!def || def.stringList) throw new Error(`no protobuf message table for ${messageName}`);
  return wrapWireErrors(() => decodeMessage(def, bytes, 0));
}

function wrapWireErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ProtobufDecodeError) throw e;
    // The reader throws RangeError("premature EOF") on truncation; Go says "unexpected EOF".
    if (e instanceof RangeError && e.message === "premature EOF") throw new ProtobufDecodeError("Malformed", "unexpected EOF");
    throw new ProtobufDecodeError("Malformed", `proto: ${(e as Error).message}`);
  }
}

function goQuote(s: string): string {
  return JSON.stringify(s);
}

function readUnknown(bytes: Uint8Array): { apiVersion: string; kind: string; raw: Uint8Array } {
  const r = new BinaryReader(bytes);
  let apiVersion = "";
  let kind = "";
  let raw: Uint8Array = new Uint8Array(0);
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1) {
      expectWire(wt, WireType.LengthDelimited, "TypeMeta");
      const t = new BinaryReader(r.bytes());
      while (t.pos < t.len) {
        const [tno, twt] = t.tag();
        if (tno === 1 || tno === 2) {
          expectWire(twt, WireType.LengthDelimited, tno === 1 ? "APIVersion" : "Kind");
          if (tno === 1) apiVersion = t.string();
          else kind = t.string();
        } else t.skip(twt, tno);
      }
    } else if (no === 2) {
      expectWire(wt, WireType.LengthDelimited, "Raw");
      raw = r.bytes();
    } else {
      // 3 contentEncoding and 4 contentType are ignored by the apiserver, as is anything newer.
      r.skip(wt, no);
    }
  }
  return { apiVersion, kind, raw };
}

function expectWire(actual: WireType, expected: WireType, field: string): void {
  if (actual !== expected) throw new ProtobufDecodeError("Malformed", `proto: wrong wireType = ${actual} for field ${field}`);
}

function fieldLabel(f: FieldDef): string {
  return f.json || `#${f.num}`;
}

/** The wire type a singular value of this field's type uses. */
function wireTypeOf(type: string): WireType {
  switch (type) {
    case "i":
    case "I":
    case "u":
    case "U":
    case "b":
      return WireType.Varint;
    case "d":
      return WireType.Bit64;
    case "f":
      return WireType.Bit32;
    default:
      return WireType.LengthDelimited;
  }
}

function isNumericScalar(type: string): boolean {
  return wireTypeOf(type) !== WireType.LengthDelimited;
}

type Collected = Map<FieldDef, unknown>;

function decodeMessage(def: MessageDef, bytes: Uint8Array, depth: number): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw new ProtobufDecodeError("Malformed", `proto: message nesting deeper than ${MAX_DEPTH}`);
  const r = new BinaryReader(bytes);
  // one: last scalar value / list of byte chunks for messages (merged as proto merges them);
  // repeated: array of JSON values; map: Map of key → JSON value.
  const vals: Collected = new Map();
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    const f = def.byNumber.get(no);
    if (!f) {
      r.skip(wt, no);
      continue;
    }
    if (f.card === "map") {
      expectWire(wt, WireType.LengthDelimited, fieldLabel(f));
      let m = vals.get(f) as Map<string, unknown> | undefined;
      if (!m) vals.set(f, (m = new Map()));
      const [k, v] = readMapEntry(f, r.bytes(), depth);
      m.set(k, v);
    } else if (f.card === "repeated") {
      let arr = vals.get(f) as unknown[] | undefined;
      if (!arr) vals.set(f, (arr = []));
      if (wt === WireType.LengthDelimited && isNumericScalar(f.type)) {
        // packed encoding
        const p = new BinaryReader(r.bytes());
        while (p.pos < p.len) arr.push(scalarJson(readScalar(p, f.type), f.type));
      } else {
        expectWire(wt, wireTypeOf(f.type), fieldLabel(f));
        arr.push(readValue(r, f.type, depth));
      }
    } else {
      expectWire(wt, wireTypeOf(f.type), fieldLabel(f));
      if (isNumericScalar(f.type) || SCALARLIKE_LEN.has(f.type)) {
        vals.set(f, readScalar(r, f.type));
      } else {
        let chunks = vals.get(f) as Uint8Array[] | undefined;
        if (!chunks) vals.set(f, (chunks = []));
        chunks.push(r.bytes());
      }
    }
  }
  return render(def, vals, depth);
}

/** Length-delimited types that are not merged: string and bytes. */
const SCALARLIKE_LEN = new Set(["s", "y"]);

function readScalar(r: BinaryReader, type: string): unknown {
  switch (type) {
    case "s":
      return r.string();
    case "y":
      return r.bytes();
    case "i":
      return r.int32();
    case "u":
      return r.uint32();
    case "I":
      return Number(r.int64());
    case "U":
      return Number(r.uint64());
    case "b":
      return r.bool();
    case "d":
      return r.double();
    case "f":
      return r.float();
    default:
      throw new Error(`not a scalar type ${type}`);
  }
}

/** Reads one (repeated or map) element and returns its JSON value. */
function readValue(r: BinaryReader, type: string, depth: number): unknown {
  if (isNumericScalar(type) || SCALARLIKE_LEN.has(type)) return scalarJson(readScalar(r, type), type);
  return typedJson(type, r.bytes(), depth);
}

function readMapEntry(f: FieldDef, bytes: Uint8Array, depth: number): [string, unknown] {
  const r = new BinaryReader(bytes);
  let key = "";
  let value: unknown;
  let has = false;
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1) {
      expectWire(wt, WireType.LengthDelimited, `${fieldLabel(f)} key`);
      key = r.string();
    } else if (no === 2) {
      expectWire(wt, wireTypeOf(f.type), `${fieldLabel(f)} value`);
      value = readValue(r, f.type, depth);
      has = true;
    } else r.skip(wt, no);
  }
  return [key, has ? value : zeroJson(f.type, depth)];
}

/** JSON for a scalar value read from the wire. */
function scalarJson(v: unknown, type: string): unknown {
  if (type === "y") return base64(v as Uint8Array);
  if ((type === "d" || type === "f") && !Number.isFinite(v as number)) {
    throw new ProtobufDecodeError("Malformed", `json: unsupported value: ${String(v)}`);
  }
  return v;
}

/** JSON of a message or special type from its (possibly empty) encoding. */
function typedJson(type: string, bytes: Uint8Array, depth: number): unknown {
  switch (type) {
    case "T":
      return timeJson(bytes, false);
    case "M":
      return timeJson(bytes, true);
    case "D":
      return durationJson(bytes);
    case "Q":
      return quantityJson(bytes);
    case "X":
      return intOrStringJson(bytes);
    case "R":
    case "F":
      return rawJson(bytes, type, depth);
  }
  const def = messageDef(type);
  if (!def) throw new Error(`no protobuf message table for ${type}`);
  if (def.stringList) return stringListJson(bytes);
  return decodeMessage(def, bytes, depth + 1);
}

const EMPTY = new Uint8Array(0);

/** JSON of a Go zero value of this type (not a pointer, slice or map). */
function zeroJson(type: string, depth: number): unknown {
  switch (type) {
    case "s":
      return "";
    case "y":
      return "";
    case "b":
      return false;
    case "i":
    case "I":
    case "u":
    case "U":
    case "d":
    case "f":
      return 0;
  }
  return typedJson(type, EMPTY, depth);
}

function isEmptyScalar(v: unknown, type: string): boolean {
  if (type === "y") return (v as Uint8Array).length === 0;
  return v === "" || v === 0 || v === false;
}

/** Assembles the JSON object of one message, applying Go's encoding/json rules. */
function render(def: MessageDef, vals: Collected, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of def.fields) {
    const raw = vals.get(f);
    const present = raw !== undefined;
    let value: unknown;
    if (f.card === "repeated") {
      // A decoded slice is never empty-but-non-nil, so absent means nil.
      if (!present) {
        if (f.omitEmpty) continue;
        value = null;
      } else value = raw;
    } else if (f.card === "map") {
      if (!present) {
        if (f.omitEmpty) continue;
        value = null;
      } else {
        const m = raw as Map<string, unknown>;
        const obj: Record<string, unknown> = {};
        for (const k of [...m.keys()].sort(compareGoStrings)) obj[k] = m.get(k);
        value = obj;
      }
    } else if (SCALAR_TYPES.has(f.type)) {
      if (!present) {
        // nil pointer or nil []byte, or the zero value
        if (f.pointer || f.type === "y") {
          if (f.omitEmpty) continue;
          value = null;
        } else {
          if (f.omitEmpty) continue;
          value = zeroJson(f.type, depth);
        }
      } else {
        if (f.omitEmpty && !f.pointer && isEmptyScalar(raw, f.type)) continue;
        value = scalarJson(raw, f.type);
      }
    } else {
      const stringList = !SPECIAL_TYPES.has(f.type) && messageDef(f.type)?.stringList === true;
      if (!present && f.pointer) {
        if (f.omitEmpty || f.json === "") continue;
        value = null;
      } else {
        const bytes = present ? concat(raw as Uint8Array[]) : EMPTY;
        value = typedJson(f.type, bytes, depth);
        // A Go slice type (stringList) is "empty" for omitempty; structs never are.
        if (stringList && !f.pointer && f.omitEmpty && (value === null || (value as unknown[]).length === 0)) continue;
        if (f.omitZero && !f.pointer && isZeroJson(f.type, value)) continue;
      }
      if (f.json === "") {
        // inlined embedded struct: its fields are promoted into this object
        if (value && typeof value === "object") Object.assign(out, value);
        continue;
      }
    }
    out[f.json] = value;
  }
  return out;
}

const SCALAR_TYPES = new Set(["s", "i", "I", "u", "U", "b", "y", "d", "f"]);
const SPECIAL_TYPES = new Set(["T", "M", "D", "F", "Q", "X", "R"]);

/** omitzero: the value is the Go zero value of its type. */
function isZeroJson(type: string, value: unknown): boolean {
  if (type === "T" || type === "M" || type === "R" || type === "F") return value === null;
  if (type === "Q" || type === "D") return value === "0" || value === "0s";
  if (type === "X") return value === 0;
  return value !== null && typeof value === "object" && Object.keys(value).length === 0;
}

/** Go compares strings bytewise (UTF-8); JS compares UTF-16 code units. Same order except surrogates. */
function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  const ea = utf8(a);
  const eb = utf8(b);
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) if (ea[i] !== eb[i]) return ea[i]! - eb[i]!;
  return ea.length - eb.length;
}

const textEncoder = new TextEncoder();
function utf8(s: string): Uint8Array {
  return textEncoder.encode(s);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 with padding, as Go's encoding/json writes []byte. */
export function base64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + "==";
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + "=";
  }
  return out;
}

// ---- special types ----

/** Reads fields of a small message into a number → last value map using per-field readers. */
function readSmall(bytes: Uint8Array, readers: Record<number, [WireType, (r: BinaryReader) => unknown, string]>): Map<number, unknown> {
  const r = new BinaryReader(bytes);
  const got = new Map<number, unknown>();
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    const spec = readers[no];
    if (!spec) {
      r.skip(wt, no);
      continue;
    }
    expectWire(wt, spec[0], spec[2]);
    got.set(no, spec[1](r));
  }
  return got;
}

const TIMESTAMP_FIELDS: Record<number, [WireType, (r: BinaryReader) => unknown, string]> = {
  1: [WireType.Varint, (r) => BigInt(r.int64()), "Seconds"],
  2: [WireType.Varint, (r) => r.int32(), "Nanos"],
};

/** Unix seconds of Go's zero time.Time (0001-01-01T00:00:00Z), which JSON-encodes as null. */
const GO_ZERO_TIME_UNIX = -62135596800n;

/**
 * metav1.Time / MicroTime: `Timestamp{1: seconds, 2: nanos}`. Empty data is the zero time (null).
 * Time drops nanos on decode and prints RFC3339 seconds; MicroTime prints microseconds.
 */
function timeJson(bytes: Uint8Array, micro: boolean): string | null {
  if (bytes.length === 0) return null;
  const got = readSmall(bytes, TIMESTAMP_FIELDS);
  let seconds = (got.get(1) as bigint | undefined) ?? 0n;
  // MicroTime truncates nanos toward zero to microseconds (Duration.Truncate) before time.Unix
  let nanos = micro ? Math.trunc(((got.get(2) as number | undefined) ?? 0) / 1000) * 1000 : 0;
  // time.Unix normalizes nanoseconds outside [0, 1e9)
  if (nanos < 0 || nanos >= 1e9) {
    const carry = Math.floor(nanos / 1e9);
    seconds += BigInt(carry);
    nanos -= carry * 1e9;
  }
  if (seconds === GO_ZERO_TIME_UNIX && nanos === 0) return null;
  return formatRFC3339(seconds, micro ? nanos / 1000 : undefined);
}

const MAX_DATE_SECONDS = 8_640_000_000_000n;

function formatRFC3339(seconds: bigint, micros?: number): string {
  if (seconds > MAX_DATE_SECONDS || seconds < -MAX_DATE_SECONDS) {
    throw new ProtobufDecodeError("Malformed", `time out of range: ${seconds} seconds since the Unix epoch`);
  }
  const d = new Date(Number(seconds) * 1000);
  const year = d.getUTCFullYear();
  const y = year < 0 ? "-" + String(-year).padStart(4, "0") : String(year).padStart(4, "0");
  const p2 = (n: number) => String(n).padStart(2, "0");
  const frac = micros === undefined ? "" : "." + String(micros).padStart(6, "0");
  return `${y}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}${frac}Z`;
}

/** metav1.Duration `{1: int64 nanoseconds}` → Go's time.Duration.String() ("1h0m0s", "1.5s"). */
function durationJson(bytes: Uint8Array): string {
  const got = readSmall(bytes, { 1: [WireType.Varint, (r) => BigInt(r.int64()), "Duration"] });
  return goDurationString((got.get(1) as bigint | undefined) ?? 0n);
}

export function goDurationString(d: bigint): string {
  const neg = d < 0n;
  let u = neg ? -d : d;
  if (u === 0n) return "0s";
  let out: string;
  if (u < 1_000_000_000n) {
    let unit: string;
    let prec: number;
    if (u < 1000n) {
      unit = "ns";
      prec = 0;
    } else if (u < 1_000_000n) {
      unit = "µs";
      prec = 3;
    } else {
      unit = "ms";
      prec = 6;
    }
    const [frac, rest] = fmtFrac(u, prec);
    out = `${rest}${frac}${unit}`;
  } else {
    const [frac, secs] = fmtFrac(u, 9);
    u = secs;
    out = `${u % 60n}${frac}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? "-" + out : out;
}

/** The fraction of v/10**prec as ".123" without trailing zeros ("" when 0), and v/10**prec. */
function fmtFrac(v: bigint, prec: number): [string, bigint] {
  let digits = "";
  let print = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    print = print || digit !== 0n;
    if (print) digits = digit.toString() + digits;
    v /= 10n;
  }
  return [print ? "." + digits : "", v];
}

const QUANTITY_RE = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const QUANTITY_SUFFIX_RE = /^(|[numkMGTPE]|[KMGTPE]i|[eE][+-]?[0-9]+)$/;

/**
 * resource.Quantity `{1: string}`. Go parses it (ParseQuantity, errors as upstream) and JSON prints
 * it canonically; Go clients already send the canonical form, so a valid string is kept as sent.
 */
function quantityJson(bytes: Uint8Array): string {
  const got = readSmall(bytes, { 1: [WireType.LengthDelimited, (r) => r.string(), "String"] });
  const s = got.get(1) as string | undefined;
  if (s === undefined) return "0";
  const m = QUANTITY_RE.exec(s);
  if (!m || (m[1]!.match(/\./g)?.length ?? 0) > 1) {
    throw new ProtobufDecodeError("Malformed", "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  }
  if (!QUANTITY_SUFFIX_RE.test(m[2]!)) throw new ProtobufDecodeError("Malformed", "unable to parse quantity's suffix");
  return s;
}

/** intstr.IntOrString `{1: type, 2: intVal, 3: strVal}` → number or string. */
function intOrStringJson(bytes: Uint8Array): number | string {
  const got = readSmall(bytes, {
    1: [WireType.Varint, (r) => Number(r.int64()), "Type"],
    2: [WireType.Varint, (r) => r.int32(), "IntVal"],
    3: [WireType.LengthDelimited, (r) => r.string(), "StrVal"],
  });
  const type = (got.get(1) as number | undefined) ?? 0;
  if (type === 0) return (got.get(2) as number | undefined) ?? 0;
  if (type === 1) return (got.get(3) as string | undefined) ?? "";
  throw new ProtobufDecodeError("Malformed", "impossible IntOrString.Type");
}

/** []string carried as `{1: repeated string items}`; nil (no items) is null. */
function stringListJson(bytes: Uint8Array): string[] | null {
  const r = new BinaryReader(bytes);
  const items: string[] = [];
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1) {
      expectWire(wt, WireType.LengthDelimited, "Items");
      items.push(r.string());
    } else r.skip(wt, no);
  }
  return items.length ? items : null;
}

/**
 * runtime.RawExtension / metav1.FieldsV1 `{1: bytes raw}`: the raw bytes are JSON, written as is
 * (nil → null). A nested Kubernetes protobuf document is decoded too.
 */
function rawJson(bytes: Uint8Array, type: string, depth: number): unknown {
  const got = readSmall(bytes, { 1: [WireType.LengthDelimited, (r) => r.bytes(), "Raw"] });
  const raw = got.get(1) as Uint8Array | undefined;
  if (!raw || raw.length === 0) return null;
  if (type === "R" && isKubernetesProtobuf(raw)) {
    return decodeEnvelope(raw, {}, depth + 1).object;
  }
  try {
    return JSON.parse(textDecoder.decode(raw));
  } catch (e) {
    throw new ProtobufDecodeError("Malformed", `json: error calling MarshalJSON for type ${type === "R" ? "runtime.RawExtension" : "*v1.FieldsV1"}: ${(e as Error).message}`);
  }
}
