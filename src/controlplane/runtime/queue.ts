/**
 * The one runtime queue that drives every controller of a sandbox, after controller-runtime's
 * workqueue (client-go `RateLimitingInterface` + delaying queue + the reconcile loop):
 *
 * - **Dedupe.** An item is `(controller, key)`, key `namespace/name` (or `name` if cluster-scoped).
 *   A queued item is queued once; enqueueing it again keeps the earlier due time.
 * - **Never concurrently.** An item being reconciled is not started again; enqueueing it meanwhile
 *   marks it dirty, and it is queued again once the running reconcile ends (client-go's dirty set).
 * - **Failure backoff.** A reconciler that throws (or rejects) is retried after the per-item
 *   backoff of the {@link RateLimiter} (5 ms doubling to 1000 s); a success resets it.
 * - **`requeueAfterMs`** in a reconcile result queues the item again after that simulated duration
 *   (0 or absent: not requeued, as controller-runtime).
 * - **Earliest wins** whenever several of these (dirty, backoff, requeueAfter) apply at once.
 *
 * Time: every due time is **schedule time** (`SandboxClock.scheduleNow()`), never `Date.now()`. Durations
 * given to the queue — `enqueue({ after })` and `requeueAfterMs` — are **simulated** durations and
 * are divided by the sandbox speed (`clock.realDelayFor`); controllers think in Kubernetes
 * durations. Failure backoff is real protection and is not scaled.
 *
 * {@link RuntimeQueue.runDue} is the body of the DO alarm: it runs what is due within a budget,
 * never throws, and returns the earliest remaining due time for the next alarm (see `coalesce.ts`).
 */
import { MinHeap } from "./heap";
import { ExponentialFailureRateLimiter, type RateLimiter } from "./rate-limiter";

/** What the queue needs from the sandbox clock. `SandboxClock` satisfies it. */
export interface QueueClock {
  /** Schedule time, epoch ms (jumps forward on clock:advance). */
  scheduleNow(): number;
  /** Sandbox-time ms that a simulated duration takes (`simulatedMs / speed`). */
  realDelayFor(simulatedMs: number): number;
}

export type ReconcileResult = { requeueAfterMs?: number } | void | undefined;
export type Reconciler = (key: string) => Promise<ReconcileResult>;
/** Reconcilers by controller name. */
export type Reconcilers = Readonly<Record<string, Reconciler>> | ReadonlyMap<string, Reconciler>;

export interface EnqueueOptions {
  /** Simulated delay (ms) from now; divided by the sandbox speed. */
  after?: number;
  /** Absolute due time in schedule time (ms); wins over `after`. */
  at?: number;
}

export interface RunBudget {
  /** Most reconciles one call starts (default {@link DEFAULT_BUDGET}.maxItems). */
  maxItems?: number;
  /** No reconcile is started once this much schedule time has passed since the call began. */
  maxMs?: number;
}

/** Sized for one alarm invocation: D1 allows 1,000 statements per invocation, CPU 30 s. */
export const DEFAULT_BUDGET: Required<RunBudget> = { maxItems: 200, maxMs: 5_000 };

export interface RunResult {
  /** Reconciles run (succeeded + failed). */
  processed: number;
  succeeded: number;
  failed: number;
  /** Items dropped because no reconciler is registered for their controller. */
  dropped: number;
  /** True when the budget ran out with work still due. */
  exhausted: boolean;
  /** Earliest due time left (sandbox ms; ≤ now when `exhausted`), or null when idle. */
  nextDueAt: number | null;
}

export interface ReconcileFailure {
  controller: string;
  key: string;
  error: unknown;
  /** Consecutive failures of this item, this one included (0 for a dropped item). */
  failures: number;
  /** Backoff before the retry (ms), or null when the item was dropped. */
  retryInMs: number | null;
}

export interface QueueOptions {
  clock: QueueClock;
  /** Per-item failure backoff; default client-go's 5 ms → 1000 s exponential limiter. */
  rateLimiter?: RateLimiter;
  /**
   * Reconciles run at once within one `runDue` (never two of the same item). More than 1 lets
   * writes of different reconciles share a D1 group commit. Default 1.
   */
  concurrency?: number;
  /** Told about every failed or dropped reconcile (logging, metrics). Its own errors are ignored. */
  onError?: (failure: ReconcileFailure) => void;
}

/** A queued item, as `pending()` and `toState()` list it. */
export interface QueuedItem {
  controller: string;
  key: string;
  /** Schedule time (ms). */
  dueAt: number;
}

interface Entry extends QueuedItem {
  seq: number;
}

interface HeapNode {
  id: string;
  dueAt: number;
  seq: number;
}

