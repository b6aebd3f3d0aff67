import { tolerationsTolerate } from "../podinfo";
import { unresolvable, type FilterPlugin, type NodeInfo, type PodInfo, type Status } from "../types";

export const NODE_UNSCHEDULABLE = "NodeUnschedulable";
export const ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable";

/** spec.unschedulable blocks the node unless the pod tolerates node.kubernetes.io/unschedulable:NoSchedule. */
export function nodeUnschedulableFilter(pod: PodInfo, node: NodeInfo): Status | null {
  if (!node.unschedulable) return null;
  if (tolerationsTolerate(pod.tolerations, { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" })) return null;
  return unresolvable(ERR_REASON_UNSCHEDULABLE);
}

export const nodeUnschedulable: FilterPlugin = {
  name: NODE_UNSCHEDULABLE,
  filter: (ctx, node) => nodeUnschedulableFilter(ctx.pod, node),
};
