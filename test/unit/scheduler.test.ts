import { describe, expect, it } from "vitest";
import type { KObject } from "../../src/registry/types";
import {
  balancedScore,
  buildSnapshot,
  DEFAULT_PROFILE,
  fitErrorMessage,
  imageLocalityPriority,
  insufficientResources,
  interPodAffinityFilter,
  interPodAffinityPreFilter,
  leastRequestedScore,
  nodeAffinityFilter,
  nodeNameFilter,
  nodePortsFilter,
  nodeResourcesFitFilter,
  nodeUnschedulableFilter,
  normalizedImageName,
  numFeasibleNodesToFind,
  podInfoOf,
  podRequestList,
  podTopologySpreadFilter,
  podTopologySpreadPreFilter,
  scheduleBatch,
  scheduleOne,
  seededRandom,
  taintTolerationFilter,
  toResource,
  type NodeInfo,
  type ScheduleResult,
  type Status,
} from "../../src/controlplane/scheduler";

// ---------------------------------------------------------------------------------------------
// Builders

type Res = Record<string, string>;

class PodB {
  o: KObject;
  constructor(name: string) {
    this.o = { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default", labels: {} }, spec: { containers: [{ name: "c", image: "nginx" }] } };
  }
  ns(ns: string) { this.o.metadata.namespace = ns; return this; }
  labels(l: Record<string, string>) { Object.assign(this.o.metadata.labels!, l); return this; }
  requests(r: Res) { this.o.spec.containers[0].resources = { requests: r }; return this; }
  container(r: Res | undefined, extra: Record<string, unknown> = {}) {
    this.o.spec.containers.push({ name: `c${this.o.spec.containers.length}`, image: "busybox", ...(r ? { resources: { requests: r } } : {}), ...extra });
    return this;
  }
  init(r: Res, sidecar = false) {
    (this.o.spec.initContainers ??= []).push({ name: `i${this.o.spec.initContainers?.length ?? 0}`, image: "busybox", resources: { requests: r }, ...(sidecar ? { restartPolicy: "Always" } : {}) });
    return this;
  }
  overhead(r: Res) { this.o.spec.overhead = r; return this; }
  image(img: string) { this.o.spec.containers[0].image = img; return this; }
  on(node: string) { this.o.spec.nodeName = node; return this; }
  priority(p: number) { this.o.spec.priority = p; return this; }
  never() { this.o.spec.preemptionPolicy = "Never"; return this; }
  tolerate(t: Record<string, string>) { (this.o.spec.tolerations ??= []).push(t); return this; }
  nodeSelector(s: Record<string, string>) { this.o.spec.nodeSelector = s; return this; }
  hostPort(port: number, hostIP?: string, protocol?: string) {
    this.o.spec.containers[0].ports = [...(this.o.spec.containers[0].ports ?? []), { containerPort: port, hostPort: port, ...(hostIP ? { hostIP } : {}), ...(protocol ? { protocol } : {}) }];
    return this;
  }
  nodeAffinity(terms: unknown[]) {
    this.aff().nodeAffinity = { ...this.aff().nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } };
    return this;
  }
  preferNode(weight: number, preference: unknown) {
    const na = (this.aff().nodeAffinity ??= {});
    (na.preferredDuringSchedulingIgnoredDuringExecution ??= []).push({ weight, preference });
    return this;
  }
  podAffinity(kind: "podAffinity" | "podAntiAffinity", matchLabels: Record<string, string>, topologyKey: string, weight?: number) {
    const a = (this.aff()[kind] ??= {});
    const term = { labelSelector: { matchLabels }, topologyKey };
    if (weight === undefined) (a.requiredDuringSchedulingIgnoredDuringExecution ??= []).push(term);
    else (a.preferredDuringSchedulingIgnoredDuringExecution ??= []).push({ weight, podAffinityTerm: term });
    return this;
  }
  spread(topologyKey: string, matchLabels: Record<string, string>, maxSkew = 1, whenUnsatisfiable = "DoNotSchedule", extra: Record<string, unknown> = {}) {
    (this.o.spec.topologySpreadConstraints ??= []).push({ maxSkew, topologyKey, whenUnsatisfiable, labelSelector: { matchLabels }, ...extra });
    return this;
  }
  private aff(): any { return (this.o.spec.affinity ??= {}); }
  get obj() { return this.o; }
}

