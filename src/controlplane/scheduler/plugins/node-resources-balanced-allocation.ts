import { MAX_NODE_SCORE, SKIP, type NodeInfo, type PodInfo, type ScorePlugin } from "../types";

export const NODE_RESOURCES_BALANCED_ALLOCATION = "NodeResourcesBalancedAllocation";

/** 100 × (1 − std of the requested/allocatable fractions); with two resources std = |f1 − f2| / 2. */
export function balancedScore(requested: number[], allocatable: number[]): number {
  const fractions: number[] = [];
  let total = 0;
  for (let i = 0; i < requested.length; i++) {
    if (allocatable[i] === 0) continue;
    let f = requested[i]! / allocatable[i]!;
    if (f > 1) f = 1;
    total += f;
    fractions.push(f);
  }
  let std = 0;
  if (fractions.length === 2) std = Math.abs((fractions[0]! - fractions[1]!) / 2);
  else if (fractions.length > 2) {
    const mean = total / fractions.length;
    let sum = 0;
    for (const f of fractions) sum += (f - mean) * (f - mean);
    std = Math.sqrt(sum / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

/** Balanced allocation of cpu and memory after placing the pod (actual requests, no defaults). */
export function balancedAllocationScore(pod: PodInfo, node: NodeInfo): number {
  return balancedScore(
    [node.requested.milliCPU + pod.requests.milliCPU, node.requested.memory + pod.requests.memory],
    [node.allocatable.milliCPU, node.allocatable.memory],
  );
}

export const nodeResourcesBalancedAllocation: ScorePlugin = {
  name: NODE_RESOURCES_BALANCED_ALLOCATION,
  // Best-effort pods are not scored, so they do not all pile onto one node (kubernetes#129138).
  preScore: (ctx) => (ctx.pod.requests.milliCPU === 0 && ctx.pod.requests.memory === 0 ? SKIP : null),
  score: (ctx, node) => balancedAllocationScore(ctx.pod, node),
};
