import { termMatches } from "../podinfo";
import { MAX_NODE_SCORE, SKIP, unresolvable, unschedulable, type AffinityTerm, type CycleContext, type FilterPlugin, type NodeInfo, type PodInfo, type ScorePlugin, type Snapshot, type Status, type WeightedAffinityTerm } from "../types";

export const INTER_POD_AFFINITY = "InterPodAffinity";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
/** args.hardPodAffinityWeight default. */
export const HARD_POD_AFFINITY_WEIGHT = 1;

/** "key\0value" → count. */
type TopologyCounts = Map<string, number>;
const pair = (k: string, v: string) => k + "\0" + v;
const inc = (m: TopologyCounts, k: string, by = 1) => m.set(k, (m.get(k) ?? 0) + by);

export interface InterPodAffinityState {
  /** Topology pairs where an existing pod's required anti-affinity matches the incoming pod. */
  existingAntiAffinityCounts: TopologyCounts;
  /** Pairs holding pods that match all of the incoming pod's required affinity terms. */
  affinityCounts: TopologyCounts;
  /** Pairs holding pods that match one of the incoming pod's required anti-affinity terms. */
  antiAffinityCounts: TopologyCounts;
}

function matchesAll(terms: AffinityTerm[], p: PodInfo, snap: Snapshot): boolean {
  for (const t of terms) if (!termMatches(t, p, snap.namespaceLabels)) return false;
  return true;
}

export function interPodAffinityPreFilter(pod: PodInfo, snap: Snapshot): InterPodAffinityState {
  const s: InterPodAffinityState = { existingAntiAffinityCounts: new Map(), affinityCounts: new Map(), antiAffinityCounts: new Map() };
  for (const ni of snap.nodes) {
    for (const existing of ni.podsWithRequiredAntiAffinity) {
      for (const t of existing.requiredAntiAffinityTerms) {
        const v = ni.labels[t.topologyKey];
        if (v !== undefined && termMatches(t, pod, snap.namespaceLabels)) inc(s.existingAntiAffinityCounts, pair(t.topologyKey, v));
      }
    }
  }
  if (pod.requiredAffinityTerms.length || pod.requiredAntiAffinityTerms.length) {
    for (const ni of snap.nodes) {
      for (const existing of ni.pods) {
        if (pod.requiredAffinityTerms.length && matchesAll(pod.requiredAffinityTerms, existing, snap)) {
          for (const t of pod.requiredAffinityTerms) {
            const v = ni.labels[t.topologyKey];
            if (v !== undefined) inc(s.affinityCounts, pair(t.topologyKey, v));
          }
        }
        for (const t of pod.requiredAntiAffinityTerms) {
          const v = ni.labels[t.topologyKey];
          if (v !== undefined && termMatches(t, existing, snap.namespaceLabels)) inc(s.antiAffinityCounts, pair(t.topologyKey, v));
        }
      }
    }
  }
  return s;
}

