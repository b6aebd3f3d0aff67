/**
 * `metadata.managedFields`: decoding into one field set per manager, and encoding back in
 * upstream's form and order (k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager/internal).
 *
 * A manager is identified by its name, operation and subresource, plus the apiVersion for Update
 * managers (an applier keeps one entry whatever version it applies with).
 */
import { FieldSet, isPlainObject, type Path } from "./fieldpath";

export type Operation = "Apply" | "Update";

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: Operation;
  apiVersion?: string;
  time?: string;
  fieldsType?: "FieldsV1";
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

export interface ManagerFields {
  manager: string;
  operation: Operation;
  apiVersion: string;
  subresource?: string;
  /** Absent when the manager never changed the object (upstream leaves it unset then). */
  time?: string;
  set: FieldSet;
}

export function managerId(m: { manager?: string; operation?: string; apiVersion?: string; subresource?: string }): string {
  const id: Record<string, string> = {};
  if (m.manager) id.manager = m.manager;
  if (m.operation) id.operation = m.operation;
  if (m.apiVersion && m.operation !== "Apply") id.apiVersion = m.apiVersion;
  if (m.subresource) id.subresource = m.subresource;
  return JSON.stringify(id);
}

/** Managers by identity. */
export type Managers = Map<string, ManagerFields>;

/** Decodes managedFields; throws on entries upstream cannot decode. Entries of one identity are united. */
export function decodeManagedFields(entries: unknown): Managers {
  const managers: Managers = new Map();
  if (entries === undefined || entries === null) return managers;
  if (!Array.isArray(entries)) throw new Error("managedFields must be a list");
  for (const raw of entries) {
    if (!isPlainObject(raw)) throw new Error("managedFields entries must be objects");
    const e = raw as ManagedFieldsEntry;
    if (e.fieldsType !== undefined && e.fieldsType !== "FieldsV1") throw new Error(`invalid fieldsType: ${String(e.fieldsType)}`);
    const set = e.fieldsV1 === undefined ? new FieldSet() : FieldSet.fromFieldsV1(e.fieldsV1);
    const entry: ManagerFields = {
      manager: e.manager ?? "",
      operation: (e.operation ?? "") as Operation,
      apiVersion: e.apiVersion ?? "",
      ...(e.subresource ? { subresource: e.subresource } : {}),
      ...(e.time ? { time: e.time } : {}),
      set,
    };
    const id = managerId(entry);
    const previous = managers.get(id);
    managers.set(id, previous ? { ...entry, set: previous.set.union(set) } : entry);
  }
  return managers;
}

function seconds(time: string | undefined): number {
  return time ? Math.floor(Date.parse(time) / 1000) : 0;
}

/** Encodes managers with non-empty sets, ordered as upstream: operation, time, manager, apiVersion, subresource. */
export function encodeManagedFields(managers: Managers): ManagedFieldsEntry[] {
  const by = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...managers.values()]
    .filter((m) => !m.set.isEmpty())
    .sort(
      (p, q) =>
        by(p.operation, q.operation) ||
        seconds(p.time) - seconds(q.time) ||
        by(p.manager, q.manager) ||
        by(p.apiVersion, q.apiVersion) ||
        by(p.subresource ?? "", q.subresource ?? ""),
    )
    .map((m) => ({
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      ...(m.time ? { time: m.time } : {}),
      fieldsType: "FieldsV1" as const,
      fieldsV1: m.set.toFieldsV1(),
      ...(m.subresource ? { subresource: m.subresource } : {}),
    }));
}

/** Fields never recorded as managed: type meta and the identity/system fields of metadata. */
const strippedPaths: Path[] = [
  [{ field: "apiVersion" }],
  [{ field: "kind" }],
  [{ field: "metadata" }],
  ...["name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation", "managedFields", "resourceVersion"].map(
    (f): Path => [{ field: "metadata" }, { field: f }],
  ),
];
const strippedSet = FieldSet.of(...strippedPaths);

export function stripSystemFields(set: FieldSet): FieldSet {
  return set.difference(strippedSet);
}

/** Upstream's names for managers in conflict messages: `"kubectl"`, `"x" using apps/v1`, `"x" with subresource "status"`. */
export function describeManager(m: Pick<ManagerFields, "manager" | "operation" | "apiVersion" | "subresource">): string {
  let text = JSON.stringify(m.manager);
  if (m.subresource) text += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === "Update") text += ` using ${m.apiVersion}`;
  return text;
}

/** Upstream keeps at most this many Update entries; older ones merge into `ancient-changes`. */
export const maxUpdateManagers = 10;
const ancientChanges = "ancient-changes";

/**
 * Merges the oldest Update entries, per apiVersion, into an `ancient-changes` entry until at most
 * {@link maxUpdateManagers} Update entries remain (upstream capManagersManager).
 */
export function capUpdateManagers(managers: Managers): Managers {
  const updaters = [...managers.entries()].filter(([, m]) => m.operation === "Update");
  if (updaters.length <= maxUpdateManagers) return managers;
  updaters.sort(([ia, a], [ib, b]) => seconds(a.time) - seconds(b.time) || (ia < ib ? -1 : ia > ib ? 1 : 0));
  const out: Managers = new Map(managers);
  const firstOfVersion = new Map<string, string>();
  let remaining = updaters.length;
  for (const [id, m] of updaters) {
    if (remaining <= maxUpdateManagers) break;
    const bucketId = managerId({ manager: ancientChanges, operation: "Update", apiVersion: m.apiVersion });
    const first = firstOfVersion.get(m.apiVersion);
    if (first === undefined || id === bucketId) {
      firstOfVersion.set(m.apiVersion, id);
      continue;
    }
    let bucket = out.get(bucketId);
    if (!bucket) {
      bucket = out.get(first)!;
      out.delete(first);
    }
    out.set(bucketId, { manager: ancientChanges, operation: "Update", apiVersion: m.apiVersion, ...(m.time ? { time: m.time } : {}), set: m.set.union(bucket.set) });
    out.delete(id);
    remaining--;
  }
  return out;
}
