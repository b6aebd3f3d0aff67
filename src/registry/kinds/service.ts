/**
 * core/v1 Service: v1 defaulting, ClusterIP / NodePort allocation through the sandbox allocator,
 * upstream's ValidateService / ValidateServiceUpdate, and the `kubectl get svc` columns.
 *
 * The cluster is single-stack IPv4 (the allocator hands out IPv4 addresses only), so IPv6 and
 * dual-stack requests fail the way they do on a single-stack kube-apiserver.
 *
 * Also home of the small IP/CIDR parsers shared by the node and endpoints kinds (Go's
 * net.ParseIP as k8s.io/utils/net "sloppy" parsing accepts it: leading zeros allowed in IPv4).
 */
import { errors, field, invalid, type FieldError } from "../../apiserver/status";
import { humanDuration } from "../../apiserver/duration";
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, validateLabels } from "../../apiserver/names";
import type { KindStrategy, KObject, StrategyContext } from "../types";

// ---- IP and CIDR parsing ------------------------------------------------------------------

/** A parsed address: 16 bytes (IPv4 as IPv4-mapped IPv6) plus whether it is an IPv4 address. */
export interface ParsedIP {
  bytes: number[];
  v4: boolean;
}

function decimal(s: string, at: number): { n: number; end: number } | null {
  let i = at;
  let n = 0;
  while (i < s.length && s[i] >= "0" && s[i] <= "9") {
    n = n * 10 + (s.charCodeAt(i) - 48);
    if (n >= 0xffffff) return null;
    i++;
  }
  return i === at ? null : { n, end: i };
}

function parseIPv4Bytes(s: string): number[] | null {
  const out: number[] = [];
  let i = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (s[i] !== ".") return null;
      i++;
    }
    const d = decimal(s, i);
    if (!d || d.n > 255) return null;
    out.push(d.n);
    i = d.end;
  }
  return i === s.length ? out : null;
}

function parseIPv6Bytes(input: string): number[] | null {
  const ip = new Array<number>(16).fill(0);
  let s = input;
  let ellipsis = -1;
  if (s.startsWith("::")) {
    ellipsis = 0;
    s = s.slice(2);
    if (s.length === 0) return ip;
  }
  let i = 0;
  while (i < 16) {
    let c = 0;
    let n = 0;
    while (c < s.length && /[0-9a-fA-F]/.test(s[c])) {
      n = n * 16 + parseInt(s[c], 16);
      if (n >= 0xffffff) return null;
      c++;
    }
    if (c === 0 || n > 0xffff) return null;
    if (c < s.length && s[c] === ".") {
      if (ellipsis < 0 && i !== 12) return null;
      if (i + 4 > 16) return null;
      const v4 = parseIPv4Bytes(s);
      if (!v4) return null;
      ip.splice(i, 4, ...v4);
      s = "";
      i += 4;
      break;
    }
    ip[i] = n >> 8;
    ip[i + 1] = n & 0xff;
    i += 2;
    s = s.slice(c);
    if (s.length === 0) break;
    if (s[0] !== ":" || s.length === 1) return null;
    s = s.slice(1);
    if (s[0] === ":") {
      if (ellipsis >= 0) return null;
      ellipsis = i;
      s = s.slice(1);
      if (s.length === 0) break;
    }
  }
  if (s.length !== 0) return null;
  if (i < 16) {
    if (ellipsis < 0) return null;
    const shift = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) ip[j + shift] = ip[j];
    for (let j = ellipsis + shift - 1; j >= ellipsis; j--) ip[j] = 0;
  } else if (ellipsis >= 0) {
    return null;
  }
  return ip;
}

const v4Prefix = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** netutils.ParseIPSloppy: null when `s` is not an IP address. */
export function parseIPSloppy(s: string): ParsedIP | null {
  for (const ch of s) {
    if (ch === ".") {
      const b = parseIPv4Bytes(s);
      return b ? { bytes: [...v4Prefix, ...b], v4: true } : null;
    }
    if (ch === ":") {
      const b = parseIPv6Bytes(s);
      if (!b) return null;
      return { bytes: b, v4: v4Prefix.every((x, i) => b[i] === x) };
    }
  }
  return null;
}

/** netutils.ParseCIDRSloppy, reduced to "is it one". */
export function isCIDRSloppy(s: string): boolean {
  const slash = s.indexOf("/");
  if (slash < 0) return false;
  const addr = s.slice(0, slash);
  const mask = s.slice(slash + 1);
  let bits = 32;
  let ok = parseIPv4Bytes(addr) !== null;
  if (!ok) {
    bits = 128;
    ok = parseIPv6Bytes(addr) !== null;
  }
  const d = decimal(mask, 0);
  return ok && d !== null && d.end === mask.length && d.n <= bits;
}

export const ipErrorDetail = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";
export const cidrErrorDetail = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

/** validation.IsValidIP. */
export function validateIP(path: string, value: unknown): FieldError[] {
  return typeof value === "string" && parseIPSloppy(value) ? [] : [field.invalid(path, value ?? "", ipErrorDetail)];
}

/** validation.IsValidCIDR. */
export function validateCIDR(path: string, value: unknown): FieldError[] {
  return typeof value === "string" && isCIDRSloppy(value) ? [] : [field.invalid(path, value ?? "", cidrErrorDetail)];
}

