import { describe, expect, it } from "vitest";
import { systemUser } from "../../src/sandbox/sandbox";
import { selectEverything } from "../../src/registry/selection";
import { formatTime } from "../../src/registry/clock";
import type { KObject } from "../../src/registry/types";
import {
  endpointsReconciler,
  findPort,
  LABEL_HEADLESS,
  LABEL_MANAGED_BY,
  LAST_CHANGE_TRIGGER_TIME,
  repackSubsets,
  serviceKeysForPod,
} from "../../src/controlplane/controllers/endpoints";
import { quietSandbox, T0 } from "./support/cluster";

// A sandbox whose own control plane never runs: the test drives the reconciler by hand.
async function world() {
  const { clock, registry } = await quietSandbox();
  const ec = endpointsReconciler({ registry, user: systemUser, now: () => clock.now() });
  const pods = registry.resource("", "pods");
  const services = registry.resource("", "services");
  const endpoints = registry.resource("", "endpoints");
  const user = { user: systemUser };
  const w = {
    clock,
    pods,
    services,
    endpoints,
    ec,
    ep: (name: string) => {
      try {
        return endpoints.get("default", name);
      } catch {
        return null;
      }
    },
    snapshot: () => endpoints.list("default", { selection: selectEverything }).items.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).sort(),
    async pod(name: string, opts: { labels?: Record<string, string>; ip?: string; ready?: boolean; node?: string; ports?: unknown[]; phase?: string } = {}) {
      const p = await pods.create(
        "default",
        {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name, labels: opts.labels ?? { app: "web" } },
          spec: { nodeName: opts.node ?? "worker-1", containers: [{ name: "main", image: "nginx", ...(opts.ports ? { ports: opts.ports } : {}) }] },
        },
        user,
      );
      if (opts.ip) await w.setStatus(name, opts.ip, opts.ready ?? true, opts.phase);
      return p;
    },
    async setStatus(name: string, ip: string, ready: boolean, phase = "Running") {
      const t = formatTime(clock.now());
      await pods.patch(
        "default",
        name,
        (c) => ({ ...c, status: { phase, podIP: ip, podIPs: [{ ip }], conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: t }] } }),
        { user: systemUser, subresource: "status" },
      );
    },
    service: (name: string, spec: Record<string, unknown>, labels?: Record<string, string>) =>
      services.create("default", { apiVersion: "v1", kind: "Service", metadata: { name, ...(labels ? { labels } : {}) }, spec }, user),
  };
  return w;
}

const webService = { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] };
const uidOf = (w: Awaited<ReturnType<typeof world>>, name: string) => w.pods.get("default", name).metadata.uid;

