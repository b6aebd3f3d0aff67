/**
 * Tenants in real workerd with real (local) D1: keys issued once and stored only as digests,
 * rotation and revocation, isolation between tenants, and the per-tenant quotas.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const BASE = "https://sandkube.test";
const ADMIN_KEY = "sandkube-local-admin";

function call(path: string, key: string | null, init: RequestInit = {}) {
  const headers: Record<string, string> = { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) };
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers: { ...headers, ...(init.headers ?? {}) } }));
}

async function json<T = Record<string, any>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

async function newTenant(name = "acme") {
  const res = await call("/v1/tenants", ADMIN_KEY, { method: "POST", body: JSON.stringify({ name }) });
  expect(res.status).toBe(201);
  const body = await json(res);
  return { id: body.id as string, key: body.key.key as string, keyId: body.key.id as string };
}

async function newSandbox(key: string) {
  const res = await call("/v1/sandboxes", key, { method: "POST", body: JSON.stringify({ addons: false }) });
  expect(res.status).toBe(201);
  return json<{ id: string; token: string }>(res);
}

/** Every text cell of every row of every table, for scanning D1 for secrets. */
async function dumpD1(): Promise<string> {
  const tables = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all<{ name: string }>();
  let dump = "";
  // D1's own tables (`_cf_…`) refuse reads; they hold no data of ours.
  for (const { name } of tables.results.filter((t) => !t.name.startsWith("_cf_"))) {
    const rows = await env.DB.prepare(`SELECT * FROM "${name}"`).all();
    dump += JSON.stringify(rows.results);
  }
  return dump;
}

describe("tenants and keys", () => {
  it("are created by the admin only; the key is shown once, recognisable, and stored as a digest", async () => {
    const t = await newTenant();
    expect(t.key).toMatch(/^skk_[A-Za-z0-9_-]{43}[0-9a-f]{8}$/);
    expect((await call("/v1/tenants", t.key, { method: "POST", body: JSON.stringify({ name: "x" }) })).status).toBe(403);
    const keys = await json(await call(`/v1/tenants/${t.id}/keys`, t.key));
    expect(keys.items).toEqual([expect.objectContaining({ id: t.keyId, name: "default", prefix: t.key.slice(0, 12), revokedAt: null })]);
    expect(JSON.stringify(keys)).not.toContain(t.key);
    expect(await dumpD1()).not.toContain(t.key);
  });

  it("names a bad tenant body's field", async () => {
    const res = await call("/v1/tenants", ADMIN_KEY, { method: "POST", body: JSON.stringify({ name: "" }) });
    expect(res.status).toBe(422);
    expect((await json(res)).error).toMatchObject({ field: "name" });
  });

  it("refuses malformed, unknown, revoked and rotated-away keys with the same 401", async () => {
    const t = await newTenant();
    const corrupted = t.key.slice(0, -1) + (t.key.endsWith("0") ? "1" : "0");
    const wellFormedUnknown = (await newTenant("other")).key.replace(/^skk_./, "skk_A");
    for (const key of [null, "nonsense", corrupted]) {
      expect((await call("/v1/sandboxes", key)).status).toBe(401);
    }
    expect((await call("/v1/sandboxes", wellFormedUnknown)).status).toBe(401);

    const rotated = await json(await call(`/v1/tenants/${t.id}/keys/${t.keyId}:rotate`, t.key, { method: "POST" }));
    expect(rotated.replaces).toBe(t.keyId);
    expect((await call("/v1/sandboxes", t.key)).status).toBe(401);
    expect((await call("/v1/sandboxes", rotated.key)).status).toBe(200);

    const second = await json(await call(`/v1/tenants/${t.id}/keys`, rotated.key, { method: "POST", body: JSON.stringify({ name: "ci" }) }));
    expect((await call(`/v1/tenants/${t.id}/keys/${second.id}`, rotated.key, { method: "DELETE" })).status).toBe(200);
    expect((await call("/v1/sandboxes", second.key)).status).toBe(401);
    expect((await call("/v1/sandboxes", rotated.key)).status).toBe(200);
  });
});

