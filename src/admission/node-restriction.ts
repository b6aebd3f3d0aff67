/**
 * NodeRestriction (k8s.io/kubernetes plugin/pkg/admission/noderestriction): what a kubelet's
 * identity (`system:node:<name>` in group `system:nodes`) may write. A node may modify only its own
 * Node object — not its taints, its configSource, nor labels in the `node-restriction.kubernetes.io`
 * namespace or `kubernetes.io`/`k8s.io` labels other than the kubelet's own — create only mirror
 * pods bound and owned by itself that reference no other objects, delete, evict and update the
 * status of only pods bound to itself, update only the status of claims, request tokens only for
 * pods bound to itself, and touch only its own Lease (in `kube-node-lease`) and CSINode. Other
 * users, and other resources, are not restricted here (RBAC still applies).
 *
 * {@link admitNodeRestriction} is a pure decision: it returns the reason of a 403 (upstream's
 * wording; the caller words the Status as `<resource> "<name>" is forbidden: <reason>`) or null.
 * An object the decision needs that does not exist yields null: the request then fails with the
 * NotFound the verb itself answers (upstream returns that NotFound from the plugin).
 */
import type { AdmissionAttributes } from "./webhooks/dispatcher";
import { isDeepEqual as deepEqual } from "../registry/store";
import type { KObject } from "../registry/types";

export const MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror";
export const NODE_LEASE_NAMESPACE = "kube-node-lease";
const NODE_USER_PREFIX = "system:node:";
const NODES_GROUP = "system:nodes";
const NODE_RESTRICTION_LABEL_NAMESPACE = "node-restriction.kubernetes.io";

/** Labels a kubelet may set on its own Node (k8s.io/kubelet's well-known labels). */
const KUBELET_LABELS = new Set([
  "kubernetes.io/hostname",
  "topology.kubernetes.io/zone",
  "topology.kubernetes.io/region",
  "failure-domain.beta.kubernetes.io/zone",
  "failure-domain.beta.kubernetes.io/region",
  "beta.kubernetes.io/instance-type",
  "node.kubernetes.io/instance-type",
  "kubernetes.io/os",
  "kubernetes.io/arch",
  "beta.kubernetes.io/os",
  "beta.kubernetes.io/arch",
]);
/** Label namespaces (and their subdomains) a kubelet may set freely. */
const KUBELET_LABEL_NAMESPACES = ["kubelet.kubernetes.io", "node.kubernetes.io"];

/** What the decision may need to read: the current pod or node of a name, or null. */
export interface NodeRestrictionLookup {
  pod(namespace: string, name: string): KObject | null;
  node(name: string): KObject | null;
}

type User = { username: string; groups?: string[] };

/** The node a user is (the name after `system:node:`, possibly ""), or null when the user is not a node. */
export function nodeIdentity(user: User): string | null {
  if (!user.username.startsWith(NODE_USER_PREFIX) || !user.groups?.includes(NODES_GROUP)) return null;
  return user.username.slice(NODE_USER_PREFIX.length);
}

/** Why NodeRestriction refuses the request (the detail of a 403), or null when it admits it. */
export function admitNodeRestriction(user: User, attrs: AdmissionAttributes, lookup: NodeRestrictionLookup): string | null {
  const nodeName = nodeIdentity(user);
  if (nodeName === null) return null;
  if (!nodeName) return `could not determine node from user "${user.username}"`;
  const { group, resource, subresource } = attrs;
  if (group === "" && resource === "pods") {
    if (subresource === "") return admitPod(nodeName, attrs, lookup);
    if (subresource === "status") return admitPodStatus(nodeName, attrs);
    if (subresource === "eviction") return admitPodEviction(nodeName, attrs, lookup);
    return `unexpected pod subresource "${subresource}", only 'status' and 'eviction' are allowed`;
  }
  if (group === "" && resource === "nodes") return admitNode(nodeName, attrs);
  if (group === "" && resource === "persistentvolumeclaims") return subresource === "status" ? admitClaimStatus(nodeName, attrs) : "may only update PVC status";
  if (group === "" && resource === "serviceaccounts") return admitTokenRequest(attrs, lookup, nodeName);
  if (group === "coordination.k8s.io" && resource === "leases") {
    if (attrs.namespace !== NODE_LEASE_NAMESPACE) return `can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`;
    return requestedName(attrs) === nodeName ? null : "can only access node lease with the same name as the requesting node";
  }
  if (group === "storage.k8s.io" && resource === "csinodes") {
    return requestedName(attrs) === nodeName ? null : "can only access CSINode with the same name as the requesting node";
  }
  return null;
}

