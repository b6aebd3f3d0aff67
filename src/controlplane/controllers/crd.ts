/**
 * The CustomResourceDefinition controllers of apiextensions-apiserver, as one reconciler keyed by
 * CRD name:
 *
 * - naming (pkg/controller/status): the spec's names are accepted unless another CRD of the
 *   group already accepted one of them; `NamesAccepted` is True (`NoConflicts`) or False
 *   (`PluralConflict`, `SingularConflict`, `ShortNamesConflict`, `KindConflict`,
 *   `ListKindConflict`, message `"<name>" is already in use`); `status.acceptedNames` follows.
 * - establishing (pkg/controller/establish): once names are accepted, `Established` is True
 *   (`InitialNamesAccepted`) and stays so; an established CRD's served versions are defined in
 *   the registry (and redefined whenever its generation changes).
 * - finalizer (pkg/controller/finalizer): a CRD being deleted gets `Terminating` True
 *   (`InstanceDeletionInProgress`), its kinds refuse creates (405, `create not allowed while
 *   custom resource definition is terminating`), every custom resource is deleted, and once none is left the
 *   kind stops being served, `Terminating` turns False (`InstanceDeletionCompleted`) and the
 *   `customresourcecleanup.apiextensions.k8s.io` finalizer is removed, which deletes the CRD.
 *
 * Watch events → keys (reconciler `crd`): every CRD event enqueues the CRD's name; a CRD event also
 * enqueues the other CRDs of its group whose names are not accepted (a conflict may be gone).
 */
import { CRD_GROUP, CRD_RESOURCE, defineCustomResource, isCustomResourceStrategy, isEstablished } from "../../apiextensions/custom-resource";
import { formatTime } from "../../registry/clock";
import type { Registry } from "../../registry/registry";
import { selectEverything } from "../../registry/selection";
import { isDeepEqual } from "../../registry/store";
import type { KObject, UserInfo } from "../../registry/types";
import { CRD_CLEANUP_FINALIZER } from "../../registry/kinds/customresourcedefinition";
import type { Reconciler } from "../runtime";
import { clone, getOrNull, isConflictOrNotFound, splitKey } from "./workloads";

export interface CrdDeps {
  registry: Registry;
  user: UserInfo;
  now(): number;
}

interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** How long (simulated) a deleting CRD waits before looking again at custom resources held by finalizers. */
const INSTANCE_RECHECK_MS = 1_000;

type Names = Record<string, unknown> & { plural?: string; singular?: string; kind?: string; listKind?: string; shortNames?: string[] };

/** The first name of `names` another CRD of the group has accepted, as upstream's naming controller reports it. */
export function nameConflict(names: Names, others: readonly KObject[]): { reason: string; message: string } | null {
  const taken = (pick: (n: Names) => (string | undefined)[]) => new Set(others.flatMap((o) => pick((o.status?.acceptedNames ?? {}) as Names)).filter(Boolean));
  const pluralsAndSingulars = taken((n) => [n.plural, n.singular]);
  const shortNames = taken((n) => [...(n.shortNames ?? [])]);
  const kinds = taken((n) => [n.kind, n.listKind]);
  const inUse = (name: string) => ({ message: `${JSON.stringify(name)} is already in use` });
  if (names.plural && pluralsAndSingulars.has(names.plural)) return { reason: "PluralConflict", ...inUse(names.plural) };
  if (names.singular && pluralsAndSingulars.has(names.singular)) return { reason: "SingularConflict", ...inUse(names.singular) };
  const short = (names.shortNames ?? []).find((s) => shortNames.has(s) || pluralsAndSingulars.has(s));
  if (short) return { reason: "ShortNamesConflict", ...inUse(short) };
  if (names.kind && kinds.has(names.kind)) return { reason: "KindConflict", ...inUse(names.kind) };
  if (names.listKind && kinds.has(names.listKind)) return { reason: "ListKindConflict", ...inUse(names.listKind) };
  return null;
}

/** `conditions` with `next` set: lastTransitionTime kept unless the status changes. */
export function withCondition(conditions: readonly Condition[], next: Omit<Condition, "lastTransitionTime">, now: string): Condition[] {
  const old = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = old && old.status === next.status && old.lastTransitionTime ? old.lastTransitionTime : now;
  const condition: Condition = { type: next.type, status: next.status, lastTransitionTime, reason: next.reason, message: next.message };
  return old ? conditions.map((c) => (c.type === next.type ? condition : c)) : [...conditions, condition];
}