describe("isolation between tenants", () => {
  it("a tenant sees, reaches and manages only its own sandboxes; a foreign one answers as an unknown one", async () => {
    const a = await newTenant("a");
    const b = await newTenant("b");
    const mine = await newSandbox(a.key);
    const theirs = await newSandbox(b.key);
    const listed = await json(await call("/v1/sandboxes", a.key));
    expect(listed.items.map((s: { id: string }) => s.id)).toEqual([mine.id]);
    const admin = await json(await call("/v1/sandboxes", ADMIN_KEY));
    expect(admin.items.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining([mine.id, theirs.id]));

    const unknownId = "sbx-doesnotexist";
    const probes: [string, RequestInit][] = [
      ["", {}],
      ["/kubeconfig", {}],
      ["/stats", {}],
      ["", { method: "PATCH", body: JSON.stringify({ ttlSeconds: 60 }) }],
      ["/clock:advance", { method: "POST", body: JSON.stringify({ seconds: 1 }) }],
      ["/nodes", { method: "POST", body: JSON.stringify({ name: "x" }) }],
      ["", { method: "DELETE" }],
    ];
    for (const [suffix, init] of probes) {
      const foreign = await call(`/v1/sandboxes/${theirs.id}${suffix}`, a.key, init);
      const unknown = await call(`/v1/sandboxes/${unknownId}${suffix}`, a.key, init);
      expect(foreign.status, `${init.method ?? "GET"} ${suffix}`).toBe(404);
      expect((await json(foreign)).error.message.replace(theirs.id, "ID")).toBe((await json(unknown)).error.message.replace(unknownId, "ID"));
    }
    // Tenant b's sandbox is untouched.
    expect((await call(`/v1/sandboxes/${theirs.id}`, b.key)).status).toBe(200);
    // Tenants' own records: b cannot read a's tenant or keys.
    expect((await call(`/v1/tenants/${a.id}`, b.key)).status).toBe(404);
    expect((await call(`/v1/tenants/${a.id}/keys`, b.key)).status).toBe(404);
    expect((await call(`/v1/tenants/${a.id}/keys/${a.keyId}`, b.key, { method: "DELETE" })).status).toBe(404);
    expect((await call("/v1/sandboxes", a.key)).status).toBe(200);
  });

  it("a sandbox token is no management credential, and a tenant key no Kubernetes one", async () => {
    const t = await newTenant();
    const sandbox = await newSandbox(t.key);
    expect((await call("/v1/sandboxes", sandbox.token)).status).toBe(401);
    expect((await call(`/sandboxes/${sandbox.id}/api/v1/namespaces`, t.key)).status).toBe(401);
    expect((await call(`/sandboxes/${sandbox.id}/api/v1/namespaces`, ADMIN_KEY)).status).toBe(401);
    expect((await call(`/sandboxes/${sandbox.id}/api/v1/namespaces`, sandbox.token)).status).toBe(200);
    // Sandbox tokens are derived from a secret, never stored.
    expect(await dumpD1()).not.toContain(sandbox.token);
  });
});

describe("tenant quotas", () => {
  it("refuses a sandbox over the tenant's quota with 403, until the admin raises it", async () => {
    const t = await newTenant();
    const patched = await call(`/v1/tenants/${t.id}`, ADMIN_KEY, { method: "PATCH", body: JSON.stringify({ quotas: { sandboxes: 1 } }) });
    expect((await json(patched)).quotas).toMatchObject({ sandboxes: 1 });
    expect((await call(`/v1/tenants/${t.id}`, t.key, { method: "PATCH", body: JSON.stringify({ quotas: { sandboxes: 100 } }) })).status).toBe(403);
    await newSandbox(t.key);
    const refused = await call("/v1/sandboxes", t.key, { method: "POST", body: "{}" });
    expect(refused.status).toBe(403);
    expect((await json(refused)).error.message).toMatch(/already has 1 sandboxes alive/);
    await call(`/v1/tenants/${t.id}`, ADMIN_KEY, { method: "PATCH", body: JSON.stringify({ quotas: { sandboxes: 2 } }) });
    await newSandbox(t.key);
  });

  it("answers 429 with Retry-After over the tenant's request rate", async () => {
    const t = await newTenant();
    await call(`/v1/tenants/${t.id}`, ADMIN_KEY, { method: "PATCH", body: JSON.stringify({ quotas: { requestsPerSecond: 2 } }) });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const res = await call("/v1/sandboxes", t.key);
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get("retry-after");
    }
    expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it("answers 429 as kube-apiserver does over the tenant's Kubernetes API rate of a sandbox", async () => {
    const t = await newTenant();
    await call(`/v1/tenants/${t.id}`, ADMIN_KEY, { method: "PATCH", body: JSON.stringify({ quotas: { kubernetesRequestsPerSecond: 2 } }) });
    const sandbox = await newSandbox(t.key);
    const responses: Response[] = [];
    for (let i = 0; i < 8; i++) responses.push(await call(`/sandboxes/${sandbox.id}/api/v1/namespaces`, sandbox.token));
    const statuses = responses.map((r) => r.status);
    expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
    const throttled = responses.find((r) => r.status === 429)!;
    expect(throttled.headers.get("retry-after")).toBe("1");
    expect(await json(throttled)).toMatchObject({ kind: "Status", reason: "TooManyRequests", message: "Too many requests, please try again later.", code: 429 });
  });

  it("limits each sandbox's open watches and stored objects by the tenant's quotas", async () => {
    const t = await newTenant();
    const tooSmall = await call(`/v1/tenants/${t.id}`, ADMIN_KEY, { method: "PATCH", body: JSON.stringify({ quotas: { objectsPerSandbox: 10 } }) });
    expect(tooSmall.status).toBe(422);
    expect((await json(tooSmall)).error.message).toBe('quota "objectsPerSandbox" must be at least 1000');
    await call(`/v1/tenants/${t.id}`, ADMIN_KEY, { method: "PATCH", body: JSON.stringify({ quotas: { watchesPerSandbox: 1 } }) });
    const sandbox = await newSandbox(t.key);
    const first = await call(`/sandboxes/${sandbox.id}/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=5`, sandbox.token);
    expect(first.status).toBe(200);
    const second = await call(`/sandboxes/${sandbox.id}/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=5`, sandbox.token);
    expect(second.status).toBe(429);
    expect((await json(second)).message).toBe("too many open watches in this sandbox (limit 1); retry later");
    await first.body?.cancel();
  });

  it("refuses unknown quotas by name", async () => {
    const t = await newTenant();
    const res = await call(`/v1/tenants/${t.id}`, ADMIN_KEY, { method: "PATCH", body: JSON.stringify({ quotas: { gpus: 1 } }) });
    expect(res.status).toBe(422);
    expect((await json(res)).error).toMatchObject({ field: "quotas", message: 'unknown quota "gpus": known quotas are sandboxes, requestsPerSecond, kubernetesRequestsPerSecond, objectsPerSandbox, bytesPerSandbox, watchesPerSandbox' });
  });
});
