/**
 * `POST /api/v1/namespaces/{ns}/pods/{name}/eviction`: kube-apiserver's EvictionREST
 * (pkg/registry/core/pod/storage/eviction.go), which `kubectl drain` calls for every pod.
 *
 * - The body is a policy/v1 (or policy/v1beta1) Eviction naming the pod, with optional
 *   `deleteOptions`; `dryRun` may come from the query or from those options (they must agree).
 * - A pod that is Pending, Succeeded, Failed or already being deleted is evicted without looking
 *   at budgets (a pod that is not terminal or deleting is deleted only at the resourceVersion read).
 * - Otherwise the PodDisruptionBudgets selecting the pod decide: none → evicted; more than one →
 *   a 500 Status (`This pod has more than one PodDisruptionBudget, …`); one → if the pod is not
 *   Ready and the budget's `unhealthyPodEvictionPolicy` is `AlwaysAllow`, or the budget is
 *   currently met (`currentHealthy >= desiredHealthy > 0`), it is evicted without using the
 *   budget (at the resourceVersion read); else the budget must have `disruptionsAllowed > 0`
 *   (429 `Cannot evict pod as it would violate the pod's disruption budget.` with the
 *   `DisruptionBudget` cause), which this eviction decrements in the budget's status, recording
 *   the pod in `disruptedPods` (not on dryRun). A budget whose status is behind its generation
 *   answers 429 with `Retry-After: 10`.
 * - Evicting is: the pod gets condition `DisruptionTarget=True` (reason `EvictionByEvictionAPI`),
 *   then is deleted with the Eviction's deleteOptions (gracefully, as any pod DELETE). The answer
 *   is `201` with a Success Status.
 */
import type { Clock } from "../registry/clock";
import { formatTime } from "../registry/clock";
import type { Registry } from "../registry/registry";
import { selectEverything } from "../registry/selection";
import { cloneJson, type DeleteOptions, type ResourceStore } from "../registry/store";
import type { KObject, UserInfo } from "../registry/types";
import { budgetsForPod, updateDisruptionAllowedCondition } from "../controlplane/controllers/disruption";
import { isPodReady } from "../controlplane/controllers/workloads";
import { decodeObject, readBody } from "./body";
import type { ResourceRequest } from "./request-info";
import { errors, StatusError, statusResponse, type Status } from "./status";

export interface EvictionContext {
  registry: Registry;
  clock: Clock;
  user: UserInfo;
}

/** Upstream's MaxDisruptedPodSize: evictions the controller has not yet confirmed, per budget. */
export const MAX_DISRUPTED_POD_SIZE = 2000;
/** Attempts of a write that conflicts with another writer (upstream's EvictionsRetry steps). */
const EVICTION_RETRIES = 20;

const EVICTION_VERSIONS = ["policy/v1", "policy/v1beta1"];
const budgetResource = { group: "policy", resource: "poddisruptionbudget" };
const podKindResource = { group: "", resource: "Pod" };

export const EVICTION_MESSAGES = {
  violatesBudget: "Cannot evict pod as it would violate the pod's disruption budget.",
  multipleBudgets: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
  needsHealthy: (budget: string, desired: number, current: number) => `The disruption budget ${budget} needs ${desired} healthy pods and has ${current} currently`,
  stillProcessing: (budget: string) => `The disruption budget ${budget} is still being processed by the server.`,
};

/** The 429 upstream answers when a budget refuses (or cannot yet judge) an eviction. */
function tooManyRequests(cause: string, retryAfterSeconds: number): StatusError {
  const details = { causes: [{ reason: "DisruptionBudget", message: cause }], ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}) };
  const headers: Record<string, string> = retryAfterSeconds > 0 ? { "retry-after": String(retryAfterSeconds) } : {};
  return new StatusError(429, "TooManyRequests", EVICTION_MESSAGES.violatesBudget, details, headers);
}

const isConflict = (e: unknown) => e instanceof StatusError && e.code === 409;

