/**
 * PodInfo/NodeInfo construction: requests computed as resourcehelper.PodRequests, host ports,
 * tolerations and affinity terms resolved once. Pods and nodes are treated as immutable: the
 * derived data is cached per object on WeakMaps, so quantities are parsed once per object.
 */
import type { KObject } from "../../registry/types";
import { addQuantities, compareQuantities, milliValue, parseQuantity, value, type Quantity } from "../../registry/kinds/quantity";
import { labelSelectorAsSelector, nothing, type LabelSelector, type LabelSelectorObject } from "../../apiserver/selectors/labels";
import type { AffinityTerm, HostPort, NodeInfo, PodInfo, Resource, Snapshot, Taint, Toleration, WeightedAffinityTerm } from "./types";

export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

type QList = Map<string, Quantity>;

function toQList(raw: unknown): QList {
  const out: QList = new Map();
  if (!raw || typeof raw !== "object") return out;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (v === null || v === undefined) continue;
    try {
      out.set(k, parseQuantity(String(v)));
    } catch {
      /* invalid quantities never pass validation; ignore */
    }
  }
  return out;
}

function addInto(acc: QList, add: QList): void {
  for (const [k, q] of add) {
    const cur = acc.get(k);
    acc.set(k, cur ? addQuantities(cur, q) : q);
  }
}

function maxInto(acc: QList, other: QList): void {
  for (const [k, q] of other) {
    const cur = acc.get(k);
    if (!cur || compareQuantities(q, cur) > 0) acc.set(k, q);
  }
}

const DEFAULT_CPU_Q = parseQuantity("100m");
const DEFAULT_MEM_Q = parseQuantity(String(DEFAULT_MEMORY_REQUEST));

function withDefaults(reqs: QList): QList {
  if (reqs.has("cpu") && reqs.has("memory")) return reqs;
  const cp = new Map(reqs);
  if (!cp.has("cpu")) cp.set("cpu", DEFAULT_CPU_Q);
  if (!cp.has("memory")) cp.set("memory", DEFAULT_MEM_Q);
  return cp;
}

/**
 * resourcehelper.PodRequests: containers summed, restartable init containers (sidecars) added
 * to that sum and to every later init container's footprint, the max over init containers taken
 * per resource, then spec.overhead added. With `nonMissing`, a container lacking a cpu/memory
 * request counts 100m / 200Mi (the scheduler's NonZeroRequested).
 */
export function podRequestList(pod: KObject, nonMissing = false): QList {
  const spec = pod.spec ?? {};
  const reqs: QList = new Map();
  const containerReqs = (c: { resources?: { requests?: unknown } }): QList => {
    const r = toQList(c?.resources?.requests);
    return nonMissing ? withDefaults(r) : r;
  };
  for (const c of spec.containers ?? []) addInto(reqs, containerReqs(c));
  const sidecars: QList = new Map();
  const initMax: QList = new Map();
  for (const c of spec.initContainers ?? []) {
    const r = containerReqs(c);
    if (c?.restartPolicy === "Always") {
      addInto(reqs, r);
      addInto(sidecars, r);
      maxInto(initMax, sidecars);
    } else {
      const tmp: QList = new Map();
      addInto(tmp, r);
      addInto(tmp, sidecars);
      maxInto(initMax, tmp);
    }
  }
  maxInto(reqs, initMax);
  addInto(reqs, toQList(spec.overhead));
  return reqs;
}

export function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, pods: 0, scalar: new Map() };
}

/** A resource list as framework.Resource (cpu in milli, everything else in whole units). */
export function toResource(list: QList): Resource {
  const r = emptyResource();
  for (const [k, q] of list) {
    switch (k) {
      case "cpu":
        r.milliCPU = Number(milliValue(q));
        break;
      case "memory":
        r.memory = Number(value(q));
        break;
      case "ephemeral-storage":
        r.ephemeralStorage = Number(value(q));
        break;
      case "pods":
        r.pods = Number(value(q));
        break;
      default:
        r.scalar.set(k, Number(value(q)));
    }
  }
  return r;
}

function tryLabelSelector(ls: LabelSelectorObject | null | undefined): LabelSelector {
  try {
    return labelSelectorAsSelector(ls);
  } catch {
    return nothing();
  }
}

