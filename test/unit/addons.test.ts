/**
 * The kubeadm add-ons a new sandbox starts with, as a user finds them with kubectl: the
 * control-plane mirror pods owned by their Node, CoreDNS behind kube-dns, kube-proxy and flannel,
 * kubeadm's ConfigMaps, the leader Leases and `kubectl get componentstatuses`; and nothing of it
 * with `"addons": false`.
 */
import { describe, expect, it } from "vitest";
import { bootstrapObjects } from "../../src/sandbox/bootstrap";
import { Sandbox, type SandboxRecord } from "../../src/sandbox/sandbox";
import { defaultNodePools, parseSandboxSpec, SpecError, type SandboxSpec } from "../../src/sandbox/spec";
import { selectEverything } from "../../src/registry/selection";
import { createMemoryBackend } from "../../src/storage/memory";
import type { KObject } from "../../src/registry/types";
import { accept, cluster, T0, testClock, testIds, runLoop } from "./support/cluster";

/** A bootstrapped sandbox whose control loop the test drives (as test/unit/control-loop.test.ts). */
async function sandboxWith(spec: Partial<SandboxSpec> = {}) {
  const clock = testClock();
  const full: SandboxSpec = { name: "t", ttlSeconds: 3600, kubernetesVersion: "1.32", speed: 1, nodes: defaultNodePools(), addons: true, ...spec };
  const record: SandboxRecord = { id: "sbx", name: "t", owner: "o", createdAt: T0, expiresAt: null, kubernetesVersion: full.kubernetesVersion, speed: 1, spec: full, tokenGeneration: 1 };
  const sandbox = new Sandbox(record, { backend: createMemoryBackend({}), clock, ids: testIds(), authenticate: async () => null, wake: () => {} });
  await sandbox.bootstrap();
  const registry = sandbox.registry;
  return {
    registry,
    list: (group: string, resource: string, ns = "kube-system") => registry.resource(group, resource).list(ns, { selection: selectEverything }).items,
    get: (group: string, resource: string, name: string, ns = "kube-system") => registry.resource(group, resource).get(ns, name),
    /** `kind/namespace/name@resourceVersion` of every object but the nodes and their heartbeat Leases. */
    versions: () =>
      registry
        .stores()
        .flatMap((store) => store.list("", { selection: selectEverything }).items)
        .filter((o) => o.kind !== "Node" && o.metadata.namespace !== "kube-node-lease")
        .map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}@${o.metadata.resourceVersion}`)
        .sort(),
    /** Lets `horizonMs` of time pass, running the loop whenever it asks to be woken. */
    run: (horizonMs = 60_000) => runLoop(sandbox, clock, horizonMs),
  };
}

const names = (items: KObject[]) => items.map((o) => o.metadata.name).sort();
const container = (pod: KObject) => pod.spec.containers[0];

describe("a new sandbox's kube-system", () => {
  it("holds the four mirror pods of the control-plane node, owned by the Node's real uid", async () => {
    const s = await sandboxWith();
    const node = s.get("", "nodes", "control-plane", "");
    const pods = s.list("", "pods");
    expect(names(pods)).toEqual(["etcd-control-plane", "kube-apiserver-control-plane", "kube-controller-manager-control-plane", "kube-scheduler-control-plane"]);
    for (const pod of pods) {
      const component = pod.metadata.name!.replace(/-control-plane$/, "");
      expect(pod.metadata.labels).toEqual({ component, tier: "control-plane" });
      expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Node", name: "control-plane", uid: node.metadata.uid, controller: true }]);
      const a = pod.metadata.annotations!;
      expect(a["kubernetes.io/config.source"]).toBe("file");
      expect(a["kubernetes.io/config.mirror"]).toMatch(/^[0-9a-f]{32}$/);
      expect(a["kubernetes.io/config.hash"]).toBe(a["kubernetes.io/config.mirror"]);
      expect(a["kubernetes.io/config.seen"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      expect(pod.spec).toMatchObject({ nodeName: "control-plane", hostNetwork: true, priorityClassName: "system-node-critical", priority: 2000001000 });
      expect(container(pod).name).toBe(component);
    }
  });

  it("runs each component with kubeadm's image, flags, requests and probes", async () => {
    const s = await sandboxWith();
    const pod = (c: string) => s.get("", "pods", `${c}-control-plane`);
    const apiserver = pod("kube-apiserver");
    expect(container(apiserver).image).toBe("registry.k8s.io/kube-apiserver:v1.32.5");
    expect(container(apiserver).command).toEqual(expect.arrayContaining(["kube-apiserver", "--advertise-address=172.18.0.2", "--service-cluster-ip-range=10.96.0.0/12", "--secure-port=6443"]));
    expect(apiserver.metadata.annotations!["kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"]).toBe("172.18.0.2:6443");
    expect(container(apiserver).startupProbe.httpGet).toEqual({ host: "172.18.0.2", path: "/livez", port: 6443, scheme: "HTTPS" });

    const etcd = pod("etcd");
    expect(container(etcd).image).toBe("registry.k8s.io/etcd:3.5.21-0");
    expect(container(etcd).resources.requests).toEqual({ cpu: "100m", memory: "100Mi" });
    expect(container(etcd).command).toContain("--initial-cluster=control-plane=https://172.18.0.2:2380");
    expect(etcd.metadata.annotations!["kubeadm.kubernetes.io/etcd.advertise-client-urls"]).toBe("https://172.18.0.2:2379");

    expect(container(apiserver).resources.requests).toEqual({ cpu: "250m" });
    expect(container(pod("kube-controller-manager")).resources.requests).toEqual({ cpu: "200m" });
    expect(container(pod("kube-controller-manager")).command).toContain("--cluster-cidr=10.244.0.0/16");
    expect(container(pod("kube-scheduler")).resources.requests).toEqual({ cpu: "100m" });
    expect(container(pod("kube-scheduler")).livenessProbe.httpGet).toEqual({ host: "127.0.0.1", path: "/livez", port: 10259, scheme: "HTTPS" });
  });

  it("pins images to the sandbox's Kubernetes version as kubeadm does", async () => {
    const s = await sandboxWith({ kubernetesVersion: "1.27" });
    expect(container(s.get("", "pods", "etcd-control-plane")).image).toBe("registry.k8s.io/etcd:3.5.12-0");
    expect(container(s.get("", "pods", "kube-scheduler-control-plane")).image).toBe("registry.k8s.io/kube-scheduler:v1.27.16");
    expect(s.get("apps", "deployments", "coredns").spec.template.spec.containers[0].image).toBe("registry.k8s.io/coredns/coredns:v1.10.1");
    expect(s.get("apps", "daemonsets", "kube-proxy").spec.template.spec.containers[0].image).toBe("registry.k8s.io/kube-proxy:v1.27.16");
    expect(s.get("", "configmaps", "kubeadm-config").data.ClusterConfiguration).toContain("apiVersion: kubeadm.k8s.io/v1beta3");
  });

  it("runs CoreDNS behind kube-dns at 10.96.0.10", async () => {
    const s = await sandboxWith();
    const dns = s.get("apps", "deployments", "coredns");
    expect(dns.metadata.labels).toEqual({ "k8s-app": "kube-dns" });
    expect(dns.spec.replicas).toBe(2);
    const spec = dns.spec.template.spec;
    expect(spec.priorityClassName).toBe("system-cluster-critical");
    expect(spec.serviceAccountName).toBe("coredns");
    expect(spec.tolerations).toEqual([
      { key: "CriticalAddonsOnly", operator: "Exists" },
      { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
    ]);
    expect(spec.containers[0].image).toBe("registry.k8s.io/coredns/coredns:v1.11.3");
    expect(spec.containers[0].resources).toEqual({ limits: { memory: "170Mi" }, requests: { cpu: "100m", memory: "70Mi" } });
    expect(spec.containers[0].ports.map((p: { containerPort: number; protocol: string }) => `${p.containerPort}/${p.protocol}`)).toEqual(["53/UDP", "53/TCP", "9153/TCP"]);
    expect(s.get("", "configmaps", "coredns").data.Corefile).toContain("kubernetes cluster.local in-addr.arpa ip6.arpa");
    expect(names(s.list("", "serviceaccounts"))).toEqual(["coredns", "default", "kube-proxy"]);

    const svc = s.get("", "services", "kube-dns");
    expect(svc.spec.clusterIP).toBe("10.96.0.10");
    expect(svc.metadata.labels).toEqual({ "k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS" });
    expect(svc.spec.ports.map((p: { name: string; port: number; protocol: string }) => `${p.name} ${p.port}/${p.protocol}`)).toEqual(["dns 53/UDP", "dns-tcp 53/TCP", "metrics 9153/TCP"]);
  });

  it("runs kube-proxy on every node in iptables mode", async () => {
    const s = await sandboxWith();
    const ds = s.get("apps", "daemonsets", "kube-proxy");
    expect(ds.metadata.labels).toEqual({ "k8s-app": "kube-proxy" });
    expect(ds.spec.template.spec).toMatchObject({ hostNetwork: true, priorityClassName: "system-node-critical", tolerations: [{ operator: "Exists" }], serviceAccountName: "kube-proxy" });
    const cm = s.get("", "configmaps", "kube-proxy");
    expect(cm.data["config.conf"]).toMatch(/^kind: KubeProxyConfiguration$/m);
    expect(cm.data["config.conf"]).toMatch(/^mode: ""$/m);
    expect(cm.data["kubeconfig.conf"]).toContain("server: https://172.18.0.2:6443");
  });

  it("installs flannel in its own namespace with the nodes' pod network", async () => {
    const s = await sandboxWith();
    const ns = s.get("", "namespaces", "kube-flannel", "");
    expect(ns.metadata.labels).toMatchObject({ "k8s-app": "flannel", "pod-security.kubernetes.io/enforce": "privileged" });
    expect(names(s.list("apps", "daemonsets", "kube-flannel"))).toEqual(["kube-flannel-ds"]);
    expect(names(s.list("", "serviceaccounts", "kube-flannel"))).toEqual(["default", "flannel"]);
    const netConf = JSON.parse(s.get("", "configmaps", "kube-flannel-cfg", "kube-flannel").data["net-conf.json"]);
    expect(netConf).toEqual({ Network: "10.244.0.0/16", EnableNFTables: false, Backend: { Type: "vxlan" } });
    const podCIDRs = s.list("", "nodes", "").map((n) => n.spec.podCIDR);
    expect(podCIDRs.every((cidr: string) => cidr.startsWith("10.244."))).toBe(true);
  });

  it("keeps kubeadm's ConfigMaps and the leader-election Leases", async () => {
    const s = await sandboxWith();
    expect(s.get("", "configmaps", "kubeadm-config").data.ClusterConfiguration).toMatch(/kubernetesVersion: v1\.32\.5\n[\s\S]*podSubnet: 10\.244\.0\.0\/16\n  serviceSubnet: 10\.96\.0\.0\/12/);
    expect(s.get("", "configmaps", "kubelet-config").data.kubelet).toContain("- 10.96.0.10");
    expect(s.get("", "configmaps", "cluster-info", "kube-public").data.kubeconfig).toMatch(/certificate-authority-data: [A-Za-z0-9+/=]+\n    server: https:\/\/172\.18\.0\.2:6443/);
    for (const name of ["kube-scheduler", "kube-controller-manager"]) {
      const lease = s.get("coordination.k8s.io", "leases", name);
      expect(lease.spec.holderIdentity).toMatch(/^control-plane_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(lease.spec.leaseDurationSeconds).toBe(15);
    }
  });
});

describe("the add-ons under the control loop", () => {
  it("come up: CoreDNS and the DaemonSets get their pods, kube-dns its endpoints, the mirror pods stay", async () => {
    const s = await sandboxWith();
    await s.run(120_000);
    const pods = s.list("", "pods");
    const owned = (prefix: string) => pods.filter((p) => p.metadata.name!.startsWith(prefix));
    expect(owned("coredns-")).toHaveLength(2);
    expect(owned("kube-proxy-").map((p) => p.spec.nodeName).sort()).toEqual(["control-plane", "worker-1", "worker-2"]);
    expect(s.list("", "pods", "kube-flannel").map((p) => p.spec.nodeName).sort()).toEqual(["control-plane", "worker-1", "worker-2"]);
    // The garbage collector found each mirror pod's owner: all four are still there, running.
    const mirror = pods.filter((p) => p.metadata.labels?.tier === "control-plane");
    expect(mirror).toHaveLength(4);
    expect(mirror.map((p) => p.status?.phase)).toEqual(["Running", "Running", "Running", "Running"]);
    const ready = (p: KObject) => p.status?.conditions?.find((c: { type: string }) => c.type === "Ready")?.status;
    expect(owned("coredns-").map(ready)).toEqual(["True", "True"]);
    const ep = s.get("", "endpoints", "kube-dns");
    expect(ep.subsets[0].addresses.map((a: { ip: string }) => a.ip).sort()).toEqual(owned("coredns-").map((p) => p.status.podIP).sort());
  });

  it("reaches a fixed point: once settled, nothing but the node heartbeats is written", async () => {
    const s = await sandboxWith();
    await s.run(120_000);
    const before = s.versions();
    await s.run(120_000);
    expect(s.versions()).toEqual(before);
  });
});

describe("kubectl get componentstatuses", () => {
  it("lists scheduler, controller-manager and etcd-0 as Healthy", async () => {
    const c = await cluster({ addons: true });
    const res = await c.get("/api/v1/componentstatuses", { headers: { accept: accept.table } });
    expect(res.status).toBe(200);
    expect(res.body.columnDefinitions.map((col: { name: string }) => col.name)).toEqual(["Name", "Status", "Message", "Error"]);
    expect(res.body.rows.map((r: { cells: unknown[] }) => r.cells)).toEqual([
      ["controller-manager", "Healthy", "ok", ""],
      ["etcd-0", "Healthy", '{"health":"true","reason":""}', ""],
      ["scheduler", "Healthy", "ok", ""],
    ]);
    expect((await c.get("/api/v1/componentstatuses/etcd-0")).body.conditions).toEqual([{ type: "Healthy", status: "True", message: '{"health":"true","reason":""}' }]);
  });

  it("is discovered as the cluster-scoped, read-only `cs`", async () => {
    const c = await cluster();
    const { body } = await c.get("/api/v1");
    const cs = body.resources.find((r: { name: string }) => r.name === "componentstatuses");
    expect(cs).toMatchObject({ kind: "ComponentStatus", namespaced: false, shortNames: ["cs"], singularName: "componentstatus", verbs: ["get", "list"] });
  });
});

describe('a sandbox created with "addons": false', () => {
  it("is the bare cluster: no add-on pods, workloads, Services, namespaces or ComponentStatuses", async () => {
    const s = await sandboxWith({ addons: false });
    expect(s.list("", "pods")).toEqual([]);
    expect(s.list("apps", "deployments")).toEqual([]);
    expect(s.list("apps", "daemonsets", "")).toEqual([]);
    expect(s.list("", "configmaps", "")).toEqual([]);
    expect(s.list("coordination.k8s.io", "leases")).toEqual([]);
    expect(s.list("", "componentstatuses", "")).toEqual([]);
    expect(names(s.list("", "services", ""))).toEqual(["kubernetes"]);
    expect(names(s.list("", "namespaces", ""))).toEqual(["default", "kube-node-lease", "kube-public", "kube-system"]);
    await s.run(60_000);
    expect(s.list("", "pods", "")).toEqual([]);
  });
});

describe("the add-ons are deterministic", () => {
  it("derive every id from the sandbox id", () => {
    const spec = parseSandboxSpec({}, () => "t");
    const objects = (id: string) => {
      const plan = bootstrapObjects(spec, id, T0);
      return [...plan.objects.map((e) => e.object), ...plan.staticPods.map((m) => m.pod)];
    };
    expect(objects("sbx-a")).toEqual(objects("sbx-a"));
    const holder = (id: string) => objects(id).find((o) => o.kind === "Lease" && o.metadata.name === "kube-scheduler")!.spec.holderIdentity;
    expect(holder("sbx-a")).not.toBe(holder("sbx-b"));
  });
});

describe("the addons field of the sandbox spec", () => {
  it("defaults to true and accepts false", () => {
    expect(parseSandboxSpec({}, () => "t").addons).toBe(true);
    expect(parseSandboxSpec({ addons: false }, () => "t").addons).toBe(false);
  });

  it.each([["yes"], [1], ["false"], [{}]])("rejects %j with a 422 naming the field", (value) => {
    let err: unknown;
    try {
      parseSandboxSpec({ addons: value }, () => "t");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    expect(err).toMatchObject({ field: "addons", status: 422, message: "addons must be a boolean" });
  });
});
