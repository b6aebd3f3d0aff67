import type { KObject } from "../../../registry/types";
import { defaultNormalizeScore, MAX_NODE_SCORE, SKIP, unresolvable, type FilterPlugin, type NodeInfo, type PodInfo, type ScorePlugin, type Status } from "../types";

export const NODE_AFFINITY = "NodeAffinity";
export const ERR_REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}
interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

function parseIntStrict(s: string | undefined): number | undefined {
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return undefined;
  return Number(s);
}

function requirementMatches(r: NodeSelectorRequirement, has: boolean, v: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case "In":
      return has && values.includes(v!);
    case "NotIn":
      return !has || !values.includes(v!);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      if (!has || values.length !== 1) return false;
      const a = parseIntStrict(v);
      const b = parseIntStrict(values[0]);
      if (a === undefined || b === undefined) return false;
      return r.operator === "Gt" ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** A NodeSelectorTerm: all expressions and fields (metadata.name only); an empty term matches nothing. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm | null | undefined, labels: Record<string, string>, name: string): boolean {
  const exprs = term?.matchExpressions ?? [];
  const fields = term?.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  for (const r of exprs) if (!requirementMatches(r, Object.prototype.hasOwnProperty.call(labels, r.key), labels[r.key])) return false;
  for (const r of fields) {
    if (r.key !== "metadata.name") return false;
    if (!requirementMatches(r, true, name)) return false;
  }
  return true;
}

/** nodeaffinity.GetRequiredNodeAffinity(pod).Match(node): nodeSelector AND any required term. */
export function requiredNodeAffinityMatches(pod: KObject, labels: Record<string, string>, name: string): boolean {
  const sel: Record<string, string> | undefined = pod.spec?.nodeSelector;
  if (sel) for (const k in sel) if (labels[k] !== sel[k]) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) {
    const terms: NodeSelectorTerm[] = required.nodeSelectorTerms ?? [];
    let ok = false;
    for (const t of terms) if (nodeSelectorTermMatches(t, labels, name)) { ok = true; break; }
    if (!ok) return false;
  }
  return true;
}

export function nodeAffinityFilter(pod: PodInfo, node: NodeInfo): Status | null {
  return requiredNodeAffinityMatches(pod.pod, node.labels, node.name) ? null : unresolvable(ERR_REASON_NODE_AFFINITY);
}

/** Sum of the weights of the preferred terms the node matches. */
export function nodeAffinityScore(pod: PodInfo, node: NodeInfo): number {
  const prefs = pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  let sum = 0;
  for (const p of prefs) {
    const w = Number(p?.weight ?? 0);
    if (w !== 0 && nodeSelectorTermMatches(p.preference, node.labels, node.name)) sum += w;
  }
  return sum;
}

export const nodeAffinity: FilterPlugin & ScorePlugin = {
  name: NODE_AFFINITY,
  filter: (ctx, node) => nodeAffinityFilter(ctx.pod, node),
  preScore: (ctx) => ((ctx.pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).length ? null : SKIP),
  score: (ctx, node) => nodeAffinityScore(ctx.pod, node),
  normalizeScore: (_ctx, scores) => defaultNormalizeScore(MAX_NODE_SCORE, false, scores),
};
