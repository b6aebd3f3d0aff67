/**
 * ResourceQuota: what each object counts against a quota (object counts and the compute resources
 * of pods, storage of claims), the namespace's usage, and the admission check with upstream's
 * messages (`exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2`).
 */
import type { KObject } from "../registry/types";
import { addQuantities, compareQuantities, formatQuantity, quantityFromJSON, quantityFromValue, sign, subtractQuantities, type Quantity } from "../registry/kinds/quantity";

export type Usage = Map<string, Quantity>;

const ONE = quantityFromValue(1n);
const TERMINAL = new Set(["Succeeded", "Failed"]);
/** Legacy quota names of core object counts. */
const LEGACY_COUNTS: Record<string, string> = {
  pods: "pods",
  services: "services",
  configmaps: "configmaps",
  secrets: "secrets",
  persistentvolumeclaims: "persistentvolumeclaims",
  replicationcontrollers: "replicationcontrollers",
  resourcequotas: "resourcequotas",
};

function add(usage: Usage, name: string, amount: Quantity): void {
  const prev = usage.get(name);
  usage.set(name, prev ? addQuantities(prev, amount) : amount);
}

type Container = { name: string; resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } };

/** What one object adds to its namespace's usage. Terminal pods add nothing, as upstream. */
export function usageOf(obj: KObject, group: string, resource: string): Usage {
  const usage: Usage = new Map();
  if (resource === "pods" && group === "" && (TERMINAL.has(obj.status?.phase) || obj.metadata.deletionTimestamp)) return usage;
  add(usage, `count/${resource}${group ? `.${group}` : ""}`, ONE);
  if (group === "" && LEGACY_COUNTS[resource]) add(usage, LEGACY_COUNTS[resource], ONE);
  if (group === "" && resource === "services") {
    if (obj.spec?.type === "NodePort" || obj.spec?.type === "LoadBalancer") add(usage, "services.nodeports", quantityFromValue(BigInt((obj.spec?.ports ?? []).length)));
    if (obj.spec?.type === "LoadBalancer") add(usage, "services.loadbalancers", ONE);
  }
  if (group === "" && resource === "pods") {
    for (const c of (obj.spec?.containers ?? []) as Container[]) {
      for (const [name, value] of Object.entries(c.resources?.requests ?? {})) {
        add(usage, `requests.${name}`, quantityFromJSON(value));
        if (name === "cpu" || name === "memory") add(usage, name, quantityFromJSON(value));
      }
      for (const [name, value] of Object.entries(c.resources?.limits ?? {})) add(usage, `limits.${name}`, quantityFromJSON(value));
    }
  }
  if (group === "" && resource === "persistentvolumeclaims" && obj.spec?.resources?.requests?.storage !== undefined) {
    add(usage, "requests.storage", quantityFromJSON(obj.spec.resources.requests.storage));
  }
  return usage;
}

/** What an update adds: the increases from `old` to `next` (decreases are free, as upstream). */
export function usageIncrease(next: Usage, old: Usage): Usage {
  const increase: Usage = new Map();
  for (const [name, q] of next) {
    const delta = old.has(name) ? subtractQuantities(q, old.get(name)!) : q;
    if (sign(delta) > 0) increase.set(name, delta);
  }
  return increase;
}

/** The usage of many objects, summed. */
export function totalUsage(parts: Iterable<Usage>): Usage {
  const total: Usage = new Map();
  for (const part of parts) for (const [name, q] of part) add(total, name, q);
  return total;
}

/** The group/resource whose objects a quota resource name counts (`pods`, `count/deployments.apps`, `requests.cpu` → pods…). */
export function countedResource(name: string): { group: string; resource: string } | null {
  const count = /^count\/([^.]+)(?:\.(.+))?$/.exec(name);
  if (count) return { group: count[2] ?? "", resource: count[1]! };
  if (LEGACY_COUNTS[name]) return { group: "", resource: LEGACY_COUNTS[name]! };
  if (name.startsWith("services.")) return { group: "", resource: "services" };
  if (name === "requests.storage") return { group: "", resource: "persistentvolumeclaims" };
  if (/^(requests|limits)\.|^(cpu|memory)$/.test(name)) return { group: "", resource: "pods" };
  return null;
}

const pretty = (entries: [string, Quantity][]) => entries.map(([n, q]) => `${n}=${formatQuantity(q)}`).join(",");

/**
 * Why `quota` refuses an object adding `requested` to a namespace that uses `used`, or null.
 * Compute resources the quota limits must be specified by every container of a pod.
 */
export function quotaViolation(quota: KObject, requested: Usage, used: Usage, pod?: KObject): string | null {
  const hard = Object.entries((quota.spec?.hard ?? {}) as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
  if (pod) {
    const missing: string[] = [];
    for (const [name] of hard) {
      const m = /^(requests|limits)\.(cpu|memory)$|^(cpu|memory)$/.exec(name);
      if (!m) continue;
      const [list, resource] = m[3] ? ["requests", m[3]] : [m[1]!, m[2]!];
      const lacking = ((pod.spec?.containers ?? []) as Container[]).filter((c) => c.resources?.[list as "requests" | "limits"]?.[resource] === undefined).map((c) => c.name);
      if (lacking.length) missing.push(`${name} for: ${lacking.join(",")}`);
    }
    if (missing.length) return `failed quota: ${quota.metadata.name}: must specify ${missing.join("; ")}`;
  }
  const exceeded = hard.filter(([name, limit]) => {
    const add = requested.get(name);
    if (!add) return false;
    const after = used.has(name) ? addQuantities(used.get(name)!, add) : add;
    return compareQuantities(after, quantityFromJSON(limit)) > 0;
  });
  if (!exceeded.length) return null;
  const names = exceeded.map(([name]) => name);
  return `exceeded quota: ${quota.metadata.name}, requested: ${pretty(names.map((n) => [n, requested.get(n)!]))}, used: ${pretty(
    names.map((n) => [n, used.get(n) ?? quantityFromValue(0n)]),
  )}, limited: ${pretty(exceeded.map(([n, limit]) => [n, quantityFromJSON(limit)]))}`;
}
