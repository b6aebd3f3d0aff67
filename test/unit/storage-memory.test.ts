import { describe, expect, it } from "vitest";
import { ExpiredError, StorageError, type KeyValue, type WatchEvent } from "../../src/storage/backend";
import { createMemoryBackend, MemoryBackend, type CommittedWrite, type Persistence } from "../../src/storage/memory";
import { backendConformance } from "../conformance/backend-suite";

backendConformance("memory", async () => createMemoryBackend());
backendConformance("memory with asynchronous persistence", async () =>
  createMemoryBackend({ persistence: { commit: () => new Promise((resolve) => setTimeout(resolve, 1)) } }),
);

/** A persistence hook whose batches the test settles by hand. */
function manualPersistence() {
  const batches: { writes: readonly CommittedWrite[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  const compactions: number[] = [];
  const persistence: Persistence = {
    commit: (writes) => new Promise<void>((resolve, reject) => batches.push({ writes, resolve, reject })),
    compact: async (revision) => {
      compactions.push(revision);
    },
  };
  return { persistence, batches, compactions };
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function settled<T>(promise: Promise<T>) {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  promise.then(
    (value) => Object.assign(state, { done: true, value }),
    (error) => Object.assign(state, { done: true, error }),
  );
  return state;
}

describe("memory engine: write pipeline", () => {
  it("shows a write to nobody until its batch is durable", async () => {
    const { persistence, batches } = manualPersistence();
    const b = createMemoryBackend({ persistence });
    const events: WatchEvent[] = [];
    b.watch({ prefix: "/", afterRevision: 0 }, (e) => events.push(e));
    const write = settled(b.create("/a", { v: 1 }));
    await tick();
    expect(batches).toHaveLength(1);
    expect(b.get("/a")).toBeNull();
    expect(b.getStaged("/a")).toMatchObject({ value: { v: 1 }, modRevision: 1 });
    expect(b.list({ prefix: "/" }).items).toEqual([]);
    expect(b.revision).toBe(0);
    expect(events).toEqual([]);
    expect(write.done).toBe(false);
    batches[0]!.resolve();
    await tick();
    expect(write.value).toMatchObject({ key: "/a", modRevision: 1 });
    expect(b.get("/a")).toEqual(write.value);
    expect(b.revision).toBe(1);
    expect(events).toHaveLength(1);
  });

  it("group-commits writes staged while a batch is in flight into the next batch", async () => {
    const { persistence, batches } = manualPersistence();
    const b = createMemoryBackend({ persistence });
    const first = b.create("/a", {});
    await tick();
    const rest = [b.create("/b", {}), b.update("/a", { v: 2 }), b.create("/c", {}), b.delete("/b")];
    await tick();
    expect(batches.map((batch) => batch.writes.length)).toEqual([1]);
    batches[0]!.resolve();
    await tick();
    expect(batches.map((batch) => batch.writes.map((w) => `${w.event.revision}:${w.event.type}:${w.event.kv.key}`))).toEqual([
      ["1:PUT:/a"],
      ["2:PUT:/b", "3:PUT:/a", "4:PUT:/c", "5:DELETE:/b"],
    ]);
    const batch = batches[1]!.writes;
    expect(batch[1]!.encoded).toBe('{"v":2}');
    expect(batch[1]!.event.prevKv).toMatchObject({ modRevision: 1 });
    expect(batch[3]!.event.kv).toMatchObject({ key: "/b", modRevision: 5, createRevision: 2 });
    batches[1]!.resolve();
    await Promise.all([first, ...rest]);
    expect(b.commitStats).toEqual({ batches: 2, writes: 5, failedBatches: 0 });
    expect(b.list({ prefix: "/" }).items.map((kv) => kv.key)).toEqual(["/a", "/c"]);
  });

  it("rejects a failed batch and everything staged behind it, exposes nothing, then carries on", async () => {
    const { persistence, batches } = manualPersistence();
    const b = createMemoryBackend({ persistence });
    await Promise.all([b.create("/kept", {}), tick().then(() => batches[0]!.resolve())]);
    const events: WatchEvent[] = [];
    b.watch({ prefix: "/", afterRevision: 1 }, (e) => events.push(e));

    const failing = settled(b.create("/a", { v: 1 }));
    await tick();
    const behind = settled(b.update("/a", { v: 2 }));
    const alsoBehind = settled(b.delete("/kept"));
    expect(b.getStaged("/kept")).toBeNull();
    const boom = new Error("D1 is down");
    batches[1]!.reject(boom);
    await tick();

    expect(failing.error).toBe(boom);
    expect(behind.error).toBeInstanceOf(StorageError);
    expect((behind.error as Error).cause).toBe(boom);
    expect(alsoBehind.error).toBeInstanceOf(StorageError);
    expect(batches).toHaveLength(2);
    expect(b.get("/a")).toBeNull();
    expect(b.getStaged("/a")).toBeNull();
    expect(b.getStaged("/kept")).toMatchObject({ modRevision: 1 });
    expect(b.revision).toBe(1);
    expect(events).toEqual([]);
    expect(b.commitStats).toMatchObject({ batches: 1, failedBatches: 1 });

    // The next write reuses the revision the failed batch had taken.
    const next = settled(b.create("/a", { v: 3 }));
    await tick();
    expect(batches[2]!.writes.map((w) => w.event.revision)).toEqual([2]);
    batches[2]!.resolve();
    await tick();
    expect(next.value).toMatchObject({ key: "/a", value: { v: 3 }, modRevision: 2, createRevision: 2 });
    expect(events.map((e) => e.revision)).toEqual([2]);
  });

  it("treats a persistence hook that throws synchronously like a rejection", async () => {
    let fail = true;
    const b = createMemoryBackend({
      persistence: {
        commit: () => {
          if (fail) throw new Error("sync failure");
          return Promise.resolve();
        },
      },
    });
    await expect(b.create("/a", {})).rejects.toThrow("sync failure");
    fail = false;
    await expect(b.create("/a", {})).resolves.toMatchObject({ modRevision: 1 });
  });

  it("caps batches by write count and by bytes (an oversized write goes alone)", async () => {
    async function batchSizes(options: { maxBatchWrites?: number; maxBatchBytes?: number }, values: unknown[]) {
      const { persistence, batches } = manualPersistence();
      const b = createMemoryBackend({ persistence, ...options });
      const writes = Promise.all(values.map((value, i) => b.create(`/${i}`, value)));
      for (let i = 0; i < values.length; i++) {
        await tick();
        batches[i]?.resolve();
      }
      await writes;
      return batches.map((batch) => batch.writes.length);
    }
    expect(await batchSizes({ maxBatchWrites: 3 }, Array.from({ length: 7 }, () => ({})))).toEqual([3, 3, 1]);
    const twenty = { pad: "x".repeat(10) }; // '{"pad":"xxxxxxxxxx"}' is 20 characters
    const huge = { pad: "x".repeat(100) };
    expect(await batchSizes({ maxBatchBytes: 40 }, [twenty, twenty, twenty, huge, twenty])).toEqual([2, 1, 1, 1]);
  });

  it("resolves whenIdle once every staged write is durable", async () => {
    const { persistence, batches } = manualPersistence();
    const b = createMemoryBackend({ persistence });
    await b.whenIdle();
    void b.create("/a", {});
    const idle = settled(b.whenIdle());
    await tick();
    expect(idle.done).toBe(false);
    batches[0]!.resolve();
    await tick();
    expect(idle.done).toBe(true);
  });
});

describe("memory engine: watch cache", () => {
  it("trims history beyond its window, which then counts as compaction", async () => {
    const b = createMemoryBackend({ historyLimit: 5 });
    for (let i = 1; i <= 12; i++) await b.create(`/k/${String(i).padStart(2, "0")}`, { i });
    expect(b.compactedRevision).toBe(7);
    expect(() => b.watch({ prefix: "/", afterRevision: 6 }, () => {})).toThrow(ExpiredError);
    expect(() => b.list({ prefix: "/", revision: 6 })).toThrow(ExpiredError);
    const seen: number[] = [];
    b.watch({ prefix: "/", afterRevision: 7 }, (e) => seen.push(e.revision));
    expect(seen).toEqual([8, 9, 10, 11, 12]);
    expect(b.list({ prefix: "/", revision: 7 }).items).toHaveLength(7);
  });

  it("cancels a watcher whose callback throws, without disturbing writes or other watchers", async () => {
    const errors: unknown[] = [];
    const b = createMemoryBackend({ onWatcherError: (e) => errors.push(e) });
    let calls = 0;
    b.watch({ prefix: "/", afterRevision: 0 }, () => {
      calls++;
      throw new Error("bad watcher");
    });
    const good: number[] = [];
    b.watch({ prefix: "/", afterRevision: 0 }, (e) => good.push(e.revision));
    await b.create("/a", {});
    await b.create("/b", {});
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
    expect(good).toEqual([1, 2]);
  });

  it("lets a watcher start another watch from inside its callback without duplicates", async () => {
    const b = createMemoryBackend();
    const inner: number[] = [];
    let started = false;
    b.watch({ prefix: "/", afterRevision: 0 }, (e) => {
      if (!started) {
        started = true;
        b.watch({ prefix: "/", afterRevision: e.revision - 1 }, (f) => inner.push(f.revision));
      }
    });
    await Promise.all([b.create("/a", {}), b.create("/b", {}), b.create("/c", {})]);
    expect(inner).toEqual([1, 2, 3]);
  });

  it("persists compaction through the hook once per new revision", async () => {
    const manual = manualPersistence();
    const b = createMemoryBackend({ persistence: manual.persistence });
    const writes = Promise.all([b.create("/a", {}), b.create("/b", {}), b.create("/c", {})]);
    await tick();
    manual.batches[0]!.resolve();
    await writes;
    await b.compact(2);
    await b.compact(1);
    await b.compact(2);
    expect(manual.compactions).toEqual([2]);
    await expect(b.compact(4)).rejects.toBeInstanceOf(StorageError);
  });
});

describe("memory engine: snapshots", () => {
  it("is built from loaded state and continues its revisions", async () => {
    const a = { key: "/registry/pods/ns/a", value: { v: 1 }, createRevision: 1, modRevision: 3 };
    const b0 = { key: "/registry/pods/ns/b", value: { v: 1 }, createRevision: 2, modRevision: 2 };
    const history: WatchEvent[] = [
      { type: "PUT", kv: a, prevKv: { ...a, value: { v: 0 }, modRevision: 1 }, revision: 3 },
      { type: "DELETE", kv: { key: "/registry/pods/ns/c", value: {}, createRevision: 2, modRevision: 4 }, prevKv: null, revision: 4 },
    ];
    const b = MemoryBackend.fromSnapshot({ revision: 4, compactedRevision: 1, items: [b0, a], history });
    expect(b.revision).toBe(4);
    expect(b.compactedRevision).toBe(2);
    expect(b.stats).toEqual({ keys: 2, bytes: 14 });
    expect(Object.isFrozen(b.get("/registry/pods/ns/a")!.value)).toBe(true);
    expect(b.list({ prefix: "/registry/pods/ns/" }).items.map((kv) => kv.key)).toEqual(["/registry/pods/ns/a", "/registry/pods/ns/b"]);
    expect(b.list<{ v: number }>({ prefix: "/registry/pods/ns/", revision: 2 }).items[0]!.value.v).toBe(0);
    const seen: number[] = [];
    b.watch({ prefix: "/", afterRevision: 2 }, (e) => seen.push(e.revision));
    expect(await b.update("/registry/pods/ns/b", { v: 2 })).toMatchObject({ modRevision: 5, createRevision: 2 });
    expect(seen).toEqual([3, 4, 5]);
  });

  it("refuses history that does not end at the snapshot revision", () => {
    const kv = { key: "/a", value: {}, createRevision: 1, modRevision: 1 };
    expect(() => MemoryBackend.fromSnapshot({ revision: 2, compactedRevision: 0, items: [kv], history: [{ type: "PUT", kv, prevKv: null, revision: 1 }] })).toThrow();
  });
});

describe("memory engine: scale", () => {
  it("lists one namespace out of 20,000 keys without scanning the others", async () => {
    const items: KeyValue[] = [];
    let rev = 0;
    for (let ns = 0; ns < 100; ns++) {
      for (let i = 0; i < 200; i++) {
        rev++;
        items.push({ key: `/registry/pods/ns${ns}/pod-${i}`, value: { i }, createRevision: rev, modRevision: rev });
      }
    }
    const b = MemoryBackend.fromSnapshot({ revision: rev, compactedRevision: rev, items, history: [] });
    expect(b.list({ prefix: "/registry/pods/ns7/" }).items).toHaveLength(200);
    // Keep the index sorted under churn: add and remove keys between lists.
    const started = performance.now();
    for (let round = 0; round < 200; round++) {
      await b.create(`/registry/pods/ns50/new-${round}`, {});
      const page = b.list({ prefix: "/registry/pods/ns42/", limit: 50 });
      expect(page.items).toHaveLength(50);
      expect(page.remaining).toBe(150);
    }
    const elapsed = performance.now() - started;
    expect(b.list({ prefix: "/registry/pods/ns50/" }).items).toHaveLength(400);
    expect(b.stats.keys).toBe(20_200);
    // 200 writes + 200 paged lists; a full scan per list would be orders of magnitude slower.
    expect(elapsed).toBeLessThan(500);
  });
});

describe("memory engine: revisions share what did not change", () => {
  const pod = (phase: string, extra: Record<string, unknown> = {}) => ({
    metadata: { name: "web-0", labels: { app: "web" } },
    spec: { containers: [{ name: "nginx", image: "nginx:1.27", ports: [{ containerPort: 80 }] }], volumes: [{ name: "kube-api-access-x7k2p", projected: { sources: [{ serviceAccountToken: { path: "token" } }] } }] },
    status: { phase, ...extra },
  });

  it("an update keeps the unchanged parts of the previous revision, and the history still holds both values", async () => {
    const b = createMemoryBackend();
    const first = await b.create("/registry/pods/default/web-0", pod("Pending"));
    const second = await b.update("/registry/pods/default/web-0", pod("Running", { podIP: "10.244.1.5" }));
    const [v1, v2] = [first.value as ReturnType<typeof pod>, second.value as ReturnType<typeof pod>];
    expect(v2.spec).toBe(v1.spec);
    expect(v2.metadata).toBe(v1.metadata);
    expect(v2.status).not.toBe(v1.status);
    expect(v1.status).toEqual({ phase: "Pending" });
    expect(v2.status).toEqual({ phase: "Running", podIP: "10.244.1.5" });
    expect(Object.isFrozen(v2.spec.containers[0])).toBe(true);
  });

  it("a changed element, a reordered or removed key, or a longer array yields new values with exactly what was written", async () => {
    const b = createMemoryBackend();
    const key = "/registry/x/default/a";
    const first = (await b.create(key, { list: [1, 2], obj: { a: 1, b: 2 }, keep: { z: [1] } })).value as any;
    const reordered = { obj: { b: 2, a: 1 }, list: [1, 2, 3], keep: { z: [1] } };
    const second = (await b.update(key, reordered)).value as any;
    expect(JSON.stringify(second)).toBe(JSON.stringify(reordered));
    expect(second.keep).toBe(first.keep);
    expect(second.list).not.toBe(first.list);
    const third = (await b.update(key, { obj: { b: 2 }, list: [1, 2, 3] })).value as any;
    expect(third).toEqual({ obj: { b: 2 }, list: [1, 2, 3] });
    expect(third.list).toBe(second.list);
  });
});
