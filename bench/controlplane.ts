/**
 * The control plane's floors (issue 3), measured in this Node process on the memory backend: the
 * whole Sandbox (registry, scheduler, kubelets, controllers) driven by its own timer-based loop
 * at high speed — no HTTP and no D1 (their cost is in the foundation benchmarks). One scenario
 * per fresh sandbox; prints one JSON line for bench/run.mjs.
 *
 * - scheduling: 10,000 bare pods created at once on 1,000 nodes; pods/s from the first create
 *   until every pod is bound.
 * - pods to Running: 10 Deployments × 1,000 replicas on 1,000 nodes; wall seconds until all
 *   10,000 pods are Running; then the heap the sandbox holds (after a full GC).
 * - deployment: one 1,000-replica Deployment on 100 nodes; wall seconds until it is fully
 *   available (`status.availableReplicas` = 1,000).
 *
 * Usage: node --expose-gc --import tsx bench/controlplane.ts [scale]   (scale 1 = the floors' sizes)
 */
import { randomIds, systemClock } from "../src/registry/clock";
import { selectEverything } from "../src/registry/selection";
import type { KObject } from "../src/registry/types";
import { Sandbox, systemUser, type SandboxRecord } from "../src/sandbox/sandbox";
import type { SandboxSpec } from "../src/sandbox/spec";
import { createMemoryBackend } from "../src/storage/memory";

const scale = Number(process.argv[2] ?? 1);
const SPEED = 10_000;
const TIMEOUT_MS = 300_000;

const gc = (globalThis as { gc?: () => void }).gc;
function heapMB(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

async function newSandbox(workers: number): Promise<Sandbox> {
  const spec: SandboxSpec = {
    name: "bench",
    ttlSeconds: null,
    kubernetesVersion: "1.32",
    speed: SPEED,
    addons: false,
    nodes: [
      { name: "control-plane", count: 1, roles: ["control-plane"], cpu: "4", memory: "8Gi", pods: 110, labels: {}, taints: [] },
      { name: "worker", count: workers, roles: [], cpu: "32", memory: "128Gi", pods: 110, labels: {}, taints: [] },
    ],
  };
  const record: SandboxRecord = { id: "sbx-bench", name: "bench", owner: "admin", createdAt: Date.now(), expiresAt: null, kubernetesVersion: "1.32", speed: SPEED, spec, tokenGeneration: 1 };
  const sandbox = new Sandbox(record, { backend: createMemoryBackend(), clock: systemClock, ids: randomIds, authenticate: async () => null });
  await sandbox.bootstrap();
  return sandbox;
}

const podSpec = { containers: [{ name: "app", image: "nginx:1.27", resources: { requests: { cpu: "100m", memory: "128Mi" } } }] };

function deployment(name: string, replicas: number): KObject {
  const labels = { app: name };
  return { apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace: "default" }, spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } } };
}

/**
 * Counts pods in a state through a watch (listing 10,000 pods while the loop runs would cost the
 * loop time): `count()` is how many currently satisfy `test`.
 */
function podCounter(sandbox: Sandbox, test: (pod: KObject) => boolean) {
  const pods = sandbox.registry.resource("", "pods");
  const matching = new Set<string>();
  pods.watch("", sandbox.registry.resource("", "pods").revision, selectEverything, (event) => {
    const key = `${event.object.metadata.namespace}/${event.object.metadata.name}`;
    if (event.type !== "DELETED" && test(event.object)) matching.add(key);
    else matching.delete(key);
  });
  return { count: () => matching.size };
}

/** Polls until `done()` (every 10 ms); the wall ms since `startedAt`, or null on timeout. */
async function until(done: () => boolean, startedAt: number): Promise<number | null> {
  while (!done()) {
    if (performance.now() - startedAt > TIMEOUT_MS) return null;
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - startedAt;
}

async function scheduling(nodes: number, count: number) {
  const sandbox = await newSandbox(nodes);
  const pods = sandbox.registry.resource("", "pods");
  const bound = podCounter(sandbox, (p) => !!p.spec.nodeName);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: `pod-${i}`, namespace: "default" }, spec: podSpec }, { user: systemUser });
  const ms = await until(() => bound.count() === count, t0);
  sandbox.close();
  return { nodes, pods: count, seconds: ms === null ? null : ms / 1000, podsPerSecond: ms === null ? 0 : count / (ms / 1000) };
}

async function podsToRunning(nodes: number, count: number) {
  const before = heapMB();
  const sandbox = await newSandbox(nodes);
  const running = podCounter(sandbox, (p) => p.status?.phase === "Running");
  const t0 = performance.now();
  const perDeployment = Math.min(1000, count);
  for (let i = 0; i < count / perDeployment; i++) await sandbox.registry.resource("apps", "deployments").create("default", deployment(`web-${i}`, perDeployment), { user: systemUser });
  const ms = await until(() => running.count() === count, t0);
  const heap = heapMB() - before;
  sandbox.close();
  return { nodes, pods: count, seconds: ms === null ? null : ms / 1000, heapMB: heap };
}

async function deploymentAvailable(nodes: number, replicas: number) {
  const sandbox = await newSandbox(nodes);
  const deployments = sandbox.registry.resource("apps", "deployments");
  const t0 = performance.now();
  await deployments.create("default", deployment("big", replicas), { user: systemUser });
  const ms = await until(() => deployments.get("default", "big").status?.availableReplicas === replicas, t0);
  sandbox.close();
  return { nodes, replicas, seconds: ms === null ? null : ms / 1000 };
}

// The heap phase runs first, so its "before" holds no earlier phase's sandbox.
const podsToRunningResult = await podsToRunning(1000 * scale, 10_000 * scale);
const result = {
  scheduling: await scheduling(1000 * scale, 10_000 * scale),
  podsToRunning: podsToRunningResult,
  deployment: await deploymentAvailable(Math.max(10, 100 * scale), 1000 * scale),
};
console.log(JSON.stringify(result));
process.exit(0);
