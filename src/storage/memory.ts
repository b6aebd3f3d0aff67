import {
  AlreadyExistsError,
  ConflictError,
  ExpiredError,
  FutureRevisionError,
  NotFoundError,
  StorageError,
  type Backend,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Precondition,
  type Revision,
  type WatchEvent,
  type WatchOptions,
  type Watcher,
} from "./backend";
import { EventHistory } from "./history";
import { KeyIndex } from "./key-index";
import { deepFreeze, encodeValue } from "./values";

/**
 * The in-memory storage engine: key index, watch cache and the ordered write pipeline.
 *
 * On its own (no persistence) it is the memory backend. With a `Persistence` it is the
 * in-memory half of a durable backend: reads and watches are served from memory, and every
 * write is made durable by the hook before anyone can observe it (write-through).
 *
 * Write pipeline (group commit):
 * - A write checks its precondition synchronously against the *staged* view (durable state
 *   overlaid with writes accepted but not yet durable), takes the next revision synchronously
 *   and joins the queue of staged writes.
 * - One batch is in flight at a time. When none is, the queue is handed to
 *   `Persistence.commit` as one batch; writes staged meanwhile form the next batch.
 * - When the batch is durable its writes are applied in revision order: durable state,
 *   history, watchers (synchronously), then their promises resolve.
 * - When the batch fails, its writes and every write staged after them are rejected, the
 *   staged overlay is dropped and the next revision falls back to the durable revision. Nothing
 *   of a failed batch is ever visible.
 */
export class MemoryBackend implements Backend {
  private readonly index = new KeyIndex<Entry>();
  private bytes = 0;
  private durableRevision: Revision;
  private readonly history: EventHistory;
  /** The highest revision whose compaction the persistence has confirmed (or the snapshot carried). */
  private persistedCompaction: Revision;

  private readonly persistence: Persistence;
  private readonly maxBatchWrites: number;
  private readonly maxBatchBytes: number;
  private readonly onWatcherError: (error: unknown) => void;

  /** Newest staged state per key (null: staged delete) and the revision that staged it. */
  private readonly staged = new Map<string, { kv: KeyValue | null; revision: Revision }>();
  private stagedRevision: Revision;
  private queue: Pending[] = [];
  private inFlight = false;
  private flushScheduled = false;
  private idleWaiters: (() => void)[] = [];
  /** Callers waiting for a key's staged write to become durable (or be aborted). */
  private keyWaiters = new Map<string, (() => void)[]>();
  private readonly counters = { batches: 0, writes: 0, failedBatches: 0 };

  private readonly watchers = new Set<WatchState>();

  constructor(options: MemoryBackendOptions = {}, snapshot?: Snapshot) {
    this.persistence = options.persistence ?? immediate;
    this.maxBatchWrites = options.maxBatchWrites ?? 1000;
    this.maxBatchBytes = options.maxBatchBytes ?? 8 * 1024 * 1024;
    this.onWatcherError = options.onWatcherError ?? ((error) => console.error("storage watcher failed and was cancelled", error));
    const capacity = options.historyLimit ?? 10_000;

    if (!snapshot) {
      this.durableRevision = 0;
      this.persistedCompaction = 0;
      this.history = new EventHistory(capacity, 0);
    } else {
      checkSnapshot(snapshot);
      this.durableRevision = snapshot.revision;
      this.persistedCompaction = snapshot.compactedRevision;
      for (const event of snapshot.history) deepFreeze(event);
      const first = snapshot.history[0];
      this.history = new EventHistory(capacity, first ? first.revision - 1 : snapshot.revision, snapshot.history);
      this.history.compact(snapshot.compactedRevision);
      const sizes = snapshot.itemSizes;
      this.index.load(
        snapshot.items.map((kv, i): [string, Entry] => {
          const size = sizes?.[i] ?? JSON.stringify(kv.value).length;
          this.bytes += size;
          return [kv.key, { kv: Object.isFrozen(kv) && Object.isFrozen(kv.value) ? kv : freezeKv(kv), size }];
        }),
      );
    }
    this.stagedRevision = this.durableRevision;
  }

  /** Builds an engine holding loaded state (e.g. a sandbox read back from D1). */
  static fromSnapshot(snapshot: Snapshot, options: MemoryBackendOptions = {}): MemoryBackend {
    return new MemoryBackend(options, snapshot);
  }

  // ---- state ----------------------------------------------------------------------------------

  get revision(): Revision {
    return this.durableRevision;
  }

  /** The start of the watch window: explicit compaction or events trimmed by the window bound. */
  get compactedRevision(): Revision {
    return this.history.start;
  }