/** The name a request is about: the new object's on create, the request's otherwise. */
const requestedName = (attrs: AdmissionAttributes) => (attrs.operation === "CREATE" ? (attrs.object?.metadata.name ?? attrs.name) : attrs.name);

function admitPod(nodeName: string, attrs: AdmissionAttributes, lookup: NodeRestrictionLookup): string | null {
  if (attrs.operation === "CREATE") return admitMirrorPodCreate(nodeName, attrs.object!, lookup);
  if (attrs.operation === "DELETE") {
    const existing = attrs.oldObject ?? lookup.pod(attrs.namespace, attrs.name);
    if (!existing) return null;
    return existing.spec?.nodeName === nodeName ? null : `node "${nodeName}" can only delete pods with spec.nodeName set to itself`;
  }
  return `unexpected operation "${attrs.operation}", node "${nodeName}" can only create and delete mirror pods`;
}

function admitMirrorPodCreate(nodeName: string, pod: KObject, lookup: NodeRestrictionLookup): string | null {
  const refuse = (what: string) => `node "${nodeName}" ${what}`;
  if (!(MIRROR_POD_ANNOTATION in (pod.metadata.annotations ?? {}))) return `pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node "${nodeName}" can only create mirror pods`;
  if (pod.spec?.nodeName !== nodeName) return refuse("can only create pods with spec.nodeName set to itself");
  const owners = pod.metadata.ownerReferences ?? [];
  if (owners.length > 1) return refuse("can only create pods with a single owner reference set to itself");
  const owner = owners[0];
  if (!owner || owner.apiVersion !== "v1" || owner.kind !== "Node" || owner.name !== nodeName) return refuse("can only create pods with an owner reference set to itself");
  if (owner.controller !== true) return refuse("can only create pods with a controller owner reference set to itself");
  if (owner.blockOwnerDeletion === true) return refuse("must not set blockOwnerDeletion on an owner reference");
  const node = lookup.node(nodeName);
  if (!node) return null;
  if (owner.uid !== node.metadata.uid) return `node ${nodeName} UID mismatch: expected ${owner.uid} got ${node.metadata.uid}`;
  const spec = pod.spec ?? {};
  if (spec.serviceAccountName) return refuse("can not create pods that reference a service account");
  const refs = podReferences(spec);
  if (refs.secrets) return refuse("can not create pods that reference secrets");
  if (refs.configMaps) return refuse("can not create pods that reference configmaps");
  if (refs.clusterTrustBundles) return refuse("can not create pods that reference clustertrustbundles");
  if (refs.claims) return refuse("can not create pods that reference persistentvolumeclaims");
  return null;
}

/** Volume sources that name a Secret through `secretRef` (upstream's VisitPodSecretNames). */
const SECRET_REF_VOLUMES = ["azureFile", "cephfs", "cinder", "flexVolume", "iscsi", "rbd", "scaleIO", "storageos"];

