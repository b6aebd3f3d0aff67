import { describe, expect, it } from "vitest";
import {
  AGGREGATE_INTERVAL_MS,
  COMBINED_PREFIX,
  EVENT_EXPIRY_BATCH_MS,
  EVENT_TTL_MS,
  eventTTLReconciler,
  LruMap,
  recordEvent,
  SPAM_BURST,
  SPAM_REFILL_MS,
  type EventSpec,
} from "../../src/controlplane/events";
import { formatTime } from "../../src/registry/clock";
import { selectEverything } from "../../src/registry/selection";
import type { Registry } from "../../src/registry/registry";
import type { KObject } from "../../src/registry/types";
import { Sandbox, systemUser } from "../../src/sandbox/sandbox";
import { defaultNodePools, type SandboxSpec } from "../../src/sandbox/spec";
import { createMemoryBackend } from "../../src/storage/memory";
import { T0, testClock, testIds } from "./support/cluster";

const MINUTE = 60_000;

/** A bootstrapped sandbox with a pod `web` to report about; `restart()` opens the same storage anew. */
async function world() {
  const clock = testClock();
  const backend = createMemoryBackend({});
  const ids = testIds();
  const spec: SandboxSpec = { name: "t", ttlSeconds: 3600, kubernetesVersion: "1.32", speed: 1, nodes: defaultNodePools(), addons: false };
  const open = () =>
    new Sandbox(
      { id: "sbx", name: "t", owner: "o", createdAt: T0, expiresAt: null, kubernetesVersion: "1.32", speed: 1, spec, tokenGeneration: 1 },
      { backend, clock, ids, authenticate: async () => null, wake: () => {} },
    );
  const sandbox = open();
  await sandbox.bootstrap();
  const user = { user: systemUser };
  const web = await sandbox.registry.resource("", "pods").create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, spec: { containers: [{ name: "c", image: "nginx" }] } }, user);
  const registry: Registry = sandbox.registry;
  return {
    clock,
    registry,
    web,
    /** Records `spec` about `obj` now (defaults: a kubelet BackOff Warning about `web`). */
    record: (spec: Partial<EventSpec> = {}, obj: KObject = web, to: Registry = registry) =>
      recordEvent(to, systemUser, clock.now(), obj, { type: "Warning", reason: "BackOff", message: "Back-off restarting failed container c", component: "kubelet", host: "worker-1", ...spec }),
    events: (ns = "default", from: Registry = registry): KObject[] => from.resource("", "events").list(ns, { selection: selectEverything }).items,
    restart: (): Registry => open().registry,
  };
}

describe("recordEvent: counting identical events", () => {
  it("a repeat patches the first Event: count, lastTimestamp; firstTimestamp and name kept", async () => {
    const w = await world();
    await w.record();
    const [first] = w.events();
    w.clock.advance(2 * MINUTE);
    await w.record();
    w.clock.advance(30 * MINUTE);
    await w.record();
    const events = w.events();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      metadata: { name: first.metadata.name },
      count: 3,
      firstTimestamp: formatTime(T0),
      lastTimestamp: formatTime(T0 + 32 * MINUTE),
      message: "Back-off restarting failed container c",
      source: { component: "kubelet", host: "worker-1" },
    });
  });

  it("events that differ in message, reason, type, source or object are separate Events", async () => {
    const w = await world();
    const other = await w.registry.resource("", "pods").create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "api" }, spec: { containers: [{ name: "c", image: "nginx" }] } }, { user: systemUser });
    await w.record();
    await w.record({ message: "another message" });
    await w.record({ reason: "Failed" });
    await w.record({ type: "Normal" });
    await w.record({ host: "worker-2" });
    await w.record({}, other);
    await w.record();
    const events = w.events();
    expect(events).toHaveLength(6);
    expect(events.map((e) => e.count).sort()).toEqual([1, 1, 1, 1, 1, 2]);
  });

  it("concurrent repeats are counted on one Event", async () => {
    const w = await world();
    await Promise.all([w.record(), w.record(), w.record()]);
    expect(w.events().map((e) => e.count)).toEqual([3]);
  });

  it("an Event deleted meanwhile is created again under its name, keeping the count", async () => {
    const w = await world();
    await w.record();
    await w.record();
    const [event] = w.events();
    await w.registry.resource("", "events").delete("default", event.metadata.name!, { user: systemUser });
    w.clock.advance(MINUTE);
    await w.record();
    expect(w.events()).toMatchObject([{ metadata: { name: event.metadata.name }, count: 3, firstTimestamp: formatTime(T0), lastTimestamp: formatTime(T0 + MINUTE) }]);
  });

  it("after a restart the first repeat creates a new Event", async () => {
    const w = await world();
    await w.record();
    await w.record();
    const restarted = w.restart();
    await w.record({}, w.web, restarted);
    await w.record({}, w.web, restarted);
    expect(w.events("default", restarted).map((e) => e.count).sort()).toEqual([2, 2]);
  });

  it("an event the API server rejects (terminating namespace) is dropped without failing the caller", async () => {
    const w = await world();
    const user = { user: systemUser };
    await w.registry.resource("", "namespaces").create("", { apiVersion: "v1", kind: "Namespace", metadata: { name: "gone" } }, user);
    const cm = await w.registry.resource("", "configmaps").create("gone", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }, user);
    await w.registry.resource("", "namespaces").patch("", "gone", (ns) => ({ ...ns, spec: { finalizers: ["kubernetes"] } }), user);
    await w.registry.resource("", "namespaces").delete("", "gone", user);
    await expect(w.record({}, cm)).resolves.toBeUndefined();
    expect(w.events("gone")).toEqual([]);
  });
});

