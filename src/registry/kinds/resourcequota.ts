/**
 * core/v1 ResourceQuota: upstream's ValidateResourceQuota (resource names, non-negative
 * quantities, scopes) and `kubectl get quota` columns (REQUEST / LIMIT as `name: used/hard`).
 * Quantities are canonicalized as every core/v1 ResourceList is. Usage tracking and enforcement
 * belong to the quota controller and admission.
 */
import { isQualifiedName } from "../../apiserver/names";
import { field, type FieldError } from "../../apiserver/status";
import type { KindStrategy, KObject } from "../types";
import { arr, canonicalizeResourceList, isRecord, NON_NEGATIVE_MSG, quantityDecodeFailure } from "./pod-template";
import { formatQuantity, quantityFromJSON, sign } from "./quantity";
import { ageCell } from "./service";

const SCOPES = ["Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity", "VolumeAttributesClass"];

function canonicalizeQuota(quota: KObject): void {
  canonicalizeResourceList(quota.spec?.hard, quantityDecodeFailure(quota));
  canonicalizeResourceList(quota.status?.hard, quantityDecodeFailure(quota));
  canonicalizeResourceList(quota.status?.used, quantityDecodeFailure(quota));
}

function validateResourceList(list: unknown, path: string): FieldError[] {
  if (!isRecord(list)) return [];
  return Object.entries(list).flatMap(([name, raw]) => {
    const errs = isQualifiedName(name).map((m) => field.invalid(`${path}[${name}]`, name, m));
    const q = quantityFromJSON(raw);
    if (sign(q) < 0) errs.push(field.invalid(`${path}[${name}]`, formatQuantity(q), NON_NEGATIVE_MSG));
    return errs;
  });
}

export function validateResourceQuota(quota: KObject): FieldError[] {
  const errs = [...validateResourceList(quota.spec?.hard, "spec.hard"), ...validateResourceList(quota.status?.hard, "status.hard"), ...validateResourceList(quota.status?.used, "status.used")];
  for (const scope of arr(quota.spec?.scopes)) {
    if (!SCOPES.includes(scope)) errs.push(field.invalid("spec.scopes", scope, "unsupported scope"));
  }
  return errs;
}

/** `name: used/hard` for each hard limit (sorted), limits.* in the LIMIT column, the rest in REQUEST. */
function usageColumns(quota: KObject): [string, string] {
  const request: string[] = [];
  const limit: string[] = [];
  const quantity = (list: unknown, name: string) => (isRecord(list) && list[name] !== undefined ? formatQuantity(quantityFromJSON(list[name])) : "0");
  for (const name of Object.keys(quota.spec?.hard ?? {}).sort()) {
    const cell = `${name}: ${quantity(quota.status?.used, name)}/${quantity(quota.status?.hard, name)}`;
    (name.split(".")[0] === "limits" && name.includes(".") ? limit : request).push(cell);
  }
  return [request.join(", "), limit.join(", ")];
}

export const resourceQuotaStrategy: KindStrategy = {
  group: "",
  version: "v1",
  kind: "ResourceQuota",
  resource: "resourcequotas",
  singular: "resourcequota",
  namespaced: true,
  shortNames: ["quota"],
  subresources: { status: true },
  prepareForCreate: canonicalizeQuota,
  prepareForUpdate: canonicalizeQuota,
  validate: validateResourceQuota,
  table: {
    columns: [
      { name: "Age", type: "string", description: "Time since the object was created.", priority: 0 },
      { name: "Request", type: "string", description: "Used and hard limits of the requests.", priority: 0 },
      { name: "Limit", type: "string", description: "Used and hard limits of the limits.", priority: 0 },
    ],
    cells: (quota, now) => [ageCell(quota.metadata.creationTimestamp, now), ...usageColumns(quota)],
  },
};
