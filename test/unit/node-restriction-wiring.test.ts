/**
 * NodeRestriction on the API: a node identity (`system:node:<name>`, group `system:nodes`), even
 * with every RBAC permission, may change only its own Node and not its protected labels or
 * taints, and may create only mirror pods of its own; other users are not restricted by it.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cluster, paths, pod, type Cluster } from "./support/cluster";

let c: Cluster;
beforeEach(async () => {
  c = await cluster();
  // RBAC lets the nodes do anything: what remains refused is NodeRestriction's doing.
  const binding = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "nodes-are-admins" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "system:nodes" }],
  };
  expect((await c.post("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", binding)).status).toBe(201);
});
afterEach(async () => {
  await c?.closeWatches();
});

const asNode = (name: string) => ({ headers: { "impersonate-user": `system:node:${name}`, "impersonate-group": "system:nodes" } });

describe("NodeRestriction", () => {
  it("lets a node change only its own Node, and not its protected labels", async () => {
    const other = await c.patch("/api/v1/nodes/worker-2", { metadata: { labels: { team: "x" } } }, undefined, asNode("worker-1"));
    expect(other.status).toBe(403);
    expect(other.body.message).toBe('nodes "worker-2" is forbidden: node "worker-1" is not allowed to modify node "worker-2"');
    const protectedLabel = await c.patch("/api/v1/nodes/worker-1", { metadata: { labels: { "node-restriction.kubernetes.io/pool": "gpu" } } }, undefined, asNode("worker-1"));
    expect(protectedLabel.status).toBe(403);
    expect(protectedLabel.body.message).toContain("is not allowed to modify labels: node-restriction.kubernetes.io/pool");
    expect((await c.patch("/api/v1/nodes/worker-1", { metadata: { labels: { "topology.kubernetes.io/zone": "a" } } }, undefined, asNode("worker-1"))).status).toBe(200);
    // The same change by the admin is not NodeRestriction's business.
    expect((await c.patch("/api/v1/nodes/worker-2", { metadata: { labels: { "node-restriction.kubernetes.io/pool": "gpu" } } })).status).toBe(200);
  });

  it("lets a node create only mirror pods", async () => {
    const created = await c.post(paths.pods(), pod("sneaky"), asNode("worker-1"));
    expect(created.status).toBe(403);
    expect(created.body.message).toBe('pods "sneaky" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "worker-1" can only create mirror pods');
  });
});
