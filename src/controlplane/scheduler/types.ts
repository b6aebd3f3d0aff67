/**
 * The kube-scheduler framework, reduced to what the sandbox needs: pure plugins over plain
 * objects (no I/O). Shapes follow pkg/scheduler/framework: a Status per Filter call, integer
 * scores in [0, 100] after NormalizeScore, and a CycleState scratchpad per scheduling cycle.
 */
import type { KObject } from "../../registry/types";
import type { LabelSelector } from "../../apiserver/selectors/labels";

export const MAX_NODE_SCORE = 100;

export type Code = "Success" | "Unschedulable" | "UnschedulableAndUnresolvable" | "Skip";

export interface Status {
  code: Code;
  /** Upstream's reason strings, counted as-is into the FitError histogram. */
  reasons: string[];
  /** The plugin that returned it (set by the framework). */
  plugin?: string;
}

export function unschedulable(...reasons: string[]): Status {
  return { code: "Unschedulable", reasons };
}
export function unresolvable(...reasons: string[]): Status {
  return { code: "UnschedulableAndUnresolvable", reasons };
}
export const SKIP: Status = { code: "Skip", reasons: [] };

/** Resource amounts as upstream's framework.Resource: milli-CPU, bytes, whole units for the rest. */
export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Pod count (allocatable: allowed pods; requested: pods on the node). */
  pods: number;
  /** Everything else (extended resources, hugepages-*), in Value() units. */
  scalar: Map<string, number>;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** A pod-(anti-)affinity term, resolved once: namespaces + selector + topology key. */
export interface AffinityTerm {
  namespaces: Set<string>;
  /** null: no namespace selector (matches no namespace by itself). */
  namespaceSelector: LabelSelector | null;
  selector: LabelSelector;
  topologyKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

/** Everything the plugins need from a pod, derived once per pod object (cached on a WeakMap). */
export interface PodInfo {
  pod: KObject;
  name: string;
  namespace: string;
  labels: Record<string, string>;
  terminating: boolean;
  priority: number;
  /** PodRequests: max(sum of containers + sidecars, max init) + overhead. */
  requests: Resource;
  /** The same with 100m CPU / 200Mi memory for containers that request none (scoring only). */
  nonZeroCPU: number;
  nonZeroMemory: number;
  hostPorts: HostPort[];
  tolerations: Toleration[];
  requiredAffinityTerms: AffinityTerm[];
  requiredAntiAffinityTerms: AffinityTerm[];
  preferredAffinityTerms: WeightedAffinityTerm[];
  preferredAntiAffinityTerms: WeightedAffinityTerm[];
}

/** A node and the pods assigned to it, with their aggregate requests (framework.NodeInfo). */
export interface NodeInfo {
  node: KObject;
  name: string;
  labels: Record<string, string>;
  taints: Taint[];
  unschedulable: boolean;
  allocatable: Resource;
  pods: PodInfo[];
  requested: Resource;
  nonZeroRequestedCPU: number;
  nonZeroRequestedMemory: number;
  /** hostIP → set of `protocol/port`. */
  usedPorts: Map<string, Set<string>>;
  podsWithAffinity: PodInfo[];
  podsWithRequiredAntiAffinity: PodInfo[];
  /** Image name (as listed in node.status.images) → size in bytes. */
  images: Map<string, number>;
}

/** All nodes of one scheduling cycle (or a batch of cycles, updated by `assume`). */
export interface Snapshot {
  nodes: NodeInfo[];
  byName: Map<string, NodeInfo>;
  /** Image name → number of nodes that have it (ImageLocality spread). */
  imageNodeCount: Map<string, number>;
  /** Namespace → labels, for namespaceSelector in affinity terms. */
  namespaceLabels: (namespace: string) => Record<string, string>;
}

/** Per-cycle scratchpad, keyed by plugin name. */
export type CycleState = Map<string, unknown>;

export interface CycleContext {
  pod: PodInfo;
  snapshot: Snapshot;
  state: CycleState;
}

export interface PreFilterPlugin {
  /** null: success. A non-success status marks every node with it. */
  preFilter?(ctx: CycleContext): Status | null;
}

export interface FilterPlugin extends PreFilterPlugin {
  name: string;
  /** null: the node passes. */
  filter(ctx: CycleContext, node: NodeInfo): Status | null;
}

export interface NodeScore {
  name: string;
  score: number;
}

export interface ScorePlugin {
  name: string;
  /** Return SKIP when the plugin has nothing to say for this pod. */
  preScore?(ctx: CycleContext, feasible: NodeInfo[]): Status | null;
  score(ctx: CycleContext, node: NodeInfo): number;
  /** Rewrites the scores in place to [0, MAX_NODE_SCORE]. */
  normalizeScore?(ctx: CycleContext, scores: NodeScore[]): void;
}

/** Upstream's helper.DefaultNormalizeScore. */
export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: NodeScore[]): void {
  let max = 0;
  for (const s of scores) if (s.score > max) max = s.score;
  if (max === 0) {
    if (reverse) for (const s of scores) s.score = maxPriority;
    return;
  }
  for (const s of scores) {
    let v = Math.trunc((maxPriority * s.score) / max);
    if (reverse) v = maxPriority - v;
    s.score = v;
  }
}
