/**
 * What the Durable Object keeps about deliveries in its own SQLite storage: each endpoint's
 * cursor (the dispatcher's durable progress) and the delivery log, one row per attempt, the last
 * {@link KEPT_MESSAGES} messages per endpoint. Local storage, not D1: it is written on every
 * attempt and read only through this sandbox.
 *
 * Writes are buffered and flushed together every {@link FLUSH_MS} (one statement for all
 * attempts, one per moved cursor): a crash loses at most that much progress, which only means
 * those messages are sent again (delivery is at least once).
 */
import type { Cursor, DeliveryRecord, DeliveryState } from "./dispatcher";

/** The subset of the Durable Object's `ctx.storage.sql` used here. */
export interface SqlExec {
  exec(query: string, ...bindings: (string | number | null)[]): { toArray(): Record<string, unknown>[] };
}

export const KEPT_MESSAGES = 1000;
/** Attempts recorded for an endpoint between two prunings of its log. */
const PRUNE_EVERY = 2000;
export const FLUSH_MS = 100;

export interface DeliveryAttempt {
  attempt: number;
  at: string;
  status: number | null;
  latencyMs: number;
  error?: string;
  responseSnippet?: string;
}

/** One message as `GET …/deliveries` shows it. */
export interface DeliverySummary {
  id: string;
  seq: number;
  state: DeliveryState;
  attempts: DeliveryAttempt[];
  nextAttemptAt: string | null;
}

export class DeliveryLog {
  private readonly sincePrune = new Map<string, number>();
  private attemptsBuffer: DeliveryRecord[] = [];
  private readonly cursorsBuffer = new Map<string, Cursor>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly sql: SqlExec) {
    sql.exec(
      "CREATE TABLE IF NOT EXISTS webhook_cursors (endpoint_id TEXT PRIMARY KEY, cursor TEXT NOT NULL)",
    );
    sql.exec(
      "CREATE TABLE IF NOT EXISTS webhook_attempts (endpoint_id TEXT NOT NULL, seq INTEGER NOT NULL, attempt INTEGER NOT NULL," +
        " message_id TEXT NOT NULL, at INTEGER NOT NULL, status INTEGER, latency_ms REAL NOT NULL, error TEXT, snippet TEXT," +
        " state TEXT NOT NULL, next_attempt_at INTEGER, PRIMARY KEY (endpoint_id, seq, attempt))",
    );
  }

  cursor(endpointId: string): Cursor | null {
    const buffered = this.cursorsBuffer.get(endpointId);
    if (buffered) return buffered;
    const row = this.sql.exec("SELECT cursor FROM webhook_cursors WHERE endpoint_id=?", endpointId).toArray()[0];
    return row ? (JSON.parse(row.cursor as string) as Cursor) : null;
  }

  saveCursor(endpointId: string, cursor: Cursor): void {
    this.cursorsBuffer.set(endpointId, cursor);
    this.scheduleFlush();
  }

  /** Every endpoint with a cursor here (to forget deleted ones). */
  endpointIds(): string[] {
    this.flush();
    return this.sql.exec("SELECT endpoint_id FROM webhook_cursors").toArray().map((r) => r.endpoint_id as string);
  }

  forget(endpointId: string): void {
    this.flush();
    this.sql.exec("DELETE FROM webhook_cursors WHERE endpoint_id=?", endpointId);
    this.sql.exec("DELETE FROM webhook_attempts WHERE endpoint_id=?", endpointId);
  }

  record(r: DeliveryRecord): void {
    this.attemptsBuffer.push(r);
    this.scheduleFlush();
  }

  /** Writes what is buffered. */
  flush(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    for (const [endpointId, cursor] of this.cursorsBuffer) {
      this.sql.exec("INSERT OR REPLACE INTO webhook_cursors (endpoint_id, cursor) VALUES (?, ?)", endpointId, JSON.stringify(cursor));
    }
    this.cursorsBuffer.clear();
    if (this.attemptsBuffer.length === 0) return;
    const rows = this.attemptsBuffer.map((r) => [r.endpointId, r.seq, r.attempt, r.id, r.at, r.status, r.latencyMs, r.error ?? null, r.responseSnippet ?? null, r.state, r.nextAttemptAt]);
    this.attemptsBuffer = [];
    // One statement for the whole buffer: the rows travel as one JSON parameter.
    this.sql.exec(
      "INSERT OR REPLACE INTO webhook_attempts SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8, value->>9, value->>10 FROM json_each(?)",
      JSON.stringify(rows),
    );
    const touched = new Map<string, number>();
    for (const [endpointId] of rows) touched.set(endpointId as string, (touched.get(endpointId as string) ?? 0) + 1);
    for (const [endpointId, added] of touched) {
      const count = (this.sincePrune.get(endpointId) ?? 0) + added;
      this.sincePrune.set(endpointId, count);
      if (count >= PRUNE_EVERY) this.prune(endpointId);
    }
  }

  private scheduleFlush(): void {
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** The highest attempt number recorded for a message (0: none). */
  attempts(endpointId: string, seq: number): number {
    this.flush();
    const row = this.sql.exec("SELECT max(attempt) AS n FROM webhook_attempts WHERE endpoint_id=? AND seq=?", endpointId, seq).toArray()[0];
    return (row?.n as number | null) ?? 0;
  }

  /** The endpoint's latest messages, newest first. `toTime` turns a schedule time into wall-clock ms. */
  deliveries(endpointId: string, limit: number, toTime: (scheduleMs: number) => number): DeliverySummary[] {
    this.flush();
    const rows = this.sql
      .exec(
        "SELECT * FROM webhook_attempts WHERE endpoint_id=? AND seq IN" +
          " (SELECT DISTINCT seq FROM webhook_attempts WHERE endpoint_id=? ORDER BY seq DESC LIMIT ?) ORDER BY seq DESC, attempt",
        endpointId,
        endpointId,
        limit,
      )
      .toArray();
    const bySeq = new Map<number, DeliverySummary>();
    for (const row of rows) {
      const seq = row.seq as number;
      let summary = bySeq.get(seq);
      if (!summary) bySeq.set(seq, (summary = { id: row.message_id as string, seq, state: "retrying", attempts: [], nextAttemptAt: null }));
      summary.attempts.push({
        attempt: row.attempt as number,
        at: new Date(row.at as number).toISOString(),
        status: row.status as number | null,
        latencyMs: row.latency_ms as number,
        ...(row.error ? { error: row.error as string } : {}),
        ...(row.snippet ? { responseSnippet: row.snippet as string } : {}),
      });
      summary.state = row.state as DeliveryState;
      const next = row.next_attempt_at as number | null;
      summary.nextAttemptAt = next === null ? null : new Date(toTime(next)).toISOString();
    }
    return [...bySeq.values()];
  }

  private prune(endpointId: string): void {
    this.sincePrune.set(endpointId, 0);
    this.sql.exec(
      "DELETE FROM webhook_attempts WHERE endpoint_id=? AND seq <" +
        " (SELECT min(seq) FROM (SELECT DISTINCT seq FROM webhook_attempts WHERE endpoint_id=? ORDER BY seq DESC LIMIT ?))",
      endpointId,
      endpointId,
      KEPT_MESSAGES,
    );
  }
}
