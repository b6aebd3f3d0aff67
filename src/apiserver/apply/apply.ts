/**
 * Server-side apply and managed-fields tracking, as kube-apiserver's field manager does them
 * (k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager over sigs.k8s.io/structured-merge-diff
 * merge.Updater). Pure functions: the caller passes the clock value and the list types.
 *
 * - {@link serverSideApply}: an `application/apply-patch+yaml` PATCH. The applied configuration's
 *   fields become owned by the manager (operation Apply); fields it applied before and no longer
 *   applies are removed unless someone else owns them; changing a field another manager owns is a
 *   409 conflict unless `force`.
 * - {@link trackUpdate}: every other write (create, update, every other patch type). The fields it
 *   changes become owned by the manager (operation Update) and leave the other managers' sets.
 */
import type { KObject } from "../../registry/types";
import { StatusError, errors } from "../status";
import { FieldSet, isPlainObject, pathString, type Path } from "./fieldpath";
import type { ListTypeLookup } from "./list-types";
import {
  capUpdateManagers,
  decodeManagedFields,
  describeManager,
  encodeManagedFields,
  managerId,
  stripSystemFields,
  type ManagedFieldsEntry,
  type ManagerFields,
  type Managers,
} from "./managed-fields";
import { compare, deepEqual, merge, removeItems, toFieldSet, TypedValueError } from "./typed";

export const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

/** The manager kubectl applies as; only its applies upgrade from client-side apply (as upstream). */
const kubectlApplyManager = "kubectl";

export interface TrackingOptions {
  manager: string;
  /** RFC 3339 time recorded on the manager's entry when this write changes the object. */
  now: string;
  listTypes: ListTypeLookup;
  /** `status` for writes through the status subresource. */
  subresource?: string;
  /**
   * Field paths this write never owns (upstream's per-strategy ResetFields): `[["status"]]` for
   * the main resource of a kind with a status subresource, `[["spec"]]` for its status subresource.
   */
  resetFields?: readonly (readonly string[])[];
}

export interface ApplyOptions extends TrackingOptions {
  force: boolean;
}

export interface UpdateOptions extends TrackingOptions {
  operation?: "Update";
}

function resetSet(resetFields: TrackingOptions["resetFields"]): FieldSet {
  return FieldSet.of(...(resetFields ?? []).map((p): Path => p.map((f) => ({ field: f }))));
}

function withoutManagedFields(obj: KObject): KObject {
  const { managedFields: _ignored, ...metadata } = obj.metadata ?? {};
  return { ...obj, metadata };
}

/**
 * What a new object is compared against: upstream compares with the kind's zero value, whose
 * metadata/spec/status objects already exist, so only what is inside them counts as added.
 */
function zeroValueLike(obj: KObject): KObject {
  const zero: KObject = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: {} };
  for (const k of ["spec", "status"]) if (isPlainObject(obj[k])) zero[k] = {};
  return zero;
}

/** `obj` with `entries` as its managedFields (none: the field is absent, as upstream). */
export function withManagedFields(obj: KObject, entries: ManagedFieldsEntry[]): KObject {
  const { managedFields: _ignored, ...metadata } = obj.metadata;
  return { ...obj, metadata: entries.length > 0 ? { ...metadata, managedFields: entries } : metadata };
}

