/**
 * policy/v1 PodDisruptionBudget: pkg/registry/policy/poddisruptionbudget/strategy.go,
 * ValidatePodDisruptionBudget(Spec|StatusUpdate) and printPodDisruptionBudget.
 *
 * - Create resets status to its zero value (the four counters at 0); spec changes bump the
 *   generation; the status subresource writes only status.
 * - `minAvailable` and `maxUnavailable` are int-or-percent; at most one may be set (upstream
 *   accepts neither: such a budget allows no disruption once it selects pods).
 * - `unhealthyPodEvictionPolicy` is `IfHealthyBudget` (the behaviour when unset) or `AlwaysAllow`.
 */
import { age } from "../../apiserver/duration";
import { validateLabelSelector, type LabelSelectorObject } from "../../apiserver/selectors/labels";
import { field, type FieldError } from "../../apiserver/status";
import type { KindStrategy, KObject, TableColumn } from "../types";
import { isNotMoreThan100Percent, isRecord, validateNonnegative, validatePositiveIntOrPercent, withRenderedValue, type Obj } from "./pod-template";

export const UNHEALTHY_POD_EVICTION_POLICIES = ["AlwaysAllow", "IfHealthyBudget"];

const isSet = (v: unknown) => v !== undefined && v !== null;

/** The zero PodDisruptionBudgetStatus as it serializes (the counters are not omitempty). */
export function emptyBudgetStatus(): Obj {
  return { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
}

function prepareForCreate(obj: KObject): FieldError[] {
  if (!isRecord(obj.spec)) obj.spec = {};
  obj.status = emptyBudgetStatus();
  return [];
}

/** `%#v` of the internal spec, as upstream prints it when both bounds are set (pointers shown as such). */
function goSpec(spec: Obj): string {
  const ptr = (type: string, v: unknown, i: number) => (isSet(v) ? `(*${type})(0xc0000${(0x1000 + i * 0x20).toString(16)})` : `(*${type})(nil)`);
  return (
    `policy.PodDisruptionBudgetSpec{MinAvailable:${ptr("intstr.IntOrString", spec.minAvailable, 0)}, ` +
    `Selector:${ptr("v1.LabelSelector", spec.selector, 1)}, MaxUnavailable:${ptr("intstr.IntOrString", spec.maxUnavailable, 2)}, ` +
    `UnhealthyPodEvictionPolicy:${ptr("policy.UnhealthyPodEvictionPolicyType", spec.unhealthyPodEvictionPolicy, 3)}}`
  );
}

/** ValidatePodDisruptionBudgetSpec. */
export function validateBudgetSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  if (isSet(spec.minAvailable) && isSet(spec.maxUnavailable)) {
    errs.push(withRenderedValue(field.invalid("spec.minAvailable", spec, "minAvailable and maxUnavailable cannot be both set"), goSpec(spec)));
  }
  for (const bound of ["minAvailable", "maxUnavailable"]) {
    if (!isSet(spec[bound])) continue;
    errs.push(...validatePositiveIntOrPercent(spec[bound], `spec.${bound}`), ...isNotMoreThan100Percent(spec[bound], `spec.${bound}`));
  }
  errs.push(...validateLabelSelector(spec.selector as LabelSelectorObject, "spec.selector"));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (isSet(policy) && !UNHEALTHY_POD_EVICTION_POLICIES.includes(String(policy))) {
    errs.push(field.notSupported("spec.unhealthyPodEvictionPolicy", policy, UNHEALTHY_POD_EVICTION_POLICIES));
  }
  return errs;
}

/** The policy/v1 part of ValidatePodDisruptionBudgetStatusUpdate: no counter is negative. */
function validateBudgetStatus(status: Obj): FieldError[] {
  return ["disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"].flatMap((f) => validateNonnegative(status[f], `status.${f}`));
}

function validate(obj: KObject): FieldError[] {
  return [...validateBudgetSpec(isRecord(obj.spec) ? obj.spec : {}), ...validateBudgetStatus(isRecord(obj.status) ? obj.status : {})];
}

/** intstr.IntOrString.String(), or `N/A` when unset (printPodDisruptionBudget). */
const boundCell = (v: unknown): string => (isSet(v) ? String(v) : "N/A");

const columns: TableColumn[] = [
  { name: "Min Available", type: "string", priority: 0, description: "The minimum number of pods that must be available." },
  { name: "Max Unavailable", type: "string", priority: 0, description: "The maximum number of pods that may be unavailable." },
  { name: "Allowed Disruptions", type: "integer", priority: 0, description: "Calculated number of pods that may be disrupted at this time." },
  { name: "Age", type: "string", priority: 0, description: "CreationTimestamp is a timestamp representing the server time when this object was created." },
];

function cells(obj: KObject, now: Date): unknown[] {
  const spec: Obj = isRecord(obj.spec) ? obj.spec : {};
  const allowed = isRecord(obj.status) && typeof obj.status.disruptionsAllowed === "number" ? obj.status.disruptionsAllowed : 0;
  return [boundCell(spec.minAvailable), boundCell(spec.maxUnavailable), allowed, age(obj.metadata.creationTimestamp, now)];
}

export const podDisruptionBudgetStrategy: KindStrategy = {
  group: "policy",
  version: "v1",
  kind: "PodDisruptionBudget",
  resource: "poddisruptionbudgets",
  singular: "poddisruptionbudget",
  namespaced: true,
  shortNames: ["pdb"],
  nameRule: "subdomain",
  tracksGeneration: true,
  subresources: { status: true },
  prepareForCreate,
  validate,
  table: { columns, cells },
};
