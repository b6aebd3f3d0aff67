/**
 * scheduling.k8s.io/v1 PriorityClass: defaulting (preemptionPolicy PreemptLowerPriority),
 * upstream's ValidatePriorityClass / ValidatePriorityClassUpdate, the PriorityClass half of the
 * Priority admission plugin (at most one globalDefault class, 403 otherwise) and the
 * `kubectl get priorityclasses` columns. The two system classes are written at bootstrap.
 */
import { errors, field, type FieldError } from "../../apiserver/status";
import type { KindStrategy, KObject, StrategyContext } from "../types";
import { ageCell } from "./service";

export const PRIORITY_CLASS_GROUP = "scheduling.k8s.io";
export const PRIORITY_CLASS_RESOURCE = "priorityclasses";
export const PREEMPTION_POLICIES = ["Never", "PreemptLowerPriority"];
export const DEFAULT_PREEMPTION_POLICY = "PreemptLowerPriority";
/** The largest value a class not named `system-…` may have (HighestUserDefinablePriority). */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
const SYSTEM_PRIORITY_CLASS_PREFIX = "system-";
/** A pod's priority when no class is named and none is the global default. */
export const DEFAULT_PRIORITY = 0;

/** The classes kube-apiserver creates at startup (scheduling.SystemPriorityClasses). */
export const SYSTEM_PRIORITY_CLASSES: readonly KObject[] = [
  systemClass("system-node-critical", 2_000_001_000, "Used for system critical pods that must not be moved from their current node."),
  systemClass("system-cluster-critical", 2_000_000_000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
];

function systemClass(name: string, value: number, description: string): KObject {
  return { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name }, value, description, preemptionPolicy: DEFAULT_PREEMPTION_POLICY };
}

/** IsKnownSystemPriorityClass: null when `pc` matches a system class in name, value and globalDefault. */
function systemClassMismatch(pc: KObject): string | null {
  const known = SYSTEM_PRIORITY_CLASSES.find((s) => s.metadata.name === pc.metadata.name);
  if (!known) return `${pc.metadata.name} is not a known system priority class`;
  if (known.value !== pc.value) return `value of ${known.metadata.name} PriorityClass must be ${known.value}`;
  if (!!pc.globalDefault !== false) return `globalDefault of ${known.metadata.name} PriorityClass must be false`;
  return null;
}

export function validatePriorityClass(pc: KObject): FieldError[] {
  const errs: FieldError[] = [];
  if (!Number.isInteger(pc.value) || pc.value < -2147483648 || pc.value > 2147483647) {
    errs.push(field.invalid("value", pc.value, "must be a 32-bit integer"));
  } else if ((pc.metadata.name ?? "").startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const mismatch = systemClassMismatch(pc);
    if (mismatch) {
      errs.push(field.forbidden("metadata.name", `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${mismatch}`));
    }
  } else if (pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(field.forbidden("value", `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  if (pc.preemptionPolicy != null && !PREEMPTION_POLICIES.includes(pc.preemptionPolicy)) {
    errs.push(field.notSupported("preemptionPolicy", pc.preemptionPolicy, PREEMPTION_POLICIES));
  }
  return errs;
}

export function validatePriorityClassUpdate(pc: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  if (pc.value !== old.value) errs.push(field.forbidden("value", "may not be changed in an update."));
  if (pc.preemptionPolicy !== old.preemptionPolicy) errs.push(field.invalid("preemptionPolicy", pc.preemptionPolicy, "field is immutable"));
  return errs;
}

/** Every stored PriorityClass, as the Priority admission plugin's lister sees them. */
export function priorityClasses(ctx: StrategyContext): KObject[] {
  return ctx.listClusterObjects?.(PRIORITY_CLASS_GROUP, PRIORITY_CLASS_RESOURCE) ?? [];
}

/** The global default class; should a race have left several, the one with the lowest value (as upstream). */
export function defaultPriorityClass(classes: KObject[]): KObject | null {
  let best: KObject | null = null;
  for (const pc of classes) if (pc.globalDefault && (!best || pc.value < best.value)) best = pc;
  return best;
}

function setDefaults(pc: KObject): void {
  pc.value ??= 0;
  pc.preemptionPolicy ??= DEFAULT_PREEMPTION_POLICY;
}

/** The Priority admission's validatePriorityClass: a second global default is forbidden. */
function admitGlobalDefault(pc: KObject, ctx: StrategyContext, isCreate: boolean): void {
  if (!pc.globalDefault) return;
  const current = defaultPriorityClass(priorityClasses(ctx));
  if (current && (isCreate || current.metadata.name !== pc.metadata.name)) {
    throw errors.forbidden(
      { group: PRIORITY_CLASS_GROUP, resource: PRIORITY_CLASS_RESOURCE },
      pc.metadata.name ?? "",
      `PriorityClass ${current.metadata.name} is already marked as default. Only one default can exist`,
    );
  }
}

export const priorityClassStrategy: KindStrategy = {
  group: PRIORITY_CLASS_GROUP,
  version: "v1",
  kind: "PriorityClass",
  resource: PRIORITY_CLASS_RESOURCE,
  singular: "priorityclass",
  namespaced: false,
  shortNames: ["pc"],

  prepareForCreate(pc, ctx) {
    setDefaults(pc);
    admitGlobalDefault(pc, ctx, true);
  },
  prepareForUpdate(pc, _old, ctx) {
    setDefaults(pc);
    admitGlobalDefault(pc, ctx, false);
  },
  validate: validatePriorityClass,
  validateUpdate: validatePriorityClassUpdate,

  table: {
    columns: [
      { name: "Value", type: "integer", description: "The value of this priority class.", priority: 0 },
      { name: "Global-Default", type: "boolean", description: "Whether this priority class is the global default.", priority: 0 },
      { name: "Age", type: "string", description: "Time since the object was created.", priority: 0 },
      { name: "PreemptionPolicy", type: "string", description: "The policy for preempting pods with lower priority.", priority: 0 },
    ],
    cells: (pc, now) => [pc.value ?? 0, !!pc.globalDefault, ageCell(pc.metadata.creationTimestamp, now), pc.preemptionPolicy ?? ""],
  },
};
