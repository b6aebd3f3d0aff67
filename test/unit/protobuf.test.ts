import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import {
  decodeKubernetesProtobuf,
  decodeProtobufMessage,
  goDurationString,
  ProtobufDecodeError,
} from "../../src/apiserver/protobuf/decode";
import { allMessageNames, kindMessage, messageDef, registeredKindList, SCALAR_CODES, SPECIAL_CODES } from "../../src/apiserver/protobuf/schema";

const FIXTURES = join(__dirname, "../fixtures/protobuf");

interface Case {
  name: string;
  command: string;
  pb: string;
  json: string;
}
const cases = JSON.parse(readFileSync(join(FIXTURES, "cases.json"), "utf8")) as Case[];

/**
 * kubectl 1.31–1.33 are built with apimachinery < 0.35, whose ObjectMeta.creationTimestamp is only
 * `omitempty`, so their JSON carries `"creationTimestamp": null`. The tables follow current upstream
 * (`omitempty,omitzero`), which drops it; that is the only normalization applied.
 */
function dropNullCreationTimestamp(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNullCreationTimestamp);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === "creationTimestamp" && x === null) continue;
      out[k] = dropNullCreationTimestamp(x);
    }
    return out;
  }
  return v;
}

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

/** Wraps raw message bytes in the `k8s\0` + runtime.Unknown envelope. */
function envelope(apiVersion: string, kind: string, raw: Uint8Array, extra?: (w: BinaryWriter) => void): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.LengthDelimited).fork();
  if (apiVersion) w.tag(1, WireType.LengthDelimited).string(apiVersion);
  if (kind) w.tag(2, WireType.LengthDelimited).string(kind);
  w.join();
  w.tag(2, WireType.LengthDelimited).bytes(raw);
  extra?.(w);
  const body = w.finish();
  const out = new Uint8Array(4 + body.length);
  out.set(MAGIC);
  out.set(body, 4);
  return out;
}

/** A tiny builder over BinaryWriter for hand-made messages. */
type Field = [number, "s" | "b" | "i" | "y" | "m", unknown];
function msg(...fields: Field[]): Uint8Array {
  const w = new BinaryWriter();
  for (const [no, t, v] of fields) {
    if (t === "s") w.tag(no, WireType.LengthDelimited).string(v as string);
    else if (t === "y" || t === "m") w.tag(no, WireType.LengthDelimited).bytes(v as Uint8Array);
    else if (t === "b") w.tag(no, WireType.Varint).bool(v as boolean);
    else w.tag(no, WireType.Varint).int64(v as number | bigint);
  }
  return w.finish();
}
const objectMeta = (name: string, ...more: Field[]) => msg([1, "s", name], ...more);
const timestamp = (seconds: number | bigint, nanos = 0) => msg([1, "i", seconds], ...(nanos ? ([[2, "i", nanos]] as Field[]) : []));

function decodeError(fn: () => unknown): ProtobufDecodeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtobufDecodeError);
    return e as ProtobufDecodeError;
  }
  throw new Error("expected a ProtobufDecodeError");
}

