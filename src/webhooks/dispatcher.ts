/**
 * The delivery loop of one sandbox: one lane per endpoint, fed with the outbox's messages in
 * `seq` order.
 *
 * Contract (what a receiver may rely on, see also payload.ts):
 * - At least once: a message is sent until an attempt gets a 2xx, its retries run out, or the
 *   endpoint is disabled. After a restart, everything after the endpoint's persisted cursor is
 *   sent again (with the same `webhook-id`).
 * - First attempts leave each endpoint in `seq` order (which is resourceVersion order), up to
 *   `window` at a time, so they may arrive slightly out of order; a receiver orders by the
 *   payload's resourceVersion.
 * - A failed message blocks its endpoint's newer messages until it is delivered or given up
 *   (head-of-line): while an endpoint is failing, only its oldest failed message is retried and
 *   nothing newer leaves; once it is delivered, the other failed messages follow at once, oldest
 *   first, then the rest. (Messages already in flight when the first failure came back may
 *   have failed too: they are among those retried.) Other endpoints are never delayed by it.
 * - Retries follow schedule.ts on the sandbox's schedule clock (`clock:advance` brings them
 *   forward); 410 Gone disables the endpoint at once, and a message whose retries ran out (about
 *   three days) disables it too. A disabled endpoint keeps its cursor: `enable` resumes there.
 *
 * Memory holds at most `maxQueued` messages per endpoint; beyond that the lane "spills" and
 * reads the rest back from the outbox (`deps.load`) as it drains — the same path a restart takes.
 */
import { outcomeOf, retryAfterMs, type Outcome } from "./schedule";

export interface Message {
  /** Position in the sandbox's outbox; also orders deliveries. */
  readonly seq: number;
  /** The `webhook-id`, the same on every attempt. */
  readonly id: string;
  /** The payload, sent and signed as is. */
  readonly body: string;
}

export interface Endpoint {
  readonly id: string;
  readonly url: string;
  /** Signing secrets, newest first (two during a rotation). */
  readonly secrets: readonly string[];
}

/** What one HTTP attempt returned (attempt.ts). `status` null: no response (timeout, network, refused URL). */
export interface AttemptResult {
  readonly status: number | null;
  readonly latencyMs: number;
  readonly error?: string;
  readonly responseSnippet?: string;
  readonly retryAfter?: string | null;
}

export type DeliveryState = "delivered" | "retrying" | "failed" | "disabled";

/** One attempt, as the delivery log keeps it. */
export interface DeliveryRecord {
  readonly endpointId: string;
  readonly seq: number;
  readonly id: string;
  readonly attempt: number;
  /** Wall-clock ms when the attempt ended. */
  readonly at: number;
  readonly status: number | null;
  readonly latencyMs: number;
  readonly error?: string;
  readonly responseSnippet?: string;
  readonly state: DeliveryState;
  /** Schedule-clock ms of the next attempt (state "retrying"). */
  readonly nextAttemptAt: number | null;
}

/** A lane's durable progress: every message at or below `through` is done with. */
export interface Cursor {
  through: number;
  /** Messages after `through` that failed and wait for a retry: attempts made and when the next is due (schedule ms). */
  retrying: { seq: number; attempts: number; nextAt: number }[];
  disabled: boolean;
}

export interface DispatcherDeps {
  send(endpoint: Endpoint, message: Message, attempt: number): Promise<AttemptResult>;
  /** Messages for the endpoint with seq > `afterSeq`, ascending, at most `limit`. */
  load(endpointId: string, afterSeq: number, limit: number): Promise<Message[]>;
  saveCursor(endpointId: string, cursor: Cursor): void;
  record(delivery: DeliveryRecord): void;
  /** The endpoint was disabled here (410 Gone, or retries ran out). */
  disabled(endpointId: string, reason: string): void;
  /** Ask to be woken (`wake()`) at this schedule time; null: nothing due. */
  wakeAt(at: number | null): void;
  /** The schedule clock (ms): what retries are due on. */
  now(): number;
  /** Wall-clock ms, for the log. */
  wallNow(): number;
  /** Schedule ms a simulated duration takes (the sandbox clock's speed). */
  delayFor(simulatedMs: number): number;
  random(): number;
  /** Sends in flight per endpoint (default 8). */
  window?: number;
  /** Messages kept in memory per endpoint before spilling to the outbox (default 1,000). */
  maxQueued?: number;
}

/** While messages are under way, the longest wait between wake-ups (schedule ms). */
const WATCHDOG_MS = 30_000;