function gvkText(obj: KObject): string {
  const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}; ${group}/${version}, Kind=${obj.kind}`;
}

/** Upstream answers values that do not fit their schema with a 500 carrying the typed error. */
function typedError(what: "patch" | "live", obj: KObject, e: TypedValueError): StatusError {
  return new StatusError(500, "InternalError", `failed to create typed ${what} object (${gvkText(obj)}): ${e.message}`);
}

// ---------------------------------------------------------------------------------------------
// Update tracking

/**
 * The managedFields after a non-apply write of `updated` over `old` (null: a create).
 *
 * The base is the managedFields the client sent, when it sent a non-empty list (so a client may
 * rewrite them, as kubectl's client-side-apply upgrade does; `[{}]` clears them), otherwise the
 * stored ones (`[]` or none keeps them). Status-subresource writes always start from the stored ones.
 */
export function trackUpdate(old: KObject | null, updated: KObject, opts: UpdateOptions): ManagedFieldsEntry[] {
  let managers: Managers | undefined;
  if (!opts.subresource) {
    try {
      const sent = decodeManagedFields(updated.metadata?.managedFields);
      if (sent.size > 0) managers = sent;
    } catch {
      // Undecodable managedFields from the client: fall back to the stored ones.
    }
  }
  try {
    managers ??= decodeManagedFields(old?.metadata?.managedFields);
    const live = old ? withoutManagedFields(old) : zeroValueLike(updated);
    const next = withoutManagedFields(updated);
    const ignored = resetSet(opts.resetFields);
    const cmp = compare(live, next, opts.listTypes);
    const changed = cmp.modified.union(cmp.added).withoutSubtrees(ignored);
    const removed = cmp.removed.withoutSubtrees(ignored);

    const result: Managers = new Map();
    for (const [id, m] of managers) result.set(id, { ...m, set: stripSystemFields(m.set.difference(changed).difference(removed)) });

    const own = stripSystemFields(changed);
    if (!own.isEmpty()) {
      const entry = { manager: opts.manager, operation: "Update" as const, apiVersion: updated.apiVersion, ...(opts.subresource ? { subresource: opts.subresource } : {}) };
      const id = managerId(entry);
      const previous = result.get(id);
      result.set(id, { ...entry, time: opts.now, set: previous ? previous.set.union(own) : own });
    }
    return encodeManagedFields(capUpdateManagers(result));
  } catch {
    // As upstream: a write is never refused for its managedFields; they are reset instead.
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Apply

interface Conflict {
  manager: ManagerFields;
  path: Path;
}

class ApplyConflicts {
  constructor(readonly conflicts: Conflict[]) {}
}

/** Upstream's 409: one cause per conflicting field, message grouped by manager. */
function conflictError(conflicts: Conflict[]): StatusError {
  const sorted = [...conflicts].sort((a, b) => (managerId(a.manager) < managerId(b.manager) ? -1 : managerId(a.manager) > managerId(b.manager) ? 1 : 0));
  const causes = sorted.map((c) => ({ reason: "FieldManagerConflict", message: `conflict with ${describeManager(c.manager)}`, field: pathString(c.path) }));
  let message: string;
  if (sorted.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describeManager(sorted[0].manager)}: ${pathString(sorted[0].path)}`;
  } else {
    const lines: string[] = [];
    let previous = "";
    for (const c of sorted) {
      const name = describeManager(c.manager);
      if (name !== previous) lines.push(`conflicts with ${name}:`);
      previous = name;
      lines.push(`- ${pathString(c.path)}`);
    }
    message = `Apply failed with ${sorted.length} conflicts: ${lines.join("\n")}`;
  }
  return new StatusError(409, "Conflict", message, { causes });
}

interface ApplyOutcome {
  object: unknown;
  managers: Managers;
}

/** One run of upstream's Updater.Apply; returns the conflicts instead when there are some and not `force`. */
function applyOnce(live: KObject, applied: KObject, managers: Managers, opts: ApplyOptions, force: boolean): ApplyOutcome | ApplyConflicts {
  const lookup = opts.listTypes;
  const ignored = resetSet(opts.resetFields);
  const identity = { manager: opts.manager, operation: "Apply" as const, ...(opts.subresource ? { subresource: opts.subresource } : {}) };
  const id = managerId(identity);
  const last = managers.get(id);

  const next: Managers = new Map(managers);
  // The applier's new set keeps metadata.name & co. until the end, so pruning sees that it still
  // relies on metadata; they are stripped with everyone else's below.
  next.set(id, { ...identity, apiVersion: applied.apiVersion, ...(last?.time ? { time: last.time } : {}), set: toFieldSet(applied, lookup).withoutSubtrees(ignored) });

  let object = merge(live, applied, lookup);
  if (last && !last.set.isEmpty()) {
    let owned = new FieldSet();
    for (const m of next.values()) owned = owned.union(m.set.withNamedFieldsAsMembers());
    const pruned = removeItems(object, last.set.withNamedFieldsAsMembers().difference(owned), lookup);
    // Pruning an ancestor nobody owns may take empty objects or lists of the configuration with
    // it; merging the configuration again keeps every apply a fixed point of itself.
    object = merge(pruned, applied, lookup);
  }

  const cmp = compare(live, object, lookup);
  const changed = cmp.modified.union(cmp.added).withoutSubtrees(ignored);
  const removed = cmp.removed.withoutSubtrees(ignored);
  const conflicts: Conflict[] = [];
  for (const [otherId, m] of next) {
    if (otherId === id) continue;
    const taken = m.set.intersection(changed);
    for (const path of taken.paths()) conflicts.push({ manager: m, path });
    next.set(otherId, { ...m, set: m.set.difference(taken).difference(removed) });
  }
  if (conflicts.length > 0 && !force) return new ApplyConflicts(conflicts);

  const objectChanged = !deepEqual(live, object);
  for (const [mid, m] of next) {
    const set = stripSystemFields(m.set);
    if (set.isEmpty()) next.delete(mid);
    else next.set(mid, { ...m, set, ...(mid === id && objectChanged ? { time: opts.now } : {}) });
  }
  return { object, managers: next };
}

