/**
 * Events, stored once in core/v1 form and served both as core/v1 Event and as
 * events.k8s.io/v1 Event (upstream converts both through the internal core.Event):
 *
 *   core/v1              events.k8s.io/v1
 *   involvedObject   ↔   regarding
 *   message          ↔   note
 *   source           ↔   deprecatedSource
 *   firstTimestamp   ↔   deprecatedFirstTimestamp
 *   lastTimestamp    ↔   deprecatedLastTimestamp
 *   count            ↔   deprecatedCount
 *   reportingComponent ↔ reportingController
 *   (eventTime, series, action, related, reason, type, reportingInstance: same names)
 *
 * Validation is upstream's ValidateEventCreate / ValidateEventUpdate: core/v1 writes get only the
 * legacy checks, events.k8s.io/v1 writes the strict ones too. Field paths are the internal (core)
 * names in both APIs, as upstream reports them.
 */
import { field, type FieldError } from "../../apiserver/status";
import { isDNS1123Subdomain, isQualifiedName, utf8Length } from "../../apiserver/names";
import type { KindStrategy, KObject, TableColumn, TableConvention } from "../types";
import { ageCell } from "./service";

/* eslint-disable @typescript-eslint/no-explicit-any */

/** The shared key space of both Event APIs. */
export const eventsStorageResource = "events";

const isZeroTime = (t: unknown) => t == null || t === "" || (typeof t === "string" && t.startsWith("0001-01-01T00:00:00"));
const nonEmpty = (v: unknown): v is string => typeof v === "string" && v !== "";

/** A core/v1 Event as Go serialises it (zero times as null, reportingComponent/Instance always present). */
export function normalizeCoreEvent(ev: KObject): KObject {
  const out: KObject = { apiVersion: "v1", kind: "Event", metadata: ev.metadata };
  out.involvedObject = ev.involvedObject && typeof ev.involvedObject === "object" ? ev.involvedObject : {};
  if (nonEmpty(ev.reason)) out.reason = ev.reason;
  if (nonEmpty(ev.message)) out.message = ev.message;
  const source: Record<string, string> = {};
  if (nonEmpty(ev.source?.component)) source.component = ev.source.component;
  if (nonEmpty(ev.source?.host)) source.host = ev.source.host;
  out.source = source;
  out.firstTimestamp = isZeroTime(ev.firstTimestamp) ? null : ev.firstTimestamp;
  out.lastTimestamp = isZeroTime(ev.lastTimestamp) ? null : ev.lastTimestamp;
  if (ev.count) out.count = ev.count;
  if (nonEmpty(ev.type)) out.type = ev.type;
  out.eventTime = isZeroTime(ev.eventTime) ? null : ev.eventTime;
  if (ev.series != null) out.series = ev.series;
  if (nonEmpty(ev.action)) out.action = ev.action;
  if (ev.related != null) out.related = ev.related;
  out.reportingComponent = typeof ev.reportingComponent === "string" ? ev.reportingComponent : "";
  out.reportingInstance = typeof ev.reportingInstance === "string" ? ev.reportingInstance : "";
  return out;
}

/** events.k8s.io/v1 → core/v1 (the storage form). */
export function eventsV1ToCore(ev: KObject): KObject {
  return normalizeCoreEvent({
    apiVersion: "v1",
    kind: "Event",
    metadata: ev.metadata,
    involvedObject: ev.regarding,
    reason: ev.reason,
    message: ev.note,
    source: ev.deprecatedSource,
    firstTimestamp: ev.deprecatedFirstTimestamp,
    lastTimestamp: ev.deprecatedLastTimestamp,
    count: ev.deprecatedCount,
    type: ev.type,
    eventTime: ev.eventTime,
    series: ev.series,
    action: ev.action,
    related: ev.related,
    reportingComponent: ev.reportingController,
    reportingInstance: ev.reportingInstance,
  });
}