function affinityTerm(pod: KObject, t: any): AffinityTerm {
  const namespaces = new Set<string>(Array.isArray(t?.namespaces) ? t.namespaces : []);
  const hasNsSelector = t?.namespaceSelector !== undefined && t?.namespaceSelector !== null;
  if (namespaces.size === 0 && !hasNsSelector) namespaces.add(pod.metadata.namespace ?? "default");
  return {
    namespaces,
    namespaceSelector: hasNsSelector ? tryLabelSelector(t.namespaceSelector) : null,
    selector: tryLabelSelector(mergeMatchLabelKeys(pod, t)),
    topologyKey: t?.topologyKey ?? "",
  };
}

/** matchLabelKeys / mismatchLabelKeys folded into the selector with the pod's own label values. */
function mergeMatchLabelKeys(pod: KObject, t: any): LabelSelectorObject | null | undefined {
  const ls = t?.labelSelector as LabelSelectorObject | null | undefined;
  const match: string[] = t?.matchLabelKeys ?? [];
  const mismatch: string[] = t?.mismatchLabelKeys ?? [];
  if ((!match.length && !mismatch.length) || !ls) return ls;
  const labels = pod.metadata.labels ?? {};
  const exprs = [...(ls.matchExpressions ?? [])];
  for (const k of match) if (k in labels) exprs.push({ key: k, operator: "In", values: [labels[k]!] });
  for (const k of mismatch) if (k in labels) exprs.push({ key: k, operator: "NotIn", values: [labels[k]!] });
  return { matchLabels: ls.matchLabels, matchExpressions: exprs };
}

/** AffinityTerm.Matches: namespace (listed or selected) and label selector. */
export function termMatches(term: AffinityTerm, pod: PodInfo, nsLabels: (ns: string) => Record<string, string>): boolean {
  if (!term.namespaces.has(pod.namespace)) {
    if (!term.namespaceSelector || !term.namespaceSelector.matches(nsLabels(pod.namespace))) return false;
  }
  return term.selector.matches(pod.labels);
}

export function hostPortsOf(pod: KObject): HostPort[] {
  const out: HostPort[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c?.ports ?? []) {
      const port = Number(p?.hostPort ?? 0);
      if (port > 0) out.push({ ip: p.hostIP || "0.0.0.0", protocol: p.protocol || "TCP", port });
    }
  }
  return out;
}

const podCache = new WeakMap<KObject, PodInfo>();

