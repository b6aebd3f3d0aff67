/**
 * What a receiver gets: the JSON body of each message type, a webhook-id that names the message
 * and nothing else (the same on every attempt and after a restart), and headers that the
 * standardwebhooks verifier accepts, with either secret while one is being rotated.
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { CommittedWrite } from "../../src/storage/memory";
import { compileFilter, parseFilter } from "../../src/webhooks/filter";
import { messageId, seqOfMessageId } from "../../src/webhooks/outbox";
import { payload, routeLifecycle, routeWrite, type Subscriber } from "../../src/webhooks/payload";
import { newSigningSecret, signedHeaders } from "../../src/webhooks/signing";

/* eslint-disable @typescript-eslint/no-explicit-any */

const NOW = Date.parse("2026-11-22T12:00:00Z");

function write(value: Record<string, any>, revision: number, options: { prev?: Record<string, any>; deleted?: boolean } = {}): CommittedWrite {
  const key = `/registry/x/${value.metadata.name}`;
  const kv = { key, value, createRevision: 1, modRevision: revision };
  const prevKv = options.prev ? { key, value: options.prev, createRevision: 1, modRevision: revision - 1 } : null;
  return { event: { type: options.deleted ? "DELETE" : "PUT", kv, prevKv, revision }, encoded: JSON.stringify(value) };
}

const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "default" }, data: { mode: "fast" } };
const backOff = {
  apiVersion: "v1",
  kind: "Event",
  metadata: { name: "web-1.backoff", namespace: "default" },
  involvedObject: { kind: "Pod", name: "web-1", namespace: "default" },
  reason: "BackOff",
  message: "Back-off restarting failed container app in pod web-1_default",
  type: "Warning",
  count: 1,
};
const subscriber = (id: string, filter: unknown): Subscriber => ({ id, filter: compileFilter(parseFilter(filter)) });
const bodies = (subscribers: Subscriber[], w: CommittedWrite) => routeWrite("sbx-1", subscribers, w, NOW).map((r) => JSON.parse(r.body));

describe("message bodies", () => {
  it("carry a deleted object's last state with the deletion's resourceVersion", () => {
    const [body] = bodies([subscriber("a", {})], write(configMap, 31, { deleted: true }));
    expect(body).toEqual({
      type: "resource.deleted",
      sandboxId: "sbx-1",
      resourceVersion: "31",
      timestamp: "2026-11-22T12:00:00.000Z",
      data: { object: { ...configMap, metadata: { ...configMap.metadata, resourceVersion: "31" } } },
    });
  });

  it("carry an Event as event.warning or event.normal, after the Event object's own resource message", () => {
    const both = [subscriber("events", { events: [{}] }), subscriber("objects", { resources: [{ kind: "Event" }] })];
    const routed = routeWrite("sbx-1", both, write(backOff, 40), NOW);
    expect(routed.map((r) => [JSON.parse(r.body).type, r.endpoints])).toEqual([
      ["resource.added", ["objects"]],
      ["event.warning", ["events"]],
    ]);
    expect(JSON.parse(routed[1]!.body)).toMatchObject({ resourceVersion: "40", data: { event: { reason: "BackOff", involvedObject: { name: "web-1" }, metadata: { resourceVersion: "40" } } } });
    const pulled = { ...backOff, metadata: { name: "web-1.pulled", namespace: "default" }, reason: "Pulled", type: "Normal" };
    expect(bodies([subscriber("events", { events: [{}] })], write(pulled, 41)).map((b) => b.type)).toEqual(["event.normal"]);
  });

  it("carry lifecycle and ping data as given, at the current resourceVersion", () => {
    const routed = routeLifecycle("sbx-1", [subscriber("a", { lifecycle: ["sandbox.expiring"] })], "sandbox.expiring", 77, NOW, {
      sandbox: { id: "sbx-1", expiresAt: "2026-11-22T12:05:00.000Z" },
    });
    expect(JSON.parse(routed!.body)).toEqual({
      type: "sandbox.expiring",
      sandboxId: "sbx-1",
      resourceVersion: "77",
      timestamp: "2026-11-22T12:00:00.000Z",
      data: { sandbox: { id: "sbx-1", expiresAt: "2026-11-22T12:05:00.000Z" } },
    });
    expect(JSON.parse(payload("webhook.ping", "sbx-1", 78, NOW, { endpointId: "wh_1" }))).toMatchObject({ type: "webhook.ping", resourceVersion: "78", data: { endpointId: "wh_1" } });
  });

  it("are the same for the same write, so a message is fully determined by what was committed", () => {
    const subs = [subscriber("a", {}), subscriber("b", { resources: [{ kind: "ConfigMap" }] })];
    const w = write(configMap, 12, { prev: configMap });
    expect(routeWrite("sbx-1", subs, w, NOW)).toEqual(routeWrite("sbx-1", subs, w, NOW));
    expect(routeWrite("sbx-1", subs, w, NOW)).toEqual([{ body: expect.stringContaining('"type":"resource.modified"'), endpoints: ["a", "b"] }]);
  });
});

describe("message ids and signatures", () => {
  it("name the sandbox and the outbox position, and nothing that changes between attempts", () => {
    expect(messageId("sbx-1", 42)).toBe("msg_sbx-1_42");
    expect(seqOfMessageId("sbx-1", messageId("sbx-1", 42))).toBe(42);
    expect(seqOfMessageId("sbx-2", messageId("sbx-1", 42))).toBeNull();
  });

  it("verify with the standardwebhooks verifier on every attempt, keeping the id", () => {
    const secret = newSigningSecret();
    const [routed] = routeWrite("sbx-1", [subscriber("a", {})], write(configMap, 12), NOW);
    const id = messageId("sbx-1", 3);
    const first = signedHeaders([secret], id, Date.now(), routed!.body);
    const retry = signedHeaders([secret], id, Date.now() + 5_000, routed!.body);
    for (const headers of [first, retry]) {
      expect(headers["webhook-id"]).toBe("msg_sbx-1_3");
      expect(new Webhook(secret).verify(routed!.body, headers)).toEqual(JSON.parse(routed!.body));
    }
    expect(() => new Webhook(secret).verify(routed!.body.replace('"fast"', '"slow"'), first)).toThrow();
  });

  it("verify with the old and the new secret during a rotation, and not with another", () => {
    const [next, previous] = [newSigningSecret(), newSigningSecret()];
    const body = payload("webhook.ping", "sbx-1", 5, NOW, { endpointId: "wh_1" });
    const headers = signedHeaders([next, previous], messageId("sbx-1", 9), Date.now(), body);
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/=]+ v1,[A-Za-z0-9+/=]+$/);
    expect(new Webhook(next).verify(body, headers)).toMatchObject({ type: "webhook.ping" });
    expect(new Webhook(previous).verify(body, headers)).toMatchObject({ type: "webhook.ping" });
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow();
  });
});