/** core/v1 → events.k8s.io/v1, as Go serialises it. */
export function coreToEventsV1(stored: KObject): KObject {
  const ev = normalizeCoreEvent(stored);
  const out: KObject = { apiVersion: "events.k8s.io/v1", kind: "Event", metadata: ev.metadata };
  out.eventTime = ev.eventTime;
  if (ev.series != null) out.series = ev.series;
  if (nonEmpty(ev.reportingComponent)) out.reportingController = ev.reportingComponent;
  if (nonEmpty(ev.reportingInstance)) out.reportingInstance = ev.reportingInstance;
  if (ev.action) out.action = ev.action;
  if (ev.reason) out.reason = ev.reason;
  out.regarding = ev.involvedObject;
  if (ev.related != null) out.related = ev.related;
  if (ev.message) out.note = ev.message;
  if (ev.type) out.type = ev.type;
  out.deprecatedSource = ev.source;
  out.deprecatedFirstTimestamp = ev.firstTimestamp;
  out.deprecatedLastTimestamp = ev.lastTimestamp;
  if (ev.count) out.deprecatedCount = ev.count;
  return out;
}

const isEventsV1Shape = (ev: KObject) => ev.apiVersion === "events.k8s.io/v1" || (ev.apiVersion !== "v1" && !("involvedObject" in ev) && ("regarding" in ev || "note" in ev));
const asCore = (ev: KObject) => (isEventsV1Shape(ev) ? eventsV1ToCore(ev) : normalizeCoreEvent(ev));

// ---- validation -------------------------------------------------------------------------------

/** legacyValidateEvent: applies to writes through either API. */
export function legacyValidateEvent(ev: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const ns = ev.metadata.namespace ?? "";
  const involvedNs: string = ev.involvedObject?.namespace ?? "";
  const mismatch = () => field.invalid("involvedObject.namespace", involvedNs, "does not match event.namespace");
  if (isZeroTime(ev.eventTime)) {
    if (!involvedNs) {
      if (ns !== "" && ns !== "default") errs.push(mismatch());
    } else if (ns !== involvedNs) {
      errs.push(mismatch());
    }
  } else {
    if (!involvedNs && ns !== "default" && ns !== "kube-system") errs.push(mismatch());
    const controller: string = ev.reportingComponent ?? "";
    if (!controller) errs.push(field.required("reportingController"));
    errs.push(...isQualifiedName(controller).map((m) => field.invalid("reportingController", controller, m)));
    const instance: string = ev.reportingInstance ?? "";
    if (!instance) errs.push(field.required("reportingInstance"));
    if (utf8Length(instance) > 128) errs.push(field.invalid("reportingInstance", "", "can have at most 128 characters"));
    const action: string = ev.action ?? "";
    if (!action) errs.push(field.required("action"));
    if (utf8Length(action) > 128) errs.push(field.invalid("action", "", "can have at most 128 characters"));
    const reason: string = ev.reason ?? "";
    if (!reason) errs.push(field.required("reason"));
    if (utf8Length(reason) > 128) errs.push(field.invalid("reason", "", "can have at most 128 characters"));
    if (utf8Length(ev.message ?? "") > 1024) errs.push(field.invalid("message", "", "can have at most 1024 characters"));
  }
  errs.push(...isDNS1123Subdomain(ns).map((m) => field.invalid("namespace", ns, m)));
  return errs;
}

function validateSeries(ev: KObject): FieldError[] {
  const errs: FieldError[] = [];
  if (ev.series != null) {
    if (!((ev.series.count ?? 0) >= 2)) errs.push(field.invalid("series.count", "", "should be at least 2"));
    if (isZeroTime(ev.series.lastObservedTime)) errs.push(field.required("series.lastObservedTime"));
  }
  return errs;
}

/** The strict checks ValidateEventCreate adds for events.k8s.io/v1 (metadata is checked by the store). */
export function strictValidateEventCreate(ev: KObject): FieldError[] {
  const errs = validateSeries(ev);
  if (isZeroTime(ev.eventTime)) errs.push(field.required("eventTime"));
  if (ev.type !== "Normal" && ev.type !== "Warning") errs.push(field.invalid("type", "", `has invalid value: ${ev.type ?? ""}`));
  if (!isZeroTime(ev.firstTimestamp)) errs.push(field.invalid("firstTimestamp", "", "needs to be unset"));
  if (!isZeroTime(ev.lastTimestamp)) errs.push(field.invalid("lastTimestamp", "", "needs to be unset"));
  if (ev.count) errs.push(field.invalid("count", "", "needs to be unset"));
  if (ev.source?.component || ev.source?.host) errs.push(field.invalid("source", "", "needs to be unset"));
  return errs;
}

