import { describe, expect, it } from "vitest";
import { SandboxClock } from "../../src/controlplane/clock";
import {
  alarmTimeFor,
  coalesceDueAt,
  ExponentialFailureRateLimiter,
  RuntimeQueue,
  type ReconcileFailure,
  type Reconciler,
  type ReconcileResult,
} from "../../src/controlplane/runtime";

const S = 1000;
const T0 = 1_767_268_800_000; // 2026-01-01T12:00:00Z

/** A queue on a sandbox clock over a fake real clock, with a log of every reconcile. */
function harness(opts: { speed?: number; concurrency?: number } = {}) {
  let real = T0;
  const realClock = { now: () => real };
  const clock = SandboxClock.start(realClock, opts.speed ?? 1);
  const failures: ReconcileFailure[] = [];
  const queue = new RuntimeQueue({ clock, concurrency: opts.concurrency, onError: (f) => failures.push(f) });
  const log: string[] = [];
  return {
    queue,
    clock,
    failures,
    log,
    /** Moves the real clock. */
    tick(ms: number) {
      real += ms;
    },
    /** A reconciler that logs `controller:key` and then does `body`. */
    reconciler(controller: string, body: (key: string) => ReconcileResult | Promise<ReconcileResult> = () => undefined): Reconciler {
      return async (key) => {
        log.push(`${controller}:${key}`);
        return body(key);
      };
    },
    run(reconcilers: Record<string, Reconciler>, budget = {}) {
      return queue.runDue(clock.scheduleNow(), reconcilers, budget);
    },
  };
}

describe("RuntimeQueue: dedupe and due order", () => {
  it("queues a key once however often it is enqueued", async () => {
    const h = harness();
    for (let i = 0; i < 5; i++) h.queue.enqueue("deployment", "default/web");
    h.queue.enqueue("deployment", "default/api");
    h.queue.enqueue("replicaset", "default/web"); // another controller: another item
    expect(h.queue.size).toBe(3);
    const result = await h.run({ deployment: h.reconciler("deployment"), replicaset: h.reconciler("replicaset") });
    expect(h.log).toEqual(["deployment:default/web", "deployment:default/api", "replicaset:default/web"]);
    expect(result).toMatchObject({ processed: 3, succeeded: 3, failed: 0, exhausted: false, nextDueAt: null });
  });

  it.each([
    // enqueue delays (simulated ms, in order) → due time kept
    [[10 * S, 2 * S], 2 * S],
    [[2 * S, 10 * S], 2 * S],
    [[5 * S, 0], 0],
    [[0, 5 * S], 0],
  ])("earliest due time wins: after %j → due at +%s", (delays, due) => {
    const h = harness();
    for (const after of delays) h.queue.enqueue("job", "ci/build", { after });
    expect(h.queue.pending()).toEqual([{ controller: "job", key: "ci/build", dueAt: T0 + due }]);
    expect(h.queue.nextDueAt()).toBe(T0 + due);
  });

  it("runs only what is due, in due order, FIFO among equal due times", async () => {
    const h = harness();
    h.queue.enqueue("c", "ns/later", { after: 2 * S });
    h.queue.enqueue("c", "ns/first");
    h.queue.enqueue("c", "ns/second");
    h.queue.enqueue("c", "ns/soon", { after: 1 * S });
    const reconcilers = { c: h.reconciler("c") };

    let result = await h.run(reconcilers);
    expect(h.log).toEqual(["c:ns/first", "c:ns/second"]);
    expect(result.nextDueAt).toBe(T0 + 1 * S);

    h.tick(2 * S);
    result = await h.run(reconcilers);
    expect(h.log.slice(2)).toEqual(["c:ns/soon", "c:ns/later"]);
    expect(result.nextDueAt).toBeNull();
  });

  it("an idle queue reports no due time", async () => {
    const h = harness();
    expect(h.queue.nextDueAt()).toBeNull();
    expect(await h.run({})).toEqual({ processed: 0, succeeded: 0, failed: 0, dropped: 0, exhausted: false, nextDueAt: null });
  });

  it("`at` takes an absolute sandbox time", () => {
    const h = harness();
    h.queue.enqueue("cronjob", "ns/nightly", { at: T0 + 42 * S });
    expect(h.queue.nextDueAt()).toBe(T0 + 42 * S);
  });

  it("forget drops a queued item and its failure count", async () => {
    const h = harness();
    h.queue.enqueue("c", "ns/a");
    await h.run({ c: h.reconciler("c", () => Promise.reject(new Error("boom"))) });
    expect(h.queue.failures("c", "ns/a")).toBe(1);
    h.queue.forget("c", "ns/a");
    expect([h.queue.size, h.queue.failures("c", "ns/a"), h.queue.nextDueAt()]).toEqual([0, 0, null]);
  });
});