/** Which kinds of other API objects a pod spec references. */
function podReferences(spec: Record<string, any>) {
  const containers: Record<string, any>[] = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
  const volumes: Record<string, any>[] = spec.volumes ?? [];
  const projected = volumes.flatMap((v) => (v.projected?.sources ?? []) as Record<string, any>[]);
  const env = containers.flatMap((c) => (c.env ?? []) as Record<string, any>[]);
  const envFrom = containers.flatMap((c) => (c.envFrom ?? []) as Record<string, any>[]);
  return {
    secrets:
      (spec.imagePullSecrets ?? []).length > 0 ||
      volumes.some((v) => v.secret || v.azureFile?.secretName || v.csi?.nodePublishSecretRef || SECRET_REF_VOLUMES.some((type) => v[type]?.secretRef)) ||
      projected.some((s) => s.secret) ||
      env.some((e) => e.valueFrom?.secretKeyRef) ||
      envFrom.some((e) => e.secretRef),
    configMaps: volumes.some((v) => v.configMap) || projected.some((s) => s.configMap) || env.some((e) => e.valueFrom?.configMapKeyRef) || envFrom.some((e) => e.configMapRef),
    clusterTrustBundles: projected.some((s) => s.clusterTrustBundle),
    claims: volumes.some((v) => v.persistentVolumeClaim),
  };
}

function admitPodStatus(nodeName: string, attrs: AdmissionAttributes): string | null {
  if (attrs.operation !== "UPDATE") return `unexpected operation "${attrs.operation}"`;
  const old = attrs.oldObject!;
  const pod = attrs.object!;
  if (old.spec?.nodeName !== nodeName) return `node "${nodeName}" can only update pod status for pods with spec.nodeName set to itself`;
  if (!sameStringMap(old.metadata.labels, pod.metadata.labels)) return `node "${nodeName}" cannot update labels through pod status`;
  if (!sameClaimStatuses(old.status?.resourceClaimStatuses, pod.status?.resourceClaimStatuses)) return `node "${nodeName}" cannot update resource claim statues`;
  return null;
}

function sameClaimStatuses(a: { name: string; resourceClaimName?: string }[] = [], b: { name: string; resourceClaimName?: string }[] = []): boolean {
  return a.length === b.length && a.every((s, i) => s.name === b[i]!.name && (s.resourceClaimName ?? null) === (b[i]!.resourceClaimName ?? null));
}

function admitPodEviction(nodeName: string, attrs: AdmissionAttributes, lookup: NodeRestrictionLookup): string | null {
  if (attrs.operation !== "CREATE") return `unexpected operation ${attrs.operation}`;
  const podName = attrs.name || attrs.object?.metadata.name;
  if (!podName) return "could not determine pod from request data";
  const pod = lookup.pod(attrs.namespace, podName);
  if (!pod) return null;
  return pod.spec?.nodeName === nodeName ? null : `node ${nodeName} can only evict pods with spec.nodeName set to itself`;
}

function admitNode(nodeName: string, attrs: AdmissionAttributes): string | null {
  const name = requestedName(attrs);
  if (name !== nodeName) return `node "${nodeName}" is not allowed to modify node "${name}"`;
  const node = attrs.object;
  if (attrs.operation === "CREATE" && node) {
    if (node.spec?.configSource) return `node "${nodeName}" is not allowed to create pods with a non-nil configSource`;
    const forbidden = forbiddenLabels(modifiedLabels(node.metadata.labels, undefined));
    if (forbidden.length) return `node "${nodeName}" is not allowed to set the following labels: ${forbidden.join(", ")}`;
  }
  if (attrs.operation === "UPDATE" && node && attrs.oldObject) {
    const old = attrs.oldObject;
    if (node.spec?.configSource && !deepEqual(node.spec.configSource, old.spec?.configSource)) return `node "${nodeName}" is not allowed to update configSource to a new non-nil configSource`;
    if (!deepEqual(emptyAsNone(node.spec?.taints), emptyAsNone(old.spec?.taints))) return `node "${nodeName}" is not allowed to modify taints`;
    const forbidden = forbiddenLabels(modifiedLabels(node.metadata.labels, old.metadata.labels));
    if (forbidden.length) return `is not allowed to modify labels: ${forbidden.join(", ")}`;
  }
  return null;
}