interface Retry {
  message: Message;
  attempts: number;
  nextAt: number;
  inFlight: boolean;
}

class Lane {
  /** Messages not yet sent, ascending. */
  queue: Message[] = [];
  /** Sent, awaiting the answer of their first attempt. */
  readonly inFlight = new Set<number>();
  /** Failed messages waiting for their next attempt, by seq. */
  readonly retries = new Map<number, Retry>();
  /** Seq after which messages exist only in the outbox (null: memory holds all of them). */
  spilledAfter: number | null = null;
  loading = false;
  /** Messages dropped for spilling while a load was running (the load may have missed them). */
  droppedWhileLoading = 0;
  /** The highest seq handed to this lane (sent, queued or spilled); null until the outbox was read once. */
  lastSeq: number | null = null;
  /** Retry state of persisted retries whose messages have not been read back yet, by seq. */
  readonly restoredRetries: Map<number, { attempts: number; nextAt: number }>;
  constructor(
    public endpoint: Endpoint,
    public cursor: Cursor,
  ) {
    this.restoredRetries = new Map(cursor.retrying.map((r) => [r.seq, r]));
  }

  /** The lowest seq not yet done with, or null. */
  firstOpen(): number | null {
    let first: number | null = this.queue[0]?.seq ?? (this.spilledAfter !== null ? this.spilledAfter + 1 : null);
    for (const seq of this.inFlight) if (first === null || seq < first) first = seq;
    for (const seq of this.retries.keys()) if (first === null || seq < first) first = seq;
    return first;
  }
}

export class Dispatcher {
  private readonly lanes = new Map<string, Lane>();
  private readonly window: number;
  private readonly maxQueued: number;
  /** Lanes whose cursor changed since the last save. */
  private readonly dirty = new Set<Lane>();
  private saveScheduled = false;
  /** The wake-up time last asked for (undefined: none asked yet). */
  private requestedWake: number | null | undefined;

  constructor(private readonly deps: DispatcherDeps) {
    this.window = deps.window ?? 32;
    this.maxQueued = deps.maxQueued ?? 1000;
  }

  /**
   * Starts (or updates) the lane of an endpoint. `cursor` is its persisted progress; a lane
   * without one starts after `startAfter` (new endpoints get only what happens from now on).
   * Everything after the cursor is read back from the outbox.
   */
  open(endpoint: Endpoint, cursor: Cursor | null, startAfter: number): void {
    const existing = this.lanes.get(endpoint.id);
    if (existing) {
      existing.endpoint = endpoint;
      return;
    }
    const lane = new Lane(endpoint, cursor ?? { through: startAfter, retrying: [], disabled: false });
    this.lanes.set(endpoint.id, lane);
    if (!cursor) this.markDirty(lane);
    lane.spilledAfter = lane.cursor.through;
    this.pump(lane);
  }

  /** Stops an endpoint's lane (deleted endpoint); sends in flight finish unrecorded. */
  close(endpointId: string): void {
    this.lanes.delete(endpointId);
  }

  closeAll(): void {
    this.lanes.clear();
  }

  has(endpointId: string): boolean {
    return this.lanes.has(endpointId);
  }

  /** A committed message for these endpoints (messages must arrive in seq order). */
  enqueue(message: Message, endpointIds: readonly string[]): void {
    for (const id of endpointIds) {
      const lane = this.lanes.get(id);
      if (!lane || message.seq <= lane.cursor.through || (lane.lastSeq !== null && message.seq <= lane.lastSeq)) continue;
      if (lane.lastSeq !== null) lane.lastSeq = message.seq;
      if (lane.spilledAfter !== null || lane.queue.length >= this.maxQueued) {
        lane.spilledAfter ??= lane.queue.at(-1)?.seq ?? lane.cursor.through;
        if (lane.loading) lane.droppedWhileLoading++;
      } else {
        lane.queue.push(message);
      }
      this.pump(lane);
    }
  }

  /** Re-enables a disabled endpoint: its lane resumes after its cursor. */
  enable(endpointId: string): void {
    const lane = this.lanes.get(endpointId);
    if (!lane || !lane.cursor.disabled) return;
    lane.cursor.disabled = false;
    for (const retry of lane.retries.values()) retry.nextAt = Math.min(retry.nextAt, this.deps.now());
    this.markDirty(lane);
    this.pump(lane);
  }

