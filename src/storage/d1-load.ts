/**
 * Turns the rows a cold start read from D1 (see `loadStatements`) into a `Snapshot` for the
 * memory engine: current objects, the current revision and the longest trustworthy tail of the
 * revision log as watch history.
 *
 * The history window is the newest run of log rows that is contiguous, above the compacted
 * revision, and in which the previous value of every PUT is known (a PUT whose previous value
 * was compacted away cannot be replayed faithfully, so the window starts after it).
 */
import type { KeyValue, Revision, WatchEvent } from "./backend";
import type { Snapshot } from "./memory";
import { decodeValue } from "./values";

export interface ObjectRow {
  key: string;
  create_revision: number;
  mod_revision: number;
  value: string;
}

export interface LogRow {
  revision: number;
  key: string;
  create_revision: number;
  prev_revision: number;
  deleted: number;
  /** NULL when equal to the current object's value. */
  value: string | null;
}

export interface PrevRow {
  revision: number;
  value: string;
}

export interface LoadedRows {
  objects: readonly ObjectRow[];
  /** Newest first. */
  log: readonly LogRow[];
  prevs: readonly PrevRow[];
  /** From the sandbox's management row; 0 when it has none. */
  compactedRevision: Revision;
}

export function snapshotFromRows(rows: LoadedRows): Snapshot {
  const items: KeyValue[] = [];
  const itemSizes: number[] = [];
  const current = new Map<string, KeyValue>();
  let revision = 0;
  for (const row of rows.objects) {
    const kv: KeyValue = Object.freeze({
      key: row.key,
      value: decodeValue(row.value),
      createRevision: row.create_revision,
      modRevision: row.mod_revision,
    });
    items.push(kv);
    itemSizes.push(row.value.length);
    current.set(row.key, kv);
    if (kv.modRevision > revision) revision = kv.modRevision;
  }
  const newest = rows.log[0];
  if (newest && newest.revision > revision) revision = newest.revision;

  // Contiguous rows from the newest down, above the compacted revision.
  let run = 0;
  for (const row of rows.log) {
    if (row.revision !== revision - run || row.revision <= rows.compactedRevision) break;
    run++;
  }
  const log = rows.log.slice(0, run).reverse();

  // Values by revision: the log rows themselves, current objects, and the older previous rows.
  const texts = new Map<Revision, string>();
  for (const row of rows.prevs) texts.set(row.revision, row.value);
  for (const row of rows.log) if (row.value !== null) texts.set(row.revision, row.value);
  const decoded = new Map<Revision, unknown>();
  const valueAt = (rev: Revision, key: string): { value: unknown } | null => {
    const object = current.get(key);
    if (object && object.modRevision === rev) return { value: object.value };
    if (decoded.has(rev)) return { value: decoded.get(rev) };
    const text = texts.get(rev);
    if (text === undefined) return null;
    const value = decodeValue(text);
    decoded.set(rev, value);
    return { value };
  };

  // The window starts after the newest PUT whose previous value is unknown.
  let start = log.length ? log[0]!.revision - 1 : revision;
  for (const row of log) {
    if (!row.deleted && row.prev_revision > 0 && !valueAt(row.prev_revision, row.key)) start = row.revision;
  }

  const history: WatchEvent[] = [];
  const byRevision = new Map<Revision, KeyValue>();
  const kvAt = (rev: Revision, row: LogRow, value: () => unknown): KeyValue => {
    const known = byRevision.get(rev);
    if (known) return known;
    const object = current.get(row.key);
    if (object && object.modRevision === rev) return object;
    return Object.freeze({ key: row.key, value: value(), createRevision: row.create_revision, modRevision: rev });
  };
  for (const row of log) {
    if (row.revision <= start) continue;
    let event: WatchEvent;
    if (row.deleted) {
      const prevKv = kvAt(row.prev_revision, row, () => valueAt(row.revision, row.key)!.value);
      const kv = Object.freeze({ key: row.key, value: prevKv.value, createRevision: row.create_revision, modRevision: row.revision });
      event = Object.freeze({ type: "DELETE", kv, prevKv, revision: row.revision });
    } else {
      const kv = kvAt(row.revision, row, () => valueAt(row.revision, row.key)!.value);
      const prevKv = row.prev_revision > 0 ? kvAt(row.prev_revision, row, () => valueAt(row.prev_revision, row.key)!.value) : null;
      event = Object.freeze({ type: "PUT", kv, prevKv, revision: row.revision });
      byRevision.set(row.revision, kv);
    }
    history.push(event);
  }

  return { revision, compactedRevision: Math.min(rows.compactedRevision, revision), items, itemSizes, history };
}
