import { MAX_NODE_SCORE, unschedulable, unresolvable, type FilterPlugin, type NodeInfo, type PodInfo, type Resource, type ScorePlugin, type Status } from "../types";

export const NODE_RESOURCES_FIT = "NodeResourcesFit";

export interface InsufficientResource {
  resourceName: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
  /** The request exceeds the node's allocatable: no preemption can help. */
  unresolvable: boolean;
}

function isZeroRequest(r: Resource): boolean {
  if (r.milliCPU !== 0 || r.memory !== 0 || r.ephemeralStorage !== 0) return false;
  for (const v of r.scalar.values()) if (v !== 0) return false;
  return true;
}

/** fitsRequest: pod count first, then cpu, memory, ephemeral-storage and scalar resources. */
export function insufficientResources(req: Resource, node: NodeInfo): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const alloc = node.allocatable;
  const used = node.requested;
  if (node.pods.length + 1 > alloc.pods) {
    out.push({ resourceName: "pods", reason: "Too many pods", requested: 1, used: node.pods.length, capacity: alloc.pods, unresolvable: false });
  }
  if (isZeroRequest(req)) return out;
  checkResource(out, "cpu", req.milliCPU, alloc.milliCPU, used.milliCPU);
  checkResource(out, "memory", req.memory, alloc.memory, used.memory);
  checkResource(out, "ephemeral-storage", req.ephemeralStorage, alloc.ephemeralStorage, used.ephemeralStorage);
  for (const [name, want] of req.scalar) {
    if (want === 0) continue;
    checkResource(out, name, want, alloc.scalar.get(name) ?? 0, used.scalar.get(name) ?? 0);
  }
  return out;
}

/** Records `name` as insufficient when `want` exceeds what is left of `have` (a hot path: no closure). */
function checkResource(out: InsufficientResource[], name: string, want: number, have: number, inUse: number): void {
  if (want > 0 && want > have - inUse) {
    out.push({ resourceName: name, reason: `Insufficient ${name}`, requested: want, used: inUse, capacity: have, unresolvable: want > have });
  }
}

export function nodeResourcesFitFilter(pod: PodInfo, node: NodeInfo): Status | null {
  const missing = insufficientResources(pod.requests, node);
  if (missing.length === 0) return null;
  const reasons = missing.map((m) => m.reason);
  return missing.some((m) => m.unresolvable) ? unresolvable(...reasons) : unschedulable(...reasons);
}

/** leastRequestedScore: (capacity - requested) * 100 / capacity, 0 when over capacity. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/**
 * LeastAllocated over cpu and memory (weight 1 each), using the non-zero requests
 * (100m / 200Mi for containers without a request), as the default scoring strategy.
 */
export function leastAllocatedScore(pod: PodInfo, node: NodeInfo): number {
  let sum = 0;
  let weights = 0;
  const allocCPU = node.allocatable.milliCPU;
  if (allocCPU !== 0) {
    sum += leastRequestedScore(node.nonZeroRequestedCPU + pod.nonZeroCPU, allocCPU);
    weights++;
  }
  const allocMem = node.allocatable.memory;
  if (allocMem !== 0) {
    sum += leastRequestedScore(node.nonZeroRequestedMemory + pod.nonZeroMemory, allocMem);
    weights++;
  }
  return weights === 0 ? 0 : Math.floor(sum / weights);
}

export const nodeResourcesFit: FilterPlugin & ScorePlugin = {
  name: NODE_RESOURCES_FIT,
  filter: (ctx, node) => nodeResourcesFitFilter(ctx.pod, node),
  score: (ctx, node) => leastAllocatedScore(ctx.pod, node),
};
