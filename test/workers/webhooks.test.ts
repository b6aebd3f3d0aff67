/**
 * Event webhooks in real workerd with real (local) D1: the outbox commits with the write or not
 * at all, registration refuses hostile URLs, tenants never see each other's endpoints, and
 * signing secrets are never stored in plain text.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createD1Backend } from "../../src/storage/d1";
import { Outbox } from "../../src/webhooks/outbox";
import { hostile } from "../fixtures/webhooks/urls";

const BASE = "https://sandkube.test";
const ADMIN_KEY = "sandkube-local-admin";
/** Loopback http is allowed in tests; vitest.workers.config.ts answers every outbound request with a 204. */
const RECEIVER = "http://127.0.0.1:9/hook";

function call(path: string, key: string, init: RequestInit = {}) {
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers: { "content-type": "application/json", authorization: `Bearer ${key}` } }));
}
const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, any> });
const post = (path: string, key: string, body: unknown) => call(path, key, { method: "POST", body: JSON.stringify(body) });

async function newTenant(name: string) {
  const { body } = await json(await post("/v1/tenants", ADMIN_KEY, { name }));
  return body.key.key as string;
}
async function newSandbox(key: string) {
  const { status, body } = await json(await post("/v1/sandboxes", key, { addons: false }));
  expect(status).toBe(201);
  return body as { id: string; token: string; server: string };
}

async function outboxRows(sandboxId: string) {
  const { results } = await env.DB.prepare("SELECT seq, endpoints, body FROM webhook_outbox WHERE sandbox_id=?1 ORDER BY seq").bind(sandboxId).all<{ seq: number; endpoints: string; body: string }>();
  return results.map((r) => ({ seq: r.seq, endpoints: JSON.parse(r.endpoints) as string[], body: JSON.parse(r.body) as Record<string, any> }));
}

describe("the webhook outbox", () => {
  it("commits a write's messages in the same D1 batch: both land, or neither does", async () => {
    const sandboxId = crypto.randomUUID();
    let failNext = false;
    const outbox = new Outbox(sandboxId, 0, (write) => [{ body: JSON.stringify({ key: write.event.kv.key }), endpoints: ["wh-a"] }], Date.now);
    const backend = await createD1Backend(env.DB, sandboxId, {
      batchHook: {
        prepare: (batch) => {
          const prepared = outbox.forWrites(batch)!;
          // A failing statement in the same batch (a duplicate outbox row) must undo the whole batch.
          const statements = failNext ? [...prepared.statements, ...prepared.statements] : prepared.statements;
          return { statements, committed: () => {} };
        },
      },
    });
    await backend.create("/registry/configmaps/default/kept", { v: 1 });
    failNext = true;
    await expect(backend.create("/registry/configmaps/default/lost", { v: 1 })).rejects.toThrow();
    const revisions = await env.DB.prepare("SELECT key FROM revisions WHERE sandbox_id=?1").bind(sandboxId).all<{ key: string }>();
    expect(revisions.results.map((r) => r.key)).toEqual(["/registry/configmaps/default/kept"]);
    expect((await outboxRows(sandboxId)).map((r) => r.body.key)).toEqual(["/registry/configmaps/default/kept"]);
  });

  it("holds a message for each matching Kubernetes write of a sandbox, with the object and its resourceVersion", async () => {
    const key = await newTenant("outbox");
    const sandbox = await newSandbox(key);
    const created = await json(await post(`/v1/sandboxes/${sandbox.id}/webhooks`, key, { url: RECEIVER, filter: { resources: [{ kind: "ConfigMap" }] } }));
    expect(created.status).toBe(201);
    const res = await exports.default.fetch(
      new Request(`${sandbox.server}/api/v1/namespaces/default/configmaps`, {
        method: "POST",
        headers: { authorization: `Bearer ${sandbox.token}`, "content-type": "application/json" },
        body: JSON.stringify({ metadata: { name: "settings" }, data: { a: "1" } }),
      }),
    );
    expect(res.status).toBe(201);
    const object = (await res.json()) as { metadata: { resourceVersion: string } };
    const rows = await outboxRows(sandbox.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.endpoints).toEqual([created.body.id]);
    expect(rows[0]!.body).toMatchObject({ type: "resource.added", sandboxId: sandbox.id, resourceVersion: object.metadata.resourceVersion, data: { object: { metadata: { name: "settings" } } } });
  });
});