class NodeB {
  o: KObject;
  constructor(name: string) {
    this.o = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, labels: { "kubernetes.io/hostname": name } },
      spec: {},
      status: { allocatable: { cpu: "4", memory: "8Gi", pods: "110", "ephemeral-storage": "100Gi" } },
    };
  }
  allocatable(r: Res) { this.o.status.allocatable = { pods: "110", ...r }; return this; }
  labels(l: Record<string, string>) { Object.assign(this.o.metadata.labels!, l); return this; }
  zone(z: string) { return this.labels({ "topology.kubernetes.io/zone": z }); }
  taint(key: string, value: string | undefined, effect = "NoSchedule") { (this.o.spec.taints ??= []).push({ key, ...(value !== undefined ? { value } : {}), effect }); return this; }
  cordon() { this.o.spec.unschedulable = true; return this; }
  images(...imgs: [string[], number][]) { this.o.status.images = imgs.map(([names, sizeBytes]) => ({ names, sizeBytes })); return this; }
  get obj() { return this.o; }
}

const pod = (name: string) => new PodB(name);
const node = (name: string) => new NodeB(name);
const objs = (xs: { obj: KObject }[]) => xs.map((x) => x.obj);

function nodeInfo(n: NodeB, pods: PodB[] = []): NodeInfo {
  const snap = buildSnapshot([n.obj], pods.map((p) => p.on(n.obj.metadata.name!).obj));
  return snap.nodes[0]!;
}
function pluginScores(r: ScheduleResult, plugin: string): Record<string, number> {
  const col = r.diagnostics.scorePlugins.findIndex((p) => p.plugin === plugin);
  return Object.fromEntries(r.diagnostics.scores.map((s) => [s.node, s.scores[col]!]));
}
const verdict = (s: Status | null) => (s ? `${s.code}: ${s.reasons.join(" | ")}` : "ok");

// ---------------------------------------------------------------------------------------------

describe("pod requests", () => {
  const cases: [string, PodB, Record<string, number>][] = [
    ["single container", pod("a").requests({ cpu: "500m", memory: "1Gi" }), { cpu: 500, memory: 1 << 30 }],
    ["containers summed", pod("a").requests({ cpu: "500m" }).container({ cpu: "250m" }), { cpu: 750 }],
    ["init max wins", pod("a").requests({ cpu: "500m" }).init({ cpu: "2" }), { cpu: 2000 }],
    ["init below sum", pod("a").requests({ cpu: "500m" }).init({ cpu: "100m" }), { cpu: 500 }],
    ["sidecar added to sum", pod("a").requests({ cpu: "500m" }).init({ cpu: "200m" }, true), { cpu: 700 }],
    // sidecar 1 + later init 2 = 3 > 1.5 (sum of sidecar and container)
    ["sidecar before init", pod("a").requests({ cpu: "500m" }).init({ cpu: "1" }, true).init({ cpu: "2" }), { cpu: 3000 }],
    ["overhead", pod("a").requests({ cpu: "500m" }).overhead({ cpu: "250m", memory: "120Mi" }), { cpu: 750, memory: 120 * 1024 * 1024 }],
    ["exact sum before rounding", pod("a").requests({ cpu: "0.0004" }).container({ cpu: "0.0004" }), { cpu: 1 }],
  ];
  it.each(cases)("%s", (_n, p, want) => {
    const r = toResource(podRequestList(p.obj));
    if (want.cpu !== undefined) expect(r.milliCPU).toBe(want.cpu);
    if (want.memory !== undefined) expect(r.memory).toBe(want.memory);
  });
  it("non-zero defaults apply per container lacking a request", () => {
    const info = podInfoOf(pod("a").requests({ memory: "1Gi" }).container(undefined).obj);
    expect(info.requests.milliCPU).toBe(0);
    expect(info.nonZeroCPU).toBe(200);
    expect(info.nonZeroMemory).toBe((1 << 30) + 200 * 1024 * 1024);
  });
});