function isDryRunList(values: unknown, where: string): boolean {
  if (values === undefined || values === null) return false;
  const list = Array.isArray(values) ? values : [values];
  for (const v of list) if (v !== "All") throw errors.badRequest(`${where}: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
  return list.length > 0;
}

/** The Eviction's deleteOptions as the store takes them; dryRun merged as upstream's propagateDryRun. */
export function evictionDeleteOptions(eviction: KObject, queryDryRun: string[], user: UserInfo): DeleteOptions {
  const raw = eviction.deleteOptions;
  const body: Record<string, any> = raw && typeof raw === "object" && !Array.isArray(raw) ? raw : {};
  const queryDry = isDryRunList(queryDryRun, "dryRun");
  const bodyValues: string[] = Array.isArray(body.dryRun) ? body.dryRun : [];
  const bodyDry = isDryRunList(bodyValues, "dryRun");
  if (queryDryRun.length > 0 && bodyValues.length > 0 && queryDryRun.join() !== bodyValues.join()) {
    throw errors.internal(`Non-matching dry-run options in request and content: [${queryDryRun.join(" ")}] and [${bodyValues.join(" ")}]`);
  }
  const policy = body.propagationPolicy;
  if (policy !== undefined && policy !== null && !["Orphan", "Background", "Foreground"].includes(policy)) {
    throw errors.badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  const pre = body.preconditions && typeof body.preconditions === "object" ? body.preconditions : undefined;
  return {
    user,
    dryRun: queryDry || bodyDry,
    gracePeriodSeconds: typeof body.gracePeriodSeconds === "number" ? body.gracePeriodSeconds : undefined,
    propagationPolicy: policy ?? undefined,
    orphanDependents: typeof body.orphanDependents === "boolean" ? body.orphanDependents : undefined,
    preconditions: pre ? { uid: pre.uid ?? undefined, resourceVersion: pre.resourceVersion ?? undefined } : undefined,
  };
}

const withResourceVersion = (options: DeleteOptions, resourceVersion: string | undefined): DeleteOptions => ({
  ...options,
  preconditions: { ...options.preconditions, resourceVersion },
});

/** canIgnorePDB: the pod's budget does not matter (it is not running, or already going). */
export function canIgnoreBudget(pod: KObject): boolean {
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed" || phase === "Pending" || !!pod.metadata.deletionTimestamp;
}

/** shouldEnforceResourceVersion: a live pod is deleted only as it was judged. */
function shouldEnforceResourceVersion(pod: KObject): boolean {
  const phase = pod.status?.phase;
  return !(phase === "Succeeded" || phase === "Failed" || pod.metadata.deletionTimestamp);
}

/** podutil.UpdatePodCondition for the eviction's DisruptionTarget condition. */
export function addDisruptionTarget(pod: KObject, nowMs: number): KObject {
  const status = (pod.status ??= {});
  const conditions: Record<string, any>[] = status.conditions ?? [];
  const existing = conditions.find((c) => c.type === "DisruptionTarget");
  const condition = {
    type: "DisruptionTarget",
    status: "True",
    lastProbeTime: null,
    lastTransitionTime: existing?.status === "True" ? existing.lastTransitionTime : formatTime(nowMs),
    reason: "EvictionByEvictionAPI",
    message: "Eviction API: evicting",
  };
  status.conditions = existing ? conditions.map((c) => (c === existing ? condition : c)) : [...conditions, condition];
  return pod;
}

/**
 * addConditionAndDeletePod: checks the options' preconditions against the latest pod, adds the
 * DisruptionTarget condition (not on dryRun), then deletes the pod, its resourceVersion
 * precondition moved past the condition write.
 */
async function addConditionAndDelete(pods: ResourceStore, namespace: string, name: string, options: DeleteOptions, nowMs: number): Promise<void> {
  let deleteOptions = options;
  if (!options.dryRun) {
    const updated = await pods.patch(
      namespace,
      name,
      (latest) => {
        const { uid, resourceVersion } = options.preconditions ?? {};
        if (uid && uid !== latest.metadata.uid) {
          throw errors.conflict(
            podKindResource,
            name,
            `the UID in the precondition (${uid}) does not match the UID in record (${latest.metadata.uid}). The object might have been deleted and then recreated`,
          );
        }
        if (resourceVersion && resourceVersion !== latest.metadata.resourceVersion) {
          throw errors.conflict(
            podKindResource,
            name,
            `the ResourceVersion in the precondition (${resourceVersion}) does not match the ResourceVersion in record (${latest.metadata.resourceVersion}). The object might have been modified`,
          );
        }
        return addDisruptionTarget(latest, nowMs);
      },
      { user: options.user, subresource: "status" },
    );
    if (options.preconditions?.resourceVersion) deleteOptions = withResourceVersion(options, updated.metadata.resourceVersion);
  }
  await pods.delete(namespace, name, deleteOptions);
}

/**
 * checkAndDecrement: takes one disruption from the budget (recording the pod in `disruptedPods`
 * unless dryRun), or throws the 429/403 that refuses the eviction.
 */
export function decrementBudget(budget: KObject, podName: string, nowMs: number, dryRun: boolean): KObject | null {
  const status = budget.status ?? {};
  const name = budget.metadata.name!;
  if ((status.observedGeneration ?? 0) < (budget.metadata.generation ?? 0)) throw tooManyRequests(EVICTION_MESSAGES.stillProcessing(name), 10);
  const allowed = status.disruptionsAllowed ?? 0;
  if (allowed < 0) throw errors.forbidden(budgetResource, name, "pdb disruptions allowed is negative");
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_POD_SIZE) {
    throw errors.forbidden(budgetResource, name, "DisruptedPods map too big - too many evictions not confirmed by PDB controller");
  }
  if (allowed === 0) throw tooManyRequests(EVICTION_MESSAGES.needsHealthy(name, status.desiredHealthy ?? 0, status.currentHealthy ?? 0), 0);
  if (dryRun) return null;
  const next = cloneJson(budget);
  next.status = { ...next.status, disruptionsAllowed: allowed - 1 };
  if (next.status.disruptionsAllowed === 0) updateDisruptionAllowedCondition(next.status, nowMs);
  next.status.disruptedPods = { ...(status.disruptedPods ?? {}), [podName]: formatTime(nowMs) };
  return next;
}

/** Re-reads and decrements the budget until the write lands without a conflict. */
async function takeDisruption(budgets: ResourceStore, budget: KObject, podName: string, nowMs: number, dryRun: boolean, user: UserInfo): Promise<void> {
  let current = budget;
  for (let attempt = 1; ; attempt++) {
    const next = decrementBudget(current, podName, nowMs, dryRun);
    if (!next) return;
    try {
      await budgets.patch(current.metadata.namespace!, current.metadata.name!, () => next, { user, subresource: "status" });
      return;
    } catch (e) {
      if (!isConflict(e)) throw e;
      if (attempt >= EVICTION_RETRIES) {
        throw new StatusError(504, "Timeout", `Timeout: couldn't update PodDisruptionBudget "${current.metadata.name}" due to conflicts`, { retryAfterSeconds: 10 });
      }
      current = budgets.get(current.metadata.namespace!, current.metadata.name!);
    }
  }
}

