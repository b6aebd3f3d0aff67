/**
 * The Endpoints controller (k8s.io/kubernetes pkg/controller/endpoint): for every Service with a
 * selector, keeps the core/v1 Endpoints of the same name listing the selected pods — ready ones
 * in `subsets[].addresses`, the others in `notReadyAddresses` (all of them ready when the Service
 * sets `publishNotReadyAddresses`) — with the ports resolved per pod from each service port's
 * `targetPort` (a number, or a container port name looked up in the pod), then repacked as
 * endpoints.RepackSubsets does: each port maps to the set of (address, ready) offering it, and
 * ports offered by exactly the same set share a subset.
 *
 * As upstream (1.33+): the Endpoints carries the Service's labels, plus
 * `service.kubernetes.io/headless` for a headless Service and `endpoints.kubernetes.io/managed-by:
 * endpoint-controller`; the annotation `endpoints.kubernetes.io/last-change-trigger-time` is set on
 * each write; more than 1000 addresses are truncated (ready ones kept first) and flagged with
 * `endpoints.kubernetes.io/over-capacity: truncated`. Pods without an IP, terminal pods and
 * terminating pods (unless publishNotReadyAddresses) are left out. Services without a selector are
 * left alone (their Endpoints are the user's); a key whose Service is gone deletes the Endpoints
 * only if this controller manages it. The apiserver's own `default/kubernetes` is never touched.
 *
 * Differences from upstream: upstream's TriggerTimeTracker remembers the state seen at the last
 * sync and reports the earliest change since; being stateless, this reports the latest change
 * time among the Service (creation) and the selected pods (Ready transition, else creation).
 * Subsets, addresses and ports are sorted by value rather than by upstream's object hashes.
 *
 * Watch events → keys (reconciler `endpoints`): a Service event enqueues itself (add, update,
 * delete); a Pod event enqueues {@link serviceKeysForPod} — for an update, of both the old and the
 * new pod (labels may have changed); an Endpoints *delete* enqueues its own `ns/name` (so a
 * Service's Endpoints deleted by hand is recreated), other Endpoints events enqueue nothing.
 */
import type { Registry } from "../../registry/registry";
import { formatTime } from "../../registry/clock";
import { selectEverything } from "../../registry/selection";
import type { KObject, UserInfo } from "../../registry/types";
import type { Reconciler } from "../runtime";
import { clone, getOrNull, isConflictOrNotFound, isNotFound, isPodReady, objectKey, splitKey, createdMs } from "./workloads";

export const ENDPOINT_CONTROLLER = "endpoint-controller";
export const LABEL_MANAGED_BY = "endpoints.kubernetes.io/managed-by";
export const LABEL_HEADLESS = "service.kubernetes.io/headless";
export const LAST_CHANGE_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";
export const OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity";
/** Upstream's maxCapacity: most addresses one Endpoints object keeps. */
export const MAX_CAPACITY = 1000;

export interface EndpointsDeps {
  registry: Registry;
  user: UserInfo;
  /** Wall-clock ms; the trigger time falls back to it when nothing else is known. */
  now?(): number;
}

/* eslint-disable @typescript-eslint/no-explicit-any */

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind: "Pod"; namespace: string; name: string; uid: string };
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** A Service's selector as upstream reads it: nil or empty means "no selector" (user-managed endpoints). */
export function serviceSelector(svc: KObject): Record<string, string> | null {
  const sel = svc.spec?.selector;
  if (!sel || typeof sel !== "object" || Object.keys(sel).length === 0) return null;
  return sel as Record<string, string>;
}

/** Whether a Service's (map) selector selects these labels. */
export function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const k in selector) if (l[k] !== selector[k]) return false;
  return true;
}

function isApiserverEndpoints(namespace: string, name: string): boolean {
  return namespace === "default" && name === "kubernetes";
}

/** The keys a pod event enqueues: every Service of the pod's namespace whose selector selects it. */
export function serviceKeysForPod(pod: KObject, services: readonly KObject[]): string[] {
  const out: string[] = [];
  for (const svc of services) {
    if (svc.metadata.namespace !== pod.metadata.namespace) continue;
    const sel = serviceSelector(svc);
    if (sel && selects(sel, pod.metadata.labels)) out.push(objectKey(svc));
  }
  return out;
}

