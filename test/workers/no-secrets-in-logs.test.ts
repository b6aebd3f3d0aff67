/**
 * Nothing the service logs carries a credential: every console call made by the Worker and the
 * sandboxes' Durable Objects while keys, tokens and webhook secrets are issued, used, misused,
 * rotated and revoked is captured and searched for each of them (workerd runs the Worker and its
 * Durable Objects in this test's isolate, so their console is this console).
 */
import { env, exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const BASE = "https://sandkube.test";
const ADMIN_KEY = "sandkube-local-admin";

function call(path: string, token: string | null, init: RequestInit = {}) {
  const headers: Record<string, string> = { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) };
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers }));
}
const json = async (res: Response) => (await res.json()) as Record<string, any>;
const post = (path: string, token: string | null, body: unknown = {}) => call(path, token, { method: "POST", body: JSON.stringify(body) });

const logged: string[] = [];
const methods = ["log", "info", "warn", "error", "debug"] as const;

beforeAll(() => {
  for (const method of methods) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    });
  }
});
afterAll(() => {
  vi.restoreAllMocks();
});

describe("logs", () => {
  it("hold no key, token or signing secret after they are issued, used, misused, rotated and revoked", async () => {
    const secrets: string[] = [];
    const tenant = await json(await post("/v1/tenants", ADMIN_KEY, { name: "logs" }));
    const key = tenant.key.key as string;
    secrets.push(key);
    const second = (await json(await post(`/v1/tenants/${tenant.id}/keys`, key, { name: "ci" }))).key as string;
    secrets.push(second);
    const rotated = (await json(await post(`/v1/tenants/${tenant.id}/keys/${tenant.key.id}:rotate`, second))).key as string;
    secrets.push(rotated);
    expect((await call("/v1/sandboxes", key)).status).toBe(401); // the rotated-away key

    const sandbox = await json(await post("/v1/sandboxes", rotated, { addons: false }));
    secrets.push(sandbox.token);
    const user = await json(await post(`/v1/sandboxes/${sandbox.id}/users`, rotated, { name: "jane" }));
    const userToken = /token: (\S+)/.exec(user.kubeconfig)![1]!;
    secrets.push(userToken);
    const kube = (path: string, token: string, init: RequestInit = {}) => call(`/sandboxes/${sandbox.id}${path}`, token, init);
    const tokenRequest = { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: {} };
    const saToken = (await json(await kube("/api/v1/namespaces/default/serviceaccounts/default/token", sandbox.token, { method: "POST", body: JSON.stringify(tokenRequest) }))).status.token;
    secrets.push(saToken);
    expect((await kube("/api/v1/namespaces", userToken)).status).toBe(403);
    expect((await kube("/api/v1/namespaces", saToken)).status).toBe(403);
    expect((await kube("/api/v1/namespaces", `${sandbox.token}x`)).status).toBe(401);
    const hook = await json(await post(`/v1/sandboxes/${sandbox.id}/webhooks`, rotated, { url: "http://127.0.0.1:9/hook" }));
    secrets.push(hook.secret);
    const newSecret = (await json(await post(`/v1/sandboxes/${sandbox.id}/webhooks/${hook.id}:rotate-secret`, rotated))).secret;
    secrets.push(newSecret);
    // Messages go out (the test's outbound service answers them), signed with both secrets.
    await kube("/api/v1/namespaces/default/configmaps", sandbox.token, { method: "POST", body: JSON.stringify({ metadata: { name: "c" } }) });
    const rotatedToken = (await json(await post(`/v1/sandboxes/${sandbox.id}/token:rotate`, rotated))).token;
    secrets.push(rotatedToken);
    expect((await kube("/api/v1/namespaces", sandbox.token)).status).toBe(401);
    await call(`/v1/tenants/${tenant.id}/keys/${tenant.key.id}`, rotated, { method: "DELETE" });
    expect(await env.DB.prepare("SELECT 1").first()).toBeTruthy();

    expect(secrets.every((s) => typeof s === "string" && s.length >= 20)).toBe(true);
    const all = logged.join("\n");
    for (const secret of secrets) expect(all.includes(secret), `a credential appears in the logs: ${secret.slice(0, 8)}…`).toBe(false);
    // The raw bytes of a webhook secret (its base64 body) are not logged either.
    for (const secret of [hook.secret, newSecret]) expect(all.includes(secret.slice("whsec_".length))).toBe(false);
  });
});
