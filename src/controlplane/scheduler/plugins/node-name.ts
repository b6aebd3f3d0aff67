import { unresolvable, type FilterPlugin, type NodeInfo, type PodInfo, type Status } from "../types";

export const NODE_NAME = "NodeName";
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

/** A pod that names its node fits only that node. */
export function nodeNameFilter(pod: PodInfo, node: NodeInfo): Status | null {
  const want = pod.pod.spec?.nodeName;
  if (!want || want === node.name) return null;
  return unresolvable(ERR_REASON_NODE_NAME);
}

export const nodeName: FilterPlugin = {
  name: NODE_NAME,
  filter: (ctx, node) => nodeNameFilter(ctx.pod, node),
};