export function interPodAffinityFilter(pod: PodInfo, node: NodeInfo, s: InterPodAffinityState, snap: Snapshot): Status | null {
  // Required affinity: every term's domain must hold a matching pod; the first pod of a
  // self-affine group passes when nothing in the cluster matches yet.
  let podsExist = true;
  for (const t of pod.requiredAffinityTerms) {
    const v = node.labels[t.topologyKey];
    if (v === undefined) return unresolvable(ERR_REASON_AFFINITY);
    if ((s.affinityCounts.get(pair(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
  }
  if (!podsExist && !(s.affinityCounts.size === 0 && matchesAll(pod.requiredAffinityTerms, pod, snap))) {
    return unresolvable(ERR_REASON_AFFINITY);
  }
  if (s.antiAffinityCounts.size > 0) {
    for (const t of pod.requiredAntiAffinityTerms) {
      const v = node.labels[t.topologyKey];
      if (v !== undefined && (s.antiAffinityCounts.get(pair(t.topologyKey, v)) ?? 0) > 0) return unschedulable(ERR_REASON_ANTI_AFFINITY);
    }
  }
  if (s.existingAntiAffinityCounts.size > 0) {
    for (const k in node.labels) {
      if ((s.existingAntiAffinityCounts.get(pair(k, node.labels[k]!)) ?? 0) > 0) return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
    }
  }
  return null;
}

/** topologyKey → value → accumulated weight. */
export type TopologyScore = Map<string, Map<string, number>>;

function addScore(ts: TopologyScore, key: string, value: string, w: number): void {
  let m = ts.get(key);
  if (!m) ts.set(key, (m = new Map()));
  m.set(value, (m.get(value) ?? 0) + w);
}

function processTerms(ts: TopologyScore, terms: WeightedAffinityTerm[], target: PodInfo, node: NodeInfo, mult: number, snap: Snapshot): void {
  for (const t of terms) {
    if (!termMatches(t, target, snap.namespaceLabels)) continue;
    const v = node.labels[t.topologyKey];
    if (v !== undefined) addScore(ts, t.topologyKey, v, t.weight * mult);
  }
}

/** PreScore: weights of preferred terms (both directions) and existing pods' required affinity. */
export function interPodAffinityPreScore(pod: PodInfo, snap: Snapshot): TopologyScore | null {
  const hasConstraints = pod.preferredAffinityTerms.length + pod.preferredAntiAffinityTerms.length > 0;
  const ts: TopologyScore = new Map();
  for (const ni of snap.nodes) {
    const candidates = hasConstraints ? ni.pods : ni.podsWithAffinity;
    if (candidates.length === 0) continue;
    let hasLabels = false;
    for (const _ in ni.labels) { hasLabels = true; break; }
    if (!hasLabels) continue;
    for (const existing of candidates) {
      processTerms(ts, pod.preferredAffinityTerms, existing, ni, 1, snap);
      processTerms(ts, pod.preferredAntiAffinityTerms, existing, ni, -1, snap);
      for (const t of existing.requiredAffinityTerms) {
        if (!termMatches(t, pod, snap.namespaceLabels)) continue;
        const v = ni.labels[t.topologyKey];
        if (v !== undefined) addScore(ts, t.topologyKey, v, HARD_POD_AFFINITY_WEIGHT);
      }
      processTerms(ts, existing.preferredAffinityTerms, pod, ni, 1, snap);
      processTerms(ts, existing.preferredAntiAffinityTerms, pod, ni, -1, snap);
    }
  }
  return ts.size === 0 ? null : ts;
}

export function interPodAffinityScore(node: NodeInfo, ts: TopologyScore): number {
  let score = 0;
  for (const [key, values] of ts) {
    const v = node.labels[key];
    if (v !== undefined) score += values.get(v) ?? 0;
  }
  return score;
}

const FILTER_KEY = "PreFilter" + INTER_POD_AFFINITY;
const SCORE_KEY = "PreScore" + INTER_POD_AFFINITY;

export const interPodAffinity: FilterPlugin & ScorePlugin = {
  name: INTER_POD_AFFINITY,
  preFilter: (ctx: CycleContext) => {
    ctx.state.set(FILTER_KEY, interPodAffinityPreFilter(ctx.pod, ctx.snapshot));
    return null;
  },
  filter: (ctx, node) => interPodAffinityFilter(ctx.pod, node, ctx.state.get(FILTER_KEY) as InterPodAffinityState, ctx.snapshot),
  preScore: (ctx) => {
    const ts = interPodAffinityPreScore(ctx.pod, ctx.snapshot);
    if (!ts) return SKIP;
    ctx.state.set(SCORE_KEY, ts);
    return null;
  },
  score: (ctx, node) => interPodAffinityScore(node, ctx.state.get(SCORE_KEY) as TopologyScore),
  normalizeScore: (_ctx, scores) => {
    let min = Infinity;
    let max = -Infinity;
    for (const s of scores) {
      if (s.score > max) max = s.score;
      if (s.score < min) min = s.score;
    }
    const diff = max - min;
    for (const s of scores) s.score = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((s.score - min) / diff)) : 0;
  },
};
