import { expect, it } from "vitest";
import type { KObject } from "../../src/registry/types";
import { scheduleBatch } from "../../src/controlplane/scheduler";

/** Logs the scheduling rate; no timing assertion (the floor is enforced elsewhere later). */
function cluster(numNodes: number, numPods: number) {
  const nodes: KObject[] = Array.from({ length: numNodes }, (_, i) => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: `node-${i}`, labels: { "kubernetes.io/hostname": `node-${i}`, "topology.kubernetes.io/zone": `zone-${i % 3}` } },
    spec: i === 0 ? { taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] } : {},
    status: { allocatable: { cpu: "32", memory: "128Gi", pods: "110", "ephemeral-storage": "100Gi" }, images: [{ names: ["nginx:1.25"], sizeBytes: 70_000_000 }] },
  }));
  const pods: KObject[] = Array.from({ length: numPods }, (_, i) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `web-${i}`, namespace: "default", labels: { app: `app-${i % 20}` } },
    spec: {
      containers: [{ name: "c", image: "nginx:1.25", resources: { requests: { cpu: `${100 + (i % 5) * 50}m`, memory: `${128 + (i % 3) * 64}Mi` } } }],
      ...(i % 10 === 0
        ? { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { app: `app-${i % 20}` } } }] }
        : {}),
    },
  }));
  return { nodes, pods };
}

it("schedules 2,000 pods onto 200 nodes", () => {
  const { nodes, pods } = cluster(200, 2000);
  const t0 = performance.now();
  const res = scheduleBatch(pods, nodes, []);
  const ms = performance.now() - t0;
  const placed = res.filter((r) => "node" in r.result).length;
  console.log(`scheduler: ${placed}/${pods.length} pods on ${nodes.length} nodes in ${ms.toFixed(0)} ms = ${Math.round((pods.length / ms) * 1000)} pods/s`);
  expect(placed).toBe(2000);
});