describe("filters", () => {
  it("NodeUnschedulable", () => {
    expect(verdict(nodeUnschedulableFilter(podInfoOf(pod("a").obj), nodeInfo(node("n").cordon())))).toBe("UnschedulableAndUnresolvable: node(s) were unschedulable");
    expect(verdict(nodeUnschedulableFilter(podInfoOf(pod("a").tolerate({ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }).obj), nodeInfo(node("n").cordon())))).toBe("ok");
    expect(verdict(nodeUnschedulableFilter(podInfoOf(pod("a").obj), nodeInfo(node("n"))))).toBe("ok");
  });

  it("NodeName", () => {
    expect(verdict(nodeNameFilter(podInfoOf(pod("a").on("x").obj), nodeInfo(node("n"))))).toBe("UnschedulableAndUnresolvable: node(s) didn't match the requested node name");
    expect(verdict(nodeNameFilter(podInfoOf(pod("a").on("n").obj), nodeInfo(node("n"))))).toBe("ok");
  });

  describe("TaintToleration", () => {
    const cp = () => node("cp").taint("node-role.kubernetes.io/control-plane", undefined);
    const cases: [string, PodB, NodeB, string][] = [
      ["untolerated, empty value", pod("a"), cp(), "UnschedulableAndUnresolvable: node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"],
      ["key=value shown", pod("a"), node("n").taint("dedicated", "gpu"), "UnschedulableAndUnresolvable: node(s) had untolerated taint {dedicated: gpu}"],
      ["Exists on key", pod("a").tolerate({ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }), cp(), "ok"],
      ["Exists without key tolerates all", pod("a").tolerate({ operator: "Exists" }), node("n").taint("a", "b").taint("c", "d", "NoExecute"), "ok"],
      ["Equal with value", pod("a").tolerate({ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }), node("n").taint("dedicated", "gpu"), "ok"],
      ["Equal wrong value", pod("a").tolerate({ key: "dedicated", value: "cpu" }), node("n").taint("dedicated", "gpu"), "UnschedulableAndUnresolvable: node(s) had untolerated taint {dedicated: gpu}"],
      ["effect mismatch", pod("a").tolerate({ key: "k", operator: "Exists", effect: "NoExecute" }), node("n").taint("k", "v"), "UnschedulableAndUnresolvable: node(s) had untolerated taint {k: v}"],
      ["PreferNoSchedule does not filter", pod("a"), node("n").taint("k", "v", "PreferNoSchedule"), "ok"],
      ["first untolerated reported", pod("a").tolerate({ key: "a", operator: "Exists" }), node("n").taint("a", "1").taint("b", "2").taint("c", "3"), "UnschedulableAndUnresolvable: node(s) had untolerated taint {b: 2}"],
    ];
    it.each(cases)("%s", (_n, p, n, want) => expect(verdict(taintTolerationFilter(podInfoOf(p.obj), nodeInfo(n)))).toBe(want));
  });

  describe("NodeAffinity", () => {
    const n = () => node("n1").labels({ disk: "ssd", gen: "5" });
    const bad = "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector";
    const cases: [string, PodB, string][] = [
      ["nodeSelector match", pod("a").nodeSelector({ disk: "ssd" }), "ok"],
      ["nodeSelector mismatch", pod("a").nodeSelector({ disk: "hdd" }), bad],
      ["In", pod("a").nodeAffinity([{ matchExpressions: [{ key: "disk", operator: "In", values: ["ssd", "nvme"] }] }]), "ok"],
      ["NotIn", pod("a").nodeAffinity([{ matchExpressions: [{ key: "disk", operator: "NotIn", values: ["ssd"] }] }]), bad],
      ["DoesNotExist", pod("a").nodeAffinity([{ matchExpressions: [{ key: "gpu", operator: "DoesNotExist" }] }]), "ok"],
      ["Gt", pod("a").nodeAffinity([{ matchExpressions: [{ key: "gen", operator: "Gt", values: ["4"] }] }]), "ok"],
      ["Lt", pod("a").nodeAffinity([{ matchExpressions: [{ key: "gen", operator: "Lt", values: ["4"] }] }]), bad],
      ["terms are ORed", pod("a").nodeAffinity([{ matchExpressions: [{ key: "x", operator: "Exists" }] }, { matchFields: [{ key: "metadata.name", operator: "In", values: ["n1"] }] }]), "ok"],
      ["empty term matches nothing", pod("a").nodeAffinity([{}]), bad],
      ["selector AND affinity", pod("a").nodeSelector({ disk: "ssd" }).nodeAffinity([{ matchExpressions: [{ key: "gen", operator: "In", values: ["4"] }] }]), bad],
    ];
    it.each(cases)("%s", (_n, p, want) => expect(verdict(nodeAffinityFilter(podInfoOf(p.obj), nodeInfo(n())))).toBe(want));
  });

  describe("NodePorts", () => {
    const bad = "Unschedulable: node(s) didn't have free ports for the requested pod ports";
    const cases: [string, PodB, PodB[], string][] = [
      ["free", pod("a").hostPort(80), [pod("b").hostPort(81)], "ok"],
      ["same port", pod("a").hostPort(80), [pod("b").hostPort(80)], bad],
      ["different protocol", pod("a").hostPort(53, undefined, "UDP"), [pod("b").hostPort(53)], "ok"],
      ["specific IPs differ", pod("a").hostPort(80, "10.0.0.1"), [pod("b").hostPort(80, "10.0.0.2")], "ok"],
      ["wildcard vs specific", pod("a").hostPort(80), [pod("b").hostPort(80, "10.0.0.2")], bad],
      ["specific vs wildcard", pod("a").hostPort(80, "10.0.0.1"), [pod("b").hostPort(80)], bad],
    ];
    it.each(cases)("%s", (_n, p, existing, want) => expect(verdict(nodePortsFilter(podInfoOf(p.obj), nodeInfo(node("n"), existing)))).toBe(want));
  });

  describe("NodeResourcesFit", () => {
    const n = () => node("n").allocatable({ cpu: "2", memory: "4Gi", "ephemeral-storage": "10Gi", "example.com/gpu": "2" });
    const cases: [string, PodB, PodB[], string][] = [
      ["fits", pod("a").requests({ cpu: "1", memory: "1Gi" }), [pod("b").requests({ cpu: "1" })], "ok"],
      ["exactly full fits", pod("a").requests({ cpu: "1" }), [pod("b").requests({ cpu: "1" })], "ok"],
      ["Insufficient cpu", pod("a").requests({ cpu: "1500m" }), [pod("b").requests({ cpu: "1" })], "Unschedulable: Insufficient cpu"],
      ["over allocatable is unresolvable", pod("a").requests({ cpu: "3" }), [], "UnschedulableAndUnresolvable: Insufficient cpu"],
      ["several reasons kept", pod("a").requests({ cpu: "1500m", memory: "4Gi" }), [pod("b").requests({ cpu: "1", memory: "1Gi" })], "Unschedulable: Insufficient cpu | Insufficient memory"],
      ["ephemeral-storage", pod("a").requests({ "ephemeral-storage": "11Gi" }), [], "UnschedulableAndUnresolvable: Insufficient ephemeral-storage"],
      ["extended resource", pod("a").requests({ "example.com/gpu": "2" }), [pod("b").requests({ "example.com/gpu": "1" })], "Unschedulable: Insufficient example.com/gpu"],
      ["unknown extended resource", pod("a").requests({ "example.com/fpga": "1" }), [], "UnschedulableAndUnresolvable: Insufficient example.com/fpga"],
      ["best effort fits a full node", pod("a"), [pod("b").requests({ cpu: "2" })], "ok"],
    ];
    it.each(cases)("%s", (_n, p, existing, want) => expect(verdict(nodeResourcesFitFilter(podInfoOf(p.obj), nodeInfo(n(), existing)))).toBe(want));
    it("Too many pods comes first, even for best-effort pods", () => {
      const ni = nodeInfo(node("n").allocatable({ cpu: "1", memory: "1Gi", pods: "1" }), [pod("b")]);
      ni.allocatable = { ...ni.allocatable, pods: 1 };
      expect(insufficientResources(podInfoOf(pod("a").requests({ cpu: "2" }).obj).requests, ni).map((r) => r.reason)).toEqual(["Too many pods", "Insufficient cpu"]);
      expect(verdict(nodeResourcesFitFilter(podInfoOf(pod("a").obj), ni))).toBe("Unschedulable: Too many pods");
    });
  });

  describe("InterPodAffinity", () => {
    const zoneNodes = () => [node("a1").zone("a"), node("a2").zone("a"), node("b1").zone("b")];
    function run(p: PodB, existing: [string, PodB][]) {
      const ns = zoneNodes();
      const snap = buildSnapshot(objs(ns), existing.map(([n, e]) => e.on(n).obj));
      const info = podInfoOf(p.obj);
      const st = interPodAffinityPreFilter(info, snap);
      return Object.fromEntries(snap.nodes.map((ni) => [ni.name, verdict(interPodAffinityFilter(info, ni, st, snap))]));
    }
    it("required affinity needs a matching pod in the domain", () => {
      expect(run(pod("web").podAffinity("podAffinity", { app: "db" }, "topology.kubernetes.io/zone"), [["a2", pod("db").labels({ app: "db" })]])).toEqual({
        a1: "ok",
        a2: "ok",
        b1: "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules",
      });
    });
    it("first pod of a self-affine group is let through", () => {
      expect(run(pod("web").labels({ app: "web" }).podAffinity("podAffinity", { app: "web" }, "topology.kubernetes.io/zone"), [])).toEqual({ a1: "ok", a2: "ok", b1: "ok" });
      expect(run(pod("web").podAffinity("podAffinity", { app: "web" }, "topology.kubernetes.io/zone"), [])).toEqual({
        a1: "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules",
        a2: "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules",
        b1: "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules",
      });
    });
    it("required anti-affinity of the incoming pod", () => {
      expect(run(pod("web").podAffinity("podAntiAffinity", { app: "web" }, "topology.kubernetes.io/zone"), [["a1", pod("w0").labels({ app: "web" })]])).toEqual({
        a1: "Unschedulable: node(s) didn't match pod anti-affinity rules",
        a2: "Unschedulable: node(s) didn't match pod anti-affinity rules",
        b1: "ok",
      });
    });
    it("existing pods' anti-affinity", () => {
      expect(run(pod("web").labels({ app: "web" }), [["b1", pod("lonely").podAffinity("podAntiAffinity", { app: "web" }, "kubernetes.io/hostname")]])).toEqual({
        a1: "ok",
        a2: "ok",
        b1: "Unschedulable: node(s) didn't satisfy existing pods anti-affinity rules",
      });
    });
    it("namespaceSelector {} matches every namespace; labels come from the snapshot", () => {
      const term = (nsSel: unknown) => {
        const p = pod("web");
        (p.obj.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "web" } }, namespaceSelector: nsSel, topologyKey: "kubernetes.io/hostname" }] } });
        return p;
      };
      const ex: [string, PodB][] = [["a1", pod("w0").ns("other").labels({ app: "web" })]];
      expect(run(term({}), ex).a1).toBe("Unschedulable: node(s) didn't match pod anti-affinity rules");
      expect(run(term({ matchLabels: { "kubernetes.io/metadata.name": "other" } }), ex).a1).toBe("Unschedulable: node(s) didn't match pod anti-affinity rules");
      expect(run(term({ matchLabels: { "kubernetes.io/metadata.name": "third" } }), ex).a1).toBe("ok");
    });
    it("other namespaces do not count unless listed", () => {
      expect(run(pod("web").podAffinity("podAntiAffinity", { app: "web" }, "kubernetes.io/hostname"), [["a1", pod("w0").ns("other").labels({ app: "web" })]])).toEqual({ a1: "ok", a2: "ok", b1: "ok" });
    });
  });

  describe("PodTopologySpread", () => {
    function run(p: PodB, ns: NodeB[], existing: [string, PodB][]) {
      const snap = buildSnapshot(objs(ns), existing.map(([n, e]) => e.on(n).obj));
      const info = podInfoOf(p.obj);
      const st = podTopologySpreadPreFilter(info, snap);
      return Object.fromEntries(snap.nodes.map((ni) => [ni.name, verdict(podTopologySpreadFilter(info, ni, st))]));
    }
    const web = (n: string) => pod(n).labels({ app: "web" });
    const zones = () => [node("a1").zone("a"), node("b1").zone("b"), node("c1").zone("c"), node("x")];
    it("maxSkew 1 across zones", () => {
      expect(run(web("new").spread("topology.kubernetes.io/zone", { app: "web" }), zones(), [["a1", web("w1")], ["b1", web("w2")]])).toEqual({
        a1: "Unschedulable: node(s) didn't match pod topology spread constraints",
        b1: "Unschedulable: node(s) didn't match pod topology spread constraints",
        c1: "ok",
        x: "UnschedulableAndUnresolvable: node(s) didn't match pod topology spread constraints (missing required label)",
      });
    });
    it("minDomains above the domain count makes the minimum 0", () => {
      const ns = [node("a1").zone("a"), node("b1").zone("b")];
      const existing: [string, PodB][] = [["a1", web("w1")], ["b1", web("w2")]];
      expect(run(web("new").spread("topology.kubernetes.io/zone", { app: "web" }), ns, existing)).toEqual({ a1: "ok", b1: "ok" });
      expect(run(web("new").spread("topology.kubernetes.io/zone", { app: "web" }, 1, "DoNotSchedule", { minDomains: 3 }), ns, existing)).toEqual({
        a1: "Unschedulable: node(s) didn't match pod topology spread constraints",
        b1: "Unschedulable: node(s) didn't match pod topology spread constraints",
      });
    });
    it("nodes excluded by nodeSelector do not define domains (nodeAffinityPolicy Honor)", () => {
      const ns = [node("a1").zone("a").labels({ pool: "x" }), node("b1").zone("b").labels({ pool: "x" }), node("c1").zone("c")];
      expect(run(web("new").nodeSelector({ pool: "x" }).spread("topology.kubernetes.io/zone", { app: "web" }), ns, [["a1", web("w1")]])).toEqual({
        a1: "Unschedulable: node(s) didn't match pod topology spread constraints",
        b1: "ok",
        c1: "ok",
      });
    });
    it("ScheduleAnyway does not filter", () => {
      expect(run(web("new").spread("topology.kubernetes.io/zone", { app: "web" }, 1, "ScheduleAnyway"), zones(), [["a1", web("w1")], ["a1", web("w3")]])).toEqual({ a1: "ok", b1: "ok", c1: "ok", x: "ok" });
    });
  });
});

