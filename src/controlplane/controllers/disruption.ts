/**
 * The disruption controller (k8s.io/kubernetes pkg/controller/disruption): keeps each
 * PodDisruptionBudget's status, which the eviction subresource (../../apiserver/eviction.ts)
 * reads and decrements.
 *
 * - Pods: those of the budget's namespace its selector matches (an empty policy/v1 selector
 *   matches every pod there; a missing one none).
 * - `currentHealthy`: selected pods that are Ready, not being deleted, and not in
 *   `disruptedPods` (evictions the API approved within the last {@link DELETION_TIMEOUT_MS}).
 * - `desiredHealthy` / `expectedPods`, as upstream's getExpectedPodCount: an integer
 *   `minAvailable` is the desired count over the selected pods; a percentage `minAvailable` or any
 *   `maxUnavailable` is scaled (rounding up) against the summed replicas of the pods' controllers
 *   (a Deployment through its ReplicaSet, a ReplicaSet, a StatefulSet, or any kind with a scale
 *   subresource). Pods without a controller are left out of that sum (event `UnmanagedPods`); a pod
 *   whose controller is missing, or has no scale, fails the sync.
 * - `disruptionsAllowed` = currentHealthy − desiredHealthy, floored at 0, and 0 while no pod is
 *   expected; condition `DisruptionAllowed` True/`SufficientPods` or False/`InsufficientPods`;
 *   `observedGeneration`.
 * - `disruptedPods`: entries of pods that are gone or being deleted are dropped; an entry older
 *   than {@link DELETION_TIMEOUT_MS} is dropped with a `NotDeleted` warning on the pod; the key is
 *   requeued for when the oldest remaining entry expires.
 * - A failed sync (invalid selector, controller not found) sets `disruptionsAllowed` 0 and the
 *   condition False/`SyncFailed` with the error (upstream's failSafe), after a
 *   `CalculateExpectedPodCountFailed` warning.
 *
 * Events (`NoPods`, `UnmanagedPods`, `CalculateExpectedPodCountFailed`, `NotDeleted`) are recorded
 * only by a pass that writes the status: upstream repeats them on every sync and lets the event
 * recorder fold them into one, which a level-triggered pass that must write nothing at its fixed
 * point cannot do.
 *
 * A second reconciler, {@link staleDisruptionReconciler} (keyed by pod), is upstream's stale
 * disruption cleanup: a pod that still carries `DisruptionTarget=True` (set by an eviction whose
 * delete never happened) {@link STALE_POD_DISRUPTION_TIMEOUT_MS} after it was set, and is neither
 * being deleted nor terminal, gets the condition back to False. Conditions the kubelet set
 * (`TerminationByKubelet`) are never stale.
 *
 * Watch events → keys: reconciler `disruption`: a PodDisruptionBudget event enqueues itself; a Pod
 * event (add, update, delete) enqueues {@link disruptionKeysForPod} over the budgets of its
 * namespace. Reconciler `stale-disruption`: a Pod add or update enqueues
 * {@link staleDisruptionKeyForPod} (the pod itself, when it carries such a condition).
 */
import { labelSelectorAsSelector, type LabelSelectorObject } from "../../apiserver/selectors/labels";
import { qualifiedResource } from "../../apiserver/status";
import { formatTime } from "../../registry/clock";
import type { Registry } from "../../registry/registry";
import { selectEverything } from "../../registry/selection";
import { isDeepEqual } from "../../registry/store";
import type { KObject, OwnerReference, UserInfo } from "../../registry/types";
import { recordEvent, type EventSpec } from "../events";
import type { ReconcileResult } from "../runtime";
import { scaledValue } from "./deployment";
import { clone, controllerOf, getOrNull, isConflictOrNotFound, isPodReady, objectKey, selectorMatchesLabels, splitKey } from "./workloads";

/** How long an eviction's DisruptionTarget condition may stand on a pod that is not deleted. */
export const STALE_POD_DISRUPTION_TIMEOUT_MS = 2 * 60_000;
/** Upstream's event source for this controller. */
export const DISRUPTION_COMPONENT = "controllermanager";
/** How long an approved eviction keeps its pod out of `currentHealthy` (upstream's DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60_000;
export const DISRUPTION_ALLOWED = "DisruptionAllowed";
export const REASONS = { sufficientPods: "SufficientPods", insufficientPods: "InsufficientPods", syncFailed: "SyncFailed" } as const;

export interface DisruptionDeps {
  registry: Registry;
  user: UserInfo;
  /** Wall-clock ms (status timestamps, disruptedPods ages). */
  now(): number;
  /** The sandbox speed: a wall-clock wait becomes `requeueAfterMs` times this (default 1). */
  speed?(): number;
}

