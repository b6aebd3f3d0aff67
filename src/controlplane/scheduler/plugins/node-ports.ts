import { unschedulable, type FilterPlugin, type HostPort, type NodeInfo, type PodInfo, type Status } from "../types";

export const NODE_PORTS = "NodePorts";
export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

/** HostPortInfo.CheckConflict: 0.0.0.0 conflicts with the same protocol/port on any IP. */
export function portConflicts(used: Map<string, Set<string>>, hp: HostPort): boolean {
  if (hp.port <= 0) return false;
  const pp = `${hp.protocol}/${hp.port}`;
  if (hp.ip === "0.0.0.0") {
    for (const set of used.values()) if (set.has(pp)) return true;
    return false;
  }
  return !!used.get("0.0.0.0")?.has(pp) || !!used.get(hp.ip)?.has(pp);
}

export function nodePortsFilter(pod: PodInfo, node: NodeInfo): Status | null {
  if (pod.hostPorts.length === 0 || node.usedPorts.size === 0) return null;
  for (const hp of pod.hostPorts) if (portConflicts(node.usedPorts, hp)) return unschedulable(ERR_REASON_NODE_PORTS);
  return null;
}

export const nodePorts: FilterPlugin = {
  name: NODE_PORTS,
  filter: (ctx, node) => nodePortsFilter(ctx.pod, node),
};