describe("scores", () => {
  it("leastRequested and balanced formulas", () => {
    expect(leastRequestedScore(0, 4000)).toBe(100);
    expect(leastRequestedScore(1000, 4000)).toBe(75);
    expect(leastRequestedScore(5000, 4000)).toBe(0);
    expect(balancedScore([1000, 1 << 30], [4000, 4 * 2 ** 30])).toBe(100);
    expect(balancedScore([2000, 1 << 30], [4000, 4 * 2 ** 30])).toBe(87);
  });

  it("image locality", () => {
    expect(normalizedImageName("nginx")).toBe("nginx:latest");
    expect(normalizedImageName("registry:5000/nginx")).toBe("registry:5000/nginx:latest");
    expect(normalizedImageName("nginx:1.25")).toBe("nginx:1.25");
    expect(imageLocalityPriority(0, 1)).toBe(0);
    expect(imageLocalityPriority(1000 * 1024 * 1024, 1)).toBe(100);
  });

  function ranking(p: PodB, ns: NodeB[], existing: [string, PodB][] = []) {
    const r = scheduleOne(p.obj, objs(ns), existing.map(([n, e]) => e.on(n).obj));
    return r.diagnostics.scores
      .slice()
      .sort((a, b) => b.total - a.total || (a.node < b.node ? -1 : 1))
      .map((s) => s.node);
  }

  it("LeastAllocated prefers the emptier node", () => {
    expect(ranking(pod("p").requests({ cpu: "1", memory: "1Gi" }), [node("busy"), node("idle")], [["busy", pod("x").requests({ cpu: "3", memory: "6Gi" })]])).toEqual(["idle", "busy"]);
  });

  it("preferred node affinity (weight 2) ranks by weight", () => {
    const p = pod("p").preferNode(10, { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] }).preferNode(50, { matchExpressions: [{ key: "gpu", operator: "Exists" }] });
    const r = scheduleOne(p.obj, objs([node("plain"), node("ssd").labels({ disk: "ssd" }), node("gpu").labels({ gpu: "1" })]), []);
    const na = pluginScores(r, "NodeAffinity");
    expect(na).toEqual({ plain: 0, ssd: 20, gpu: 100 });
    expect("node" in r && r.node).toBe("gpu");
  });

  it("PreferNoSchedule taints are avoided (reverse-normalized)", () => {
    const r = scheduleOne(pod("p").obj, objs([node("t2").taint("a", "1", "PreferNoSchedule").taint("b", "1", "PreferNoSchedule"), node("t1").taint("a", "1", "PreferNoSchedule"), node("t0")]), []);
    const tt = pluginScores(r, "TaintToleration");
    expect(tt).toEqual({ t2: 0, t1: 50, t0: 100 });
    expect("node" in r && r.node).toBe("t0");
  });

  it("ImageLocality prefers nodes with the image", () => {
    const big = 500 * 1024 * 1024;
    expect(ranking(pod("p").image("nginx:1.25"), [node("cold"), node("warm").images([["nginx:1.25"], big])])[0]).toBe("warm");
  });

  it("preferred pod anti-affinity spreads, preferred affinity packs", () => {
    const ns = [node("n1"), node("n2")];
    const ex: [string, PodB][] = [["n1", pod("w").labels({ app: "web" })]];
    expect(ranking(pod("p").podAffinity("podAntiAffinity", { app: "web" }, "kubernetes.io/hostname", 100), ns, ex)[0]).toBe("n2");
    expect(ranking(pod("p").podAffinity("podAffinity", { app: "web" }, "kubernetes.io/hostname", 100), ns, ex)[0]).toBe("n1");
  });

  it("ScheduleAnyway spread prefers the emptier zone", () => {
    const ns = [node("a1").zone("a"), node("b1").zone("b")];
    const ex: [string, PodB][] = [["a1", pod("w").labels({ app: "web" })]];
    expect(ranking(pod("p").labels({ app: "web" }).spread("topology.kubernetes.io/zone", { app: "web" }, 1, "ScheduleAnyway"), ns, ex)[0]).toBe("b1");
  });

  it("ScheduleAnyway zone spread: exact normalized scores", () => {
    const web = (n: string) => pod(n).labels({ app: "web" });
    const r = scheduleOne(
      web("p").spread("topology.kubernetes.io/zone", { app: "web" }, 1, "ScheduleAnyway").obj,
      objs([node("a1").zone("a"), node("b1").zone("b"), node("c1").zone("c"), node("nozone")]),
      [web("w1").on("a1").obj, web("w2").on("a1").obj, web("w3").on("b1").obj],
    );
    // raw: round(count × ln(3 + 2)) → a 3, b 2, c 0; normalized 100 × (max + min − s) / max; unlabeled nodes 0.
    expect(pluginScores(r, "PodTopologySpread")).toEqual({ a1: 0, b1: 33, c1: 100, nozone: 0 });
  });

  it("ScheduleAnyway hostname spread counts per node, matchLabelKeys narrows the selector", () => {
    const p = pod("p").labels({ app: "web", rev: "2" }).spread("kubernetes.io/hostname", { app: "web" }, 1, "ScheduleAnyway", { matchLabelKeys: ["rev"] });
    const old = (n: string) => pod(n).labels({ app: "web", rev: "1" });
    const cur = (n: string) => pod(n).labels({ app: "web", rev: "2" });
    const r = scheduleOne(p.obj, objs([node("n1"), node("n2")]), [old("o1").on("n1").obj, old("o2").on("n1").obj, cur("c1").on("n2").obj]);
    expect(pluginScores(r, "PodTopologySpread")).toEqual({ n1: 100, n2: 0 });
  });

  it("InterPodAffinity normalizes min..max to 0..100", () => {
    const r = scheduleOne(
      pod("p").podAffinity("podAntiAffinity", { app: "web" }, "kubernetes.io/hostname", 100).obj,
      objs([node("n1"), node("n2"), node("n3")]),
      [pod("w").labels({ app: "web" }).on("n1").obj],
    );
    expect(pluginScores(r, "InterPodAffinity")).toEqual({ n1: 0, n2: 100, n3: 100 });
  });

  it("existing pods' required affinity attracts matching pods (hardPodAffinityWeight 1)", () => {
    const r = scheduleOne(
      pod("p").labels({ app: "cache" }).obj,
      objs([node("n1"), node("n2")]),
      [pod("web").podAffinity("podAffinity", { app: "cache" }, "kubernetes.io/hostname").on("n2").obj],
    );
    expect(pluginScores(r, "InterPodAffinity")).toEqual({ n1: 0, n2: 100 });
  });

  it("BalancedAllocation is skipped for best-effort pods", () => {
    const r = scheduleOne(pod("p").obj, objs([node("a"), node("b")]), []);
    expect(r.diagnostics.skippedScorePlugins).toContain("NodeResourcesBalancedAllocation");
  });
});

