/**
 * The cluster as the scheduler sees it, kept up to date from watch events instead of re-listed
 * every cycle (kube-scheduler's internal cache): nodes, the non-terminal pods bound to each, and
 * a {@link Snapshot} whose NodeInfos are rebuilt only for nodes that changed since the last cycle.
 *
 * Contract: feed it every Node and Pod event (`setNode`/`removeNode`, `setPod`/`removePod`),
 * starting from a full list. `setPod` right after a successful bind is the scheduler cache's
 * "assume": the bound pod counts at once, and its own watch event later changes nothing.
 * The kubelet and node controllers use {@link SchedulerCache.podsOn} as a by-node index.
 */
import type { KObject } from "../../registry/types";
import { addPodToNode, newNodeInfo, podInfoOf } from "./podinfo";
import type { NodeInfo, Snapshot } from "./types";

const podKey = (pod: KObject) => `${pod.metadata.namespace}/${pod.metadata.name}`;
const isTerminal = (pod: KObject) => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";

export class SchedulerCache {
  private readonly nodes = new Map<string, KObject>();
  /** Pod key → the node it is bound to (non-terminal pods only). */
  private readonly boundTo = new Map<string, string>();
  private readonly byNode = new Map<string, Map<string, KObject>>();
  private readonly infos = new Map<string, NodeInfo>();
  private readonly dirtyNodes = new Set<string>();
  private nodeSetChanged = true;
  /** Node name → index in the snapshot's node list. */
  private positions = new Map<string, number>();
  private snapshotCache: Snapshot | null = null;
  /** Pods the last cycle could not place (`namespace/name`): tried again when the cluster changes. */
  readonly unschedulable = new Set<string>();

  constructor(private readonly namespaceLabels: (namespace: string) => Record<string, string> = (ns) => ({ "kubernetes.io/metadata.name": ns })) {}

  setNode(node: KObject): void {
    const name = node.metadata.name!;
    if (!this.nodes.has(name)) this.nodeSetChanged = true;
    else if (!sameImages(this.nodes.get(name)!, node)) this.nodeSetChanged = true; // image counts change
    this.nodes.set(name, node);
    this.dirtyNodes.add(name);
  }

  removeNode(name: string): void {
    if (this.nodes.delete(name)) this.nodeSetChanged = true;
    this.infos.delete(name);
    this.dirtyNodes.delete(name);
  }

  /** Records a pod's current state: counted on its node while bound and not terminal. */
  setPod(pod: KObject): void {
    const key = podKey(pod);
    const nodeName: string | undefined = pod.spec?.nodeName;
    if (!nodeName || isTerminal(pod)) return this.removePod(key);
    const previous = this.boundTo.get(key);
    if (previous && previous !== nodeName) this.detach(key, previous);
    this.boundTo.set(key, nodeName);
    let pods = this.byNode.get(nodeName);
    if (!pods) this.byNode.set(nodeName, (pods = new Map()));
    pods.set(key, pod);
    this.dirtyNodes.add(nodeName);
  }

  removePod(key: string): void {
    const nodeName = this.boundTo.get(key);
    if (nodeName === undefined) return;
    this.boundTo.delete(key);
    this.detach(key, nodeName);
  }

  /** Whether the pod counts on a node (bound and not terminal). */
  counts(key: string): boolean {
    return this.boundTo.has(key);
  }

  /** The non-terminal pods bound to a node, as last seen. */
  podsOn(nodeName: string): KObject[] {
    return [...(this.byNode.get(nodeName)?.values() ?? [])];
  }

  /**
   * The cluster for one scheduling cycle. Changed nodes are rebuilt in place: the snapshot is
   * valid until the next change fed to the cache, which is how the scheduler uses it.
   */
  snapshot(): Snapshot {
    for (const name of this.dirtyNodes) {
      const node = this.nodes.get(name);
      if (!node) continue;
      const info = newNodeInfo(node);
      for (const pod of this.byNode.get(name)?.values() ?? []) addPodToNode(info, podInfoOf(pod));
      this.infos.set(name, info);
      const at = this.positions.get(name);
      if (this.snapshotCache && at !== undefined) {
        this.snapshotCache.nodes[at] = info;
        this.snapshotCache.byName.set(name, info);
      }
    }
    this.dirtyNodes.clear();
    if (this.snapshotCache && !this.nodeSetChanged) return this.snapshotCache;
    const nodes = [...this.nodes.keys()].map((name) => this.infos.get(name)!);
    this.positions = new Map(nodes.map((n, i) => [n.name, i]));
    const imageNodeCount = new Map<string, number>();
    for (const info of nodes) for (const image of info.images.keys()) imageNodeCount.set(image, (imageNodeCount.get(image) ?? 0) + 1);
    this.nodeSetChanged = false;
    this.snapshotCache = { nodes, byName: new Map(nodes.map((n) => [n.name, n])), imageNodeCount, namespaceLabels: this.namespaceLabels };
    return this.snapshotCache;
  }

  private detach(key: string, nodeName: string): void {
    const pods = this.byNode.get(nodeName);
    if (!pods?.delete(key)) return;
    if (pods.size === 0) this.byNode.delete(nodeName);
    this.dirtyNodes.add(nodeName);
  }
}

function sameImages(a: KObject, b: KObject): boolean {
  const names = (n: KObject) => JSON.stringify((n.status?.images ?? []).map((i: { names?: string[] }) => i.names));
  return a.status?.images === b.status?.images || names(a) === names(b);
}