  get stats(): { keys: number; bytes: number } {
    return { keys: this.index.size, bytes: this.bytes };
  }

  /** Live keys once every staged write is durable: `stats.keys` plus staged creates minus staged deletes. */
  get stagedKeys(): number {
    let keys = this.index.size;
    for (const [key, { kv }] of this.staged) {
      const durable = this.index.has(key);
      if (kv && !durable) keys++;
      else if (!kv && durable) keys--;
    }
    return keys;
  }

  /** Counters of the write pipeline: batches handed to persistence and the writes in them. */
  get commitStats(): PipelineStats {
    return { ...this.counters };
  }

  // ---- reads ----------------------------------------------------------------------------------

  get<V>(key: string): KeyValue<V> | null {
    return (this.index.get(key)?.kv as KeyValue<V> | undefined) ?? null;
  }

  /**
   * The newest value of a key including writes staged but not yet durable (null when missing or
   * staged for deletion). For read-modify-write loops: a precondition built from it does not
   * conflict with the caller's own in-flight writes. Never expose it to clients.
   */
  getStaged<V>(key: string): KeyValue<V> | null {
    const staged = this.staged.get(key);
    if (staged) return staged.kv as KeyValue<V> | null;
    return this.get<V>(key);
  }

  list<V>(options: ListOptions): ListResult<V> {
    const { prefix, startAfter } = options;
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const revision = options.revision ?? this.durableRevision;
    if (revision > this.durableRevision) throw new FutureRevisionError(revision, this.durableRevision);
    if (revision < this.history.start) throw new ExpiredError(revision, this.history.start);

    const items: KeyValue[] = [];
    let more = false;
    const emit = (kv: KeyValue): boolean => {
      if (items.length >= limit) {
        more = true;
        return false;
      }
      items.push(kv);
      return true;
    };

    if (revision === this.durableRevision) {
      this.index.scan(prefix, startAfter, (_key, entry) => emit(entry.kv));
      const remaining = more ? this.index.countRange(prefix, startAfter) - items.length : 0;
      return { items: items as KeyValue<V>[], revision, more, remaining };
    }

    // An older revision: the current range with the history after `revision` undone. Walking the
    // events newest first, the last value written for a key is its value at `revision`.
    const past = new Map<string, KeyValue | null>();
    for (const event of this.history.newestFirst(revision)) {
      const key = event.kv.key;
      if (key.startsWith(prefix) && (startAfter === undefined || key > startAfter)) past.set(key, event.prevKv);
    }
    const pastKeys = [...past.keys()].sort();
    let next = 0;
    this.index.scan(prefix, startAfter, (key, entry) => {
      for (; next < pastKeys.length && pastKeys[next]! < key; next++) {
        const kv = past.get(pastKeys[next]!);
        if (kv && !emit(kv)) return false;
      }
      if (next < pastKeys.length && pastKeys[next] === key) {
        const kv = past.get(pastKeys[next++]!);
        return kv ? emit(kv) : true;
      }
      return emit(entry.kv);
    });
    for (; !more && next < pastKeys.length; next++) {
      const kv = past.get(pastKeys[next]!);
      if (kv) emit(kv);
    }
    let remaining = 0;
    if (more) {
      let total = this.index.countRange(prefix, startAfter);
      for (const [key, kv] of past) total += (kv ? 1 : 0) - (this.index.has(key) ? 1 : 0);
      remaining = total - items.length;
    }
    return { items: items as KeyValue<V>[], revision, more, remaining };
  }

  // ---- writes ---------------------------------------------------------------------------------

  create<V>(key: string, value: V): Promise<KeyValue<V>> {
    if (this.getStaged(key)) return Promise.reject(new AlreadyExistsError(key));
    return this.stagePut(key, value, null);
  }

  update<V>(key: string, value: V, precondition?: Precondition): Promise<KeyValue<V>> {
    const current = this.getStaged(key);
    const failure = checkExisting(key, current, precondition);
    if (failure) return Promise.reject(failure);
    return this.stagePut(key, value, current);
  }

  /** Resolves with the deleted value at the delete's revision (`modRevision` = the delete). */
  delete<V>(key: string, precondition?: Precondition): Promise<KeyValue<V>> {
    const current = this.getStaged<V>(key);
    const failure = checkExisting(key, current, precondition);
    if (failure || !current) return Promise.reject(failure);
    const revision = this.stagedRevision + 1;
    const kv: KeyValue<V> = Object.freeze({ key, value: current.value, createRevision: current.createRevision, modRevision: revision });
    const event: WatchEvent<V> = Object.freeze({ type: "DELETE", kv, prevKv: current, revision });
    return this.stage(event, JSON.stringify(current.value), null);
  }