/**
 * The fields of the last client-side-applied configuration whose live value still matches it:
 * kubectl's own server-side apply may take them over without a conflict (upstream lastAppliedManager).
 */
function fieldsFromLastApplied(live: KObject, lookup: ListTypeLookup): FieldSet | undefined {
  const text = live.metadata?.annotations?.[lastAppliedAnnotation];
  if (!text) return undefined;
  try {
    const lastApplied: unknown = JSON.parse(text);
    if (!isPlainObject(lastApplied)) return undefined;
    return toFieldSet(lastApplied, lookup).difference(compare(lastApplied, live, lookup).modified);
  } catch {
    return undefined;
  }
}

/** JSON with object keys sorted at every level, as Go encodes a map, plus the encoder's newline. */
function sortedJson(value: unknown): string {
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sortKeys) : isPlainObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])])) : v;
  return `${JSON.stringify(sortKeys(value))}\n`;
}

/** kubectl's server-side apply keeps an existing last-applied annotation in step with what it applied. */
function syncLastApplied(obj: KObject, applied: KObject): KObject {
  if (!obj.metadata?.annotations?.[lastAppliedAnnotation]) return obj;
  const { [lastAppliedAnnotation]: _previous, ...appliedAnnotations } = applied.metadata?.annotations ?? {};
  const appliedMeta = { ...applied.metadata };
  if (Object.keys(appliedAnnotations).length > 0) appliedMeta.annotations = appliedAnnotations;
  else delete appliedMeta.annotations;
  const value = sortedJson({ ...applied, metadata: appliedMeta });
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, [lastAppliedAnnotation]: value } } };
}

/**
 * Applies `applied` (the decoded apply-patch body) over `current` (null: the object does not
 * exist and is created). Returns the new object with its managedFields, unchanged (deep-equal to
 * `current`) when the apply changes nothing. Throws a StatusError: 409 conflicts, 400 for a body
 * carrying managedFields or another apiVersion, 500 for values that do not fit their list types.
 * The caller still runs defaulting, validation and the write itself.
 */
export function serverSideApply(current: KObject | null, applied: KObject, opts: ApplyOptions): KObject {
  if (applied.metadata?.managedFields !== undefined && applied.metadata.managedFields !== null) {
    throw errors.badRequest("metadata.managedFields must be nil");
  }
  if (current && applied.apiVersion !== current.apiVersion) {
    throw errors.badRequest(`Incorrect version specified in apply patch. Specified patch version: ${applied.apiVersion}, expected: ${current.apiVersion}`);
  }
  try {
    toFieldSet(applied, opts.listTypes);
  } catch (e) {
    if (e instanceof TypedValueError) throw typedError("patch", applied, e);
    throw e;
  }
  let managers: Managers;
  try {
    managers = decodeManagedFields(current?.metadata?.managedFields);
  } catch (e) {
    throw errors.internal(`failed to decode managed fields: ${(e as Error).message}`);
  }
  const live = current ? withoutManagedFields(current) : zeroValueLike(applied);

  let outcome: ApplyOutcome | ApplyConflicts;
  try {
    outcome = applyOnce(live, applied, managers, opts, opts.force);
    if (outcome instanceof ApplyConflicts && opts.manager === kubectlApplyManager) {
      const allowed = fieldsFromLastApplied(live, opts.listTypes);
      if (allowed) {
        const remaining = outcome.conflicts.filter((c) => !allowed.has(c.path));
        outcome = remaining.length === 0 ? applyOnce(live, applied, managers, opts, true) : new ApplyConflicts(remaining);
      }
    }
  } catch (e) {
    if (e instanceof TypedValueError) throw typedError("live", live, e);
    throw e;
  }
  if (outcome instanceof ApplyConflicts) throw conflictError(outcome.conflicts);

  let result = withManagedFields(outcome.object as KObject, encodeManagedFields(outcome.managers));
  if (opts.manager === kubectlApplyManager) result = syncLastApplied(result, applied);
  return result;
}
