import { labelSelectorAsSelector, nothing, type LabelSelector, type LabelSelectorObject } from "../../../apiserver/selectors/labels";
import { firstUntoleratedTaint } from "../podinfo";
import { MAX_NODE_SCORE, SKIP, unresolvable, unschedulable, type FilterPlugin, type NodeInfo, type NodeScore, type PodInfo, type ScorePlugin, type Snapshot, type Status } from "../types";
import { requiredNodeAffinityMatches } from "./node-affinity";

export const POD_TOPOLOGY_SPREAD = "PodTopologySpread";
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)";
const HOSTNAME = "kubernetes.io/hostname";

export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelSelector;
  minDomains: number;
  honorNodeAffinity: boolean;
  honorNodeTaints: boolean;
}

const constraintCache = new WeakMap<PodInfo, { hard: Constraint[]; soft: Constraint[] }>();

/** The pod's constraints split by whenUnsatisfiable, matchLabelKeys folded into the selector. */
export function constraintsOf(pod: PodInfo): { hard: Constraint[]; soft: Constraint[] } {
  let c = constraintCache.get(pod);
  if (c) return c;
  c = { hard: [], soft: [] };
  for (const raw of pod.pod.spec?.topologySpreadConstraints ?? []) {
    let ls: LabelSelectorObject | null | undefined = raw?.labelSelector;
    const keys: string[] = raw?.matchLabelKeys ?? [];
    if (ls && keys.length) {
      const exprs = [...(ls.matchExpressions ?? [])];
      for (const k of keys) if (k in pod.labels) exprs.push({ key: k, operator: "In", values: [pod.labels[k]!] });
      ls = { matchLabels: ls.matchLabels, matchExpressions: exprs };
    }
    let selector: LabelSelector;
    try {
      selector = labelSelectorAsSelector(ls);
    } catch {
      selector = nothing();
    }
    const constraint: Constraint = {
      maxSkew: Number(raw?.maxSkew ?? 1),
      topologyKey: raw?.topologyKey ?? "",
      selector,
      minDomains: Number(raw?.minDomains ?? 1),
      honorNodeAffinity: (raw?.nodeAffinityPolicy ?? "Honor") === "Honor",
      honorNodeTaints: (raw?.nodeTaintsPolicy ?? "Ignore") === "Honor",
    };
    (raw?.whenUnsatisfiable === "ScheduleAnyway" ? c.soft : c.hard).push(constraint);
  }
  constraintCache.set(pod, c);
  return c;
}

function hasAllKeys(labels: Record<string, string>, cs: Constraint[]): boolean {
  for (const c of cs) if (!Object.prototype.hasOwnProperty.call(labels, c.topologyKey)) return false;
  return true;
}

function matchesInclusionPolicies(c: Constraint, pod: PodInfo, node: NodeInfo): boolean {
  if (c.honorNodeAffinity && !requiredNodeAffinityMatches(pod.pod, node.labels, node.name)) return false;
  if (c.honorNodeTaints && firstUntoleratedTaint(node.taints, pod.tolerations)) return false;
  return true;
}

/** Matching pods on the node: same namespace, not terminating. */
export function countMatching(pods: PodInfo[], selector: LabelSelector, namespace: string): number {
  let n = 0;
  for (const p of pods) if (!p.terminating && p.namespace === namespace && selector.matches(p.labels)) n++;
  return n;
}

export interface SpreadFilterState {
  constraints: Constraint[];
  /** Per constraint: topology value → matching pods. */
  counts: Map<string, number>[];
}

export function podTopologySpreadPreFilter(pod: PodInfo, snap: Snapshot): SpreadFilterState | null {
  const constraints = constraintsOf(pod).hard;
  if (constraints.length === 0) return null;
  const counts = constraints.map(() => new Map<string, number>());
  for (const ni of snap.nodes) {
    if (!hasAllKeys(ni.labels, constraints)) continue;
    constraints.forEach((c, i) => {
      if (!matchesInclusionPolicies(c, pod, ni)) return;
      const v = ni.labels[c.topologyKey]!;
      counts[i]!.set(v, (counts[i]!.get(v) ?? 0) + countMatching(ni.pods, c.selector, pod.namespace));
    });
  }
  return { constraints, counts };
}

