/**
 * `as=Table` output for `kubectl get`: the Name column first (format "name"), then the kind's
 * columns, each row carrying the object's metadata (PartialObjectMetadata) or the full object.
 */
import type { KindStrategy, KObject, TableColumn } from "../registry/types";

export type IncludeObject = "None" | "Metadata" | "Object";

const nameColumn: TableColumn = {
  name: "Name",
  type: "string",
  format: "name",
  description: "Name must be unique within a namespace. Cannot be updated.",
  priority: 0,
};

const createdAtColumn: TableColumn = {
  name: "Created At",
  type: "date",
  description: "When the object was created, in RFC 3339 form.",
  priority: 0,
};

export function columnsOf(strategy: KindStrategy): TableColumn[] {
  if (strategy.table?.ownsNameColumn) return strategy.table.columns;
  return [nameColumn, ...(strategy.table ? strategy.table.columns : [createdAtColumn])];
}

export function partialObjectMetadata(obj: KObject): KObject {
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj.metadata };
}

function row(strategy: KindStrategy, obj: KObject, now: Date, include: IncludeObject) {
  const cells = strategy.table ? strategy.table.cells(obj, now) : [obj.metadata.creationTimestamp ?? ""];
  const out: { cells: unknown[]; object?: KObject } = { cells: strategy.table?.ownsNameColumn ? cells : [obj.metadata.name ?? "", ...cells] };
  if (include === "Object") out.object = obj;
  else if (include === "Metadata") out.object = partialObjectMetadata(obj);
  return out;
}

export interface TableOptions {
  now: Date;
  include: IncludeObject;
  /** When false, `columnDefinitions` is null (watch events after the first). */
  withColumns: boolean;
  listMeta?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
}

export function toTable(strategy: KindStrategy, objects: KObject[], options: TableOptions) {
  const metadata: Record<string, unknown> = {};
  if (options.listMeta?.resourceVersion) metadata.resourceVersion = options.listMeta.resourceVersion;
  if (options.listMeta?.continue) metadata.continue = options.listMeta.continue;
  if (options.listMeta?.remainingItemCount) metadata.remainingItemCount = options.listMeta.remainingItemCount;
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata,
    columnDefinitions: options.withColumns ? columnsOf(strategy) : null,
    rows: objects.map((o) => row(strategy, o, options.now, options.include)),
  };
}

export function parseIncludeObject(value: string | null): IncludeObject {
  return value === "None" || value === "Object" ? value : "Metadata";
}