describe("bodies captured from real kubectl (protobuf) decode to the JSON kubectl sends", () => {
  it("has the captured fixtures", () => {
    expect(cases.length).toBeGreaterThanOrEqual(35);
  });

  for (const c of cases) {
    it(`${c.name}: ${c.command}`, () => {
      const bytes = new Uint8Array(readFileSync(join(FIXTURES, `${c.name}.pb`)));
      const expected = dropNullCreationTimestamp(JSON.parse(readFileSync(join(FIXTURES, `${c.name}.json`), "utf8"))) as Record<
        string,
        unknown
      >;
      const decoded = decodeKubernetesProtobuf(bytes);
      expect(decoded.apiVersion).toBe(expected.apiVersion);
      expect(decoded.kind).toBe(expected.kind);
      if (c.name === "csr-approve") {
        // `certificate approve` appends a condition stamped with metav1.Now() at run time.
        const got = (decoded.object.status as { conditions: Array<Record<string, unknown>> }).conditions;
        const want = (expected.status as { conditions: Array<Record<string, unknown>> }).conditions;
        expect(got[1]!.lastUpdateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        want[1]!.lastUpdateTime = got[1]!.lastUpdateTime;
      }
      expect(decoded.object).toStrictEqual(expected);
    });
  }

  it("keeps Go's JSON field order (struct order) and sorted map keys", () => {
    const { object } = decodeKubernetesProtobuf(new Uint8Array(readFileSync(join(FIXTURES, "deployment.pb"))));
    expect(Object.keys(object)).toEqual(["kind", "apiVersion", "metadata", "spec", "status"]);
    const container = (object as any).spec.template.spec.containers[0];
    expect(Object.keys(container)).toEqual(["name", "image", "ports", "resources"]);
    const csr = decodeKubernetesProtobuf(new Uint8Array(readFileSync(join(FIXTURES, "csr-approve.pb")))).object as any;
    expect(Object.keys(csr.metadata.labels)).toEqual(["a", "team", "z"]);
  });

  it("decodes Secret data ([]byte map values) to base64 and TokenRequest/SAR specs", () => {
    const secret = decodeKubernetesProtobuf(new Uint8Array(readFileSync(join(FIXTURES, "secret-generic.pb")))).object as any;
    expect(secret.data).toEqual({ bin: Buffer.from("ÿ").toString("base64"), k: "dg==" });
    const token = decodeKubernetesProtobuf(new Uint8Array(readFileSync(join(FIXTURES, "token.pb")))).object as any;
    expect(token.spec).toEqual({ audiences: ["foo", "bar"], expirationSeconds: 600, boundObjectRef: null });
  });
});

describe("envelope errors (kube-apiserver wording)", () => {
  const configmap = new Uint8Array(readFileSync(join(FIXTURES, "configmap.pb")));

  it("rejects empty data, a wrong magic and a bare magic", () => {
    expect(decodeError(() => decodeKubernetesProtobuf(new Uint8Array())).message).toBe("empty data");
    const json = new TextEncoder().encode('{"kind":"ConfigMap"}');
    const e = decodeError(() => decodeKubernetesProtobuf(json));
    expect(e.message).toBe("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
    expect(e.reason).toBe("Malformed");
    expect(decodeError(() => decodeKubernetesProtobuf(new Uint8Array([0x6b, 0x38, 0x73]))).reason).toBe("Malformed");
    expect(decodeError(() => decodeKubernetesProtobuf(new Uint8Array(MAGIC))).message).toBe("empty body");
  });

  it("rejects truncated input", () => {
    const e = decodeError(() => decodeKubernetesProtobuf(configmap.subarray(0, configmap.length - 1)));
    expect(e.message).toBe("unexpected EOF");
    // Every prefix either fails cleanly or (cut exactly between envelope fields) decodes.
    for (let n = 5; n < configmap.length; n++) {
      try {
        decodeKubernetesProtobuf(configmap.subarray(0, n));
      } catch (err) {
        expect(err).toBeInstanceOf(ProtobufDecodeError);
      }
    }
    // A truncated nested message inside raw.
    const raw = objectMeta("x");
    const bad = envelope("v1", "ConfigMap", msg([1, "m", raw.subarray(0, raw.length - 1)]));
    const nested = decodeError(() => decodeKubernetesProtobuf(bad));
    expect(nested.message).toBe("unexpected EOF");
    // the body's GVK is known once the envelope was read (upstream: `… in version "v1" cannot be handled as …`)
    expect([nested.apiVersion, nested.kind]).toEqual(["v1", "ConfigMap"]);
    expect(e.kind).toBeUndefined();
  });

  it("rejects a kind that is not registered", () => {
    const raw = msg([1, "m", objectMeta("x")]);
    const e = decodeError(() => decodeKubernetesProtobuf(envelope("v1", "Foo", raw)));
    expect(e.reason).toBe("NotRegistered");
    expect([e.apiVersion, e.kind]).toEqual(["v1", "Foo"]);
    expect(e.message).toBe('no kind "Foo" is registered for version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30"');
    expect(decodeError(() => decodeKubernetesProtobuf(envelope("example.com/v1", "Widget", raw))).message).toBe(
      'no kind "Widget" is registered for version "example.com/v1" in scheme "pkg/api/legacyscheme/scheme.go:30"',
    );
    // Kinds are case-sensitive, as in the scheme.
    expect(decodeError(() => decodeKubernetesProtobuf(envelope("v1", "configmap", raw))).reason).toBe("NotRegistered");
    // A kind from another group version.
    expect(decodeError(() => decodeKubernetesProtobuf(envelope("v1", "Deployment", raw))).reason).toBe("NotRegistered");
  });

  it("reports a missing kind or apiVersion unless defaults are given", () => {
    const raw = msg([1, "m", objectMeta("x")]);
    const e = decodeError(() => decodeKubernetesProtobuf(envelope("v1", "", raw)));
    expect(e.reason).toBe("MissingKind");
    expect(e.message).toBe(`Object 'Kind' is missing in 'runtime.TypeMeta{APIVersion:"v1", Kind:""}'`);
    expect(decodeError(() => decodeKubernetesProtobuf(envelope("", "ConfigMap", raw))).message).toBe(
      `Object 'apiVersion' is missing in 'runtime.TypeMeta{APIVersion:"", Kind:"ConfigMap"}'`,
    );
    const ok = decodeKubernetesProtobuf(envelope("", "", raw), { apiVersion: "v1", kind: "ConfigMap" });
    expect(ok.object).toEqual({ kind: "ConfigMap", apiVersion: "v1", metadata: { name: "x" } });
  });

  it("rejects a field sent with the wrong wire type", () => {
    // ObjectMeta.name (string) sent as a varint
    const raw = msg([1, "m", msg([1, "i", 5])]);
    expect(decodeError(() => decodeKubernetesProtobuf(envelope("v1", "ConfigMap", raw))).message).toBe("proto: wrong wireType = 0 for field name");
  });

  it("rejects malformed tags", () => {
    const e = decodeError(() => decodeKubernetesProtobuf(envelope("v1", "ConfigMap", new Uint8Array([0x00, 0x01]))));
    expect(e.reason).toBe("Malformed");
    expect(e.message).toMatch(/^proto: illegal tag/);
  });

  it("ignores Unknown.contentEncoding/contentType and unknown envelope fields", () => {
    const raw = msg([1, "m", objectMeta("x")]);
    const body = envelope("v1", "ConfigMap", raw, (w) => {
      w.tag(3, WireType.LengthDelimited).string("");
      w.tag(4, WireType.LengthDelimited).string("application/vnd.kubernetes.protobuf");
      w.tag(9, WireType.Varint).int32(1);
    });
    expect(decodeKubernetesProtobuf(body).object).toEqual({ kind: "ConfigMap", apiVersion: "v1", metadata: { name: "x" } });
  });
});

describe("wire handling", () => {
  it("skips unknown fields of every wire type at every level", () => {
    const w = new BinaryWriter();
    w.tag(1, WireType.LengthDelimited).string("x"); // name
    w.tag(99, WireType.Varint).int32(7);
    w.tag(98, WireType.Bit64).fixed64(1n);
    w.tag(97, WireType.Bit32).fixed32(1);
    w.tag(96, WireType.LengthDelimited).string("ignored");
    w.tag(95, WireType.StartGroup).tag(1, WireType.Varint).int32(1).tag(95, WireType.EndGroup);
    const meta = w.finish();
    const raw = msg([1, "m", meta], [1000, "s", "future field"]);
    expect(decodeKubernetesProtobuf(envelope("v1", "ConfigMap", raw)).object).toEqual({
      kind: "ConfigMap",
      apiVersion: "v1",
      metadata: { name: "x" },
    });
  });

  it("merges a singular message sent in several pieces, as proto2 does", () => {
    const raw = msg([1, "m", objectMeta("x")], [1, "m", msg([3, "s", "ns"])]);
    expect(decodeKubernetesProtobuf(envelope("v1", "ConfigMap", raw)).object.metadata).toEqual({ name: "x", namespace: "ns" });
  });

  it("accepts packed and unpacked repeated numbers", () => {
    // PodSecurityContext.supplementalGroups (repeated int64, 4)
    const packed = new BinaryWriter().tag(4, WireType.LengthDelimited).fork().int64(1).int64(2).int64(3).join().finish();
    const unpacked = msg([4, "i", 4], [4, "i", 5]);
    const both = new Uint8Array([...packed, ...unpacked]);
    expect(decodeProtobufMessage("core.PodSecurityContext", both)).toEqual({ supplementalGroups: [1, 2, 3, 4, 5] });
  });

  it("decodes negative and large int64 values", () => {
    // Pod.spec.activeDeadlineSeconds (*int64, 5), priority (*int32, 25)
    const spec = msg([5, "i", 9007199254740991n], [25, "i", -5]);
    const out = decodeProtobufMessage("core.PodSpec", spec);
    expect(out.activeDeadlineSeconds).toBe(9007199254740991);
    expect(out.priority).toBe(-5);
  });

  it("follows Go's map rules: sorted keys, last duplicate wins, a missing value is the zero value", () => {
    const entry = (k: string, v?: string) => msg([1, "s", k], ...(v === undefined ? [] : ([[2, "s", v]] as Field[])));
    const meta = objectMeta("x", [11, "m", entry("b", "1")], [11, "m", entry("a", "2")], [11, "m", entry("b", "3")], [11, "m", entry("c")]);
    const out = decodeProtobufMessage("meta.ObjectMeta", meta);
    expect(out.labels).toEqual({ a: "2", b: "3", c: "" });
    expect(Object.keys(out.labels as object)).toEqual(["a", "b", "c"]);
    // map<string, Quantity> with a missing value → "0"; map<string, bytes> → base64
    const rr = decodeProtobufMessage("core.ResourceRequirements", msg([1, "m", entry("cpu")]));
    expect(rr).toEqual({ limits: { cpu: "0" } });
    const cm = decodeProtobufMessage("core.ConfigMap", msg([3, "m", msg([1, "s", "bin"], [2, "y", new Uint8Array([0, 255, 1])])]));
    expect(cm).toEqual({ metadata: {}, binaryData: { bin: "AP8B" } });
  });

  it("applies omitempty, pointers and nil slices like Go's encoding/json", () => {
    // Container: name has no omitempty ("" kept); resources is a struct (always written);
    // pointers and omitempty scalars are dropped.
    expect(decodeProtobufMessage("core.Container", new Uint8Array())).toEqual({ name: "", resources: {} });
    // Role.rules has no omitempty: a nil slice is null.
    expect(decodeProtobufMessage("rbac.Role", new Uint8Array())).toEqual({ metadata: {}, rules: null });
    // ServicePort: port (int32, no omitempty) is 0; targetPort is an IntOrString struct.
    expect(decodeProtobufMessage("core.ServicePort", new Uint8Array())).toEqual({ port: 0, targetPort: 0 });
    // *bool present and false is kept; bool false with omitempty is dropped.
    const sc = decodeProtobufMessage("core.SecurityContext", msg([2, "b", false], [7, "b", false]));
    expect(sc).toEqual({ privileged: false, allowPrivilegeEscalation: false });
    expect(decodeProtobufMessage("core.Container", msg([16, "b", false]))).toEqual({ name: "", resources: {} });
    // inlined embedded structs: Volume.VolumeSource, Probe.ProbeHandler, EphemeralContainer.EphemeralContainerCommon
    const vol = decodeProtobufMessage("core.Volume", msg([1, "s", "v"], [2, "m", msg([2, "m", msg([1, "s", "Memory"])])]));
    expect(vol).toEqual({ name: "v", emptyDir: { medium: "Memory" } });
    const probe = decodeProtobufMessage("core.Probe", msg([1, "m", msg([3, "m", msg([1, "m", msg([2, "i", 80])])])], [2, "i", 3]));
    expect(probe).toEqual({ tcpSocket: { port: 80 }, initialDelaySeconds: 3 });
    const ec = decodeProtobufMessage("core.EphemeralContainer", msg([1, "m", msg([1, "s", "dbg"], [2, "s", "busybox"])], [2, "s", "main"]));
    expect(ec).toEqual({ name: "dbg", image: "busybox", resources: {}, targetContainerName: "main" });
  });

  it("decodes strings as UTF-8", () => {
    expect(decodeProtobufMessage("meta.ObjectMeta", objectMeta("ünï✓😀")).name).toBe("ünï✓😀");
  });

  it("bounds nesting depth", () => {
    // RawExtension items that each hold another List envelope, far deeper than any real object.
    let inner = envelope("v1", "List", new Uint8Array());
    for (let i = 0; i < 100; i++) inner = envelope("v1", "List", msg([2, "m", msg([1, "y", inner])]));
    expect(decodeError(() => decodeKubernetesProtobuf(inner)).message).toMatch(/nesting deeper than/);
  });
});

describe("types with their own JSON form", () => {
  it("metav1.Time: RFC3339 seconds; nanos dropped; empty is the zero time", () => {
    const meta = objectMeta("x", [8, "m", timestamp(1795315614, 999_000_000)], [9, "m", timestamp(0)]);
    const out = decodeProtobufMessage("meta.ObjectMeta", meta);
    expect(out.creationTimestamp).toBe("2026-11-22T02:46:54Z");
    expect(out.deletionTimestamp).toBe("1970-01-01T00:00:00Z");
    // zero creationTimestamp (empty message, as Go writes it) is omitted (omitzero) ...
    expect(decodeProtobufMessage("meta.ObjectMeta", objectMeta("x", [8, "m", new Uint8Array()]))).toEqual({ name: "x" });
    // ... a zero *Time pointer that is present is null, and Go's zero instant is the zero time.
    expect(decodeProtobufMessage("meta.ObjectMeta", objectMeta("x", [9, "m", new Uint8Array()])).deletionTimestamp).toBeNull();
    expect(decodeProtobufMessage("meta.ObjectMeta", objectMeta("x", [9, "m", timestamp(-62135596800n)])).deletionTimestamp).toBeNull();
    // a non-pointer Time without omitzero (Condition.lastTransitionTime) is null when zero
    expect(decodeProtobufMessage("meta.Condition", new Uint8Array())).toEqual({
      type: "",
      status: "",
      lastTransitionTime: null,
      reason: "",
      message: "",
    });
  });

  it("metav1.MicroTime: RFC3339 with microseconds (events.k8s.io/v1 Event, Lease)", () => {
    const event = msg(
      [1, "m", objectMeta("e1", [3, "s", "default"])],
      [2, "m", timestamp(1795315614, 123_456_789)],
      [3, "m", msg([1, "i", 2], [2, "m", timestamp(1795315620, 5_000)])],
      [4, "s", "kubelet"],
      [7, "s", "Pulled"],
      [8, "m", msg([1, "s", "Pod"], [3, "s", "p"], [5, "s", "v1"])],
      [10, "s", "pulled image"],
      [11, "s", "Normal"],
      [13, "m", timestamp(1795315600)],
      [15, "i", 3],
    );
    const out = decodeKubernetesProtobuf(envelope("events.k8s.io/v1", "Event", event)).object;
    expect(out).toEqual({
      kind: "Event",
      apiVersion: "events.k8s.io/v1",
      metadata: { name: "e1", namespace: "default" },
      eventTime: "2026-11-22T02:46:54.123456Z",
      series: { count: 2, lastObservedTime: "2026-11-22T02:47:00.000005Z" },
      reportingController: "kubelet",
      reason: "Pulled",
      regarding: { kind: "Pod", name: "p", apiVersion: "v1" },
      note: "pulled image",
      type: "Normal",
      deprecatedSource: {},
      deprecatedFirstTimestamp: "2026-11-22T02:46:40Z",
      deprecatedLastTimestamp: null,
      deprecatedCount: 3,
    });
    const lease = msg(
      [1, "m", objectMeta("kube-scheduler", [3, "s", "kube-system"])],
      [2, "m", msg([1, "s", "node-1_abc"], [2, "i", 15], [3, "m", timestamp(1795315614)], [4, "m", timestamp(1795315615, 42_000)], [5, "i", 0])],
    );
    expect(decodeKubernetesProtobuf(envelope("coordination.k8s.io/v1", "Lease", lease)).object).toEqual({
      kind: "Lease",
      apiVersion: "coordination.k8s.io/v1",
      metadata: { name: "kube-scheduler", namespace: "kube-system" },
      spec: {
        holderIdentity: "node-1_abc",
        leaseDurationSeconds: 15,
        acquireTime: "2026-11-22T02:46:54.000000Z",
        renewTime: "2026-11-22T02:46:55.000042Z",
        leaseTransitions: 0,
      },
    });
    // time.Unix normalizes out-of-range nanos
    expect(decodeProtobufMessage("events.EventSeries", msg([2, "m", timestamp(10, 1_500_000_000)])).lastObservedTime).toBe(
      "1970-01-01T00:00:11.500000Z",
    );
    // nanos are truncated toward zero to microseconds first (Duration.Truncate), then normalized
    expect(decodeProtobufMessage("events.EventSeries", msg([2, "m", timestamp(10, -1500)])).lastObservedTime).toBe(
      "1970-01-01T00:00:09.999999Z",
    );
    expect(decodeProtobufMessage("events.EventSeries", msg([2, "m", timestamp(10, 999)])).lastObservedTime).toBe(
      "1970-01-01T00:00:10.000000Z",
    );
  });

  it("metav1.Duration: Go's time.Duration.String()", () => {
    // cases from Go's time package tests
    const cases: Array<[bigint, string]> = [
      [0n, "0s"],
      [1n, "1ns"],
      [1100n, "1.1µs"],
      [2_200_000n, "2.2ms"],
      [3_300_000_000n, "3.3s"],
      [245_000_000_000n, "4m5s"],
      [245_001_000_000n, "4m5.001s"],
      [18_367_001_000_000n, "5h6m7.001s"],
      [480_000_000_001n, "8m0.000000001s"],
      [9223372036854775807n, "2562047h47m16.854775807s"],
      [-9223372036854775808n, "-2562047h47m16.854775808s"],
      [-1_500_000_000n, "-1.5s"],
      [3_600_000_000_000n, "1h0m0s"],
    ];
    for (const [d, s] of cases) expect(goDurationString(d)).toBe(s);
  });

  it("resource.Quantity keeps the (canonical) string and rejects garbage", () => {
    const rr = (q: string) => msg([2, "m", msg([1, "s", "cpu"], [2, "m", msg([1, "s", q])])]);
    expect(decodeProtobufMessage("core.ResourceRequirements", rr("500m"))).toEqual({ requests: { cpu: "500m" } });
    expect(decodeProtobufMessage("core.ResourceRequirements", rr("1e3"))).toEqual({ requests: { cpu: "1e3" } });
    expect(decodeProtobufMessage("core.ResourceRequirements", rr("2Gi"))).toEqual({ requests: { cpu: "2Gi" } });
    for (const bad of ["lots", "", " 1", "1.2.3", "1e"]) {
      expect(decodeError(() => decodeProtobufMessage("core.ResourceRequirements", rr(bad))).reason, bad).toBe("Malformed");
    }
    expect(decodeError(() => decodeProtobufMessage("core.ResourceRequirements", rr("lots"))).message).toBe(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
    expect(decodeError(() => decodeProtobufMessage("core.ResourceRequirements", rr("1Ki1"))).message).toBe("unable to parse quantity's suffix");
    expect(decodeError(() => decodeProtobufMessage("core.ResourceRequirements", rr("1K"))).message).toBe("unable to parse quantity's suffix");
  });

  it("intstr.IntOrString: number or string; other types are rejected", () => {
    const pdb = (ios: Uint8Array) => decodeProtobufMessage("policy.PodDisruptionBudgetSpec", msg([1, "m", ios]));
    expect(pdb(msg([1, "i", 0], [2, "i", 2]))).toEqual({ minAvailable: 2 });
    expect(pdb(msg([1, "i", 1], [3, "s", "50%"]))).toEqual({ minAvailable: "50%" });
    expect(pdb(new Uint8Array())).toEqual({ minAvailable: 0 });
    expect(decodeError(() => pdb(msg([1, "i", 2]))).message).toBe("impossible IntOrString.Type");
  });

  it("runtime.RawExtension: embedded JSON or a nested protobuf document; nil is null", () => {
    const cm = envelope("v1", "ConfigMap", msg([1, "m", objectMeta("inner")], [2, "m", msg([1, "s", "k"], [2, "s", "v"])]));
    const json = new TextEncoder().encode('{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s"}}');
    const list = msg([1, "m", msg([2, "s", "7"])], [2, "m", msg([1, "y", json])], [2, "m", msg([1, "y", cm])], [2, "m", new Uint8Array()]);
    expect(decodeKubernetesProtobuf(envelope("v1", "List", list)).object).toEqual({
      kind: "List",
      apiVersion: "v1",
      metadata: { resourceVersion: "7" },
      items: [
        { kind: "Secret", apiVersion: "v1", metadata: { name: "s" } },
        { kind: "ConfigMap", apiVersion: "v1", metadata: { name: "inner" }, data: { k: "v" } },
        null,
      ],
    });
    const bad = msg([2, "m", msg([1, "y", new TextEncoder().encode("{not json")])]);
    expect(decodeError(() => decodeKubernetesProtobuf(envelope("v1", "List", bad))).reason).toBe("Malformed");
  });

  it("metav1.FieldsV1 and []string message wrappers (ExtraValue)", () => {
    const fields = new TextEncoder().encode('{"f:data":{"f:k":{}}}');
    const mf = decodeProtobufMessage("meta.ManagedFieldsEntry", msg([1, "s", "m"], [6, "s", "FieldsV1"], [7, "m", msg([1, "y", fields])]));
    expect(mf).toEqual({ manager: "m", fieldsType: "FieldsV1", fieldsV1: { "f:data": { "f:k": {} } } });
    const extra = (k: string, ...items: string[]) => msg([1, "s", k], [2, "m", msg(...items.map((s) => [1, "s", s] as Field))]);
    const ui = decodeProtobufMessage("authn.UserInfo", msg([1, "s", "alice"], [4, "m", extra("scopes", "a", "b")], [4, "m", extra("none")]));
    expect(ui).toEqual({ username: "alice", extra: { none: null, scopes: ["a", "b"] } });
  });

  it("DeleteOptions in any group version and meta.k8s.io/v1", () => {
    const raw = msg([1, "i", 0], [4, "s", "Background"], [5, "s", "All"], [2, "m", msg([1, "s", "uid-1"])]);
    for (const gv of ["v1", "apps/v1", "meta.k8s.io/v1", "batch/v1"]) {
      expect(decodeKubernetesProtobuf(envelope(gv, "DeleteOptions", raw)).object).toEqual({
        kind: "DeleteOptions",
        apiVersion: gv,
        gracePeriodSeconds: 0,
        preconditions: { uid: "uid-1" },
        propagationPolicy: "Background",
        dryRun: ["All"],
      });
    }
  });
});

describe("tables", () => {
  it("parse, and every referenced message exists", () => {
    const names = allMessageNames();
    expect(names.length).toBeGreaterThan(400);
    for (const name of names) {
      const def = messageDef(name);
      expect(def, name).toBeDefined();
      const numbers = new Set<number>();
      for (const f of def!.fields) {
        expect(numbers.has(f.num), `${name} duplicate field ${f.num}`).toBe(false);
        numbers.add(f.num);
        if (!SCALAR_CODES.has(f.type) && !SPECIAL_CODES.has(f.type)) expect(messageDef(f.type), `${name}.${f.json} → ${f.type}`).toBeDefined();
      }
    }
  });

  it("register the kinds the brief asks for", () => {
    const want: Array<[string, string[]]> = [
      ["v1", ["Pod", "ConfigMap", "Secret", "Namespace", "Service", "ServiceAccount", "Endpoints", "Node", "Event", "ResourceQuota", "LimitRange", "Binding", "PersistentVolumeClaim", "DeleteOptions", "Status"]],
      ["apps/v1", ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ControllerRevision"]],
      ["batch/v1", ["Job", "CronJob"]],
      ["rbac.authorization.k8s.io/v1", ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]],
      ["policy/v1", ["PodDisruptionBudget", "Eviction"]],
      ["scheduling.k8s.io/v1", ["PriorityClass"]],
      ["networking.k8s.io/v1", ["Ingress", "NetworkPolicy", "IngressClass"]],
      ["autoscaling/v1", ["Scale", "HorizontalPodAutoscaler"]],
      ["autoscaling/v2", ["HorizontalPodAutoscaler"]],
      ["authentication.k8s.io/v1", ["TokenRequest", "TokenReview", "SelfSubjectReview"]],
      ["authorization.k8s.io/v1", ["SelfSubjectAccessReview", "SelfSubjectRulesReview", "SubjectAccessReview", "LocalSubjectAccessReview"]],
      ["coordination.k8s.io/v1", ["Lease"]],
      ["events.k8s.io/v1", ["Event"]],
      ["discovery.k8s.io/v1", ["EndpointSlice"]],
      ["certificates.k8s.io/v1", ["CertificateSigningRequest"]],
      ["storage.k8s.io/v1", ["StorageClass"]],
    ];
    for (const [gv, kinds] of want) for (const k of kinds) expect(kindMessage(gv, k), `${gv} ${k}`).toBeDefined();
  });

  it("decode an empty body of every registered kind to Go's zero-value JSON", () => {
    for (const { apiVersion, kind } of registeredKindList()) {
      const { object } = decodeKubernetesProtobuf(envelope(apiVersion, kind, new Uint8Array()));
      expect(object.kind).toBe(kind);
      expect(object.apiVersion).toBe(apiVersion);
    }
    expect(decodeKubernetesProtobuf(envelope("apps/v1", "Deployment", new Uint8Array())).object).toEqual({
      kind: "Deployment",
      apiVersion: "apps/v1",
      metadata: {},
      spec: { selector: null, template: { metadata: {}, spec: { containers: null } }, strategy: {} },
      status: {},
    });
  });
});
