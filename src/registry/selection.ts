/**
 * Which objects a list or watch selects: a label selector and a field selector, validated
 * against the kind's selectable fields.
 */
import { parseLabelSelector } from "../apiserver/selectors/labels";
import { parseFieldSelector, validateFieldSelector } from "../apiserver/selectors/fields";
import type { KindStrategy, KObject } from "./types";

export interface Selection {
  matches(obj: KObject, strategy: KindStrategy): boolean;
}

export const selectEverything: Selection = { matches: () => true };

/** The selectable fields of an object: metadata.name, metadata.namespace and the kind's own. */
export function fieldSet(obj: KObject, strategy: KindStrategy): Record<string, string> {
  const fields: Record<string, string> = { "metadata.name": obj.metadata.name ?? "" };
  if (strategy.namespaced) fields["metadata.namespace"] = obj.metadata.namespace ?? "";
  return strategy.selectableFields ? { ...fields, ...strategy.selectableFields(obj) } : fields;
}

/** The names of the selectable fields of a kind. */
export function selectableFieldNames(strategy: KindStrategy): string[] {
  const probe: KObject = { apiVersion: "", kind: strategy.kind, metadata: {}, spec: {}, status: {} };
  return Object.keys(fieldSet(probe, strategy));
}

export function buildSelection(strategy: KindStrategy, labelSelector?: string | null, fieldSelector?: string | null): Selection {
  const labels = labelSelector ? parseLabelSelector(labelSelector) : null;
  const fields = fieldSelector ? parseFieldSelector(fieldSelector) : null;
  // Kinds without their own selectable fields get upstream's default message for unknown fields.
  if (fields) validateFieldSelector(fields, strategy.selectableFields ? selectableFieldNames(strategy) : undefined);
  if (!labels && !fields) return selectEverything;
  return {
    matches(obj, kind) {
      if (labels && !labels.matches(obj.metadata.labels ?? {})) return false;
      if (fields && !fields.matches(fieldSet(obj, kind))) return false;
      return true;
    },
  };
}