const created = (): Response => statusResponse({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 });

/** Serves the eviction subresource of a pod (`verb` create). */
export async function servePodEviction(pods: ResourceStore, info: ResourceRequest, request: Request, ctx: EvictionContext): Promise<Response> {
  const body = decodeObject(await readBody(request), request.headers.get("content-type"), "Eviction");
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw errors.badRequest("the body is not an Eviction object");
  const eviction = body as KObject;
  if (eviction.apiVersion && !EVICTION_VERSIONS.includes(eviction.apiVersion)) {
    throw errors.badRequest(`the API version in the data (${eviction.apiVersion}) does not match the expected API version (policy/v1)`);
  }
  const meta = eviction.metadata ?? {};
  if (meta.namespace && meta.namespace !== info.namespace) {
    throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  if ((meta.name ?? "") !== info.name) throw errors.badRequest("name in URL does not match name in Eviction object");
  const query = new URL(request.url).searchParams;
  const options = evictionDeleteOptions(eviction, query.getAll("dryRun"), ctx.user);
  const namespace = info.namespace;
  const now = () => ctx.clock.now();
  const retriesConflicts = !options.preconditions?.resourceVersion;

  // A pod whose budget does not matter is deleted straight away (as read, unless it is going anyway).
  let pod = pods.get(namespace, info.name);
  for (let attempt = 1; canIgnoreBudget(pod); attempt++) {
    const deleteOptions = shouldEnforceResourceVersion(pod) && retriesConflicts ? withResourceVersion(options, pod.metadata.resourceVersion) : options;
    try {
      await addConditionAndDelete(pods, namespace, info.name, deleteOptions, now());
      return created();
    } catch (e) {
      if (!(isConflict(e) && retriesConflicts && attempt < EVICTION_RETRIES)) throw e;
      pod = pods.get(namespace, info.name);
    }
  }

  const budgetStore = ctx.registry.resource("policy", "poddisruptionbudgets");
  const budgets = budgetsForPod(pod, budgetStore.list(namespace, { selection: selectEverything }).items);
  if (budgets.length > 1) {
    // Upstream returns this Failure Status as the result object, not as an error: no reason.
    return statusResponse({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: EVICTION_MESSAGES.multipleBudgets, code: 500 } as Status);
  }

  let deleteOptions = options;
  let atReadVersion = false;
  const budget = budgets[0];
  if (budget) {
    const status = budget.status ?? {};
    const unhealthyAllowed =
      !isPodReady(pod) &&
      (budget.spec?.unhealthyPodEvictionPolicy === "AlwaysAllow" || ((status.currentHealthy ?? 0) >= (status.desiredHealthy ?? 0) && (status.desiredHealthy ?? 0) > 0));
    if (unhealthyAllowed) {
      // An unready pod does not count as healthy: evicting it leaves the budget as it is.
      atReadVersion = true;
      deleteOptions = withResourceVersion(options, pod.metadata.resourceVersion);
    } else {
      await takeDisruption(budgetStore, budget, pod.metadata.name!, now(), !!options.dryRun, ctx.user);
    }
  }

  try {
    await addConditionAndDelete(pods, namespace, info.name, deleteOptions, now());
  } catch (e) {
    // The pod changed (it may have become ready) since it was judged: the client should retry.
    if (isConflict(e) && atReadVersion && retriesConflicts) throw tooManyRequests(EVICTION_MESSAGES.stillProcessing(budget!.metadata.name!), 10);
    throw e;
  }
  return created();
}
