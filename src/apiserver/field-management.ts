/**
 * Field management of API writes: which manager a request writes as, the managedFields every
 * write records, and server-side apply (`application/apply-patch+yaml`) on top of the store.
 */
import { formatTime } from "../registry/clock";
import type { ResourceStore, WriteOptions } from "../registry/store";
import type { KindStrategy, KObject } from "../registry/types";
import {
  builtinListTypes,
  decodeApplyPatch,
  listTypesFromSchema,
  managerOfRequest,
  serverSideApply,
  trackUpdate,
  validateWriteOptions,
  withManagedFields,
  type ListTypeLookup,
} from "./apply";
import { errors } from "./status";

const listTypeCache = new WeakMap<KindStrategy, ListTypeLookup>();

/** The list semantics of a kind's fields: its own schema's (custom resources) or the built-in tables'. */
function listTypesOf(strategy: KindStrategy): ListTypeLookup {
  let lookup = listTypeCache.get(strategy);
  if (!lookup) {
    lookup = strategy.openApiSchema ? listTypesFromSchema(strategy.openApiSchema) : builtinListTypes(strategy.kind, strategy.group);
    listTypeCache.set(strategy, lookup);
  }
  return lookup;
}

/** Fields a write through `subresource` never owns (upstream's ResetFields of the status strategies). */
function resetFieldsOf(strategy: KindStrategy, subresource: string): string[][] {
  if (!strategy.subresources?.status) return [];
  return subresource === "status" ? [["spec"]] : subresource === "" ? [["status"]] : [];
}

export type WriteVerb = "CreateOptions" | "UpdateOptions" | "PatchOptions";

/**
 * The write options of a non-apply API write: validates `fieldManager`/`force` as upstream and
 * records the write under the request's manager (its `fieldManager`, else its User-Agent's name).
 */
export function managedWrite(
  store: ResourceStore,
  request: Request,
  query: URLSearchParams,
  verb: WriteVerb,
  base: WriteOptions,
  now: () => number,
): WriteOptions {
  const fieldManager = query.get("fieldManager");
  const invalid = validateWriteOptions({ options: verb, fieldManager, forceGiven: query.has("force") });
  if (invalid) throw invalid;
  const subresource = base.subresource ?? "";
  const options = {
    manager: managerOfRequest(fieldManager, request.headers.get("user-agent")),
    listTypes: listTypesOf(store.strategy),
    subresource: subresource || undefined,
    resetFields: resetFieldsOf(store.strategy, subresource),
  };
  return {
    ...base,
    trackManagedFields(old: KObject | null, next: KObject) {
      const entries = trackUpdate(old, next, { ...options, now: formatTime(now()) });
      next.metadata = withManagedFields(next, entries).metadata;
    },
  };
}

/** Server-side apply of a request body to `name`; creates the object when it does not exist. */
export async function serveApply(
  store: ResourceStore,
  namespace: string,
  name: string,
  body: Uint8Array,
  query: URLSearchParams,
  base: WriteOptions,
  now: () => number,
): Promise<{ object: KObject; created: boolean }> {
  const fieldManager = query.get("fieldManager");
  const invalid = validateWriteOptions({ options: "PatchOptions", fieldManager, apply: true, forceGiven: query.has("force") });
  if (invalid) throw invalid;
  const applied = decodeApplyPatch(body);
  const meta = (applied.metadata ??= {});
  if (meta.name !== undefined && meta.name !== name) {
    throw errors.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
  }
  meta.name = name;
  if (store.strategy.namespaced) meta.namespace ??= namespace;
  const subresource = base.subresource ?? "";
  const options = {
    manager: fieldManager!,
    force: query.get("force") === "true",
    listTypes: listTypesOf(store.strategy),
    subresource: subresource || undefined,
    resetFields: resetFieldsOf(store.strategy, subresource),
  };
  return store.apply(namespace, name, (current) => serverSideApply(current, applied, { ...options, now: formatTime(now()) }), base);
}
