/**
 * The objects a new sandbox starts with, as kubeadm leaves a fresh cluster: the system
 * namespaces, the system PriorityClasses, the `kubernetes` Service with its Endpoints and EndpointSlice, Ready nodes with their Leases, a
 * default ServiceAccount per namespace and, unless the spec turns them off, the add-ons of
 * ./addons.ts. Pure: the caller writes them through the registry, phase by phase.
 */
import { formatMicroTime } from "../registry/clock";
import { bootstrapPolicy } from "../auth/bootstrap-policy";
import type { KObject } from "../registry/types";
import { gitVersion } from "../apiserver/version";
import type { StaticPodManifest } from "../controlplane/kubelet/static-pods";
import { addonNamespaces, addonObjects, staticPodManifests, stableHex, uuidFrom, type AddonCluster, type ResourceObject } from "./addons";
import { nodeNames, type NodePoolSpec, type SandboxSpec } from "./spec";
import { SYSTEM_PRIORITY_CLASSES } from "../registry/kinds/priorityclass";

export const systemNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];
export const KUBERNETES_SERVICE_IP = "10.96.0.1";
const CONTROL_PLANE_TAINT = { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" as const };

export interface BootstrapObjects {
  /** Written first: everything else lives in them. */
  namespaces: KObject[];
  /** Written once the namespaces exist, before any pod (the system PriorityClasses come first); each entry names its resource. */
  objects: ResourceObject[];
  /** Static pod manifests on the nodes (kubeadm's control plane); their kubelets post the mirror pods. */
  staticPods: StaticPodManifest[];
}

export interface NodeIdentity {
  name: string;
  pool: NodePoolSpec;
  /** 0-based position of the node in the sandbox: picks its IP and pod CIDR. */
  index: number;
}

export function nodeIdentities(spec: SandboxSpec): NodeIdentity[] {
  const out: NodeIdentity[] = [];
  for (const pool of spec.nodes) for (const name of nodeNames(pool)) out.push({ name, pool, index: out.length });
  return out;
}

/** 172.18.0.2, .3, … as a kind network assigns them; wraps into further /24s past 253 nodes. */
export function nodeIP(index: number): string {
  const n = index + 2;
  return `172.18.${Math.floor(n / 254)}.${(n % 254) + (n >= 254 ? 1 : 0)}`;
}

/** One /24 per node out of 10.244.0.0/16 (wrapping into 10.245+ past 256 nodes). */
export function podCIDR(index: number): string {
  return `10.${244 + Math.floor(index / 256)}.${index % 256}.0/24`;
}

export function nodeObject(node: NodeIdentity, kubernetesVersion: string, sandboxId: string): KObject {
  const { pool, name, index } = node;
  const isControlPlane = pool.roles.includes("control-plane");
  const labels: Record<string, string> = {
    "beta.kubernetes.io/arch": "amd64",
    "beta.kubernetes.io/os": "linux",
    "kubernetes.io/arch": "amd64",
    "kubernetes.io/hostname": name,
    "kubernetes.io/os": "linux",
  };
  for (const role of pool.roles) labels[`node-role.kubernetes.io/${role}`] = "";
  if (isControlPlane) labels["node.kubernetes.io/exclude-from-external-load-balancers"] = "";
  Object.assign(labels, pool.labels);
  const taints = [...(isControlPlane ? [CONTROL_PLANE_TAINT] : []), ...pool.taints.filter((t) => t.key !== CONTROL_PLANE_TAINT.key)];
  const version = gitVersion(kubernetesVersion);
  const resources = {
    cpu: pool.cpu,
    "ephemeral-storage": "102400Mi",
    "hugepages-1Gi": "0",
    "hugepages-2Mi": "0",
    memory: pool.memory,
    pods: String(pool.pods),
  };
  const cidr = podCIDR(index);
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: undefined as string | undefined,
    lastTransitionTime: undefined as string | undefined,
  });
  const obj: KObject = {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels,
      annotations: {
        "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
      },
    },
    spec: { podCIDR: cidr, podCIDRs: [cidr], providerID: `sandkube://${sandboxId}/${name}`, ...(taints.length ? { taints } : {}) },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [
        condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
      ],
      addresses: [
        { type: "InternalIP", address: nodeIP(index) },
        { type: "Hostname", address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: stableHex(`${sandboxId}/${name}/machine`),
        systemUUID: uuidFrom(stableHex(`${sandboxId}/${name}/system`)),
        bootID: uuidFrom(stableHex(`${sandboxId}/${name}/boot`)),
        kernelVersion: "6.1.0-28-cloud-amd64",
        osImage: "Debian GNU/Linux 12 (bookworm)",
        containerRuntimeVersion: "containerd://1.7.24",
        kubeletVersion: version,
        kubeProxyVersion: version,
        operatingSystem: "linux",
        architecture: "amd64",
      },
      images: [],
    },
  };
  return obj;
}