describe("webhook subscriptions", () => {
  it("refuses every hostile URL at registration, naming the url field", async () => {
    const key = ADMIN_KEY; // no request quota: this test makes ~100 requests
    const sandbox = await newSandbox(key);
    for (const url of hostile) {
      for (const path of [`/v1/sandboxes/${sandbox.id}/webhooks`, "/v1/webhooks"]) {
        const { status, body } = await json(await post(path, key, { url }));
        expect([status, body.error?.field], url).toEqual([422, "url"]);
      }
    }
    expect((await json(await call(`/v1/sandboxes/${sandbox.id}/webhooks`, key))).body.items).toEqual([]);
  });

  it("keep tenants apart: another tenant's endpoints answer as unknown ones", async () => {
    const [a, b] = [await newTenant("a"), await newTenant("b")];
    const sandbox = await newSandbox(a);
    const scoped = (await json(await post(`/v1/sandboxes/${sandbox.id}/webhooks`, a, { url: RECEIVER }))).body;
    const wide = (await json(await post("/v1/webhooks", a, { url: RECEIVER, description: "all of a's sandboxes" }))).body;
    for (const [path, method] of [
      [`/v1/sandboxes/${sandbox.id}/webhooks`, "GET"],
      [`/v1/sandboxes/${sandbox.id}/webhooks/${scoped.id}`, "GET"],
      [`/v1/sandboxes/${sandbox.id}/webhooks/${scoped.id}`, "DELETE"],
      [`/v1/sandboxes/${sandbox.id}/webhooks/${scoped.id}:rotate-secret`, "POST"],
      [`/v1/webhooks/${wide.id}`, "GET"],
      [`/v1/webhooks/${wide.id}`, "PATCH"],
      [`/v1/webhooks/${wide.id}:test?sandbox=${sandbox.id}`, "POST"],
      [`/v1/webhooks/${wide.id}/deliveries?sandbox=${sandbox.id}`, "GET"],
    ] as const) {
      const res = await call(path, b, { method, ...(method === "PATCH" ? { body: "{}" } : {}) });
      expect([res.status, path]).toEqual([404, path]);
    }
    expect((await json(await call("/v1/webhooks", b))).body.items).toEqual([]);
    expect((await json(await call("/v1/webhooks", a))).body.items.map((e: { id: string }) => e.id)).toEqual([wide.id]);
    expect((await json(await call(`/v1/webhooks/${wide.id}`, ADMIN_KEY))).status).toBe(200);
  });

  it("shows a signing secret once, rotates it, and never stores one in plain text", async () => {
    const key = await newTenant("secrets");
    const sandbox = await newSandbox(key);
    const created = (await json(await post(`/v1/sandboxes/${sandbox.id}/webhooks`, key, { url: RECEIVER }))).body;
    expect(created.secret).toMatch(/^whsec_/);
    const shown = await json(await call(`/v1/sandboxes/${sandbox.id}/webhooks/${created.id}`, key));
    expect(JSON.stringify(shown.body)).not.toContain(created.secret);
    const rotated = (await json(await post(`/v1/sandboxes/${sandbox.id}/webhooks/${created.id}:rotate-secret`, key, {}))).body;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);
    const { results } = await env.DB.prepare("SELECT * FROM webhook_endpoints").all();
    const dump = JSON.stringify(results);
    expect(dump).not.toContain(created.secret.slice("whsec_".length));
    expect(dump).not.toContain(rotated.secret.slice("whsec_".length));
  });

  it("edits and deletes endpoints, and names bad fields", async () => {
    const key = await newTenant("edits");
    const sandbox = await newSandbox(key);
    const base = `/v1/sandboxes/${sandbox.id}/webhooks`;
    const created = (await json(await post(base, key, { url: RECEIVER }))).body;
    const patched = await json(await call(`${base}/${created.id}`, key, { method: "PATCH", body: JSON.stringify({ description: "pods only", filter: { resources: [{ kind: "Pod" }] } }) }));
    expect(patched).toMatchObject({ status: 200, body: { description: "pods only", filter: { resources: [{ kind: "Pod" }] } } });
    expect((await json(await call(`${base}/${created.id}`, key, { method: "PATCH", body: JSON.stringify({ secret: "x" }) }))).status).toBe(400);
    expect((await json(await post(base, key, { url: RECEIVER, filter: { events: [{ type: "Fatal" }] } }))).body.error.field).toBe("filter.events[0].type");
    expect((await json(await call(`${base}/${created.id}`, key, { method: "DELETE" }))).status).toBe(200);
    expect((await json(await call(`${base}/${created.id}`, key))).status).toBe(404);
  });
});