describe("scheduleOne", () => {
  const controlPlane = () => node("control-plane").taint("node-role.kubernetes.io/control-plane", undefined).labels({ "node-role.kubernetes.io/control-plane": "" });
  const worker = (n: string) => node(n).allocatable({ cpu: "2", memory: "8Gi" });

  it("default cluster: tainted control plane, workers too small", () => {
    const r = scheduleOne(pod("big").requests({ cpu: "3" }).obj, objs([controlPlane(), worker("worker-1"), worker("worker-2")]), []);
    expect("failure" in r && r.failure.message).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
    expect(r.diagnostics.filters).toEqual([
      { node: "control-plane", code: "UnschedulableAndUnresolvable", plugin: "TaintToleration", reasons: ["node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"] },
      { node: "worker-1", code: "UnschedulableAndUnresolvable", plugin: "NodeResourcesFit", reasons: ["Insufficient cpu"] },
      { node: "worker-2", code: "UnschedulableAndUnresolvable", plugin: "NodeResourcesFit", reasons: ["Insufficient cpu"] },
    ]);
  });

  it("default cluster: workers full, no lower-priority victims", () => {
    const ex = [pod("x1").requests({ cpu: "1500m" }).on("worker-1").obj, pod("x2").requests({ cpu: "1500m" }).on("worker-2").obj];
    const r = scheduleOne(pod("web").requests({ cpu: "1" }).obj, objs([controlPlane(), worker("worker-1"), worker("worker-2")]), ex);
    expect("failure" in r && r.failure.message).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod..",
    );
  });

  it("preemption possible: no preemption suffix, candidates reported", () => {
    const ex = [pod("x1").requests({ cpu: "1500m" }).priority(0).on("worker-1").obj, pod("x2").requests({ cpu: "1500m" }).priority(2000).on("worker-2").obj];
    const r = scheduleOne(pod("web").requests({ cpu: "1" }).priority(1000).obj, objs([controlPlane(), worker("worker-1"), worker("worker-2")]), ex);
    if (!("failure" in r)) throw new Error("expected failure");
    expect(r.failure.preemptionCandidates).toEqual(["worker-1"]);
    expect(r.failure.message).toBe("0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.");
  });

  it("preemptionPolicy Never", () => {
    const r = scheduleOne(pod("web").requests({ cpu: "3" }).never().obj, objs([worker("w")]), []);
    expect("failure" in r && r.failure.message).toBe("0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.");
  });

  it("reasons sort as strings, like sort.Strings", () => {
    const st = (r: string, n: number): Status[] => Array.from({ length: n }, () => ({ code: "Unschedulable", reasons: [r] }));
    expect(fitErrorMessage(12, "", [...st("node(s) were unschedulable", 2), ...st("Insufficient memory", 10)], "")).toBe(
      "0/12 nodes are available: 10 Insufficient memory, 2 node(s) were unschedulable.",
    );
  });

  it("schedules onto the only fitting node, tolerating the control plane with Exists", () => {
    const ns = objs([controlPlane(), worker("worker-1")]);
    const p = pod("sys").requests({ cpu: "3" }).tolerate({ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }).nodeSelector({ "node-role.kubernetes.io/control-plane": "" });
    const r = scheduleOne(p.obj, ns, []);
    expect("node" in r && r.node).toBe("control-plane");
    expect(r.diagnostics.scores).toEqual([]);
  });

  it("nodeSelector failure message", () => {
    const r = scheduleOne(pod("p").nodeSelector({ disk: "ssd" }).obj, objs([worker("a"), worker("b")]), []);
    expect("failure" in r && r.failure.message).toBe(
      "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
    );
  });

  it("ties are broken by the injected random()", () => {
    const ns = objs([worker("a"), worker("b"), worker("c")]);
    const pick = (r: number) => {
      const res = scheduleOne(pod("p").obj, ns, [], { random: () => r });
      return "node" in res ? res.node : "";
    };
    expect(pick(0)).toBe("c");
    expect(pick(0.99)).toBe("a");
    const a = scheduleOne(pod("p").obj, ns, [], { random: seededRandom(7) });
    const b = scheduleOne(pod("p").obj, ns, [], { random: seededRandom(7) });
    expect(a).toEqual(b);
  });

  it("required anti-affinity spreads replicas one per node, then fails", () => {
    const replicas = [1, 2, 3, 4].map((i) => pod(`web-${i}`).labels({ app: "web" }).podAffinity("podAntiAffinity", { app: "web" }, "kubernetes.io/hostname").obj);
    const res = scheduleBatch(replicas, objs([worker("n1"), worker("n2"), worker("n3")]), []);
    const placed = res.slice(0, 3).map((r) => ("node" in r.result ? r.result.node : "-"));
    expect(new Set(placed)).toEqual(new Set(["n1", "n2", "n3"]));
    const last = res[3]!.result;
    expect("failure" in last && last.failure.message).toBe(
      "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..",
    );
  });

  it("DoNotSchedule spread balances replicas across zones", () => {
    const ns = objs([node("a1").zone("a"), node("a2").zone("a"), node("b1").zone("b"), node("c1").zone("c")]);
    const replicas = Array.from({ length: 6 }, (_, i) => pod(`web-${i}`).labels({ app: "web" }).spread("topology.kubernetes.io/zone", { app: "web" }).obj);
    const res = scheduleBatch(replicas, ns, []);
    const zoneOf: Record<string, string> = { a1: "a", a2: "a", b1: "b", c1: "c" };
    const perZone: Record<string, number> = {};
    for (const r of res) {
      if (!("node" in r.result)) throw new Error("unscheduled");
      perZone[zoneOf[r.result.node]!] = (perZone[zoneOf[r.result.node]!] ?? 0) + 1;
    }
    expect(perZone).toEqual({ a: 2, b: 2, c: 2 });
  });

  it("batch assumes pods: capacity is consumed", () => {
    const res = scheduleBatch([1, 2, 3].map((i) => pod(`p${i}`).requests({ cpu: "1" }).obj), objs([worker("w")]), []);
    expect(res.map((r) => ("node" in r.result ? r.result.node : r.result.failure.message))).toEqual([
      "w",
      "w",
      "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..",
    ]);
  });

  it("terminal pods do not count", () => {
    const done = pod("done").requests({ cpu: "2" }).on("w").obj;
    done.status = { phase: "Succeeded" };
    const r = scheduleOne(pod("p").requests({ cpu: "1" }).obj, objs([worker("w")]), [done]);
    expect("node" in r && r.node).toBe("w");
  });

  it("numFeasibleNodesToFind as upstream", () => {
    expect(numFeasibleNodesToFind(50)).toBe(50);
    expect(numFeasibleNodesToFind(1000)).toBe(420);
    expect(numFeasibleNodesToFind(200)).toBe(100);
    expect(numFeasibleNodesToFind(10000)).toBe(500);
    expect(numFeasibleNodesToFind(1000, 100)).toBe(1000);
  });

  it("default profile weights", () => {
    expect(Object.fromEntries(DEFAULT_PROFILE.scores.map((s) => [s.name, s.weight]))).toEqual({
      TaintToleration: 3,
      NodeAffinity: 2,
      NodeResourcesFit: 1,
      PodTopologySpread: 2,
      InterPodAffinity: 2,
      NodeResourcesBalancedAllocation: 1,
      ImageLocality: 1,
    });
  });
});