/** The status the naming and establishing controllers want for a live CRD. */
export function desiredStatus(crd: KObject, others: readonly KObject[], now: string): Record<string, unknown> {
  const status = clone(crd.status ?? {});
  let conditions: Condition[] = status.conditions ?? [];
  const conflict = nameConflict(crd.spec.names, others);
  if (conflict) {
    conditions = withCondition(conditions, { type: "NamesAccepted", status: "False", ...conflict }, now);
  } else {
    status.acceptedNames = clone(crd.spec.names);
    conditions = withCondition(conditions, { type: "NamesAccepted", status: "True", reason: "NoConflicts", message: "no conflicts found" }, now);
  }
  const established = conditions.some((c) => c.type === "Established" && c.status === "True");
  if (!established) {
    conditions = conflict
      ? withCondition(conditions, { type: "Established", status: "False", reason: "NotAccepted", message: "not all names are accepted" }, now)
      : withCondition(conditions, { type: "Established", status: "True", reason: "InitialNamesAccepted", message: "the initial names have been accepted" }, now);
  }
  status.conditions = conditions;
  return status;
}

export function crdReconciler(deps: CrdDeps): Reconciler {
  const { registry, user } = deps;
  const crds = registry.resource(CRD_GROUP, CRD_RESOURCE);
  const now = () => formatTime(deps.now());

  async function writeStatus(crd: KObject, status: Record<string, unknown>): Promise<KObject | null> {
    if (isDeepEqual(status, crd.status)) return crd;
    try {
      return await crds.patch("", crd.metadata.name!, (current) => ({ ...current, status }), { user, subresource: "status" });
    } catch (e) {
      if (isConflictOrNotFound(e)) return null;
      throw e;
    }
  }

  /** Stops serving a group/resource, unless a built-in kind serves it. */
  function stopServing(group: string, plural: string): void {
    const served = registry.strategies.filter((s) => s.group === group && s.resource === plural);
    if (served.length > 0 && served.every(isCustomResourceStrategy)) registry.remove(group, plural);
  }

  async function finalize(crd: KObject): Promise<{ requeueAfterMs: number } | void> {
    if (!(crd.metadata.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER)) return;
    const { group } = crd.spec;
    const plural = crd.status?.acceptedNames?.plural || crd.spec.names.plural;
    const conditions = (crd.status?.conditions ?? []) as Condition[];
    const inProgress = { type: "Terminating", status: "True" as const, reason: "InstanceDeletionInProgress", message: "CustomResource deletion is in progress" };
    const marked = await writeStatus(crd, { ...crd.status, conditions: withCondition(conditions, inProgress, now()) });
    if (!marked) return;

    if (isEstablished(marked)) defineCustomResource(registry, marked);
    const store = registry.find(group, plural);
    if (store && isCustomResourceStrategy(store.strategy)) {
      const instances = store.list("", { selection: selectEverything }).items;
      for (const obj of instances) {
        if (obj.metadata.deletionTimestamp) continue;
        try {
          await store.delete(obj.metadata.namespace ?? "", obj.metadata.name!, { user, preconditions: { uid: obj.metadata.uid } });
        } catch (e) {
          if (!isConflictOrNotFound(e)) throw e;
        }
      }
      if (store.list("", { selection: selectEverything }).items.length > 0) return { requeueAfterMs: INSTANCE_RECHECK_MS };
    }
    stopServing(group, plural);
    const completed = { type: "Terminating", status: "False" as const, reason: "InstanceDeletionCompleted", message: "removed all instances" };
    const done = await writeStatus(marked, { ...marked.status, conditions: withCondition((marked.status?.conditions ?? []) as Condition[], completed, now()) });
    if (!done) return;
    try {
      await crds.patch(
        "",
        done.metadata.name!,
        (current) => {
          const next = clone(current);
          next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f: string) => f !== CRD_CLEANUP_FINALIZER);
          return next;
        },
        { user },
      );
    } catch (e) {
      if (!isConflictOrNotFound(e)) throw e;
    }
  }

  return async (key) => {
    const [, name] = splitKey(key);
    const crd = getOrNull(crds, "", name);
    if (!crd) {
      // Gone without our finalizer (or after it): nothing may serve its resource any more.
      const dot = name.indexOf(".");
      if (dot > 0) stopServing(name.slice(dot + 1), name.slice(0, dot));
      return;
    }
    if (crd.metadata.deletionTimestamp) return finalize(crd);
    const others = crds
      .list("", { selection: selectEverything })
      .items.filter((o) => o.metadata.name !== name && o.spec?.group === crd.spec.group);
    const updated = await writeStatus(crd, desiredStatus(crd, others, now()));
    if (updated && isEstablished(updated)) defineCustomResource(registry, updated);
  };
}

/** The CRDs of `crd`'s group whose names are not accepted: a change of `crd` may resolve their conflict. */
export function conflictingCrdKeys(crd: KObject, all: readonly KObject[]): string[] {
  return all
    .filter((o) => o.metadata.name !== crd.metadata.name && o.spec?.group === crd.spec?.group)
    .filter((o) => !(o.status?.conditions ?? []).some((c: Condition) => c.type === "NamesAccepted" && c.status === "True"))
    .map((o) => o.metadata.name!);
}