  private stagePut<V>(key: string, value: V, current: KeyValue | null): Promise<KeyValue<V>> {
    let encoded;
    try {
      encoded = encodeValue(value, current?.value as V | undefined);
    } catch (error) {
      return Promise.reject(error);
    }
    const revision = this.stagedRevision + 1;
    const kv: KeyValue<V> = Object.freeze({
      key,
      value: encoded.value,
      createRevision: current ? current.createRevision : revision,
      modRevision: revision,
    });
    const event: WatchEvent<V> = Object.freeze({ type: "PUT", kv, prevKv: current as KeyValue<V> | null, revision });
    return this.stage(event, encoded.text, kv);
  }

  private stage<V>(event: WatchEvent<V>, encoded: string, staged: KeyValue | null): Promise<KeyValue<V>> {
    this.stagedRevision = event.revision;
    this.staged.set(event.kv.key, { kv: staged, revision: event.revision });
    return new Promise<KeyValue<V>>((resolve, reject) => {
      this.queue.push({
        write: { event, encoded },
        resolve: () => resolve(event.kv),
        reject,
      });
      this.scheduleFlush();
    });
  }

  /**
   * Resolves once the key has no write that is staged but not yet durable (it committed or was
   * aborted). Read-modify-write loops wait here instead of racing a commit in flight.
   */
  settled(key: string): Promise<void> {
    if (!this.staged.has(key)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.keyWaiters.get(key);
      if (waiters) waiters.push(resolve);
      else this.keyWaiters.set(key, [resolve]);
    });
  }

  private wakeKey(key: string): void {
    const waiters = this.keyWaiters.get(key);
    if (!waiters) return;
    this.keyWaiters.delete(key);
    for (const wake of waiters) wake();
  }

  /** Resolves once no write is staged or in flight. */
  whenIdle(): Promise<void> {
    if (!this.inFlight && !this.flushScheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.inFlight) return;
    if (this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
      return;
    }
    // A microtask lets writes issued in the same turn join the first batch.
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight || this.queue.length === 0) return;
    const batch = this.takeBatch();
    this.inFlight = true;
    let failed = false;
    let failure: unknown;
    try {
      await this.persistence.commit(batch.map((pending) => pending.write));
    } catch (error) {
      failed = true;
      failure = error;
    }
    this.inFlight = false;
    if (failed) this.abort(batch, failure);
    else this.apply(batch);
    this.scheduleFlush();
  }

  private takeBatch(): Pending[] {
    let count = 0;
    let bytes = 0;
    for (const pending of this.queue) {
      if (count >= this.maxBatchWrites) break;
      if (count > 0 && bytes + pending.write.encoded.length > this.maxBatchBytes) break;
      bytes += pending.write.encoded.length;
      count++;
    }
    return this.queue.splice(0, count);
  }

  private apply(batch: Pending[]): void {
    this.counters.batches++;
    this.counters.writes += batch.length;
    for (const { write } of batch) {
      const { event } = write;
      const key = event.kv.key;
      const previous = this.index.get(key);
      if (previous) this.bytes -= previous.size;
      if (event.type === "PUT") {
        this.index.set(key, { kv: event.kv, size: write.encoded.length });
        this.bytes += write.encoded.length;
      } else {
        this.index.delete(key);
      }
      this.durableRevision = event.revision;
      this.history.append(event);
      if (this.staged.get(key)?.revision === event.revision) {
        this.staged.delete(key);
        this.wakeKey(key);
      }
      for (const watcher of this.watchers) this.deliver(watcher, event);
    }
    for (const pending of batch) pending.resolve();
  }

  private abort(batch: Pending[], failure: unknown): void {
    this.counters.failedBatches++;
    const later = this.queue;
    this.queue = [];
    this.staged.clear();
    for (const key of [...this.keyWaiters.keys()]) this.wakeKey(key);
    this.stagedRevision = this.durableRevision;
    for (const pending of batch) pending.reject(failure);
    const aborted = new StorageError("write aborted: an earlier write it was queued behind failed to commit", { cause: failure });
    for (const pending of later) pending.reject(aborted);
  }

  // ---- watch ----------------------------------------------------------------------------------

  watch<V>(options: WatchOptions, onEvent: (event: WatchEvent<V>) => void): Watcher {
    const { prefix, afterRevision } = options;
    if (afterRevision < this.history.start) throw new ExpiredError(afterRevision, this.history.start);
    const state: WatchState = { prefix, onEvent: onEvent as (event: WatchEvent) => void, delivered: afterRevision, active: true };
    this.watchers.add(state);
    for (const event of this.history.after(afterRevision)) {
      if (!state.active) break;
      this.deliver(state, event);
    }
    return {
      cancel: () => {
        state.active = false;
        this.watchers.delete(state);
      },
    };
  }

  /** Delivers each revision at most once per watcher, in order; a throwing watcher is cancelled. */
  private deliver(state: WatchState, event: WatchEvent): void {
    if (!state.active || event.revision <= state.delivered) return;
    state.delivered = event.revision;
    if (!event.kv.key.startsWith(state.prefix)) return;
    try {
      state.onEvent(event);
    } catch (error) {
      state.active = false;
      this.watchers.delete(state);
      this.onWatcherError(error);
    }
  }

  // ---- compaction -----------------------------------------------------------------------------

  async compact(revision: Revision): Promise<void> {
    if (revision > this.durableRevision) throw new FutureRevisionError(revision, this.durableRevision);
    this.history.compact(revision);
    if (revision > this.persistedCompaction && this.persistence.compact) {
      await this.persistence.compact(revision);
    }
    this.persistedCompaction = Math.max(this.persistedCompaction, revision);
  }
}

