/**
 * The control plane's floors (issue 3), in this Node process on the memory backend: the whole
 * Sandbox (registry, scheduler, kubelets, controllers) driven by its own timer-based loop at high
 * speed, no HTTP and no D1. Prints one JSON line for bench/run.mjs.
 *
 * Usage: tsx bench/controlplane.ts [nodes] [pods]   (default 1000 10000)
 */
import { randomIds, systemClock } from "../src/registry/clock";
import { selectEverything } from "../src/registry/selection";
import type { KObject } from "../src/registry/types";
import { Sandbox, systemUser, type SandboxRecord } from "../src/sandbox/sandbox";
import type { SandboxSpec } from "../src/sandbox/spec";
import { createMemoryBackend } from "../src/storage/memory";

const numNodes = Number(process.argv[2] ?? 1000);
const numPods = Number(process.argv[3] ?? 10_000);
const SPEED = 10_000;

function newSandbox(nodes: number): Sandbox {
  const spec: SandboxSpec = {
    name: "bench",
    ttlSeconds: null,
    kubernetesVersion: "1.32",
    speed: SPEED,
    nodes: [
      { name: "control-plane", count: 1, roles: ["control-plane"], cpu: "4", memory: "8Gi", pods: 110, labels: {}, taints: [] },
      { name: "worker", count: nodes, roles: [], cpu: "32", memory: "128Gi", pods: 110, labels: {}, taints: [] },
    ],
    addons: false,
  };
  const record: SandboxRecord = { id: "sbx-bench", name: "bench", owner: "admin", createdAt: Date.now(), expiresAt: null, kubernetesVersion: "1.32", speed: SPEED, spec, tokenGeneration: 1 };
  return new Sandbox(record, { backend: createMemoryBackend(), clock: systemClock, ids: randomIds, authenticate: async () => null });
}

function deployment(name: string, replicas: number): KObject {
  const labels = { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "default" },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "app", image: "nginx:1.27", resources: { requests: { cpu: "100m", memory: "128Mi" } } }] } } },
  };
}

async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const start = performance.now();
  while (!done()) {
    if (performance.now() - start > timeoutMs) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

const heapBefore = (globalThis.gc?.(), process.memoryUsage().heapUsed);
const sandbox = newSandbox(numNodes);
await sandbox.bootstrap();
const pods = sandbox.registry.resource("", "pods");
const allPods = () => pods.list("", { selection: selectEverything }).items;

// 10,000 pods from 10 Deployments of 1,000 replicas: created → scheduled → Running.
const t0 = performance.now();
const perDeployment = Math.min(1000, numPods);
for (let i = 0; i < numPods / perDeployment; i++) await sandbox.registry.resource("apps", "deployments").create("default", deployment(`web-${i}`, perDeployment), { user: systemUser });
let boundAt = 0;
const allRunning = await until(() => {
  const items = allPods();
  if (!boundAt && items.length === numPods && items.every((p) => p.spec.nodeName)) boundAt = performance.now();
  return items.length === numPods && items.every((p) => p.status?.phase === "Running");
}, 600_000);
const runningMs = performance.now() - t0;
const boundMs = boundAt ? boundAt - t0 : null;
const heapAfter = (globalThis.gc?.(), process.memoryUsage().heapUsed);

console.log(
  JSON.stringify({
    nodes: numNodes,
    pods: numPods,
    allRunning,
    podsRunningSeconds: runningMs / 1000,
    podsBoundSeconds: boundMs === null ? null : boundMs / 1000,
    schedulingPodsPerSecond: boundMs === null ? null : numPods / (boundMs / 1000),
    heapMB: (heapAfter - heapBefore) / 2 ** 20,
  }),
);
process.exit(0);
