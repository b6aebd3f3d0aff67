/**
 * metrics.k8s.io/v1beta1, as metrics-server serves it, computed on read from the registry.
 *
 * No container runs, so usage is derived: a running container uses a stable fraction (10–60 %,
 * hashed from the pod uid and container name) of its request, or a small default when it requests
 * nothing; a container that is not running has no metrics, and a pod with none running is absent.
 * A node uses the sum of its pods plus a system overhead (kernel, kubelet, runtime); a node that is
 * not Ready has no metrics (metrics-server cannot scrape its kubelet).
 */
import type { KindDefinition, KObject } from "../../registry/types";
import { canonicalQuantity, tryParseQuantity, milliValue, value } from "../../registry/kinds/quantity";

const group = "metrics.k8s.io";
const version = "v1beta1";
const apiVersion = `${group}/${version}`;

export const metricsDefinitions: KindDefinition[] = [
  { group, version, kind: "NodeMetrics", resource: "nodes", singular: "", namespaced: false, verbs: ["get", "list"] },
  { group, version, kind: "PodMetrics", resource: "pods", singular: "", namespaced: true, verbs: ["get", "list"] },
];

/** The group-resources metrics-server names in its NotFound errors. */
export const metricsResources = {
  nodes: { group, resource: "nodemetrics" },
  pods: { group, resource: "podmetrics" },
};

/** metrics-server's default resolution: samples are this far apart, and a sample covers this window. */
export const METRICS_RESOLUTION_MS = 15_000;

/** CPU in nanocores and memory in bytes. */
export interface Usage {
  cpuNanos: number;
  memoryBytes: number;
}

const MI = 1024 * 1024;
/** What a container that requests nothing is shown to use: 1–5m CPU, 4–24 MiB. */
const unrequestedCpuMilli = { min: 1, span: 4 };
const unrequestedMemoryMi = { min: 4, span: 20 };
/** A node's own usage outside pods: 25m + 2 % of its CPU, 256 MiB + 5 % of its memory. */
const overhead = { cpuMilli: 25, cpuShare: 0.02, memoryBytes: 256 * MI, memoryShare: 0.05 };

/** A number in [0, 1) fixed by `seed` (FNV-1a). */
export function stableUnit(seed: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 0x1_0000_0000;
}

/** The share of its request a container uses: 10–60 %. */
const usageShare = (seed: string) => 0.1 + 0.5 * stableUnit(seed);

function requested(container: Record<string, any>, resource: "cpu" | "memory"): bigint | null {
  const raw = container.resources?.requests?.[resource] ?? container.resources?.limits?.[resource];
  const q = typeof raw === "string" || typeof raw === "number" ? tryParseQuantity(String(raw)) : null;
  if (!q) return null;
  return resource === "cpu" ? milliValue(q) : value(q);
}

/** The usage of one running container of a pod. */
export function containerUsage(podUid: string, container: Record<string, any>): Usage {
  const cpuSeed = `${podUid}/${container.name}/cpu`;
  const memorySeed = `${podUid}/${container.name}/memory`;
  const cpuMilli = requested(container, "cpu");
  const memory = requested(container, "memory");
  const cpuNanos =
    cpuMilli && cpuMilli > 0n
      ? Math.round(Number(cpuMilli) * 1e6 * usageShare(cpuSeed))
      : Math.round((unrequestedCpuMilli.min + unrequestedCpuMilli.span * stableUnit(cpuSeed)) * 1e6);
  const memoryBytes =
    memory && memory > 0n
      ? Number(memory) * usageShare(memorySeed)
      : (unrequestedMemoryMi.min + unrequestedMemoryMi.span * stableUnit(memorySeed)) * MI;
  // Whole KiB, as the kernel accounts memory in pages.
  return { cpuNanos, memoryBytes: Math.floor(memoryBytes / 1024) * 1024 };
}

function runningContainerNames(pod: KObject): Set<string> {
  const names = new Set<string>();
  for (const s of pod.status?.containerStatuses ?? []) if (s?.state?.running) names.add(s.name);
  return names;
}

