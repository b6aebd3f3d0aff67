/**
 * Which committed writes become which messages: filters (kinds, namespaces, labels, change types,
 * Event reasons, lifecycle), the payload a receiver gets, and filter validation errors.
 */
import { describe, expect, it } from "vitest";
import type { CommittedWrite } from "../../src/storage/memory";
import { compileFilter, FilterError, parseFilter } from "../../src/webhooks/filter";
import { routeLifecycle, routeWrite, type Subscriber } from "../../src/webhooks/payload";

const NOW = Date.parse("2026-11-22T12:00:00Z");

function write(value: Record<string, any>, options: { revision?: number; prev?: Record<string, any> | null; deleted?: boolean } = {}): CommittedWrite {
  const revision = options.revision ?? 10;
  const kv = { key: "/registry/x", value, createRevision: 1, modRevision: revision };
  const prevKv = options.prev ? { key: "/registry/x", value: options.prev, createRevision: 1, modRevision: revision - 1 } : null;
  return { event: { type: options.deleted ? "DELETE" : "PUT", kv, prevKv, revision }, encoded: JSON.stringify(value) } as CommittedWrite;
}

const configMap = (name: string, namespace = "default", labels: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace, labels },
  data: { k: "v" },
});
const event = (reason: string, type: "Normal" | "Warning", count = 1) => ({
  apiVersion: "v1",
  kind: "Event",
  metadata: { name: `web.${reason}`, namespace: "default" },
  reason,
  type,
  count,
  involvedObject: { kind: "Pod", name: "web", namespace: "default" },
});
const deployment = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default", labels: { app: "web" } }, spec: { replicas: 1 } };

const subscriber = (id: string, filter: unknown): Subscriber => ({ id, filter: compileFilter(parseFilter(filter)) });
const routed = (subscribers: Subscriber[], w: CommittedWrite) =>
  routeWrite("sbx-1", subscribers, w, NOW).map((r) => ({ ...r, body: JSON.parse(r.body) as Record<string, any> }));

describe("webhook routing", () => {
  it("an empty filter gets every resource change and every Event, each once", () => {
    const all = subscriber("all", {});
    expect(routed([all], write(deployment)).map((r) => r.body.type)).toEqual(["resource.added"]);
    expect(routed([all], write(deployment, { prev: deployment })).map((r) => r.body.type)).toEqual(["resource.modified"]);
    expect(routed([all], write(deployment, { deleted: true })).map((r) => r.body.type)).toEqual(["resource.deleted"]);
    expect(routed([all], write(event("BackOff", "Warning"))).map((r) => r.body.type)).toEqual(["event.warning"]);
    expect(routeLifecycle("sbx-1", [all], "sandbox.created", 5, NOW, {})).not.toBeNull();
  });

  it("builds the payload a receiver reads: type, sandbox, resourceVersion, time and the object with its resourceVersion", () => {
    const [message] = routed([subscriber("a", {})], write(deployment, { revision: 42 }));
    expect(message!.endpoints).toEqual(["a"]);
    expect(message!.body).toEqual({
      type: "resource.added",
      sandboxId: "sbx-1",
      resourceVersion: "42",
      timestamp: "2026-11-22T12:00:00.000Z",
      data: { object: { ...deployment, metadata: { ...deployment.metadata, resourceVersion: "42" } } },
    });
  });

  it("resource rules select by group, kind, namespace, labels and change type", () => {
    const subs = [
      subscriber("deployments", { resources: [{ group: "apps", kind: "Deployment" }] }),
      subscriber("team-a", { resources: [{ kind: "ConfigMap", labelSelector: "team in (a)" }] }),
      subscriber("deletes-in-prod", { resources: [{ namespace: "prod", types: ["DELETED"] }] }),
    ];
    const to = (w: CommittedWrite) => routed(subs, w).flatMap((r) => r.endpoints);
    expect(to(write(deployment))).toEqual(["deployments"]);
    expect(to(write(configMap("x", "default", { team: "a" })))).toEqual(["team-a"]);
    expect(to(write(configMap("x", "default", { team: "b" })))).toEqual([]);
    expect(to(write(configMap("x", "prod")))).toEqual([]);
    expect(to(write(configMap("x", "prod"), { deleted: true }))).toEqual(["deletes-in-prod"]);
  });

  it("event rules select by reason, type and involved kind; a repeat is told when the count grows", () => {
    const backoff = subscriber("backoff", { events: [{ reason: "BackOff", type: "Warning", involvedKind: "Pod" }] });
    const warnings = subscriber("warnings", { events: [{ type: "Warning" }] });
    const to = (w: CommittedWrite) => routed([backoff, warnings], w).flatMap((r) => r.endpoints);
    expect(to(write(event("BackOff", "Warning")))).toEqual(["backoff", "warnings"]);
    expect(to(write(event("FailedScheduling", "Warning")))).toEqual(["warnings"]);
    expect(to(write(event("Pulled", "Normal")))).toEqual([]);
    expect(to(write(event("BackOff", "Warning", 2), { prev: event("BackOff", "Warning", 1) }))).toEqual(["backoff", "warnings"]);
    expect(to(write(event("BackOff", "Warning", 2), { prev: event("BackOff", "Warning", 2) }))).toEqual([]);
    expect(to(write(event("BackOff", "Warning"), { deleted: true }))).toEqual([]);
  });

  it("Event objects are resource changes only for a rule that names kind Event", () => {
    const configMaps = subscriber("any-resource", { resources: [{}] });
    const eventObjects = subscriber("event-objects", { resources: [{ kind: "Event" }] });
    const messages = routed([configMaps, eventObjects], write(event("BackOff", "Warning")));
    expect(messages.map((m) => [m.body.type, m.endpoints])).toEqual([["resource.added", ["event-objects"]]]);
  });

  it("lifecycle types go only to the filters that list them", () => {
    const subs = [subscriber("a", { lifecycle: ["sandbox.deleted", "endpoint.disabled"] }), subscriber("b", { resources: [{}] })];
    expect(routeLifecycle("sbx-1", subs, "endpoint.disabled", 7, NOW, { endpoint: { id: "wh-1" } })?.endpoints).toEqual(["a"]);
    expect(routeLifecycle("sbx-1", subs, "sandbox.created", 7, NOW, {})).toBeNull();
  });

  it("refuses malformed filters naming the field at fault", () => {
    const errorOf = (filter: unknown) => {
      try {
        parseFilter(filter);
        return null;
      } catch (e) {
        return e instanceof FilterError ? e.message : String(e);
      }
    };
    expect(errorOf({ resources: [{ types: ["CREATED"] }] })).toBe('filter.resources[0].types[0]: Unsupported value: "CREATED": supported values: "ADDED", "MODIFIED", "DELETED"');
    expect(errorOf({ events: [{ type: "Error" }] })).toBe('filter.events[0].type: Unsupported value: "Error": supported values: "Normal", "Warning"');
    expect(errorOf({ lifecycle: ["sandbox.exploded"] })).toMatch(/^filter.lifecycle\[0\]: Unsupported value: "sandbox.exploded"/);
    expect(errorOf({ resources: [{ labelSelector: "a in (" }] })).toMatch(/^filter.resources\[0\].labelSelector: invalid label selector/);
    expect(errorOf({ resources: [{ kinds: "Pod" }] })).toBe("filter.resources[0].kinds: unknown field; supported fields: group, kind, namespace, labelSelector, types");
    expect(errorOf({ resources: {} })).toBe("filter.resources: must be a list");
    expect(errorOf([])).toBe("filter: must be an object");
    expect(errorOf(undefined)).toBeNull();
  });
});
