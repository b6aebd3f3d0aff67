/**
 * The LimitRanger admission plugin for pods: containers without requests or limits get the
 * defaults of the namespace's Container limits (and the `kubernetes.io/limit-ranger` annotation
 * saying so), then every Container and Pod min / max is checked, with upstream's messages.
 */
import type { KObject } from "../registry/types";
import { addQuantities, compareQuantities, formatQuantity, quantityFromJSON, type Quantity } from "../registry/kinds/quantity";

type ResourceList = Record<string, unknown>;
interface Limit {
  type?: string;
  min?: ResourceList;
  max?: ResourceList;
  default?: ResourceList;
  defaultRequest?: ResourceList;
}

const limitsOf = (ranges: readonly KObject[], type: string): Limit[] => ranges.flatMap((r) => (r.spec?.limits ?? []) as Limit[]).filter((l) => l.type === type);
const q = (v: unknown): Quantity => quantityFromJSON(v);

/** Sets the Container defaults on `pod` (in place); returns the annotation text, or null when nothing was set. */
function applyDefaults(pod: KObject, limits: Limit[]): string | null {
  const notes: string[] = [];
  for (const c of (pod.spec?.containers ?? []) as { name: string; resources?: { requests?: ResourceList; limits?: ResourceList } }[]) {
    const set = { request: [] as string[], limit: [] as string[] };
    for (const limit of limits) {
      for (const [list, field, note] of [["defaultRequest", "requests", "request"], ["default", "limits", "limit"]] as const) {
        for (const [name, value] of Object.entries(limit[list] ?? {})) {
          const resources = (c.resources ??= {});
          const target = (resources[field] ??= {});
          if (target[name] === undefined) {
            target[name] = value;
            set[note].push(name);
          }
        }
      }
    }
    if (set.request.length) notes.push(`${set.request.join(", ")} request for container ${c.name}`);
    if (set.limit.length) notes.push(`${set.limit.join(", ")} limit for container ${c.name}`);
  }
  return notes.length ? `LimitRanger plugin set: ${notes.join("; ")}` : null;
}

function checkBounds(kind: string, limit: Limit, requests: ResourceList, limits: ResourceList): string[] {
  const errors: string[] = [];
  for (const [name, min] of Object.entries(limit.min ?? {})) {
    const request = requests[name];
    if (request === undefined) errors.push(`minimum ${name} usage per ${kind} is ${formatQuantity(q(min))}.  No request is specified`);
    else if (compareQuantities(q(request), q(min)) < 0) errors.push(`minimum ${name} usage per ${kind} is ${formatQuantity(q(min))}, but request is ${formatQuantity(q(request))}`);
  }
  for (const [name, max] of Object.entries(limit.max ?? {})) {
    const value = limits[name];
    if (value === undefined) errors.push(`maximum ${name} usage per ${kind} is ${formatQuantity(q(max))}.  No limit is specified`);
    else if (compareQuantities(q(value), q(max)) > 0) errors.push(`maximum ${name} usage per ${kind} is ${formatQuantity(q(max))}, but limit is ${formatQuantity(q(value))}`);
  }
  return errors;
}

/** The per-resource sums of some resource lists (a pod's containers), as quantity strings. */
function sum(lists: ResourceList[]): ResourceList {
  const total = new Map<string, Quantity>();
  for (const list of lists) {
    for (const [name, v] of Object.entries(list)) {
      const prev = total.get(name);
      total.set(name, prev ? addQuantities(prev, q(v)) : q(v));
    }
  }
  return Object.fromEntries([...total].map(([name, quantity]) => [name, formatQuantity(quantity)]));
}

/**
 * Admits a pod against the namespace's LimitRanges: sets defaults in place and returns the
 * problems (empty: admitted). The caller words them as a 403.
 */
export function admitPodLimits(pod: KObject, ranges: readonly KObject[]): string[] {
  if (ranges.length === 0) return [];
  const containerLimits = limitsOf(ranges, "Container");
  const annotation = applyDefaults(pod, containerLimits);
  if (annotation) pod.metadata.annotations = { ...pod.metadata.annotations, "kubernetes.io/limit-ranger": annotation };
  const containers = (pod.spec?.containers ?? []) as { resources?: { requests?: ResourceList; limits?: ResourceList } }[];
  const errors: string[] = [];
  for (const limit of containerLimits) for (const c of containers) errors.push(...checkBounds("Container", limit, c.resources?.requests ?? {}, c.resources?.limits ?? {}));
  const podLimits = limitsOf(ranges, "Pod");
  if (podLimits.length) {
    const requests = sum(containers.map((c) => c.resources?.requests ?? {}));
    const limits = sum(containers.map((c) => c.resources?.limits ?? {}));
    for (const limit of podLimits) errors.push(...checkBounds("Pod", limit, requests, limits));
  }
  return errors;
}
