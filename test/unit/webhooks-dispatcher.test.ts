/**
 * The delivery loop: per-endpoint order, head-of-line retries on the schedule clock, isolation
 * between endpoints, disabling, spilling to the outbox and resuming from a persisted cursor.
 */
import { describe, expect, it } from "vitest";
import { Dispatcher, type AttemptResult, type Cursor, type DeliveryRecord, type Endpoint, type Message } from "../../src/webhooks/dispatcher";
import { RETRY_DELAYS_MS } from "../../src/webhooks/schedule";

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
async function settle(rounds = 5) {
  for (let i = 0; i < rounds; i++) await tick();
}

const message = (seq: number): Message => ({ seq, id: `msg_sbx_${seq}`, body: JSON.stringify({ seq }) });
const endpoint = (id: string): Endpoint => ({ id, url: `https://${id}.example.com/hook`, secrets: ["whsec_x"] });

/** A world around one dispatcher: an outbox, persisted cursors, a log and a scriptable receiver per endpoint. */
function world(options: { window?: number; maxQueued?: number; outbox?: { message: Message; endpoints: string[] }[]; cursors?: Map<string, Cursor> } = {}) {
  const outbox = options.outbox ?? [];
  const cursors = options.cursors ?? new Map<string, Cursor>();
  const log: DeliveryRecord[] = [];
  const sent: { endpoint: string; seq: number; attempt: number; id: string }[] = [];
  const disabled: { endpoint: string; reason: string }[] = [];
  const answers = new Map<string, (m: Message) => AttemptResult | Promise<AttemptResult>>();
  const clock = { now: 1_000_000 };
  let wakeAt: number | null = null;
  const dispatcher = new Dispatcher({
    window: options.window,
    maxQueued: options.maxQueued,
    send: async (e, m, attempt) => {
      sent.push({ endpoint: e.id, seq: m.seq, attempt, id: m.id });
      return (answers.get(e.id) ?? (() => ({ status: 200, latencyMs: 1 })))(m);
    },
    load: async (id, after, limit) => outbox.filter((row) => row.endpoints.includes(id) && row.message.seq > after).slice(0, limit).map((row) => row.message),
    saveCursor: (id, cursor) => cursors.set(id, structuredClone(cursor)),
    record: (r) => log.push(r),
    disabled: (e, reason) => disabled.push({ endpoint: e, reason }),
    wakeAt: (at) => (wakeAt = at),
    now: () => clock.now,
    wallNow: () => clock.now,
    delayFor: (ms) => ms / 10, // the sandbox runs at speed 10
    random: () => 0.5,
  });
  /** Commits a message to the outbox and hands it to the dispatcher, as the storage hook does. */
  const commit = (seq: number, endpoints: string[]) => {
    outbox.push({ message: message(seq), endpoints });
    dispatcher.enqueue(message(seq), endpoints);
  };
  return { dispatcher, outbox, cursors, log, sent, disabled, answers, clock, commit, wakeAt: () => wakeAt };
}