export interface BudgetCondition {
  type: string;
  status: "True" | "False";
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

// ---- which budgets cover a pod ------------------------------------------------------------------

/**
 * The budgets that cover a pod (the PDB lister's GetPodPodDisruptionBudgets, also used by the
 * eviction subresource): same namespace, a valid non-empty selector matching the pod's labels.
 */
export function budgetsForPod(pod: KObject, budgets: readonly KObject[]): KObject[] {
  return budgets.filter((b) => b.metadata.namespace === pod.metadata.namespace && selectorMatchesLabels(b.spec?.selector, pod.metadata.labels));
}

/** The keys a Pod event enqueues for this controller. */
export function disruptionKeysForPod(pod: KObject, budgets: readonly KObject[]): string[] {
  return budgetsForPod(pod, budgets).map(objectKey);
}

// ---- pure pieces --------------------------------------------------------------------------------

/** A sync failure; its message becomes the SyncFailed condition's message. */
export class DisruptionSyncError extends Error {}

/** The pods a budget's selector picks from its namespace (getPodsForPdb). Throws for an invalid selector. */
export function podsForBudget(budget: KObject, namespacePods: readonly KObject[]): KObject[] {
  let selector;
  try {
    selector = labelSelectorAsSelector(budget.spec?.selector as LabelSelectorObject);
  } catch (e) {
    throw new DisruptionSyncError((e as Error).message);
  }
  return namespacePods.filter((p) => selector.matches(p.metadata.labels ?? {}));
}

/** A controller's identity and desired replicas, as the finders answer; null when not found. */
export type ScaleFinder = (ref: OwnerReference, namespace: string) => { uid: string; replicas: number } | null;

export interface ExpectedCount {
  expectedCount: number;
  desiredHealthy: number;
  /** Names of selected pods without a controller (left out of a scaled count). */
  unmanaged: string[];
}

/** getExpectedScale: the summed replicas of the selected pods' distinct controllers. */
function expectedScale(pods: readonly KObject[], findScale: ScaleFinder): { expectedCount: number; unmanaged: string[] } {
  const scales = new Map<string, number>();
  const unmanaged: string[] = [];
  for (const pod of pods) {
    const ref = controllerOf(pod);
    if (!ref) {
      unmanaged.push(pod.metadata.name!);
      continue;
    }
    if (scales.has(ref.uid)) continue;
    const found = findScale(ref, pod.metadata.namespace ?? "");
    if (!found) throw new DisruptionSyncError(`found no controllers for pod "${pod.metadata.name}"`);
    scales.set(found.uid, found.replicas);
  }
  let expectedCount = 0;
  for (const n of scales.values()) expectedCount += n;
  return { expectedCount, unmanaged };
}

/** getExpectedPodCount. */
export function expectedPodCount(budget: KObject, pods: readonly KObject[], findScale: ScaleFinder): ExpectedCount {
  const { minAvailable, maxUnavailable } = budget.spec ?? {};
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    const { expectedCount, unmanaged } = expectedScale(pods, findScale);
    return { expectedCount, desiredHealthy: Math.max(0, expectedCount - scaledValue(maxUnavailable, expectedCount, true)), unmanaged };
  }
  if (typeof minAvailable === "number") return { expectedCount: pods.length, desiredHealthy: minAvailable, unmanaged: [] };
  if (typeof minAvailable === "string") {
    const { expectedCount, unmanaged } = expectedScale(pods, findScale);
    return { expectedCount, desiredHealthy: scaledValue(minAvailable, expectedCount, true), unmanaged };
  }
  return { expectedCount: 0, desiredHealthy: 0, unmanaged: [] };
}

const timeMs = (t: unknown) => (typeof t === "string" ? Date.parse(t) : NaN);

/**
 * buildDisruptedPodMap: the entries still pending (pod selected, not being deleted, approved
 * within the timeout), the pods whose entry expired, and when the oldest pending entry expires.
 */
export function pendingDisruptions(
  budget: KObject,
  pods: readonly KObject[],
  nowMs: number,
): { disruptedPods: Record<string, string>; expired: KObject[]; recheckAtMs: number | null } {
  const previous: Record<string, string> = budget.status?.disruptedPods ?? {};
  const disruptedPods: Record<string, string> = {};
  const expired: KObject[] = [];
  let recheckAtMs: number | null = null;
  for (const pod of pods) {
    const name = pod.metadata.name!;
    if (pod.metadata.deletionTimestamp || !(name in previous)) continue;
    const expectedDeletion = timeMs(previous[name]) + DELETION_TIMEOUT_MS;
    if (!(expectedDeletion >= nowMs)) {
      expired.push(pod);
      continue;
    }
    disruptedPods[name] = previous[name];
    if (recheckAtMs === null || expectedDeletion < recheckAtMs) recheckAtMs = expectedDeletion;
  }
  return { disruptedPods, expired, recheckAtMs };
}