// ---- pure pieces --------------------------------------------------------------------------------

/** podutil.FindPort: the container port a service port's targetPort names, or null. */
export function findPort(pod: KObject, servicePort: any): number | null {
  const target = servicePort?.targetPort;
  if (target === undefined || target === null || target === "" || target === 0) return typeof servicePort?.port === "number" ? servicePort.port : null;
  if (typeof target === "number") return target;
  const protocol = servicePort?.protocol || "TCP";
  const containers: any[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c: any) => c?.restartPolicy === "Always")];
  for (const c of containers) {
    for (const p of c?.ports ?? []) {
      if (p?.name === target && (p.protocol || "TCP") === protocol) return p.containerPort;
    }
  }
  return null;
}

/** endpointsliceutil.ShouldPodBeInEndpoints. */
export function shouldPodBeInEndpoints(pod: KObject, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return false;
  if (!pod.status?.podIP && !(pod.status?.podIPs ?? []).length) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** endpointutil.ShouldSetHostname: the pod sets a hostname and names this Service as its subdomain. */
export function shouldSetHostname(pod: KObject, svc: KObject): boolean {
  return !!pod.spec?.hostname && pod.spec?.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace;
}

function podAddress(pod: KObject, svc: KObject): EndpointAddress {
  const ip: string = pod.status?.podIP || pod.status?.podIPs?.[0]?.ip;
  const addr: EndpointAddress = { ip };
  if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec.hostname;
  if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
  addr.targetRef = { kind: "Pod", namespace: pod.metadata.namespace!, name: pod.metadata.name!, uid: pod.metadata.uid! };
  return addr;
}

const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
const portKey = (p: EndpointPort) => `${p.name ?? ""}\u0000${p.port}\u0000${p.protocol}\u0000${p.appProtocol ?? ""}`;
const addrKey = (a: EndpointAddress) => `${a.ip}\u0000${a.targetRef?.uid ?? ""}`;

/** Orders IPv4 addresses numerically, anything else as strings. */
export function ipOrder(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  if (pa.length === 4 && pb.length === 4 && pa.every(Number.isFinite) && pb.every(Number.isFinite)) {
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
    return 0;
  }
  return cmp(a, b);
}
const byAddress = (a: EndpointAddress, b: EndpointAddress) => ipOrder(a.ip, b.ip) || cmp(a.targetRef?.uid ?? "", b.targetRef?.uid ?? "");
const byPort = (a: EndpointPort, b: EndpointPort) => cmp(a.name ?? "", b.name ?? "") || a.port - b.port || cmp(a.protocol, b.protocol);

/**
 * endpoints.RepackSubsets over (address, ready, port | none) entries: each port maps to the set of
 * addresses offering it (ready wins over not-ready for one address and port), and ports with
 * exactly the same address set (readiness included) share a subset. Sorted: addresses by IP, ports by name/number, subsets by first address.
 */
export function repackSubsets(entries: readonly { address: EndpointAddress; ready: boolean; port: EndpointPort | null }[]): EndpointSubset[] {
  const addrs = new Map<string, EndpointAddress>();
  // port key → (address key → ready)
  const portAddrs = new Map<string, { port: EndpointPort | null; set: Map<string, boolean> }>();
  for (const e of entries) {
    const ak = addrKey(e.address);
    if (!addrs.has(ak)) addrs.set(ak, e.address);
    const pk = e.port ? portKey(e.port) : "";
    let slot = portAddrs.get(pk);
    if (!slot) portAddrs.set(pk, (slot = { port: e.port, set: new Map() }));
    if (!slot.set.get(ak)) slot.set.set(ak, e.ready);
  }
  // address-set key → ports
  const groups = new Map<string, { set: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, set } of portAddrs.values()) {
    const key = [...set.entries()].map(([k, r]) => `${k}\u0000${r ? 1 : 0}`).sort().join("\u0001");
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { set, ports: [] }));
    if (port) g.ports.push(port);
  }
  const out: EndpointSubset[] = [];
  for (const { set, ports } of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [k, r] of set) (r ? ready : notReady).push(addrs.get(k)!);
    const subset: EndpointSubset = {};
    if (ready.length) subset.addresses = ready.sort(byAddress);
    if (notReady.length) subset.notReadyAddresses = notReady.sort(byAddress);
    if (ports.length) subset.ports = ports.sort(byPort);
    out.push(subset);
  }
  const first = (s: EndpointSubset) => (s.addresses ?? s.notReadyAddresses ?? [])[0];
  return out.sort((a, b) => byAddress(first(a), first(b)) || cmp((a.ports ?? []).map(portKey).join(), (b.ports ?? []).map(portKey).join()));
}

