/**
 * The storage contract of one sandbox, in etcd's vocabulary.
 *
 * Keys are strings such as `/registry/pods/default/web-1`; values are JSON-compatible objects that
 * the backend treats as opaque and returns deeply frozen (callers clone before changing them).
 * Every successful write gets the next revision of the sandbox, a strictly increasing integer
 * starting at 1. A write resolves only once it is durable; reads and watches never observe a
 * write that has not become durable.
 */
export type Revision = number;

export interface KeyValue<V = unknown> {
  readonly key: string;
  readonly value: V;
  /** Revision of the write that created this key (kept across updates). */
  readonly createRevision: Revision;
  /** Revision of the write that produced this value. */
  readonly modRevision: Revision;
}

export type WatchEventType = "PUT" | "DELETE";

export interface WatchEvent<V = unknown> {
  readonly type: WatchEventType;
  /** For PUT the new value; for DELETE the value the key had before it was deleted, with the delete's modRevision. */
  readonly kv: KeyValue<V>;
  /** The value before this event, or null when the key did not exist (a create). */
  readonly prevKv: KeyValue<V> | null;
  readonly revision: Revision;
}

export interface ListOptions {
  /** Only keys starting with this prefix. */
  prefix: string;
  /** At most this many items (0 or undefined: no limit). */
  limit?: number;
  /** Start strictly after this key (for paging). */
  startAfter?: string;
  /** Read at this revision instead of the current one; older than the compacted revision → ExpiredError. */
  revision?: Revision;
}

export interface ListResult<V = unknown> {
  items: KeyValue<V>[];
  /** The revision the list was read at. */
  revision: Revision;
  /** True when more keys matched than `limit` allowed. */
  more: boolean;
  /** How many matching keys remain after the returned page. */
  remaining: number;
}

export interface WatchOptions {
  prefix: string;
  /** Deliver events with a revision strictly greater than this; older than the compacted revision → ExpiredError. */
  afterRevision: Revision;
}

export interface Watcher {
  cancel(): void;
}

/** Mutation precondition: the key's current modRevision must equal this, or the write fails with ConflictError. */
export interface Precondition {
  expectedModRevision?: Revision;
}

export interface Backend {
  /** The revision of the newest durable write (0 for an empty sandbox). */
  readonly revision: Revision;
  /** Events older than or equal to this revision have been discarded. */
  readonly compactedRevision: Revision;
  /** Number of live keys and their encoded size in bytes (for quotas). */
  readonly stats: { keys: number; bytes: number };

  get<V>(key: string): KeyValue<V> | null;
  list<V>(options: ListOptions): ListResult<V>;

  /** Fails with AlreadyExistsError when the key exists. */
  create<V>(key: string, value: V): Promise<KeyValue<V>>;
  /** Fails with NotFoundError when the key is missing and ConflictError when the precondition fails. */
  update<V>(key: string, value: V, precondition?: Precondition): Promise<KeyValue<V>>;
  /** Fails with NotFoundError when the key is missing and ConflictError when the precondition fails. */
  delete<V>(key: string, precondition?: Precondition): Promise<KeyValue<V>>;

  /**
   * Calls `onEvent` for every event under the prefix after `afterRevision`, first the buffered
   * history, then live events, in revision order, each exactly once. Delivery is synchronous with
   * the commit that produced the event.
   */
  watch<V>(options: WatchOptions, onEvent: (event: WatchEvent<V>) => void): Watcher;

  /** Discards history up to and including `revision`. */
  compact(revision: Revision): Promise<void>;
}

export class StorageError extends Error {}
export class NotFoundError extends StorageError {
  constructor(readonly key: string) {
    super(`key not found: ${key}`);
  }
}
export class AlreadyExistsError extends StorageError {
  constructor(readonly key: string) {
    super(`key already exists: ${key}`);
  }
}
export class ConflictError extends StorageError {
  constructor(readonly key: string, readonly expected: Revision, readonly actual: Revision) {
    super(`revision conflict on ${key}: expected ${expected}, found ${actual}`);
  }
}
export class ExpiredError extends StorageError {
  constructor(readonly requested: Revision, readonly compacted: Revision) {
    super(`too old resource version: ${requested} (${compacted + 1})`);
  }
}
/** A read or compaction asked for a revision newer than the newest durable one. */
export class FutureRevisionError extends StorageError {
  constructor(readonly requested: Revision, readonly current: Revision) {
    super(`revision ${requested} is newer than the current revision ${current}`);
  }
}
