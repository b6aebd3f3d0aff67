/**
 * Drills on a sandbox's simulated machines (the management API's `/nodes`): adding machines
 * (they join Ready, as `kubeadm join` leaves them), removing them (`kubectl delete node` after the
 * machine is gone), stopping a node's kubelet as pulling its power would (`:fail`) and starting
 * it again (`:recover`), and writing or removing static pod manifests in a node's manifest
 * directory. The cluster's own controllers then do what they would on a real cluster.
 */
import { formatMicroTime, formatTime } from "../registry/clock";
import { selectEverything } from "../registry/selection";
import type { Registry } from "../registry/registry";
import { KUBELET_STOPPED } from "../controlplane/kubelet/heartbeat";
import { getOrNull, isConflictOrNotFound } from "../controlplane/controllers/workloads";
import { nodeObject, podCIDR, withConditionTimes } from "./bootstrap";
import { systemUser, type Sandbox, type SandboxRecord } from "./sandbox";
import { mirrorPodFor } from "../controlplane/kubelet/static-pods";
import { StatusError } from "../apiserver/status";
import type { KObject } from "../registry/types";
import { MAX_NODES, nodeNames, type NodePoolSpec } from "./spec";

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

export type AddNodesResult = { added: string[] } | { conflict: string } | { tooMany: number };

/**
 * Adds the nodes of a pool, each with the next free pod CIDR and IP, Ready at once with its
 * Lease. Refuses a name already taken (nothing is written) or going past MAX_NODES.
 */
export async function addNodes(registry: Registry, record: SandboxRecord, pool: NodePoolSpec, nowMs: number): Promise<AddNodesResult> {
  const nodes = registry.resource("", "nodes");
  const existing = nodes.list("", { selection: selectEverything }).items;
  const names = nodeNames(pool);
  const taken = names.find((n) => existing.some((node) => node.metadata.name === n));
  if (taken) return { conflict: taken };
  if (existing.length + names.length > MAX_NODES) return { tooMany: existing.length + names.length };
  const usedCIDRs = new Set(existing.map((n) => n.spec?.podCIDR));
  const time = formatTime(nowMs);
  let index = 0;
  for (const name of names) {
    while (usedCIDRs.has(podCIDR(index))) index++;
    usedCIDRs.add(podCIDR(index));
    const node = withConditionTimes(nodeObject({ name, pool, index }, record.kubernetesVersion, record.id), time);
    await nodes.create("", node, { user: systemUser });
    const lease = { holderIdentity: name, leaseDurationSeconds: 40, renewTime: formatMicroTime(nowMs) };
    await registry.resource("coordination.k8s.io", "leases").create("kube-node-lease", { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace: "kube-node-lease" }, spec: lease }, { user: systemUser });
  }
  return { added: names };
}

/** Removes a node and its Lease (its pods are then collected by pod GC); false when no such node. */
export async function removeNode(registry: Registry, name: string): Promise<boolean> {
  const nodes = registry.resource("", "nodes");
  if (!getOrNull(nodes, "", name)) return false;
  await nodes.delete("", name, { user: systemUser });
  const leases = registry.resource("coordination.k8s.io", "leases");
  await leases.delete("kube-node-lease", name, { user: systemUser }).catch((e) => {
    if (!isConflictOrNotFound(e)) throw e;
  });
  return true;
}

export type StaticPodResult = { mirrorPod: string } | { noNode: true } | { invalid: string; status?: number };

const MANIFEST_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Writes a static pod manifest (a Pod) into a node's manifest directory; its mirror pod appears
 * on the next run of the loop. The manifest is checked first as its mirror pod would be (a dry-run
 * create), so a bad one is refused with the API server's message and nothing is written.
 */
export async function putStaticPod(sandbox: Sandbox, node: string, file: string, manifest: unknown, nowMs: number): Promise<StaticPodResult> {
  if (!MANIFEST_FILE.test(file)) return { invalid: `manifest file name "${file}" must be a plain file name (letters, digits, ".", "_", "-")`, status: 400 };
  const nodeObj = getOrNull(sandbox.registry.resource("", "nodes"), "", node);
  if (!nodeObj) return { noNode: true };
  if (!isRecord(manifest) || manifest.kind !== "Pod" || manifest.apiVersion !== "v1" || !isRecord(manifest.metadata) || typeof manifest.metadata.name !== "string") {
    return { invalid: "a static pod manifest must be a v1 Pod with metadata.name" };
  }
  const entry = { node, file, pod: manifest as KObject };
  const mirror = mirrorPodFor(entry, nodeObj, nowMs);
  try {
    await sandbox.registry.resource("", "pods").create(mirror.metadata.namespace!, mirror, { user: systemUser, dryRun: true });
  } catch (e) {
    if (e instanceof StatusError && e.code !== 409) return { invalid: e.message, status: e.code };
    if (!(e instanceof StatusError)) throw e;
  }
  await sandbox.staticPods.put(entry);
  return { mirrorPod: `${mirror.metadata.namespace}/${mirror.metadata.name}` };
}

const isRecord = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);