/** countHealthyPods: Ready, not being deleted, not disrupted within the timeout. */
export function countHealthyPods(pods: readonly KObject[], disruptedPods: Record<string, string>, nowMs: number): number {
  return pods.filter((pod) => {
    if (pod.metadata.deletionTimestamp) return false;
    const disrupted = disruptedPods[pod.metadata.name!];
    if (disrupted !== undefined && timeMs(disrupted) + DELETION_TIMEOUT_MS > nowMs) return false;
    return isPodReady(pod);
  }).length;
}

/** apimeta.SetStatusCondition: the transition time moves only when the status changes. */
function setCondition(conditions: BudgetCondition[], next: Omit<BudgetCondition, "lastTransitionTime">, nowMs: number): BudgetCondition[] {
  const existing = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = existing && existing.status === next.status ? existing.lastTransitionTime : formatTime(nowMs);
  const condition: BudgetCondition = { type: next.type, status: next.status, ...(next.observedGeneration ? { observedGeneration: next.observedGeneration } : {}), lastTransitionTime, reason: next.reason, message: next.message };
  return existing ? conditions.map((c) => (c === existing ? condition : c)) : [...conditions, condition];
}

/** pdbhelper.UpdateDisruptionAllowedCondition, on a status object (also used by the eviction subresource). */
export function updateDisruptionAllowedCondition(status: Record<string, any>, nowMs: number): void {
  const allowed = (status.disruptionsAllowed ?? 0) > 0;
  status.conditions = setCondition(
    status.conditions ?? [],
    {
      type: DISRUPTION_ALLOWED,
      status: allowed ? "True" : "False",
      observedGeneration: status.observedGeneration,
      reason: allowed ? REASONS.sufficientPods : REASONS.insufficientPods,
      message: "",
    },
    nowMs,
  );
}

/** pdbhelper.ConditionsAreUpToDate. */
function conditionsAreUpToDate(budget: KObject): boolean {
  const status = budget.status ?? {};
  const cond = (status.conditions ?? []).find((c: BudgetCondition) => c.type === DISRUPTION_ALLOWED);
  if (!cond || status.observedGeneration !== budget.metadata.generation) return false;
  return (status.disruptionsAllowed ?? 0) > 0
    ? cond.status === "True" && cond.reason === REASONS.sufficientPods
    : cond.status === "False" && cond.reason === REASONS.insufficientPods;
}

const sameDisruptedPods = (a: Record<string, string> | undefined, b: Record<string, string>) =>
  Object.keys(a ?? {}).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a?.[k] === v);

/**
 * updatePdbStatus: the status for these counts, or null when the stored one is already up to date.
 */
export function budgetStatus(
  budget: KObject,
  counts: { currentHealthy: number; desiredHealthy: number; expectedPods: number; disruptedPods: Record<string, string> },
  nowMs: number,
): Record<string, any> | null {
  const { currentHealthy, desiredHealthy, expectedPods, disruptedPods } = counts;
  const disruptionsAllowed = expectedPods <= 0 ? 0 : Math.max(0, currentHealthy - desiredHealthy);
  const old = budget.status ?? {};
  if (
    old.currentHealthy === currentHealthy &&
    old.desiredHealthy === desiredHealthy &&
    old.expectedPods === expectedPods &&
    old.disruptionsAllowed === disruptionsAllowed &&
    sameDisruptedPods(old.disruptedPods, disruptedPods) &&
    conditionsAreUpToDate(budget)
  ) {
    return null;
  }
  const status: Record<string, any> = {
    observedGeneration: budget.metadata.generation,
    ...(Object.keys(disruptedPods).length ? { disruptedPods } : {}),
    disruptionsAllowed,
    currentHealthy,
    desiredHealthy,
    expectedPods,
    conditions: old.conditions ?? [],
  };
  updateDisruptionAllowedCondition(status, nowMs);
  return status;
}

