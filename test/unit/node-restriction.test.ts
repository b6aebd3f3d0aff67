/**
 * NodeRestriction: what a kubelet's identity may write, with upstream's messages. The decision is
 * pure; these tests hand it requests as the store would describe them.
 */
import { describe, expect, it } from "vitest";
import { admitNodeRestriction, isKubeletLabel, nodeIdentity, type NodeRestrictionLookup } from "../../src/admission/node-restriction";
import type { AdmissionAttributes } from "../../src/admission/webhooks/dispatcher";
import type { KObject } from "../../src/registry/types";

const node1 = { username: "system:node:node-1", groups: ["system:nodes", "system:authenticated"] };
const NODE_UID = "uid-node-1";

const nodeObject = (name: string, labels: Record<string, string> = {}, spec: Record<string, unknown> = {}): KObject => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name, uid: name === "node-1" ? NODE_UID : `uid-${name}`, labels },
  spec,
});
const podObject = (name: string, nodeName: string | undefined, extra: { metadata?: Record<string, unknown>; spec?: Record<string, unknown> } = {}): KObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", uid: `uid-${name}`, ...extra.metadata },
  spec: { containers: [{ name: "main", image: "nginx" }], ...(nodeName ? { nodeName } : {}), ...extra.spec },
});
const mirrorPod = (extra: { metadata?: Record<string, unknown>; spec?: Record<string, unknown> } = {}) =>
  podObject("kube-proxy-node-1", "node-1", {
    ...extra,
    metadata: {
      annotations: { "kubernetes.io/config.mirror": "hash" },
      ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "node-1", uid: NODE_UID, controller: true }],
      ...extra.metadata,
    },
  });

const pods: Record<string, KObject> = { mine: podObject("mine", "node-1"), theirs: podObject("theirs", "node-2") };
const lookup: NodeRestrictionLookup = {
  pod: (_ns, name) => pods[name] ?? null,
  node: (name) => (name === "node-1" ? nodeObject("node-1") : null),
};

type Request = Partial<AdmissionAttributes> & Pick<AdmissionAttributes, "operation" | "resource">;
function attrs(request: Request): AdmissionAttributes {
  const object = request.object ?? null;
  return {
    group: "",
    version: "v1",
    kind: "",
    subresource: "",
    namespaced: true,
    namespace: "default",
    name: object?.metadata.name ?? "",
    object,
    oldObject: null,
    user: node1,
    dryRun: false,
    ...request,
  };
}
const decide = (request: Request, user = node1) => admitNodeRestriction(user, attrs(request), lookup);

describe("who is a node", () => {
  it("is a system:node:<name> user in the system:nodes group; others pass untouched", () => {
    expect(nodeIdentity(node1)).toBe("node-1");
    expect(nodeIdentity({ username: "system:node:node-1", groups: ["system:authenticated"] })).toBeNull();
    expect(nodeIdentity({ username: "jane", groups: ["system:nodes"] })).toBeNull();
    expect(decide({ operation: "DELETE", resource: "nodes", name: "node-2" }, { username: "jane", groups: [] })).toBeNull();
  });

  it("refuses a node identity without a name", () => {
    expect(decide({ operation: "UPDATE", resource: "nodes", name: "node-1" }, { username: "system:node:", groups: ["system:nodes"] })).toBe('could not determine node from user "system:node:"');
  });
});

describe("Node objects", () => {
  it("a node modifies only its own Node", () => {
    expect(decide({ operation: "UPDATE", resource: "nodes", name: "node-2", object: nodeObject("node-2"), oldObject: nodeObject("node-2") })).toBe('node "node-1" is not allowed to modify node "node-2"');
    expect(decide({ operation: "DELETE", resource: "nodes", name: "node-2" })).toBe('node "node-1" is not allowed to modify node "node-2"');
    expect(decide({ operation: "UPDATE", resource: "nodes", subresource: "status", name: "node-1", object: nodeObject("node-1"), oldObject: nodeObject("node-1") })).toBeNull();
  });

  it("registers with only the labels a kubelet may set", () => {
    const labels = { "kubernetes.io/hostname": "node-1", "node.kubernetes.io/exclude-from-external-load-balancers": "", "example.com/team": "a" };
    expect(decide({ operation: "CREATE", resource: "nodes", object: nodeObject("node-1", labels) })).toBeNull();
    const forbidden = { ...labels, "node-role.kubernetes.io/control-plane": "", "node-restriction.kubernetes.io/pool": "gpu" };
    expect(decide({ operation: "CREATE", resource: "nodes", object: nodeObject("node-1", forbidden) })).toBe(
      'node "node-1" is not allowed to set the following labels: node-restriction.kubernetes.io/pool, node-role.kubernetes.io/control-plane',
    );
    expect(decide({ operation: "CREATE", resource: "nodes", object: nodeObject("node-1", {}, { configSource: { configMap: {} } }) })).toBe(
      'node "node-1" is not allowed to create pods with a non-nil configSource',
    );
  });

  it("may not change its taints or protected labels; may change other labels", () => {
    const old = nodeObject("node-1", { "kubernetes.io/hostname": "node-1", "sub.node-restriction.kubernetes.io/pool": "gpu" }, { taints: [{ key: "k", effect: "NoSchedule" }] });
    const update = (labels: Record<string, string>, spec: Record<string, unknown> = old.spec!) =>
      decide({ operation: "UPDATE", resource: "nodes", name: "node-1", object: nodeObject("node-1", labels, spec), oldObject: old });
    expect(update({ ...old.metadata.labels, "example.com/rack": "r1", "topology.kubernetes.io/zone": "z" })).toBeNull();
    expect(update({ "kubernetes.io/hostname": "node-1" })).toBe("is not allowed to modify labels: sub.node-restriction.kubernetes.io/pool");
    expect(update({ ...old.metadata.labels, "node-role.kubernetes.io/worker": "" })).toBe("is not allowed to modify labels: node-role.kubernetes.io/worker");
    expect(update(old.metadata.labels!, { taints: [] })).toBe('node "node-1" is not allowed to modify taints');
    expect(update(old.metadata.labels!, { ...old.spec, configSource: { configMap: { name: "x" } } })).toBe('node "node-1" is not allowed to update configSource to a new non-nil configSource');
  });

  it("knows the kubelet's own labels", () => {
    for (const key of ["kubernetes.io/os", "beta.kubernetes.io/arch", "kubelet.kubernetes.io/x", "a.node.kubernetes.io/y", "node.kubernetes.io/instance-type"]) expect(isKubeletLabel(key)).toBe(true);
    for (const key of ["node-role.kubernetes.io/worker", "kubernetes.io/role", "example.k8s.io/x"]) expect(isKubeletLabel(key)).toBe(false);
  });
});