const sameJSON = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The strict update checks for events.k8s.io/v1: most fields are immutable. */
export function strictValidateEventUpdate(ev: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  if (!sameJSON(ev.series, old.series)) errs.push(...validateSeries(ev));
  const immutable: [string, string][] = [
    ["involvedObject", "involvedObject"],
    ["reason", "reason"],
    ["message", "message"],
    ["source", "source"],
    ["firstTimestamp", "firstTimestamp"],
    ["lastTimestamp", "lastTimestamp"],
    ["count", "count"],
    ["type", "type"],
    ["eventTime", "eventTime"],
    ["action", "action"],
    ["related", "related"],
    ["reportingComponent", "reportingController"],
    ["reportingInstance", "reportingInstance"],
  ];
  for (const [key, path] of immutable) {
    if (!sameJSON(ev[key], old[key])) errs.push(field.invalid(path, ev[key] ?? "", "field is immutable"));
  }
  return errs;
}

/** Objects being created through events.k8s.io/v1 (strict create validation applies). */
const strictCreates = new WeakSet<KObject>();

// ---- field selectors --------------------------------------------------------------------------

/** ToSelectableFields (core/v1 names). */
export function coreEventFields(ev: KObject): Record<string, string> {
  const o = ev.involvedObject ?? {};
  const source = ev.source?.component || ev.reportingComponent || "";
  return {
    "involvedObject.kind": o.kind ?? "",
    "involvedObject.namespace": o.namespace ?? "",
    "involvedObject.name": o.name ?? "",
    "involvedObject.uid": o.uid ?? "",
    "involvedObject.apiVersion": o.apiVersion ?? "",
    "involvedObject.resourceVersion": o.resourceVersion ?? "",
    "involvedObject.fieldPath": o.fieldPath ?? "",
    reason: ev.reason ?? "",
    reportingComponent: ev.reportingComponent ?? "",
    source,
    type: ev.type ?? "",
  };
}

/** The events.k8s.io/v1 field labels (upstream's label conversion onto the same field set). */
export function eventsV1Fields(ev: KObject): Record<string, string> {
  const core = coreEventFields(asCore(ev));
  return {
    reason: core.reason,
    "regarding.kind": core["involvedObject.kind"],
    "regarding.namespace": core["involvedObject.namespace"],
    "regarding.name": core["involvedObject.name"],
    "regarding.uid": core["involvedObject.uid"],
    "regarding.apiVersion": core["involvedObject.apiVersion"],
    "regarding.resourceVersion": core["involvedObject.resourceVersion"],
    "regarding.fieldPath": core["involvedObject.fieldPath"],
    reportingController: core.reportingComponent,
    source: core.source,
    type: core.type,
  };
}

// ---- table --------------------------------------------------------------------------------------

// printEvent puts NAME last, only with `-o wide`: the event tables own their Name column.

const eventColumns: TableColumn[] = [
  { name: "Last Seen", type: "string", description: "The time at which the most recent occurrence of this event was recorded.", priority: 0 },
  { name: "Type", type: "string", description: "Type of this event (Normal, Warning).", priority: 0 },
  { name: "Reason", type: "string", description: "A short, machine understandable string for the transition.", priority: 0 },
  { name: "Object", type: "string", description: "The object this event is about.", priority: 0 },
  { name: "Subobject", type: "string", description: "The part of the object this event is about (a field path).", priority: 1 },
  { name: "Source", type: "string", description: "The component reporting this event.", priority: 1 },
  { name: "Message", type: "string", description: "A human-readable description of the status of this operation.", priority: 0 },
  { name: "First Seen", type: "string", description: "The time at which the event was first recorded.", priority: 1 },
  { name: "Count", type: "string", description: "The number of times this event has occurred.", priority: 1 },
  { name: "Name", type: "string", format: "name", description: "Name must be unique within a namespace. Cannot be updated.", priority: 1 },
];

