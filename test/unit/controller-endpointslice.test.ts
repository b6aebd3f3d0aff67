import { describe, expect, it } from "vitest";
import { systemUser } from "../../src/sandbox/sandbox";
import { selectEverything } from "../../src/registry/selection";
import { formatTime } from "../../src/registry/clock";
import type { KObject } from "../../src/registry/types";
import { LAST_CHANGE_TRIGGER_TIME } from "../../src/controlplane/controllers/endpoints";
import {
  endpointSliceReconciler,
  ENDPOINTSLICE_CONTROLLER,
  LABEL_SERVICE_NAME,
  LABEL_SLICE_MANAGED_BY,
  LABEL_TOPOLOGY_ZONE,
  NODE_NOT_FOUND_RETRY_MS,
  serviceKeyForEndpointSlice,
} from "../../src/controlplane/controllers/endpointslice";
import { quietSandbox, T0 } from "./support/cluster";

/* eslint-disable @typescript-eslint/no-explicit-any */

const user = { user: systemUser };

// A sandbox whose own control plane never runs: the test drives the reconciler by hand.
async function world() {
  const { clock, registry } = await quietSandbox();
  const reconcile = endpointSliceReconciler({ registry, user: systemUser, now: () => clock.now() });
  const pods = registry.resource("", "pods");
  const services = registry.resource("", "services");
  const nodes = registry.resource("", "nodes");
  const slices = registry.resource("discovery.k8s.io", "endpointslices");
  const w = {
    clock,
    pods,
    services,
    nodes,
    slices,
    reconcile,
    /** The slices labelled for a Service, by name. */
    slicesOf: (service: string): KObject[] =>
      slices
        .list("default", { selection: selectEverything })
        .items.filter((s) => s.metadata.labels?.[LABEL_SERVICE_NAME] === service)
        .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1)),
    /** Every slice's name and resourceVersion: unchanged means nothing was written. */
    /** Every slice but the API server's own `default/kubernetes`, as `name@resourceVersion`. */
    snapshot: () =>
      slices
        .list("", { selection: selectEverything })
        .items.filter((o) => o.metadata.name !== "kubernetes")
        .map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`)
        .sort(),
    async pod(name: string, opts: { labels?: Record<string, string>; ip?: string; ready?: boolean; node?: string; ports?: unknown[]; hostname?: string; subdomain?: string } = {}) {
      await pods.create(
        "default",
        {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name, labels: opts.labels ?? { app: "web" } },
          spec: {
            nodeName: opts.node ?? "worker-1",
            ...(opts.hostname ? { hostname: opts.hostname } : {}),
            ...(opts.subdomain ? { subdomain: opts.subdomain } : {}),
            containers: [{ name: "main", image: "nginx", ...(opts.ports ? { ports: opts.ports } : {}) }],
          },
        },
        user,
      );
      if (opts.ip) await w.setStatus(name, opts.ip, opts.ready ?? true);
    },
    async setStatus(name: string, ip: string, ready: boolean) {
      const t = formatTime(clock.now());
      await pods.patch(
        "default",
        name,
        (c) => ({ ...c, status: { phase: "Running", podIP: ip, podIPs: [{ ip }], conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: t }] } }),
        { user: systemUser, subresource: "status" },
      );
    },
    service: (name: string, spec: Record<string, unknown>, labels?: Record<string, string>) =>
      services.create("default", { apiVersion: "v1", kind: "Service", metadata: { name, ...(labels ? { labels } : {}) }, spec }, user),
  };
  return w;
}
type World = Awaited<ReturnType<typeof world>>;

const webService = { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] };
const uidOf = (w: World, kind: "pod" | "service", name: string) => (kind === "pod" ? w.pods : w.services).get("default", name).metadata.uid;
const addresses = (slices: KObject[]) => slices.flatMap((s) => (s.endpoints ?? []).flatMap((e: any) => e.addresses)).sort();

describe("EndpointSlice controller", () => {
  it("lists ready, not-ready and terminating pods with their conditions, node, zone and target", async () => {
    const w = await world();
    await w.nodes.patch("", "worker-2", (n) => ({ ...n, metadata: { ...n.metadata, labels: { ...n.metadata.labels, [LABEL_TOPOLOGY_ZONE]: "zone-b" } } }), user);
    await w.service("web", webService, { tier: "front" });
    await w.pod("a", { ip: "10.244.1.2" });
    await w.pod("b", { ip: "10.244.2.2", ready: false, node: "worker-2" });
    await w.pod("c", { ip: "10.244.1.3" });
    await w.pod("pending"); // no IP yet: left out
    await w.pod("other", { labels: { app: "db" }, ip: "10.244.1.9" });
    await w.pods.delete("default", "c", { user: systemUser, gracePeriodSeconds: 30 }); // terminating, still there
    await w.reconcile("default/web");

    const [slice, ...rest] = w.slicesOf("web");
    expect(rest).toEqual([]);
    expect(slice.metadata.name).toMatch(/^web-/);
    expect(slice.metadata.generateName).toBe("web-");
    expect(slice.metadata.labels).toEqual({ tier: "front", [LABEL_SERVICE_NAME]: "web", [LABEL_SLICE_MANAGED_BY]: ENDPOINTSLICE_CONTROLLER });
    expect(slice.metadata.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Service", name: "web", uid: uidOf(w, "service", "web"), controller: true, blockOwnerDeletion: true }]);
    expect(slice.metadata.annotations).toEqual({ [LAST_CHANGE_TRIGGER_TIME]: formatTime(T0) });
    expect(slice.addressType).toBe("IPv4");
    expect(slice.ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
    const target = (name: string) => ({ kind: "Pod", namespace: "default", name, uid: uidOf(w, "pod", name) });
    expect(slice.endpoints).toEqual([
      { addresses: ["10.244.1.2"], conditions: { ready: true, serving: true, terminating: false }, nodeName: "worker-1", targetRef: target("a") },
      { addresses: ["10.244.1.3"], conditions: { ready: false, serving: true, terminating: true }, nodeName: "worker-1", targetRef: target("c") },
      { addresses: ["10.244.2.2"], conditions: { ready: false, serving: false, terminating: false }, nodeName: "worker-2", zone: "zone-b", targetRef: target("b") },
    ]);
  });

  it("is idempotent: a second pass writes nothing", async () => {
    const w = await world();
    await w.service("web", webService);
    await w.pod("a", { ip: "10.244.1.2" });
    await w.pod("b", { ip: "10.244.1.3", ready: false });
    await w.reconcile("default/web");
    const before = w.snapshot();
    w.clock.advance(5_000);
    await w.reconcile("default/web");
    expect(w.snapshot()).toEqual(before);
  });

  it("updates the endpoint in place when a pod becomes ready, stamping the trigger time", async () => {
    const w = await world();
    await w.service("web", webService);
    await w.pod("a", { ip: "10.244.1.2", ready: false });
    await w.reconcile("default/web");
    const [before] = w.slicesOf("web");
    w.clock.advance(1_000);
    await w.setStatus("a", "10.244.1.2", true);
    await w.reconcile("default/web");
    const [after] = w.slicesOf("web");
    expect(after.metadata.name).toBe(before.metadata.name);
    expect(after.metadata.generation).toBe(2);
    expect(after.endpoints[0].conditions).toEqual({ ready: true, serving: true, terminating: false });
    expect(after.metadata.annotations?.[LAST_CHANGE_TRIGGER_TIME]).toBe(formatTime(T0 + 1_000));
  });

  it("keeps one empty placeholder slice for a Service without endpoints, and fills it when pods come", async () => {
    const w = await world();
    await w.service("web", webService);
    await w.reconcile("default/web");
    const [placeholder, ...rest] = w.slicesOf("web");
    expect(rest).toEqual([]);
    expect(placeholder.endpoints).toBeNull();
    expect(placeholder.ports).toBeNull();
    const before = w.snapshot();
    await w.reconcile("default/web");
    expect(w.snapshot()).toEqual(before);

    await w.pod("a", { ip: "10.244.1.2" });
    await w.reconcile("default/web");
    const [filled, ...more] = w.slicesOf("web");
    expect(more).toEqual([]);
    expect(filled.metadata.name).toBe(placeholder.metadata.name);
    expect(filled.ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
    expect(addresses([filled])).toEqual(["10.244.1.2"]);

    // The last pod goes: the slice becomes the placeholder again, under the same name.
    await w.pods.delete("default", "a", { user: systemUser, gracePeriodSeconds: 0 });
    await w.reconcile("default/web");
    expect(w.slicesOf("web").map((s) => [s.metadata.name, s.endpoints, s.ports])).toEqual([[placeholder.metadata.name, null, null]]);
  });

  it("resolves named target ports per pod: pods with different ports go to different slices", async () => {
    const w = await world();
    await w.service("web", { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "web" }] });
    await w.pod("a", { ip: "10.244.1.2", ports: [{ name: "web", containerPort: 8080 }] });
    await w.pod("b", { ip: "10.244.1.3", ports: [{ name: "web", containerPort: 8081 }] });
    await w.pod("c", { ip: "10.244.1.4", ports: [{ name: "web", containerPort: 8080 }] });
    await w.pod("d", { ip: "10.244.1.5" }); // no port named "web": an endpoint without ports
    await w.reconcile("default/web");
    const summary = w.slicesOf("web").map((s) => ({ ports: (s.ports ?? []).map((p: any) => `${p.name}:${p.port}`), ips: addresses([s]) }));
    expect(summary.sort((a, b) => a.ips[0].localeCompare(b.ips[0]))).toEqual([
      { ports: ["http:8080"], ips: ["10.244.1.2", "10.244.1.4"] },
      { ports: ["http:8081"], ips: ["10.244.1.3"] },
      { ports: [], ips: ["10.244.1.5"] },
    ]);
  });

  it("splits more than 100 endpoints over slices and updates them in place as pods come and go", async () => {
    const w = await world();
    await w.service("web", webService);
    const ip = (i: number) => `10.244.${1 + Math.floor(i / 200)}.${(i % 200) + 2}`;
    for (let i = 0; i < 250; i++) await w.pod(`web-${i}`, { ip: ip(i) });
    await w.reconcile("default/web");
    const first = w.slicesOf("web");
    expect(first.map((s) => s.endpoints.length).sort((a, b) => b - a)).toEqual([100, 100, 50]);
    expect(addresses(first)).toEqual(Array.from({ length: 250 }, (_, i) => ip(i)).sort());

    // 30 pods go and 20 come: existing slices are updated (refilled first), none is created.
    for (let i = 0; i < 30; i++) await w.pods.delete("default", `web-${i}`, { user: systemUser, gracePeriodSeconds: 0 });
    for (let i = 250; i < 270; i++) await w.pod(`web-${i}`, { ip: ip(i) });
    await w.reconcile("default/web");
    const second = w.slicesOf("web");
    expect(second.map((s) => s.metadata.name)).toEqual(first.map((s) => s.metadata.name));
    expect(second.every((s) => s.endpoints.length <= 100)).toBe(true);
    expect(addresses(second)).toEqual(Array.from({ length: 240 }, (_, i) => ip(i + 30)).sort());

    const before = w.snapshot();
    await w.reconcile("default/web");
    expect(w.snapshot()).toEqual(before);
  });

  it("deletes its slices when the Service is gone", async () => {
    const w = await world();
    await w.service("web", webService);
    await w.pod("a", { ip: "10.244.1.2" });
    await w.reconcile("default/web");
    expect(w.slicesOf("web")).toHaveLength(1);
    await w.services.delete("default", "web", user);
    await w.reconcile("default/web");
    expect(w.slicesOf("web")).toEqual([]);
    await w.reconcile("default/web"); // already gone: nothing to do, no error
  });

  it("leaves the slices alone when the selector is removed, as upstream", async () => {
    const w = await world();
    await w.service("web", webService);
    await w.pod("a", { ip: "10.244.1.2" });
    await w.reconcile("default/web");
    await w.services.patch("default", "web", (s) => ({ ...s, spec: { ...s.spec, selector: undefined } }), user);
    await w.pods.delete("default", "a", { user: systemUser, gracePeriodSeconds: 0 });
    const before = w.snapshot();
    await w.reconcile("default/web");
    expect(w.snapshot()).toEqual(before);
    expect(addresses(w.slicesOf("web"))).toEqual(["10.244.1.2"]);
  });

  it("creates nothing for a selectorless or ExternalName Service", async () => {
    const w = await world();
    await w.service("ext", { ports: [{ port: 5432 }] });
    await w.service("cname", { type: "ExternalName", externalName: "db.example.com", selector: { app: "web" } });
    await w.pod("a", { ip: "10.244.1.2" });
    await w.reconcile("default/ext");
    await w.reconcile("default/cname");
    expect(w.snapshot()).toEqual([]);
  });

  it("labels a headless Service's slices and sets hostnames for pods naming it as subdomain", async () => {
    const w = await world();
    await w.service("db", { clusterIP: "None", selector: { app: "web" } });
    await w.pod("db-0", { ip: "10.244.1.2", hostname: "db-0", subdomain: "db" });
    await w.pod("db-1", { ip: "10.244.1.3", hostname: "db-1", subdomain: "other" });
    await w.reconcile("default/db");
    const [slice] = w.slicesOf("db");
    expect(slice.metadata.labels?.["service.kubernetes.io/headless"]).toBe("");
    expect(slice.ports).toBeNull();
    expect(slice.endpoints.map((e: any) => [e.addresses[0], e.hostname])).toEqual([
      ["10.244.1.2", "db-0"],
      ["10.244.1.3", undefined],
    ]);
  });

  it("marks not-ready pods ready with publishNotReadyAddresses, and leaves finished pods out", async () => {
    const w = await world();
    await w.service("web", { ...webService, publishNotReadyAddresses: true });
    await w.pod("a", { ip: "10.244.1.2", ready: false });
    await w.pod("done", { ip: "10.244.1.3" });
    await w.pods.patch("default", "done", (p) => ({ ...p, status: { ...p.status, phase: "Succeeded" } }), { user: systemUser, subresource: "status" });
    await w.reconcile("default/web");
    const [slice] = w.slicesOf("web");
    expect(slice.endpoints.map((e: any) => [e.addresses[0], e.conditions])).toEqual([["10.244.1.2", { ready: true, serving: false, terminating: false }]]);
  });

  it("follows the Service's labels, repairs a slice edited by hand and replaces slices of an older Service", async () => {
    const w = await world();
    await w.service("web", webService, { tier: "front" });
    await w.pod("a", { ip: "10.244.1.2" });
    await w.reconcile("default/web");
    const [slice] = w.slicesOf("web");

    await w.services.patch("default", "web", (s) => ({ ...s, metadata: { ...s.metadata, labels: { tier: "back" } } }), user);
    await w.slices.patch("default", slice.metadata.name!, (s) => ({ ...s, endpoints: [{ addresses: ["10.9.9.9"] }] }), user);
    await w.reconcile("default/web");
    const [repaired] = w.slicesOf("web");
    expect(repaired.metadata.name).toBe(slice.metadata.name);
    expect(repaired.metadata.labels?.tier).toBe("back");
    expect(addresses([repaired])).toEqual(["10.244.1.2"]);

    // Same name, new Service: the old slice is not its own, so it is replaced, not reused.
    await w.services.delete("default", "web", user);
    await w.service("web", webService);
    await w.reconcile("default/web");
    const [replacement, ...rest] = w.slicesOf("web");
    expect(rest).toEqual([]);
    expect(replacement.metadata.name).not.toBe(slice.metadata.name);
    expect(replacement.metadata.ownerReferences?.map((r: any) => r.uid)).toEqual([uidOf(w, "service", "web")]);
  });

  it("skips a pod whose node does not exist and asks to be retried", async () => {
    const w = await world();
    await w.service("web", webService);
    await w.pod("a", { ip: "10.244.1.2" });
    await w.pod("lost", { ip: "10.244.9.2", node: "gone-node" });
    expect(await w.reconcile("default/web")).toEqual({ requeueAfterMs: NODE_NOT_FOUND_RETRY_MS });
    expect(addresses(w.slicesOf("web"))).toEqual(["10.244.1.2"]);
  });

  it("maps a managed slice's events to its Service's key", () => {
    const slice = (labels: Record<string, string>) => ({ apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: { name: "web-abcde", namespace: "shop", labels } });
    expect(serviceKeyForEndpointSlice(slice({ [LABEL_SERVICE_NAME]: "web", [LABEL_SLICE_MANAGED_BY]: ENDPOINTSLICE_CONTROLLER }))).toBe("shop/web");
    expect(serviceKeyForEndpointSlice(slice({ [LABEL_SERVICE_NAME]: "web", [LABEL_SLICE_MANAGED_BY]: "endpointslicemirroring-controller.k8s.io" }))).toBeNull();
    expect(serviceKeyForEndpointSlice(slice({}))).toBeNull();
  });
});
