/**
 * What every kind with a pod template shares: PodSpec defaulting (k8s.io/kubernetes
 * pkg/apis/core/v1/defaults.go and the generated defaulters), quantity decoding, PodSpec and
 * PodTemplateSpec validation (pkg/apis/core/validation), Go-syntax rendering of the bad values
 * upstream prints with `%#v`, and the container cells of `kubectl get -o wide`.
 *
 * Objects are plain JSON; every function tolerates missing or mistyped fields (the decoder of a
 * real apiserver would have rejected some of them earlier, validation rejects the rest).
 */
import { errors, field, type FieldError, type StatusError } from "../../apiserver/status";
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  nameIsDNSSubdomain,
  regexError,
  utf8Length,
  validateAnnotations,
  validateLabelName,
  validateLabels,
} from "../../apiserver/names";
import { labelSelectorAsSelector, validateLabelSelector, type LabelSelector, type LabelSelectorObject } from "../../apiserver/selectors/labels";
import { goQuote } from "../../apiserver/query";
import type { KObject, TableColumn } from "../types";
import {
  QuantityError,
  canonicalQuantity,
  compareQuantities,
  formatQuantity,
  milliValue,
  quantityFromJSON,
  roundUp,
  type Quantity,
} from "./quantity";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

export const isRecord = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const has = (o: unknown, k: string): boolean => isRecord(o) && o[k] !== undefined && o[k] !== null;

/** Structural equality of JSON values (upstream's apiequality.Semantic.DeepEqual on decoded objects). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Obj;
  const bo = b as Obj;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && deepEqual(ao[k], bo[k]));
}

// =============================================================================================
// Go-syntax values (`%#v`), which upstream prints for bad values that are not strings or numbers
// =============================================================================================

/** A field error whose bad value is printed verbatim (upstream's `%#v` rendering). */
export interface RenderedFieldError extends FieldError {
  renderedValue: string;
}

export function withRenderedValue(e: FieldError, rendered: string): RenderedFieldError {
  return Object.assign(e, { renderedValue: rendered });
}

export const goString = (s: string): string => goQuote(s);

const goSortedKeys = (m: Obj) => Object.keys(m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** `map[string]string{"a":"b", "c":"d"}`, `map[string]string{}` or `map[string]string(nil)`. */
export function goStringMap(m: unknown): string {
  if (!isRecord(m)) return "map[string]string(nil)";
  return `map[string]string{${goSortedKeys(m)
    .map((k) => `${goQuote(k)}:${goQuote(String(m[k]))}`)
    .join(", ")}}`;
}

export function goStringSlice(a: unknown): string {
  if (!Array.isArray(a)) return "[]string(nil)";
  return `[]string{${a.map((s) => goQuote(String(s))).join(", ")}}`;
}

/** A metav1.LabelSelector as `%#v` prints it (pointers are dereferenced by field.Error). */
export function goLabelSelector(sel: unknown): string {
  if (!isRecord(sel)) return "null";
  const exprs = Array.isArray(sel.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions
        .map((e: unknown) => {
          const r = isRecord(e) ? e : {};
          return `v1.LabelSelectorRequirement{Key:${goQuote(str(r.key))}, Operator:${goQuote(str(r.operator))}, Values:${goStringSlice(r.values)}}`;
        })
        .join(", ")}}`
    : "[]v1.LabelSelectorRequirement(nil)";
  return `v1.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels)}, MatchExpressions:${exprs}}`;
}

/** intstr.IntOrString as `%#v` prints it. */
export function goIntOrString(v: unknown): string {
  if (typeof v === "string") return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}`;
  return `intstr.IntOrString{Type:0, IntVal:${typeof v === "number" ? v : 0}, StrVal:""}`;
}

/** resource.Quantity as `%#v` prints it (the int64 representation). */
function goQuantity(q: Quantity): string {
  return `resource.Quantity{i:resource.int64Amount{value:${q.mantissa}, scale:${q.exponent}}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:${goQuote(q.original ?? "")}, Format:${goQuote(q.format)}}`;
}

/** JSON fields that are Go maps (their keys are data, not field names). */
const mapFields = new Set([
  "labels",
  "annotations",
  "nodeSelector",
  "matchLabels",
  "limits",
  "requests",
  "overhead",
  "data",
  "binaryData",
  "volumeAttributes",
  "parameters",
  "capacity",
  "allocatable",
]);

/**
 * A rough Go literal of a JSON value, for diffs and struct dumps: `cmp` as go-cmp reports
 * (`{Name: "x"}`), `fmt` as `%#v` prints (`{Name:"x"}`). Field names are the JSON names
 * capitalised; maps keep their keys.
 */
function goLiteral(v: unknown, mode: "cmp" | "fmt" = "cmp", key?: string): string {
  const sep = mode === "cmp" ? ": " : ":";
  if (v === undefined || v === null) return "nil";
  if (typeof v === "string") return goQuote(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `{${v.map((x) => goLiteral(x, mode)).join(", ")}}`;
  const o = v as Obj;
  if (key !== undefined && mapFields.has(key)) {
    const entries = goSortedKeys(o).map((k) => `${goQuote(k)}${sep}${goLiteral(o[k], mode)}`);
    return mode === "fmt" ? `map[string]string{${entries.join(", ")}}` : `{${entries.join(", ")}}`;
  }
  return `{${Object.keys(o)
    .map((k) => `${goFieldName(k)}${sep}${goLiteral(o[k], mode, k)}`)
    .join(", ")}}`;
}

const goFieldNames: Record<string, string> = {
  dnsPolicy: "DNSPolicy",
  dnsConfig: "DNSConfig",
  hostIPC: "HostIPC",
  hostPID: "HostPID",
  metadata: "ObjectMeta",
  os: "OS",
  setHostnameAsFQDN: "SetHostnameAsFQDN",
  podIP: "PodIP",
  hostIP: "HostIP",
  uid: "UID",
  httpGet: "HTTPGet",
  tcpSocket: "TCPSocket",
  grpc: "GRPC",
  tty: "TTY",
};
const goFieldName = (k: string) => goFieldNames[k] ?? (k ? k[0]!.toUpperCase() + k.slice(1) : k);

// =============================================================================================
// Small validators with upstream's messages (k8s.io/apimachinery/pkg/util/validation)
// =============================================================================================

export const inclusiveRangeError = (lo: number, hi: number) => `must be between ${lo} and ${hi}, inclusive`;
export const notFound = (path: string, value: unknown): FieldError => ({ type: "FieldValueNotFound", field: path, badValue: value });
export const tooMany = (path: string, actual: number, max: number): FieldError => ({
  type: "FieldValueTooMany",
  field: path,
  badValue: actual,
  detail: `must have at most ${max} items`,
});
export const NON_NEGATIVE_MSG = "must be greater than or equal to 0";
export const IMMUTABLE_MSG = "field is immutable";
const maxLenError = (n: number) => `must be no more than ${n} characters`;

export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (utf8Length(port) > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port)) errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (!/[a-z]/.test(port)) errs.push("must contain at least one letter (a-z)");
  if (port.includes("--")) errs.push("must not contain consecutive hyphens");
  if (port.length > 0 && (port.startsWith("-") || port.endsWith("-"))) errs.push("must not begin or end with a hyphen");
  return errs;
}

/** IsRelaxedEnvVarName (RelaxedEnvironmentVariableValidation is on by default). */
export function isRelaxedEnvVarName(name: string): string[] {
  const errs: string[] = [];
  if (name.length === 0) errs.push("environment variable name must be non-empty");
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c > 0x7e || c < 0x20 || ch === "=") {
      errs.push("a valid environment variable name must consist only of printable ASCII characters other than '='");
      break;
    }
  }
  return errs;
}

function hasChDirPrefix(value: string): string[] {
  if (value === ".") return ["must not be '.'"];
  if (value === "..") return ["must not be '..'"];
  if (value.startsWith("..")) return ["must not start with '..'"];
  return [];
}

export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (utf8Length(value) > 253) errs.push(maxLenError(253));
  if (!/^[-._a-zA-Z0-9]+$/.test(value)) {
    errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", "[-._a-zA-Z0-9]+", "key.name", "KEY_NAME", "key-name"));
  }
  errs.push(...hasChDirPrefix(value));
  return errs;
}

export function isValidPercent(value: string): string[] {
  if (/^[0-9]+%$/.test(value)) return [];
  return [regexError("a valid percent string must be a numeric string followed by an ending '%'", "[0-9]+%", "1%", "93%")];
}

function isHTTPHeaderName(value: string): string[] {
  if (/^[-A-Za-z0-9]+$/.test(value)) return [];
  return [regexError("a valid HTTP header must consist of alphanumeric characters or '-'", "[-A-Za-z0-9]+", "X-Header-Name")];
}

function isIPv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

function isIPv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(":")) return false;
  const dbl = s.split("::");
  if (dbl.length > 2) return false;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  let head = groups(dbl[0]!);
  let tail = dbl.length === 2 ? groups(dbl[1]!) : [];
  let words = 0;
  const last = (dbl.length === 2 ? tail : head).at(-1);
  if (last !== undefined && last.includes(".")) {
    if (!isIPv4(last)) return false;
    words += 2;
    if (dbl.length === 2) tail = tail.slice(0, -1);
    else head = head.slice(0, -1);
  }
  const all = [...head, ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  words += all.length;
  return dbl.length === 2 ? words < 8 : words === 8;
}