describe("RuntimeQueue: failure backoff", () => {
  it("backs off 5 ms doubling per consecutive failure, capped at 1000 s, and resets on success", async () => {
    const h = harness();
    let failing = true;
    const reconcilers = {
      c: h.reconciler("c", () => {
        if (failing) throw new Error("conflict");
      }),
    };
    h.queue.enqueue("c", "ns/a");
    const delays: number[] = [];
    for (let i = 0; i < 20; i++) {
      const before = h.clock.scheduleNow();
      const result = await h.run(reconcilers);
      expect(result).toMatchObject({ processed: 1, failed: 1 });
      delays.push(result.nextDueAt! - before);
      h.tick(result.nextDueAt! - before);
    }
    expect(delays.slice(0, 8)).toEqual([5, 10, 20, 40, 80, 160, 320, 640]);
    // the 18th failure waits 5 ms × 2^17; from the 19th on, 5 ms × 2^18 is over the 1000 s cap
    expect(delays.slice(-3)).toEqual([655_360, 1_000_000, 1_000_000]);
    expect(h.queue.failures("c", "ns/a")).toBe(20);
    expect(h.failures.at(-1)).toMatchObject({ controller: "c", key: "ns/a", failures: 20, retryInMs: 1_000_000 });

    failing = false;
    const ok = await h.run(reconcilers);
    expect(ok).toMatchObject({ succeeded: 1, nextDueAt: null });
    expect(h.queue.failures("c", "ns/a")).toBe(0);

    // the next failure starts again at 5 ms
    failing = true;
    h.queue.enqueue("c", "ns/a");
    const again = await h.run(reconcilers);
    expect(again.nextDueAt! - h.clock.scheduleNow()).toBe(5);
  });

  it("keeps a separate failure count per item", async () => {
    const h = harness();
    h.queue.enqueue("c", "ns/bad");
    h.queue.enqueue("c", "ns/good");
    const reconcilers = {
      c: h.reconciler("c", (key) => {
        if (key === "ns/bad") throw new Error("bad");
      }),
    };
    await h.run(reconcilers);
    expect([h.queue.failures("c", "ns/bad"), h.queue.failures("c", "ns/good")]).toEqual([1, 0]);
  });

  it("the exponential limiter matches client-go's numbers", () => {
    const limiter = new ExponentialFailureRateLimiter();
    const seq = Array.from({ length: 4 }, () => limiter.when("x"));
    expect(seq).toEqual([5, 10, 20, 40]);
    expect(limiter.numRequeues("x")).toBe(4);
    limiter.forget("x");
    expect(limiter.when("x")).toBe(5);
    const huge = new ExponentialFailureRateLimiter(5, 1_000_000);
    for (let i = 0; i < 2000; i++) huge.when("y"); // 2^2000 overflows to Infinity; still capped
    expect(huge.when("y")).toBe(1_000_000);
  });
});

