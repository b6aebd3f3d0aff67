/**
 * The storage conformance suite: every Backend (memory, D1) must pass it unchanged.
 *
 * `makeBackend` returns a fresh, empty backend (its own sandbox) for each test.
 */
import { describe, expect, it } from "vitest";
import {
  AlreadyExistsError,
  ConflictError,
  ExpiredError,
  NotFoundError,
  type Backend,
  type KeyValue,
  type WatchEvent,
  type Watcher,
} from "../../src/storage/backend";

type Counter = { n: number };

/** Optional capabilities a backend may offer beyond the contract. */
type Extras = Backend & {
  getStaged?<V>(key: string): KeyValue<V> | null;
  commitStats?: { batches: number; writes: number };
};

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function collect(backend: Backend, prefix: string, afterRevision: number) {
  const events: WatchEvent[] = [];
  const watcher = backend.watch({ prefix, afterRevision }, (event) => events.push(event));
  return { events, watcher };
}

function summary(events: readonly WatchEvent[]) {
  return events.map((e) => `${e.revision}:${e.type}:${e.kv.key}`);
}

/** Lists every page of a prefix at a revision, `pageSize` keys at a time. */
function listAllPages(backend: Backend, prefix: string, revision: number, pageSize: number): KeyValue[] {
  const items: KeyValue[] = [];
  let startAfter: string | undefined;
  for (;;) {
    const page = backend.list({ prefix, revision, limit: pageSize, startAfter });
    expect(page.revision).toBe(revision);
    items.push(...page.items);
    expect(page.more).toBe(page.remaining > 0);
    if (!page.more) return items;
    expect(page.items.length).toBe(pageSize);
    startAfter = page.items[page.items.length - 1]!.key;
  }
}

/** A small deterministic PRNG, so failures reproduce. */
function random(seed: number) {
  let state = seed >>> 0;
  return (bound: number) => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state % bound;
  };
}