/** validation.IsValidIP as a field error. */
export function validateIP(path: string, value: string): FieldError[] {
  if (isIPv4(value) || isIPv6(value)) return [];
  return [field.invalid(path, value, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")];
}

export function validateNonnegative(value: unknown, path: string): FieldError[] {
  return typeof value === "number" && value < 0 ? [field.invalid(path, value, NON_NEGATIVE_MSG)] : [];
}

function dns1123LabelErrors(value: string, path: string): FieldError[] {
  return isDNS1123Label(value).map((msg) => field.invalid(path, value, msg));
}

function dns1123SubdomainErrors(value: string, path: string): FieldError[] {
  return isDNS1123Subdomain(value).map((msg) => field.invalid(path, value, msg));
}

function qualifiedNameErrors(value: string, path: string): FieldError[] {
  return isQualifiedName(value).map((msg) => field.invalid(path, value, msg));
}

// =============================================================================================
// Docker image references (for the imagePullPolicy default)
// =============================================================================================

const pathComponent = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const referenceRe = new RegExp(
  `^((?:${domain}/)?${pathComponent}(?:/${pathComponent})*)(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`,
);

/**
 * The tag kubelet's image parser finds: `latest` for a valid reference without tag or digest,
 * "" when the reference does not parse (upstream ignores that error when defaulting).
 */
export function imageTag(image: string): string {
  const m = referenceRe.exec(image);
  if (!m || m[1]!.length > 255 || /^[a-f0-9]{64}$/.test(image)) return "";
  if (m[2]) return m[2];
  if (m[3]) return "";
  return "latest";
}

export function defaultPullPolicy(image: unknown): "Always" | "IfNotPresent" {
  return imageTag(str(image)) === "latest" ? "Always" : "IfNotPresent";
}

// =============================================================================================
// Quantities: decoded (and canonicalised) like the apiserver's JSON decoder does
// =============================================================================================

/** The 400 kube-apiserver answers when the body does not decode (`Pod in version "v1" cannot be handled as a Pod: ...`). */
export function decodeError(obj: KObject, message: string): StatusError {
  const kind = obj.kind || "Object";
  const version = typeof obj.apiVersion === "string" ? obj.apiVersion.split("/").pop() : "";
  return errors.badRequest(`${kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind}: ${message}`);
}

type OnBadQuantity = (message: string) => never;

function canonicalize(raw: unknown, onBad: OnBadQuantity, roundUpScale?: number): string {
  if (raw === null) return "0";
  try {
    let q = quantityFromJSON(raw);
    if (roundUpScale !== undefined) q = roundUp(q, roundUpScale);
    return formatQuantity(q);
  } catch (e) {
    if (e instanceof QuantityError) onBad(e.message);
    throw e;
  }
}

/** SetDefaults_ResourceList: every quantity in canonical form, rounded up to milli-units. */
export function canonicalizeResourceList(list: unknown, onBad: OnBadQuantity): void {
  if (!isRecord(list)) return;
  for (const k of Object.keys(list)) list[k] = canonicalize(list[k], onBad, -3);
}

function canonicalizeResources(resources: unknown, onBad: OnBadQuantity): void {
  if (!isRecord(resources)) return;
  canonicalizeResourceList(resources.limits, onBad);
  canonicalizeResourceList(resources.requests, onBad);
}

function canonicalizeDivisor(ref: unknown, onBad: OnBadQuantity): void {
  if (isRecord(ref) && ref.divisor !== undefined) ref.divisor = canonicalize(ref.divisor, onBad);
}

/** Decodes every quantity of a PodSpec; `onBad` raises the decode error. */
export function canonicalizePodSpecQuantities(spec: unknown, onBad: OnBadQuantity): void {
  if (!isRecord(spec)) return;
  for (const list of ["containers", "initContainers", "ephemeralContainers"]) {
    for (const c of arr(spec[list])) {
      if (!isRecord(c)) continue;
      canonicalizeResources(c.resources, onBad);
      for (const env of arr(c.env)) if (isRecord(env) && isRecord(env.valueFrom)) canonicalizeDivisor(env.valueFrom.resourceFieldRef, onBad);
    }
  }
  canonicalizeResources(spec.resources, onBad);
  canonicalizeResourceList(spec.overhead, onBad);
  for (const v of arr(spec.volumes)) {
    if (!isRecord(v)) continue;
    if (isRecord(v.emptyDir) && v.emptyDir.sizeLimit !== undefined && v.emptyDir.sizeLimit !== null) {
      v.emptyDir.sizeLimit = canonicalize(v.emptyDir.sizeLimit, onBad);
    }
    if (isRecord(v.downwardAPI)) for (const item of arr(v.downwardAPI.items)) if (isRecord(item)) canonicalizeDivisor(item.resourceFieldRef, onBad);
    if (isRecord(v.projected)) {
      for (const src of arr(v.projected.sources)) {
        if (isRecord(src) && isRecord(src.downwardAPI)) for (const item of arr(src.downwardAPI.items)) if (isRecord(item)) canonicalizeDivisor(item.resourceFieldRef, onBad);
      }
    }
    if (isRecord(v.ephemeral) && isRecord(v.ephemeral.volumeClaimTemplate) && isRecord(v.ephemeral.volumeClaimTemplate.spec)) {
      canonicalizeResources(v.ephemeral.volumeClaimTemplate.spec.resources, onBad);
    }
  }
}

/** A thrower for {@link canonicalizePodSpecQuantities} that raises the decode error of `obj`. */
export function quantityDecodeFailure(obj: KObject): OnBadQuantity {
  return (message: string) => {
    throw decodeError(obj, message);
  };
}

function q(raw: unknown): Quantity | null {
  try {
    return raw === null || raw === undefined ? null : quantityFromJSON(raw);
  } catch {
    return null;
  }
}

// =============================================================================================
// Defaulting
// =============================================================================================

function defaultHTTPGet(handler: unknown): void {
  if (!isRecord(handler) || !isRecord(handler.httpGet)) return;
  if (!handler.httpGet.path) handler.httpGet.path = "/";
  if (!handler.httpGet.scheme) handler.httpGet.scheme = "HTTP";
}

function defaultProbe(probe: unknown): void {
  if (!isRecord(probe)) return;
  if (!probe.timeoutSeconds) probe.timeoutSeconds = 1;
  if (!probe.periodSeconds) probe.periodSeconds = 10;
  if (!probe.successThreshold) probe.successThreshold = 1;
  if (!probe.failureThreshold) probe.failureThreshold = 3;
  defaultHTTPGet(probe);
}

function defaultFieldRef(ref: unknown): void {
  if (isRecord(ref) && !ref.apiVersion) ref.apiVersion = "v1";
}

function defaultResourceFieldRef(ref: unknown): void {
  if (isRecord(ref) && (ref.divisor === undefined || ref.divisor === null)) ref.divisor = "0";
}

/** SetDefaults_Container plus the defaults of everything a container holds. */
export function defaultContainer(c: unknown): void {
  if (!isRecord(c)) return;
  if (!c.imagePullPolicy) c.imagePullPolicy = defaultPullPolicy(c.image);
  if (!c.terminationMessagePath) c.terminationMessagePath = "/dev/termination-log";
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = "File";
  if (!isRecord(c.resources)) c.resources = {};
  for (const p of arr(c.ports)) if (isRecord(p) && !p.protocol) p.protocol = "TCP";
  for (const env of arr(c.env)) {
    if (!isRecord(env) || !isRecord(env.valueFrom)) continue;
    defaultFieldRef(env.valueFrom.fieldRef);
    defaultResourceFieldRef(env.valueFrom.resourceFieldRef);
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  if (isRecord(c.lifecycle)) {
    defaultHTTPGet(c.lifecycle.postStart);
    defaultHTTPGet(c.lifecycle.preStop);
  }
}

const volumeSourceKeys = [
  "emptyDir",
  "hostPath",
  "gitRepo",
  "gcePersistentDisk",
  "awsElasticBlockStore",
  "secret",
  "nfs",
  "iscsi",
  "glusterfs",
  "flocker",
  "persistentVolumeClaim",
  "rbd",
  "cinder",
  "cephfs",
  "quobyte",
  "downwardAPI",
  "fc",
  "flexVolume",
  "configMap",
  "azureFile",
  "vsphereVolume",
  "photonPersistentDisk",
  "portworxVolume",
  "azureDisk",
  "storageos",
  "projected",
  "scaleIO",
  "csi",
  "ephemeral",
  "image",
] as const;

/** SetDefaults_PersistentVolumeClaimSpec. */
export function defaultPersistentVolumeClaimSpec(spec: unknown): void {
  if (isRecord(spec) && !spec.volumeMode) spec.volumeMode = "Filesystem";
}

function defaultDownwardAPIItems(items: unknown): void {
  for (const item of arr(items)) {
    if (!isRecord(item)) continue;
    defaultFieldRef(item.fieldRef);
    defaultResourceFieldRef(item.resourceFieldRef);
  }
}

function defaultVolume(v: unknown): void {
  if (!isRecord(v)) return;
  if (!volumeSourceKeys.some((k) => has(v, k))) v.emptyDir = {};
  if (isRecord(v.secret) && v.secret.defaultMode == null) v.secret.defaultMode = 420;
  if (isRecord(v.configMap) && v.configMap.defaultMode == null) v.configMap.defaultMode = 420;
  if (isRecord(v.downwardAPI)) {
    if (v.downwardAPI.defaultMode == null) v.downwardAPI.defaultMode = 420;
    defaultDownwardAPIItems(v.downwardAPI.items);
  }
  if (isRecord(v.hostPath) && v.hostPath.type == null) v.hostPath.type = "";
  if (isRecord(v.projected)) {
    if (v.projected.defaultMode == null) v.projected.defaultMode = 420;
    for (const src of arr(v.projected.sources)) {
      if (!isRecord(src)) continue;
      if (isRecord(src.serviceAccountToken) && src.serviceAccountToken.expirationSeconds == null) src.serviceAccountToken.expirationSeconds = 3600;
      if (isRecord(src.downwardAPI)) defaultDownwardAPIItems(src.downwardAPI.items);
    }
  }
  if (isRecord(v.ephemeral) && isRecord(v.ephemeral.volumeClaimTemplate)) {
    defaultPersistentVolumeClaimSpec(v.ephemeral.volumeClaimTemplate.spec);
  }
  if (isRecord(v.image) && !v.image.pullPolicy) v.image.pullPolicy = defaultPullPolicy(v.image.reference);
}

/**
 * The v1 defaulters of a PodSpec (SetDefaults_PodSpec and everything nested). With `pod`, also
 * SetDefaults_Pod: requests default to limits, enableServiceLinks, host-network host ports.
 */
export function defaultPodSpec(spec: unknown, options: { pod?: boolean } = {}): void {
  if (!isRecord(spec)) return;
  if (options.pod) {
    for (const list of ["containers", "initContainers"]) {
      for (const c of arr(spec[list])) {
        if (!isRecord(c) || !isRecord(c.resources) || !isRecord(c.resources.limits)) continue;
        if (!isRecord(c.resources.requests)) c.resources.requests = {};
        for (const [k, v] of Object.entries(c.resources.limits)) if (!(k in c.resources.requests)) c.resources.requests[k] = v;
      }
    }
    if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
    if (spec.hostNetwork === true) {
      for (const list of ["containers", "initContainers"]) {
        for (const c of arr(spec[list])) {
          for (const p of arr(isRecord(c) ? c.ports : undefined)) if (isRecord(p) && !p.hostPort) p.hostPort = p.containerPort;
        }
      }
    }
  }
  // v1's deprecated serviceAccount mirrors serviceAccountName (both ways, as the conversions do).
  if (!str(spec.serviceAccountName) && str(spec.serviceAccount)) spec.serviceAccountName = spec.serviceAccount;
  if (str(spec.serviceAccountName)) spec.serviceAccount = spec.serviceAccountName;
  else delete spec.serviceAccount;
  if (!spec.dnsPolicy) spec.dnsPolicy = "ClusterFirst";
  if (!spec.restartPolicy) spec.restartPolicy = "Always";
  if (spec.securityContext === undefined || spec.securityContext === null) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) spec.terminationGracePeriodSeconds = 30;
  if (!spec.schedulerName) spec.schedulerName = "default-scheduler";
  for (const v of arr(spec.volumes)) defaultVolume(v);
  for (const c of arr(spec.initContainers)) defaultContainer(c);
  for (const c of arr(spec.containers)) defaultContainer(c);
  for (const c of arr(spec.ephemeralContainers)) defaultContainer(c);
}

/** Defaults the PodSpec inside a template (workload kinds). */
export function defaultPodTemplateSpec(template: unknown): void {
  if (!isRecord(template)) return;
  if (!isRecord(template.spec)) template.spec = {};
  defaultPodSpec(template.spec);
}

// =============================================================================================
// Validation
// =============================================================================================

export interface PodSpecValidationOptions {
  /** The spec belongs to a Pod (not a template): host ports must match container ports on the host network. */
  resourceIsPod?: boolean;
  /** The pod's name, for generic ephemeral volumes' claim names. */
  podName?: string;
}

const fileModeErrorMsg = "must be a number between 0 and 0777 (octal), both inclusive";

function validateFileMode(mode: unknown, path: string): FieldError[] {
  return typeof mode === "number" && (mode > 0o777 || mode < 0) ? [field.invalid(path, mode, fileModeErrorMsg)] : [];
}

function validatePathNoBacksteps(target: string, path: string): FieldError[] {
  return target.split("/").includes("..") ? [field.invalid(path, target, "must not contain '..'")] : [];
}

function validateLocalDescendingPath(target: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith("/")) errs.push(field.invalid(path, target, "must be a relative path"));
  errs.push(...validatePathNoBacksteps(target, path));
  return errs;
}

function validateLocalNonReservedPath(target: string, path: string): FieldError[] {
  const errs = validateLocalDescendingPath(target, path);
  if (target.startsWith("..") && !target.startsWith("../")) errs.push(field.invalid(path, target, "must not start with '..'"));
  return errs;
}

function validateKeyToPath(kp: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(kp.key)) errs.push(field.required(`${path}.key`, ""));
  if (!str(kp.path)) errs.push(field.required(`${path}.path`, ""));
  errs.push(...validateLocalNonReservedPath(str(kp.path), `${path}.path`));
  errs.push(...validateFileMode(kp.mode, `${path}.mode`));
  return errs;
}