describe("Endpoints controller", () => {
  it("lists ready pods in addresses and not-ready ones in notReadyAddresses, with node and targetRef", async () => {
    const w = await world();
    await w.service("web", webService, { tier: "front" });
    await w.pod("a", { ip: "10.244.1.2", ready: true });
    await w.pod("b", { ip: "10.244.2.2", ready: false, node: "worker-2" });
    await w.pod("c"); // no IP yet: left out
    await w.pod("other", { labels: { app: "db" }, ip: "10.244.1.9" });
    await w.ec("default/web");
    const ep = w.ep("web")!;
    expect(ep.metadata.labels).toEqual({ tier: "front", [LABEL_MANAGED_BY]: "endpoint-controller" });
    expect(ep.metadata.annotations?.[LAST_CHANGE_TRIGGER_TIME]).toBe(formatTime(T0));
    expect(ep.metadata.ownerReferences).toBeUndefined();
    expect(ep.subsets).toEqual([
      {
        addresses: [{ ip: "10.244.1.2", nodeName: "worker-1", targetRef: { kind: "Pod", namespace: "default", name: "a", uid: uidOf(w, "a") } }],
        notReadyAddresses: [{ ip: "10.244.2.2", nodeName: "worker-2", targetRef: { kind: "Pod", namespace: "default", name: "b", uid: uidOf(w, "b") } }],
        ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      },
    ]);
  });

  it("is idempotent: a second reconcile writes nothing", async () => {
    const w = await world();
    await w.service("web", webService);
    await w.pod("a", { ip: "10.244.1.2" });
    await w.ec("default/web");
    const before = w.snapshot();
    w.clock.advance(5_000);
    await w.ec("default/web");
    expect(w.snapshot()).toEqual(before);
  });

  it("moves an address when the pod becomes ready, and drops it when the pod is deleted or terminating", async () => {
    const w = await world();
    await w.service("web", webService);
    await w.pod("a", { ip: "10.244.1.2", ready: false });
    await w.pod("b", { ip: "10.244.1.3" });
    await w.ec("default/web");
    expect(w.ep("web")!.subsets[0].notReadyAddresses.map((a: { ip: string }) => a.ip)).toEqual(["10.244.1.2"]);
    w.clock.advance(1_000);
    await w.setStatus("a", "10.244.1.2", true);
    await w.ec("default/web");
    expect(w.ep("web")!.subsets).toEqual([expect.objectContaining({ addresses: [expect.objectContaining({ ip: "10.244.1.2" }), expect.objectContaining({ ip: "10.244.1.3" })] })]);
    expect(w.ep("web")!.subsets[0].notReadyAddresses).toBeUndefined();
    expect(w.ep("web")!.metadata.annotations?.[LAST_CHANGE_TRIGGER_TIME]).toBe(formatTime(T0 + 1_000));
    await w.pods.delete("default", "a", { user: systemUser, gracePeriodSeconds: 0 });
    await w.ec("default/web");
    expect(w.ep("web")!.subsets[0].addresses.map((a: { ip: string }) => a.ip)).toEqual(["10.244.1.3"]);
    // A pod being deleted (graceful: deletionTimestamp set, still there) is out of the Endpoints.
    await w.pods.delete("default", "b", { user: systemUser, gracePeriodSeconds: 30 });
    await w.ec("default/web");
    expect(w.ep("web")!.subsets).toEqual([]);
  });

  it("resolves named target ports per pod and repacks subsets as upstream", async () => {
    const w = await world();
    await w.service("web", { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "web" }, { name: "metrics", port: 9090, targetPort: 9090 }] });
    await w.pod("a", { ip: "10.244.1.2", ports: [{ name: "web", containerPort: 8080 }] });
    await w.pod("b", { ip: "10.244.1.3", ports: [{ name: "web", containerPort: 8081 }] });
    await w.pod("c", { ip: "10.244.1.4", ports: [{ name: "web", containerPort: 8080 }] });
    await w.pod("d", { ip: "10.244.1.5" }); // no port named "web": only the numeric one
    await w.ec("default/web");
    const summary = w.ep("web")!.subsets.map((s: any) => ({ ips: s.addresses.map((a: any) => a.ip), ports: s.ports.map((p: any) => `${p.name}:${p.port}`) }));
    expect(summary).toEqual([
      // RepackSubsets: one subset per distinct set of addresses offering a port.
      { ips: ["10.244.1.2", "10.244.1.4"], ports: ["http:8080"] },
      { ips: ["10.244.1.2", "10.244.1.3", "10.244.1.4", "10.244.1.5"], ports: ["metrics:9090"] },
      { ips: ["10.244.1.3"], ports: ["http:8081"] },
    ]);
  });

  it("deletes its Endpoints when the Service is deleted, but leaves user-managed ones alone", async () => {
    const w = await world();
    await w.service("web", webService);
    await w.pod("a", { ip: "10.244.1.2" });
    await w.ec("default/web");
    expect(w.ep("web")).not.toBeNull();
    await w.services.delete("default", "web", { user: systemUser });
    await w.ec("default/web");
    expect(w.ep("web")).toBeNull();

    // A selectorless Service: its Endpoints is the user's, kept as written.
    await w.service("ext", { ports: [{ port: 5432 }] });
    const manual = { apiVersion: "v1", kind: "Endpoints", metadata: { name: "ext" }, subsets: [{ addresses: [{ ip: "192.0.2.10" }], ports: [{ port: 5432 }] }] };
    await w.endpoints.create("default", manual, { user: systemUser });
    const before = w.snapshot();
    await w.ec("default/ext");
    expect(w.snapshot()).toEqual(before);
    await w.services.delete("default", "ext", { user: systemUser });
    await w.ec("default/ext");
    expect(w.ep("ext")).not.toBeNull();
  });

  it("never touches the apiserver's default/kubernetes Endpoints", async () => {
    const w = await world();
    const before = w.snapshot();
    await w.ec("default/kubernetes");
    expect(w.snapshot()).toEqual(before);
  });

  it.each([
    ["publishNotReadyAddresses puts not-ready pods in addresses", { publishNotReadyAddresses: true }, { ready: false }, { addresses: 1, notReady: 0 }],
    ["a failed pod is left out", {}, { phase: "Failed" }, { addresses: 0, notReady: 0 }],
    ["a succeeded pod is left out", {}, { phase: "Succeeded" }, { addresses: 0, notReady: 0 }],
  ])("%s", async (_, svcExtra, podOpts, counts) => {
    const w = await world();
    await w.service("web", { ...webService, ...svcExtra });
    await w.pod("a", { ip: "10.244.1.2", ...podOpts });
    await w.ec("default/web");
    const subsets = w.ep("web")!.subsets ?? [];
    expect(subsets.reduce((n: number, s: any) => n + (s.addresses?.length ?? 0), 0)).toBe(counts.addresses);
    expect(subsets.reduce((n: number, s: any) => n + (s.notReadyAddresses?.length ?? 0), 0)).toBe(counts.notReady);
  });

  it("labels a headless Service's Endpoints and lists addresses without ports when it has none", async () => {
    const w = await world();
    await w.service("db", { clusterIP: "None", selector: { app: "web" } });
    await w.pod("a", { ip: "10.244.1.2" });
    await w.ec("default/db");
    const ep = w.ep("db")!;
    expect(ep.metadata.labels).toEqual({ [LABEL_HEADLESS]: "", [LABEL_MANAGED_BY]: "endpoint-controller" });
    expect(ep.subsets).toEqual([{ addresses: [expect.objectContaining({ ip: "10.244.1.2" })] }]);
  });

  it.each([
    ["number", { port: 80, targetPort: 8080 }, 8080],
    ["defaulted to port", { port: 80 }, 80],
    ["named", { port: 80, targetPort: "web" }, 9000],
    ["named, other protocol", { port: 80, targetPort: "web", protocol: "UDP" }, null],
    ["unknown name", { port: 80, targetPort: "nope" }, null],
  ])("findPort: %s", (_, sp, want) => {
    const pod: KObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", ports: [{ name: "web", containerPort: 9000 }] }] } };
    expect(findPort(pod, sp)).toBe(want);
  });

  it("repacks: ready wins over not-ready for the same address and port", () => {
    const a = { ip: "10.0.0.1" };
    const port = { port: 80, protocol: "TCP" };
    expect(repackSubsets([
      { address: a, ready: false, port },
      { address: a, ready: true, port },
    ])).toEqual([{ addresses: [a], ports: [port] }]);
  });

  it("maps pod events to the keys of the Services selecting them", () => {
    const svc = (name: string, selector?: Record<string, string>, namespace = "default"): KObject => ({ apiVersion: "v1", kind: "Service", metadata: { name, namespace }, spec: selector ? { selector } : {} });
    const pod: KObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default", labels: { app: "web", tier: "x" } } };
    expect(serviceKeysForPod(pod, [svc("web", { app: "web" }), svc("both", { app: "web", tier: "x" }), svc("db", { app: "db" }), svc("none"), svc("empty", {}), svc("elsewhere", { app: "web" }, "prod")])).toEqual([
      "default/web",
      "default/both",
    ]);
  });
});