/** The label keys added, removed or changed between two label sets. */
function modifiedLabels(a: Record<string, string> = {}, b: Record<string, string> = {}): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]);
}

const labelNamespace = (key: string) => (key.includes("/") ? key.slice(0, key.indexOf("/")) : "");
const inNamespace = (namespace: string, domain: string) => namespace === domain || namespace.endsWith(`.${domain}`);

/** Whether a kubelet may set this label on its own Node. */
export function isKubeletLabel(key: string): boolean {
  return KUBELET_LABELS.has(key) || KUBELET_LABEL_NAMESPACES.some((domain) => inNamespace(labelNamespace(key), domain));
}

/** The modified labels a node may not add, remove or change, sorted. */
function forbiddenLabels(modified: string[]): string[] {
  return modified
    .filter((key) => {
      const namespace = labelNamespace(key);
      if (inNamespace(namespace, NODE_RESTRICTION_LABEL_NAMESPACE)) return true;
      return (inNamespace(namespace, "kubernetes.io") || inNamespace(namespace, "k8s.io")) && !isKubeletLabel(key);
    })
    .sort();
}

/** Claim status fields a node may change (RecoverVolumeExpansionFailure on, as upstream's default). */
const NODE_WRITABLE_CLAIM_STATUS = ["capacity", "conditions", "allocatedResourceStatuses", "allocatedResources"];

function admitClaimStatus(nodeName: string, attrs: AdmissionAttributes): string | null {
  if (attrs.operation !== "UPDATE") return `unexpected operation "${attrs.operation}"`;
  const comparable = (claim: KObject) => {
    const { resourceVersion: _rv, managedFields: _mf, ...metadata } = claim.metadata;
    const status = Object.fromEntries(Object.entries(claim.status ?? {}).filter(([k]) => !NODE_WRITABLE_CLAIM_STATUS.includes(k)));
    return { ...claim, metadata, status };
  };
  const before = comparable(attrs.oldObject!);
  const after = comparable(attrs.object!);
  if (deepEqual(before, after)) return null;
  const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].flatMap((top) => {
    const a = (before as Record<string, any>)[top] ?? {};
    const b = (after as Record<string, any>)[top] ?? {};
    if (typeof a !== "object" || typeof b !== "object") return deepEqual(a, b) ? [] : [top];
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !deepEqual(a[k], b[k])).map((k) => `${top}.${k}`);
  });
  // Upstream appends a go-cmp diff of the two claims; we name the fields that differ.
  return `node "${nodeName}" is not allowed to update fields other than status.capacity and status.conditions: ${changed.join(", ")}`;
}

function admitTokenRequest(attrs: AdmissionAttributes, lookup: NodeRestrictionLookup, nodeName: string): string | null {
  if (attrs.operation !== "CREATE" || attrs.subresource !== "token") return null;
  const ref = attrs.object?.spec?.boundObjectRef as { apiVersion?: string; kind?: string; name?: string; uid?: string } | undefined;
  if (!ref || ref.apiVersion !== "v1" || ref.kind !== "Pod" || !ref.name) return "node requested token not bound to a pod";
  if (!ref.uid) return "node requested token with a pod binding without a uid";
  const pod = lookup.pod(attrs.namespace, ref.name);
  if (!pod) return null;
  if (ref.uid !== pod.metadata.uid) return `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`;
  return pod.spec?.nodeName === nodeName ? null : "node requested token bound to a pod scheduled on a different node";
}

function sameStringMap(a: Record<string, string> = {}, b: Record<string, string> = {}): boolean {
  return modifiedLabels(a, b).length === 0;
}

/** Absent and empty lists compare equal (Go's semantic equality of nil and empty slices). */
const emptyAsNone = (list: unknown[] | undefined) => (list && list.length ? list : undefined);
