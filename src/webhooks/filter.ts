/**
 * Subscription filters: which of a sandbox's happenings an endpoint receives.
 *
 * ```json
 * { "resources": [{ "group": "apps", "kind": "Deployment", "namespace": "default",
 *                   "labelSelector": "app=web", "types": ["ADDED", "DELETED"] }],
 *   "events":    [{ "reason": "BackOff", "type": "Warning", "involvedKind": "Pod", "namespace": "default" }],
 *   "lifecycle": ["sandbox.created", "sandbox.expiring", "sandbox.deleted", "endpoint.disabled"] }
 * ```
 *
 * - Each list is a union of rules; every field of a rule must match (absent fields match all).
 *   An absent list receives nothing of its category, unless the whole filter is empty (`{}`),
 *   which receives everything: every resource change, every Event and every lifecycle message.
 * - A write to a core/v1 Event object is an *event* (`event.normal` / `event.warning`, when it
 *   is created or its count grows), not a resource change — unless a `resources` rule names
 *   `kind: Event` explicitly, in which case it is also delivered as a resource change.
 * - `group` is the API group ("" for the core group), `kind` the object's kind.
 */
import { parseLabelSelector, type LabelSelector } from "../apiserver/selectors/labels";

export const RESOURCE_TYPES = ["ADDED", "MODIFIED", "DELETED"] as const;
export const EVENT_TYPES = ["Normal", "Warning"] as const;
export const LIFECYCLE_TYPES = ["sandbox.created", "sandbox.expiring", "sandbox.deleted", "endpoint.disabled"] as const;

export type ResourceChangeType = (typeof RESOURCE_TYPES)[number];
export type LifecycleType = (typeof LIFECYCLE_TYPES)[number];

interface ResourceRule {
  group?: string;
  kind?: string;
  namespace?: string;
  labelSelector?: string;
  types?: ResourceChangeType[];
}

interface EventRule {
  reason?: string;
  type?: (typeof EVENT_TYPES)[number];
  involvedKind?: string;
  namespace?: string;
}

/** A filter as stored and shown (JSON). */
export interface FilterSpec {
  resources?: ResourceRule[];
  events?: EventRule[];
  lifecycle?: LifecycleType[];
}

/** A resource change as the router sees it. */
export interface ResourceChange {
  type: ResourceChangeType;
  group: string;
  kind: string;
  namespace: string;
  labels: Record<string, string> | undefined;
}

export interface CompiledFilter {
  readonly spec: FilterSpec;
  resource(change: ResourceChange): boolean;
  /** Whether Event objects are also delivered as resource changes (a rule names kind Event). */
  readonly eventsAsResources: boolean;
  event(event: { reason?: string; type?: string; involvedObject?: { kind?: string }; metadata?: { namespace?: string } }): boolean;
  lifecycle(type: LifecycleType): boolean;
}

export class FilterError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function checkKeys(value: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new FilterError(`${path}.${key}`, `unknown field; supported fields: ${allowed.join(", ")}`);
  }
}

function optionalString(value: Record<string, unknown>, key: string, path: string): string | undefined {
  const v = value[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new FilterError(`${path}.${key}`, "must be a string");
  return v;
}

function list<T>(value: unknown, path: string, item: (v: unknown, path: string) => T): T[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new FilterError(path, "must be a list");
  return value.map((v, i) => item(v, `${path}[${i}]`));
}

function oneOf<T extends string>(supported: readonly T[]) {
  return (v: unknown, path: string): T => {
    if (typeof v !== "string" || !supported.includes(v as T)) {
      throw new FilterError(path, `Unsupported value: ${JSON.stringify(v)}: supported values: ${supported.map((s) => `"${s}"`).join(", ")}`);
    }
    return v as T;
  };
}

function resourceRule(v: unknown, path: string): ResourceRule {
  if (!isObject(v)) throw new FilterError(path, "must be an object");
  checkKeys(v, ["group", "kind", "namespace", "labelSelector", "types"], path);
  const rule: ResourceRule = {};
  for (const key of ["group", "kind", "namespace", "labelSelector"] as const) {
    const s = optionalString(v, key, path);
    if (s !== undefined) rule[key] = s;
  }
  if (rule.labelSelector !== undefined) {
    try {
      parseLabelSelector(rule.labelSelector);
    } catch (e) {
      throw new FilterError(`${path}.labelSelector`, `invalid label selector: ${(e as Error).message}`);
    }
  }
  const types = list(v.types, `${path}.types`, oneOf(RESOURCE_TYPES));
  if (types) rule.types = types;
  return rule;
}

function eventRule(v: unknown, path: string): EventRule {
  if (!isObject(v)) throw new FilterError(path, "must be an object");
  checkKeys(v, ["reason", "type", "involvedKind", "namespace"], path);
  const rule: EventRule = {};
  for (const key of ["reason", "involvedKind", "namespace"] as const) {
    const s = optionalString(v, key, path);
    if (s !== undefined) rule[key] = s;
  }
  if (v.type !== undefined) rule.type = oneOf(EVENT_TYPES)(v.type, `${path}.type`);
  return rule;
}

/** Validates a filter body (undefined: the empty filter); throws a {@link FilterError} naming the field. */
export function parseFilter(value: unknown, path = "filter"): FilterSpec {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new FilterError(path, "must be an object");
  checkKeys(value, ["resources", "events", "lifecycle"], path);
  const spec: FilterSpec = {};
  const resources = list(value.resources, `${path}.resources`, resourceRule);
  const events = list(value.events, `${path}.events`, eventRule);
  const lifecycle = list(value.lifecycle, `${path}.lifecycle`, oneOf(LIFECYCLE_TYPES));
  if (resources) spec.resources = resources;
  if (events) spec.events = events;
  if (lifecycle) spec.lifecycle = lifecycle;
  return spec;
}

/** A matcher for a valid filter (label selectors parsed once). */
export function compileFilter(spec: FilterSpec): CompiledFilter {
  const everything = spec.resources === undefined && spec.events === undefined && spec.lifecycle === undefined;
  const resources = (spec.resources ?? []).map((rule) => ({
    rule,
    selector: rule.labelSelector === undefined ? null : (parseLabelSelector(rule.labelSelector) as LabelSelector),
  }));
  return {
    spec,
    eventsAsResources: resources.some(({ rule }) => rule.kind === "Event"),
    resource(change) {
      if (everything) return change.kind !== "Event";
      return resources.some(
        ({ rule, selector }) =>
          (rule.group === undefined || rule.group === change.group) &&
          (rule.kind === undefined || rule.kind === change.kind) &&
          (change.kind !== "Event" || rule.kind === "Event") &&
          (rule.namespace === undefined || rule.namespace === change.namespace) &&
          (rule.types === undefined || rule.types.includes(change.type)) &&
          (selector === null || selector.matches(change.labels)),
      );
    },
    event(event) {
      if (everything) return true;
      return (spec.events ?? []).some(
        (rule) =>
          (rule.reason === undefined || rule.reason === event.reason) &&
          (rule.type === undefined || rule.type === event.type) &&
          (rule.involvedKind === undefined || rule.involvedKind === event.involvedObject?.kind) &&
          (rule.namespace === undefined || rule.namespace === event.metadata?.namespace),
      );
    },
    lifecycle(type) {
      return everything || (spec.lifecycle ?? []).includes(type);
    },
  };
}
