/**
 * The resource quota controller (pkg/controller/resourcequota): keeps each ResourceQuota's
 * `status.hard` equal to its spec and `status.used` equal to what its namespace uses, so
 * `kubectl describe quota` and `kubectl get quota` read as upstream. Admission enforces the limits
 * from live usage, not from this status.
 *
 * Watch events → keys (reconciler `resourcequota`, keyed `namespace/name`): a quota added or
 * changed; any namespaced object added, changed or deleted enqueues the quotas of its namespace.
 */
import { namespaceUsage } from "../../admission/namespace-admission";
import { formatQuantity, quantityFromValue } from "../../registry/kinds/quantity";
import type { Registry } from "../../registry/registry";
import { selectEverything } from "../../registry/selection";
import type { UserInfo } from "../../registry/types";
import type { Reconciler } from "../runtime";
import { getOrNull, isConflictOrNotFound, splitKey } from "./workloads";

export interface ResourceQuotaDeps {
  registry: Registry;
  user: UserInfo;
}

export function resourceQuotaReconciler({ registry, user }: ResourceQuotaDeps): Reconciler {
  const quotas = registry.resource("", "resourcequotas");
  const objects = { list: (group: string, resource: string, ns: string) => registry.find(group, resource)?.list(ns, { selection: selectEverything }).items ?? [] };
  return async (key) => {
    const [namespace, name] = splitKey(key);
    const quota = getOrNull(quotas, namespace, name);
    if (!quota || quota.metadata.deletionTimestamp) return;
    const hard: Record<string, string> = { ...(quota.spec?.hard ?? {}) };
    const usage = namespaceUsage(objects, namespace, Object.keys(hard));
    const used = Object.fromEntries(Object.keys(hard).sort().map((n) => [n, formatQuantity(usage.get(n) ?? quantityFromValue(0n))]));
    if (JSON.stringify(quota.status ?? {}) === JSON.stringify({ hard, used })) return;
    try {
      await quotas.patch(namespace, name, (current) => ({ ...current, status: { hard, used } }), { user, subresource: "status" });
    } catch (e) {
      if (!isConflictOrNotFound(e)) throw e;
      return { requeueAfterMs: 0 };
    }
  };
}

/** The quota keys of a namespace (what a change to any object in it enqueues). */
export function quotaKeysOf(registry: Registry, namespace: string): string[] {
  if (!namespace) return [];
  return registry.resource("", "resourcequotas").list(namespace, { selection: selectEverything }).items.map((q) => `${namespace}/${q.metadata.name}`);
}