/** When a pod last changed as the trigger-time tracker sees it: its Ready transition, else its creation. */
export function podTriggerTime(pod: KObject): number {
  const ready = (pod.status?.conditions ?? []).find((c: { type: string }) => c.type === "Ready");
  const t = ready?.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return Number.isNaN(t) ? createdMs(pod) : t;
}

export interface DesiredEndpoints {
  subsets: EndpointSubset[];
  labels: Record<string, string>;
  /** The over-capacity annotation's value, or null. */
  overCapacity: string | null;
  /** Epoch ms of the latest change that fed into the subsets (0 when unknown). */
  triggerTime: number;
}

/** The Endpoints a Service with a selector should have, given the pods of its namespace. */
export function desiredEndpoints(svc: KObject, pods: readonly KObject[]): DesiredEndpoints {
  const selector = serviceSelector(svc) ?? {};
  const tolerateUnready = svc.spec?.publishNotReadyAddresses === true;
  const headless = svc.spec?.clusterIP === "None";
  const servicePorts: any[] = svc.spec?.ports ?? [];
  const entries: { address: EndpointAddress; ready: boolean; port: EndpointPort | null }[] = [];
  let triggerTime = createdMs(svc);
  for (const pod of pods) {
    if (pod.metadata.namespace !== svc.metadata.namespace || !selects(selector, pod.metadata.labels)) continue;
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    triggerTime = Math.max(triggerTime, podTriggerTime(pod));
    const address = podAddress(pod, svc);
    const ready = tolerateUnready || isPodReady(pod);
    if (servicePorts.length === 0) {
      if (headless) entries.push({ address, ready, port: null });
      continue;
    }
    for (const sp of servicePorts) {
      const port = findPort(pod, sp);
      if (port === null) continue;
      const epp: EndpointPort = { port, protocol: sp.protocol || "TCP" };
      if (sp.name) epp.name = sp.name;
      if (sp.appProtocol) epp.appProtocol = sp.appProtocol;
      entries.push({ address, ready, port: epp });
    }
  }
  let subsets = repackSubsets(entries);
  let overCapacity: string | null = null;
  const total = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0), 0);
  if (total > MAX_CAPACITY) {
    overCapacity = "truncated";
    subsets = truncateSubsets(subsets, MAX_CAPACITY);
  }
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  if (headless) labels[LABEL_HEADLESS] = "";
  else delete labels[LABEL_HEADLESS];
  labels[LABEL_MANAGED_BY] = ENDPOINT_CONTROLLER;
  return { subsets, labels, overCapacity, triggerTime };
}

/** truncateEndpoints: keeps `max` addresses, ready ones first, each subset its proportional share. */
function truncateSubsets(subsets: EndpointSubset[], max: number): EndpointSubset[] {
  const total = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0), 0);
  const ready = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
  const truncateReady = ready > max;
  const toRemove = total - max;
  let removed = 0;
  const out = subsets.map((s) => ({ ...s, addresses: s.addresses ? [...s.addresses] : undefined, notReadyAddresses: s.notReadyAddresses ? [...s.notReadyAddresses] : undefined }));
  for (let i = 0; i < out.length && removed < toRemove; i++) {
    const s = out[i];
    const list = truncateReady ? s.addresses : s.notReadyAddresses;
    if (!list) continue;
    const base = truncateReady ? ready - max : total - ready;
    const share = i === out.length - 1 ? toRemove - removed : Math.min(list.length, Math.ceil((list.length / Math.max(1, truncateReady ? ready : total - ready)) * base));
    const cut = Math.min(list.length, share, toRemove - removed);
    list.splice(list.length - cut, cut);
    removed += cut;
  }
  if (truncateReady) for (const s of out) delete s.notReadyAddresses;
  return out
    .map((s) => {
      const t: EndpointSubset = {};
      if (s.addresses?.length) t.addresses = s.addresses;
      if (s.notReadyAddresses?.length) t.notReadyAddresses = s.notReadyAddresses;
      if (s.ports) t.ports = s.ports;
      return t;
    })
    .filter((s) => s.addresses || s.notReadyAddresses);
}

