/**
 * The delivery log and cursors in the Durable Object's SQLite (here node:sqlite, the same engine):
 * buffered writes are visible to readers at once, survive a new instance once flushed, and old
 * messages are pruned.
 */
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { DeliveryLog, KEPT_MESSAGES, type SqlExec } from "../../src/webhooks/delivery-log";
import type { DeliveryRecord } from "../../src/webhooks/dispatcher";

/** `ctx.storage.sql.exec` over node:sqlite. */
function sqlite(): SqlExec {
  const db = new DatabaseSync(":memory:");
  return {
    exec: (query, ...bindings) => {
      const statement = db.prepare(query);
      const rows = statement.columns().length ? (statement.all(...bindings) as Record<string, unknown>[]) : (statement.run(...bindings), []);
      return { toArray: () => rows };
    },
  };
}

const record = (seq: number, attempt: number, state: DeliveryRecord["state"], status: number | null): DeliveryRecord => ({
  endpointId: "wh-a",
  seq,
  id: `msg_sbx_${seq}`,
  attempt,
  at: Date.parse("2026-11-22T12:00:00Z") + seq,
  status,
  latencyMs: 3.5,
  state,
  nextAttemptAt: state === "retrying" ? 1_000 : null,
  ...(status === null ? { error: "no answer within 15000 ms" } : { responseSnippet: "ok" }),
});

describe("delivery log", () => {
  it("answers with what was just recorded, grouped by message, newest first", () => {
    const log = new DeliveryLog(sqlite());
    log.record(record(1, 1, "retrying", null));
    log.record(record(1, 2, "delivered", 204));
    log.record(record(2, 1, "delivered", 200));
    const items = log.deliveries("wh-a", 10, (t) => t);
    expect(items.map((d) => [d.id, d.state, d.attempts.map((a) => a.status)])).toEqual([
      ["msg_sbx_2", "delivered", [200]],
      ["msg_sbx_1", "delivered", [null, 204]],
    ]);
    expect(items[1]!.attempts[0]).toEqual({ attempt: 1, at: "2026-11-22T12:00:00.001Z", status: null, latencyMs: 3.5, error: "no answer within 15000 ms" });
    expect(log.attempts("wh-a", 1)).toBe(2);
    expect(log.deliveries("wh-b", 10, (t) => t)).toEqual([]);
  });

  it("keeps cursors for a new instance over the same storage once flushed, and forgets an endpoint entirely", () => {
    const sql = sqlite();
    const first = new DeliveryLog(sql);
    first.saveCursor("wh-a", { through: 7, retrying: [{ seq: 8, attempts: 2, nextAt: 99 }], disabled: false });
    first.record(record(8, 2, "retrying", 500));
    first.flush();
    const second = new DeliveryLog(sql);
    expect(second.cursor("wh-a")).toEqual({ through: 7, retrying: [{ seq: 8, attempts: 2, nextAt: 99 }], disabled: false });
    expect(second.endpointIds()).toEqual(["wh-a"]);
    second.forget("wh-a");
    expect(second.cursor("wh-a")).toBeNull();
    expect(second.deliveries("wh-a", 10, (t) => t)).toEqual([]);
  });

  it(`keeps only the last ${KEPT_MESSAGES} messages of an endpoint`, () => {
    const log = new DeliveryLog(sqlite());
    for (let seq = 1; seq <= KEPT_MESSAGES + 1500; seq++) log.record(record(seq, 1, "delivered", 204));
    log.flush();
    const kept = log.deliveries("wh-a", 5000, (t) => t);
    expect(kept.length).toBeGreaterThanOrEqual(KEPT_MESSAGES);
    expect(kept.length).toBeLessThan(KEPT_MESSAGES + 1500);
    expect(kept[0]!.seq).toBe(KEPT_MESSAGES + 1500);
  });
});
