import { MAX_NODE_SCORE, type NodeInfo, type PodInfo, type ScorePlugin } from "../types";

export const IMAGE_LOCALITY = "ImageLocality";

const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** A reference without a tag gets `:latest` (digests and registry ports are left alone). */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(":") <= name.lastIndexOf("/") ? name + ":latest" : name;
}

/** The normalized image names of the pod's init containers and containers. */
export function podImageNames(pod: PodInfo): string[] {
  const spec = pod.pod.spec ?? {};
  const out: string[] = [];
  for (const list of [spec.initContainers ?? [], spec.containers ?? []]) for (const c of list) if (c?.image) out.push(normalizedImageName(c.image));
  return out;
}

/** Image sizes present on the node, each scaled by the fraction of nodes that have the image. */
export function sumImageScores(images: string[], node: NodeInfo, imageNodeCount: Map<string, number>, totalNodes: number): number {
  let sum = 0;
  for (const name of images) {
    const size = node.images.get(name);
    if (size === undefined) continue;
    sum += Math.trunc(size * ((imageNodeCount.get(name) ?? 0) / totalNodes));
  }
  return sum;
}

const KEY = "PreScore" + IMAGE_LOCALITY;

export function imageLocalityPriority(sumScores: number, numContainers: number): number {
  const maxThreshold = MAX_CONTAINER_THRESHOLD * numContainers;
  if (maxThreshold <= MIN_THRESHOLD) return 0;
  const s = Math.min(Math.max(sumScores, MIN_THRESHOLD), maxThreshold);
  return Math.floor((MAX_NODE_SCORE * (s - MIN_THRESHOLD)) / (maxThreshold - MIN_THRESHOLD));
}

export const imageLocality: ScorePlugin = {
  name: IMAGE_LOCALITY,
  preScore: (ctx) => {
    ctx.state.set(KEY, podImageNames(ctx.pod));
    return null;
  },
  score: (ctx, node) => {
    if (node.images.size === 0) return 0;
    const spec = ctx.pod.pod.spec ?? {};
    const n = (spec.initContainers?.length ?? 0) + (spec.containers?.length ?? 0);
    return imageLocalityPriority(sumImageScores(ctx.state.get(KEY) as string[], node, ctx.snapshot.imageNodeCount, ctx.snapshot.nodes.length), n);
  },
};