export function backendConformance(name: string, makeBackend: () => Promise<Backend>): void {
  describe(`${name}: storage conformance`, () => {
    it("starts empty at revision 0", async () => {
      const b = await makeBackend();
      expect(b.revision).toBe(0);
      expect(b.compactedRevision).toBe(0);
      expect(b.stats).toEqual({ keys: 0, bytes: 0 });
      expect(b.get("/registry/pods/default/a")).toBeNull();
      expect(b.list({ prefix: "/registry/" })).toEqual({ items: [], revision: 0, more: false, remaining: 0 });
    });

    it("creates and gets a key", async () => {
      const b = await makeBackend();
      const kv = await b.create("/registry/pods/default/a", { name: "a" });
      expect(kv).toEqual({ key: "/registry/pods/default/a", value: { name: "a" }, createRevision: 1, modRevision: 1 });
      expect(b.revision).toBe(1);
      expect(b.get("/registry/pods/default/a")).toEqual(kv);
      expect(b.stats).toEqual({ keys: 1, bytes: JSON.stringify({ name: "a" }).length });
    });

    it("rejects creating an existing key with AlreadyExistsError", async () => {
      const b = await makeBackend();
      await b.create("/k/a", { v: 1 });
      await expect(b.create("/k/a", { v: 2 })).rejects.toBeInstanceOf(AlreadyExistsError);
      expect(b.get<{ v: number }>("/k/a")!.value.v).toBe(1);
      expect(b.revision).toBe(1);
    });

    it("updates against the expected modRevision and keeps createRevision", async () => {
      const b = await makeBackend();
      const created = await b.create("/k/a", { v: 1 });
      await b.create("/k/b", { v: 1 });
      const updated = await b.update("/k/a", { v: 2 }, { expectedModRevision: created.modRevision });
      expect(updated).toEqual({ key: "/k/a", value: { v: 2 }, createRevision: 1, modRevision: 3 });
      const conflict = await b.update("/k/a", { v: 3 }, { expectedModRevision: created.modRevision }).catch((e) => e);
      expect(conflict).toBeInstanceOf(ConflictError);
      expect(conflict).toMatchObject({ key: "/k/a", expected: 1, actual: 3 });
      expect(b.get("/k/a")).toEqual(updated);
      // Without a precondition the update is unconditional.
      expect((await b.update("/k/a", { v: 4 })).modRevision).toBe(4);
    });

    it("rejects updating or deleting a missing key with NotFoundError", async () => {
      const b = await makeBackend();
      await expect(b.update("/k/missing", { v: 1 })).rejects.toBeInstanceOf(NotFoundError);
      await expect(b.update("/k/missing", { v: 1 }, { expectedModRevision: 0 })).rejects.toBeInstanceOf(NotFoundError);
      await expect(b.delete("/k/missing")).rejects.toBeInstanceOf(NotFoundError);
      expect(b.revision).toBe(0);
    });

    it("deletes a key, honouring the precondition", async () => {
      const b = await makeBackend();
      await b.create("/k/a", { v: 1 });
      await expect(b.delete("/k/a", { expectedModRevision: 7 })).rejects.toBeInstanceOf(ConflictError);
      const deleted = await b.delete("/k/a", { expectedModRevision: 1 });
      expect(deleted).toEqual({ key: "/k/a", value: { v: 1 }, createRevision: 1, modRevision: 2 });
      expect(b.get("/k/a")).toBeNull();
      expect(b.stats).toEqual({ keys: 0, bytes: 0 });
      await expect(b.delete("/k/a")).rejects.toBeInstanceOf(NotFoundError);
      // A key can be created again after its deletion, with a new createRevision.
      expect(await b.create("/k/a", { v: 2 })).toMatchObject({ createRevision: 3, modRevision: 3 });
    });

    it("gives every write the next revision, across keys", async () => {
      const b = await makeBackend();
      const revisions: number[] = [];
      for (let i = 0; i < 5; i++) revisions.push((await b.create(`/k/${i}`, { i })).modRevision);
      revisions.push((await b.update("/k/2", { i: 20 })).modRevision);
      revisions.push((await b.delete("/k/0")).modRevision);
      const concurrent = await Promise.all([b.create("/k/x", {}), b.update("/k/1", { i: 10 }), b.create("/k/y", {})]);
      revisions.push(...concurrent.map((kv) => kv.modRevision));
      expect(revisions).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(b.revision).toBe(10);
    });

    it("returns deeply frozen values and never freezes or aliases the caller's object", async () => {
      const b = await makeBackend();
      const input = { spec: { containers: [{ name: "c" }] } };
      const kv = await b.create("/k/a", input);
      expect(Object.isFrozen(kv)).toBe(true);
      expect(Object.isFrozen(kv.value)).toBe(true);
      expect(Object.isFrozen(kv.value.spec.containers[0])).toBe(true);
      expect(() => {
        (kv.value.spec.containers[0] as { name: string }).name = "x";
      }).toThrow(TypeError);
      expect(Object.isFrozen(input)).toBe(false);
      input.spec.containers[0]!.name = "changed";
      expect(b.get<typeof input>("/k/a")!.value.spec.containers[0]!.name).toBe("c");
      const listed = b.list<typeof input>({ prefix: "/k/" }).items[0]!;
      expect(Object.isFrozen(listed.value.spec)).toBe(true);
    });

    describe("list", () => {
      const keys = [
        "/registry/pods/ns1/a",
        "/registry/pods/ns1/b",
        "/registry/pods/ns1/c",
        "/registry/pods/ns10/a",
        "/registry/pods/ns2/a",
        "/registry/services/ns1/a",
        "/registry/namespaces/ns1",
        "/registry/apps/deployments/ns1/d",
      ];
      async function seeded() {
        const b = await makeBackend();
        for (const key of keys) await b.create(key, { key });
        return b;
      }

      it("returns the keys under a prefix in key order", async () => {
        const b = await seeded();
        const page = b.list({ prefix: "/registry/pods/ns1/" });
        expect(page.items.map((kv) => kv.key)).toEqual(["/registry/pods/ns1/a", "/registry/pods/ns1/b", "/registry/pods/ns1/c"]);
        expect(page).toMatchObject({ revision: keys.length, more: false, remaining: 0 });
        expect(b.list({ prefix: "/registry/" }).items.map((kv) => kv.key)).toEqual([...keys].sort());
        expect(b.list({ prefix: "/registry/pods/" }).items.map((kv) => kv.key)).toEqual(keys.filter((k) => k.startsWith("/registry/pods/")).sort());
        expect(b.list({ prefix: "/registry/pods/ns1" }).items).toHaveLength(4);
        expect(b.list({ prefix: "/registry/p" }).items).toHaveLength(5);
        expect(b.list({ prefix: "/registry/namespaces/ns1" }).items.map((kv) => kv.key)).toEqual(["/registry/namespaces/ns1"]);
        expect(b.list({ prefix: "/registry/nothing/" }).items).toEqual([]);
        expect(b.list({ prefix: "" }).items).toHaveLength(keys.length);
      });

      it("pages with limit, startAfter, more and remaining", async () => {
        const b = await seeded();
        const first = b.list({ prefix: "/registry/", limit: 3 });
        expect(first.items.map((kv) => kv.key)).toEqual([...keys].sort().slice(0, 3));
        expect(first).toMatchObject({ more: true, remaining: keys.length - 3 });
        const second = b.list({ prefix: "/registry/", limit: 3, startAfter: first.items[2]!.key });
        expect(second.items.map((kv) => kv.key)).toEqual([...keys].sort().slice(3, 6));
        expect(second).toMatchObject({ more: true, remaining: keys.length - 6 });
        const last = b.list({ prefix: "/registry/", limit: 3, startAfter: second.items[2]!.key });
        expect(last.items.map((kv) => kv.key)).toEqual([...keys].sort().slice(6));
        expect(last).toMatchObject({ more: false, remaining: 0 });
        // An exact fit is not "more".
        expect(b.list({ prefix: "/registry/pods/ns1/", limit: 3 })).toMatchObject({ more: false, remaining: 0 });
        // startAfter need not be an existing key, and may lie before the prefix.
        expect(b.list({ prefix: "/registry/pods/ns1/", startAfter: "/registry/pods/ns1/aa" }).items.map((kv) => kv.key)).toEqual([
          "/registry/pods/ns1/b",
          "/registry/pods/ns1/c",
        ]);
        expect(b.list({ prefix: "/registry/pods/ns1/", startAfter: "/a" }).items).toHaveLength(3);
        expect(b.list({ prefix: "/registry/pods/ns1/", startAfter: "/z" }).items).toHaveLength(0);
      });

      it("reads at an older revision, also page by page", async () => {
        const b = await makeBackend();
        await b.create("/r/a", { v: 1 }); // 1
        await b.create("/r/b", { v: 1 }); // 2
        await b.update("/r/a", { v: 2 }); // 3
        await b.delete("/r/b"); // 4
        await b.create("/r/c", { v: 1 }); // 5
        await b.create("/r/b", { v: 2 }); // 6
        await b.create("/other/x", { v: 1 }); // 7
        const at = (revision: number) => b.list<{ v: number }>({ prefix: "/r/", revision }).items.map((kv) => `${kv.key}=${kv.value.v}@${kv.modRevision}`);
        expect(at(0)).toEqual([]);
        expect(at(1)).toEqual(["/r/a=1@1"]);
        expect(at(2)).toEqual(["/r/a=1@1", "/r/b=1@2"]);
        expect(at(3)).toEqual(["/r/a=2@3", "/r/b=1@2"]);
        expect(at(4)).toEqual(["/r/a=2@3"]);
        expect(at(5)).toEqual(["/r/a=2@3", "/r/c=1@5"]);
        expect(at(6)).toEqual(["/r/a=2@3", "/r/b=2@6", "/r/c=1@5"]);
        expect(at(7)).toEqual(at(6));
        const page = b.list({ prefix: "/r/", revision: 2, limit: 1 });
        expect(page).toMatchObject({ revision: 2, more: true, remaining: 1 });
        expect(b.list({ prefix: "/r/", revision: 2, limit: 1, startAfter: "/r/a" })).toMatchObject({ more: false, remaining: 0 });
        expect(b.list({ prefix: "/r/", revision: 5, limit: 1 })).toMatchObject({ more: true, remaining: 1 });
        expect(b.list({ prefix: "/r/", revision: 2 }).items[1]!.value).toEqual({ v: 1 });
        expect(() => b.list({ prefix: "/r/", revision: 8 })).toThrow();
      });

      it("matches a model at every revision of a random history", async () => {
        const b = await makeBackend();
        const next = random(20261122);
        const model = new Map<string, number>();
        const states: Map<string, number>[] = [new Map()];
        const names = ["/m/a/x", "/m/a/y", "/m/b/x", "/m/b/y/z", "/m/c", "/m/cc", "/m/c/d", "/n/a"];
        for (let step = 0; states.length <= 80; step++) {
          const key = names[next(names.length)]!;
          if (model.has(key) && next(3) === 0) {
            await b.delete(key);
            model.delete(key);
          } else if (model.has(key)) {
            await b.update(key, { step });
            model.set(key, step);
          } else {
            await b.create(key, { step });
            model.set(key, step);
          }
          states.push(new Map(model));
        }
        for (let rev = 0; rev < states.length; rev++) {
          for (const prefix of ["/m/", "/m/c", "/m/a/", ""]) {
            const expected = [...states[rev]!].filter(([k]) => k.startsWith(prefix)).sort(([a], [c]) => (a < c ? -1 : 1));
            const whole = b.list<{ step: number }>({ prefix, revision: rev });
            expect(whole.items.map((kv) => [kv.key, kv.value.step])).toEqual(expected);
            expect(listAllPages(b, prefix, rev, 2).map((kv) => kv.key)).toEqual(expected.map(([k]) => k));
          }
        }
      });
    });

    describe("watch", () => {
      it("replays history after a revision, then delivers live events in order, exactly once", async () => {
        const b = await makeBackend();
        await b.create("/w/a", { v: 1 }); // 1
        await b.create("/x/a", { v: 1 }); // 2
        await b.update("/w/a", { v: 2 }); // 3
        const { events, watcher } = collect(b, "/w/", 1);
        expect(summary(events)).toEqual(["3:PUT:/w/a"]);
        await b.create("/w/b", { v: 1 }); // 4
        await b.create("/x/b", { v: 1 }); // 5
        await b.delete("/w/a"); // 6
        expect(summary(events)).toEqual(["3:PUT:/w/a", "4:PUT:/w/b", "6:DELETE:/w/a"]);
        const [update, create, del] = events;
        expect(update!.prevKv).toEqual({ key: "/w/a", value: { v: 1 }, createRevision: 1, modRevision: 1 });
        expect(update!.kv).toEqual({ key: "/w/a", value: { v: 2 }, createRevision: 1, modRevision: 3 });
        expect(create!.prevKv).toBeNull();
        expect(del!.kv).toEqual({ key: "/w/a", value: { v: 2 }, createRevision: 1, modRevision: 6 });
        expect(del!.prevKv).toEqual({ key: "/w/a", value: { v: 2 }, createRevision: 1, modRevision: 3 });
        watcher.cancel();
        await b.create("/w/c", {});
        expect(events).toHaveLength(3);
      });

      it("watches from revision 0 and from the current revision", async () => {
        const b = await makeBackend();
        const all = collect(b, "", 0);
        await b.create("/a", {});
        await b.create("/b", {});
        const fromNow = collect(b, "", b.revision);
        expect(fromNow.events).toEqual([]);
        const fromZero = collect(b, "", 0);
        await b.create("/c", {});
        expect(summary(all.events)).toEqual(["1:PUT:/a", "2:PUT:/b", "3:PUT:/c"]);
        expect(summary(fromZero.events)).toEqual(["1:PUT:/a", "2:PUT:/b", "3:PUT:/c"]);
        expect(summary(fromNow.events)).toEqual(["3:PUT:/c"]);
      });

      it("delivers every event of a concurrent burst in revision order", async () => {
        const b = await makeBackend();
        const { events } = collect(b, "/burst/", 0);
        await Promise.all(Array.from({ length: 50 }, (_, i) => b.create(`/burst/${String(i).padStart(2, "0")}`, { i })));
        expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      });

      it("has delivered a write's event by the time the write resolves", async () => {
        const b = await makeBackend();
        const { events } = collect(b, "/", 0);
        const kv = await b.create("/a", {});
        expect(events.at(-1)!.kv).toEqual(kv);
      });
    });

    describe("compaction", () => {
      it("expires watches and lists older than the compacted revision", async () => {
        const b = await makeBackend();
        for (let i = 0; i < 6; i++) await b.create(`/c/${i}`, { i });
        await b.update("/c/0", { i: 10 }); // 7
        await b.compact(4);
        expect(b.compactedRevision).toBeGreaterThanOrEqual(4);
        expect(() => b.watch({ prefix: "/c/", afterRevision: 3 }, () => {})).toThrow(ExpiredError);
        expect(() => b.list({ prefix: "/c/", revision: 3 })).toThrow(ExpiredError);
        const { events } = collect(b, "/c/", 4);
        expect(summary(events)).toEqual(["5:PUT:/c/4", "6:PUT:/c/5", "7:PUT:/c/0"]);
        expect(b.list({ prefix: "/c/", revision: 4 }).items.map((kv) => kv.key)).toEqual(["/c/0", "/c/1", "/c/2", "/c/3"]);
        expect(b.list({ prefix: "/c/", revision: 4 }).items[0]!.value).toEqual({ i: 0 });
        expect(b.list({ prefix: "/c/" }).items).toHaveLength(6);
        expect(b.get("/c/0")!.value).toEqual({ i: 10 });
        // Compacting an already compacted revision is a no-op; writes go on.
        await b.compact(2);
        await b.create("/c/new", {});
        expect(summary(events).at(-1)).toBe("8:PUT:/c/new");
      });
    });

    describe("concurrent writers", () => {
      async function readModifyWriteLoops(b: Extras, loops: number, perLoop: number, read: (key: string) => KeyValue<Counter> | null) {
        const key = "/registry/counters/default/c";
        const start = await b.create<Counter>(key, { n: 0 });
        // A watcher that drops its watch every few events and re-watches from the last revision it saw.
        // (Replay may deliver events before `watch` returns, so each subscription tracks its own state.)
        const seen: WatchEvent<Counter>[] = [];
        let current: Watcher | undefined;
        const subscribe = (afterRevision: number) => {
          let stopped = false;
          const handle: Watcher = b.watch<Counter>({ prefix: key, afterRevision }, (event) => {
            if (stopped) return;
            seen.push(event);
            if (seen.length % 7 === 0) {
              stopped = true;
              current?.cancel();
              queueMicrotask(() => subscribe(event.revision));
            }
          });
          if (stopped) handle.cancel();
          else current = handle;
        };
        subscribe(start.modRevision);
        let successes = 0;
        let conflicts = 0;
        const loop = async () => {
          for (let done = 0; done < perLoop; ) {
            const current = read(key)!;
            try {
              await b.update<Counter>(key, { n: current.value.n + 1 }, { expectedModRevision: current.modRevision });
              done++;
              successes++;
            } catch (error) {
              if (!(error instanceof ConflictError)) throw error;
              conflicts++;
              await macrotask();
            }
          }
        };
        await Promise.all(Array.from({ length: loops }, loop));
        current?.cancel();
        expect(successes).toBe(loops * perLoop);
        expect(b.get<Counter>(key)!.value.n).toBe(successes);
        expect(seen.map((e) => e.kv.value.n)).toEqual(Array.from({ length: successes }, (_, i) => i + 1));
        expect(seen.map((e) => e.revision)).toEqual(Array.from({ length: successes }, (_, i) => start.modRevision + i + 1));
        for (const event of seen) expect(event.prevKv!.modRevision).toBe(event.revision - 1);
        // A fresh watch from the creation sees the same sequence.
        expect(summary(collect(b, key, start.modRevision).events)).toEqual(summary(seen));
        return { conflicts };
      }

      it("16 read-modify-write loops reading durable state lose no update", async () => {
        const b = (await makeBackend()) as Extras;
        await readModifyWriteLoops(b, 16, 4, (key) => b.get<Counter>(key));
      });

      it("16 read-modify-write loops reading staged state lose no update", async () => {
        const b = (await makeBackend()) as Extras;
        const read = b.getStaged ? b.getStaged.bind(b) : b.get.bind(b);
        await readModifyWriteLoops(b, 16, 4, (key) => read<Counter>(key));
      });

      it("group-commits concurrent writes into fewer batches than writes", async () => {
        const b = (await makeBackend()) as Extras;
        const before = b.commitStats;
        await Promise.all(Array.from({ length: 64 }, (_, i) => b.create(`/g/${i}`, { i })));
        expect(b.revision).toBe(64);
        expect(b.list({ prefix: "/g/" }).items).toHaveLength(64);
        if (before && b.commitStats) {
          const batches = b.commitStats.batches - before.batches;
          expect(b.commitStats.writes - before.writes).toBe(64);
          expect(batches).toBeGreaterThan(0);
          expect(batches).toBeLessThan(64);
        }
      });

      it("rejects a conflicting write staged behind an accepted one", async () => {
        const b = await makeBackend();
        const kv = await b.create("/k/a", { v: 0 });
        const first = b.update("/k/a", { v: 1 }, { expectedModRevision: kv.modRevision });
        const second = b.update("/k/a", { v: 2 }, { expectedModRevision: kv.modRevision }).catch((e: unknown) => e);
        const third = b.create("/k/a", {}).catch((e: unknown) => e);
        await expect(first).resolves.toMatchObject({ modRevision: 2 });
        expect(await second).toBeInstanceOf(ConflictError);
        expect(await third).toBeInstanceOf(AlreadyExistsError);
        expect(b.revision).toBe(2);
      });
    });
  });
}