/** Each running container's usage; empty for a pod that is not running or has nothing running. */
export function podContainerUsage(pod: KObject): { name: string; usage: Usage }[] {
  if (pod.status?.phase !== "Running" || pod.metadata.deletionTimestamp) return [];
  const running = runningContainerNames(pod);
  return (pod.spec?.containers ?? [])
    .filter((c: Record<string, any>) => running.has(c.name))
    .map((c: Record<string, any>) => ({ name: c.name as string, usage: containerUsage(pod.metadata.uid ?? "", c) }));
}

const sum = (usages: Usage[]): Usage =>
  usages.reduce((a, b) => ({ cpuNanos: a.cpuNanos + b.cpuNanos, memoryBytes: a.memoryBytes + b.memoryBytes }), { cpuNanos: 0, memoryBytes: 0 });

function isNodeReady(node: KObject): boolean {
  return (node.status?.conditions ?? []).some((c: Record<string, any>) => c.type === "Ready" && c.status === "True");
}

/** A node's usage: its pods' plus its own overhead; null when the node is not Ready. */
export function nodeUsage(node: KObject, podsOnNode: readonly KObject[]): Usage | null {
  if (!isNodeReady(node)) return null;
  const capacity = node.status?.capacity ?? {};
  const cpuQ = tryParseQuantity(String(capacity.cpu ?? "0"));
  const memQ = tryParseQuantity(String(capacity.memory ?? "0"));
  const own: Usage = {
    cpuNanos: Math.round((overhead.cpuMilli + overhead.cpuShare * Number(cpuQ ? milliValue(cpuQ) : 0n)) * 1e6),
    memoryBytes: Math.floor((overhead.memoryBytes + overhead.memoryShare * Number(memQ ? value(memQ) : 0n)) / 1024) * 1024,
  };
  return sum([own, ...podsOnNode.flatMap((p) => podContainerUsage(p).map((c) => c.usage))]);
}

function usageList(u: Usage) {
  return {
    cpu: canonicalQuantity({ mantissa: BigInt(u.cpuNanos), exponent: -9, format: "DecimalSI" }),
    memory: canonicalQuantity({ mantissa: BigInt(u.memoryBytes), exponent: 0, format: "BinarySI" }),
  };
}

/** The sample time metrics-server reports: the latest resolution boundary, in whole seconds. */
export function sampleTimestamp(nowMs: number): string {
  return rfc3339(Math.floor(nowMs / METRICS_RESOLUTION_MS) * METRICS_RESOLUTION_MS);
}

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const window = `${METRICS_RESOLUTION_MS / 1000}s`;

function metricsMeta(obj: KObject, nowMs: number) {
  const meta: Record<string, unknown> = { name: obj.metadata.name };
  if (obj.metadata.namespace) meta.namespace = obj.metadata.namespace;
  meta.creationTimestamp = rfc3339(nowMs);
  if (obj.metadata.labels) meta.labels = obj.metadata.labels;
  return meta;
}

/** The PodMetrics of a pod, or null when it has no running container. */
export function podMetrics(pod: KObject, nowMs: number): KObject | null {
  const containers = podContainerUsage(pod);
  if (containers.length === 0) return null;
  return {
    kind: "PodMetrics",
    apiVersion,
    metadata: metricsMeta(pod, nowMs),
    timestamp: sampleTimestamp(nowMs),
    window,
    containers: containers.map((c) => ({ name: c.name, usage: usageList(c.usage) })),
  };
}

/** The NodeMetrics of a node given the pods bound to it, or null when the node is not Ready. */
export function nodeMetrics(node: KObject, podsOnNode: readonly KObject[], nowMs: number): KObject | null {
  const usage = nodeUsage(node, podsOnNode);
  if (!usage) return null;
  return { kind: "NodeMetrics", apiVersion, metadata: metricsMeta(node, nowMs), timestamp: sampleTimestamp(nowMs), window, usage: usageList(usage) };
}

export function metricsList(kind: "NodeMetrics" | "PodMetrics", items: KObject[]): KObject {
  return { kind: `${kind}List`, apiVersion, metadata: {}, items };
}
