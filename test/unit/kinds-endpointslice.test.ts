/**
 * discovery.k8s.io/v1 EndpointSlice as a user meets it: what a minimal slice becomes, which errors
 * come back (upstream's paths and wording) and what `kubectl get endpointslices` shows.
 */
import { describe, expect, it } from "vitest";
import { StatusError } from "../../src/apiserver/status";
import { systemUser } from "../../src/sandbox/sandbox";
import type { KObject } from "../../src/registry/types";
import { endpointSliceStrategy } from "../../src/registry/kinds/endpointslice";
import { quietSandbox } from "./support/cluster";

const user = { user: systemUser };

async function store() {
  const { registry, clock } = await quietSandbox();
  return { slices: registry.resource("discovery.k8s.io", "endpointslices"), clock };
}

function slice(name: string, body: Record<string, unknown> = {}): KObject {
  return { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: { name }, addressType: "IPv4", endpoints: [], ports: [], ...body };
}

/** The 422 message a create answers with. */
async function createError(s: Awaited<ReturnType<typeof store>>, obj: KObject): Promise<string> {
  try {
    await s.slices.create("default", obj, user);
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    expect((e as StatusError).code).toBe(422);
    return (e as StatusError).message;
  }
  throw new Error("create succeeded");
}

const ep = (...addresses: string[]) => ({ addresses });

describe("EndpointSlice kind", () => {
  it("defaults port names and protocols, starts at generation 1 and reads empty lists back as null", async () => {
    const s = await store();
    const made = await s.slices.create("default", slice("web-abcde", { endpoints: [ep("10.244.1.2")], ports: [{ port: 80 }] }), user);
    expect(made.ports).toEqual([{ name: "", port: 80, protocol: "TCP" }]);
    expect(made.metadata.generation).toBe(1);
    const empty = await s.slices.create("default", slice("web-empty"), user);
    expect(empty.endpoints).toBeNull();
    expect(empty.ports).toBeNull();
  });

  it("bumps the generation for endpoint and label changes, not for annotations", async () => {
    const s = await store();
    await s.slices.create("default", slice("web-abcde", { endpoints: [ep("10.244.1.2")] }), user);
    const annotated = await s.slices.patch("default", "web-abcde", (o) => ({ ...o, metadata: { ...o.metadata, annotations: { a: "1" } } }), user);
    expect(annotated.metadata.generation).toBe(1);
    const moved = await s.slices.patch("default", "web-abcde", (o) => ({ ...o, endpoints: [ep("10.244.1.3")] }), user);
    expect(moved.metadata.generation).toBe(2);
    const labelled = await s.slices.patch("default", "web-abcde", (o) => ({ ...o, metadata: { ...o.metadata, labels: { tier: "web" } } }), user);
    expect(labelled.metadata.generation).toBe(3);
  });

  it("drops deprecatedTopology written through v1", async () => {
    const s = await store();
    const made = await s.slices.create("default", slice("web-abcde", { endpoints: [{ addresses: ["10.244.1.2"], deprecatedTopology: { "kubernetes.io/hostname": "worker-1" } }] }), user);
    expect(made.endpoints).toEqual([{ addresses: ["10.244.1.2"] }]);
  });

  it.each([
    [
      "a missing addressType",
      slice("x", { addressType: undefined }),
      'EndpointSlice.discovery.k8s.io "x" is invalid: addressType: Required value',
    ],
    [
      "an unknown addressType",
      slice("x", { addressType: "IP" }),
      'EndpointSlice.discovery.k8s.io "x" is invalid: addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"',
    ],
    [
      "an endpoint without addresses",
      slice("x", { endpoints: [{ addresses: [] }] }),
      'EndpointSlice.discovery.k8s.io "x" is invalid: endpoints[0].addresses: Required value: must contain at least 1 address',
    ],
    [
      "an IPv6 address in an IPv4 slice",
      slice("x", { endpoints: [ep("fd00::1")] }),
      'EndpointSlice.discovery.k8s.io "x" is invalid: endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address',
    ],
    [
      "a loopback address",
      slice("x", { endpoints: [ep("127.0.0.1")] }),
      'EndpointSlice.discovery.k8s.io "x" is invalid: endpoints[0].addresses[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    ],
    [
      "a one-label FQDN",
      slice("x", { addressType: "FQDN", endpoints: [ep("web")] }),
      'EndpointSlice.discovery.k8s.io "x" is invalid: endpoints[0].addresses[0]: Invalid value: "web": should be a domain with at least two segments separated by dots',
    ],
    [
      "a bad hostname",
      slice("x", { endpoints: [{ addresses: ["10.244.1.2"], hostname: "Web" }] }),
      "EndpointSlice.discovery.k8s.io \"x\" is invalid: endpoints[0].hostname: Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ],
    [
      "duplicate port names",
      slice("x", { ports: [{ name: "http", port: 80 }, { name: "http", port: 8080 }] }),
      'EndpointSlice.discovery.k8s.io "x" is invalid: ports[1].name: Duplicate value: "http"',
    ],
    [
      "an unsupported protocol",
      slice("x", { ports: [{ name: "http", port: 80, protocol: "ICMP" }] }),
      'EndpointSlice.discovery.k8s.io "x" is invalid: ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
    ],
    [
      "more than 1000 endpoints",
      slice("x", { endpoints: Array.from({ length: 1001 }, (_, i) => ep(`10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`)) }),
      'EndpointSlice.discovery.k8s.io "x" is invalid: endpoints: Too many: 1001: must have at most 1000 items',
    ],
    [
      "more than 100 addresses in one endpoint",
      slice("x", { endpoints: [ep(...Array.from({ length: 101 }, (_, i) => `10.1.0.${i + 1}`))] }),
      'EndpointSlice.discovery.k8s.io "x" is invalid: endpoints[0].addresses: Too many: 101: must have at most 100 items',
    ],
  ])("refuses %s", async (_what, body, message) => {
    const s = await store();
    expect(await createError(s, body)).toBe(message);
  });

  it("keeps addressType immutable", async () => {
    const s = await store();
    await s.slices.create("default", slice("web-abcde"), user);
    await expect(s.slices.patch("default", "web-abcde", (o) => ({ ...o, addressType: "IPv6" }), user)).rejects.toThrow(
      'EndpointSlice.discovery.k8s.io "web-abcde" is invalid: addressType: Invalid value: "IPv6": field is immutable',
    );
  });

  it("prints ADDRESSTYPE, PORTS and ENDPOINTS as kubectl get endpointslices does", () => {
    const cells = (body: Record<string, unknown>) => endpointSliceStrategy.table!.cells(slice("x", body), new Date()).slice(0, 3);
    expect(endpointSliceStrategy.table!.columns.map((c) => c.name)).toEqual(["AddressType", "Ports", "Endpoints", "Age"]);
    expect(cells({ endpoints: null, ports: null })).toEqual(["IPv4", "<unset>", "<unset>"]);
    expect(cells({ endpoints: [ep("10.244.1.2"), ep("10.244.2.2")], ports: [{ name: "http", port: 80 }, { name: "https", port: 443 }] })).toEqual([
      "IPv4",
      "80,443",
      "10.244.1.2,10.244.2.2",
    ]);
    expect(
      cells({
        endpoints: [ep("10.0.0.1"), ep("10.0.0.2"), ep("10.0.0.3"), ep("10.0.0.4"), ep("10.0.0.5")],
        ports: [{ port: 1 }, { port: 2 }, { port: 3 }, { port: 4 }],
      }),
    ).toEqual(["IPv4", "1,2,3 + 1 more...", "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more..."]);
  });
});