describe("recordEvent: aggregating similar events", () => {
  const messages = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `Created pod: web-${from + i}`);
  const created = (message: string) => ({ type: "Normal" as const, reason: "SuccessfulCreate", message, component: "replicaset-controller", host: undefined });

  it("the 10th different message within 10 minutes starts a combined Event; further ones count on it", async () => {
    const w = await world();
    for (const m of messages(12)) {
      await w.record(created(m));
      w.clock.advance(MINUTE);
    }
    const events = w.events();
    const combined = events.filter((e) => e.message.startsWith(COMBINED_PREFIX));
    expect(events).toHaveLength(10);
    expect(combined).toHaveLength(1);
    expect(combined[0]).toMatchObject({ count: 3, message: `${COMBINED_PREFIX}Created pod: web-11`, reason: "SuccessfulCreate", type: "Normal" });
    expect(events.filter((e) => !e.message.startsWith(COMBINED_PREFIX)).map((e) => e.message)).toEqual(expect.arrayContaining(messages(9)));
  });

  it("similar events more than 10 minutes apart are never combined", async () => {
    const w = await world();
    for (const m of messages(12)) {
      await w.record(created(m));
      w.clock.advance(AGGREGATE_INTERVAL_MS + 1000);
    }
    expect(w.events().filter((e) => e.message.startsWith(COMBINED_PREFIX))).toEqual([]);
    expect(w.events()).toHaveLength(12);
  });
});

describe("recordEvent: spam filter", () => {
  it("a source may report 25 events about an object at once, then one more every 5 minutes; dropped repeats still count", async () => {
    const w = await world();
    for (let i = 0; i < SPAM_BURST + 5; i++) await w.record();
    expect(w.events().map((e) => e.count)).toEqual([SPAM_BURST]);
    // Other objects and other sources have their own budget.
    await w.record({ component: "default-scheduler", host: undefined });
    expect(w.events()).toHaveLength(2);

    w.clock.advance(SPAM_REFILL_MS);
    await w.record(); // the 31st occurrence: written, with every occurrence counted
    await w.record(); // no token left: dropped
    expect(w.events().find((e) => e.source.component === "kubelet")!.count).toBe(SPAM_BURST + 6);
  });
});

describe("eventTTLReconciler", () => {
  it("deletes a namespace's Events an hour after their last write, and comes back for the next expiry", async () => {
    const w = await world();
    const ttl = eventTTLReconciler({ registry: w.registry, user: systemUser, now: () => w.clock.now(), speed: () => 1 });
    await w.record();
    const [event] = w.events();
    expect(await ttl("default")).toEqual({ requeueAfterMs: EVENT_TTL_MS });

    w.clock.advance(40 * MINUTE);
    await w.record(); // a repeat renews the lease
    expect(await ttl("default")).toEqual({ requeueAfterMs: EVENT_TTL_MS });

    w.clock.advance(EVENT_TTL_MS - 10_000);
    const before = w.events()[0].metadata.resourceVersion;
    // Ten seconds left: the next pass is a minute away (expiries come in minute batches).
    expect(await ttl("default")).toEqual({ requeueAfterMs: EVENT_EXPIRY_BATCH_MS });
    expect(w.events()[0].metadata.resourceVersion).toBe(before);

    w.clock.advance(10_000);
    expect(await ttl("default")).toBeUndefined();
    expect(w.events()).toEqual([]);
    expect(await ttl("default")).toBeUndefined();

    // A later repeat finds its Event gone and records it again.
    await w.record();
    expect(w.events()).toMatchObject([{ metadata: { name: event.metadata.name }, count: 3 }]);
  });

  it("waits out wall-clock time: at speed 60 the requeue is 60 times the remaining time, in simulated ms", async () => {
    const w = await world();
    const ttl = eventTTLReconciler({ registry: w.registry, user: systemUser, now: () => w.clock.now(), speed: () => 60 });
    await w.record();
    w.clock.advance(EVENT_TTL_MS - 2 * MINUTE);
    expect(await ttl("default")).toEqual({ requeueAfterMs: 60 * 2 * MINUTE });
  });
});

describe("LruMap", () => {
  it("drops the least recently used entry beyond its capacity", () => {
    const lru = new LruMap<number>(2);
    lru.set("a", 1);
    lru.set("b", 2);
    lru.get("a");
    lru.set("c", 3);
    expect([lru.get("a"), lru.get("b"), lru.get("c"), lru.size]).toEqual([1, undefined, 3, 2]);
  });
});