  /** Disables a lane; `reason` null: the endpoint is already recorded as disabled (nothing is reported). */
  disable(endpointId: string, reason: string | null): void {
    const lane = this.lanes.get(endpointId);
    if (!lane || lane.cursor.disabled) return;
    if (reason === null) {
      lane.cursor.disabled = true;
      this.markDirty(lane);
    } else {
      this.disableLane(lane, reason);
    }
  }

  /** Every lane is done with every message at or below this seq. */
  doneThrough(): number {
    let done = Number.MAX_SAFE_INTEGER;
    for (const lane of this.lanes.values()) done = Math.min(done, lane.cursor.through);
    return done === Number.MAX_SAFE_INTEGER ? 0 : done;
  }

  /** Runs what is due (retries whose time came) and asks to be woken for the next. */
  wake(): void {
    for (const lane of this.lanes.values()) this.pump(lane);
    this.requestWake();
  }

  /**
   * The schedule time of the earliest retry, or null. While a lane has messages under way, at
   * most two {@link WATCHDOG_MS} from now: should the process be evicted meanwhile, that wake-up
   * resumes them from the outbox.
   */
  nextWakeAt(): number | null {
    let next: number | null = null;
    const now = this.deps.now();
    for (const lane of this.lanes.values()) {
      if (lane.cursor.disabled) continue;
      const head = headRetry(lane);
      if (head && !head.inFlight && (next === null || head.nextAt < next)) next = head.nextAt;
      const underWay = lane.inFlight.size > 0 || (lane.retries.size === 0 && (lane.queue.length > 0 || lane.spilledAfter !== null));
      // Rounded up to a whole watchdog period, so the wanted time moves only once a period.
      const watchdog = Math.ceil((now + WATCHDOG_MS) / WATCHDOG_MS) * WATCHDOG_MS;
      if (underWay && (next === null || watchdog < next)) next = watchdog;
    }
    return next;
  }

  /** Messages waiting per endpoint (queued, in flight, retrying; spilled ones not counted). */
  backlog(endpointId: string): number | null {
    const lane = this.lanes.get(endpointId);
    return lane ? lane.queue.length + lane.inFlight.size + lane.retries.size : null;
  }

  /** Sends one message again, outside the lane's order (`:redeliver`); resolves with the attempt. */
  async redeliver(endpointId: string, message: Message, attempt: number): Promise<DeliveryRecord | null> {
    const lane = this.lanes.get(endpointId);
    if (!lane) return null;
    const result = await this.deps.send(lane.endpoint, message, attempt);
    const delivered = isSuccess(result.status);
    const record = this.toRecord(lane, message, attempt, result, delivered ? "delivered" : "failed", null);
    this.deps.record(record);
    return record;
  }

  private pump(lane: Lane): void {
    if (lane.cursor.disabled || this.lanes.get(lane.endpoint.id) !== lane) return;
    // Head-of-line: only the oldest failed message is retried, and nothing newer leaves meanwhile.
    const head = headRetry(lane);
    if (head) {
      if (!head.inFlight && head.nextAt <= this.deps.now()) this.attempt(lane, head.message, head.attempts + 1, head);
      return;
    }
    while (lane.inFlight.size < this.window && lane.queue.length > 0) {
      const message = lane.queue.shift()!;
      lane.inFlight.add(message.seq);
      this.attempt(lane, message, 1, null);
    }
    if (lane.queue.length === 0 && lane.spilledAfter !== null && !lane.loading) void this.refill(lane);
  }

  private async refill(lane: Lane): Promise<void> {
    lane.loading = true;
    lane.droppedWhileLoading = 0;
    const after = lane.spilledAfter!;
    let messages: Message[];
    try {
      messages = await this.deps.load(lane.endpoint.id, after, this.maxQueued);
    } catch (error) {
      console.error(`webhooks: reading the outbox for ${lane.endpoint.id} failed`, error);
      lane.loading = false;
      return;
    }
    lane.loading = false;
    if (this.lanes.get(lane.endpoint.id) !== lane) return;
    for (const message of messages) {
      if (lane.inFlight.has(message.seq) || lane.retries.has(message.seq)) continue;
      const restored = lane.restoredRetries.get(message.seq);
      if (!restored) lane.queue.push(message);
      else lane.retries.set(message.seq, { message, ...restored, inFlight: false });
      lane.restoredRetries.delete(message.seq);
    }
    const last = messages.at(-1)?.seq ?? after;
    if (messages.length < this.maxQueued && lane.droppedWhileLoading === 0) {
      lane.spilledAfter = null;
      lane.lastSeq = Math.max(lane.lastSeq ?? last, last);
    } else {
      lane.spilledAfter = last;
    }
    if (lane.spilledAfter === null && lane.queue.length === 0) this.advance(lane);
    this.pump(lane);
  }