describe("RuntimeQueue: requeueAfter", () => {
  it.each([
    // speed, requeueAfterMs (simulated), expected due offset (sandbox ms)
    [1, 30 * S, 30 * S],
    [60, 300 * S, 5 * S],
    [10, 1 * S, 100],
  ])("speed %s: requeueAfterMs %s → due %s later", async (speed, requeueAfterMs, due) => {
    const h = harness({ speed });
    h.queue.enqueue("node-lifecycle", "node-1");
    const result = await h.run({ "node-lifecycle": h.reconciler("node-lifecycle", () => ({ requeueAfterMs })) });
    expect(result.nextDueAt).toBe(T0 + due);
  });

  it.each([[0], [-5], [undefined], [Number.NaN]])("requeueAfterMs %s does not requeue", async (requeueAfterMs) => {
    const h = harness();
    h.queue.enqueue("c", "ns/a");
    const result = await h.run({ c: h.reconciler("c", () => ({ requeueAfterMs })) });
    expect(result.nextDueAt).toBeNull();
  });

  it("enqueue `after` is simulated time too", () => {
    const h = harness({ speed: 60 });
    h.queue.enqueue("c", "ns/a", { after: 60 * S });
    expect(h.queue.nextDueAt()).toBe(T0 + 1 * S);
  });

  it("an advance of the sandbox clock makes requeued work due", async () => {
    const h = harness({ speed: 60 });
    h.queue.enqueue("node-lifecycle", "node-1");
    const evict = h.reconciler("node-lifecycle", () => ({ requeueAfterMs: 300 * S }));
    await h.run({ "node-lifecycle": evict });
    expect(await h.run({ "node-lifecycle": evict })).toMatchObject({ processed: 0 });
    h.clock.advance(300 * S);
    expect(await h.run({ "node-lifecycle": evict })).toMatchObject({ processed: 1 });
  });
});

