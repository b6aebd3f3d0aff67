/**
 * The durable backend of one sandbox: the memory engine with D1 as its write-through persistence.
 *
 * Reads and watches are served from memory. Each group-committed batch of writes becomes ONE
 * `db.batch()` (D1's only transaction): multi-row inserts into the revision log plus the
 * batch's final state of each key in `objects`. A cold start reads the sandbox back with one
 * `db.batch()` of four queries.
 *
 * One instance must own a sandbox at a time (the sandbox's Durable Object). The log's primary
 * key (sandbox, revision) fences a second writer: its commit fails, and the instance turns stale.
 */
import { StorageError, type Revision } from "./backend";
import { snapshotFromRows, type LogRow, type ObjectRow, type PrevRow } from "./d1-load";
import { commitStatements, compactStatements, deleteSandboxStatements, loadStatements, maxRevisionStatement, type SqlStatement } from "./d1-sql";
import { MemoryBackend, type CommittedWrite, type MemoryBackendOptions, type Persistence, type Snapshot } from "./memory";

export interface D1BackendOptions extends Omit<MemoryBackendOptions, "persistence"> {
  /**
   * Called once when D1 turns out to hold writes this instance does not know about (a commit
   * whose failure was reported although it landed, or a second writer). The instance then
   * rejects every write: discard it and load the sandbox again.
   */
  onStale?: (error: StaleStorageError) => void;
  /** Rows to commit in the same `db.batch()` as a batch of writes (the webhook outbox). */
  batchHook?: BatchHook;
}

/** Extra statements that commit atomically with a batch of writes, and what to do once they are durable. */
export interface BatchHook {
  prepare(batch: readonly CommittedWrite[]): { statements: SqlStatement[]; committed(): void } | null;
}

/** Totals of what the backend sent to D1 for writes (`statements / writes` = D1 statements per write). */
export interface D1CommitStats {
  /** `db.batch()` calls that committed writes. */
  commits: number;
  /** Statements in those batches (plus any log checks after a failure). */
  statements: number;
  /** Writes made durable. */
  writes: number;
  /** Compactions persisted. */
  compactions: number;
}

export class StaleStorageError extends StorageError {}

export class D1Backend extends MemoryBackend {
  constructor(
    readonly sandboxId: string,
    private readonly d1: D1Persistence,
    snapshot: Snapshot,
    options: D1BackendOptions,
  ) {
    super({ ...options, persistence: d1 }, snapshot);
  }

  get d1Stats(): D1CommitStats {
    return { ...this.d1.stats };
  }

  /** Alias of `d1Stats`, for benchmarks reporting D1 statements per write. */
  get statementsPerCommit(): D1CommitStats {
    return this.d1Stats;
  }

  /** True once D1 was found to hold writes this instance does not know (see `onStale`). */
  get stale(): boolean {
    return this.d1.staleError !== null;
  }
}

/** Loads a sandbox from D1 (one batch) and returns its backend. An unknown sandbox id loads empty. */
export async function createD1Backend(db: D1Database, sandboxId: string, options: D1BackendOptions = {}): Promise<D1Backend> {
  const window = options.historyLimit ?? 10_000;
  const [objects, log, prevs, sandbox] = await db.batch(loadStatements(sandboxId, window).map((s) => bind(db, s)));
  const compactedInD1 = (sandbox!.results[0] as { compacted_revision?: number } | undefined)?.compacted_revision ?? 0;
  const snapshot = snapshotFromRows({
    objects: objects!.results as unknown as ObjectRow[],
    log: log!.results as unknown as LogRow[],
    prevs: prevs!.results as unknown as PrevRow[],
    compactedRevision: compactedInD1,
  });
  const persistence = new D1Persistence(db, sandboxId, options.onStale, window, compactedInD1, options.batchHook);
  return new D1Backend(sandboxId, persistence, snapshot, options);
}

/** Removes every row of a sandbox (objects, log, webhooks, management row) in one batch. */
export async function deleteSandboxRows(db: D1Database, sandboxId: string): Promise<void> {
  await db.batch(deleteSandboxStatements(sandboxId).map((s) => bind(db, s)));
}

/** Write-through persistence into D1. */
class D1Persistence implements Persistence {
  readonly stats: D1CommitStats = { commits: 0, statements: 0, writes: 0, compactions: 0 };
  staleError: StaleStorageError | null = null;
  /** Set after a failed commit: its outcome is unknown until the log is checked. */
  private uncertain = false;

  constructor(
    private readonly db: D1Database,
    private readonly sandboxId: string,
    private readonly onStale: ((error: StaleStorageError) => void) | undefined,
    /** Log rows older than this many revisions are never loaded again: compaction removes them. */
    private readonly window: number,
    private compactedInD1: Revision,
    private readonly batchHook: BatchHook | undefined,
  ) {}

  /**
   * Keeps the log bounded: once it holds two windows of history, rows older than one window are
   * compacted away, in their own batch after the commit (never delaying a write).
   */
  private compactIfDue(revision: Revision): void {
    const target = revision - this.window;
    if (target - this.compactedInD1 < this.window) return;
    this.compactedInD1 = target;
    this.compact(target).catch((error) => console.error(`sandbox ${this.sandboxId}: compaction at ${target} failed`, error));
  }

  async commit(batch: readonly CommittedWrite[]): Promise<void> {
    if (this.staleError) throw this.staleError;
    if (this.uncertain) await this.checkLog(batch[0]!.event.revision - 1);
    const extra = this.batchHook?.prepare(batch) ?? null;
    const statements = extra ? [...commitStatements(this.sandboxId, batch), ...extra.statements] : commitStatements(this.sandboxId, batch);
    try {
      await this.db.batch(statements.map((s) => bind(this.db, s)));
    } catch (error) {
      this.uncertain = true;
      throw error;
    }
    extra?.committed();
    this.stats.commits++;
    this.stats.statements += statements.length;
    this.stats.writes += batch.length;
    this.compactIfDue(batch[batch.length - 1]!.event.revision);
  }

  async compact(revision: Revision): Promise<void> {
    if (this.staleError) throw this.staleError;
    await this.db.batch(compactStatements(this.sandboxId, revision).map((s) => bind(this.db, s)));
    this.stats.compactions++;
  }

  /** After a failure: the log must end exactly where memory's durable state does, or this instance is stale. */
  private async checkLog(durable: Revision): Promise<void> {
    const row = await bind(this.db, maxRevisionStatement(this.sandboxId)).first<{ revision: number | null }>();
    this.stats.statements++;
    const logged = row?.revision ?? 0;
    if (logged !== durable) {
      this.staleError = new StaleStorageError(
        `sandbox ${this.sandboxId}: D1 holds revision ${logged} but this instance only knows ${durable}; reload the sandbox`,
      );
      this.onStale?.(this.staleError);
      throw this.staleError;
    }
    this.uncertain = false;
  }
}

/** A statement of ours (text + parameters) prepared for D1. */
export function bind(db: D1Database, statement: SqlStatement): D1PreparedStatement {
  return db.prepare(statement.sql).bind(...statement.params);
}