/** Stamps heartbeat and transition times on a node's conditions (the bootstrap kubelet's first report). */
export function withConditionTimes(node: KObject, time: string): KObject {
  for (const c of node.status.conditions) {
    c.lastHeartbeatTime = time;
    c.lastTransitionTime = time;
  }
  return node;
}

/** The resource that stores each kind of the RBAC policy. */
const RBAC_RESOURCES: Record<string, string> = { ClusterRole: "clusterroles", ClusterRoleBinding: "clusterrolebindings", Role: "roles", RoleBinding: "rolebindings" };

export function bootstrapObjects(spec: SandboxSpec, sandboxId: string, nowMs: number): BootstrapObjects {
  const namespaces: KObject[] = systemNamespaces.map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));
  // kube-apiserver's own startup writes the system PriorityClasses: every sandbox has them.
  const objects: ResourceObject[] = SYSTEM_PRIORITY_CLASSES.map((pc) => ({ group: "scheduling.k8s.io", resource: "priorityclasses", object: structuredClone(pc) }));
  // …and its default RBAC policy.
  for (const object of bootstrapPolicy()) objects.push({ group: "rbac.authorization.k8s.io", resource: RBAC_RESOURCES[object.kind]!, object });
  const core = (resource: string, object: KObject) => objects.push({ group: "", resource, object });
  const nodes = nodeIdentities(spec);
  const controlPlane = nodes.find((n) => n.pool.roles.includes("control-plane")) ?? nodes[0];
  const heartbeat = new Date(Math.floor(nowMs / 1000) * 1000).toISOString().replace(".000Z", "Z");

  core("services", {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kubernetes", namespace: "default", labels: { component: "apiserver", provider: "kubernetes" } },
    spec: { type: "ClusterIP", clusterIP: KUBERNETES_SERVICE_IP, ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 6443 }] },
  });
  core("endpoints", {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name: "kubernetes", namespace: "default", labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } },
    subsets: [{ addresses: [{ ip: nodeIP(controlPlane.index) }], ports: [{ name: "https", port: 6443, protocol: "TCP" }] }],
  });
  objects.push({
    group: "discovery.k8s.io",
    resource: "endpointslices",
    object: {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "kubernetes", namespace: "default", labels: { "kubernetes.io/service-name": "kubernetes" } },
      addressType: "IPv4",
      endpoints: [{ addresses: [nodeIP(controlPlane.index)], conditions: { ready: true } }],
      ports: [{ name: "https", port: 6443, protocol: "TCP" }],
    },
  });
  for (const node of nodes) {
    core("nodes", withConditionTimes(nodeObject(node, spec.kubernetesVersion, sandboxId), heartbeat));
    objects.push({
      group: "coordination.k8s.io",
      resource: "leases",
      object: {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: node.name, namespace: "kube-node-lease" },
        spec: { holderIdentity: node.name, leaseDurationSeconds: 40, renewTime: formatMicroTime(nowMs) },
      },
    });
  }
  for (const ns of systemNamespaces) {
    core("serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: ns } });
  }
  if (spec.addons === false) return { namespaces, objects, staticPods: [] };

  const addons: AddonCluster = { sandboxId, kubernetesVersion: spec.kubernetesVersion, controlPlane: { name: controlPlane.name, ip: nodeIP(controlPlane.index) }, nowMs };
  return {
    namespaces: [...namespaces, ...addonNamespaces()],
    objects: [...objects, ...addonObjects(addons)],
    staticPods: staticPodManifests(addons),
  };
}
