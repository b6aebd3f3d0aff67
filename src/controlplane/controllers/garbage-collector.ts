/**
 * The garbage collector, as kube-controller-manager's: dependents follow their owners
 * (ownerReferences by uid).
 *
 * - Owner gone (background deletion): dependents with no other owner are deleted; a dependent
 *   that has other owners only loses the dangling reference.
 * - Owner Terminating with the `orphan` finalizer: dependents lose their reference to it, then
 *   the finalizer is removed and the owner goes.
 * - Owner Terminating with `foregroundDeletion`: dependents are deleted (foreground, so it
 *   recurses); once none is left the finalizer is removed and the owner goes.
 *
 * Keys name an owner: `<apiVersion>|<kind>|<namespace>|<name>|<uid>`.
 */
import { StatusError } from "../../apiserver/status";
import { apiVersionOf, storageResource } from "../../registry/keys";
import type { Registry } from "../../registry/registry";
import { selectEverything } from "../../registry/selection";
import type { ResourceStore } from "../../registry/store";
import type { KObject, OwnerReference, UserInfo } from "../../registry/types";
import type { Reconciler } from "../runtime";

export const ORPHAN_FINALIZER = "orphan";
export const FOREGROUND_FINALIZER = "foregroundDeletion";
/** How long (simulated) a foreground deletion waits before checking its dependents again. */
const FOREGROUND_RECHECK_MS = 1_000;

export interface GarbageCollectorDeps {
  registry: Registry;
  user: UserInfo;
}

export function ownerKey(obj: KObject): string {
  return [obj.apiVersion, obj.kind, obj.metadata.namespace ?? "", obj.metadata.name, obj.metadata.uid].join("|");
}

/** The owner keys an object points at (for re-checking owners when a dependent changes). */
export function ownerKeysOf(obj: KObject): string[] {
  return (obj.metadata.ownerReferences ?? []).map((ref) => [ref.apiVersion, ref.kind, obj.metadata.namespace ?? "", ref.name, ref.uid].join("|"));
}

/** An owner the collector must act on now: gone, or Terminating with an orphan/foreground finalizer. */
export function needsCollection(event: { type: string; object: KObject }): boolean {
  if (event.type === "DELETED") return true;
  const finalizers = event.object.metadata.finalizers ?? [];
  return !!event.object.metadata.deletionTimestamp && (finalizers.includes(ORPHAN_FINALIZER) || finalizers.includes(FOREGROUND_FINALIZER));
}

function storeOf(registry: Registry, apiVersion: string, kind: string): ResourceStore | undefined {
  return registry.stores().find((s) => s.strategy.kind === kind && apiVersionOf(s.strategy) === apiVersion);
}

/** Every namespaced object (in `namespace`, or everywhere for a cluster-scoped owner) that references `uid`. */
function dependentsOf(registry: Registry, namespace: string, uid: string): { store: ResourceStore; object: KObject }[] {
  const found: { store: ResourceStore; object: KObject }[] = [];
  const seen = new Set<string>();
  for (const store of registry.stores()) {
    const storage = storageResource(store.strategy);
    if (!store.strategy.namespaced || seen.has(storage)) continue;
    seen.add(storage);
    for (const object of store.list(namespace, { selection: selectEverything }).items) {
      if (object.metadata.ownerReferences?.some((ref) => ref.uid === uid)) found.push({ store, object });
    }
  }
  return found;
}

const ignoreGone = (e: unknown) => {
  if (e instanceof StatusError && (e.code === 404 || e.code === 409)) return;
  throw e;
};

export function garbageCollectorReconciler({ registry, user }: GarbageCollectorDeps): Reconciler {
  const dropReference = (store: ResourceStore, dependent: KObject, uid: string) =>
    store
      .patch(
        dependent.metadata.namespace ?? "",
        dependent.metadata.name!,
        (current) => {
          current.metadata.ownerReferences = (current.metadata.ownerReferences ?? []).filter((ref: OwnerReference) => ref.uid !== uid);
          if (current.metadata.ownerReferences.length === 0) delete current.metadata.ownerReferences;
          return current;
        },
        { user },
      )
      .catch(ignoreGone);
  const removeFinalizer = (store: ResourceStore, owner: KObject, finalizer: string) =>
    store
      .patch(
        owner.metadata.namespace ?? "",
        owner.metadata.name!,
        (current) => {
          if (current.metadata.uid !== owner.metadata.uid) return current;
          current.metadata.finalizers = (current.metadata.finalizers ?? []).filter((f: string) => f !== finalizer);
          return current;
        },
        { user },
      )
      .catch(ignoreGone);

  return async (key) => {
    const [apiVersion, kind, namespace, name, uid] = key.split("|");
    const ownerStore = storeOf(registry, apiVersion, kind);
    let owner: KObject | null = null;
    try {
      owner = ownerStore ? ownerStore.get(namespace, name) : null;
    } catch (e) {
      ignoreGone(e);
    }
    if (owner && owner.metadata.uid !== uid) owner = null;
    const dependents = dependentsOf(registry, namespace, uid);

    if (!owner) {
      for (const { store, object } of dependents) {
        if ((object.metadata.ownerReferences ?? []).length > 1) await dropReference(store, object, uid);
        else await store.delete(object.metadata.namespace ?? "", object.metadata.name!, { user, propagationPolicy: "Background" }).catch(ignoreGone);
      }
      return;
    }
    if (!owner.metadata.deletionTimestamp || !ownerStore) return;
    const finalizers = owner.metadata.finalizers ?? [];
    if (finalizers.includes(ORPHAN_FINALIZER)) {
      for (const { store, object } of dependents) await dropReference(store, object, uid);
      await removeFinalizer(ownerStore, owner, ORPHAN_FINALIZER);
      return;
    }
    if (finalizers.includes(FOREGROUND_FINALIZER)) {
      for (const { store, object } of dependents) {
        if (!object.metadata.deletionTimestamp) {
          await store.delete(object.metadata.namespace ?? "", object.metadata.name!, { user, propagationPolicy: "Foreground" }).catch(ignoreGone);
        }
      }
      if (dependentsOf(registry, namespace, uid).length > 0) return { requeueAfterMs: FOREGROUND_RECHECK_MS };
      await removeFinalizer(ownerStore, owner, FOREGROUND_FINALIZER);
    }
  };
}
