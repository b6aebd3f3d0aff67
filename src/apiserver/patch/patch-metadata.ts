/**
 * Strategic-merge-patch metadata of the built-in kinds: which fields merge lists and by which key.
 *
 * Derived from the schema source of truth (src/schema): the message tables give the structure,
 * the annotation layer the `patchStrategy` / `patchMergeKey` of each field — the same data
 * OpenAPI publishes as `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key`. Fields
 * without a strategy: maps merge recursively, lists are replaced. A kind the tables do not know
 * (a custom resource) has metadata only under `metadata` (its ObjectMeta).
 */
import { annotationOf, fieldAt } from "../../schema/model";

export type PatchStrategy = "merge" | "retainKeys" | "merge,retainKeys" | "replace";

export interface PatchMeta {
  strategy: PatchStrategy;
  /** The key merged list items are matched by; absent for lists of primitives (merged as sets). */
  mergeKey?: string;
}

/**
 * The patch metadata of the field at `path` (JSON field names from the object's root; list items
 * add no segment, map values add their key, so `spec.template.spec.containers[*].env` is
 * `["spec","template","spec","containers","env"]`), or undefined when the field has none.
 * `group` undefined matches the kind in any group.
 */
export function patchMeta(kind: string, group: string | undefined, path: readonly string[]): PatchMeta | undefined {
  const field = path.length > 0 ? fieldAt(kind, group, path) : undefined;
  const a = field && annotationOf(field);
  if (!a?.patchStrategy) return undefined;
  return a.patchMergeKey ? { strategy: a.patchStrategy, mergeKey: a.patchMergeKey } : { strategy: a.patchStrategy };
}
