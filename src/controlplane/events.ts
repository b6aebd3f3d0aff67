/**
 * Records core/v1 Events the way client-go's event recorder does, through the registry like any
 * client: named `<object>.<hex timestamp>`, with the reporting component as source, and passed
 * through client-go's EventCorrelator (tools/record/events_cache.go) first:
 *
 * - **Counting**: an event identical to one recorded before (same source component and host,
 *   involved object kind/namespace/name/fieldPath/uid/apiVersion, type, reason and message) is not
 *   created again: the earlier Event is patched with `count + 1`, the new `lastTimestamp` and the
 *   message, so `kubectl describe` shows `(x3 over 2m)`. As upstream, identical events are matched
 *   by the cache alone, however long ago the first one was.
 * - **Aggregation**: when one source reports more than {@link AGGREGATE_MAX_EVENTS} − 1 different
 *   messages for the same object, type and reason, each less than
 *   {@link AGGREGATE_INTERVAL_MS} after the previous one, the further ones are folded into a
 *   single Event whose message is `(combined from similar events): <latest message>` and whose
 *   count grows.
 * - **Spam filter**: each source + object has a token bucket of {@link SPAM_BURST} events refilled
 *   with one every {@link SPAM_REFILL_MS}; an event (new or repeat) that finds it empty is dropped.
 *
 * The correlator's caches live in memory per Registry, each bounded to {@link EVENT_CACHE_SIZE}
 * entries (least recently used first out), as in client-go. A restarted sandbox gets a new Registry
 * and so forgets them: its first repeat creates a new Event, as a restarted component does
 * upstream. An Event deleted meanwhile (by hand, with its namespace, by the TTL) is created again
 * under its old name with the counted `count` and `firstTimestamp`, as client-go falls back to
 * create when the patch answers 404.
 *
 * Recording is serialised per Registry (upstream's broadcaster has one goroutine), so that two
 * concurrent repeats cannot both create. An event the API server rejects (namespace gone or
 * terminating, invalid) is dropped, as upstream drops it after logging: `recordEvent` resolves.
 * Times are the wall-clock `nowMs` the caller passes, the same clock as the Event timestamps.
 *
 * Events expire {@link EVENT_TTL_MS} after their last write (kube-apiserver `--event-ttl`, an etcd
 * lease renewed on every write): {@link eventTTLReconciler} deletes them.
 */
import { selectEverything } from "../registry/selection";
import { StatusError } from "../apiserver/status";
import { formatTime } from "../registry/clock";
import type { Registry } from "../registry/registry";
import type { KObject, UserInfo } from "../registry/types";
import type { Reconciler } from "./runtime";
import { getOrNull, isConflictOrNotFound, isNotFound, splitKey } from "./controllers/workloads";

export interface EventSpec {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  /** The reporting component, e.g. `default-scheduler`, `kubelet`. */
  component: string;
  /** The reporting instance (node name for a kubelet), if any. */
  host?: string;
}

/** client-go's maxLruCacheEntries: the bound of each correlator cache. */
export const EVENT_CACHE_SIZE = 4096;
/** client-go's defaultAggregateMaxEvents: distinct messages that make a group aggregate. */
export const AGGREGATE_MAX_EVENTS = 10;
/** client-go's defaultAggregateIntervalInSeconds: a similar event later than this starts a new group. */
export const AGGREGATE_INTERVAL_MS = 600_000;
/** client-go's defaultSpamBurst: events a source may send about one object at once. */
export const SPAM_BURST = 25;
/** client-go's defaultSpamQPS (1/300): one more event per source and object every 5 minutes. */
export const SPAM_REFILL_MS = 300_000;
/** kube-apiserver's default `--event-ttl`. */
export const EVENT_TTL_MS = 3_600_000;
/** client-go's EventAggregatorByReasonMessageFunc prefix. */
export const COMBINED_PREFIX = "(combined from similar events): ";

// ---- a small LRU map ----------------------------------------------------------------------------

