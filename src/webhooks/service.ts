/**
 * A sandbox's event webhooks, assembled: the endpoints it delivers to, the outbox rows its
 * commits carry (`prepare`, the D1 backend's batch hook), the dispatcher sending them, and the
 * delivery log. The Durable Object builds one per loaded sandbox and wires its alarm to
 * `nextWakeAt` / `wake`.
 */
import type { SqlStatement } from "../storage/d1-sql";
import { bind } from "../storage/d1";
import type { CommittedWrite } from "../storage/memory";
import { attempt } from "./attempt";
import { DeliveryLog, type DeliverySummary, type SqlExec } from "./delivery-log";
import { Dispatcher, type DeliveryRecord, type Message } from "./dispatcher";
import { signingSecrets, type WebhookEndpoint } from "./endpoints";
import { compileFilter, type LifecycleType } from "./filter";
import { lastSeqStatement, messageId, messageStatement, Outbox, pendingStatement, pruneStatement, seqOfMessageId, type Routed } from "./outbox";
import { payload, routeLifecycle, routeWrite, type Subscriber } from "./payload";
import { signedHeaders } from "./signing";

export interface WebhookServiceDeps {
  sandboxId: string;
  db: D1Database;
  sql: SqlExec;
  fetch: typeof fetch;
  allowLoopbackHttp: boolean;
  /** The sandbox's schedule clock (ms) and how long a simulated duration takes on it. */
  scheduleNow(): number;
  delayFor(simulatedMs: number): number;
  /** Wall-clock ms. */
  now(): number;
  /** The sandbox's current revision (for messages not caused by a write). */
  revision(): number;
  /** Ask the Durable Object to call `wake()` at this schedule time (null: nothing due). */
  wakeAt(at: number | null): void;
  /** Record in D1 that the endpoint was disabled. */
  disableEndpoint(endpointId: string, reason: string): Promise<void>;
}

/** Outbox rows delivered or not are kept this long for `:redeliver`, and nothing longer than the retry horizon. */
const KEEP_DELIVERED_MS = 24 * 3600_000;
const KEEP_ANY_MS = 4 * 24 * 3600_000;
const PRUNE_EVERY_MS = 60_000;


/** The highest seq the sandbox's outbox has used (0: none). */
export async function lastOutboxSeq(db: D1Database, sandboxId: string): Promise<number> {
  const row = await bind(db, lastSeqStatement(sandboxId)).first<{ seq: number | null }>();
  return row?.seq ?? 0;
}

export class WebhookService {
  private endpoints = new Map<string, WebhookEndpoint>();
  private subscribers: Subscriber[] = [];
  private readonly log: DeliveryLog;
  private readonly dispatcher: Dispatcher;
  private readonly outbox: Outbox;
  private lastPrune = 0;

  private constructor(
    private readonly deps: WebhookServiceDeps,
    lastSeq: number,
  ) {
    this.log = new DeliveryLog(deps.sql);
    this.outbox = new Outbox(deps.sandboxId, lastSeq, (write) => this.route(write), deps.now);
    this.dispatcher = new Dispatcher({
      send: (endpoint, message) => this.send(endpoint.url, endpoint.secrets, message.id, message.body),
      load: async (endpointId, afterSeq, limit) => {
        const { results } = await bind(deps.db, pendingStatement(deps.sandboxId, endpointId, afterSeq, limit)).all<{ seq: number; body: string }>();
        return results.map((row) => this.message(row.seq, row.body));
      },
      saveCursor: (endpointId, cursor) => this.log.saveCursor(endpointId, cursor),
      record: (record: DeliveryRecord) => this.log.record(record),
      disabled: (endpointId, reason) => void this.endpointDisabled(endpointId, reason),
      wakeAt: () => deps.wakeAt(this.nextWakeAt()),
      now: deps.scheduleNow,
      wallNow: deps.now,
      delayFor: deps.delayFor,
      random: Math.random,
    });
  }

  /** Delivers to `endpoints` from their cursors; `lastSeq` is where the outbox stands ({@link lastOutboxSeq}). */
  static start(deps: WebhookServiceDeps, endpoints: readonly WebhookEndpoint[], lastSeq: number): WebhookService {
    const service = new WebhookService(deps, lastSeq);
    service.reload(endpoints);
    return service;
  }

  /** The D1 backend's batch hook: the outbox rows of a batch, handed to the dispatcher once committed. */
  prepare(batch: readonly CommittedWrite[]): { statements: SqlStatement[]; committed(): void } | null {
    if (this.subscribers.length === 0) return null;
    const prepared = this.outbox.forWrites(batch);
    return prepared && { statements: prepared.statements, committed: () => this.enqueue(prepared.rows) };
  }

  /** Takes the current endpoints (after any change through the management API). */
  reload(endpoints: readonly WebhookEndpoint[]): void {
    const now = this.deps.now();
    const next = new Map(endpoints.map((e) => [e.id, e]));
    for (const id of this.endpoints.keys()) {
      if (next.has(id)) continue;
      this.dispatcher.close(id);
      this.log.forget(id);
    }
    this.endpoints = next;
    this.subscribers = endpoints.map((e) => ({ id: e.id, filter: compileFilter(e.filter) }));
    for (const e of endpoints) {
      const known = this.dispatcher.has(e.id);
      const cursor = known ? null : this.log.cursor(e.id);
      this.dispatcher.open({ id: e.id, url: e.url, secrets: signingSecrets(e, now) }, cursor, this.outboxEnd());
      if (e.disabledAt === null) this.dispatcher.enable(e.id);
      else if (!cursor?.disabled) this.dispatcher.disable(e.id, null);
    }
  }

