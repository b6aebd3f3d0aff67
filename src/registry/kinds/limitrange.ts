/**
 * core/v1 LimitRange: upstream's ValidateLimitRange (limit types, resource names, the ordering
 * min ≤ defaultRequest ≤ default ≤ max, ratios ≥ 1) and `kubectl get limits`. Quantities are
 * canonicalized as every core/v1 ResourceList is. Applying the limits to pods is admission's job.
 */
import { field, type FieldError } from "../../apiserver/status";
import type { KindStrategy, KObject } from "../types";
import { arr, canonicalizeResourceList, isRecord, quantityDecodeFailure, type Obj } from "./pod-template";
import { compareQuantities, formatQuantity, quantityFromJSON, quantityFromValue, type Quantity } from "./quantity";

const LIMIT_LISTS = ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"] as const;
const LIMIT_TYPES = ["Pod", "Container", "PersistentVolumeClaim"];

/**
 * Canonical quantities, and SetDefaults_LimitRangeItem for Container limits: the default limit
 * falls back to max, the default request to the default limit, then to min.
 */
function defaultLimits(lr: KObject): void {
  for (const limit of arr(lr.spec?.limits)) {
    if (!isRecord(limit)) continue;
    for (const list of LIMIT_LISTS) canonicalizeResourceList(limit[list], quantityDecodeFailure(lr));
    if (limit.type !== "Container") continue;
    const fill = (target: "default" | "defaultRequest", from: unknown) => {
      if (!isRecord(from)) return;
      const into = (limit[target] = isRecord(limit[target]) ? limit[target] : {}) as Record<string, unknown>;
      for (const [name, value] of Object.entries(from)) if (into[name] === undefined) into[name] = value;
    };
    fill("default", limit.max);
    fill("defaultRequest", limit.default);
    fill("defaultRequest", limit.min);
  }
}

function quantities(list: unknown): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  if (isRecord(list)) for (const [k, v] of Object.entries(list)) out.set(k, quantityFromJSON(v));
  return out;
}

function validateLimit(limit: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = typeof limit.type === "string" ? limit.type : "";
  if (!LIMIT_TYPES.includes(type) && !type.includes("/")) errs.push(field.notSupported(`${path}.type`, type, LIMIT_TYPES));
  const [max, min, dflt, defaultRequest, ratio] = LIMIT_LISTS.map((list) => quantities(limit[list]));
  if (type === "Pod") {
    if (dflt.size > 0) errs.push(field.forbidden(`${path}.default`, "may not be specified when `type` is 'Pod'"));
    if (defaultRequest.size > 0) errs.push(field.forbidden(`${path}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
  }
  if (type === "PersistentVolumeClaim" && !min.has("storage") && !max.has("storage")) {
    errs.push(field.required(`${path}.limits`, "either minimum or maximum storage value is required, but neither was provided"));
  }
  const keys = new Set([...max.keys(), ...min.keys(), ...dflt.keys(), ...defaultRequest.keys(), ...ratio.keys()]);
  const greater = (a: Quantity | undefined, b: Quantity | undefined) => a !== undefined && b !== undefined && compareQuantities(a, b) > 0;
  const s = formatQuantity;
  for (const k of keys) {
    const [mx, mn, d, dr, r] = [max.get(k), min.get(k), dflt.get(k), defaultRequest.get(k), ratio.get(k)];
    if (greater(mn, mx)) errs.push(field.invalid(`${path}.min[${k}]`, s(mn!), `min value ${s(mn!)} is greater than max value ${s(mx!)}`));
    if (greater(mn, dr)) errs.push(field.invalid(`${path}.defaultRequest[${k}]`, s(dr!), `min value ${s(mn!)} is greater than default request value ${s(dr!)}`));
    if (greater(dr, mx)) errs.push(field.invalid(`${path}.defaultRequest[${k}]`, s(dr!), `default request value ${s(dr!)} is greater than max value ${s(mx!)}`));
    if (greater(dr, d)) errs.push(field.invalid(`${path}.defaultRequest[${k}]`, s(dr!), `default request value ${s(dr!)} is greater than default limit value ${s(d!)}`));
    if (greater(mn, d)) errs.push(field.invalid(`${path}.default[${k}]`, s(d!), `min value ${s(mn!)} is greater than default value ${s(d!)}`));
    if (greater(d, mx)) errs.push(field.invalid(`${path}.default[${k}]`, s(d!), `default value ${s(d!)} is greater than max value ${s(mx!)}`));
    if (r && compareQuantities(r, quantityFromValue(1n)) < 0) errs.push(field.invalid(`${path}.maxLimitRequestRatio[${k}]`, s(r), `ratio ${s(r)} is less than 1`));
  }
  return errs;
}

export function validateLimitRange(lr: KObject): FieldError[] {
  const limits = arr(lr.spec?.limits);
  return limits.flatMap((limit, i) => (isRecord(limit) ? validateLimit(limit, `spec.limits[${i}]`) : []));
}

export const limitRangeStrategy: KindStrategy = {
  group: "",
  version: "v1",
  kind: "LimitRange",
  resource: "limitranges",
  singular: "limitrange",
  namespaced: true,
  shortNames: ["limits"],
  prepareForCreate: defaultLimits,
  prepareForUpdate: defaultLimits,
  validate: validateLimitRange,
};