/** A Map bounded to `capacity` entries that drops the least recently read or written one. */
export class LruMap<V> {
  private readonly entries = new Map<string, V>();
  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

// ---- the correlator -----------------------------------------------------------------------------

/** Messages seen in one group of similar events, and when the last one came. */
interface AggregateRecord {
  messages: Set<string>;
  lastMs: number;
}

/** What the recorder knows of an Event it wrote: enough to patch it. */
interface Observation {
  name: string;
  count: number;
  firstTimestamp: string;
}

interface TokenBucket {
  tokens: number;
  lastMs: number;
}

interface Correlator {
  aggregates: LruMap<AggregateRecord>;
  observations: LruMap<Observation>;
  spam: LruMap<TokenBucket>;
  /** Per Event name, the end of its chain of writes (never rejects): a repeat waits for the create. */
  writing: Map<string, Promise<void>>;
}

const correlators = new WeakMap<Registry, Correlator>();

function correlatorOf(registry: Registry): Correlator {
  let c = correlators.get(registry);
  if (!c) {
    c = { aggregates: new LruMap(EVENT_CACHE_SIZE), observations: new LruMap(EVENT_CACHE_SIZE), spam: new LruMap(EVENT_CACHE_SIZE), writing: new Map() };
    correlators.set(registry, c);
  }
  return c;
}

const joinKey = (parts: unknown[]) => parts.map((p) => String(p ?? "")).join("\u0000");

/** Source and involved object: the spam filter's key (client-go getSpamKey). */
function sourceObjectParts(e: KObject): unknown[] {
  const o = e.involvedObject ?? {};
  return [e.source?.component, e.source?.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion];
}

/** Everything that makes two events the same occurrence (client-go getEventKey). */
function eventKey(e: KObject): string {
  const o = e.involvedObject ?? {};
  return joinKey([e.source?.component, e.source?.host, o.kind, o.namespace, o.name, o.fieldPath, o.uid, o.apiVersion, e.type, e.reason, e.message]);
}

/** Everything but the message (client-go EventAggregatorByReasonFunc). */
function aggregateKey(e: KObject): string {
  return joinKey([...sourceObjectParts(e), e.type, e.reason, e.reportingComponent, e.reportingInstance]);
}

/** Takes a token from a bucket that holds up to {@link SPAM_BURST} and refills one per {@link SPAM_REFILL_MS}. */
function tryAccept(bucket: TokenBucket, nowMs: number): boolean {
  bucket.tokens = Math.min(SPAM_BURST, bucket.tokens + Math.max(0, nowMs - bucket.lastMs) / SPAM_REFILL_MS);
  bucket.lastMs = nowMs;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

/** What to write for a new event: nothing (spam), a new Event, or a count patch of an earlier one. */
type Correlation = { skip: true } | { skip: false; event: KObject; patch: boolean };

/** EventCorrelate: aggregate, then count, then filter. Updates the caches; pure otherwise. */
function correlate(c: Correlator, event: KObject, nowMs: number): Correlation {
  // Aggregation of similar events (same everything but the message).
  let cacheKey = eventKey(event);
  const groupKey = aggregateKey(event);
  let group = c.aggregates.get(groupKey);
  if (!group || nowMs - group.lastMs > AGGREGATE_INTERVAL_MS) group = { messages: new Set(), lastMs: nowMs };
  group.messages.add(event.message);
  group.lastMs = nowMs;
  c.aggregates.set(groupKey, group);
  if (group.messages.size >= AGGREGATE_MAX_EVENTS) {
    group.messages.delete(group.messages.values().next().value!);
    event = { ...event, message: COMBINED_PREFIX + event.message };
    cacheKey = groupKey;
  }

  // Counting of identical events.
  const seen = c.observations.get(cacheKey);
  if (seen) {
    event = { ...event, metadata: { ...event.metadata, name: seen.name }, firstTimestamp: seen.firstTimestamp, count: seen.count + 1 };
  }
  c.observations.set(cacheKey, { name: event.metadata.name!, count: event.count, firstTimestamp: event.firstTimestamp });

  // Spam filter per source and object.
  const spamKey = joinKey(sourceObjectParts(event));
  const bucket = c.spam.get(spamKey) ?? { tokens: SPAM_BURST, lastMs: nowMs };
  const accepted = tryAccept(bucket, nowMs);
  c.spam.set(spamKey, bucket);
  return accepted ? { skip: false, event, patch: seen !== undefined } : { skip: true };
}

// ---- recording ----------------------------------------------------------------------------------

/** The Event client-go's recorder makes for an occurrence now (before correlation). */
function newEvent(nowMs: number, involved: KObject, spec: EventSpec): KObject {
  const time = formatTime(nowMs);
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: {
      name: `${involved.metadata.name}.${(BigInt(nowMs) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000))).toString(16)}`,
      namespace: involved.metadata.namespace || "default",
    },
    involvedObject: {
      kind: involved.kind,
      namespace: involved.metadata.namespace,
      name: involved.metadata.name,
      uid: involved.metadata.uid,
      apiVersion: involved.apiVersion,
      resourceVersion: involved.metadata.resourceVersion,
    },
    reason: spec.reason,
    message: spec.message,
    source: spec.host ? { component: spec.component, host: spec.host } : { component: spec.component },
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
    type: spec.type,
    reportingComponent: spec.component,
    reportingInstance: spec.host ?? "",
  };
}

/** Writes a correlated event: patches the earlier Event, or creates (also when that Event is gone). */
async function write(registry: Registry, user: UserInfo, c: Correlator, event: KObject, patch: boolean): Promise<void> {
  const events = registry.resource("", "events");
  const namespace = event.metadata.namespace!;
  let written: KObject | null = null;
  if (patch) {
    try {
      written = await events.patch(
        namespace,
        event.metadata.name!,
        (current) => ({ ...current, count: event.count, lastTimestamp: event.lastTimestamp, message: event.message }),
        { user },
      );
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  written ??= await events.create(namespace, event, { user });
  // A repeat counted meanwhile (its write queued behind this one) keeps its higher count.
  const key = eventKey(written);
  const seen = c.observations.get(key);
  if (!seen || seen.count <= written.count) c.observations.set(key, { name: written.metadata.name!, count: written.count, firstTimestamp: written.firstTimestamp });
}

/**
 * Records that `spec` happened to `involved` at `nowMs`: creates an Event, or counts a repeat on
 * the earlier one, or drops it (spam filter, or rejected by the API server). Resolves once written.
 */
export function recordEvent(registry: Registry, user: UserInfo, nowMs: number, involved: KObject, spec: EventSpec): Promise<void> {
  const c = correlatorOf(registry);
  const result = correlate(c, newEvent(nowMs, involved, spec), nowMs);
  if (result.skip) return Promise.resolve();
  // Writes of one Event follow each other (a count patch after its create); others run at once.
  const name = `${result.event.metadata.namespace}/${result.event.metadata.name}`;
  const run = (c.writing.get(name) ?? Promise.resolve()).then(async () => {
    try {
      await write(registry, user, c, result.event, result.patch);
    } catch (e) {
      if (!(e instanceof StatusError)) throw e;
    }
  });
  const done = run.catch(() => {});
  c.writing.set(name, done);
  void done.then(() => {
    if (c.writing.get(name) === done) c.writing.delete(name);
  });
  return run;
}

// ---- expiry -------------------------------------------------------------------------------------

/**
 * When an Event expires: {@link EVENT_TTL_MS} after its latest known write (the latest of its
 * creation, `lastTimestamp`, `eventTime` and `series.lastObservedTime`; upstream renews the lease on
 * every write, which these times stand for).
 */
export function eventExpiresAtMs(event: KObject): number {
  const times = [event.metadata.creationTimestamp, event.lastTimestamp, event.eventTime, event.series?.lastObservedTime]
    .map((t) => (typeof t === "string" ? Date.parse(t) : NaN))
    .filter((t) => !Number.isNaN(t));
  return (times.length ? Math.max(...times) : 0) + EVENT_TTL_MS;
}

export interface EventTTLDeps {
  registry: Registry;
  user: UserInfo;
  /** Wall-clock ms, the clock of the Event timestamps. */
  now(): number;
  /** The sandbox speed (simulated ms per wall-clock ms), to express the wait as a simulated requeue. */
  speed(): number;
}

/** Expiries are handled in batches this far apart (kube-apiserver reuses one storage lease per minute). */
export const EVENT_EXPIRY_BATCH_MS = 60_000;

/**
 * Deletes a namespace's expired Events (keyed by namespace), each with its uid and
 * resourceVersion as preconditions (an Event written meanwhile has a new lease), then asks to be
 * called again for the next expiry — at least {@link EVENT_EXPIRY_BATCH_MS} later, so events
 * expire in minute batches as upstream's reused leases make them.
 *
 * The TTL is wall-clock time, as the apiserver's storage lease is: it is not part of the simulated
 * cluster, so neither the speed nor `clock:advance` shortens it (the requeue is the remaining
 * wall-clock time converted to simulated ms; an advance costs one early pass).
 *
 * Watch events → keys (reconciler `eventttl`): an Event added enqueues its namespace, due when
 * that Event expires (one queue item per namespace, whatever the number of Events).
 */
export function eventTTLReconciler(deps: EventTTLDeps): Reconciler {
  const events = deps.registry.resource("", "events");
  return async (namespace) => {
    const now = deps.now();
    let next = Infinity;
    for (const event of events.list(namespace, { selection: selectEverything }).items) {
      const expiresAt = eventExpiresAtMs(event);
      if (expiresAt > now) {
        next = Math.min(next, expiresAt);
        continue;
      }
      try {
        await events.delete(namespace, event.metadata.name!, { user: deps.user, preconditions: { uid: event.metadata.uid, resourceVersion: event.metadata.resourceVersion } });
      } catch (e) {
        if (!isConflictOrNotFound(e)) throw e;
      }
    }
    if (next === Infinity) return;
    return { requeueAfterMs: Math.max(next - now, EVENT_EXPIRY_BATCH_MS) * deps.speed() };
  };
}