describe("webhook dispatcher", () => {
  it("sends every message once, in seq order, and moves the cursor past them", async () => {
    const w = world({ window: 1 });
    w.dispatcher.open(endpoint("a"), null, 0);
    await settle();
    for (let seq = 1; seq <= 20; seq++) w.commit(seq, ["a"]);
    await settle(60);
    expect(w.sent.map((s) => s.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(w.log.every((r) => r.state === "delivered" && r.attempt === 1)).toBe(true);
    expect(w.cursors.get("a")).toEqual({ through: 20, retrying: [], disabled: false });
  });

  it("a new endpoint gets only messages after the point it was opened at", async () => {
    const w = world();
    w.outbox.push({ message: message(1), endpoints: ["a"] }, { message: message(2), endpoints: ["a"] });
    w.dispatcher.open(endpoint("a"), null, 2);
    w.commit(3, ["a"]);
    await settle();
    expect(w.sent.map((s) => s.seq)).toEqual([3]);
  });

  it("a failing message blocks newer ones on its endpoint only, and is retried on the schedule clock with the same webhook-id", async () => {
    const w = world({ window: 1 });
    let down = true;
    w.answers.set("dead", () => (down ? { status: 500, latencyMs: 1 } : { status: 204, latencyMs: 1 }));
    w.dispatcher.open(endpoint("dead"), null, 0);
    w.dispatcher.open(endpoint("ok"), null, 0);
    await settle();
    for (let seq = 1; seq <= 3; seq++) w.commit(seq, ["dead", "ok"]);
    await settle(30);
    expect(w.sent.filter((s) => s.endpoint === "ok").map((s) => s.seq)).toEqual([1, 2, 3]);
    expect(w.sent.filter((s) => s.endpoint === "dead").map((s) => s.seq)).toEqual([1]);
    // The first retry is due 5 s of simulated time later: 0.5 s of schedule time at speed 10.
    expect(w.wakeAt()).toBe(w.clock.now + RETRY_DELAYS_MS[0]! / 10);
    w.clock.now += 400;
    w.dispatcher.wake();
    await settle();
    expect(w.sent.filter((s) => s.endpoint === "dead")).toHaveLength(1);
    w.clock.now += 100;
    w.dispatcher.wake();
    await settle(30);
    const retries = w.sent.filter((s) => s.endpoint === "dead");
    expect(retries.map((s) => [s.seq, s.attempt])).toEqual([[1, 1], [1, 2]]);
    expect(new Set(retries.map((s) => s.id))).toEqual(new Set(["msg_sbx_1"]));
    expect(w.log.at(-1)).toMatchObject({ endpointId: "dead", seq: 1, attempt: 2, state: "retrying", status: 500 });
    down = false;
    w.clock.now += RETRY_DELAYS_MS[1]! / 10;
    w.dispatcher.wake();
    await settle(30);
    expect(w.sent.filter((s) => s.endpoint === "dead").map((s) => [s.seq, s.attempt])).toEqual([[1, 1], [1, 2], [1, 3], [2, 1], [3, 1]]);
    expect(w.cursors.get("dead")?.through).toBe(3);
    expect(w.wakeAt()).toBeNull();
  });

  it("messages that failed together are retried one at a time, oldest first, once the endpoint is back", async () => {
    const w = world({ window: 3 });
    let down = true;
    w.answers.set("a", () => ({ status: down ? 503 : 200, latencyMs: 1 }));
    w.dispatcher.open(endpoint("a"), null, 0);
    await settle();
    for (let seq = 1; seq <= 4; seq++) w.commit(seq, ["a"]);
    await settle(30);
    expect(w.sent.map((s) => [s.seq, s.attempt])).toEqual([[1, 1], [2, 1], [3, 1]]); // the window was in flight; 4 waits
    down = false;
    w.clock.now += RETRY_DELAYS_MS[0]!; // every failed message is due now, but only the oldest goes first
    w.dispatcher.wake();
    await settle(30);
    expect(w.sent.slice(3).map((s) => [s.seq, s.attempt])).toEqual([[1, 2], [2, 2], [3, 2], [4, 1]]);
    expect(w.cursors.get("a")).toEqual({ through: 4, retrying: [], disabled: false });
  });

  it("a slow endpoint never delays another", async () => {
    const w = world({ window: 8 });
    w.answers.set("slow", () => new Promise<AttemptResult>(() => {})); // never answers
    w.dispatcher.open(endpoint("slow"), null, 0);
    w.dispatcher.open(endpoint("fast"), null, 0);
    await settle();
    for (let seq = 1; seq <= 50; seq++) w.commit(seq, ["slow", "fast"]);
    await settle(40);
    expect(w.sent.filter((s) => s.endpoint === "fast")).toHaveLength(50);
    expect(w.sent.filter((s) => s.endpoint === "slow")).toHaveLength(8); // the window, then it waits
    expect(w.dispatcher.backlog("slow")).toBe(50);
  });

  it("410 Gone disables the endpoint; enable resumes after its cursor", async () => {
    const w = world({ window: 1 });
    let gone = true;
    w.answers.set("a", (m) => (gone && m.seq === 2 ? { status: 410, latencyMs: 1 } : { status: 200, latencyMs: 1 }));
    w.dispatcher.open(endpoint("a"), null, 0);
    await settle();
    for (let seq = 1; seq <= 4; seq++) w.commit(seq, ["a"]);
    await settle(30);
    expect(w.disabled).toEqual([{ endpoint: "a", reason: "the endpoint answered 410 Gone" }]);
    expect(w.sent.map((s) => s.seq)).toEqual([1, 2]);
    expect(w.cursors.get("a")).toMatchObject({ through: 2, disabled: true });
    gone = false;
    w.dispatcher.enable("a");
    await settle(30);
    expect(w.sent.map((s) => s.seq)).toEqual([1, 2, 3, 4]);
    expect(w.cursors.get("a")).toMatchObject({ through: 4, disabled: false });
  });

  it("a message whose retries run out (about three days) is given up and disables the endpoint", async () => {
    const w = world({ window: 1 });
    w.answers.set("a", () => ({ status: 503, latencyMs: 1 }));
    w.dispatcher.open(endpoint("a"), null, 0);
    await settle();
    w.commit(1, ["a"]);
    await settle();
    let attempts = 1;
    while (w.wakeAt() !== null) {
      w.clock.now = w.wakeAt()!;
      w.dispatcher.wake();
      await settle();
      attempts++;
    }
    expect(attempts).toBe(RETRY_DELAYS_MS.length + 1);
    expect(w.log.at(-1)).toMatchObject({ state: "failed", attempt: RETRY_DELAYS_MS.length + 1 });
    expect(w.disabled[0]?.reason).toMatch(/failed for good after 10 attempts/);
  });

  it("spills beyond the memory bound and reads the rest back from the outbox, in order", async () => {
    const w = world({ window: 2, maxQueued: 5 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    w.answers.set("a", async () => {
      await gate;
      return { status: 200, latencyMs: 1 };
    });
    w.dispatcher.open(endpoint("a"), null, 0);
    await settle();
    for (let seq = 1; seq <= 40; seq++) w.commit(seq, ["a"]);
    expect(w.dispatcher.backlog("a")).toBeLessThanOrEqual(7);
    release();
    await settle(200);
    expect(w.sent.map((s) => s.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(w.cursors.get("a")?.through).toBe(40);
  });

  it("a new dispatcher over the same outbox and cursors resumes what was pending, retries included, with the same ids", async () => {
    const first = world({ window: 1 });
    first.answers.set("a", (m) => (m.seq === 2 ? { status: 500, latencyMs: 1 } : { status: 200, latencyMs: 1 }));
    first.dispatcher.open(endpoint("a"), null, 0);
    await settle();
    for (let seq = 1; seq <= 4; seq++) first.commit(seq, ["a"]);
    await settle(30);
    expect(first.cursors.get("a")).toMatchObject({ through: 1, retrying: [{ seq: 2, attempts: 1 }] });

    // The Durable Object restarts: a fresh dispatcher, the same outbox rows and cursors.
    const second = world({ window: 1, outbox: first.outbox, cursors: first.cursors });
    second.clock.now = first.clock.now;
    second.dispatcher.open(endpoint("a"), second.cursors.get("a")!, 0);
    await settle(10);
    expect(second.sent).toEqual([]); // the retry is not due yet, and it blocks 3 and 4
    second.clock.now += RETRY_DELAYS_MS[0]!;
    second.dispatcher.wake();
    await settle(30);
    expect(second.sent.map((s) => [s.seq, s.attempt, s.id])).toEqual([
      [2, 2, "msg_sbx_2"],
      [3, 1, "msg_sbx_3"],
      [4, 1, "msg_sbx_4"],
    ]);
    expect(second.cursors.get("a")).toEqual({ through: 4, retrying: [], disabled: false });
  });
});
