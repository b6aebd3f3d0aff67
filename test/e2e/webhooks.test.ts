/**
 * Event webhooks through the real stack (wrangler dev, D1, the Durable Object's alarm): a
 * receiver on 127.0.0.1 gets what its filter asks for, signed (verified with the standardwebhooks
 * package), in resourceVersion order; while it fails, messages wait and are retried on the
 * sandbox clock with their original webhook-id, across a restart of the Durable Object.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, createSandbox, eventually, kubectlBinary, kubectlCommands, type SandboxHandle } from "./support/sandbox";

interface Received {
  id: string;
  body: { type: string; sandboxId: string; resourceVersion: string; data: Record<string, any> };
  status: number;
}

/** A webhook receiver on 127.0.0.1 that verifies every signature and answers `status()`. */
async function receiver(secret: () => string) {
  const received: Received[] = [];
  let status = 204;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const body = new Webhook(secret()).verify(text, headers) as Received["body"]; // throws on a bad signature
      received.push({ id: headers["webhook-id"]!, body, status });
      res.writeHead(status, { "content-type": "text/plain" }).end(status >= 300 ? "down for maintenance" : "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    answer: (code: number) => (status = code),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const binary = kubectlBinary("1.33");
const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });

describe.skipIf(!binary)("event webhooks", () => {
  let sandbox: SandboxHandle;
  let secret = "";
  let hook: Awaited<ReturnType<typeof receiver>>;
  let webhookId = "";
  const { ok } = kubectlCommands(binary, () => sandbox);
  const base = () => `/v1/sandboxes/${sandbox.id}/webhooks`;

  beforeAll(async () => {
    sandbox = await createSandbox({ name: "webhooks", addons: false, speed: 1 });
    hook = await receiver(() => secret);
    const created = await json(
      await api(base(), {
        method: "POST",
        body: JSON.stringify({
          url: hook.url,
          description: "configmaps of team a, and failed scheduling",
          filter: { resources: [{ kind: "ConfigMap", namespace: "default", labelSelector: "team=a" }], events: [{ reason: "FailedScheduling" }] },
        }),
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    secret = created.body.secret;
    webhookId = created.body.id;
  });
  afterAll(async () => {
    await sandbox?.delete();
    await hook?.close();
  });

  it("delivers exactly what the filter selects, signed, in resourceVersion order", async () => {
    ok("create", "configmap", "a1", "--from-literal=k=1");
    ok("label", "configmap", "a1", "team=a");
    ok("create", "configmap", "b1", "--from-literal=k=1"); // no team=a label: filtered out
    ok("create", "namespace", "other");
    ok("create", "configmap", "a2", "-n", "other", "--from-literal=k=1");
    ok("label", "configmap", "a2", "-n", "other", "team=a"); // another namespace: filtered out
    ok("patch", "configmap", "a1", "-p", '{"data":{"k":"2"}}');
    ok("run", "huge", "--image=nginx:1.27", "--overrides", JSON.stringify({ spec: { containers: [{ name: "huge", image: "nginx:1.27", resources: { requests: { cpu: "500" } } }] } }));
    ok("delete", "configmap", "a1");

    const got = await eventually(
      () => hook.received,
      (r) => r.some((m) => m.body.type === "resource.deleted") && r.some((m) => m.body.type === "event.warning"),
    );
    const resources = got.filter((m) => m.body.type.startsWith("resource."));
    expect(resources.map((m) => [m.body.type, m.body.data.object.metadata.name])).toEqual([
      ["resource.modified", "a1"], // labelled team=a: the first write the filter matches
      ["resource.modified", "a1"],
      ["resource.deleted", "a1"],
    ]);
    expect(resources[1]!.body.data.object.data).toEqual({ k: "2" });
    const versions = resources.map((m) => Number(m.body.resourceVersion));
    expect([...versions].sort((x, y) => x - y)).toEqual(versions);
    expect(resources.every((m) => m.body.data.object.metadata.resourceVersion === m.body.resourceVersion && m.body.sandboxId === sandbox.id)).toBe(true);
    const failed = got.find((m) => m.body.type === "event.warning")!;
    expect(failed.body.data.event).toMatchObject({ reason: "FailedScheduling", type: "Warning", involvedObject: { kind: "Pod", name: "huge" } });
    expect(new Set(got.map((m) => m.id)).size).toBe(got.length);
    // Gone for good: no more FailedScheduling Events (and messages) from it in later tests.
    ok("delete", "pod", "huge");
  });

  it("answers a ping and lists its deliveries", async () => {
    const ping = await json(await api(`${base()}/${webhookId}:test`, { method: "POST" }));
    expect(ping.status).toBe(202);
    await eventually(() => hook.received, (r) => r.some((m) => m.body.type === "webhook.ping"));
    const log = await json(await api(`${base()}/${webhookId}/deliveries?limit=2`));
    expect(log.status).toBe(200);
    expect(log.body.items[0]).toMatchObject({ id: ping.body.messageId, state: "delivered", attempts: [{ attempt: 1, status: 204 }] });
    expect(log.body.items).toHaveLength(2);
  });

  it("keeps failed messages, retries them on the sandbox clock with their webhook-id, and loses nothing across a restart", async () => {
    // Start from an endpoint with nothing under way.
    for (let i = 0; i < 100; i++) {
      const items: { state: string }[] = (await json(await api(`${base()}/${webhookId}/deliveries?limit=20`))).body.items;
      if (items.every((d) => d.state === "delivered")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    hook.answer(500);
    const before = hook.received.length;
    for (const name of ["r1", "r2", "r3"]) {
      ok("create", "configmap", name, "--from-literal=k=1");
      ok("label", "configmap", name, "team=a");
    }
    // kubectl runs synchronously in this process, so the receiver answers late: the messages
    // sent meanwhile (the dispatcher's window) fail too; nothing else leaves while they wait.
    const configMaps = (from: number) => hook.received.slice(from).filter((m) => m.body.type.startsWith("resource."));
    const failing = await eventually(() => configMaps(before), (r) => r.some((m) => m.body.data.object.metadata.name === "r3"));
    expect(failing.map((m) => [m.status, m.body.data.object.metadata.name])).toEqual([[500, "r1"], [500, "r2"], [500, "r3"]]);
    const log = await json(await api(`${base()}/${webhookId}/deliveries?limit=3`));
    expect(log.body.items.at(-1)).toMatchObject({ id: failing[0]!.id, state: "retrying", attempts: [{ attempt: 1, status: 500, responseSnippet: "down for maintenance" }] });

    const restarted = await api(`/v1/sandboxes/${sandbox.id}/control-plane:restart`, { method: "POST" });
    expect(restarted.status).toBe(202);
    const stats = await json(await api(`/v1/sandboxes/${sandbox.id}/stats`));
    expect(stats.body.loadMs).toEqual(expect.any(Number)); // the restarted object read the sandbox back from D1
    hook.answer(204);
    // The retry is due 5 s (±20 %) of simulated time later: advance the sandbox clock instead of sleeping.
    const advanced = await api(`/v1/sandboxes/${sandbox.id}/clock:advance`, { method: "POST", body: JSON.stringify({ seconds: 10 }) });
    expect(advanced.status).toBe(200);
    const after = await eventually(
      () => configMaps(before).filter((m) => m.status === 204),
      (r) => r.length >= 3,
    );
    // Oldest first, each with the webhook-id of its failed attempt.
    expect(after.map((m) => [m.body.data.object.metadata.name, m.id])).toEqual(failing.map((m) => [m.body.data.object.metadata.name, m.id]));
    const retried = await json(await api(`${base()}/${webhookId}/deliveries?limit=3`));
    expect(retried.body.items.at(-1)).toMatchObject({ id: failing[0]!.id, state: "delivered", attempts: [{ status: 500 }, { status: 204 }] });
  });

  it("redelivers a message on request, with its id", async () => {
    const first = hook.received.find((m) => m.status === 204)!;
    const redelivered = await json(await api(`${base()}/${webhookId}/deliveries/${first.id}:redeliver`, { method: "POST" }));
    expect(redelivered.status).toBe(200);
    expect(redelivered.body).toMatchObject({ id: first.id, state: "delivered", status: 204 });
    expect(hook.received.at(-1)!.id).toBe(first.id);
  });

  it("tells a tenant-wide endpoint when sandboxes are created, about to expire and deleted", async () => {
    let tenantSecret = "";
    const lifecycle = await receiver(() => tenantSecret);
    const wide = await json(await api("/v1/webhooks", { method: "POST", body: JSON.stringify({ url: lifecycle.url, filter: { lifecycle: ["sandbox.created", "sandbox.expiring", "sandbox.deleted"] } }) }));
    expect(wide.status).toBe(201);
    tenantSecret = wide.body.secret;
    try {
      // A sandbox with less than the 5-minute notice left is told at once that it is expiring.
      const shortLived = await createSandbox({ name: "short-lived", addons: false, ttlSeconds: 120 });
      const told = await eventually(() => lifecycle.received.filter((m) => m.body.sandboxId === shortLived.id), (r) => r.length >= 2);
      expect(told.map((m) => m.body.type)).toEqual(["sandbox.created", "sandbox.expiring"]);
      expect(told[1]!.body.data.sandbox).toMatchObject({ id: shortLived.id, name: "short-lived" });
      await shortLived.delete();
      const deleted = await eventually(() => lifecycle.received.filter((m) => m.body.sandboxId === shortLived.id), (r) => r.length >= 3);
      expect(deleted[2]!.body.type).toBe("sandbox.deleted");
    } finally {
      await api(`/v1/webhooks/${wide.body.id}`, { method: "DELETE" });
      await lifecycle.close();
    }
  });

  it("refuses hostile URLs and bad filters at registration with the field at fault", async () => {
    const metadata = await json(await api(base(), { method: "POST", body: JSON.stringify({ url: "https://169.254.169.254/latest/meta-data/" }) }));
    expect(metadata).toMatchObject({ status: 422, body: { error: { field: "url", message: "url is not allowed: the address 169.254.169.254 is link-local (cloud metadata)" } } });
    const badFilter = await json(await api(base(), { method: "POST", body: JSON.stringify({ url: hook.url, filter: { resources: [{ types: ["CREATED"] }] } }) }));
    expect(badFilter.status).toBe(422);
    expect(badFilter.body.error.field).toBe("filter.resources[0].types[0]");
    expect(badFilter.body.error.message).toContain('Unsupported value: "CREATED": supported values: "ADDED", "MODIFIED", "DELETED"');
  });
});
