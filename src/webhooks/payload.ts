/**
 * What a sandbox sends: the payload of each message, and which endpoints a committed write goes to.
 *
 * ## For receivers
 *
 * Every message is an HTTP POST with a JSON body:
 *
 * ```json
 * { "type": "resource.modified", "sandboxId": "sbx-…", "resourceVersion": "1234",
 *   "timestamp": "2026-11-22T12:00:00.000Z", "data": { "object": { "kind": "Pod", … } } }
 * ```
 *
 * - `type`: `resource.added` | `resource.modified` | `resource.deleted` (`data.object`, with its
 *   `metadata.resourceVersion`; for a delete, the last state), `event.normal` | `event.warning`
 *   (`data.event`, a core/v1 Event, sent when it is created and each time its count grows),
 *   `sandbox.created` | `sandbox.expiring` | `sandbox.deleted` (`data.sandbox`),
 *   `endpoint.disabled` (`data.endpoint`: id and reason), `webhook.ping` (`…/webhooks/{id}:test`).
 * - `resourceVersion`: the sandbox revision that produced the message (the current one for
 *   messages not caused by a write); compare them as integers to order messages.
 * - Headers: `webhook-id` (the message's id, the same on every attempt: deduplicate with it),
 *   `webhook-timestamp` (seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256>`, two of
 *   them, space-separated, during a secret rotation), per the Standard Webhooks specification:
 *   verify with any standardwebhooks library and the endpoint's `whsec_…` secret.
 * - Delivery is at least once, first attempts leave in resourceVersion order (several may be in
 *   flight at once), and a failed message holds back newer ones until it is delivered or given
 *   up: see dispatcher.ts for the whole contract and schedule.ts for the retry schedule.
 */
import type { CommittedWrite } from "../storage/memory";
import type { CompiledFilter, LifecycleType, ResourceChangeType } from "./filter";
import type { Routed } from "./outbox";

export interface Subscriber {
  readonly id: string;
  readonly filter: CompiledFilter;
}

interface StoredObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

export function payload(type: string, sandboxId: string, resourceVersion: number, timestampMs: number, data: Record<string, unknown>): string {
  return JSON.stringify({ type, sandboxId, resourceVersion: String(resourceVersion), timestamp: new Date(timestampMs).toISOString(), data });
}

const groupOf = (apiVersion: string | undefined) => (apiVersion?.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "");

/** An Event write worth telling: its creation, or a repeat (its count grew). */
function isEventOccurrence(write: CommittedWrite): boolean {
  const { event } = write;
  if (event.type !== "PUT") return false;
  if (!event.prevKv) return true;
  const count = (v: unknown) => Number((v as { count?: number }).count ?? 1);
  return count(event.kv.value) > count(event.prevKv.value);
}

/** The messages one committed write produces for `subscribers` (usually none or one). */
export function routeWrite(sandboxId: string, subscribers: readonly Subscriber[], write: CommittedWrite, now: number): Routed[] {
  if (subscribers.length === 0) return [];
  const { event } = write;
  const stored = event.kv.value as StoredObject;
  if (typeof stored !== "object" || stored === null || !stored.kind) return [];
  const object: StoredObject = { ...stored, metadata: { ...stored.metadata, resourceVersion: String(event.revision) } };
  const group = groupOf(stored.apiVersion);
  const isCoreEvent = stored.kind === "Event" && group === "";
  const routed: Routed[] = [];

  const type: ResourceChangeType = event.type === "DELETE" ? "DELETED" : event.prevKv ? "MODIFIED" : "ADDED";
  const change = { type, group, kind: stored.kind, namespace: stored.metadata?.namespace ?? "", labels: stored.metadata?.labels };
  const asResource = subscribers.filter((s) => s.filter.resource(change)).map((s) => s.id);
  if (asResource.length) {
    routed.push({ body: payload(`resource.${type.toLowerCase()}`, sandboxId, event.revision, now, { object }), endpoints: asResource });
  }
  if (isCoreEvent && isEventOccurrence(write)) {
    const asEvent = subscribers.filter((s) => s.filter.event(stored as never)).map((s) => s.id);
    const eventType = stored.type === "Warning" ? "event.warning" : "event.normal";
    if (asEvent.length) routed.push({ body: payload(eventType, sandboxId, event.revision, now, { event: object }), endpoints: asEvent });
  }
  return routed;
}

/** A lifecycle message for the subscribers that want it (null: none does). */
export function routeLifecycle(
  sandboxId: string,
  subscribers: readonly Subscriber[],
  type: LifecycleType,
  resourceVersion: number,
  now: number,
  data: Record<string, unknown>,
): Routed | null {
  const endpoints = subscribers.filter((s) => s.filter.lifecycle(type)).map((s) => s.id);
  return endpoints.length ? { body: payload(type, sandboxId, resourceVersion, now, data), endpoints } : null;
}
