/**
 * Drills on a sandbox's simulated machines (the management API's `/nodes/{name}:fail` and
 * `:recover`): stopping a node's kubelet, as pulling its power would, and starting it again.
 * The cluster's own controllers then do what they would on a real cluster.
 */
import { formatTime } from "../registry/clock";
import type { Registry } from "../registry/registry";
import { KUBELET_STOPPED } from "../controlplane/kubelet/heartbeat";
import { getOrNull } from "../controlplane/controllers/workloads";
import { systemUser } from "./sandbox";

export interface NodeDrillResult {
  node: string;
  kubelet: "running" | "stopped";
}

/** Stops (`running: false`) or starts a node's kubelet; null when no such node exists. */
export async function setKubeletRunning(registry: Registry, name: string, running: boolean, nowMs: number): Promise<NodeDrillResult | null> {
  const nodes = registry.resource("", "nodes");
  if (!getOrNull(nodes, "", name)) return null;
  await nodes.patch(
    "",
    name,
    (node) => {
      const annotations = { ...node.metadata.annotations };
      if (running) delete annotations[KUBELET_STOPPED];
      else annotations[KUBELET_STOPPED] ??= formatTime(nowMs);
      return { ...node, metadata: { ...node.metadata, annotations } };
    },
    { user: systemUser },
  );
  return { node: name, kubelet: running ? "running" : "stopped" };
}
