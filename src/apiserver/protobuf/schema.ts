/**
 * Message tables for the Kubernetes protobuf wire format, and the kinds registered per apiVersion.
 *
 * Each `schemas/<pkg>.ts` maps a message name to a space-separated list of fields, in Go struct
 * order (which is the order Go's encoding/json writes them). One field is
 *
 *     <number><jsonName><mods>[:<type>]
 *
 * - `number` is the protobuf field number from upstream `generated.proto`.
 * - `jsonName` is the json tag name; empty for a Go embedded struct that is inlined
 *   (`Volume.VolumeSource`, `Probe.ProbeHandler`), whose fields land in the parent object.
 * - `mods`: `?` omitempty, `*` Go pointer (absent means nil, not the zero value), `~` omitzero.
 * - `type` (default `s`): `[T` repeated T, `{T` map<string, T>, else one of
 *   scalars `s` string, `i` int32, `I` int64, `u` uint32, `U` uint64, `b` bool, `y` bytes
 *   (base64 in JSON), `d` double, `f` float;
 *   types with their own JSON form `T` metav1.Time, `M` metav1.MicroTime, `D` metav1.Duration,
 *   `F` metav1.FieldsV1, `Q` resource.Quantity, `X` intstr.IntOrString, `R` runtime.RawExtension;
 *   or a message: `Name` in the same package, `pkg.Name` in another.
 * A message spec of `=L` is a Go `[]string` type carried as `message { repeated string items = 1; }`
 * (`+protobuf.nullable=true`, e.g. authentication's ExtraValue): its JSON is the bare array.
 *
 * Specs are parsed lazily, on first use of each message.
 *
 * Provenance: the tables were produced by a throwaway script from k8s.io/api and
 * k8s.io/apimachinery at tag v0.36.3: field numbers and wire types from each `generated.proto`,
 * joined by field number with the `protobuf:"…"` struct tags in `types.go` for the json name,
 * omitempty/omitzero, pointer-ness, inlining and field order. Messages included are the closure of
 * every kind in `schemas/kinds.ts` (each group version's `register.go` addKnownTypes) plus metav1's
 * options types. To extend: add the group version's messages in the same format; numbers never change
 * upstream, so newer fields can be appended by hand from the newer generated.proto.
 */
import { admission } from "./schemas/admission";
import { apps } from "./schemas/apps";
import { authn } from "./schemas/authn";
import { authz } from "./schemas/authz";
import { autoscaling1 } from "./schemas/autoscaling1";
import { autoscaling2 } from "./schemas/autoscaling2";
import { batch } from "./schemas/batch";
import { certificates } from "./schemas/certificates";
import { coordination } from "./schemas/coordination";
import { core } from "./schemas/core";
import { discovery } from "./schemas/discovery";
import { events } from "./schemas/events";
import { flowcontrol } from "./schemas/flowcontrol";
import { registeredKinds } from "./schemas/kinds";
import { meta } from "./schemas/meta";
import { networking } from "./schemas/networking";
import { node } from "./schemas/node";
import { policy } from "./schemas/policy";
import { rbac } from "./schemas/rbac";
import { resource } from "./schemas/resource";
import { scheduling } from "./schemas/scheduling";
import { storage } from "./schemas/storage";

const packages: Record<string, Record<string, string>> = {
  admission,
  apps,
  authn,
  authz,
  autoscaling1,
  autoscaling2,
  batch,
  certificates,
  coordination,
  core,
  discovery,
  events,
  flowcontrol,
  meta,
  networking,
  node,
  policy,
  rbac,
  resource,
  scheduling,
  storage,
};

export type Cardinality = "one" | "repeated" | "map";

export interface FieldDef {
  readonly num: number;
  /** JSON name; "" for an inlined embedded struct. */
  readonly json: string;
  readonly card: Cardinality;
  /** Scalar or special one-letter code, or a qualified message reference `pkg.Name`. */
  readonly type: string;
  readonly omitEmpty: boolean;
  readonly pointer: boolean;
  readonly omitZero: boolean;
}

export interface MessageDef {
  /** Qualified name, `pkg.Name`. */
  readonly name: string;
  /** A Go `[]string` type carried as a message with `repeated string items = 1`. */
  readonly stringList: boolean;
  readonly fields: readonly FieldDef[];
  readonly byNumber: ReadonlyMap<number, FieldDef>;
}

/** One-letter codes that are not message references. */
export const SCALAR_CODES = new Set(["s", "i", "I", "u", "U", "b", "y", "d", "f"]);
export const SPECIAL_CODES = new Set(["T", "M", "D", "F", "Q", "X", "R"]);