describe("pods", () => {
  it("creates only mirror pods bound to and owned by itself", () => {
    const create = (pod: KObject) => decide({ operation: "CREATE", resource: "pods", object: pod });
    expect(create(mirrorPod())).toBeNull();
    expect(create(podObject("plain", "node-1"))).toBe('pod does not have "kubernetes.io/config.mirror" annotation, node "node-1" can only create mirror pods');
    expect(create(mirrorPod({ spec: { nodeName: "node-2" } }))).toBe('node "node-1" can only create pods with spec.nodeName set to itself');
    expect(create(mirrorPod({ metadata: { ownerReferences: [] } }))).toBe('node "node-1" can only create pods with an owner reference set to itself');
    const owner = { apiVersion: "v1", kind: "Node", name: "node-1", uid: NODE_UID };
    expect(create(mirrorPod({ metadata: { ownerReferences: [owner, owner] } }))).toBe('node "node-1" can only create pods with a single owner reference set to itself');
    expect(create(mirrorPod({ metadata: { ownerReferences: [{ ...owner, name: "node-2", controller: true }] } }))).toBe('node "node-1" can only create pods with an owner reference set to itself');
    expect(create(mirrorPod({ metadata: { ownerReferences: [owner] } }))).toBe('node "node-1" can only create pods with a controller owner reference set to itself');
    expect(create(mirrorPod({ metadata: { ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: true }] } }))).toBe('node "node-1" must not set blockOwnerDeletion on an owner reference');
    expect(create(mirrorPod({ metadata: { ownerReferences: [{ ...owner, controller: true, uid: "stale" }] } }))).toBe(`node node-1 UID mismatch: expected stale got ${NODE_UID}`);
  });

  it("a mirror pod may reference no other API object", () => {
    const create = (spec: Record<string, unknown>) => decide({ operation: "CREATE", resource: "pods", object: mirrorPod({ spec }) });
    const withEnv = (env: unknown[]) => ({ containers: [{ name: "main", image: "nginx", env }] });
    expect(create({ serviceAccountName: "default" })).toBe('node "node-1" can not create pods that reference a service account');
    expect(create({ volumes: [{ name: "s", secret: { secretName: "x" } }] })).toBe('node "node-1" can not create pods that reference secrets');
    expect(create({ imagePullSecrets: [{ name: "regcred" }] })).toBe('node "node-1" can not create pods that reference secrets');
    expect(create(withEnv([{ name: "A", valueFrom: { secretKeyRef: { name: "x", key: "k" } } }]))).toBe('node "node-1" can not create pods that reference secrets');
    expect(create(withEnv([{ name: "A", valueFrom: { configMapKeyRef: { name: "x", key: "k" } } }]))).toBe('node "node-1" can not create pods that reference configmaps');
    expect(create({ volumes: [{ name: "p", projected: { sources: [{ configMap: { name: "x" } }] } }] })).toBe('node "node-1" can not create pods that reference configmaps');
    expect(create({ volumes: [{ name: "p", projected: { sources: [{ clusterTrustBundle: { name: "x", path: "ca" } }] } }] })).toBe(
      'node "node-1" can not create pods that reference clustertrustbundles',
    );
    expect(create({ volumes: [{ name: "d", persistentVolumeClaim: { claimName: "data" } }] })).toBe('node "node-1" can not create pods that reference persistentvolumeclaims');
    expect(create({ volumes: [{ name: "h", hostPath: { path: "/etc/kubernetes" } }] })).toBeNull();
  });

  it("deletes, evicts and updates the status of only pods bound to itself", () => {
    expect(decide({ operation: "DELETE", resource: "pods", name: "mine", oldObject: pods.mine! })).toBeNull();
    expect(decide({ operation: "DELETE", resource: "pods", name: "theirs" })).toBe('node "node-1" can only delete pods with spec.nodeName set to itself');
    expect(decide({ operation: "DELETE", resource: "pods", name: "gone" })).toBeNull();
    expect(decide({ operation: "UPDATE", resource: "pods", name: "mine", object: pods.mine!, oldObject: pods.mine! })).toBe(
      'unexpected operation "UPDATE", node "node-1" can only create and delete mirror pods',
    );
    expect(decide({ operation: "CREATE", resource: "pods", subresource: "eviction", name: "mine" })).toBeNull();
    expect(decide({ operation: "CREATE", resource: "pods", subresource: "eviction", name: "theirs" })).toBe("node node-1 can only evict pods with spec.nodeName set to itself");
    const status = (old: KObject, next: KObject) => decide({ operation: "UPDATE", resource: "pods", subresource: "status", name: old.metadata.name!, object: next, oldObject: old });
    expect(status(pods.mine!, { ...pods.mine!, status: { phase: "Running" } })).toBeNull();
    expect(status(pods.theirs!, pods.theirs!)).toBe('node "node-1" can only update pod status for pods with spec.nodeName set to itself');
    expect(status(pods.mine!, { ...pods.mine!, metadata: { ...pods.mine!.metadata, labels: { app: "x" } } })).toBe('node "node-1" cannot update labels through pod status');
    expect(decide({ operation: "CREATE", resource: "pods", subresource: "binding", name: "mine" })).toBe(`unexpected pod subresource "binding", only 'status' and 'eviction' are allowed`);
  });
});