  /** `:test`: a ping to one endpoint, through its lane like any message. Null for an unknown endpoint. */
  async ping(endpointId: string): Promise<{ id: string } | null> {
    if (!this.endpoints.has(endpointId)) return null;
    const body = payload("webhook.ping", this.deps.sandboxId, this.deps.revision(), this.deps.now(), { endpointId });
    const [row] = await this.insert([{ body, endpoints: [endpointId] }]);
    return { id: messageId(this.deps.sandboxId, row!.seq) };
  }

  /** A lifecycle message to the endpoints that subscribe to it. */
  async lifecycle(type: LifecycleType, data: Record<string, unknown>): Promise<void> {
    const routed = routeLifecycle(this.deps.sandboxId, this.subscribers, type, this.deps.revision(), this.deps.now(), data);
    if (routed) await this.insert([routed]);
  }

  /**
   * The sandbox is being deleted: one attempt, now, per subscribed endpoint (there is no outbox
   * left to retry from afterwards).
   */
  async deliverFinal(type: LifecycleType, data: Record<string, unknown>): Promise<void> {
    const routed = routeLifecycle(this.deps.sandboxId, this.subscribers, type, this.deps.revision(), this.deps.now(), data);
    if (!routed) return;
    const id = `msg_${this.deps.sandboxId}_${type}`;
    await Promise.all(
      routed.endpoints.map((endpointId) => {
        const endpoint = this.endpoints.get(endpointId);
        if (!endpoint || endpoint.disabledAt !== null) return undefined;
        return this.send(endpoint.url, signingSecrets(endpoint, this.deps.now()), id, routed.body);
      }),
    );
  }

  deliveries(endpointId: string, limit: number): DeliverySummary[] | null {
    if (!this.endpoints.has(endpointId)) return null;
    return this.log.deliveries(endpointId, limit, (scheduleMs) => scheduleMs - this.deps.scheduleNow() + this.deps.now());
  }

  /** `:redeliver`: one more attempt of a message, now. Null when the endpoint or message is unknown (or pruned). */
  async redeliver(endpointId: string, id: string): Promise<DeliveryRecord | null> {
    const seq = seqOfMessageId(this.deps.sandboxId, id);
    if (seq === null || !this.endpoints.has(endpointId)) return null;
    const row = await bind(this.deps.db, messageStatement(this.deps.sandboxId, seq)).first<{ seq: number; body: string; endpoints: string }>();
    if (!row || !(JSON.parse(row.endpoints) as string[]).includes(endpointId)) return null;
    return this.dispatcher.redeliver(endpointId, this.message(row.seq, row.body), this.log.attempts(endpointId, seq) + 1);
  }

  /** Runs retries that fell due, and prunes the outbox now and then. */
  wake(): void {
    this.dispatcher.wake();
    const now = this.deps.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    const done = this.dispatcher.doneThrough();
    bind(this.deps.db, pruneStatement(this.deps.sandboxId, done, now - KEEP_DELIVERED_MS, now - KEEP_ANY_MS))
      .run()
      .catch((e) => console.error(`webhooks: pruning the outbox of ${this.deps.sandboxId} failed`, e));
  }

  /** Stops delivering (the sandbox was dropped from memory; a reload resumes from the cursors). */
  stop(): void {
    this.dispatcher.closeAll();
    this.log.flush();
  }

  /** The schedule time the dispatcher wants to run at next (null: idle). */
  nextWakeAt(): number | null {
    return this.dispatcher.nextWakeAt();
  }

  /** One signed attempt of a message. */
  private send(url: string, secrets: readonly string[], id: string, body: string) {
    const headers = signedHeaders(secrets, id, this.deps.now(), body);
    return attempt(url, body, headers, { fetch: this.deps.fetch, now: () => performance.now(), allowLoopbackHttp: this.deps.allowLoopbackHttp });
  }

  private route(write: CommittedWrite): Routed[] {
    return routeWrite(this.deps.sandboxId, this.subscribers, write, this.deps.now());
  }

  private message(seq: number, body: string): Message {
    return { seq, id: messageId(this.deps.sandboxId, seq), body };
  }

  private enqueue(rows: readonly { seq: number; body: string; endpoints: readonly string[] }[]): void {
    for (const row of rows) this.dispatcher.enqueue(this.message(row.seq, row.body), row.endpoints);
  }

  /** The highest seq handed out so far: new endpoints start after it. */
  private outboxEnd(): number {
    return this.outbox.lastSeq;
  }

  private async insert(routed: Routed[]) {
    const prepared = this.outbox.prepare(routed);
    await this.deps.db.batch(prepared.statements.map((s) => bind(this.deps.db, s)));
    this.enqueue(prepared.rows);
    return prepared.rows;
  }

  private async endpointDisabled(endpointId: string, reason: string): Promise<void> {
    const endpoint = this.endpoints.get(endpointId);
    if (!endpoint) return;
    endpoint.disabledAt = this.deps.now();
    endpoint.disabledReason = reason;
    try {
      await this.deps.disableEndpoint(endpointId, reason);
      await this.lifecycle("endpoint.disabled", { endpoint: { id: endpointId, url: endpoint.url, reason } });
    } catch (e) {
      console.error(`webhooks: recording that ${endpointId} is disabled failed`, e);
    }
  }
}
