/** Plugin name → plugin, and the default profile (upstream's default plugin set and score weights). */
import { imageLocality, IMAGE_LOCALITY } from "./plugins/image-locality";
import { interPodAffinity, INTER_POD_AFFINITY } from "./plugins/inter-pod-affinity";
import { nodeAffinity, NODE_AFFINITY } from "./plugins/node-affinity";
import { nodeName, NODE_NAME } from "./plugins/node-name";
import { nodePorts, NODE_PORTS } from "./plugins/node-ports";
import { nodeResourcesBalancedAllocation, NODE_RESOURCES_BALANCED_ALLOCATION } from "./plugins/node-resources-balanced-allocation";
import { nodeResourcesFit, NODE_RESOURCES_FIT } from "./plugins/node-resources-fit";
import { nodeUnschedulable, NODE_UNSCHEDULABLE } from "./plugins/node-unschedulable";
import { podTopologySpread, POD_TOPOLOGY_SPREAD } from "./plugins/pod-topology-spread";
import { taintToleration, TAINT_TOLERATION } from "./plugins/taint-toleration";
import type { FilterPlugin, ScorePlugin } from "./types";

export type Plugin = Partial<FilterPlugin> & Partial<ScorePlugin> & { name: string };

export const PLUGINS: ReadonlyMap<string, Plugin> = new Map<string, Plugin>([
  [NODE_UNSCHEDULABLE, nodeUnschedulable],
  [NODE_NAME, nodeName],
  [TAINT_TOLERATION, taintToleration],
  [NODE_AFFINITY, nodeAffinity],
  [NODE_PORTS, nodePorts],
  [NODE_RESOURCES_FIT, nodeResourcesFit],
  [POD_TOPOLOGY_SPREAD, podTopologySpread],
  [INTER_POD_AFFINITY, interPodAffinity],
  [NODE_RESOURCES_BALANCED_ALLOCATION, nodeResourcesBalancedAllocation],
  [IMAGE_LOCALITY, imageLocality],
]);

export interface Profile {
  /** Filter plugins, in the order they run (a node stops at its first failure). */
  filters: string[];
  /** Score plugins and their weights. */
  scores: { name: string; weight: number }[];
}

/** The default-scheduler profile (volume plugins omitted: the sandbox has no storage topology). */
export const DEFAULT_PROFILE: Profile = {
  filters: [NODE_UNSCHEDULABLE, NODE_NAME, TAINT_TOLERATION, NODE_AFFINITY, NODE_PORTS, NODE_RESOURCES_FIT, POD_TOPOLOGY_SPREAD, INTER_POD_AFFINITY],
  scores: [
    { name: TAINT_TOLERATION, weight: 3 },
    { name: NODE_AFFINITY, weight: 2 },
    { name: NODE_RESOURCES_FIT, weight: 1 },
    { name: POD_TOPOLOGY_SPREAD, weight: 2 },
    { name: INTER_POD_AFFINITY, weight: 2 },
    { name: NODE_RESOURCES_BALANCED_ALLOCATION, weight: 1 },
    { name: IMAGE_LOCALITY, weight: 1 },
  ],
};
