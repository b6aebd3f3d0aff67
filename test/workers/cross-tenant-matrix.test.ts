/**
 * The cross-tenant matrix in real workerd + D1: every Kubernetes endpoint of one tenant's sandbox
 * and every management endpoint, tried with every credential that must not open it — none, a
 * malformed one, another tenant's key, another sandbox's tokens, a rotated-away token, the token
 * of a deleted ServiceAccount, a management key on the Kubernetes API and a sandbox token on the
 * management API — answers only 401, 403 or 404, and never with a byte of the sandbox's data.
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";

const BASE = "https://sandkube.test";
const ADMIN_KEY = "sandkube-local-admin";
const MARKER = `marker-${crypto.randomUUID()}`;

function call(path: string, token: string | null, init: RequestInit = {}) {
  const headers: Record<string, string> = { "content-type": "application/json", ...(token !== null ? { authorization: `Bearer ${token}` } : {}) };
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers }));
}
const json = async (res: Response) => (await res.json()) as Record<string, any>;

interface World {
  tenantA: string;
  tenantB: string;
  sandbox: { id: string; token: string };
  other: { id: string; token: string };
  credentials: Record<string, string | null>;
}
let world: World;

async function tenant(name: string) {
  return (await json(await call("/v1/tenants", ADMIN_KEY, { method: "POST", body: JSON.stringify({ name }) }))).key.key as string;
}
async function sandboxOf(key: string) {
  return (await json(await call("/v1/sandboxes", key, { method: "POST", body: JSON.stringify({ addons: false }) }))) as { id: string; token: string };
}
const kube = (sandbox: { id: string }, path: string, token: string | null, init: RequestInit = {}) => call(`/sandboxes/${sandbox.id}${path}`, token, init);

beforeAll(async () => {
  const tenantA = await tenant("matrix-a");
  const tenantB = await tenant("matrix-b");
  const sandbox = await sandboxOf(tenantA);
  const other = await sandboxOf(tenantB);
  // The data that must never leak: a ConfigMap and a Secret holding the marker.
  for (const [resource, body] of [
    ["configmaps", { metadata: { name: "private" }, data: { value: MARKER } }],
    ["secrets", { metadata: { name: "private" }, stringData: { value: MARKER } }],
  ] as const) {
    expect((await kube(sandbox, `/api/v1/namespaces/default/${resource}`, sandbox.token, { method: "POST", body: JSON.stringify(body) })).status).toBe(201);
  }
  // A ServiceAccount token that stops working once its account is deleted.
  await kube(sandbox, "/api/v1/namespaces/default/serviceaccounts", sandbox.token, { method: "POST", body: JSON.stringify({ metadata: { name: "gone" } }) });
  const request = { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: {} };
  const deletedAccountToken = (await json(await kube(sandbox, "/api/v1/namespaces/default/serviceaccounts/gone/token", sandbox.token, { method: "POST", body: JSON.stringify(request) }))).status.token;
  await kube(sandbox, "/api/v1/namespaces/default/serviceaccounts/gone", sandbox.token, { method: "DELETE" });
  // Another sandbox's user token (signed by that sandbox's key), and this sandbox's rotated-away admin token.
  const otherUser = (await json(await call(`/v1/sandboxes/${other.id}/users`, tenantB, { method: "POST", body: JSON.stringify({ name: "mallory", groups: ["system:masters"] }) }))).kubeconfig as string;
  const otherUserToken = /token: (\S+)/.exec(otherUser)![1]!;
  const rotated = await json(await call(`/v1/sandboxes/${sandbox.id}/token:rotate`, tenantA, { method: "POST" }));
  world = {
    tenantA,
    tenantB,
    sandbox: { id: sandbox.id, token: rotated.token },
    other,
    credentials: {
      none: null,
      malformed: "not.a.jwt",
      "garbage JWT": "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl",
      "another tenant's key": tenantB,
      "this tenant's key": tenantA,
      "the admin key": ADMIN_KEY,
      "another sandbox's admin token": other.token,
      "another sandbox's user token": otherUserToken,
      "the rotated-away admin token": sandbox.token,
      "a deleted ServiceAccount's token": deletedAccountToken,
    },
  };
});

/** Every kind of Kubernetes request, public paths (`/version`, `/healthz`…) aside. */
const kubernetesRequests: [string, RequestInit][] = [
  ["/api", {}],
  ["/apis", {}],
  ["/api/v1", {}],
  ["/openapi/v2", {}],
  ["/openapi/v3", {}],
  ["/api/v1/namespaces", {}],
  ["/api/v1/namespaces/default/configmaps/private", {}],
  ["/api/v1/namespaces/default/secrets", {}],
  ["/api/v1/secrets?watch=true", {}],
  ["/api/v1/namespaces/default/configmaps", { method: "POST", body: JSON.stringify({ metadata: { name: "intruder" } }) }],
  ["/api/v1/namespaces/default/configmaps/private", { method: "PATCH", body: JSON.stringify({ data: { value: "owned" } }) }],
  ["/api/v1/namespaces/default/configmaps/private", { method: "PUT", body: JSON.stringify({ metadata: { name: "private" }, data: {} }) }],
  ["/api/v1/namespaces/default/secrets/private", { method: "DELETE" }],
  ["/api/v1/namespaces/default/serviceaccounts/default/token", { method: "POST", body: JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: {} }) }],
  ["/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", { method: "POST", body: JSON.stringify({ apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectRulesReview", spec: { namespace: "default" } }) }],
  ["/apis/apps/v1/namespaces/default/deployments", {}],
  ["/apis/metrics.k8s.io/v1beta1/pods", {}],
  ["/openid/v1/jwks", {}],
  ["/logs", {}],
];

describe("the cross-tenant matrix", () => {
  it("opens no Kubernetes endpoint of a sandbox to a credential that is not its own", async () => {
    const seen: string[] = [];
    for (const [name, token] of Object.entries(world.credentials)) {
      for (const [path, init] of kubernetesRequests) {
        const res = await kube(world.sandbox, path, token, init);
        const text = await res.text();
        const what = `${name}: ${init.method ?? "GET"} ${path} → ${res.status}`;
        expect([401, 403, 404], what).toContain(res.status);
        expect(text, what).not.toContain(MARKER);
        expect(text, what).not.toContain("private");
        seen.push(what);
      }
    }
    expect(seen).toHaveLength(Object.keys(world.credentials).length * kubernetesRequests.length);
    // The data is intact, and the sandbox's own token still works.
    const cm = await json(await kube(world.sandbox, "/api/v1/namespaces/default/configmaps/private", world.sandbox.token));
    expect(cm.data).toEqual({ value: MARKER });
    expect((await kube(world.sandbox, "/api/v1/namespaces/default/secrets/private", world.sandbox.token)).status).toBe(200);
  });

  it("answers a foreign or wrong credential exactly as an unknown sandbox does", async () => {
    for (const [name, token] of Object.entries(world.credentials)) {
      const real = await kube(world.sandbox, "/api/v1/namespaces", token);
      const unknown = await kube({ id: "sbx-doesnotexist" }, "/api/v1/namespaces", token);
      expect([real.status, await real.text()], name).toEqual([unknown.status, await unknown.text()]);
    }
  });

  it("opens no management endpoint of a tenant's sandbox to another tenant or to a sandbox token", async () => {
    const id = world.sandbox.id;
    const management: [string, RequestInit][] = [
      [`/v1/sandboxes/${id}`, {}],
      [`/v1/sandboxes/${id}/kubeconfig`, {}],
      [`/v1/sandboxes/${id}/stats`, {}],
      [`/v1/sandboxes/${id}/users`, { method: "POST", body: JSON.stringify({ name: "eve" }) }],
      [`/v1/sandboxes/${id}/token:rotate`, { method: "POST" }],
      [`/v1/sandboxes/${id}/history:compact`, { method: "POST" }],
      [`/v1/sandboxes/${id}/control-plane:restart`, { method: "POST" }],
      [`/v1/sandboxes/${id}/webhooks`, {}],
      [`/v1/sandboxes/${id}/webhooks`, { method: "POST", body: JSON.stringify({ url: "https://example.com/hook" }) }],
      [`/v1/sandboxes/${id}/nodes`, { method: "POST", body: JSON.stringify({ name: "evil" }) }],
      [`/v1/sandboxes/${id}`, { method: "PATCH", body: JSON.stringify({ ttlSeconds: 60 }) }],
      [`/v1/sandboxes/${id}`, { method: "DELETE" }],
    ];
    const outsiders: Record<string, string | null> = {
      none: null,
      "another tenant's key": world.tenantB,
      "the sandbox's own admin token": world.sandbox.token,
      "another sandbox's admin token": world.other.token,
      malformed: "skk_not-a-real-key",
    };
    for (const [name, token] of Object.entries(outsiders)) {
      for (const [path, init] of management) {
        const res = await call(path, token, init);
        const text = await res.text();
        const what = `${name}: ${init.method ?? "GET"} ${path} → ${res.status}`;
        expect([401, 403, 404], what).toContain(res.status);
        expect(text, what).not.toContain(world.sandbox.token);
      }
    }
    expect((await call(`/v1/sandboxes/${id}`, world.tenantA)).status).toBe(200);
  });
});
