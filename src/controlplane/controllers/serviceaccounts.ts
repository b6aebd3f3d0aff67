/**
 * The ServiceAccounts controller (k8s.io/kubernetes pkg/controller/serviceaccount): every active
 * namespace has a ServiceAccount `default`, created when the namespace appears and again whenever
 * it is deleted. A namespace that is terminating (or gone) gets nothing new.
 *
 * Watch events → keys (reconciler `serviceaccounts`, keyed by namespace name): a Namespace added or
 * updated enqueues its name; a ServiceAccount deleted enqueues its namespace. At start every
 * namespace is enqueued.
 */
import type { Registry } from "../../registry/registry";
import type { ResourceStore } from "../../registry/store";
import type { KObject, UserInfo } from "../../registry/types";
import type { Reconciler } from "../runtime";
import { getOrNull, isConflictOrNotFound } from "./workloads";

/** Upstream's serviceAccountsToEnsure. */
export const SERVICE_ACCOUNTS_TO_ENSURE = ["default"];

export interface NamespaceControllerDeps {
  registry: Registry;
  user: UserInfo;
  /** Wall-clock ms; accepted for the common reconciler shape, unused (nothing here is timed). */
  now?(): number;
}

/** The namespace if it exists and is Active (not being deleted), else null. */
export function activeNamespace(registry: Registry, name: string): KObject | null {
  const ns = getOrNull(registry.resource("", "namespaces"), "", name);
  if (!ns || ns.metadata.deletionTimestamp || (ns.status?.phase && ns.status.phase !== "Active")) return null;
  return ns;
}

/**
 * Creates `obj` in `namespace`. An object that already exists, or a namespace that went away or
 * started terminating meanwhile, is not an error (upstream ignores AlreadyExists and
 * NamespaceTerminating too).
 */
export async function createInActiveNamespace(registry: Registry, store: ResourceStore, namespace: string, obj: KObject, user: UserInfo): Promise<void> {
  try {
    await store.create(namespace, obj, { user });
  } catch (e) {
    if (isConflictOrNotFound(e) || !activeNamespace(registry, namespace)) return;
    throw e;
  }
}

/** Ensures the namespace's `default` ServiceAccount (key: the namespace name). */
export function serviceAccountReconciler(deps: NamespaceControllerDeps): Reconciler {
  const serviceAccounts = deps.registry.resource("", "serviceaccounts");
  return async (namespace) => {
    if (!activeNamespace(deps.registry, namespace)) return;
    for (const name of SERVICE_ACCOUNTS_TO_ENSURE) {
      if (getOrNull(serviceAccounts, namespace, name)) continue;
      await createInActiveNamespace(deps.registry, serviceAccounts, namespace, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } }, deps.user);
    }
  };
}
