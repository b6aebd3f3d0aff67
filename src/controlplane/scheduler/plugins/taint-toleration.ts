import { firstUntoleratedTaint, tolerationsTolerate } from "../podinfo";
import { defaultNormalizeScore, MAX_NODE_SCORE, unresolvable, type FilterPlugin, type NodeInfo, type PodInfo, type ScorePlugin, type Status, type Taint, type Toleration } from "../types";

export const TAINT_TOLERATION = "TaintToleration";

export function untoleratedTaintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ""}}`;
}

/** The first NoSchedule/NoExecute taint the pod does not tolerate rejects the node. */
export function taintTolerationFilter(pod: PodInfo, node: NodeInfo): Status | null {
  if (node.taints.length === 0) return null;
  const taint = firstUntoleratedTaint(node.taints, pod.tolerations);
  return taint ? unresolvable(untoleratedTaintReason(taint)) : null;
}

/** Number of PreferNoSchedule taints not tolerated (by tolerations with effect PreferNoSchedule or empty). */
export function intolerablePreferNoScheduleCount(tolerations: Toleration[], node: NodeInfo): number {
  let n = 0;
  for (const taint of node.taints) {
    if (taint.effect !== "PreferNoSchedule") continue;
    if (!tolerationsTolerate(tolerations, taint)) n++;
  }
  return n;
}

const KEY = "PreScore" + TAINT_TOLERATION;

export const taintToleration: FilterPlugin & ScorePlugin = {
  name: TAINT_TOLERATION,
  filter: (ctx, node) => taintTolerationFilter(ctx.pod, node),
  preScore: (ctx) => {
    ctx.state.set(KEY, ctx.pod.tolerations.filter((t) => !t.effect || t.effect === "PreferNoSchedule"));
    return null;
  },
  score: (ctx, node) => intolerablePreferNoScheduleCount(ctx.state.get(KEY) as Toleration[], node),
  normalizeScore: (_ctx, scores) => defaultNormalizeScore(MAX_NODE_SCORE, true, scores),
};