const hostPathTypes = ["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"];

const validVolumeDownwardAPIFieldPaths = ["metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"];
const validEnvDownwardAPIFieldPaths = [
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.serviceAccountName",
  "status.hostIP",
  "status.hostIPs",
  "status.podIP",
  "status.podIPs",
];
const convertibleFieldLabels = new Set([
  "metadata.annotations",
  "metadata.labels",
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.restartPolicy",
  "spec.serviceAccountName",
  "spec.schedulerName",
  "status.phase",
  "status.hostIP",
  "status.hostIPs",
  "status.podIP",
  "status.podIPs",
]);
const validContainerResourceFieldPaths = ["limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"];

/** `metadata.labels['key']` → ["metadata.labels", "key"]. */
function splitSubscript(p: string): [string, string] | null {
  const m = /^(.*)\['(.*)'\]$/.exec(p);
  return m ? [m[1]!, m[2]!] : null;
}

function validateObjectFieldSelector(fs: Obj, expressions: string[], path: string): FieldError[] {
  if (!str(fs.apiVersion)) return [field.required(`${path}.apiVersion`, "")];
  const fieldPath = str(fs.fieldPath);
  if (!fieldPath) return [field.required(`${path}.fieldPath`, "")];
  if (fs.apiVersion !== "v1") {
    return [field.invalid(`${path}.fieldPath`, fieldPath, `error converting fieldPath: unsupported pod version: ${fs.apiVersion}`)];
  }
  const sub = splitSubscript(fieldPath);
  let internal = fieldPath;
  if (sub) {
    if (sub[0] !== "metadata.annotations" && sub[0] !== "metadata.labels") {
      return [field.invalid(`${path}.fieldPath`, fieldPath, `error converting fieldPath: field label does not support subscript: ${fieldPath}`)];
    }
  } else if (fieldPath === "spec.host") {
    internal = "spec.nodeName";
  } else if (!convertibleFieldLabels.has(fieldPath)) {
    return [field.invalid(`${path}.fieldPath`, fieldPath, `error converting fieldPath: field label not supported: ${fieldPath}`)];
  }
  if (sub) {
    if (sub[0] === "metadata.annotations") return qualifiedNameErrors(sub[1].toLowerCase(), path);
    return qualifiedNameErrors(sub[1], path);
  }
  if (!expressions.includes(internal)) return [field.notSupported(`${path}.fieldPath`, internal, [...expressions].sort())];
  return [];
}

const cpuDivisors = new Set(["1m", "1"]);
const byteDivisors = new Set(["1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"]);

function validateContainerResourceFieldSelector(fs: Obj, path: string, volume: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const resource = str(fs.resource);
  if (volume && !str(fs.containerName)) errs.push(field.required(`${path}.containerName`, ""));
  else if (!resource) errs.push(field.required(`${path}.resource`, ""));
  else if (!validContainerResourceFieldPaths.includes(resource) && !/^(requests|limits)\.hugepages-/.test(resource)) {
    errs.push(field.notSupported(`${path}.resource`, resource, validContainerResourceFieldPaths));
  }
  const divisor = q(fs.divisor);
  if (divisor && divisor.mantissa !== 0n) {
    const d = canonicalQuantity(divisor);
    if ((resource === "limits.cpu" || resource === "requests.cpu") && !cpuDivisors.has(d)) {
      errs.push(field.invalid(`${path}.divisor`, resource, "only divisor's values 1m and 1 are supported with the cpu resource"));
    } else if ((resource === "limits.memory" || resource === "requests.memory") && !byteDivisors.has(d)) {
      errs.push(field.invalid(`${path}.divisor`, resource, `only divisor's values ${[...byteDivisors].join(", ")} are supported with the memory resource`));
    } else if ((resource === "limits.ephemeral-storage" || resource === "requests.ephemeral-storage") && !byteDivisors.has(d)) {
      errs.push(
        field.invalid(`${path}.divisor`, resource, `only divisor's values ${[...byteDivisors].join(", ")} are supported with the local ephemeral storage resource`),
      );
    }
  }
  return errs;
}

