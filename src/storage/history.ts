import type { Revision, WatchEvent } from "./backend";

/**
 * The bounded window of recent events (the watch cache's history).
 *
 * Invariant: it holds exactly the events with revisions `start + 1 … end`, one per revision,
 * in order. `start` only grows: by `compact` and whenever appending exceeds the capacity.
 */
export class EventHistory {
  private events: WatchEvent[] = [];
  /** Index of the oldest retained event in `events` (dropped events are cleared lazily). */
  private head = 0;
  private startRevision: Revision;

  constructor(
    private readonly capacity: number,
    /** The revision just before the first event given (events must be contiguous after it). */
    start: Revision,
    initial: readonly WatchEvent[] = [],
  ) {
    if (!(capacity >= 1)) throw new RangeError(`history capacity must be at least 1, got ${capacity}`);
    this.startRevision = start;
    for (const event of initial) this.append(event);
  }

  /** Events at or below this revision are no longer available. */
  get start(): Revision {
    return this.startRevision;
  }

  /** The revision of the newest event (`start` when empty). */
  get end(): Revision {
    return this.startRevision + this.length;
  }

  get length(): number {
    return this.events.length - this.head;
  }

  append(event: WatchEvent): void {
    if (event.revision !== this.end + 1) {
      throw new Error(`history must be contiguous: expected revision ${this.end + 1}, got ${event.revision}`);
    }
    this.events.push(event);
    if (this.length > this.capacity) this.dropThrough(this.startRevision + 1);
  }

  /** Discards events up to and including `revision`; the window then starts after it. */
  compact(revision: Revision): void {
    if (revision <= this.startRevision) return;
    this.dropThrough(Math.min(revision, this.end));
    this.startRevision = revision;
  }

  /**
   * Events with revisions in (`after`, end], oldest first, as a copy (callers may run code that
   * appends or compacts while they walk it). `after` must be ≥ `start`.
   */
  after(after: Revision): WatchEvent[] {
    if (after < this.startRevision) throw new RangeError(`revision ${after} is before the history window (${this.startRevision})`);
    const from = this.head + Math.max(0, after - this.startRevision);
    return this.events.slice(from);
  }

  /** Events with revisions in (`after`, end], newest first. Do not change the history while iterating. */
  *newestFirst(after: Revision): IterableIterator<WatchEvent> {
    if (after < this.startRevision) throw new RangeError(`revision ${after} is before the history window (${this.startRevision})`);
    for (let rev = this.end; rev > after; rev--) yield this.events[this.head + rev - this.startRevision - 1]!;
  }

  private dropThrough(revision: Revision): void {
    const count = revision - this.startRevision;
    if (count <= 0) return;
    for (let i = 0; i < count; i++) (this.events as (WatchEvent | undefined)[])[this.head + i] = undefined;
    this.head += count;
    this.startRevision = revision;
    // Reclaim the dead prefix once it dominates the array, keeping appends amortised O(1).
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }
}