export function podTopologySpreadFilter(pod: PodInfo, node: NodeInfo, s: SpreadFilterState | null): Status | null {
  if (!s) return null;
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i]!;
    const v = node.labels[c.topologyKey];
    if (v === undefined) return unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
    const m = s.counts[i]!;
    let min = 0;
    if (m.size >= c.minDomains) {
      min = Infinity;
      for (const n of m.values()) if (n < min) min = n;
      if (min === Infinity) min = 0;
    }
    const self = c.selector.matches(pod.labels) ? 1 : 0;
    if ((m.get(v) ?? 0) + self - min > c.maxSkew) return unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
  }
  return null;
}

export interface SpreadScoreState {
  constraints: Constraint[];
  ignored: Set<string>;
  /** Per constraint (non-hostname): value → matching pods. */
  counts: Map<string, number>[];
  weights: number[];
}

export function podTopologySpreadPreScore(pod: PodInfo, snap: Snapshot, feasible: NodeInfo[]): SpreadScoreState | null {
  const constraints = constraintsOf(pod).soft;
  if (constraints.length === 0) return null;
  const ignored = new Set<string>();
  const counts = constraints.map(() => new Map<string, number>());
  const sizes = constraints.map(() => 0);
  for (const ni of feasible) {
    if (!hasAllKeys(ni.labels, constraints)) {
      ignored.add(ni.name);
      continue;
    }
    constraints.forEach((c, i) => {
      if (c.topologyKey === HOSTNAME) return;
      const v = ni.labels[c.topologyKey]!;
      if (!counts[i]!.has(v)) {
        counts[i]!.set(v, 0);
        sizes[i]!++;
      }
    });
  }
  const weights = constraints.map((c, i) => Math.log((c.topologyKey === HOSTNAME ? feasible.length - ignored.size : sizes[i]!) + 2));
  for (const ni of snap.nodes) {
    if (!hasAllKeys(ni.labels, constraints)) continue;
    constraints.forEach((c, i) => {
      if (c.topologyKey === HOSTNAME || !matchesInclusionPolicies(c, pod, ni)) return;
      const v = ni.labels[c.topologyKey]!;
      const cur = counts[i]!.get(v);
      if (cur === undefined) return;
      counts[i]!.set(v, cur + countMatching(ni.pods, c.selector, pod.namespace));
    });
  }
  return { constraints, ignored, counts, weights };
}

export function podTopologySpreadScore(pod: PodInfo, node: NodeInfo, s: SpreadScoreState): number {
  if (s.ignored.has(node.name)) return 0;
  let score = 0;
  s.constraints.forEach((c, i) => {
    const v = node.labels[c.topologyKey];
    if (v === undefined) return;
    const cnt = c.topologyKey === HOSTNAME ? countMatching(node.pods, c.selector, pod.namespace) : (s.counts[i]!.get(v) ?? 0);
    score += cnt * s.weights[i]! + (c.maxSkew - 1);
  });
  return Math.round(score);
}

/** Fewer matching pods → higher score; ignored nodes get 0. */
export function podTopologySpreadNormalize(s: SpreadScoreState, scores: NodeScore[]): void {
  let min = Infinity;
  let max = 0;
  for (const sc of scores) {
    if (s.ignored.has(sc.name)) continue;
    if (sc.score < min) min = sc.score;
    if (sc.score > max) max = sc.score;
  }
  for (const sc of scores) {
    if (s.ignored.has(sc.name)) sc.score = 0;
    else if (max === 0) sc.score = MAX_NODE_SCORE;
    else sc.score = Math.trunc((MAX_NODE_SCORE * (max + min - sc.score)) / max);
  }
}

const FILTER_KEY = "PreFilter" + POD_TOPOLOGY_SPREAD;
const SCORE_KEY = "PreScore" + POD_TOPOLOGY_SPREAD;

export const podTopologySpread: FilterPlugin & ScorePlugin = {
  name: POD_TOPOLOGY_SPREAD,
  preFilter: (ctx) => {
    ctx.state.set(FILTER_KEY, podTopologySpreadPreFilter(ctx.pod, ctx.snapshot));
    return null;
  },
  filter: (ctx, node) => podTopologySpreadFilter(ctx.pod, node, ctx.state.get(FILTER_KEY) as SpreadFilterState | null),
  preScore: (ctx, feasible) => {
    const s = podTopologySpreadPreScore(ctx.pod, ctx.snapshot, feasible);
    if (!s) return SKIP;
    ctx.state.set(SCORE_KEY, s);
    return null;
  },
  score: (ctx, node) => podTopologySpreadScore(ctx.pod, node, ctx.state.get(SCORE_KEY) as SpreadScoreState),
  normalizeScore: (ctx, scores) => podTopologySpreadNormalize(ctx.state.get(SCORE_KEY) as SpreadScoreState, scores),
};
