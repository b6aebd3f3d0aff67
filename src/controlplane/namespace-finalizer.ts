/**
 * Finishes the deletion of a Terminating namespace, as the namespace controller does: deletes
 * every namespaced object in it, and once none is left removes the `kubernetes` spec finalizer,
 * which lets the namespace go. Idempotent: running it again on the same namespace is harmless.
 */
import type { Registry } from "../registry/registry";
import { storageResource } from "../registry/keys";
import { selectEverything } from "../registry/selection";
import type { UserInfo } from "../registry/types";

export const NAMESPACE_FINALIZER = "kubernetes";

export type FinalizeResult = "finalized" | "waiting" | "not-terminating";

export async function finalizeNamespace(registry: Registry, name: string, user: UserInfo): Promise<FinalizeResult> {
  const namespaces = registry.resource("", "namespaces");
  let ns;
  try {
    ns = namespaces.get("", name);
  } catch {
    return "not-terminating";
  }
  if (!ns.metadata.deletionTimestamp || !(ns.spec?.finalizers ?? []).includes(NAMESPACE_FINALIZER)) return "not-terminating";

  let remaining = 0;
  const seen = new Set<string>();
  for (const store of registry.stores()) {
    // Versions sharing one storage (core and events.k8s.io Events) are cleared once.
    const storage = storageResource(store.strategy);
    if (!store.strategy.namespaced || seen.has(storage)) continue;
    seen.add(storage);
    await store.deleteCollection(name, { selection: selectEverything }, { user, propagationPolicy: "Background" });
    remaining += store.list(name, { selection: selectEverything }).items.length;
  }
  // Objects held by their own finalizers keep the namespace Terminating until they are gone.
  if (remaining > 0) return "waiting";

  await namespaces.patch(
    "",
    name,
    (current) => {
      current.spec = { ...current.spec, finalizers: (current.spec?.finalizers ?? []).filter((f: string) => f !== NAMESPACE_FINALIZER) };
      return current;
    },
    { user, subresource: "finalize" },
  );
  return "finalized";
}