/** failSafe: no disruption allowed, condition False/SyncFailed with the error. */
export function failSafeStatus(budget: KObject, message: string, nowMs: number): Record<string, any> {
  const status = { ...clone(budget.status ?? {}), disruptionsAllowed: 0 };
  status.conditions = setCondition(
    status.conditions ?? [],
    { type: DISRUPTION_ALLOWED, status: "False", observedGeneration: status.observedGeneration, reason: REASONS.syncFailed, message },
    nowMs,
  );
  return status;
}

/** A *metav1.LabelSelector as `%v` prints it (its generated String()). */
export function labelSelectorGoString(selector: unknown): string {
  if (!selector || typeof selector !== "object") return "nil";
  const s = selector as LabelSelectorObject;
  const labels = Object.keys(s.matchLabels ?? {})
    .sort()
    .map((k) => `${k}: ${s.matchLabels![k]},`)
    .join("");
  const exprs = (s.matchExpressions ?? []).map((e) => `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(" ")}],},`).join("");
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}

const unmanagedMessage = (selector: unknown) =>
  `Pods selected by this PodDisruptionBudget (selector: ${labelSelectorGoString(selector)}) were found to be unmanaged. ` +
  `As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. ` +
  `To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`;

// ---- controller scale -----------------------------------------------------------------------

const groupOf = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "");

function readPath(obj: KObject, path: string): unknown {
  return path.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), obj);
}

/**
 * The finders of upstream's getExpectedScale over the registry: a ReplicaSet controlled by an
 * existing Deployment answers with the Deployment's replicas; any other controller with its own
 * scale subresource's replicas. Throws for a kind the sandbox does not serve or one without scale.
 */
export function registryScaleFinder(registry: Registry): ScaleFinder {
  return (ref, namespace) => {
    const group = groupOf(ref.apiVersion);
    const store = registry.stores().find((s) => s.strategy.kind === ref.kind && s.strategy.group === group);
    if (!store) throw new DisruptionSyncError(`no matches for kind "${ref.kind}" in version "${ref.apiVersion}"`);
    const owner = getOrNull(store, namespace, ref.name);
    if (owner && owner.metadata.uid === ref.uid && ref.kind === "ReplicaSet" && group === "apps") {
      const deploymentRef = controllerOf(owner);
      if (deploymentRef?.kind === "Deployment") {
        const deployment = getOrNull(registry.resource("apps", "deployments"), namespace, deploymentRef.name);
        if (deployment && deployment.metadata.uid === deploymentRef.uid) return { uid: deployment.metadata.uid!, replicas: deployment.spec?.replicas ?? 0 };
      }
    }
    const scale = store.strategy.subresources?.scale;
    if (!scale) throw new DisruptionSyncError(`${qualifiedResource(store.gr)} does not implement the scale subresource`);
    if (!owner || owner.metadata.uid !== ref.uid) return null;
    const replicas = readPath(owner, scale.specReplicas);
    return { uid: owner.metadata.uid!, replicas: typeof replicas === "number" ? replicas : 0 };
  };
}

// ---- the reconciler -------------------------------------------------------------------------

/** An event a pass records if it writes the status. */
type PendingEvent = { on: KObject; spec: Omit<EventSpec, "component"> };