export function createMemoryBackend(options: MemoryBackendOptions = {}): MemoryBackend {
  return new MemoryBackend(options);
}

/** One write as the persistence hook receives it. */
export interface CommittedWrite {
  /**
   * The event the write produces. PUT: `kv` is the new value (createRevision kept across
   * updates). DELETE: `kv` is the last value with the delete's revision as modRevision.
   * `prevKv` is the value before (null on create).
   */
  readonly event: WatchEvent;
  /** JSON text of `event.kv.value`. */
  readonly encoded: string;
}

/** Where the engine makes writes durable. */
export interface Persistence {
  /**
   * Makes a batch of writes (consecutive revisions, in order) durable atomically. Called with one
   * batch at a time. Resolve only when durable; reject when none of it is.
   */
  commit(batch: readonly CommittedWrite[]): Promise<void>;
  /** Discards durable history up to and including `revision` (current values stay). */
  compact?(revision: Revision): Promise<void>;
}

export interface MemoryBackendOptions {
  /** Defaults to none: writes become durable at the next microtask. */
  persistence?: Persistence;
  /** Events kept for watches and reads at older revisions (default 10,000). */
  historyLimit?: number;
  /** Most writes per batch handed to persistence (default 1,000). */
  maxBatchWrites?: number;
  /** Most encoded bytes per batch, unless a single write is larger (default 8 MiB). */
  maxBatchBytes?: number;
  /** Called when a watcher's callback throws (the watcher is cancelled). */
  onWatcherError?: (error: unknown) => void;
}

/** Loaded state to build an engine from. */
export interface Snapshot {
  /** The newest durable revision. */
  revision: Revision;
  /** History at or below this revision is gone. */
  compactedRevision: Revision;
  /** Current values (need not be frozen; values are frozen in place). */
  items: readonly KeyValue[];
  /** JSON text length of each item's value, when known (computed otherwise). */
  itemSizes?: readonly number[];
  /** The newest events, contiguous and ending at `revision` (may be empty); frozen in place. */
  history: readonly WatchEvent[];
}

export interface PipelineStats {
  /** Batches made durable. */
  batches: number;
  /** Writes in those batches. */
  writes: number;
  /** Batches whose persistence failed. */
  failedBatches: number;
}

interface Entry {
  readonly kv: KeyValue;
  /** JSON text length of the value. */
  readonly size: number;
}

interface Pending {
  readonly write: CommittedWrite;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface WatchState {
  readonly prefix: string;
  readonly onEvent: (event: WatchEvent) => void;
  /** The newest revision this watcher has been offered. */
  delivered: Revision;
  active: boolean;
}

const immediate: Persistence = { commit: () => Promise.resolve() };

function checkExisting(key: string, current: KeyValue | null, precondition: Precondition | undefined): StorageError | null {
  if (!current) return new NotFoundError(key);
  const expected = precondition?.expectedModRevision;
  if (expected !== undefined && expected !== current.modRevision) return new ConflictError(key, expected, current.modRevision);
  return null;
}

function freezeKv(kv: KeyValue): KeyValue {
  deepFreeze(kv.value);
  return Object.isFrozen(kv) ? kv : Object.freeze({ ...kv });
}

function checkSnapshot(snapshot: Snapshot): void {
  const { revision, compactedRevision, history } = snapshot;
  if (compactedRevision > revision) throw new RangeError(`snapshot compacted revision ${compactedRevision} is after its revision ${revision}`);
  const last = history[history.length - 1];
  if (last && last.revision !== revision) throw new RangeError(`snapshot history ends at ${last.revision}, not at revision ${revision}`);
}