/** ValidateNonSpecialIP (used for external IPs and endpoint addresses). */
export function validateNonSpecialIP(path: string, value: string): FieldError[] {
  const ip = parseIPSloppy(value);
  if (!ip) return [field.invalid(path, value, "must be a valid IP address")];
  const b = ip.bytes;
  const out: FieldError[] = [];
  const v4 = ip.v4 ? b.slice(12) : null;
  const unspecified = v4 ? v4.every((x) => x === 0) : b.every((x) => x === 0);
  const loopback = v4 ? v4[0] === 127 : b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
  const linkLocalUnicast = v4 ? v4[0] === 169 && v4[1] === 254 : b[0] === 0xfe && (b[1] & 0xc0) === 0x80;
  const linkLocalMulticast = v4 ? v4[0] === 224 && v4[1] === 0 && v4[2] === 0 : b[0] === 0xff && (b[1] & 0x0f) === 0x02;
  if (unspecified) out.push(field.invalid(path, value, `may not be unspecified (${value})`));
  if (loopback) out.push(field.invalid(path, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)"));
  if (linkLocalUnicast) out.push(field.invalid(path, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"));
  if (linkLocalMulticast) out.push(field.invalid(path, value, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"));
  return out;
}

// ---- small shared validators --------------------------------------------------------------

/** validation.IsValidPortNum. */
export function portNumErrors(port: unknown): string[] {
  return typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : ["must be between 1 and 65535, inclusive"];
}

/** validation.IsValidPortName (IANA_SVC_NAME). */
export function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push("must be no more than 15 characters");
  if (!/^[-a-z0-9]+$/.test(name)) errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (!/[a-z]/.test(name)) errs.push("must contain at least one letter (a-z)");
  if (name.includes("--")) errs.push("must not contain consecutive hyphens");
  if (name.length > 0 && (name.startsWith("-") || name.endsWith("-"))) errs.push("must not begin or end with a hyphen");
  return errs;
}

/** ValidatePortNumOrName (an IntOrString port). */
export function validatePortNumOrName(path: string, port: unknown): FieldError[] {
  if (typeof port === "string") return portNameErrors(port).map((m) => field.invalid(path, port, m));
  return portNumErrors(port).map((m) => field.invalid(path, port ?? 0, m));
}

export const supportedProtocols = ["SCTP", "TCP", "UDP"];

export function invalidEach(path: string, value: unknown, messages: string[]): FieldError[] {
  return messages.map((m) => field.invalid(path, value, m));
}

/** labels.FormatLabels: `k=v,k2=v2` sorted by key, `<none>` when empty. */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${labels![k]}`).join(",") : "<none>";
}

/** translateTimestampSince: the AGE cell. */
export function ageCell(timestamp: string | null | undefined, now: Date): string {
  if (!timestamp) return "<unknown>";
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? "<unknown>" : humanDuration(now.getTime() - t);
}

// ---- Service semantics ----------------------------------------------------------------------

/* eslint-disable @typescript-eslint/no-explicit-any */
type Spec = Record<string, any>;

const specOf = (svc: KObject): Spec => (svc.spec ??= {});
const typeOf = (svc: KObject): string => svc.spec?.type ?? "";

const needsClusterIP = (svc: KObject) => ["ClusterIP", "NodePort", "LoadBalancer"].includes(typeOf(svc));
const needsNodePort = (svc: KObject) => typeOf(svc) === "NodePort" || typeOf(svc) === "LoadBalancer";
const shouldAllocateNodePorts = (svc: KObject) =>
  typeOf(svc) === "NodePort" || (typeOf(svc) === "LoadBalancer" && svc.spec?.allocateLoadBalancerNodePorts !== false);
const externallyAccessible = (svc: KObject) =>
  typeOf(svc) === "LoadBalancer" || typeOf(svc) === "NodePort" || (typeOf(svc) === "ClusterIP" && (svc.spec?.externalIPs?.length ?? 0) > 0);
const needsHealthCheck = (svc: KObject) => typeOf(svc) === "LoadBalancer" && svc.spec?.externalTrafficPolicy === "Local";
const isHeadless = (svc: KObject) => svc.spec?.clusterIPs?.length === 1 && svc.spec.clusterIPs[0] === "None";
const clusterIPsOf = (svc: KObject): string[] => (Array.isArray(svc.spec?.clusterIPs) ? svc.spec.clusterIPs : []);
const sameJSON = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** SetDefaults_Service (v1 defaulting). */
export function defaultService(svc: KObject): void {
  const spec = specOf(svc);
  if (!spec.sessionAffinity) spec.sessionAffinity = "None";
  if (spec.sessionAffinity === "None") delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === "ClientIP" && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds == null) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  if (!spec.type) spec.type = "ClusterIP";
  if (Array.isArray(spec.ports)) {
    for (const port of spec.ports) {
      if (!port || typeof port !== "object") continue;
      if (!port.protocol) port.protocol = "TCP";
      if (port.targetPort === undefined || port.targetPort === null || port.targetPort === 0 || port.targetPort === "") {
        port.targetPort = port.port;
      }
    }
  }
  if (externallyAccessible(svc) && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = "Cluster";
  if (spec.internalTrafficPolicy == null && ["NodePort", "LoadBalancer", "ClusterIP"].includes(spec.type)) {
    spec.internalTrafficPolicy = "Cluster";
  }
  if (spec.type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts == null) spec.allocateLoadBalancerNodePorts = true;
  if (spec.type === "LoadBalancer") {
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
      if (ing?.ip && ing.ipMode == null) ing.ipMode = "VIP";
    }
  }
}

/** NormalizeClusterIPs: keeps clusterIP and clusterIPs in step for clients that set only one. */
function normalizeClusterIPs(svc: KObject, old: KObject | null): void {
  const spec = specOf(svc);
  const ips = clusterIPsOf(svc);
  if (!old) {
    if (spec.clusterIP && ips.length === 0) spec.clusterIPs = [spec.clusterIP];
    return;
  }
  const oldIPs = clusterIPsOf(old);
  if (oldIPs.length > 0 && ips.length === 0 && (old.spec?.clusterIP ?? "") === (spec.clusterIP ?? "")) {
    spec.clusterIPs = oldIPs;
  }
  if ((old.spec?.clusterIP ?? "") !== (spec.clusterIP ?? "")) {
    const same = sameJSON(oldIPs, clusterIPsOf(svc));
    if (old.spec?.clusterIP && !spec.clusterIP && same) delete spec.clusterIPs;
    if (spec.clusterIP && same) spec.clusterIPs = [spec.clusterIP];
  }
}

/** patchAllocatedValues: an update that omits allocated values keeps them. */
function patchAllocatedValues(svc: KObject, old: KObject): void {
  const spec = specOf(svc);
  if (needsClusterIP(old) && needsClusterIP(svc)) {
    if (!spec.clusterIP && old.spec?.clusterIP) spec.clusterIP = old.spec.clusterIP;
    if (clusterIPsOf(svc).length === 0 && clusterIPsOf(old).length > 0) spec.clusterIPs = [...old.spec.clusterIPs];
  }
  if (needsNodePort(old) && needsNodePort(svc)) {
    const used = (s: KObject) => new Set<number>((s.spec?.ports ?? []).map((p: any) => p?.nodePort).filter((n: any) => n));
    const oldUsed = used(old);
    const newUsed = used(svc);
    const byName = new Map<string, number>();
    for (const p of old.spec?.ports ?? []) byName.set(p?.name ?? "", p?.nodePort ?? 0);
    for (const p of spec.ports ?? []) {
      if (!p || p.nodePort) continue;
      const prev = byName.get(p.name ?? "");
      if (prev && !(oldUsed.has(prev) && newUsed.has(prev))) p.nodePort = prev;
    }
  }
  if (needsHealthCheck(old) && needsHealthCheck(svc) && !spec.healthCheckNodePort && old.spec?.healthCheckNodePort) {
    spec.healthCheckNodePort = old.spec.healthCheckNodePort;
  }
}

/** dropTypeDependentFields: a type change wipes what the old type allocated, unless the client changed it too. */
function dropTypeDependentFields(svc: KObject, old: KObject): void {
  const spec = specOf(svc);
  const o = old.spec ?? {};
  if (needsClusterIP(old) && !needsClusterIP(svc)) {
    if ((o.clusterIP ?? "") === (spec.clusterIP ?? "") && sameJSON(o.clusterIPs, spec.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (sameJSON(o.ipFamilies, spec.ipFamilies)) delete spec.ipFamilies;
    if (sameJSON(o.ipFamilyPolicy, spec.ipFamilyPolicy)) delete spec.ipFamilyPolicy;
  }
  const nodePorts = (s: Spec) => (s.ports ?? []).map((p: any) => p?.nodePort ?? 0);
  if (needsNodePort(old) && !needsNodePort(svc) && sameJSON(nodePorts(o), nodePorts(spec))) {
    for (const p of spec.ports ?? []) if (p) delete p.nodePort;
  }
  if (needsHealthCheck(old) && !needsHealthCheck(svc) && (o.healthCheckNodePort ?? 0) === (spec.healthCheckNodePort ?? 0)) {
    delete spec.healthCheckNodePort;
  }
  if (o.type === "LoadBalancer" && spec.type !== "LoadBalancer") {
    if (spec.allocateLoadBalancerNodePorts != null && o.allocateLoadBalancerNodePorts === spec.allocateLoadBalancerNodePorts) {
      delete spec.allocateLoadBalancerNodePorts;
    }
    if (sameJSON(o.loadBalancerClass, spec.loadBalancerClass)) delete spec.loadBalancerClass;
  }
  if (externallyAccessible(old) && !externallyAccessible(svc) && (o.externalTrafficPolicy ?? "") === (spec.externalTrafficPolicy ?? "")) {
    delete spec.externalTrafficPolicy;
  }
  if (spec.type !== "LoadBalancer" && svc.status) svc.status.loadBalancer = {};
}

const familyOf = (ip: string): "IPv4" | "IPv6" => (parseIPSloppy(ip)?.v4 === false ? "IPv6" : "IPv4");

/** initIPFamilyFields for a single-stack IPv4 cluster. Throws 422 as upstream does, before validation. */
function initIPFamilyFields(svc: KObject, old: KObject | null): void {
  if (typeOf(svc) === "ExternalName") return;
  const spec = specOf(svc);
  if (spec.ipFamilyPolicy == null) {
    if (old?.spec?.ipFamilyPolicy != null) spec.ipFamilyPolicy = old.spec.ipFamilyPolicy;
    else if (spec.clusterIP === "None" && Object.keys(spec.selector ?? {}).length === 0) spec.ipFamilyPolicy = "RequireDualStack";
    else spec.ipFamilyPolicy = "SingleStack";
  }
  const pre = validateClusterIPsRelatedFields(svc);
  if (pre.length) throw invalid("Service", "", svc.metadata.name ?? "", pre);

  const errs: FieldError[] = [];
  const policy = spec.ipFamilyPolicy;
  if (old) {
    if (policy === "SingleStack") {
      if (sameJSON(old.spec?.clusterIPs, spec.clusterIPs) && clusterIPsOf(svc).length > 1) spec.clusterIPs = spec.clusterIPs.slice(0, 1);
      if (sameJSON(old.spec?.ipFamilies, spec.ipFamilies) && (spec.ipFamilies?.length ?? 0) > 1) spec.ipFamilies = spec.ipFamilies.slice(0, 1);
    } else {
      if (clusterIPsOf(svc).length < clusterIPsOf(old).length) {
        errs.push(field.invalid("spec.ipFamilyPolicy", policy, "must be 'SingleStack' to release the secondary cluster IP"));
      }
      if ((spec.ipFamilies?.length ?? 0) < (old.spec?.ipFamilies?.length ?? 0)) {
        errs.push(field.invalid("spec.ipFamilyPolicy", policy, "must be 'SingleStack' to release the secondary IP family"));
      }
    }
  }
  if (policy === "SingleStack") {
    if (clusterIPsOf(svc).length === 2) {
      errs.push(field.invalid("spec.ipFamilyPolicy", policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
    }
    if (spec.ipFamilies?.length === 2) {
      errs.push(field.invalid("spec.ipFamilyPolicy", policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
    }
  }
  const ips = clusterIPsOf(svc);
  for (let i = 0; i < ips.length; i++) {
    if (ips[i] === "None") break;
    const fam = familyOf(ips[i]);
    if (i >= (spec.ipFamilies?.length ?? 0)) {
      if (fam !== "IPv4") errs.push(field.invalid(`spec.clusterIPs[${i}]`, ips, `${fam} is not configured on this cluster`));
      else spec.ipFamilies = [...(spec.ipFamilies ?? []), fam];
    }
  }
  if (errs.length) throw invalid("Service", "", svc.metadata.name ?? "", errs);

  if (spec.clusterIP === "None" && Object.keys(spec.selector ?? {}).length === 0) {
    if (!spec.ipFamilies?.length) spec.ipFamilies = ["IPv4"];
    if (spec.ipFamilies.length < 2 && policy !== "SingleStack") {
      spec.ipFamilies = [...spec.ipFamilies, spec.ipFamilies[0] === "IPv4" ? "IPv6" : "IPv4"];
    }
    return;
  }
  if (policy === "RequireDualStack") {
    errs.push(field.invalid("spec.ipFamilyPolicy", policy, "this cluster is not configured for dual-stack services"));
  }
  (spec.ipFamilies ?? []).forEach((fam: string, i: number) => {
    if (fam !== "IPv4") errs.push(field.invalid(`spec.ipFamilies[${i}]`, fam, "not configured on this cluster"));
  });
  if (errs.length) throw invalid("Service", "", svc.metadata.name ?? "", errs);
  if (!spec.ipFamilies?.length) spec.ipFamilies = ["IPv4"];
}

/** Objects whose allocation was skipped because validation is about to fail anyway. */
const unallocated = new WeakSet<KObject>();

function allocateClusterIP(svc: KObject, ctx: StrategyContext): void {
  if (!needsClusterIP(svc) || isHeadless(svc)) return;
  const spec = specOf(svc);
  const ips = clusterIPsOf(svc);
  if (ips.length > 0 && ips[0] !== "") return; // already holds one (update) or requested (create: handled by caller)
  const result = ctx.allocator.allocateServiceIP();
  if ("error" in result) throw errors.internal(`failed to allocate a serviceIP: ${result.error}`);
  spec.clusterIP = result.ip;
  spec.clusterIPs = [result.ip];
}

function allocateRequestedClusterIP(svc: KObject, ctx: StrategyContext): void {
  const spec = specOf(svc);
  const ip = clusterIPsOf(svc)[0];
  const result = ctx.allocator.allocateServiceIP(ip);
  if ("error" in result) {
    throw invalid("Service", "", svc.metadata.name ?? "", [
      // The sandbox allocator words the detail as upstream: `failed to allocate IP <ip>: <reason>`.
      field.invalid("spec.clusterIPs", spec.clusterIPs, result.error),
    ]);
  }
  spec.clusterIP = result.ip;
  spec.clusterIPs = [result.ip, ...clusterIPsOf(svc).slice(1)];
}

/** initNodePorts / updateNodePorts: allocates missing or newly requested node ports. */
function allocateNodePorts(svc: KObject, old: KObject | null, ctx: StrategyContext): void {
  const spec = specOf(svc);
  const held = new Set<number>(old && needsNodePort(old) ? (old.spec?.ports ?? []).map((p: any) => p?.nodePort).filter((n: any) => n) : []);
  const byPort = new Map<number, number>();
  const ports: any[] = Array.isArray(spec.ports) ? spec.ports : [];
  const reserve = (np: number, path: string) => {
    if (held.has(np)) return;
    const result = ctx.allocator.allocateNodePort(np);
    if ("error" in result) throw invalid("Service", "", svc.metadata.name ?? "", [field.invalid(path, np, result.error)]);
    held.add(np);
  };
  if (needsNodePort(svc)) {
    ports.forEach((p, i) => {
      if (!p || typeof p !== "object") return;
      if (!p.nodePort && !shouldAllocateNodePorts(svc)) return;
      const path = `spec.ports[${i}].nodePort`;
      const known = byPort.get(p.port);
      if (known === undefined) {
        const requested = p.nodePort || ports.slice(i).find((q) => q?.port === p.port && q.nodePort)?.nodePort;
        if (requested) {
          reserve(requested, path);
          p.nodePort = requested;
        } else {
          const result = ctx.allocator.allocateNodePort();
          if ("error" in result) throw errors.internal(`failed to allocate a nodePort: ${result.error}`);
          p.nodePort = result.port;
          held.add(result.port);
        }
        byPort.set(p.port, p.nodePort);
      } else if (p.nodePort !== known) {
        if (!p.nodePort) p.nodePort = known;
        else reserve(p.nodePort, path);
      }
    });
  }
  if (needsHealthCheck(svc)) {
    const oldHC = old && needsHealthCheck(old) ? old.spec?.healthCheckNodePort : undefined;
    if (!spec.healthCheckNodePort) {
      const result = ctx.allocator.allocateNodePort();
      if ("error" in result) throw errors.internal(`failed to allocate a nodePort: ${result.error}`);
      spec.healthCheckNodePort = result.port;
    } else if (spec.healthCheckNodePort !== oldHC) {
      const result = ctx.allocator.allocateNodePort(spec.healthCheckNodePort);
      if ("error" in result) {
        throw invalid("Service", "", svc.metadata.name ?? "", [field.invalid("spec.healthCheckNodePort", spec.healthCheckNodePort, result.error)]);
      }
    }
  }
}

// ---- validation -----------------------------------------------------------------------------

/** ValidateServiceClusterIPsRelatedFields. */
export function validateClusterIPsRelatedFields(svc: KObject): FieldError[] {
  if (typeOf(svc) === "ExternalName") return [];
  const spec = svc.spec ?? {};
  const errs: FieldError[] = [];
  const ips = clusterIPsOf(svc);
  if (spec.clusterIP) {
    if (ips.length === 0) errs.push(field.required("spec.clusterIPs"));
    else if (ips[0] !== spec.clusterIP) errs.push(field.invalid("spec.clusterIPs", ips, "first value must match `clusterIP`"));
  } else if (ips.length !== 0) {
    errs.push(field.invalid("spec.clusterIPs", ips, "must be empty when `clusterIP` is not specified"));
  }
  const seen = new Set<string>();
  (spec.ipFamilies ?? []).forEach((fam: string, i: number) => {
    if (fam !== "IPv4" && fam !== "IPv6") errs.push(field.notSupported(`spec.ipFamilies[${i}]`, fam, ["IPv4", "IPv6"]));
    if (seen.has(fam)) errs.push(field.duplicate(`spec.ipFamilies[${i}]`, fam));
    seen.add(fam);
  });
  if (spec.ipFamilyPolicy != null && !["PreferDualStack", "RequireDualStack", "SingleStack"].includes(spec.ipFamilyPolicy)) {
    errs.push(field.notSupported("spec.ipFamilyPolicy", spec.ipFamilyPolicy, ["PreferDualStack", "RequireDualStack", "SingleStack"]));
  }
  let badIPs = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === "None") {
      if (ips.length > 1) {
        badIPs = true;
        errs.push(field.invalid("spec.clusterIPs", ips, "'None' must be the first and only value"));
      }
      return;
    }
    const e = validateIP(`spec.clusterIPs[${i}]`, ip);
    if (e.length) badIPs = true;
    errs.push(...e);
  });
  if (ips.length > 2) errs.push(field.invalid("spec.clusterIPs", ips, "may only hold up to 2 values"));
  if (badIPs) return errs;
  if (ips.length > 1 && familyOf(ips[0]) === familyOf(ips[1])) {
    errs.push(field.invalid("spec.clusterIPs", ips, "may specify no more than one IP for each IP family"));
  }
  if (!isHeadless(svc) && ips.length > 0 && (spec.ipFamilies?.length ?? 0) > 0) {
    ips.forEach((ip, i) => {
      if (i > spec.ipFamilies.length - 1) return;
      const fam = spec.ipFamilies[i];
      if (fam === "IPv4" && familyOf(ip) === "IPv6") {
        errs.push(field.invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      }
      if (fam === "IPv6" && familyOf(ip) !== "IPv6") {
        errs.push(field.invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
      }
    });
  }
  return errs;
}

function validateServicePort(sp: any, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name: string = sp?.name ?? "";
  if (requireName && !name) errs.push(field.required(`${path}.name`));
  else if (name) {
    errs.push(...invalidEach(`${path}.name`, name, isDNS1123Label(name)));
    if (names.has(name)) errs.push(field.duplicate(`${path}.name`, name));
    else names.add(name);
  }
  errs.push(...invalidEach(`${path}.port`, sp?.port ?? 0, portNumErrors(sp?.port)));
  if (!sp?.protocol) errs.push(field.required(`${path}.protocol`));
  else if (!supportedProtocols.includes(sp.protocol)) errs.push(field.notSupported(`${path}.protocol`, sp.protocol, supportedProtocols));
  errs.push(...validatePortNumOrName(`${path}.targetPort`, sp?.targetPort));
  if (sp?.appProtocol != null) errs.push(...invalidEach(`${path}.appProtocol`, sp.appProtocol, isQualifiedName(sp.appProtocol)));
  return errs;
}

const topologyHintsKey = "service.kubernetes.io/topology-aware-hints";
const topologyModeKey = "service.kubernetes.io/topology-mode";
const sourceRangesKey = "service.beta.kubernetes.io/load-balancer-source-ranges";

/** ValidateService (without the metadata checks, which the store does). */
export function validateService(svc: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = svc.spec ?? {};
  const annotations = svc.metadata.annotations ?? {};
  if (topologyModeKey in annotations && topologyHintsKey in annotations && annotations[topologyModeKey] !== annotations[topologyHintsKey]) {
    errs.push(
      field.invalid(`metadata.annotations[${topologyModeKey}]`, annotations[topologyModeKey], `must match annotations[${topologyHintsKey}] when both are specified`),
    );
  }
  const ports: any[] = Array.isArray(spec.ports) ? spec.ports : [];
  if (ports.length === 0 && !isHeadless(svc) && spec.type !== "ExternalName") errs.push(field.required("spec.ports"));
  switch (spec.type) {
    case "LoadBalancer":
      if (isHeadless(svc)) errs.push(field.invalid("spec.clusterIPs[0]", spec.clusterIPs[0], "may not be set to 'None' for LoadBalancer services"));
      break;
    case "NodePort":
      if (isHeadless(svc)) errs.push(field.invalid("spec.clusterIPs[0]", spec.clusterIPs[0], "may not be set to 'None' for NodePort services"));
      break;
    case "ExternalName": {
      if (clusterIPsOf(svc).length > 0) errs.push(field.forbidden("spec.clusterIPs", "may not be set for ExternalName services"));
      if ((spec.ipFamilies?.length ?? 0) > 0) errs.push(field.forbidden("spec.ipFamilies", "may not be set for ExternalName services"));
      if (spec.ipFamilyPolicy != null) errs.push(field.forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"));
      const cname = String(spec.externalName ?? "").replace(/\.$/, "");
      if (cname) errs.push(...invalidEach("spec.externalName", cname, isDNS1123Subdomain(cname)));
      else errs.push(field.required("spec.externalName"));
      break;
    }
  }
  const portNames = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, portNames, `spec.ports[${i}]`)));
  if (spec.selector != null) errs.push(...validateLabels(spec.selector, "spec.selector"));

  if (!spec.sessionAffinity) errs.push(field.required("spec.sessionAffinity"));
  else if (!["ClientIP", "None"].includes(spec.sessionAffinity)) {
    errs.push(field.notSupported("spec.sessionAffinity", spec.sessionAffinity, ["ClientIP", "None"]));
  }
  if (spec.sessionAffinity === "ClientIP") {
    const cfg = spec.sessionAffinityConfig;
    const when = "when session affinity type is ClientIP";
    if (cfg == null) errs.push(field.required("spec.sessionAffinityConfig", when));
    else if (cfg.clientIP == null) errs.push(field.required("spec.sessionAffinityConfig.clientIP", when));
    else if (cfg.clientIP.timeoutSeconds == null) errs.push(field.required("spec.sessionAffinityConfig.clientIP.timeoutSeconds", when));
    else if (!(cfg.clientIP.timeoutSeconds > 0 && cfg.clientIP.timeoutSeconds <= 86400)) {
      errs.push(field.invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", cfg.clientIP.timeoutSeconds, "must be greater than 0 and less than 86400"));
    }
  } else if (spec.sessionAffinity === "None" && spec.sessionAffinityConfig != null) {
    errs.push(field.forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None"));
  }

  errs.push(...validateClusterIPsRelatedFields(svc));

  (spec.externalIPs ?? []).forEach((ip: unknown, i: number) => {
    const path = `spec.externalIPs[${i}]`;
    const e = validateIP(path, ip);
    errs.push(...(e.length ? e : validateNonSpecialIP(path, ip as string)));
  });

  const types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
  if (!spec.type) errs.push(field.required("spec.type"));
  else if (!types.includes(spec.type)) errs.push(field.notSupported("spec.type", spec.type, types));

  if (spec.type === "ClusterIP") {
    ports.forEach((p, i) => {
      if (p?.nodePort) errs.push(field.forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePortKeys = new Set<string>();
  ports.forEach((p, i) => {
    if (!p?.nodePort) return;
    const key = `${p.protocol}/${p.nodePort}`;
    if (nodePortKeys.has(key)) errs.push(field.duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
    nodePortKeys.add(key);
  });
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${p?.protocol}/${p?.port}`;
    if (portKeys.has(key)) {
      errs.push(field.duplicate(`spec.ports[${i}]`, { Name: "", Protocol: p?.protocol ?? "", AppProtocol: null, Port: p?.port ?? 0, TargetPort: 0, NodePort: 0 }));
    }
    portKeys.add(key);
  });

  const ranges: unknown[] = Array.isArray(spec.loadBalancerSourceRanges) ? spec.loadBalancerSourceRanges : [];
  if (ranges.length > 0) {
    const path = "spec.LoadBalancerSourceRanges"; // sic: upstream's path is capitalised
    if (spec.type !== "LoadBalancer") errs.push(field.forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => errs.push(...validateCIDR(`${path}[${i}]`, typeof r === "string" ? r.trim() : r)));
  } else if (sourceRangesKey in annotations) {
    const path = `metadata.annotations[${sourceRangesKey}]`;
    if (spec.type !== "LoadBalancer") errs.push(field.forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
    const val = String(annotations[sourceRangesKey]).trim();
    if (val) for (const r of val.split(",")) errs.push(...validateCIDR(path, r.trim()));
  }

  if (spec.allocateLoadBalancerNodePorts != null && spec.type !== "LoadBalancer") {
    errs.push(field.forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"));
  }
  if (spec.type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts == null) {
    errs.push(field.required("allocateLoadBalancerNodePorts")); // sic: upstream omits "spec."
  }
  if (spec.type === "LoadBalancer") {
    if (spec.loadBalancerClass != null) errs.push(...invalidEach("spec.loadBalancerClass", spec.loadBalancerClass, isQualifiedName(spec.loadBalancerClass)));
  } else if (spec.loadBalancerClass != null) {
    errs.push(field.forbidden("spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'"));
  }

  if (!externallyAccessible(svc)) {
    if (spec.externalTrafficPolicy) {
      errs.push(field.invalid("spec.externalTrafficPolicy", spec.externalTrafficPolicy, "may only be set for externally-accessible services"));
    }
  } else if (!spec.externalTrafficPolicy) {
    errs.push(field.required("spec.externalTrafficPolicy"));
  } else if (!["Cluster", "Local"].includes(spec.externalTrafficPolicy)) {
    errs.push(field.notSupported("spec.externalTrafficPolicy", spec.externalTrafficPolicy, ["Cluster", "Local"]));
  }
  if (!needsHealthCheck(svc)) {
    if (spec.healthCheckNodePort) {
      errs.push(
        field.invalid("spec.healthCheckNodePort", spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"),
      );
    }
  } else if (!spec.healthCheckNodePort) {
    if (!unallocated.has(svc)) errs.push(field.required("spec.healthCheckNodePort"));
  } else {
    errs.push(...invalidEach("spec.healthCheckNodePort", spec.healthCheckNodePort, portNumErrors(spec.healthCheckNodePort)));
  }

  if (spec.internalTrafficPolicy == null) {
    if (["NodePort", "LoadBalancer", "ClusterIP"].includes(spec.type)) errs.push(field.required("spec.internalTrafficPolicy"));
  } else if (!["Cluster", "Local"].includes(spec.internalTrafficPolicy)) {
    errs.push(field.notSupported("spec.internalTrafficPolicy", spec.internalTrafficPolicy, ["Cluster", "Local"]));
  }
  if (spec.trafficDistribution != null && spec.trafficDistribution !== "PreferClose") {
    errs.push(field.notSupported("spec.trafficDistribution", spec.trafficDistribution, ["PreferClose"]));
  }
  return errs;
}

/** ValidateServiceUpdate's extra checks: clusterIPs and ipFamilies may grow or shrink but not change. */
export function validateServiceUpdate(svc: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = svc.spec ?? {};
  const o = old.spec ?? {};
  const external = spec.type === "ExternalName" || o.type === "ExternalName";
  if (!external && !(isHeadless(old) && isHeadless(svc))) {
    const oldIPs = clusterIPsOf(old);
    const ips = clusterIPsOf(svc);
    if (oldIPs.length === ips.length) {
      oldIPs.forEach((ip, i) => {
        if (ip !== ips[i]) errs.push(field.invalid(`spec.clusterIPs[${i}]`, ips, "may not change once set"));
      });
    } else if (oldIPs.length > ips.length) {
      if (ips.length === 0) errs.push(field.invalid("spec.clusterIPs[0]", ips, "primary clusterIP can not be unset"));
      if (oldIPs.length > 0 && ips.length > 0 && ips[0] !== oldIPs[0]) errs.push(field.invalid("spec.clusterIPs[0]", ips, "may not change once set"));
      if (ips.length === 1 && spec.ipFamilyPolicy !== "SingleStack") {
        errs.push(field.invalid("spec.ipFamilyPolicy", spec.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary clusterIP"));
      }
    } else if (oldIPs.length > 0 && ips[0] !== oldIPs[0]) {
      errs.push(field.invalid("spec.clusterIPs[0]", ips, "may not change once set"));
    }
  }
  if (!external && isHeadless(old) === isHeadless(svc) && !isHeadless(svc)) {
    const oldF: string[] = o.ipFamilies ?? [];
    const newF: string[] = spec.ipFamilies ?? [];
    if (oldF.length === newF.length) {
      oldF.forEach((f, i) => {
        if (f !== newF[i]) errs.push(field.invalid("spec.ipFamilies[0]", newF, "may not change once set"));
      });
    } else if (oldF.length > newF.length) {
      if (clusterIPsOf(svc).length === 0) errs.push(field.invalid("spec.ipFamilies[0]", newF, "primary ipFamily can not be unset"));
      if (newF.length > 0 && newF[0] !== oldF[0]) errs.push(field.invalid("spec.ipFamilies[0]", clusterIPsOf(svc), "may not change once set"));
      if (newF.length === 1 && spec.ipFamilyPolicy !== "SingleStack") {
        errs.push(field.invalid("spec.ipFamilyPolicy", spec.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary ipFamily"));
      }
    } else if (oldF.length > 0 && newF.length > 0 && newF[0] !== oldF[0]) {
      errs.push(field.invalid("spec.ipFamilies[0]", clusterIPsOf(svc), "may not change once set"));
    }
  }
  if (o.type === "LoadBalancer" && spec.type === "LoadBalancer" && !sameJSON(o.loadBalancerClass, spec.loadBalancerClass)) {
    errs.push(field.invalid("spec.loadBalancerClass", spec.loadBalancerClass ?? null, "may not change once set"));
  }
  if (needsHealthCheck(old) && needsHealthCheck(svc) && (spec.healthCheckNodePort ?? 0) !== (o.healthCheckNodePort ?? 0)) {
    errs.push(field.forbidden("spec.healthCheckNodePort", "field is immutable"));
  }
  return errs;
}

// ---- table ------------------------------------------------------------------------------------

function externalIPCell(svc: KObject): string {
  const spec = svc.spec ?? {};
  const externalIPs: string[] = spec.externalIPs ?? [];
  switch (spec.type) {
    case "ClusterIP":
    case "NodePort":
      return externalIPs.length ? externalIPs.join(",") : "<none>";
    case "LoadBalancer": {
      const lb = new Set<string>();
      for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
        if (ing?.ip) lb.add(ing.ip);
        else if (ing?.hostname) lb.add(ing.hostname);
      }
      const lbIPs = [...lb].sort();
      if (externalIPs.length) return [...lbIPs, ...externalIPs].join(",");
      return lbIPs.length ? lbIPs.join(",") : "<pending>";
    }
    case "ExternalName":
      return spec.externalName ?? "";
  }
  return "<unknown>";
}

/** makePortString: `80/TCP`, `80:30080/TCP`, comma-separated. */
export function servicePortsCell(svc: KObject): string {
  const ports: any[] = svc.spec?.ports ?? [];
  const s = ports.map((p) => (p?.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p?.port}/${p?.protocol}`)).join(",");
  return s || "<none>";
}

export const serviceStrategy: KindStrategy = {
  group: "",
  version: "v1",
  kind: "Service",
  resource: "services",
  singular: "service",
  namespaced: true,
  shortNames: ["svc"],
  categories: ["all"],
  nameRule: "dns1035-label",
  subresources: { status: true },

  prepareForCreate(svc, ctx) {
    defaultService(svc);
    svc.status = { loadBalancer: {} };
    normalizeClusterIPs(svc, null);
    initIPFamilyFields(svc, null);
    // Upstream allocates before validating and rolls back on failure; the sandbox allocator has
    // no release, so a request that is about to fail validation allocates nothing.
    unallocated.add(svc);
    if (validateService(svc).length > 0) return;
    unallocated.delete(svc);
    if (needsClusterIP(svc) && !isHeadless(svc)) {
      if (clusterIPsOf(svc).length > 0) allocateRequestedClusterIP(svc, ctx);
      else allocateClusterIP(svc, ctx);
    }
    allocateNodePorts(svc, null, ctx);
  },

  prepareForUpdate(svc, old, ctx) {
    defaultService(svc);
    patchAllocatedValues(svc, old);
    normalizeClusterIPs(svc, old);
    dropTypeDependentFields(svc, old);
    initIPFamilyFields(svc, old);
    unallocated.add(svc);
    if (validateService(svc).length > 0 || validateServiceUpdate(svc, old).length > 0) return;
    unallocated.delete(svc);
    if (needsClusterIP(svc) && !isHeadless(svc)) {
      const ips = clusterIPsOf(svc);
      if (ips.length === 0) allocateClusterIP(svc, ctx);
      else if (!needsClusterIP(old) || clusterIPsOf(old)[0] !== ips[0]) allocateRequestedClusterIP(svc, ctx);
    }
    allocateNodePorts(svc, old, ctx);
  },

  validate: validateService,
  validateUpdate: validateServiceUpdate,
  selectableFields: (svc) => ({ "spec.clusterIP": svc.spec?.clusterIP ?? "", "spec.type": svc.spec?.type ?? "" }),

  table: {
    columns: [
      { name: "Type", type: "string", description: "How the service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.", priority: 0 },
      { name: "Cluster-IP", type: "string", description: "The IP address of the service, usually assigned randomly.", priority: 0 },
      { name: "External-IP", type: "string", description: "IP addresses or hostnames at which the service is reachable from outside the cluster.", priority: 0 },
      { name: "Port(s)", type: "string", description: "The ports exposed by the service.", priority: 0 },
      { name: "Age", type: "string", description: "Time since the object was created.", priority: 0 },
      { name: "Selector", type: "string", description: "The labels of the pods traffic is routed to.", priority: 1 },
    ],
    cells: (svc, now) => [
      svc.spec?.type ?? "",
      clusterIPsOf(svc)[0] ?? "<none>",
      externalIPCell(svc),
      servicePortsCell(svc),
      ageCell(svc.metadata.creationTimestamp, now),
      formatLabels(svc.spec?.selector),
    ],
  },
};