  private attempt(lane: Lane, message: Message, attempt: number, retry: Retry | null): void {
    if (retry) retry.inFlight = true;
    this.deps
      .send(lane.endpoint, message, attempt)
      .catch((error): AttemptResult => ({ status: null, latencyMs: 0, error: String(error) }))
      .then((result) => this.settle(lane, message, attempt, result));
  }

  private settle(lane: Lane, message: Message, attempt: number, result: AttemptResult): void {
    if (this.lanes.get(lane.endpoint.id) !== lane) return;
    lane.inFlight.delete(message.seq);
    const outcome: Outcome = outcomeOf(attempt, result.status, retryAfterMs(result.retryAfter ?? null, this.deps.wallNow()), this.deps.random());
    let nextAt: number | null = null;
    let state: DeliveryState;
    switch (outcome.kind) {
      case "delivered":
        state = "delivered";
        // The endpoint is back: the next failed message, if any, is due at once.
        if (lane.retries.delete(message.seq)) for (const retry of lane.retries.values()) retry.nextAt = Math.min(retry.nextAt, this.deps.now());
        break;
      case "retry":
        state = "retrying";
        nextAt = this.deps.now() + this.deps.delayFor(outcome.afterMs);
        lane.retries.set(message.seq, { message, attempts: attempt, nextAt, inFlight: false });
        break;
      case "failed":
      case "disable":
        state = outcome.kind === "failed" ? "failed" : "disabled";
        lane.retries.delete(message.seq);
        this.disableLane(lane, outcome.kind === "failed" ? `a message failed for good after ${attempt} attempts` : `the endpoint answered ${result.status} Gone`);
        break;
    }
    this.deps.record(this.toRecord(lane, message, attempt, result, state, nextAt));
    this.advance(lane);
    this.pump(lane);
    this.requestWake();
  }

  private disableLane(lane: Lane, reason: string): void {
    if (lane.cursor.disabled) return;
    lane.cursor.disabled = true;
    this.deps.disabled(lane.endpoint.id, reason);
  }

  /** Moves the cursor to just before the first message not yet done with. */
  private advance(lane: Lane): void {
    const first = lane.firstOpen();
    const through = first === null ? (lane.lastSeq ?? lane.cursor.through) : first - 1;
    const retrying = [...lane.retries.values()].map((r) => ({ seq: r.message.seq, attempts: r.attempts, nextAt: r.nextAt }));
    if (through === lane.cursor.through && retrying.length === 0 && lane.cursor.retrying.length === 0) return;
    lane.cursor.through = Math.max(lane.cursor.through, through);
    lane.cursor.retrying = retrying;
    this.markDirty(lane);
  }

  /** Cursor saves are coalesced: at most one per lane per microtask turn. */
  private markDirty(lane: Lane): void {
    this.dirty.add(lane);
    if (this.saveScheduled) return;
    this.saveScheduled = true;
    queueMicrotask(() => {
      this.saveScheduled = false;
      for (const dirty of this.dirty) {
        if (this.lanes.get(dirty.endpoint.id) === dirty) this.deps.saveCursor(dirty.endpoint.id, { ...dirty.cursor, retrying: [...dirty.cursor.retrying] });
      }
      this.dirty.clear();
    });
  }

  /** Asks to be woken when the wanted time changed since the last ask. */
  private requestWake(): void {
    const next = this.nextWakeAt();
    if (next === this.requestedWake) return;
    this.requestedWake = next;
    this.deps.wakeAt(next);
  }

  private toRecord(lane: Lane, message: Message, attempt: number, result: AttemptResult, state: DeliveryState, nextAttemptAt: number | null): DeliveryRecord {
    return {
      endpointId: lane.endpoint.id,
      seq: message.seq,
      id: message.id,
      attempt,
      at: this.deps.wallNow(),
      status: result.status,
      latencyMs: result.latencyMs,
      error: result.error,
      responseSnippet: result.responseSnippet,
      state,
      nextAttemptAt,
    };
  }
}

/** The lane's oldest failed message. */
function headRetry(lane: Lane): Retry | undefined {
  let head: Retry | undefined;
  for (const retry of lane.retries.values()) if (!head || retry.message.seq < head.message.seq) head = retry;
  return head;
}

const isSuccess = (status: number | null) => status !== null && status >= 200 && status < 300;