export function disruptionReconciler(deps: DisruptionDeps): (key: string) => Promise<ReconcileResult> {
  const { registry, user } = deps;
  const budgets = registry.resource("policy", "poddisruptionbudgets");
  const podStore = registry.resource("", "pods");
  const findScale = registryScaleFinder(registry);

  /** Writes the status if the budget is unchanged since it was read; records the pass's events only then. */
  async function writeStatus(budget: KObject, status: Record<string, any>, events: PendingEvent[], nowMs: number) {
    try {
      await budgets.patch(
        budget.metadata.namespace!,
        budget.metadata.name!,
        (current) => ({ ...current, metadata: { ...current.metadata, resourceVersion: budget.metadata.resourceVersion }, status }),
        { user, subresource: "status" },
      );
    } catch (e) {
      // A newer budget (or its deletion) has its own watch event, which enqueues the key again.
      if (isConflictOrNotFound(e)) return false;
      throw e;
    }
    for (const event of events) await recordEvent(registry, user, nowMs, event.on, { ...event.spec, component: DISRUPTION_COMPONENT });
    return true;
  }

  return async (key) => {
    const [namespace, name] = splitKey(key);
    const budget = getOrNull(budgets, namespace, name);
    if (!budget) return;
    const nowMs = deps.now();
    const namespacePods = podStore.list(namespace, { selection: selectEverything }).items;

    /** failSafe after a warning naming the failed step. */
    const failSafe = async (e: unknown, reason: string, prefix: string) => {
      if (!(e instanceof DisruptionSyncError)) throw e;
      const status = failSafeStatus(budget, e.message, nowMs);
      if (isDeepEqual(budget.status ?? {}, status)) return;
      await writeStatus(budget, status, [{ on: budget, spec: { type: "Warning", reason, message: `${prefix}: ${e.message}` } }], nowMs);
    };
    let pods: KObject[];
    let expected: ExpectedCount;
    try {
      pods = podsForBudget(budget, namespacePods);
    } catch (e) {
      return failSafe(e, "NoPods", "Failed to get pods");
    }
    try {
      expected = expectedPodCount(budget, pods, findScale);
    } catch (e) {
      return failSafe(e, "CalculateExpectedPodCountFailed", "Failed to calculate the number of expected pods");
    }

    const { disruptedPods, expired, recheckAtMs } = pendingDisruptions(budget, pods, nowMs);
    const status = budgetStatus(
      budget,
      { currentHealthy: countHealthyPods(pods, disruptedPods, nowMs), desiredHealthy: expected.desiredHealthy, expectedPods: expected.expectedCount, disruptedPods },
      nowMs,
    );
    if (status) {
      const events: PendingEvent[] = [];
      if (pods.length === 0) events.push({ on: budget, spec: { type: "Normal", reason: "NoPods", message: "No matching pods found" } });
      if (expected.unmanaged.length) events.push({ on: budget, spec: { type: "Warning", reason: "UnmanagedPods", message: unmanagedMessage(budget.spec?.selector) } });
      for (const pod of expired) {
        // Upstream names the budget as "<namespace>/<namespace>"; kept for fidelity.
        events.push({ on: pod, spec: { type: "Warning", reason: "NotDeleted", message: `Pod was expected by PDB ${namespace}/${namespace} to be deleted but it wasn't` } });
      }
      if (!(await writeStatus(budget, status, events, nowMs))) return;
    }
    if (recheckAtMs !== null) return { requeueAfterMs: Math.max(1, recheckAtMs - nowMs) * (deps.speed?.() ?? 1) };
  };
}

// ---- stale DisruptionTarget conditions ------------------------------------------------------

/**
 * nonTerminatingPodHasStaleDisruptionCondition: null when the pod carries no condition to clean;
 * otherwise the ms left until it is stale (0: clean it now).
 */
export function msUntilStaleDisruption(pod: KObject, nowMs: number): number | null {
  if (pod.metadata.deletionTimestamp) return null;
  const cond = (pod.status?.conditions ?? []).find((c: { type: string }) => c.type === "DisruptionTarget");
  const phase = pod.status?.phase;
  if (!cond || cond.status !== "True" || cond.reason === "TerminationByKubelet" || phase === "Succeeded" || phase === "Failed") return null;
  const since = timeMs(cond.lastTransitionTime);
  return Number.isNaN(since) ? 0 : Math.max(0, since + STALE_POD_DISRUPTION_TIMEOUT_MS - nowMs);
}

/** The key a Pod add/update enqueues for {@link staleDisruptionReconciler}, or null. */
export function staleDisruptionKeyForPod(pod: KObject): string | null {
  return msUntilStaleDisruption(pod, Number.POSITIVE_INFINITY) === null ? null : objectKey(pod);
}

/** syncStalePodDisruption, keyed by pod `namespace/name`. */
export function staleDisruptionReconciler(deps: DisruptionDeps): (key: string) => Promise<ReconcileResult> {
  const pods = deps.registry.resource("", "pods");
  return async (key) => {
    const [namespace, name] = splitKey(key);
    const pod = getOrNull(pods, namespace, name);
    if (!pod) return;
    const nowMs = deps.now();
    const waitMs = msUntilStaleDisruption(pod, nowMs);
    if (waitMs === null) return;
    if (waitMs > 0) return { requeueAfterMs: waitMs * (deps.speed?.() ?? 1) };
    const clear = (current: KObject) => {
      if (msUntilStaleDisruption(current, nowMs) !== 0) return current;
      const conditions = current.status.conditions.map((c: { type: string }) =>
        c.type === "DisruptionTarget" ? { type: "DisruptionTarget", status: "False", lastProbeTime: null, lastTransitionTime: formatTime(nowMs) } : c,
      );
      return { ...current, metadata: { ...current.metadata, resourceVersion: pod.metadata.resourceVersion }, status: { ...current.status, conditions } };
    };
    try {
      await pods.patch(namespace, name, clear, { user: deps.user, subresource: "status" });
    } catch (e) {
      if (!isConflictOrNotFound(e)) throw e;
    }
  };
}