/** JSON with object keys sorted and undefined members dropped: equal values, equal strings. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** The stored subsets with protocol defaults applied, for comparison (ignoring targetRef resourceVersion). */
function normalizedSubsets(subsets: unknown): string {
  const list: any[] = Array.isArray(subsets) ? clone(subsets) : [];
  for (const s of list) {
    for (const a of [...(s?.addresses ?? []), ...(s?.notReadyAddresses ?? [])]) if (a?.targetRef) delete a.targetRef.resourceVersion;
    if (Array.isArray(s?.addresses) && s.addresses.length === 0) delete s.addresses;
    if (Array.isArray(s?.notReadyAddresses) && s.notReadyAddresses.length === 0) delete s.notReadyAddresses;
    if (Array.isArray(s?.ports) && s.ports.length === 0) delete s.ports;
  }
  return canonical(list);
}

// ---- the reconciler ----------------------------------------------------------------------------

export function endpointsReconciler(deps: EndpointsDeps): Reconciler {
  const services = deps.registry.resource("", "services");
  const pods = deps.registry.resource("", "pods");
  const endpoints = deps.registry.resource("", "endpoints");
  const now = () => (deps.now ? deps.now() : Date.now());

  return async (key) => {
    const [namespace, name] = splitKey(key);
    if (isApiserverEndpoints(namespace, name)) return;
    const svc = getOrNull(services, namespace, name);
    const current = getOrNull(endpoints, namespace, name);
    if (!svc) {
      // The Service is gone: its Endpoints goes with it, if it is ours.
      if (current && current.metadata.labels?.[LABEL_MANAGED_BY] === ENDPOINT_CONTROLLER) {
        try {
          await endpoints.delete(namespace, name, { user: deps.user, preconditions: { uid: current.metadata.uid } });
        } catch (e) {
          if (!isConflictOrNotFound(e)) throw e;
        }
      }
      return;
    }
    if (!serviceSelector(svc)) return;
    if (svc.metadata.deletionTimestamp) return;

    const all = pods.list(namespace, { selection: selectEverything }).items;
    const want = desiredEndpoints(svc, all);

    const labelsEqual = canonical(current?.metadata.labels ?? {}) === canonical(want.labels);
    const capacityEqual = (current?.metadata.annotations?.[OVER_CAPACITY] ?? null) === want.overCapacity;
    if (current && labelsEqual && capacityEqual && normalizedSubsets(current.subsets) === normalizedSubsets(want.subsets)) return;

    const trigger = formatTime(want.triggerTime || now());
    const applyMeta = (obj: KObject) => {
      obj.metadata.labels = { ...want.labels };
      const annotations: Record<string, string> = { ...(obj.metadata.annotations ?? {}) };
      annotations[LAST_CHANGE_TRIGGER_TIME] = trigger;
      if (want.overCapacity) annotations[OVER_CAPACITY] = want.overCapacity;
      else delete annotations[OVER_CAPACITY];
      obj.metadata.annotations = annotations;
      obj.subsets = clone(want.subsets);
      return obj;
    };

    if (!current) {
      // An AlreadyExists (created meanwhile) throws: the retry sees it and patches it.
      await endpoints.create(namespace, applyMeta({ apiVersion: "v1", kind: "Endpoints", metadata: { name, namespace } }), { user: deps.user });
      return;
    }
    try {
      await endpoints.patch(namespace, name, (obj) => applyMeta(obj), { user: deps.user });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      // Deleted meanwhile: the Endpoints delete event enqueues this key again.
    }
    return;
  };
}
