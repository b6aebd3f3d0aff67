import { describe, expect, it } from "vitest";
import type { KeyValue, WatchEvent } from "../../src/storage/backend";
import { snapshotFromRows, type LogRow } from "../../src/storage/d1-load";
import { commitStatements, compactStatements, deleteSandboxStatements, loadStatements, type SqlStatement } from "../../src/storage/d1-sql";
import type { CommittedWrite } from "../../src/storage/memory";

function put(revision: number, key: string, value: unknown, prev: KeyValue | null = null): CommittedWrite {
  const kv = { key, value, createRevision: prev ? prev.createRevision : revision, modRevision: revision };
  return { event: { type: "PUT", kv, prevKv: prev, revision }, encoded: JSON.stringify(value) };
}

function del(revision: number, prev: KeyValue): CommittedWrite {
  const kv = { ...prev, modRevision: revision };
  return { event: { type: "DELETE", kv, prevKv: prev, revision }, encoded: JSON.stringify(prev.value) };
}

/** The D1 limits every statement must respect. */
function expectWithinLimits(statement: SqlStatement) {
  expect(statement.params.length).toBeLessThanOrEqual(100);
  expect(statement.sql.length).toBeLessThan(100_000);
  const placeholders = [...statement.sql.matchAll(/\?(\d+)/g)].map((m) => Number(m[1]));
  expect(Math.max(...placeholders)).toBe(statement.params.length);
  expect(/\?(?!\d)/.test(statement.sql)).toBe(false);
  expect(statement.sql).not.toMatch(/\bUNION\b|\bBEGIN\b/i);
}

describe("D1 commit statements", () => {
  it.each([1, 2, 48, 49, 50, 98, 99, 100, 333, 1000])("stay within D1 limits for a batch of %i writes", (n) => {
    const batch: CommittedWrite[] = [];
    for (let i = 1; i <= n; i++) {
      const key = `/registry/pods/ns/p${i}`;
      if (i % 3 === 0) batch.push(del(i, { key, value: { old: i }, createRevision: 1, modRevision: 1 }));
      else batch.push(put(i, key, { i, text: "it's a \"quoted\" value" }));
    }
    const statements = commitStatements("sandbox-1", batch);
    for (const statement of statements) {
      expectWithinLimits(statement);
      expect(statement.params[0]).toBe("sandbox-1");
    }
    const puts = batch.filter((w) => w.event.type === "PUT").length;
    const deletes = n - puts;
    expect(statements.filter((s) => s.sql.startsWith("INSERT INTO revisions"))).toHaveLength(Math.ceil(n / 49));
    expect(statements.filter((s) => s.sql.startsWith("INSERT INTO objects"))).toHaveLength(Math.ceil(puts / 49));
    expect(statements.filter((s) => s.sql.startsWith("DELETE FROM objects"))).toHaveLength(Math.ceil(deletes / 99));
    // Every write's key and encoded value are bound, never inlined.
    for (const write of batch) expect(statements.some((s) => s.sql.includes(write.encoded))).toBe(false);
  });

  it("writes only the final state of a key touched several times in one batch", () => {
    const a1 = put(1, "/a", { v: 1 });
    const a2 = put(2, "/a", { v: 2 }, a1.event.kv);
    const gone = del(3, a2.event.kv);
    const b1 = put(4, "/b", { v: 1 });
    const b2 = del(5, b1.event.kv);
    const b3 = put(6, "/b", { v: 3 });
    const statements = commitStatements("s", [a1, a2, gone, b1, b2, b3]);
    expect(statements).toHaveLength(3);
    expect(statements[0]!.sql).toContain("(?1,1,?2,1,0,0,?3),(?1,2,?4,1,1,0,?5),(?1,3,?6,1,2,1,?7)");
    expect(statements[1]!.params).toEqual(["s", "/b", '{"v":3}']);
    expect(statements[1]!.sql).toContain("(?1,?2,6,6,?3)");
    expect(statements[2]!.params).toEqual(["s", "/a"]);
  });

  it("refuses non-integer revisions instead of inlining them", () => {
    expect(() => commitStatements("s", [put(1.5, "/a", {})])).toThrow(RangeError);
    expect(() => compactStatements("s", Number.NaN)).toThrow(RangeError);
  });

  it("keeps load, compaction and deletion statements within the limits", () => {
    for (const statement of [...loadStatements("s", 10_000), ...compactStatements("s", 5), ...deleteSandboxStatements("s")]) {
      expectWithinLimits(statement);
    }
  });
});