interface Processing {
  /** Earliest due time of enqueues that arrived while running, or null. */
  dirtyDueAt: number | null;
  startedAt: number;
}

const SEP = "\u0000";
const itemId = (controller: string, key: string) => controller + SEP + key;

function lookup(reconcilers: Reconcilers, controller: string): Reconciler | undefined {
  if (reconcilers instanceof Map) return reconcilers.get(controller);
  const record = reconcilers as Readonly<Record<string, Reconciler>>;
  return Object.prototype.hasOwnProperty.call(record, controller) ? record[controller] : undefined;
}

export class RuntimeQueue {
  private readonly clock: QueueClock;
  private readonly rateLimiter: RateLimiter;
  private readonly concurrency: number;
  private readonly onError?: (failure: ReconcileFailure) => void;

  private readonly entries = new Map<string, Entry>();
  private readonly heap = new MinHeap<HeapNode>((a, b) => a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq));
  private readonly processing = new Map<string, Processing>();
  private seq = 0;
  private running: Promise<RunResult> | null = null;

  constructor(options: QueueOptions) {
    this.clock = options.clock;
    this.rateLimiter = options.rateLimiter ?? new ExponentialFailureRateLimiter();
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.onError = options.onError;
  }

  /**
   * Queues `key` for `controller`, due now or after a simulated delay. Already queued: the earlier
   * due time wins. Being reconciled right now: it runs again after that reconcile ends.
   */
  enqueue(controller: string, key: string, options: EnqueueOptions = {}): void {
    let dueAt: number;
    if (options.at !== undefined) dueAt = options.at;
    else {
      const after = options.after ?? 0;
      dueAt = this.clock.scheduleNow() + (after > 0 ? this.clock.realDelayFor(after) : 0);
    }
    if (Number.isNaN(dueAt)) throw new RangeError(`enqueue ${controller} ${key}: due time is not a number`);
    this.addAt(controller, key, dueAt);
  }

  /** Drops a queued item, its pending re-run and its failure count (e.g. the controller is gone). */
  forget(controller: string, key: string): void {
    const id = itemId(controller, key);
    this.entries.delete(id); // its heap node goes stale and is skipped
    const running = this.processing.get(id);
    if (running) running.dirtyDueAt = null;
    this.rateLimiter.forget(id);
  }

  /** Is this item queued or running? */
  has(controller: string, key: string): boolean {
    const id = itemId(controller, key);
    return this.entries.has(id) || this.processing.has(id);
  }

  /** Queued items (not counting those running). */
  get size(): number {
    return this.entries.size;
  }

  /** Items being reconciled right now. */
  get inFlight(): number {
    return this.processing.size;
  }

  /** Consecutive failures recorded for an item. */
  failures(controller: string, key: string): number {
    return this.rateLimiter.numRequeues(itemId(controller, key));
  }

  /** The earliest queued due time (sandbox ms), or null when nothing is queued. */
  nextDueAt(): number | null {
    return this.peek()?.dueAt ?? null;
  }

  /** Queued items in due order (for debugging and tests). */
  pending(): QueuedItem[] {
    return [...this.entries.values()]
      .sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq)
      .map(({ controller, key, dueAt }) => ({ controller, key, dueAt }));
  }

  /**
   * Everything that must survive DO eviction: queued items plus those running (due again at the
   * time they started, since their reconcile may not have finished). Failure counts are not kept:
   * backoff restarts at its base after a restore. JSON-safe.
   */
  toState(): QueuedItem[] {
    const items = this.pending();
    for (const [id, running] of this.processing) {
      const [controller, key] = id.split(SEP);
      const dueAt = Math.min(running.startedAt, running.dirtyDueAt ?? Infinity);
      items.push({ controller, key, dueAt });
    }
    return items;
  }

  /** Queues items from {@link toState} (deduped against what is queued already). */
  restore(items: readonly QueuedItem[]): void {
    for (const { controller, key, dueAt } of items) this.addAt(controller, key, dueAt);
  }

  /**
   * Runs every item due at `nowMs` (schedule time; the horizon follows the clock as it moves during
   * the call, so work that becomes due meanwhile — another controller's key enqueued by a
   * reconcile — runs in the same call) until nothing is due or the budget is spent. What is left
   * stays queued. Never throws: reconciler errors become backoff. Overlapping calls join the one
   * in flight and get its result.
   */
  runDue(nowMs: number, reconcilers: Reconcilers, budget: RunBudget = {}): Promise<RunResult> {
    if (this.running) return this.running;
    const run = this.run(nowMs, reconcilers, budget).finally(() => {
      this.running = null;
    });
    this.running = run;
    return run;
  }

  private async run(nowMs: number, reconcilers: Reconcilers, budget: RunBudget): Promise<RunResult> {
    const maxItems = budget.maxItems ?? DEFAULT_BUDGET.maxItems;
    const maxMs = budget.maxMs ?? DEFAULT_BUDGET.maxMs;
    const startedAt = this.safeNow(nowMs);
    const result: RunResult = { processed: 0, succeeded: 0, failed: 0, dropped: 0, exhausted: false, nextDueAt: null };
    let started = 0;

    const horizon = () => Math.max(nowMs, this.safeNow(nowMs));
    const take = (): Entry | null => {
      const top = this.peek();
      if (!top || top.dueAt > horizon()) return null;
      if (started >= maxItems || this.safeNow(nowMs) - startedAt >= maxMs) {
        result.exhausted = true;
        return null;
      }
      this.heap.pop();
      const entry = this.entries.get(top.id)!;
      this.entries.delete(top.id);
      started++;
      return entry;
    };
    const worker = async () => {
      for (let entry = take(); entry; entry = take()) {
        const outcome = await this.process(entry, reconcilers);
        result[outcome]++;
        if (outcome !== "dropped") result.processed++;
      }
    };
    try {
      await Promise.all(Array.from({ length: this.concurrency }, worker));
    } catch {
      // process() catches everything; this is belt and braces so an alarm never throws.
    }
    result.nextDueAt = this.nextDueAt();
    if (result.exhausted && (result.nextDueAt === null || result.nextDueAt > horizon())) result.exhausted = false;
    return result;
  }

  private async process(entry: Entry, reconcilers: Reconcilers): Promise<"succeeded" | "failed" | "dropped"> {
    const { controller, key } = entry;
    const id = itemId(controller, key);
    const running: Processing = { dirtyDueAt: null, startedAt: entry.dueAt };
    this.processing.set(id, running);

    const reconciler = lookup(reconcilers, controller);
    if (!reconciler) {
      this.processing.delete(id);
      this.rateLimiter.forget(id);
      this.report({ controller, key, error: new Error(`no reconciler registered for controller "${controller}"`), failures: 0, retryInMs: null });
      return "dropped";
    }

    let failed = false;
    let error: unknown;
    let result: ReconcileResult;
    try {
      result = await reconciler(key);
    } catch (err) {
      failed = true;
      error = err;
    }

    this.processing.delete(id);
    const now = this.safeNow(entry.dueAt);
    let dueAt = running.dirtyDueAt ?? Infinity;
    if (failed) {
      let retryInMs: number;
      try {
        retryInMs = this.rateLimiter.when(id);
      } catch {
        retryInMs = 1000;
      }
      dueAt = Math.min(dueAt, now + retryInMs);
      this.report({ controller, key, error, failures: this.rateLimiter.numRequeues(id), retryInMs });
    } else {
      this.rateLimiter.forget(id);
      const requeueAfter = result && typeof result === "object" ? result.requeueAfterMs : undefined;
      if (typeof requeueAfter === "number" && requeueAfter > 0 && Number.isFinite(requeueAfter)) {
        dueAt = Math.min(dueAt, now + this.clock.realDelayFor(requeueAfter));
      }
    }
    if (dueAt !== Infinity) this.addAt(controller, key, dueAt);
    return failed ? "failed" : "succeeded";
  }

  private addAt(controller: string, key: string, dueAt: number): void {
    const id = itemId(controller, key);
    const running = this.processing.get(id);
    if (running) {
      running.dirtyDueAt = Math.min(running.dirtyDueAt ?? Infinity, dueAt);
      return;
    }
    const existing = this.entries.get(id);
    if (existing && existing.dueAt <= dueAt) return;
    const seq = ++this.seq;
    this.entries.set(id, { controller, key, dueAt, seq });
    this.heap.push({ id, dueAt, seq });
    // Superseded and forgotten entries leave stale heap nodes behind; drop them before they pile up.
    if (this.heap.size > 2 * this.entries.size + 1024) this.heap.retain((node) => this.entries.get(node.id)?.seq === node.seq);
  }

  /** The earliest live heap node, dropping stale ones (superseded or forgotten entries). */
  private peek(): HeapNode | undefined {
    for (let top = this.heap.peek(); top; top = this.heap.peek()) {
      if (this.entries.get(top.id)?.seq === top.seq) return top;
      this.heap.pop();
    }
    return undefined;
  }

  private safeNow(fallback: number): number {
    try {
      const now = this.clock.scheduleNow();
      return Number.isFinite(now) ? now : fallback;
    } catch {
      return fallback;
    }
  }

  private report(failure: ReconcileFailure): void {
    try {
      this.onError?.(failure);
    } catch {
      // a broken logger must not break the loop
    }
  }
}