function validateDownwardAPIVolumeFile(file: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(file.path)) errs.push(field.required(`${path}.path`, ""));
  errs.push(...validateLocalNonReservedPath(str(file.path), `${path}.path`));
  if (isRecord(file.fieldRef)) {
    errs.push(...validateObjectFieldSelector(file.fieldRef, validVolumeDownwardAPIFieldPaths, `${path}.fieldRef`));
    if (isRecord(file.resourceFieldRef)) errs.push(field.invalid(path, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"));
  } else if (isRecord(file.resourceFieldRef)) {
    errs.push(...validateContainerResourceFieldSelector(file.resourceFieldRef, `${path}.resourceFieldRef`, true));
  } else {
    errs.push(field.required(path, "one of fieldRef and resourceFieldRef is required"));
  }
  errs.push(...validateFileMode(file.mode, `${path}.mode`));
  return errs;
}

function validateProjectedSources(projected: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const allPaths = new Set<string>();
  const trackPaths = (items: unknown, name: string) => {
    for (const kp of arr(items)) {
      const p = isRecord(kp) ? str(kp.path) : "";
      if (!p) continue;
      if (allPaths.has(p)) errs.push(field.invalid(path, name, "conflicting duplicate paths"));
      else allPaths.add(p);
    }
  };
  arr(projected.sources).forEach((source: unknown, i) => {
    const src = isRecord(source) ? source : {};
    const srcPath = `${path}.sources[${i}]`;
    let numSources = 0;
    for (const kind of ["secret", "configMap"] as const) {
      if (!isRecord(src[kind])) continue;
      numSources++;
      const s = src[kind] as Obj;
      if (!str(s.name)) errs.push(field.required(`${srcPath}.${kind}.name`, ""));
      arr(s.items).forEach((kp, j) => errs.push(...validateKeyToPath(isRecord(kp) ? kp : {}, `${srcPath}.${kind}.items[${j}]`)));
      trackPaths(s.items, str(s.name));
    }
    if (isRecord(src.downwardAPI)) {
      numSources++;
      arr(src.downwardAPI.items).forEach((file, j) => {
        errs.push(...validateDownwardAPIVolumeFile(isRecord(file) ? file : {}, `${srcPath}.downwardAPI.items[${j}]`));
      });
      trackPaths(src.downwardAPI.items, "");
    }
    if (isRecord(src.serviceAccountToken)) {
      numSources++;
      const sat = src.serviceAccountToken;
      const exp = sat.expirationSeconds;
      if (typeof exp === "number" && exp < 600) errs.push(field.invalid(`${srcPath}.serviceAccountToken.expirationSeconds`, exp, "may not specify a duration less than 10 minutes"));
      if (typeof exp === "number" && exp > 2 ** 32) errs.push(field.invalid(`${srcPath}.serviceAccountToken.expirationSeconds`, exp, "may not specify a duration larger than 2^32 seconds"));
      if (!str(sat.path)) errs.push(field.required(`${srcPath}.serviceAccountToken.path`, ""));
      else errs.push(...validateLocalNonReservedPath(str(sat.path), `${srcPath}.serviceAccountToken.path`));
      trackPaths([sat], "");
    }
    if (isRecord(src.clusterTrustBundle)) numSources++;
    if (isRecord(src.podCertificate)) numSources++;
    if (numSources > 1) errs.push(field.forbidden(srcPath, "may not specify more than 1 volume type per source"));
  });
  return errs;
}

/** One volume's source (exactly one of the source fields, then that source's own rules). */
function validateVolumeSource(v: Obj, path: string, podName: string | undefined): FieldError[] {
  const errs: FieldError[] = [];
  let numVolumes = 0;
  // Upstream's paths for a second source use internal names in two places (cephFS, downwarAPI).
  const forbiddenName: Record<string, string> = { cephfs: "cephFS", downwardAPI: "downwarAPI" };
  for (const key of volumeSourceKeys) {
    if (!has(v, key)) continue;
    if (numVolumes > 0) {
      errs.push(field.forbidden(`${path}.${forbiddenName[key] ?? key}`, "may not specify more than 1 volume type"));
      continue;
    }
    numVolumes++;
    const src: Obj = isRecord(v[key]) ? v[key] : {};
    const p = `${path}.${key}`;
    switch (key) {
      case "emptyDir": {
        const limit = q(src.sizeLimit);
        if (limit && limit.mantissa < 0n) errs.push(field.forbidden(`${p}.sizeLimit`, "SizeLimit field must be a valid resource quantity"));
        break;
      }
      case "hostPath":
        if (!str(src.path)) {
          errs.push(field.required(`${p}.path`, ""));
          break;
        }
        errs.push(...validatePathNoBacksteps(str(src.path), `${p}.path`));
        if (typeof src.type === "string" && !hostPathTypes.includes(src.type)) errs.push(field.notSupported(`${p}.type`, src.type, hostPathTypes));
        break;
      case "secret":
        if (!str(src.secretName)) errs.push(field.required(`${p}.secretName`, ""));
        errs.push(...validateFileMode(src.defaultMode, `${p}.defaultMode`));
        arr(src.items).forEach((kp, i) => errs.push(...validateKeyToPath(isRecord(kp) ? kp : {}, `${p}.items[${i}]`)));
        break;
      case "configMap":
        if (!str(src.name)) errs.push(field.required(`${p}.name`, ""));
        errs.push(...validateFileMode(src.defaultMode, `${p}.defaultMode`));
        arr(src.items).forEach((kp, i) => errs.push(...validateKeyToPath(isRecord(kp) ? kp : {}, `${p}.items[${i}]`)));
        break;
      case "persistentVolumeClaim":
        if (!str(src.claimName)) errs.push(field.required(`${p}.claimName`, ""));
        break;
      case "nfs":
        if (!str(src.server)) errs.push(field.required(`${p}.server`, ""));
        if (!str(src.path)) errs.push(field.required(`${p}.path`, ""));
        if (!str(src.path).startsWith("/")) errs.push(field.invalid(`${p}.path`, str(src.path), "must be an absolute path"));
        break;
      case "downwardAPI":
        errs.push(...validateFileMode(src.defaultMode, `${p}.defaultMode`));
        for (const file of arr(src.items)) errs.push(...validateDownwardAPIVolumeFile(isRecord(file) ? file : {}, p));
        break;
      case "projected":
        errs.push(...validateProjectedSources(src, p));
        break;
      case "csi":
        if (!str(src.driver)) errs.push(field.required(`${p}.driver`, ""));
        break;
      case "gitRepo":
        if (!str(src.repository)) errs.push(field.required(`${p}.repository`, ""));
        errs.push(...validateLocalDescendingPath(str(src.directory), `${p}.directory`));
        break;
      case "ephemeral":
        if (!isRecord(src.volumeClaimTemplate)) errs.push(field.required(`${p}.volumeClaimTemplate`, ""));
        else if (podName && str(v.name)) {
          const claim = `${podName}-${str(v.name)}`;
          for (const msg of isDNS1123Subdomain(claim)) errs.push(field.invalid(`${path}.name`, str(v.name), `PVC name ${goQuote(claim)}: ${msg}`));
        }
        break;
      case "image":
        if (!str(src.reference)) errs.push(field.required(`${p}.reference`, ""));
        if (typeof src.pullPolicy === "string" && !["Always", "IfNotPresent", "Never"].includes(src.pullPolicy)) {
          errs.push(field.notSupported(`${p}.pullPolicy`, src.pullPolicy, ["Always", "IfNotPresent", "Never"]));
        }
        break;
      default:
        break;
    }
  }
  if (numVolumes === 0) errs.push(field.required(path, "must specify a volume type"));
  return errs;
}

/** ValidateVolumes: returns the valid volumes by name (for mounts) and the errors. */
function validateVolumes(volumes: unknown, path: string, podName: string | undefined): { names: Map<string, Obj>; errs: FieldError[] } {
  const names = new Map<string, Obj>();
  const errs: FieldError[] = [];
  arr(volumes).forEach((raw, i) => {
    const v: Obj = isRecord(raw) ? raw : {};
    const idx = `${path}[${i}]`;
    const el = validateVolumeSource(v, idx, podName);
    const name = str(v.name);
    if (!name) el.push(field.required(`${idx}.name`, ""));
    else el.push(...dns1123LabelErrors(name, `${idx}.name`));
    if (names.has(name)) el.push(field.duplicate(`${idx}.name`, name));
    if (el.length === 0) names.set(name, v);
    else errs.push(...el);
  });
  return { names, errs };
}

function validateContainerPorts(ports: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  arr(ports).forEach((raw, i) => {
    const port: Obj = isRecord(raw) ? raw : {};
    const idx = `${path}[${i}]`;
    const name = str(port.name);
    if (name) {
      const msgs = isValidPortName(name);
      if (msgs.length) for (const m of msgs) errs.push(field.invalid(`${idx}.name`, name, m));
      else if (names.has(name)) errs.push(field.duplicate(`${idx}.name`, name));
      else names.add(name);
    }
    if (!port.containerPort) errs.push(field.required(`${idx}.containerPort`, ""));
    else for (const m of isValidPortNum(port.containerPort)) errs.push(field.invalid(`${idx}.containerPort`, port.containerPort, m));
    if (port.hostPort) for (const m of isValidPortNum(port.hostPort)) errs.push(field.invalid(`${idx}.hostPort`, port.hostPort, m));
    const protocol = str(port.protocol);
    if (!protocol) errs.push(field.required(`${idx}.protocol`, ""));
    else if (!["SCTP", "TCP", "UDP"].includes(protocol)) errs.push(field.notSupported(`${idx}.protocol`, protocol, ["SCTP", "TCP", "UDP"]));
  });
  return errs;
}

function validateKeySelector(s: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(s.name);
  for (const msg of nameIsDNSSubdomain(name, false)) errs.push(field.invalid(`${path}.name`, name, msg));
  const key = str(s.key);
  if (!key) errs.push(field.required(`${path}.key`, ""));
  else for (const msg of isConfigMapKey(key)) errs.push(field.invalid(`${path}.key`, key, msg));
  return errs;
}

function validateEnv(env: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(env).forEach((raw, i) => {
    const ev: Obj = isRecord(raw) ? raw : {};
    const idx = `${path}[${i}]`;
    const name = str(ev.name);
    if (!name) errs.push(field.required(`${idx}.name`, ""));
    else for (const msg of isRelaxedEnvVarName(name)) errs.push(field.invalid(`${idx}.name`, name, msg));
    if (!isRecord(ev.valueFrom)) return;
    const vf = ev.valueFrom;
    const vp = `${idx}.valueFrom`;
    let numSources = 0;
    if (isRecord(vf.fieldRef)) {
      numSources++;
      errs.push(...validateObjectFieldSelector(vf.fieldRef, validEnvDownwardAPIFieldPaths, `${vp}.fieldRef`));
    }
    if (isRecord(vf.resourceFieldRef)) {
      numSources++;
      errs.push(...validateContainerResourceFieldSelector(vf.resourceFieldRef, `${vp}.resourceFieldRef`, false));
    }
    if (isRecord(vf.configMapKeyRef)) {
      numSources++;
      errs.push(...validateKeySelector(vf.configMapKeyRef, `${vp}.configMapKeyRef`));
    }
    if (isRecord(vf.secretKeyRef)) {
      numSources++;
      errs.push(...validateKeySelector(vf.secretKeyRef, `${vp}.secretKeyRef`));
    }
    if (isRecord(vf.fileKeyRef)) numSources++;
    if (numSources === 0) errs.push(field.invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
    else if (str(ev.value)) errs.push(field.invalid(vp, "", "may not be specified when `value` is not empty"));
    else if (numSources > 1) errs.push(field.invalid(vp, "", "may not have more than one field specified at a time"));
  });
  return errs;
}

function validateEnvFrom(envFrom: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(envFrom).forEach((raw, i) => {
    const ev: Obj = isRecord(raw) ? raw : {};
    const idx = `${path}[${i}]`;
    const prefix = str(ev.prefix);
    if (prefix) for (const msg of isRelaxedEnvVarName(prefix)) errs.push(field.invalid(`${idx}.prefix`, prefix, msg));
    let numSources = 0;
    for (const kind of ["configMapRef", "secretRef"] as const) {
      if (!isRecord(ev[kind])) continue;
      numSources++;
      const name = str(ev[kind].name);
      if (!name) errs.push(field.required(`${idx}.${kind}.name`, ""));
      else for (const msg of nameIsDNSSubdomain(name, true)) errs.push(field.invalid(`${idx}.${kind}.name`, name, msg));
    }
    if (numSources === 0) errs.push(field.invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"));
    else if (numSources > 1) errs.push(field.invalid(path, "", "may not have more than one field specified at a time"));
  });
  return errs;
}

function validateVolumeMounts(mounts: unknown, devices: unknown, volumes: Map<string, Obj>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  const deviceByName = new Map<string, string>();
  for (const d of arr(devices)) if (isRecord(d)) deviceByName.set(str(d.name), str(d.devicePath));
  const devicePaths = new Set(deviceByName.values());
  arr(mounts).forEach((raw, i) => {
    const m: Obj = isRecord(raw) ? raw : {};
    const idx = `${path}[${i}]`;
    const name = str(m.name);
    const mountPath = str(m.mountPath);
    if (!name) errs.push(field.required(`${idx}.name`, ""));
    if (!volumes.has(name)) errs.push(notFound(`${idx}.name`, name));
    if (!mountPath) errs.push(field.required(`${idx}.mountPath`, ""));
    if (mountPoints.has(mountPath)) errs.push(field.invalid(`${idx}.mountPath`, mountPath, "must be unique"));
    mountPoints.add(mountPath);
    if (deviceByName.has(name)) errs.push(field.invalid(`${idx}.name`, name, "must not already exist in volumeDevices"));
    if (devicePaths.has(mountPath)) errs.push(field.invalid(`${idx}.mountPath`, mountPath, "must not already exist as a path in volumeDevices"));
    const vol = volumes.get(name);
    if (vol && has(vol, "image")) {
      if (str(m.subPath)) errs.push(field.invalid(`${idx}.subPath`, str(m.subPath), "not allowed in image volume sources"));
      if (str(m.subPathExpr)) errs.push(field.invalid(`${idx}.subPathExpr`, str(m.subPathExpr), "not allowed in image volume sources"));
    }
    // Upstream reports these two on the list's path, not the item's.
    if (str(m.subPath)) errs.push(...validateLocalDescendingPath(str(m.subPath), `${path}.subPath`));
    if (str(m.subPathExpr)) {
      if (str(m.subPath)) errs.push(field.invalid(`${idx}.subPathExpr`, str(m.subPathExpr), "subPathExpr and subPath are mutually exclusive"));
      errs.push(...validateLocalDescendingPath(str(m.subPathExpr), `${path}.subPathExpr`));
    }
    if (m.mountPropagation !== undefined && m.mountPropagation !== null) {
      const supported = ["Bidirectional", "HostToContainer", "None"];
      if (!supported.includes(str(m.mountPropagation))) errs.push(field.notSupported(`${path}.mountPropagation`, m.mountPropagation, supported));
    }
  });
  return errs;
}

function validateVolumeDevices(devices: unknown, mounts: unknown, volumes: Map<string, Obj>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const mountByName = new Map<string, string>();
  for (const m of arr(mounts)) if (isRecord(m)) mountByName.set(str(m.name), str(m.mountPath));
  const mountPaths = new Set(mountByName.values());
  const seenPaths = new Set<string>();
  const seenNames = new Set<string>();
  arr(devices).forEach((raw, i) => {
    const d: Obj = isRecord(raw) ? raw : {};
    const idx = `${path}[${i}]`;
    const name = str(d.name);
    const devicePath = str(d.devicePath);
    const vol = volumes.get(name);
    const isPVC = vol !== undefined && (has(vol, "persistentVolumeClaim") || has(vol, "ephemeral"));
    if (!name) errs.push(field.required(`${idx}.name`, ""));
    if (seenNames.has(name)) errs.push(field.invalid(`${idx}.name`, name, "must be unique"));
    if (vol && !isPVC) errs.push(field.invalid(`${idx}.name`, name, "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode"));
    if (!vol) errs.push(notFound(`${idx}.name`, name));
    if (!devicePath) errs.push(field.required(`${idx}.devicePath`, ""));
    if (seenPaths.has(devicePath)) errs.push(field.invalid(`${idx}.devicePath`, devicePath, "must be unique"));
    if (devicePath && devicePath.split("/").includes("..")) errs.push(field.invalid(`${idx}.devicePath`, devicePath, "can not contain backsteps ('..')"));
    else seenPaths.add(devicePath);
    if (mountByName.has(name)) errs.push(field.invalid(`${idx}.name`, name, "must not already exist in volumeMounts"));
    if (mountPaths.has(devicePath)) errs.push(field.invalid(`${idx}.devicePath`, devicePath, "must not already exist as a path in volumeMounts"));
    if (name) seenNames.add(name);
  });
  return errs;
}

// ---- resources -------------------------------------------------------------------------------

const standardContainerResources = new Set(["cpu", "memory", "ephemeral-storage"]);
const standardResources = new Set([
  "cpu",
  "memory",
  "ephemeral-storage",
  "storage",
  "requests.cpu",
  "requests.memory",
  "requests.ephemeral-storage",
  "requests.storage",
  "limits.cpu",
  "limits.memory",
  "limits.ephemeral-storage",
  "pods",
  "services",
  "replicationcontrollers",
  "resourcequotas",
  "secrets",
  "configmaps",
  "persistentvolumeclaims",
  "services.nodeports",
  "services.loadbalancers",
]);
const isHugePages = (name: string) => name.startsWith("hugepages-");
const isNativeResource = (name: string) => !name.includes("/") || name.includes("kubernetes.io/");
const isOvercommitAllowed = (name: string) => isNativeResource(name) && !isHugePages(name);
function isExtendedResourceName(name: string): boolean {
  if (isNativeResource(name) || name.startsWith("requests.")) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}

function validateContainerResourceName(name: string, path: string): FieldError[] {
  const errs = qualifiedNameErrors(name, path);
  if (errs.length) return errs;
  const single = !name.includes("/");
  if (single && !standardResources.has(name) && !isHugePages(name) && !/^(requests|limits)\.hugepages-/.test(name)) {
    errs.push(field.invalid(path, name, "must be a standard resource type or fully qualified"));
  }
  if (single) {
    if (!standardContainerResources.has(name) && !isHugePages(name)) errs.push(field.invalid(path, name, "must be a standard resource for containers"));
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errs.push(field.invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

function validateResourceQuantityValue(name: string, value: Quantity, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (value.mantissa < 0n) errs.push(field.invalid(path, formatQuantity(value), NON_NEGATIVE_MSG));
  if (isExtendedResourceName(name) && milliValue(value) % 1000n !== 0n) {
    errs.push(withRenderedValue(field.invalid(path, formatQuantity(value), "must be an integer"), goQuantity(value)));
  }
  return errs;
}

/** validateResourceRequirements for a container (or, with `pod`, pod-level resources). */
export function validateResourceRequirements(resources: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isRecord(resources)) return errs;
  const limits: Obj = isRecord(resources.limits) ? resources.limits : {};
  const requests: Obj = isRecord(resources.requests) ? resources.requests : {};
  let limCpuMem = false;
  let reqCpuMem = false;
  let hugePages = false;
  for (const [name, raw] of Object.entries(limits)) {
    const p = `${path}.limits[${name}]`;
    errs.push(...validateContainerResourceName(name, p));
    const value = q(raw);
    if (value) errs.push(...validateResourceQuantityValue(name, value, p));
    if (isHugePages(name)) hugePages = true;
    if (name === "cpu" || name === "memory") limCpuMem = true;
  }
  for (const [name, raw] of Object.entries(requests)) {
    const p = `${path}.requests[${name}]`;
    errs.push(...validateContainerResourceName(name, p));
    const value = q(raw);
    if (value) errs.push(...validateResourceQuantityValue(name, value, p));
    const limit = name in limits ? q(limits[name]) : null;
    if (value && limit) {
      const cmp = compareQuantities(value, limit);
      if (cmp !== 0 && !isOvercommitAllowed(name)) {
        errs.push(field.invalid(`${path}.requests`, formatQuantity(value), `must be equal to ${name} limit of ${formatQuantity(limit)}`));
      } else if (cmp > 0) {
        errs.push(field.invalid(`${path}.requests`, formatQuantity(value), `must be less than or equal to ${name} limit of ${formatQuantity(limit)}`));
      }
    } else if (!(name in limits) && !isOvercommitAllowed(name)) {
      errs.push(field.required(`${path}.limits`, "Limit must be set for non overcommitable resources"));
    }
    if (isHugePages(name)) hugePages = true;
    if (name === "cpu" || name === "memory") reqCpuMem = true;
  }
  if (!limCpuMem && !reqCpuMem && hugePages) errs.push(field.forbidden(path, "HugePages require cpu or memory"));
  const claimNames = new Set<string>();
  arr(resources.claims).forEach((c, i) => {
    const name = isRecord(c) ? str(c.name) : "";
    if (!name) errs.push(field.required(`${path}.claims[${i}]`, ""));
    else if (claimNames.has(name)) errs.push(field.duplicate(`${path}.claims[${i}]`, name));
    claimNames.add(name);
  });
  return errs;
}

// ---- probes and lifecycle ---------------------------------------------------------------------

function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === "number") return isValidPortNum(port).map((m) => field.invalid(path, port, m));
  if (typeof port === "string") return isValidPortName(port).map((m) => field.invalid(path, port, m));
  return isValidPortNum(0).map((m) => field.invalid(path, 0, m));
}

function validateHandler(handler: Obj, gracePeriod: unknown, path: string, allowSleep: boolean): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  const kinds = ["exec", "httpGet", "tcpSocket", ...(allowSleep ? [] : ["grpc"]), ...(allowSleep ? ["sleep"] : [])];
  for (const kind of kinds) {
    if (!isRecord(handler[kind])) continue;
    if (n > 0) {
      errs.push(field.forbidden(`${path}.${kind}`, "may not specify more than 1 handler type"));
      continue;
    }
    n++;
    const h = handler[kind] as Obj;
    const p = `${path}.${kind}`;
    switch (kind) {
      case "exec":
        if (arr(h.command).length === 0) errs.push(field.required(`${p}.command`, ""));
        break;
      case "httpGet":
        if (!str(h.path)) errs.push(field.required(`${p}.path`, ""));
        errs.push(...validatePortNumOrName(h.port, `${p}.port`));
        if (!["HTTP", "HTTPS"].includes(str(h.scheme))) errs.push(field.notSupported(`${p}.scheme`, str(h.scheme), ["HTTP", "HTTPS"]));
        for (const header of arr(h.httpHeaders)) {
          const name = isRecord(header) ? str(header.name) : "";
          for (const msg of isHTTPHeaderName(name)) errs.push(field.invalid(`${p}.httpHeaders`, name, msg));
        }
        break;
      case "tcpSocket":
        errs.push(...validatePortNumOrName(h.port, `${p}.port`));
        break;
      case "grpc":
        errs.push(...validatePortNumOrName(typeof h.port === "number" ? h.port : 0, `${p}.port`));
        break;
      case "sleep": {
        const seconds = typeof h.seconds === "number" ? h.seconds : 0;
        if (typeof gracePeriod === "number" && (seconds < 0 || seconds > gracePeriod)) {
          errs.push(field.invalid(p, seconds, `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`));
        }
        break;
      }
    }
  }
  if (n === 0) errs.push(field.required(path, "must specify a handler type"));
  return errs;
}

function validateProbe(probe: unknown, gracePeriod: unknown, path: string, kind: "liveness" | "readiness" | "startup"): FieldError[] {
  if (!isRecord(probe)) return [];
  const errs = validateHandler(probe, gracePeriod, path, false);
  for (const f of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"]) {
    errs.push(...validateNonnegative(probe[f], `${path}.${f}`));
  }
  const tgps = probe.terminationGracePeriodSeconds;
  if (typeof tgps === "number" && tgps <= 0) errs.push(field.invalid(`${path}.terminationGracePeriodSeconds`, tgps, "must be greater than 0"));
  if (kind !== "readiness" && (probe.successThreshold ?? 0) !== 1) {
    errs.push(field.invalid(`${path}.successThreshold`, probe.successThreshold ?? 0, "must be 1"));
  }
  if (kind === "readiness" && tgps !== undefined && tgps !== null) {
    errs.push(field.invalid(`${path}.terminationGracePeriodSeconds`, tgps, "must not be set for readinessProbes"));
  }
  return errs;
}

function validateLifecycle(lifecycle: Obj, gracePeriod: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isRecord(lifecycle.postStart)) errs.push(...validateHandler(lifecycle.postStart, gracePeriod, `${path}.postStart`, true));
  if (isRecord(lifecycle.preStop)) errs.push(...validateHandler(lifecycle.preStop, gracePeriod, `${path}.preStop`, true));
  return errs;
}

function validateIDs(sc: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const id = (v: unknown, p: string) => {
    if (typeof v === "number" && (v < 0 || v > 2147483647)) errs.push(field.invalid(p, v, inclusiveRangeError(0, 2147483647)));
  };
  id(sc.runAsUser, `${path}.runAsUser`);
  id(sc.runAsGroup, `${path}.runAsGroup`);
  if ("fsGroup" in sc) id(sc.fsGroup, `${path}.fsGroup`);
  arr(sc.supplementalGroups).forEach((g, i) => id(g, `${path}.supplementalGroups[${i}]`));
  return errs;
}

function validateContainerSecurityContext(sc: unknown, path: string): FieldError[] {
  if (!isRecord(sc)) return [];
  const errs = validateIDs(sc, path);
  if (sc.privileged === true && sc.allowPrivilegeEscalation === false) {
    errs.push(field.invalid(path, sc, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"));
  }
  if (sc.procMount !== undefined && sc.procMount !== null && !["Default", "Unmasked"].includes(str(sc.procMount))) {
    errs.push(field.notSupported(`${path}.procMount`, sc.procMount, ["Default", "Unmasked"]));
  }
  return errs;
}

const pullPolicies = ["Always", "IfNotPresent", "Never"];

/** validateContainerCommon: what regular, init and ephemeral containers share. */
function validateContainerCommon(c: Obj, volumes: Map<string, Obj>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c.name);
  if (!name) errs.push(field.required(`${path}.name`, ""));
  else errs.push(...dns1123LabelErrors(name, `${path}.name`));
  if (!str(c.image)) errs.push(field.required(`${path}.image`, ""));
  const tmp = str(c.terminationMessagePolicy);
  if (!tmp) errs.push(field.required(`${path}.terminationMessagePolicy`, ""));
  else if (tmp !== "File" && tmp !== "FallbackToLogsOnError") errs.push(field.notSupported(`${path}.terminationMessagePolicy`, tmp, ["File", "FallbackToLogsOnError"]));
  errs.push(...validateContainerPorts(c.ports, `${path}.ports`));
  errs.push(...validateEnv(c.env, `${path}.env`));
  errs.push(...validateEnvFrom(c.envFrom, `${path}.envFrom`));
  errs.push(...validateVolumeMounts(c.volumeMounts, c.volumeDevices, volumes, `${path}.volumeMounts`));
  errs.push(...validateVolumeDevices(c.volumeDevices, c.volumeMounts, volumes, `${path}.volumeDevices`));
  const pull = str(c.imagePullPolicy);
  if (!pull) errs.push(field.required(`${path}.imagePullPolicy`, ""));
  else if (!pullPolicies.includes(pull)) errs.push(field.notSupported(`${path}.imagePullPolicy`, pull, pullPolicies));
  errs.push(...validateResourceRequirements(c.resources, `${path}.resources`));
  errs.push(...validateContainerSecurityContext(c.securityContext, `${path}.securityContext`));
  return errs;
}

function hostPortConflicts(containers: Obj[], path: string, seen = new Set<string>()): FieldError[] {
  const errs: FieldError[] = [];
  containers.forEach((c, ci) => {
    arr(c.ports).forEach((p, pi) => {
      if (!isRecord(p) || !p.hostPort) return;
      const key = `${str(p.protocol)}/${str(p.hostIP)}/${p.hostPort}`;
      if (seen.has(key)) errs.push(field.duplicate(`${path}[${ci}].ports[${pi}].hostPort`, key));
      else seen.add(key);
    });
  });
  return errs;
}

function validateContainers(containers: unknown, volumes: Map<string, Obj>, gracePeriod: unknown, path: string): FieldError[] {
  const list = arr(containers);
  if (list.length === 0) return [field.required(path, "")];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  list.forEach((raw, i) => {
    const c: Obj = isRecord(raw) ? raw : {};
    const p = `${path}[${i}]`;
    errs.push(...validateContainerCommon(c, volumes, p));
    const name = str(c.name);
    if (names.has(name)) errs.push(field.duplicate(`${p}.name`, name));
    else names.add(name);
    if (isRecord(c.lifecycle)) errs.push(...validateLifecycle(c.lifecycle, gracePeriod, `${p}.lifecycle`));
    errs.push(...validateProbe(c.livenessProbe, gracePeriod, `${p}.livenessProbe`, "liveness"));
    errs.push(...validateProbe(c.readinessProbe, gracePeriod, `${p}.readinessProbe`, "readiness"));
    errs.push(...validateProbe(c.startupProbe, gracePeriod, `${p}.startupProbe`, "startup"));
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) errs.push(field.forbidden(`${p}.restartPolicy`, "may not be set for non-init containers"));
  });
  errs.push(...hostPortConflicts(list.map((c) => (isRecord(c) ? c : {})), path));
  return errs;
}

function validateInitContainers(initContainers: unknown, containers: unknown, volumes: Map<string, Obj>, gracePeriod: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>(arr(containers).map((c) => (isRecord(c) ? str(c.name) : "")));
  arr(initContainers).forEach((raw, i) => {
    const c: Obj = isRecord(raw) ? raw : {};
    const p = `${path}[${i}]`;
    errs.push(...validateContainerCommon(c, volumes, p));
    let restartAlways = false;
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
      if (c.restartPolicy !== "Always") errs.push(field.notSupported(`${p}.restartPolicy`, c.restartPolicy, ["Always"]));
      restartAlways = c.restartPolicy === "Always";
    }
    const name = str(c.name);
    if (names.has(name)) errs.push(field.duplicate(`${p}.name`, name));
    else if (name) names.add(name);
    errs.push(...hostPortConflicts([c], path));
    if (restartAlways) {
      if (isRecord(c.lifecycle)) errs.push(...validateLifecycle(c.lifecycle, gracePeriod, `${p}.lifecycle`));
      errs.push(...validateProbe(c.livenessProbe, gracePeriod, `${p}.livenessProbe`, "liveness"));
      errs.push(...validateProbe(c.readinessProbe, gracePeriod, `${p}.readinessProbe`, "readiness"));
      errs.push(...validateProbe(c.startupProbe, gracePeriod, `${p}.startupProbe`, "startup"));
    } else {
      for (const f of ["lifecycle", "livenessProbe", "readinessProbe", "startupProbe"]) {
        if (c[f] !== undefined && c[f] !== null) errs.push(field.forbidden(`${p}.${f}`, "may not be set for init containers without restartPolicy=Always"));
      }
    }
  });
  return errs;
}