describe("RuntimeQueue: never the same key twice at once", () => {
  it("a key enqueued during its own reconcile runs again afterwards", async () => {
    const h = harness();
    let calls = 0;
    const reconcilers = {
      c: h.reconciler("c", () => {
        calls++;
        if (calls === 1) h.queue.enqueue("c", "ns/a"); // e.g. a watch event on its own object
      }),
    };
    h.queue.enqueue("c", "ns/a");
    const result = await h.run(reconcilers);
    expect(h.log).toEqual(["c:ns/a", "c:ns/a"]);
    expect(result).toMatchObject({ processed: 2, nextDueAt: null });
  });

  it("a delayed enqueue during its own reconcile is kept, and earliest wins against requeueAfter", async () => {
    const h = harness();
    h.queue.enqueue("c", "ns/a");
    await h.run({
      c: h.reconciler("c", () => {
        h.queue.enqueue("c", "ns/a", { after: 3 * S });
        return { requeueAfterMs: 10 * S };
      }),
    });
    expect(h.queue.pending()).toEqual([{ controller: "c", key: "ns/a", dueAt: T0 + 3 * S }]);
  });

  it("with concurrency, different keys overlap but one key never does", async () => {
    const h = harness({ concurrency: 4 });
    const active = new Set<string>();
    let maxActive = 0;
    const seen: string[] = [];
    const gates: Array<() => void> = [];
    const reconcilers = {
      c: async (key: string) => {
        expect(active.has(key)).toBe(false);
        active.add(key);
        maxActive = Math.max(maxActive, active.size);
        seen.push(key);
        if (seen.length <= 3) h.queue.enqueue("c", key); // re-enqueue while running
        await new Promise<void>((resolve) => gates.push(resolve));
        active.delete(key);
      },
    };
    for (const key of ["ns/a", "ns/b", "ns/c"]) h.queue.enqueue("c", key);
    const run = h.run(reconcilers);
    // release reconciles one by one as they block
    while (gates.length || active.size) {
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    const result = await run;
    expect(maxActive).toBe(3);
    expect(seen.sort()).toEqual(["ns/a", "ns/a", "ns/b", "ns/b", "ns/c", "ns/c"]);
    expect(result).toMatchObject({ processed: 6, nextDueAt: null });
  });

  it("overlapping runDue calls share one run", async () => {
    const h = harness();
    h.queue.enqueue("c", "ns/a");
    const reconcilers = { c: h.reconciler("c") };
    const [first, second] = await Promise.all([h.run(reconcilers), h.run(reconcilers)]);
    expect(h.log).toEqual(["c:ns/a"]);
    expect(second).toBe(first);
  });
});

describe("RuntimeQueue: errors never break the loop", () => {
  it.each([
    ["throws synchronously", ((() => {
      throw new Error("sync");
    }) as unknown) as Reconciler],
    ["rejects", () => Promise.reject(new Error("async"))],
    ["rejects with a non-Error", () => Promise.reject("a string")],
    ["throws undefined", () => Promise.reject(undefined)],
  ])("a reconciler that %s is backed off and the other keys still run", async (_, bad) => {
    const h = harness();
    h.queue.enqueue("bad", "ns/x");
    h.queue.enqueue("good", "ns/y");
    h.queue.enqueue("bad", "ns/z");
    h.queue.enqueue("good", "ns/w");
    const result = await h.run({ bad, good: h.reconciler("good") });
    expect(h.log).toEqual(["good:ns/y", "good:ns/w"]);
    expect(result).toMatchObject({ processed: 4, succeeded: 2, failed: 2, nextDueAt: T0 + 5 });
    expect(h.failures.map((f) => [f.controller, f.key, f.retryInMs])).toEqual([
      ["bad", "ns/x", 5],
      ["bad", "ns/z", 5],
    ]);
  });

  it("an item for an unknown controller is dropped and reported, not retried forever", async () => {
    const h = harness();
    h.queue.enqueue("ghost", "ns/a");
    const result = await h.run({});
    expect(result).toMatchObject({ processed: 0, dropped: 1, nextDueAt: null });
    expect(h.failures[0]).toMatchObject({ controller: "ghost", key: "ns/a", retryInMs: null });
  });

  it("a throwing onError does not break the loop", async () => {
    const now = T0;
    const queue = new RuntimeQueue({
      clock: { scheduleNow: () => now, realDelayFor: (ms) => ms },
      onError: () => {
        throw new Error("logger down");
      },
    });
    queue.enqueue("c", "ns/a");
    queue.enqueue("c", "ns/b");
    const seen: string[] = [];
    const result = await queue.runDue(now, {
      c: async (key) => {
        seen.push(key);
        throw new Error("fail");
      },
    });
    expect(seen).toEqual(["ns/a", "ns/b"]);
    expect(result).toMatchObject({ failed: 2, nextDueAt: now + 5 });
  });
});

describe("RuntimeQueue: budget", () => {
  it("stops after maxItems, leaves the rest due, and says so", async () => {
    const h = harness();
    for (const key of ["ns/1", "ns/2", "ns/3", "ns/4", "ns/5"]) h.queue.enqueue("c", key);
    h.queue.enqueue("c", "ns/later", { after: 60 * S });
    const reconcilers = { c: h.reconciler("c") };

    const first = await h.run(reconcilers, { maxItems: 2 });
    expect(first).toMatchObject({ processed: 2, exhausted: true, nextDueAt: T0 });
    expect(h.queue.size).toBe(4);

    const second = await h.run(reconcilers, { maxItems: 3 });
    expect(second).toMatchObject({ processed: 3, exhausted: false, nextDueAt: T0 + 60 * S });
    expect(h.log).toEqual(["c:ns/1", "c:ns/2", "c:ns/3", "c:ns/4", "c:ns/5"]);
  });

  it("stops starting reconciles once maxMs of time has passed", async () => {
    const h = harness();
    for (const key of ["ns/1", "ns/2", "ns/3", "ns/4"]) h.queue.enqueue("c", key);
    const slow = { c: h.reconciler("c", () => h.tick(400)) };
    const result = await h.run(slow, { maxMs: 1000 });
    expect(result).toMatchObject({ processed: 3, exhausted: true, nextDueAt: T0 });
  });

  it("a key that always re-enqueues itself is bounded by the budget", async () => {
    const h = harness();
    h.queue.enqueue("c", "ns/hot");
    const hot = { c: h.reconciler("c", (key) => h.queue.enqueue("c", key)) };
    const result = await h.run(hot, { maxItems: 50 });
    expect(result).toMatchObject({ processed: 50, exhausted: true });
    expect(result.nextDueAt).toBeLessThanOrEqual(h.clock.scheduleNow());
  });

  it("work enqueued for another controller during the run runs in the same call", async () => {
    const h = harness();
    h.queue.enqueue("deployment", "ns/web");
    const result = await h.run({
      deployment: h.reconciler("deployment", () => h.queue.enqueue("replicaset", "ns/web-abc")),
      replicaset: h.reconciler("replicaset", () => h.queue.enqueue("scheduler", "ns/web-abc-1")),
      scheduler: h.reconciler("scheduler"),
    });
    expect(h.log).toEqual(["deployment:ns/web", "replicaset:ns/web-abc", "scheduler:ns/web-abc-1"]);
    expect(result).toMatchObject({ processed: 3, nextDueAt: null });
  });
});

describe("RuntimeQueue: state across eviction", () => {
  it("toState/restore keeps queued items and their due times", () => {
    const h = harness();
    h.queue.enqueue("c", "ns/a", { after: 5 * S });
    h.queue.enqueue("d", "ns/b");
    const state = JSON.parse(JSON.stringify(h.queue.toState()));
    const fresh = new RuntimeQueue({ clock: h.clock });
    fresh.restore(state);
    expect(fresh.pending()).toEqual(h.queue.pending());
  });
});

describe("alarm coalescing", () => {
  it.each([
    // due, window, alarm
    [1000, 10, 1000],
    [1001, 10, 1010],
    [1009, 10, 1010],
    [1010, 10, 1010],
    [1234, 50, 1250],
    [1234, 0, 1234],
  ])("due %s with a %s ms window wakes at %s (never early)", (due, window, wake) => {
    expect(coalesceDueAt(due, window)).toBe(wake);
  });

  it("due times within one window share one alarm, and all are due when it fires", async () => {
    const h = harness();
    h.tick(-(T0 % 10)); // align the fake clock to the grid for readable numbers
    const base = h.clock.scheduleNow();
    for (const [key, ms] of [["a", 1], ["b", 4], ["c", 9]] as const) h.queue.enqueue("c", `ns/${key}`, { at: base + ms });
    const wake = coalesceDueAt(h.queue.nextDueAt()!, 10);
    expect(wake).toBe(base + 10);
    const result = await h.queue.runDue(wake, { c: h.reconciler("c") });
    expect(result).toMatchObject({ processed: 3, nextDueAt: null });
  });

  it("alarmTimeFor converts to real time after an advance, and is null when idle", () => {
    const real = 1_000_000;
    const clock = SandboxClock.start({ now: () => real }, 60);
    clock.advance(60 * S); // the schedule is 1 s ahead of real time
    expect(alarmTimeFor(null, clock)).toBeNull();
    // due at schedule time 1_001_003 → coalesced to 1_001_010 → real 1_000_010
    expect(alarmTimeFor(clock.scheduleNow() + 3, clock, 10)).toBe(real + 10);
  });
});

describe("RuntimeQueue: many superseding enqueues", () => {
  it("stays correct when stale heap nodes are compacted", async () => {
    const h = harness();
    for (let i = 5000; i > 0; i--) h.queue.enqueue("c", "ns/a", { after: i }); // each one earlier
    for (let i = 0; i < 3000; i++) {
      h.queue.enqueue("c", `ns/f${i}`, { after: 10 * S });
      h.queue.forget("c", `ns/f${i}`);
    }
    h.queue.enqueue("c", "ns/b", { after: 2 });
    expect(h.queue.pending()).toEqual([
      { controller: "c", key: "ns/a", dueAt: T0 + 1 },
      { controller: "c", key: "ns/b", dueAt: T0 + 2 },
    ]);
    h.tick(2);
    await h.run({ c: h.reconciler("c") });
    expect(h.log).toEqual(["c:ns/a", "c:ns/b"]);
    expect(h.queue.nextDueAt()).toBeNull();
  });
});
