/**
 * The transactional outbox: the messages a batch of writes produces are inserted into
 * `webhook_outbox` by the same `db.batch()` that commits the writes (see the D1 backend's
 * `batchHook`), so a committed change always has its messages and a failed one never does.
 * Messages not caused by a write (pings, lifecycle) are inserted on their own.
 *
 * `seq` numbers the sandbox's messages in commit order; a failed batch leaves a gap, never a
 * reuse. The newest row is never pruned, so the sequence survives a restart.
 */
import type { SqlStatement } from "../storage/d1-sql";
import type { CommittedWrite } from "../storage/memory";

/** A message and the endpoints it goes to. */
export interface Routed {
  body: string;
  endpoints: readonly string[];
}

export interface OutboxRow extends Routed {
  seq: number;
}

/** Statements to commit with a batch, and what to do once they are durable. */
export interface PreparedRows {
  statements: SqlStatement[];
  rows: OutboxRow[];
}

/** Rows per multi-row insert: two bound parameters each besides the shared sandbox id. */
const ROWS_PER_STATEMENT = 49;

/** The webhook-id of a message: stable for the message, the same on every attempt and after restarts. */
export const messageId = (sandboxId: string, seq: number) => `msg_${sandboxId}_${seq}`;
/** The seq a message id names (for `:redeliver`), or null when it is not one of this sandbox's. */
export function seqOfMessageId(sandboxId: string, id: string): number | null {
  const prefix = `msg_${sandboxId}_`;
  if (!id.startsWith(prefix) || !/^\d{1,15}$/.test(id.slice(prefix.length))) return null;
  return Number(id.slice(prefix.length));
}

export class Outbox {
  constructor(
    private readonly sandboxId: string,
    /** The highest seq already used (from {@link lastSeqStatement}). */
    private last: number,
    /** The messages one committed write produces (none for most writes). */
    private readonly route: (write: CommittedWrite) => Routed[],
    private readonly now: () => number,
  ) {}

  /** The highest seq handed out so far. */
  get lastSeq(): number {
    return this.last;
  }

  /** The outbox rows of a batch of writes, or null when none of its writes produces a message. */
  forWrites(batch: readonly CommittedWrite[]): PreparedRows | null {
    const routed: Routed[] = [];
    for (const write of batch) routed.push(...this.route(write));
    return routed.length ? this.prepare(routed) : null;
  }

  /** Rows for messages of their own (a ping, a lifecycle event). */
  prepare(routed: readonly Routed[]): PreparedRows {
    const rows = routed.map((r) => ({ ...r, seq: ++this.last }));
    const createdAt = Math.floor(this.now());
    const statements: SqlStatement[] = [];
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const params: unknown[] = [this.sandboxId];
      const values = rows.slice(i, i + ROWS_PER_STATEMENT).map((row) => {
        params.push(JSON.stringify(row.endpoints), row.body);
        return `(?1,${row.seq},?${params.length - 1},?${params.length},${createdAt})`;
      });
      statements.push({ sql: `INSERT INTO webhook_outbox (sandbox_id,seq,endpoints,body,created_at) VALUES ${values.join(",")}`, params });
    }
    return { statements, rows };
  }
}

export const lastSeqStatement = (sandboxId: string): SqlStatement => ({
  sql: "SELECT max(seq) AS seq FROM webhook_outbox WHERE sandbox_id=?1",
  params: [sandboxId],
});

/** An endpoint's messages after `afterSeq`, oldest first. */
export const pendingStatement = (sandboxId: string, endpointId: string, afterSeq: number, limit: number): SqlStatement => ({
  sql:
    "SELECT seq,body FROM webhook_outbox WHERE sandbox_id=?1 AND seq>?2" +
    " AND EXISTS (SELECT 1 FROM json_each(endpoints) WHERE value=?3) ORDER BY seq LIMIT ?4",
  params: [sandboxId, afterSeq, endpointId, limit],
});

export const messageStatement = (sandboxId: string, seq: number): SqlStatement => ({
  sql: "SELECT seq,body,endpoints FROM webhook_outbox WHERE sandbox_id=?1 AND seq=?2",
  params: [sandboxId, seq],
});

/**
 * Prunes messages every endpoint is done with (`seq` ≤ `doneThrough`) once they are older than
 * `keepSince` (kept that long for `:redeliver`), and anything older than `dropBefore`. The newest
 * row always stays.
 */
export const pruneStatement = (sandboxId: string, doneThrough: number, keepSince: number, dropBefore: number): SqlStatement => ({
  sql:
    "DELETE FROM webhook_outbox WHERE sandbox_id=?1 AND seq<(SELECT max(seq) FROM webhook_outbox WHERE sandbox_id=?1)" +
    " AND ((seq<=?2 AND created_at<?3) OR created_at<?4)",
  params: [sandboxId, doneThrough, keepSince, dropBefore],
});