const FIELD_RE = /^(\d+)([A-Za-z0-9_]*)([?*~]*)(?::(.+))?$/;
const cache = new Map<string, MessageDef>();

function parseField(pkg: string, token: string, owner: string): FieldDef {
  const m = FIELD_RE.exec(token);
  if (!m) throw new Error(`protobuf schema ${owner}: bad field spec ${JSON.stringify(token)}`);
  let type = m[4] ?? "s";
  let card: Cardinality = "one";
  if (type.startsWith("[")) {
    card = "repeated";
    type = type.slice(1);
  } else if (type.startsWith("{")) {
    card = "map";
    type = type.slice(1);
  }
  if (!SCALAR_CODES.has(type) && !SPECIAL_CODES.has(type) && !type.includes(".")) type = `${pkg}.${type}`;
  const mods = m[3] ?? "";
  return {
    num: Number(m[1]),
    json: m[2] ?? "",
    card,
    type,
    omitEmpty: mods.includes("?"),
    pointer: mods.includes("*"),
    omitZero: mods.includes("~"),
  };
}

/** Looks up a message by qualified name (`core.Pod`); undefined when no table has it. */
export function messageDef(name: string): MessageDef | undefined {
  const hit = cache.get(name);
  if (hit) return hit;
  const dot = name.indexOf(".");
  const pkg = name.slice(0, dot);
  const table = packages[pkg];
  const spec = table && Object.hasOwn(table, name.slice(dot + 1)) ? table[name.slice(dot + 1)] : undefined;
  if (spec === undefined) return undefined;
  let def: MessageDef;
  if (spec === "=L") {
    def = { name, stringList: true, fields: [], byNumber: new Map() };
  } else {
    const fields = spec === "" ? [] : spec.split(" ").map((t) => parseField(pkg, t, name));
    def = { name, stringList: false, fields, byNumber: new Map(fields.map((f) => [f.num, f])) };
  }
  cache.set(name, def);
  return def;
}

/** metav1 types that `metav1.AddToGroupVersion` registers in every group version. */
const COMMON_KINDS = ["ListOptions", "GetOptions", "DeleteOptions", "CreateOptions", "UpdateOptions", "PatchOptions", "WatchEvent"];

let kindIndex: Map<string, Map<string, string>> | undefined;

function buildKindIndex(): Map<string, Map<string, string>> {
  const index = new Map<string, Map<string, string>>();
  const add = (gv: string, kind: string, msg: string) => {
    let kinds = index.get(gv);
    if (!kinds) index.set(gv, (kinds = new Map()));
    kinds.set(kind, msg);
  };
  const addAll = (gv: string, spec: string) => {
    let pkg = "";
    for (const word of spec.split(" ")) {
      const colon = word.indexOf(":");
      const kind = colon >= 0 ? word.slice(colon + 1) : word;
      if (colon >= 0) pkg = word.slice(0, colon);
      add(gv, kind, `${pkg}.${kind}`);
    }
  };
  for (const [gv, spec] of Object.entries(registeredKinds)) {
    addAll(gv, spec);
    for (const k of COMMON_KINDS) add(gv, k, `meta.${k}`);
  }
  // The meta.k8s.io group itself (metav1 scheme: options types and AddMetaToScheme).
  addAll("meta.k8s.io/v1", `meta:${COMMON_KINDS.slice(0, 6).join(" ")} TableOptions PartialObjectMetadata PartialObjectMetadataList`);
  return index;
}

/** The message for a registered apiVersion/kind, or undefined. */
export function kindMessage(apiVersion: string, kind: string): MessageDef | undefined {
  kindIndex ??= buildKindIndex();
  const name = kindIndex.get(apiVersion)?.get(kind);
  return name === undefined ? undefined : messageDef(name);
}

/** Every registered apiVersion → kinds (for tests and diagnostics). */
export function registeredKindList(): Array<{ apiVersion: string; kind: string; message: string }> {
  kindIndex ??= buildKindIndex();
  const out: Array<{ apiVersion: string; kind: string; message: string }> = [];
  for (const [apiVersion, kinds] of kindIndex) for (const [kind, message] of kinds) out.push({ apiVersion, kind, message });
  return out;
}

/** Every message name in the tables (for tests). */
export function allMessageNames(): string[] {
  return Object.entries(packages).flatMap(([pkg, table]) => Object.keys(table).map((n) => `${pkg}.${n}`));
}