/** printEvent's cells (wide), for an event in core/v1 form. */
export function coreEventCells(ev: KObject, now: Date): unknown[] {
  const first = !isZeroTime(ev.firstTimestamp) ? ageCell(ev.firstTimestamp, now) : ageCell(isZeroTime(ev.eventTime) ? null : ev.eventTime, now);
  let last = !isZeroTime(ev.lastTimestamp) ? ageCell(ev.lastTimestamp, now) : first;
  let count: number = ev.count ?? 0;
  if (ev.series != null) {
    last = ageCell(isZeroTime(ev.series.lastObservedTime) ? null : ev.series.lastObservedTime, now);
    count = ev.series.count ?? 0;
  } else if (count === 0) {
    count = 1;
  }
  const o = ev.involvedObject ?? {};
  const kind = String(o.kind ?? "").toLowerCase();
  const target = o.name ? `${kind}/${o.name}` : kind;
  const component = ev.source?.component || ev.reportingComponent || "";
  const instance = ev.source?.host || ev.reportingInstance || "";
  const source = instance ? `${component}, ${instance}` : component;
  return [last, ev.type ?? "", ev.reason ?? "", target, o.fieldPath ?? "", source, String(ev.message ?? "").trim(), first, count, ev.metadata.name ?? ""];
}

const coreEventTable: TableConvention = {
  ownsNameColumn: true,
  columns: eventColumns,
  cells: (ev, now) => coreEventCells(normalizeCoreEvent(ev), now),
};

const eventsV1Table: TableConvention = {
  ownsNameColumn: true,
  columns: eventColumns,
  cells: (ev, now) => coreEventCells(asCore(ev), now),
};

// ---- strategies ---------------------------------------------------------------------------------

export const eventStrategy: KindStrategy = {
  group: "",
  version: "v1",
  kind: "Event",
  resource: "events",
  allowCreateOnUpdate: true,
  singular: "event",
  namespaced: true,
  shortNames: ["ev"],
  // The core API checks event names only as path segments (generic store), not as DNS subdomains.
  nameRule: "path-segment",
  storage: {
    resource: eventsStorageResource,
    toStorage: (ev) => normalizeCoreEvent(ev),
    fromStorage: (stored) => normalizeCoreEvent(stored),
  },

  prepareForCreate: (ev) => replaceContents(ev, normalizeCoreEvent(ev)),
  prepareForUpdate: (ev) => replaceContents(ev, normalizeCoreEvent(ev)),
  validate: (ev) => legacyValidateEvent(normalizeCoreEvent(ev)),
  selectableFields: (ev) => coreEventFields(normalizeCoreEvent(ev)),
  table: coreEventTable,
};

export const eventsV1Strategy: KindStrategy = {
  group: "events.k8s.io",
  version: "v1",
  kind: "Event",
  resource: "events",
  allowCreateOnUpdate: true,
  singular: "event",
  namespaced: true,
  shortNames: ["ev"],
  storage: {
    resource: eventsStorageResource,
    toStorage: (ev) => eventsV1ToCore(ev),
    fromStorage: (stored) => coreToEventsV1(stored),
  },

  prepareForCreate(ev) {
    replaceContents(ev, coreToEventsV1(eventsV1ToCore(ev)));
    strictCreates.add(ev);
  },
  prepareForUpdate: (ev) => replaceContents(ev, coreToEventsV1(eventsV1ToCore(ev))),
  validate(ev) {
    const core = eventsV1ToCore(ev);
    const errs = legacyValidateEvent(core);
    if (strictCreates.has(ev)) errs.push(...strictValidateEventCreate(core));
    return errs;
  },
  validateUpdate: (ev, old) => strictValidateEventUpdate(eventsV1ToCore(ev), eventsV1ToCore(old)),
  selectableFields: eventsV1Fields,
  table: eventsV1Table,
};

/** Makes `target` (the store's private copy) hold exactly `normal`: a body as the Go decoder would re-serialise it. */
function replaceContents(target: KObject, normal: KObject): void {
  for (const key of Object.keys(target)) if (!(key in normal)) delete target[key];
  Object.assign(target, normal);
}