export function podInfoOf(pod: KObject): PodInfo {
  let info = podCache.get(pod);
  if (info) return info;
  const spec = pod.spec ?? {};
  const aff = spec.affinity ?? {};
  const nonZero = toResource(podRequestList(pod, true));
  const req = (terms: unknown): AffinityTerm[] => (Array.isArray(terms) ? terms.map((t) => affinityTerm(pod, t)) : []);
  const pref = (terms: unknown): WeightedAffinityTerm[] =>
    Array.isArray(terms)
      ? terms.filter((t) => t && Number(t.weight) !== 0).map((t) => ({ ...affinityTerm(pod, t.podAffinityTerm), weight: Number(t.weight) }))
      : [];
  info = {
    pod,
    name: pod.metadata.name ?? "",
    namespace: pod.metadata.namespace ?? "default",
    labels: pod.metadata.labels ?? {},
    terminating: !!pod.metadata.deletionTimestamp,
    priority: Number(spec.priority ?? 0),
    requests: toResource(podRequestList(pod)),
    nonZeroCPU: nonZero.milliCPU,
    nonZeroMemory: nonZero.memory,
    hostPorts: hostPortsOf(pod),
    tolerations: Array.isArray(spec.tolerations) ? spec.tolerations : [],
    requiredAffinityTerms: req(aff.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    requiredAntiAffinityTerms: req(aff.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    preferredAffinityTerms: pref(aff.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinityTerms: pref(aff.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
  };
  podCache.set(pod, info);
  return info;
}

function hasAffinity(p: PodInfo): boolean {
  return (
    p.requiredAffinityTerms.length + p.requiredAntiAffinityTerms.length + p.preferredAffinityTerms.length + p.preferredAntiAffinityTerms.length >
    0
  );
}

const allocCache = new WeakMap<KObject, Resource>();

function allocatableOf(node: KObject): Resource {
  let r = allocCache.get(node);
  if (!r) {
    r = toResource(toQList(node.status?.allocatable));
    allocCache.set(node, r);
  }
  return r;
}

export function newNodeInfo(node: KObject): NodeInfo {
  const images = new Map<string, number>();
  for (const img of node.status?.images ?? []) {
    for (const n of img?.names ?? []) images.set(n, Number(img.sizeBytes ?? 0));
  }
  return {
    node,
    name: node.metadata.name ?? "",
    labels: node.metadata.labels ?? {},
    taints: Array.isArray(node.spec?.taints) ? node.spec.taints : [],
    unschedulable: !!node.spec?.unschedulable,
    allocatable: allocatableOf(node),
    pods: [],
    requested: emptyResource(),
    nonZeroRequestedCPU: 0,
    nonZeroRequestedMemory: 0,
    usedPorts: new Map(),
    podsWithAffinity: [],
    podsWithRequiredAntiAffinity: [],
    images,
  };
}

/** NodeInfo.AddPod. */
export function addPodToNode(ni: NodeInfo, p: PodInfo): void {
  ni.pods.push(p);
  const r = ni.requested;
  r.milliCPU += p.requests.milliCPU;
  r.memory += p.requests.memory;
  r.ephemeralStorage += p.requests.ephemeralStorage;
  r.pods = ni.pods.length;
  for (const [k, v] of p.requests.scalar) r.scalar.set(k, (r.scalar.get(k) ?? 0) + v);
  ni.nonZeroRequestedCPU += p.nonZeroCPU;
  ni.nonZeroRequestedMemory += p.nonZeroMemory;
  for (const hp of p.hostPorts) {
    let set = ni.usedPorts.get(hp.ip);
    if (!set) ni.usedPorts.set(hp.ip, (set = new Set()));
    set.add(`${hp.protocol}/${hp.port}`);
  }
  if (hasAffinity(p)) ni.podsWithAffinity.push(p);
  if (p.requiredAntiAffinityTerms.length) ni.podsWithRequiredAntiAffinity.push(p);
}

function isTerminal(pod: KObject): boolean {
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed";
}

export interface SnapshotOptions {
  /** Labels of a namespace (for namespaceSelector); default: only kubernetes.io/metadata.name. */
  namespaceLabels?: (namespace: string) => Record<string, string>;
}

/**
 * Builds the cycle snapshot: every node with the non-terminal pods bound to it
 * (spec.nodeName). Pods bound to unknown nodes are ignored.
 */
export function buildSnapshot(nodes: KObject[], pods: KObject[], opts: SnapshotOptions = {}): Snapshot {
  const byName = new Map<string, NodeInfo>();
  const list: NodeInfo[] = [];
  const imageNodeCount = new Map<string, number>();
  for (const n of nodes) {
    const ni = newNodeInfo(n);
    if (byName.has(ni.name)) continue;
    byName.set(ni.name, ni);
    list.push(ni);
    for (const name of ni.images.keys()) imageNodeCount.set(name, (imageNodeCount.get(name) ?? 0) + 1);
  }
  for (const p of pods) {
    const nodeName = p.spec?.nodeName;
    if (!nodeName || isTerminal(p)) continue;
    const ni = byName.get(nodeName);
    if (ni) addPodToNode(ni, podInfoOf(p));
  }
  return {
    nodes: list,
    byName,
    imageNodeCount,
    namespaceLabels: opts.namespaceLabels ?? ((ns) => ({ "kubernetes.io/metadata.name": ns })),
  };
}

/** The scheduler cache's AssumePod: count `pod` on `nodeName` for the next cycles of a batch. */
export function assumePod(snapshot: Snapshot, pod: KObject, nodeName: string): void {
  const ni = snapshot.byName.get(nodeName);
  if (ni) addPodToNode(ni, podInfoOf(pod));
}

/** Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? "") {
    case "":
    case "Equal":
      return (t.value ?? "") === (taint.value ?? "");
    case "Exists":
      return true;
    default:
      return false;
  }
}

export function tolerationsTolerate(tolerations: Toleration[], taint: Taint): boolean {
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** v1helper.FindMatchingUntoleratedTaint restricted to NoSchedule / NoExecute taints. */
export function firstUntoleratedTaint(taints: Taint[], tolerations: Toleration[]): Taint | undefined {
  for (const taint of taints) {
    if (taint.effect !== "NoSchedule" && taint.effect !== "NoExecute") continue;
    if (!tolerationsTolerate(tolerations, taint)) return taint;
  }
  return undefined;
}