// ---- scheduling ------------------------------------------------------------------------------

const taintEffects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/** ValidateTolerations. */
export function validateTolerations(tolerations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(tolerations).forEach((raw, i) => {
    const t: Obj = isRecord(raw) ? raw : {};
    const p = `${path}[${i}]`;
    const key = str(t.key);
    const operator = str(t.operator);
    const effect = str(t.effect);
    const value = str(t.value);
    if (key) errs.push(...validateLabelName(key, `${p}.key`));
    if (!key && operator !== "Exists") {
      errs.push(field.invalid(`${p}.operator`, operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && effect !== "NoExecute") {
      errs.push(field.invalid(`${p}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (operator) {
      case "Equal":
      case "": {
        const msgs = isValidLabelValue(value);
        if (msgs.length) errs.push(field.invalid(`${p}.operator`, value, msgs.join(";")));
        break;
      }
      case "Exists":
        if (value) errs.push(field.invalid(`${p}.operator`, value, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(field.notSupported(`${p}.operator`, operator, ["Equal", "Exists"]));
    }
    if (effect && !taintEffects.includes(effect)) errs.push(field.notSupported(`${p}.effect`, effect, taintEffects));
  });
  return errs;
}

function validateNodeSelectorRequirement(rq: Obj, path: string, checkValues: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const values = arr(rq.values);
  switch (rq.operator) {
    case "In":
    case "NotIn":
      if (values.length === 0) errs.push(field.required(`${path}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case "Exists":
    case "DoesNotExist":
      if (values.length > 0) errs.push(field.forbidden(`${path}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case "Gt":
    case "Lt":
      if (values.length !== 1) errs.push(field.required(`${path}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(field.invalid(`${path}.operator`, str(rq.operator), "not a valid selector operator"));
  }
  errs.push(...validateLabelName(str(rq.key), `${path}.key`));
  if (checkValues) {
    values.forEach((v, j) => {
      for (const msg of isValidLabelValue(str(v))) errs.push(field.invalid(`${path}.values[${j}]`, str(v), msg));
    });
  }
  return errs;
}

function validateNodeSelectorTerm(term: unknown, path: string, checkValues: boolean): FieldError[] {
  const t: Obj = isRecord(term) ? term : {};
  const errs: FieldError[] = [];
  arr(t.matchExpressions).forEach((r, j) => errs.push(...validateNodeSelectorRequirement(isRecord(r) ? r : {}, `${path}.matchExpressions[${j}]`, checkValues)));
  arr(t.matchFields).forEach((raw, j) => {
    const r: Obj = isRecord(raw) ? raw : {};
    const p = `${path}.matchFields[${j}]`;
    if (r.operator === "In" || r.operator === "NotIn") {
      if (arr(r.values).length !== 1) errs.push(field.required(`${p}.values`, "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
    } else {
      errs.push(field.invalid(`${p}.operator`, str(r.operator), "not a valid selector operator"));
    }
    if (r.key !== "metadata.name") errs.push(field.invalid(`${p}.key`, str(r.key), "not a valid field selector key"));
    else arr(r.values).forEach((v, k) => {
      for (const msg of nameIsDNSSubdomain(str(v), false)) errs.push(field.invalid(`${p}.values[${k}]`, str(v), msg));
    });
  });
  return errs;
}

function validatePodAffinityTerm(term: unknown, path: string): FieldError[] {
  const t: Obj = isRecord(term) ? term : {};
  const errs: FieldError[] = [];
  if (isRecord(t.labelSelector)) {
    errs.push(...validateLabelSelectorFields(t.labelSelector, `${path}.labelSelector`));
  }
  for (const ns of arr(t.namespaces)) for (const msg of isDNS1123Label(str(ns))) errs.push(field.invalid(`${path}.namespace`, str(ns), msg));
  const topologyKey = str(t.topologyKey);
  if (!topologyKey) errs.push(field.required(`${path}.topologyKey`, "can not be empty"));
  errs.push(...validateLabelName(topologyKey, `${path}.topologyKey`));
  return errs;
}

function validateAffinity(affinity: unknown, path: string): FieldError[] {
  if (!isRecord(affinity)) return [];
  const errs: FieldError[] = [];
  if (isRecord(affinity.nodeAffinity)) {
    const na = affinity.nodeAffinity;
    const p = `${path}.nodeAffinity`;
    const required = na.requiredDuringSchedulingIgnoredDuringExecution;
    if (isRecord(required)) {
      const terms = arr(required.nodeSelectorTerms);
      const tp = `${p}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
      if (terms.length === 0) errs.push(field.required(tp, "must have at least one node selector term"));
      terms.forEach((t, i) => errs.push(...validateNodeSelectorTerm(t, `${tp}[${i}]`, true)));
    }
    arr(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((raw, i) => {
      const t: Obj = isRecord(raw) ? raw : {};
      const tp = `${p}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      if (typeof t.weight !== "number" || t.weight <= 0 || t.weight > 100) errs.push(field.invalid(`${tp}.weight`, t.weight ?? 0, "must be in the range 1-100"));
      errs.push(...validateNodeSelectorTerm(t.preference, `${tp}.preference`, false));
    });
  }
  for (const kind of ["podAffinity", "podAntiAffinity"] as const) {
    if (!isRecord(affinity[kind])) continue;
    const pa = affinity[kind] as Obj;
    const p = `${path}.${kind}`;
    arr(pa.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      errs.push(...validatePodAffinityTerm(t, `${p}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`));
    });
    arr(pa.preferredDuringSchedulingIgnoredDuringExecution).forEach((raw, i) => {
      const t: Obj = isRecord(raw) ? raw : {};
      const tp = `${p}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      if (typeof t.weight !== "number" || t.weight <= 0 || t.weight > 100) errs.push(field.invalid(`${tp}.weight`, t.weight ?? 0, "must be in the range 1-100"));
      errs.push(...validatePodAffinityTerm(t.podAffinityTerm, `${tp}.podAffinityTerm`));
    });
  }
  return errs;
}

function validateTopologySpreadConstraints(constraints: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = arr(constraints).map((c) => (isRecord(c) ? c : {}));
  list.forEach((c, i) => {
    const p = `${path}[${i}]`;
    if (typeof c.maxSkew !== "number" || c.maxSkew <= 0) errs.push(field.invalid(`${p}.maxSkew`, c.maxSkew ?? 0, "must be greater than zero"));
    const key = str(c.topologyKey);
    if (!key) errs.push(field.required(`${p}.topologyKey`, "can not be empty"));
    else errs.push(...validateLabelName(key, `${p}.topologyKey`));
    const when = str(c.whenUnsatisfiable);
    if (!["DoNotSchedule", "ScheduleAnyway"].includes(when)) errs.push(field.notSupported(`${p}.whenUnsatisfiable`, when, ["DoNotSchedule", "ScheduleAnyway"]));
    if (list.slice(i + 1).some((o) => str(o.topologyKey) === key && str(o.whenUnsatisfiable) === when)) {
      errs.push(field.duplicate(`${p}.{topologyKey, whenUnsatisfiable}`, `{${key}, ${when}}`));
    }
    if (c.minDomains !== undefined && c.minDomains !== null) {
      if (typeof c.minDomains !== "number" || c.minDomains <= 0) errs.push(field.invalid(`${p}.minDomains`, c.minDomains, "must be greater than zero"));
      else if (when !== "DoNotSchedule") {
        errs.push(field.invalid(`${p}.minDomains`, c.minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${when}`));
      }
    }
    if (isRecord(c.labelSelector)) errs.push(...validateLabelSelectorFields(c.labelSelector, `${p}.labelSelector`));
  });
  return errs;
}

function validateDNSConfig(dnsConfig: unknown, dnsPolicy: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (dnsPolicy === "None") {
    if (!isRecord(dnsConfig)) return [field.required(path, "must provide `dnsConfig` when `dnsPolicy` is None")];
    if (arr(dnsConfig.nameservers).length === 0) return [field.required(`${path}.nameservers`, "must provide at least one DNS nameserver when `dnsPolicy` is None")];
  }
  if (!isRecord(dnsConfig)) return errs;
  const nameservers = arr(dnsConfig.nameservers);
  if (nameservers.length > 3) errs.push(field.invalid(`${path}.nameservers`, nameservers, "must not have more than 3 nameservers"));
  nameservers.forEach((ns, i) => errs.push(...validateIP(`${path}.nameservers[${i}]`, str(ns))));
  const searches = arr(dnsConfig.searches);
  if (searches.length > 32) errs.push(field.invalid(`${path}.searches`, searches, "must not have more than 32 search paths"));
  if (searches.join(" ").length > 2048) errs.push(field.invalid(`${path}.searches`, searches, "must not have more than 2048 characters (including spaces) in the search list"));
  searches.forEach((s, i) => {
    let search = str(s);
    if (search === ".") return;
    search = search.replace(/\.$/, "");
    // Relaxed search validation also accepts underscores.
    if (isDNS1123Subdomain(search.replace(/_/g, "a")).length === 0) return;
    errs.push(...dns1123SubdomainErrors(search, `${path}.searches[${i}]`));
  });
  arr(dnsConfig.options).forEach((o, i) => {
    if (!(isRecord(o) && str(o.name))) errs.push(field.required(`${path}.options[${i}]`, "must not be empty"));
  });
  return errs;
}

/** ValidateLabelSelector for selectors embedded in a PodSpec (affinity, spreading), tolerant of mistyped input. */
function validateLabelSelectorFields(sel: Obj, path: string): FieldError[] {
  const selector: LabelSelectorObject = {
    matchLabels: isRecord(sel.matchLabels) ? (sel.matchLabels as Record<string, string>) : undefined,
    matchExpressions: arr(sel.matchExpressions).map((raw) => {
      const e: Obj = isRecord(raw) ? raw : {};
      return { key: str(e.key), operator: str(e.operator), values: arr(e.values).map((v) => str(v)) };
    }),
  };
  return validateLabelSelector(selector, path);
}

// ---- the PodSpec -------------------------------------------------------------------------------

const restartPolicies = ["Always", "OnFailure", "Never"];
const dnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];

/** ValidatePodSpec, with upstream's checks in upstream's order. `path` is where the spec sits (`spec`, `spec.template.spec`). */
export function validatePodSpec(spec: unknown, path: string, options: PodSpecValidationOptions = {}): FieldError[] {
  const s: Obj = isRecord(spec) ? spec : {};
  const errs: FieldError[] = [];
  const gracePeriod = s.terminationGracePeriodSeconds;
  if (gracePeriod === undefined || gracePeriod === null) errs.push(field.required(`${path}.terminationGracePeriodSeconds`, ""));

  const { names: volumes, errs: volumeErrs } = validateVolumes(s.volumes, `${path}.volumes`, options.podName);
  errs.push(...volumeErrs);
  const claimNames = new Set<string>();
  arr(s.resourceClaims).forEach((raw, i) => {
    const c: Obj = isRecord(raw) ? raw : {};
    const p = `${path}.resourceClaims[${i}]`;
    const name = str(c.name);
    if (!name) errs.push(field.required(`${p}.name`, ""));
    else if (claimNames.has(name)) errs.push(field.duplicate(`${p}.name`, name));
    else {
      errs.push(...dns1123LabelErrors(name, `${p}.name`));
      claimNames.add(name);
    }
  });
  errs.push(...validateContainers(s.containers, volumes, gracePeriod, `${path}.containers`));
  errs.push(...validateInitContainers(s.initContainers, s.containers, volumes, gracePeriod, `${path}.initContainers`));
  if (isRecord(s.resources)) errs.push(...validateResourceRequirements(s.resources, `${path}.resources`));

  if (s.hostNetwork === true) {
    arr(s.containers).forEach((c, i) => {
      arr(isRecord(c) ? c.ports : undefined).forEach((p, j) => {
        if (!isRecord(p)) return;
        const hp = p.hostPort ?? 0;
        const cp = p.containerPort ?? 0;
        if ((options.resourceIsPod || hp !== 0) && hp !== cp) {
          errs.push(field.invalid(`${path}.containers[${i}].ports[${j}].hostPort`, hp, "must match `containerPort` when `hostNetwork` is true"));
        }
      });
    });
  }

  const restartPolicy = str(s.restartPolicy);
  if (!restartPolicy) errs.push(field.required(`${path}.restartPolicy`, ""));
  else if (!restartPolicies.includes(restartPolicy)) errs.push(field.notSupported(`${path}.restartPolicy`, restartPolicy, restartPolicies));
  const dnsPolicy = str(s.dnsPolicy);
  if (!dnsPolicy) errs.push(field.required(`${path}.dnsPolicy`, ""));
  else if (!dnsPolicies.includes(dnsPolicy)) errs.push(field.notSupported(`${path}.dnsPolicy`, dnsPolicy, dnsPolicies));
  errs.push(...validateLabels(isRecord(s.nodeSelector) ? s.nodeSelector : undefined, `${path}.nodeSelector`));
  if (isRecord(s.securityContext)) {
    const sc = s.securityContext;
    errs.push(...validateIDs(sc, `${path}.securityContext`));
    if (sc.fsGroupChangePolicy !== undefined && sc.fsGroupChangePolicy !== null && !["OnRootMismatch", "Always"].includes(str(sc.fsGroupChangePolicy))) {
      errs.push(field.notSupported(`${path}.securityContext.fsGroupChangePolicy`, sc.fsGroupChangePolicy, ["Always", "OnRootMismatch"]));
    }
  }
  if (s.shareProcessNamespace === true && s.hostPID === true) {
    errs.push(field.invalid(`${path}.securityContext.shareProcessNamespace`, true, "ShareProcessNamespace and HostPID cannot both be enabled"));
  }
  errs.push(...validateAffinity(s.affinity, `${path}.affinity`));
  errs.push(...validateDNSConfig(s.dnsConfig, dnsPolicy, `${path}.dnsConfig`));
  arr(s.readinessGates).forEach((g, i) => errs.push(...qualifiedNameErrors(isRecord(g) ? str(g.conditionType) : "", `${path}.readinessGates[${i}].conditionType`)));
  const gates = new Set<string>();
  arr(s.schedulingGates).forEach((g, i) => {
    const name = isRecord(g) ? str(g.name) : "";
    errs.push(...qualifiedNameErrors(name, `${path}.schedulingGates[${i}]`));
    if (gates.has(name)) errs.push(field.duplicate(`${path}.schedulingGates[${i}]`, name));
    gates.add(name);
  });
  errs.push(...validateTopologySpreadConstraints(s.topologySpreadConstraints, `${path}.topologySpreadConstraints`));
  if (isRecord(s.securityContext) && s.securityContext.hostUsers === false) {
    if (s.hostNetwork === true) errs.push(field.forbidden(`${path}.hostNetwork`, "when `pod.Spec.HostUsers` is false"));
    if (s.hostPID === true) errs.push(field.forbidden(`${path}.HostPID`, "when `pod.Spec.HostUsers` is false"));
    if (s.hostIPC === true) errs.push(field.forbidden(`${path}.HostIPC`, "when `pod.Spec.HostUsers` is false"));
  }
  const sa = str(s.serviceAccountName);
  if (sa) for (const msg of nameIsDNSSubdomain(sa, false)) errs.push(field.invalid(`${path}.serviceAccountName`, sa, msg));
  const nodeName = str(s.nodeName);
  if (nodeName) for (const msg of nameIsDNSSubdomain(nodeName, false)) errs.push(field.invalid(`${path}.nodeName`, nodeName, msg));
  if (typeof s.activeDeadlineSeconds === "number" && (s.activeDeadlineSeconds < 1 || s.activeDeadlineSeconds > 2147483647)) {
    errs.push(field.invalid(`${path}.activeDeadlineSeconds`, s.activeDeadlineSeconds, inclusiveRangeError(1, 2147483647)));
  }
  if (str(s.hostname)) errs.push(...dns1123LabelErrors(str(s.hostname), `${path}.hostname`));
  if (str(s.subdomain)) errs.push(...dns1123LabelErrors(str(s.subdomain), `${path}.subdomain`));
  if (arr(s.tolerations).length) errs.push(...validateTolerations(s.tolerations, `${path}.tolerations`));
  arr(s.hostAliases).forEach((raw, i) => {
    const a: Obj = isRecord(raw) ? raw : {};
    errs.push(...validateIP(`${path}.hostAliases[${i}].ip`, str(a.ip)));
    arr(a.hostnames).forEach((h, j) => errs.push(...dns1123SubdomainErrors(str(h), `${path}.hostAliases[${i}].hostnames[${j}]`)));
  });
  const pc = str(s.priorityClassName);
  if (pc) for (const msg of nameIsDNSSubdomain(pc, false)) errs.push(field.invalid(`${path}.priorityClassName`, pc, msg));
  if (typeof s.runtimeClassName === "string") {
    for (const msg of nameIsDNSSubdomain(s.runtimeClassName, false)) errs.push(field.invalid(`${path}.runtimeClassName`, s.runtimeClassName, msg));
  }
  if (s.preemptionPolicy !== undefined && s.preemptionPolicy !== null) {
    const pp = str(s.preemptionPolicy);
    if (!pp) errs.push(field.required(`${path}.preemptionPolicy`, ""));
    else if (pp !== "PreemptLowerPriority" && pp !== "Never") errs.push(field.notSupported(`${path}.preemptionPolicy`, pp, ["PreemptLowerPriority", "Never"]));
  }
  if (isRecord(s.overhead)) errs.push(...validateResourceRequirements({ limits: s.overhead }, `${path}.overhead`));
  if (isRecord(s.os)) {
    const os = str(s.os.name);
    if (!os) errs.push(field.required(`${path}.os.name`, ""));
    else if (os !== "linux" && os !== "windows") errs.push(field.notSupported(`${path}.os.name`, os, ["linux", "windows"]));
  }
  return errs;
}

/** ValidatePodSpecificAnnotations (mirror pods, deletion cost). */
export function validatePodSpecificAnnotations(annotations: unknown, spec: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isRecord(annotations)) return errs;
  const s: Obj = isRecord(spec) ? spec : {};
  const mirror = "kubernetes.io/config.mirror";
  if (mirror in annotations && !str(s.nodeName)) {
    errs.push(field.invalid(`${path}[${mirror}]`, annotations[mirror], "must set spec.nodeName if mirror pod annotation is set"));
  }
  const cost = "controller.kubernetes.io/pod-deletion-cost";
  if (cost in annotations) {
    const v = str(annotations[cost]);
    const n = /^[+-]?[0-9]+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < -(2 ** 31) || n > 2 ** 31 - 1) errs.push(field.invalid(`${path}[${cost}]`, v, "must be a 32bit integer"));
  }
  return errs;
}

/** ValidatePodTemplateSpec (`path` is the template's: `spec.template`). */
export function validatePodTemplateSpec(template: unknown, path: string): FieldError[] {
  const t: Obj = isRecord(template) ? template : {};
  const meta: Obj = isRecord(t.metadata) ? t.metadata : {};
  const errs: FieldError[] = [];
  errs.push(...validateLabels(isRecord(meta.labels) ? meta.labels : undefined, `${path}.labels`));
  errs.push(...validateAnnotations(isRecord(meta.annotations) ? meta.annotations : undefined, `${path}.annotations`));
  errs.push(...validatePodSpecificAnnotations(meta.annotations, t.spec, `${path}.annotations`));
  errs.push(...validatePodSpec(t.spec, `${path}.spec`));
  if (isRecord(t.spec) && arr(t.spec.ephemeralContainers).length > 0) {
    errs.push(field.forbidden(`${path}.spec.ephemeralContainers`, "ephemeral containers not allowed in pod template"));
  }
  return errs;
}

/** validateContainersOnlyForPod: images of a real pod may not carry surrounding whitespace. */
export function validateContainersOnlyForPod(containers: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(containers).forEach((c, i) => {
    const image = isRecord(c) ? str(c.image) : "";
    if (image.length !== image.trim().length) errs.push(field.invalid(`${path}[${i}].image`, image, "must not have leading or trailing whitespace"));
  });
  return errs;
}

// =============================================================================================
// Workload selectors
// =============================================================================================

/** `<path>.metadata.labels: Invalid value: map[string]string{...}: \`selector\` does not match template \`labels\``. */
export function selectorMismatch(templateLabels: unknown, path: string): FieldError {
  return withRenderedValue(
    field.invalid(path, isRecord(templateLabels) ? templateLabels : null, "`selector` does not match template `labels`"),
    goStringMap(templateLabels),
  );
}

/** Whether `selector` (a LabelSelector object) matches `labels`; undefined when the selector does not parse. */
export function selectorMatches(selector: unknown, labels: unknown): boolean | undefined {
  try {
    return labelSelectorAsSelector(selector as LabelSelectorObject).matches(isRecord(labels) ? (labels as Record<string, string>) : {});
  } catch {
    return undefined;
  }
}

/** Whether the selector restricts anything (upstream `selector.Empty()` is the opposite). */
export function selectorIsEmpty(selector: unknown): boolean {
  try {
    return labelSelectorAsSelector(selector as LabelSelectorObject).empty();
  } catch {
    return false;
  }
}

/** ValidateImmutableField for a label selector (`spec.selector: Invalid value: v1.LabelSelector{...}: field is immutable`). */
export function immutableSelector(next: unknown, old: unknown, path: string): FieldError[] {
  if (deepEqual(next ?? null, old ?? null)) return [];
  return [withRenderedValue(field.invalid(path, next ?? null, IMMUTABLE_MSG), goLabelSelector(next))];
}

/** A field error carrying a label selector as its bad value. */
export function selectorError(selector: unknown, path: string, detail: string): FieldError {
  return withRenderedValue(field.invalid(path, selector ?? null, detail), goLabelSelector(selector));
}

/** ValidatePositiveIntOrPercent. */
export function validatePositiveIntOrPercent(value: unknown, path: string): FieldError[] {
  if (typeof value === "string") return isValidPercent(value).map((msg) => withRenderedValue(field.invalid(path, value, msg), goIntOrString(value)));
  if (typeof value === "number") return validateNonnegative(value, path);
  return [withRenderedValue(field.invalid(path, value ?? null, "must be an integer or percentage (e.g '5%%')"), goIntOrString(value))];
}

export function intOrPercentValue(value: unknown): number {
  if (typeof value === "string") return /^[0-9]+%$/.test(value) ? Number(value.slice(0, -1)) : 0;
  return typeof value === "number" ? value : 0;
}

export function isNotMoreThan100Percent(value: unknown, path: string): FieldError[] {
  if (typeof value !== "string" || !/^[0-9]+%$/.test(value) || Number(value.slice(0, -1)) <= 100) return [];
  return [withRenderedValue(field.invalid(path, value, "must not be greater than 100%"), goIntOrString(value))];
}

// =============================================================================================
// Pod update diffs (`pod updates may not change fields other than ...`)
// =============================================================================================

const podSpecFieldOrder = [
  "volumes",
  "initContainers",
  "containers",
  "ephemeralContainers",
  "restartPolicy",
  "terminationGracePeriodSeconds",
  "activeDeadlineSeconds",
  "dnsPolicy",
  "nodeSelector",
  "serviceAccountName",
  "automountServiceAccountToken",
  "nodeName",
  "securityContext",
  "imagePullSecrets",
  "hostname",
  "subdomain",
  "setHostnameAsFQDN",
  "affinity",
  "schedulerName",
  "tolerations",
  "hostAliases",
  "priorityClassName",
  "priority",
  "preemptionPolicy",
  "dnsConfig",
  "readinessGates",
  "runtimeClassName",
  "overhead",
  "enableServiceLinks",
  "topologySpreadConstraints",
  "os",
  "schedulingGates",
  "resourceClaims",
  "resources",
  "hostnameOverride",
];
const pointerFields = new Set(["terminationGracePeriodSeconds", "activeDeadlineSeconds", "automountServiceAccountToken", "setHostnameAsFQDN", "priority", "runtimeClassName", "enableServiceLinks", "hostnameOverride"]);

/**
 * A cmp.Diff-like rendering of two PodSpecs (field by field, in the internal type's order).
 * Upstream prints go-cmp's report of the internal Go structs; this keeps its shape, not every detail.
 */
export function podSpecDiff(oldSpec: unknown, newSpec: unknown): string {
  const o: Obj = isRecord(oldSpec) ? oldSpec : {};
  const n: Obj = isRecord(newSpec) ? newSpec : {};
  // hostNetwork/hostPID/hostIPC live in the internal SecurityContext; fold them in for the diff.
  const fold = (s: Obj) => {
    const out: Obj = { ...s };
    const sc: Obj = isRecord(s.securityContext) ? { ...s.securityContext } : {};
    for (const k of ["hostNetwork", "hostPID", "hostIPC", "shareProcessNamespace"]) {
      if (out[k] !== undefined) sc[k] = out[k];
      delete out[k];
    }
    if (Object.keys(sc).length || s.securityContext !== undefined) out.securityContext = sc;
    return out;
  };
  const a = fold(o);
  const b = fold(n);
  const lines = ["  core.PodSpec{"];
  let identical = 0;
  const flush = () => {
    if (identical > 0) lines.push(`  \t... // ${identical} identical field${identical === 1 ? "" : "s"}`);
    identical = 0;
  };
  const render = (k: string, v: unknown) => {
    if (v === undefined || v === null) return "nil";
    return pointerFields.has(k) ? `&${goLiteral(v, "cmp", k)}` : goLiteral(v, "cmp", k);
  };
  for (const k of podSpecFieldOrder) {
    if (deepEqual(a[k] ?? null, b[k] ?? null)) {
      identical++;
      continue;
    }
    flush();
    lines.push(`- \t${goFieldName(k)}: ${render(k, a[k])},`);
    lines.push(`+ \t${goFieldName(k)}: ${render(k, b[k])},`);
  }
  flush();
  lines.push("  }");
  return `${lines.join("\n")}\n`;
}

// =============================================================================================
// Table cells
// =============================================================================================

/** layoutContainerCells: container names and images, comma-joined. */
export function layoutContainerCells(containers: unknown): [string, string] {
  const list = arr(containers).map((c) => (isRecord(c) ? c : {}));
  return [list.map((c) => str(c.name)).join(","), list.map((c) => str(c.image)).join(",")];
}

/** labels.FormatLabels: `k=v,k2=v2` sorted by key, `<none>` when empty. */
export function formatLabels(labels: unknown): string {
  if (!isRecord(labels)) return "<none>";
  const keys = goSortedKeys(labels);
  if (keys.length === 0) return "<none>";
  return keys.map((k) => `${k}=${String(labels[k])}`).join(",");
}

/** The containers of a template spec, or []. */
export function templateContainers(template: unknown): unknown[] {
  return isRecord(template) && isRecord(template.spec) ? arr(template.spec.containers) : [];
}

/** `${ms}` → `now - timestamp` in ms, or null when unset/unparsable. */
export function elapsedSince(timestamp: unknown, now: Date): number | null {
  if (typeof timestamp !== "string" || !timestamp) return null;
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? null : now.getTime() - t;
}

export { milliValue, compareQuantities };

// =============================================================================================
// Workload helpers
// =============================================================================================

/** Decodes the quantities of a template's PodSpec and applies the v1 PodSpec defaults. */
export function decodeAndDefaultTemplate(obj: KObject, template: unknown): void {
  if (!isRecord(template)) return;
  if (!isRecord(template.spec)) template.spec = {};
  canonicalizePodSpecQuantities(template.spec, quantityDecodeFailure(obj));
  defaultPodSpec(template.spec);
}

/** metadata.generation after an update: +1 when `changed`, computed after defaulting. */
export function setGeneration(obj: KObject, old: KObject, changed: boolean): void {
  const prev = typeof old.metadata.generation === "number" ? old.metadata.generation : 1;
  obj.metadata.generation = changed ? prev + 1 : prev;
}

/** ValidateImmutableField for a scalar-ish value (numbers, strings, null). */
export function immutableValue(next: unknown, old: unknown, path: string, rendered?: string): FieldError[] {
  if (deepEqual(next ?? null, old ?? null)) return [];
  const e = field.invalid(path, next ?? null, IMMUTABLE_MSG);
  return [rendered === undefined ? e : withRenderedValue(e, rendered)];
}

/** A rough `%#v` of a JSON object as an internal Go struct (`core.PodTemplateSpec{...}`). */
export function goStruct(typeName: string, value: unknown): string {
  if (!isRecord(value)) return "null";
  return `${typeName}${goLiteral(value, "fmt")}`;
}

/**
 * The selector checks shared by Deployment and ReplicaSet (ValidateDeploymentSpec /
 * ValidateReplicaSetSpec), followed by ValidatePodTemplateSpecForReplicaSet.
 */
export function validateReplicaSetSelectorAndTemplate(spec: Obj, emptySelectorMessage: string): FieldError[] {
  const errs: FieldError[] = [];
  const selector = spec.selector;
  if (selector === undefined || selector === null) errs.push(field.required("spec.selector", ""));
  else {
    errs.push(...validateLabelSelector(selector as LabelSelectorObject, "spec.selector", { allowInvalidLabelValueInSelector: false }));
    const sel: Obj = isRecord(selector) ? selector : {};
    if (Object.keys(isRecord(sel.matchLabels) ? sel.matchLabels : {}).length + arr(sel.matchExpressions).length === 0) {
      errs.push(selectorError(selector, "spec.selector", emptySelectorMessage));
    }
  }
  let parsed: LabelSelector;
  try {
    parsed = labelSelectorAsSelector(selector as LabelSelectorObject);
  } catch {
    errs.push(selectorError(selector, "spec.selector", "invalid label selector"));
    return errs;
  }
  const template: Obj = isRecord(spec.template) ? spec.template : {};
  const labels = isRecord(template.metadata) ? template.metadata.labels : undefined;
  if (!parsed.empty() && !parsed.matches(isRecord(labels) ? (labels as Record<string, string>) : {})) {
    errs.push(selectorMismatch(labels, "spec.template.metadata.labels"));
  }
  errs.push(...validatePodTemplateSpec(template, "spec.template"));
  const podSpec: Obj = isRecord(template.spec) ? template.spec : {};
  if (podSpec.restartPolicy !== "Always") errs.push(field.notSupported("spec.template.spec.restartPolicy", str(podSpec.restartPolicy), ["Always"]));
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(field.forbidden("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in ReplicaSet is not Supported"));
  }
  return errs;
}

/** The `-o wide` columns every pod-template owner shows: its containers, images and, optionally, selector. */
export function templateWideColumns(owner: string, withSelector = true): TableColumn[] {
  const columns: TableColumn[] = [
    { name: "Containers", type: "string", priority: 1, description: `Container names in the ${owner}'s pod template.` },
    { name: "Images", type: "string", priority: 1, description: `Container images in the ${owner}'s pod template.` },
  ];
  if (withSelector) columns.push({ name: "Selector", type: "string", priority: 1, description: `The label selector of the ${owner}'s pods.` });
  return columns;
}