describe("D1 cold-start snapshot", () => {
  const object = (key: string, createRevision: number, modRevision: number, value: unknown) => ({
    key,
    create_revision: createRevision,
    mod_revision: modRevision,
    value: JSON.stringify(value),
  });
  const row = (revision: number, key: string, createRevision: number, prev: number, deleted: boolean, value: unknown): LogRow => ({
    revision,
    key,
    create_revision: createRevision,
    prev_revision: prev,
    deleted: deleted ? 1 : 0,
    value: value === null ? null : JSON.stringify(value),
  });

  it("rebuilds events, sharing current values, and starts the window after an unknown previous value", () => {
    // /a: 1 create, 3 update, 6 update (current).  /b: 2 create, 4 delete.  /c: 5 create (current).
    const snapshot = snapshotFromRows({
      objects: [object("/a", 1, 6, { v: 3 }), object("/c", 5, 5, { c: 1 })],
      log: [
        row(6, "/a", 1, 3, false, null),
        row(5, "/c", 5, 0, false, null),
        row(4, "/b", 2, 2, true, { b: 1 }),
        row(3, "/a", 1, 1, false, { v: 2 }),
        row(2, "/b", 2, 0, false, { b: 1 }),
      ],
      prevs: [],
      compactedRevision: 1,
    });
    expect(snapshot.revision).toBe(6);
    expect(snapshot.itemSizes).toEqual(['{"v":3}'.length, '{"c":1}'.length]);
    // Revision 3's previous value (revision 1) is gone, so the window starts at 4.
    const events = snapshot.history as WatchEvent[];
    expect(events.map((e) => `${e.revision}:${e.type}:${e.kv.key}`)).toEqual(["4:DELETE:/b", "5:PUT:/c", "6:PUT:/a"]);
    expect(events[0]!.kv).toEqual({ key: "/b", value: { b: 1 }, createRevision: 2, modRevision: 4 });
    expect(events[0]!.prevKv).toEqual({ key: "/b", value: { b: 1 }, createRevision: 2, modRevision: 2 });
    expect(events[2]!.prevKv).toEqual({ key: "/a", value: { v: 2 }, createRevision: 1, modRevision: 3 });
    expect(events[2]!.kv).toBe(snapshot.items[0]);
    expect(Object.isFrozen(events[2]!.prevKv!.value)).toBe(true);
  });

  it("stops the window at a gap in the log and at the compacted revision", () => {
    const gap = snapshotFromRows({
      objects: [object("/a", 1, 1, {}), object("/b", 5, 5, {})],
      log: [row(5, "/b", 5, 0, false, null), row(1, "/a", 1, 0, false, null)],
      prevs: [],
      compactedRevision: 0,
    });
    expect(gap.history.map((e) => e.revision)).toEqual([5]);
    const compacted = snapshotFromRows({
      objects: [object("/a", 1, 2, {})],
      log: [row(2, "/a", 1, 1, false, null), row(1, "/a", 1, 0, false, {})],
      prevs: [],
      compactedRevision: 2,
    });
    expect(compacted.history).toEqual([]);
    expect(compacted.compactedRevision).toBe(2);
  });

  it("loads an empty sandbox", () => {
    expect(snapshotFromRows({ objects: [], log: [], prevs: [], compactedRevision: 0 })).toEqual({
      revision: 0,
      compactedRevision: 0,
      items: [],
      itemSizes: [],
      history: [],
    });
  });
});