describe("claims, tokens, leases, CSINodes", () => {
  it("updates only the capacity and conditions of a claim's status", () => {
    const claim: KObject = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "data", namespace: "default", resourceVersion: "5" }, spec: { resources: { requests: { storage: "1Gi" } } }, status: { phase: "Bound" } };
    const status = (next: KObject) => decide({ operation: "UPDATE", resource: "persistentvolumeclaims", subresource: "status", name: "data", object: next, oldObject: claim });
    expect(status({ ...claim, metadata: { ...claim.metadata, resourceVersion: "" }, status: { ...claim.status, capacity: { storage: "2Gi" }, conditions: [] } })).toBeNull();
    expect(status({ ...claim, metadata: { ...claim.metadata, labels: { a: "b" } } })).toBe(
      'node "node-1" is not allowed to update fields other than status.capacity and status.conditions: metadata.labels',
    );
    expect(decide({ operation: "UPDATE", resource: "persistentvolumeclaims", name: "data", object: claim, oldObject: claim })).toBe("may only update PVC status");
  });

  it("requests tokens only bound to a pod on itself", () => {
    const request = (boundObjectRef?: Record<string, string>) =>
      decide({ operation: "CREATE", resource: "serviceaccounts", subresource: "token", name: "default", object: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", metadata: { name: "default" }, spec: { boundObjectRef } } });
    expect(request()).toBe("node requested token not bound to a pod");
    expect(request({ apiVersion: "v1", kind: "Secret", name: "s", uid: "u" })).toBe("node requested token not bound to a pod");
    expect(request({ apiVersion: "v1", kind: "Pod", name: "mine" })).toBe("node requested token with a pod binding without a uid");
    expect(request({ apiVersion: "v1", kind: "Pod", name: "mine", uid: "old" })).toBe(
      "the UID in the bound object reference (old) does not match the UID in record. The object might have been deleted and then recreated",
    );
    expect(request({ apiVersion: "v1", kind: "Pod", name: "theirs", uid: "uid-theirs" })).toBe("node requested token bound to a pod scheduled on a different node");
    expect(request({ apiVersion: "v1", kind: "Pod", name: "mine", uid: "uid-mine" })).toBeNull();
  });

  it("touches only its own Lease in kube-node-lease and its own CSINode", () => {
    const lease = (namespace: string, name: string, operation: AdmissionAttributes["operation"] = "UPDATE") =>
      decide({ operation, group: "coordination.k8s.io", resource: "leases", namespace, name, object: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name } } });
    expect(lease("kube-node-lease", "node-1")).toBeNull();
    expect(lease("kube-node-lease", "node-1", "CREATE")).toBeNull();
    expect(lease("kube-node-lease", "node-2")).toBe("can only access node lease with the same name as the requesting node");
    expect(lease("default", "node-1")).toBe('can only access leases in the "kube-node-lease" system namespace');
    const csiNode = (name: string) => decide({ operation: "DELETE", group: "storage.k8s.io", resource: "csinodes", namespaced: false, namespace: "", name });
    expect(csiNode("node-1")).toBeNull();
    expect(csiNode("node-2")).toBe("can only access CSINode with the same name as the requesting node");
  });

  it("leaves other resources to RBAC", () => {
    expect(decide({ operation: "CREATE", resource: "configmaps", object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } } })).toBeNull();
  });
});
