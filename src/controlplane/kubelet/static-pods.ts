/**
 * Static pods (pkg/kubelet/config/file.go and the mirror-pod manager): pod manifests that live
 * on a node, not in the API. The kubelet runs each one and posts a *mirror pod*
 * `<manifest name>-<node>` so the API shows it: annotated `kubernetes.io/config.mirror` (the
 * manifest's hash), `config.hash`, `config.seen` and `config.source: file`, owned by the Node,
 * bound to it. A mirror pod deleted through the API comes back; a changed manifest replaces its
 * mirror pod; a removed manifest takes it away.
 *
 * {@link StaticPodManifests} holds the manifests of every node (the nodes' manifest directories)
 * and persists them through the host; {@link staticPodReconciler} (keyed by node name) keeps
 * the mirror pods in line with them.
 */
import type { Registry } from "../../registry/registry";
import type { KObject, UserInfo } from "../../registry/types";
import type { Reconciler } from "../runtime";
import { getOrNull, isConflictOrNotFound } from "../controllers/workloads";
import { StatusError } from "../../apiserver/status";
import { isKubeletStopped } from "./heartbeat";
import type { KubeletClock } from "./index";

export const CONFIG_MIRROR = "kubernetes.io/config.mirror";
export const CONFIG_HASH = "kubernetes.io/config.hash";

export interface StaticPodManifest {
  node: string;
  /** The file name in the node's manifest directory, e.g. `etcd.yaml`. */
  file: string;
  /** The pod as written in the file. */
  pod: KObject;
}

/** Where the manifests are kept across restarts (the Durable Object's storage); absent: memory only. */
export interface ManifestPersistence {
  save(manifest: StaticPodManifest): Promise<void>;
  remove(node: string, file: string): Promise<void>;
}

export class StaticPodManifests {
  private readonly byNode = new Map<string, Map<string, StaticPodManifest>>();
  /** Told the node whose manifests changed (the control plane enqueues its reconcile). */
  onChange: (node: string) => void = () => {};

  constructor(initial: readonly StaticPodManifest[] = [], private readonly persistence?: ManifestPersistence) {
    for (const m of initial) this.remember(m);
  }

  on(node: string): StaticPodManifest[] {
    return [...(this.byNode.get(node)?.values() ?? [])];
  }

  nodes(): string[] {
    return [...this.byNode.keys()];
  }

  async put(manifest: StaticPodManifest): Promise<void> {
    await this.persistence?.save(manifest);
    this.remember(manifest);
    this.onChange(manifest.node);
  }

  /** Removes a manifest; false when there was none. */
  async remove(node: string, file: string): Promise<boolean> {
    if (!this.byNode.get(node)?.has(file)) return false;
    await this.persistence?.remove(node, file);
    this.byNode.get(node)!.delete(file);
    this.onChange(node);
    return true;
  }

  private remember(manifest: StaticPodManifest): void {
    let files = this.byNode.get(manifest.node);
    if (!files) this.byNode.set(manifest.node, (files = new Map()));
    files.set(manifest.file, manifest);
  }
}

/** A stable hash of a manifest (FNV-1a over its JSON), as the kubelet hashes the pod it read. */
export function manifestHash(pod: KObject): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  const text = JSON.stringify(pod);
  for (let i = 0; i < text.length; i++) {
    h1 = Math.imul(h1 ^ text.charCodeAt(i), 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ text.charCodeAt(i), 0x811c9dc5) >>> 0;
  }
  return (h1.toString(16).padStart(8, "0") + h2.toString(16).padStart(8, "0")).repeat(2);
}

/** The mirror pod the kubelet posts for a manifest on `node`. */
export function mirrorPodFor(manifest: StaticPodManifest, node: KObject, nowMs: number): KObject {
  const { pod } = manifest;
  const nodeName = node.metadata.name!;
  const hash = manifestHash(pod);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${pod.metadata?.name}-${nodeName}`,
      namespace: pod.metadata?.namespace || "default",
      ...(pod.metadata?.labels ? { labels: pod.metadata.labels } : {}),
      annotations: {
        ...pod.metadata?.annotations,
        [CONFIG_HASH]: hash,
        [CONFIG_MIRROR]: hash,
        // Go's time.Time text with nanoseconds, as the kubelet stamps it.
        "kubernetes.io/config.seen": new Date(nowMs).toISOString().replace("Z", "000000Z"),
        "kubernetes.io/config.source": "file",
      },
      ownerReferences: [{ apiVersion: "v1", kind: "Node", name: nodeName, uid: node.metadata.uid!, controller: true }],
    },
    spec: { ...pod.spec, nodeName },
  };
}

export interface StaticPodDeps {
  registry: Registry;
  user: UserInfo;
  clock: KubeletClock;
  manifests: StaticPodManifests;
  /** The non-terminal pods bound to a node (an index kept from the watch). */
  podsOn(nodeName: string): KObject[];
}

/** Keeps a node's mirror pods in line with its manifests (nothing while its kubelet is stopped). */
export function staticPodReconciler(deps: StaticPodDeps): Reconciler {
  const nodes = deps.registry.resource("", "nodes");
  const pods = deps.registry.resource("", "pods");
  const ignoreGone = (e: unknown) => {
    if (!isConflictOrNotFound(e)) throw e;
  };
  return async (nodeName) => {
    const node = getOrNull(nodes, "", nodeName);
    if (!node || isKubeletStopped(node)) return;
    const wanted = new Map(deps.manifests.on(nodeName).map((m) => [`${m.pod.metadata?.namespace || "default"}/${m.pod.metadata?.name}-${nodeName}`, m]));
    for (const pod of deps.podsOn(nodeName)) {
      const hash = pod.metadata.annotations?.[CONFIG_MIRROR];
      if (hash === undefined) continue;
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      const manifest = wanted.get(key);
      if (manifest && manifestHash(manifest.pod) === hash && !pod.metadata.deletionTimestamp) {
        wanted.delete(key);
        continue;
      }
      // Gone or changed: the old mirror pod goes (a changed one is posted again below, once it is gone).
      await pods.delete(pod.metadata.namespace!, pod.metadata.name!, { user: deps.user, gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } }).catch(ignoreGone);
    }
    for (const [key, manifest] of wanted) {
      const [namespace, name] = key.split("/");
      if (getOrNull(pods, namespace, name)) continue; // still going: its delete event brings us back
      await pods.create(namespace, mirrorPodFor(manifest, node, deps.clock.now()), { user: deps.user }).catch((e) => {
        if (!(e instanceof StatusError && e.code === 409)) throw e;
      });
    }
  };
}
