/**
 * The SQL of the D1 backend, as plain data (text + parameters), so it can be checked without D1.
 *
 * Limits respected by construction (D1 enforces them): at most 100 bound parameters per
 * statement, statement text far below 100 KB, no compound SELECT. Parameters are numbered:
 * `?1` is always the sandbox id and is bound once per statement however many rows use it.
 * Revisions are integers we produce and are inlined as literals (checked to be safe
 * integers); keys and values are always bound.
 */
import type { Revision } from "./backend";
import type { CommittedWrite } from "./memory";

export interface SqlStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

export const MAX_BOUND_PARAMETERS = 100;
/** Rows per multi-row statement when each row binds two parameters besides the shared `?1`. */
const ROWS_PER_STATEMENT = Math.floor((MAX_BOUND_PARAMETERS - 1) / 2);
const KEYS_PER_DELETE = MAX_BOUND_PARAMETERS - 1;

/**
 * The statements that make one batch of writes durable, for one `db.batch()`: the batch's log
 * rows, then the final state of each key it touched (upserted, or deleted when its last write in
 * the batch is a delete).
 */
export function commitStatements(sandboxId: string, batch: readonly CommittedWrite[]): SqlStatement[] {
  const statements: SqlStatement[] = [];

  for (let i = 0; i < batch.length; i += ROWS_PER_STATEMENT) {
    const params: unknown[] = [sandboxId];
    const rows = batch.slice(i, i + ROWS_PER_STATEMENT).map(({ event, encoded }) => {
      const prev = event.prevKv ? event.prevKv.modRevision : 0;
      const deleted = event.type === "DELETE" ? 1 : 0;
      params.push(event.kv.key, encoded);
      const n = params.length;
      return `(?1,${int(event.revision)},?${n - 1},${int(event.kv.createRevision)},${int(prev)},${deleted},?${n})`;
    });
    statements.push({
      sql: `INSERT INTO revisions (sandbox_id,revision,key,create_revision,prev_revision,deleted,value) VALUES ${rows.join(",")}`,
      params,
    });
  }

  const finalWrite = new Map<string, CommittedWrite>();
  for (const write of batch) finalWrite.set(write.event.kv.key, write);
  const puts: CommittedWrite[] = [];
  const deletes: string[] = [];
  for (const [key, write] of finalWrite) {
    if (write.event.type === "PUT") puts.push(write);
    else deletes.push(key);
  }

  for (let i = 0; i < puts.length; i += ROWS_PER_STATEMENT) {
    const params: unknown[] = [sandboxId];
    const rows = puts.slice(i, i + ROWS_PER_STATEMENT).map(({ event, encoded }) => {
      params.push(event.kv.key, encoded);
      const n = params.length;
      return `(?1,?${n - 1},${int(event.kv.createRevision)},${int(event.kv.modRevision)},?${n})`;
    });
    statements.push({
      sql:
        `INSERT INTO objects (sandbox_id,key,create_revision,mod_revision,value) VALUES ${rows.join(",")} ` +
        `ON CONFLICT (sandbox_id,key) DO UPDATE SET create_revision=excluded.create_revision,mod_revision=excluded.mod_revision,value=excluded.value`,
      params,
    });
  }

  for (let i = 0; i < deletes.length; i += KEYS_PER_DELETE) {
    const keys = deletes.slice(i, i + KEYS_PER_DELETE);
    statements.push({
      sql: `DELETE FROM objects WHERE sandbox_id=?1 AND key IN (${keys.map((_, j) => `?${j + 2}`).join(",")})`,
      params: [sandboxId, ...keys],
    });
  }
  return statements;
}

/**
 * Compaction at `revision`, kine-style: delete the log rows at or below it that no read at a
 * revision ≥ `revision` can need — tombstones, and values superseded by a later write at or
 * below it. Each key's value as of `revision` stays, so the previous value of every later
 * event remains loadable. The newest row is never deleted (it carries the current revision).
 */
export function compactStatements(sandboxId: string, revision: Revision): SqlStatement[] {
  return [
    {
      sql:
        "DELETE FROM revisions WHERE sandbox_id=?1 AND revision<=?2" +
        " AND revision<(SELECT max(revision) FROM revisions WHERE sandbox_id=?1)" +
        " AND (deleted=1 OR revision IN (SELECT prev_revision FROM revisions WHERE sandbox_id=?1 AND revision<=?2))",
      params: [sandboxId, int(revision)],
    },
    {
      sql: "UPDATE sandboxes SET compacted_revision=max(compacted_revision,?2) WHERE id=?1",
      params: [sandboxId, int(revision)],
    },
  ];
}

/**
 * What a cold start reads, in one batch:
 * 0. every current object;
 * 1. the newest `window` log rows, newest first, with `value` NULL where it equals the current
 *    object's value (the loader reuses that instead of decoding it twice);
 * 2. the older rows holding the previous values of PUTs among those rows;
 * 3. the sandbox's compacted revision (no row when the sandbox has no management record).
 */
export function loadStatements(sandboxId: string, window: number): SqlStatement[] {
  const newest = `SELECT revision,prev_revision,deleted FROM revisions WHERE sandbox_id=?1 ORDER BY revision DESC LIMIT ?2`;
  return [
    { sql: "SELECT key,create_revision,mod_revision,value FROM objects WHERE sandbox_id=?1", params: [sandboxId] },
    {
      sql:
        "SELECT r.revision,r.key,r.create_revision,r.prev_revision,r.deleted," +
        "CASE WHEN o.mod_revision=r.revision THEN NULL ELSE r.value END AS value " +
        "FROM revisions r LEFT JOIN objects o ON o.sandbox_id=r.sandbox_id AND o.key=r.key " +
        "WHERE r.sandbox_id=?1 ORDER BY r.revision DESC LIMIT ?2",
      params: [sandboxId, int(window)],
    },
    {
      sql:
        "SELECT revision,value FROM revisions WHERE sandbox_id=?1" +
        ` AND revision IN (SELECT prev_revision FROM (${newest}) WHERE deleted=0 AND prev_revision>0)` +
        ` AND revision<(SELECT min(revision) FROM (${newest}))`,
      params: [sandboxId, int(window)],
    },
    { sql: "SELECT compacted_revision FROM sandboxes WHERE id=?1", params: [sandboxId] },
  ];
}

/** Every row of a sandbox, in all tables. */
export function deleteSandboxStatements(sandboxId: string): SqlStatement[] {
  return [
    { sql: "DELETE FROM objects WHERE sandbox_id=?1", params: [sandboxId] },
    { sql: "DELETE FROM revisions WHERE sandbox_id=?1", params: [sandboxId] },
    { sql: "DELETE FROM webhook_outbox WHERE sandbox_id=?1", params: [sandboxId] },
    { sql: "DELETE FROM webhook_endpoints WHERE sandbox_id=?1", params: [sandboxId] },
    { sql: "DELETE FROM sandboxes WHERE id=?1", params: [sandboxId] },
  ];
}

export const maxRevisionStatement = (sandboxId: string): SqlStatement => ({
  sql: "SELECT max(revision) AS revision FROM revisions WHERE sandbox_id=?1",
  params: [sandboxId],
});

function int(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a revision: ${n}`);
  return n;
}
