/**
 * The DaemonSet controller (k8s.io/kubernetes pkg/controller/daemon): one daemon pod on every node
 * that should run it (NodeShouldRunDaemonPod: template nodeName, nodeSelector and required node
 * affinity, and taints — NoSchedule and NoExecute ones must be tolerated, with upstream's
 * automatic DaemonSet tolerations added), none elsewhere; rolling updates when the template
 * changes; the status counts.
 *
 * Pods are created unscheduled from the template (util.CreatePodTemplate): the automatic
 * tolerations, the `pod-template-generation` (the `deprecated.daemonset.template.generation`
 * annotation) and `controller-revision-hash` labels, the required node affinity replaced by a
 * `matchFields metadata.name In [node]` term (ReplaceDaemonSetPodNodeNameNodeAffinity), a controller
 * ownerReference and `<ds>-` generateName; the scheduler then binds them. Like the ReplicaSet
 * controller, matching orphans are adopted and owned pods that stopped matching released.
 *
 * manage(): per node, a missing pod is created; failed and succeeded pods are deleted (event
 * `FailedDaemonPod` for failed ones); more than one running pod is pruned to the oldest (with
 * maxSurge: to one old + one new while the new one is not yet available); pods on nodes that
 * should not run them are deleted; unscheduled pods targeting a node that no longer exists are
 * deleted. rollingUpdate() (updateStrategy RollingUpdate) then replaces out-of-date pods within
 * maxUnavailable (delete old, manage recreates) or, with maxSurge, creates the new pod beside the
 * old one and deletes the old one once the new one is available. OnDelete only replaces pods
 * deleted by someone else.
 *
 * History (constructHistory, see history.ts): every pass claims the DaemonSet's
 * ControllerRevisions and finds the one snapshotting the current template (Match); none → a new
 * revision `<ds>-<controller.ComputeHash of the template and collisionCount>` numbered after the
 * others (a taken name with other data bumps `status.collisionCount` and fails the pass, as
 * upstream); several → the newest is kept, the others deleted after their pods are relabelled;
 * a current revision numbered below an older one is re-numbered (a rollback, e.g. `kubectl rollout
 * undo ds`). Pods' `controller-revision-hash` label is the current revision's hash label. After the
 * pass, the oldest revisions beyond `spec.revisionHistoryLimit` that no pod carries are deleted
 * (cleanupHistory).
 *
 * Differences from upstream: no slow-start batches, no failed-pod backoff (a failed pod is deleted
 * at once); deduplication relabels only the pods of the dropped revisions.
 * As the ReplicaSet controller, the status written is computed from the pods after this pass's
 * creates and deletes, so one reconcile reaches a fixed point and the next writes nothing.
 *
 * Watch events → keys (reconciler `daemonset`): a DaemonSet event enqueues itself; a Pod event
 * enqueues {@link daemonSetKeysForPod} (its controlling DaemonSet, or for an orphan every DaemonSet
 * of its namespace whose selector matches; for an update whose controller ref changed, the keys of
 * both old and new); a Node add / update / delete enqueues {@link daemonSetKeysForNode}(old, new)
 * (the DaemonSets whose should-run / should-continue-running answer for that node changed); a
 * ControllerRevision add / update / delete enqueues {@link daemonSetKeysForRevision} (its
 * controlling DaemonSet, or for an orphan every DaemonSet of its namespace that selects it).
 */
import { StatusError } from "../../apiserver/status";
import type { Registry } from "../../registry/registry";
import { selectEverything } from "../../registry/selection";
import type { KObject, UserInfo } from "../../registry/types";
import { TEMPLATE_GENERATION_ANNOTATION } from "../../registry/kinds/daemonset";
import { recordEvent } from "../events";
import type { Reconciler } from "../runtime";
import { firstUntoleratedTaint, requiredNodeAffinityMatches, type Taint, type Toleration } from "../scheduler";
import { computeHash, scaledValue } from "./deployment";
import { CONTROLLER_REVISION_HASH, controllerHistory, matchesTemplate, newControllerRevision, nextRevision, revisionHistoryLimit, revisionNumber, sortRevisions } from "./history";
import { claimPods } from "./replicaset";
import {
  adoptAndRelease,
  clone,
  controllerOf,
  createdMs,
  getOrNull,
  isConflictOrNotFound,
  isNotFound,
  isPodAvailable,
  isPodReady,
  msUntilAvailable,
  newControllerRef,
  objectKey,
  ownerKeysFor,
  selectorMatchesLabels,
  splitKey,
  sameStatus,
  writeWorkloadStatus,
} from "./workloads";

export const DAEMONSET_CONTROLLER = "daemonset-controller";
export { CONTROLLER_REVISION_HASH };
export const POD_TEMPLATE_GENERATION = "pod-template-generation";
/** Upstream's BurstReplicas for DaemonSets: most creates or deletes per sync. */
export const DAEMONSET_BURST = 250;

export interface DaemonSetDeps {
  registry: Registry;
  user: UserInfo;
  /** Wall-clock ms (events, availability). */
  now(): number;
  /**
   * How many times faster than wall-clock time simulated durations pass (default 1). A wait
   * measured in wall-clock time (minReadySeconds) becomes `requeueAfterMs` times this, so the
   * runtime queue, which divides simulated delays by the speed, wakes at the right moment.
   */
  speed?(): number;
}

/* eslint-disable @typescript-eslint/no-explicit-any */

// ---- pure pieces --------------------------------------------------------------------------------

/** util.AddOrUpdateDaemonPodTolerations: the tolerations every daemon pod gets. */
export function daemonPodTolerations(hostNetwork: boolean): Toleration[] {
  const t = (key: string, effect: string): Toleration => ({ key, operator: "Exists", effect });
  return [
    t("node.kubernetes.io/not-ready", "NoExecute"),
    t("node.kubernetes.io/unreachable", "NoExecute"),
    t("node.kubernetes.io/disk-pressure", "NoSchedule"),
    t("node.kubernetes.io/memory-pressure", "NoSchedule"),
    t("node.kubernetes.io/pid-pressure", "NoSchedule"),
    t("node.kubernetes.io/unschedulable", "NoSchedule"),
    ...(hostNetwork ? [t("node.kubernetes.io/network-unavailable", "NoSchedule")] : []),
  ];
}

const sameToleration = (a: Toleration, b: Toleration) =>
  (a.key ?? "") === (b.key ?? "") && (a.operator ?? "") === (b.operator ?? "") && (a.value ?? "") === (b.value ?? "") && (a.effect ?? "") === (b.effect ?? "");

/** A pod spec with the daemon tolerations added (those already present are not repeated). */
function withDaemonTolerations(spec: any): any {
  const tolerations: Toleration[] = [...(spec.tolerations ?? [])];
  for (const t of daemonPodTolerations(spec.hostNetwork === true)) if (!tolerations.some((x) => sameToleration(x, t))) tolerations.push(t);
  return { ...spec, tolerations };
}

/** The template generation (the `deprecated.daemonset.template.generation` annotation), or null. */
export function templateGeneration(ds: KObject): number | null {
  const raw = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  return typeof raw === "string" && /^[0-9]+$/.test(raw) ? Number(raw) : null;
}

/** The current template's hash: the name suffix and hash label of a new ControllerRevision. */
export function daemonSetHash(ds: KObject): string {
  return computeHash(ds.spec?.template, ds.status?.collisionCount);
}

/** util.IsPodUpdated: the pod carries the current hash or template generation. */
export function isPodUpdated(pod: KObject, hash: string, generation: number | null): boolean {
  const labels = pod.metadata.labels ?? {};
  return (generation !== null && labels[POD_TEMPLATE_GENERATION] === String(generation)) || (hash !== "" && labels[CONTROLLER_REVISION_HASH] === hash);
}

export interface ShouldRun {
  /** A daemon pod should be created on the node if missing. */
  shouldRun: boolean;
  /** A daemon pod already there may stay. */
  shouldContinueRunning: boolean;
}

/** NodeShouldRunDaemonPod: the daemon pod (with its automatic tolerations) against the node. */
export function nodeShouldRunDaemonPod(node: KObject, ds: KObject): ShouldRun {
  const no = { shouldRun: false, shouldContinueRunning: false };
  const spec = ds.spec?.template?.spec ?? {};
  const nodeName = node.metadata.name!;
  if (spec.nodeName && spec.nodeName !== nodeName) return no;
  const pod: KObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "", namespace: ds.metadata.namespace }, spec: withDaemonTolerations(spec) };
  if (!requiredNodeAffinityMatches(pod, node.metadata.labels ?? {}, nodeName)) return no;
  const taints: Taint[] = node.spec?.taints ?? [];
  const tolerations: Toleration[] = pod.spec.tolerations;
  if (firstUntoleratedTaint(taints, tolerations)) {
    // Scheduled daemon pods may stay as long as they tolerate the NoExecute taints.
    const noExecute = taints.filter((t) => t.effect === "NoExecute");
    return { shouldRun: false, shouldContinueRunning: !firstUntoleratedTaint(noExecute, tolerations) };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/** util.GetTargetNodeName: the pod's node, or for an unscheduled daemon pod the node its affinity pins. */
export function targetNodeName(pod: KObject): string | null {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms: any[] = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (terms.length !== 1) return null;
  for (const f of terms[0]?.matchFields ?? []) {
    if (f?.key === "metadata.name" && f.operator === "In" && Array.isArray(f.values) && f.values.length === 1) return f.values[0];
  }
  return null;
}

/** ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes "this node". */
export function pinToNode(affinity: any, nodeName: string): any {
  const term = { matchFields: [{ key: "metadata.name", operator: "In", values: [nodeName] }] };
  const out = clone(affinity ?? {});
  out.nodeAffinity = out.nodeAffinity ?? {};
  out.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { ...(out.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution ?? {}), nodeSelectorTerms: [term] };
  return out;
}

/** The daemon pod for a node (util.CreatePodTemplate + the node pin + controller ref). */
export function daemonPodFor(ds: KObject, nodeName: string, hash: string): KObject {
  const template = ds.spec?.template ?? {};
  const meta = template.metadata ?? {};
  const spec = withDaemonTolerations(clone(template.spec ?? {}));
  spec.affinity = pinToNode(spec.affinity, nodeName);
  const labels: Record<string, string> = { ...(meta.labels ?? {}) };
  const generation = templateGeneration(ds);
  if (generation !== null) labels[POD_TEMPLATE_GENERATION] = String(generation);
  if (hash) labels[CONTROLLER_REVISION_HASH] = hash;
  const pod: KObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: `${ds.metadata.name}-`,
      namespace: ds.metadata.namespace,
      labels,
      ownerReferences: [newControllerRef({ ...ds, apiVersion: "apps/v1", kind: "DaemonSet" })],
    },
    spec,
  };
  if (meta.annotations && Object.keys(meta.annotations).length) pod.metadata.annotations = clone(meta.annotations);
  if (meta.finalizers?.length) pod.metadata.finalizers = clone(meta.finalizers);
  return pod;
}

/** podByCreationTimestampAndPhase: scheduled first, then oldest, then by name. */
export function byCreationAndPhase(a: KObject, b: KObject): number {
  const as = a.spec?.nodeName ? 0 : 1;
  const bs = b.spec?.nodeName ? 0 : 1;
  if (as !== bs) return as - bs;
  const d = createdMs(a) - createdMs(b);
  if (d !== 0) return d;
  const an = String(a.metadata.name);
  const bn = String(b.metadata.name);
  return an < bn ? -1 : an > bn ? 1 : 0;
}

/** The daemon pods by target node (getNodesToDaemonPods); pods with no resolvable node are left out. */
export function podsByNode(pods: readonly KObject[]): Map<string, KObject[]> {
  const out = new Map<string, KObject[]>();
  for (const pod of pods) {
    const node = targetNodeName(pod);
    if (!node) continue;
    const list = out.get(node);
    if (list) list.push(pod);
    else out.set(node, [pod]);
  }
  return out;
}

function rollingUpdateOf(ds: KObject): any | null {
  const strategy = ds.spec?.updateStrategy;
  if (strategy?.type && strategy.type !== "RollingUpdate") return null;
  return strategy?.rollingUpdate ?? { maxUnavailable: 1, maxSurge: 0 };
}

/** [maxSurge, maxUnavailable] for `desired` nodes (SurgeCount, UnavailableCount; both 0 → unavailable 1). */
export function daemonSetFenceposts(ds: KObject, desired: number): [number, number] {
  const ru = rollingUpdateOf(ds);
  if (!ru) return [0, 0];
  const surge = scaledValue(ru.maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(ru.maxUnavailable ?? (surge ? 0 : 1), desired, true);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

export interface NodePlan {
  /** Nodes needing a new daemon pod. */
  create: string[];
  /** Pods to delete. */
  delete: KObject[];
  /** Failed pods among the deletions (for the FailedDaemonPod event). */
  failed: KObject[];
}

/** manage(): podsShouldBeOnNode over every node, plus unscheduled pods pinned to missing nodes. */
export function managePlan(ds: KObject, nodes: readonly KObject[], byNode: ReadonlyMap<string, KObject[]>, hash: string, nowMs: number): NodePlan {
  const plan: NodePlan = { create: [], delete: [], failed: [] };
  // util.AllowsSurge
  const surge = daemonSetFenceposts(ds, 1)[0] > 0;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  for (const node of nodes) {
    const name = node.metadata.name!;
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    const pods = byNode.get(name);
    if (shouldRun && !pods) {
      plan.create.push(name);
    } else if (shouldContinueRunning && pods) {
      const running: KObject[] = [];
      for (const pod of pods) {
        if (pod.metadata.deletionTimestamp) continue;
        const phase = pod.status?.phase;
        if (phase === "Failed") {
          plan.delete.push(pod);
          plan.failed.push(pod);
        } else if (phase === "Succeeded") plan.delete.push(pod);
        else running.push(pod);
      }
      running.sort(byCreationAndPhase);
      if (!surge) {
        plan.delete.push(...running.slice(1));
        continue;
      }
      // Surge: keep at most the oldest new and the oldest old, and the old one only until the new one is available.
      let oldestNew: KObject | null = null;
      let oldestOld: KObject | null = null;
      for (const pod of running) {
        if (pod.metadata.labels?.[CONTROLLER_REVISION_HASH] === hash) {
          if (!oldestNew) {
            oldestNew = pod;
            continue;
          }
        } else if (!oldestOld) {
          oldestOld = pod;
          continue;
        }
        plan.delete.push(pod);
      }
      if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReady, nowMs))) plan.delete.push(oldestOld);
    } else if (!shouldContinueRunning && pods) {
      for (const pod of pods) if (!pod.metadata.deletionTimestamp) plan.delete.push(pod);
    }
  }
  const known = new Set(nodes.map((n) => n.metadata.name));
  for (const [name, pods] of byNode) {
    if (known.has(name)) continue;
    for (const pod of pods) if (!pod.spec?.nodeName && !pod.metadata.deletionTimestamp) plan.delete.push(pod);
  }
  return plan;
}

/** findUpdatedPodsOnNode: [new, old, ok] among the node's non-terminating pods (ok false for duplicates). */
function updatedPodsOnNode(pods: readonly KObject[], hash: string, generation: number | null): [KObject | null, KObject | null, boolean] {
  let newPod: KObject | null = null;
  let oldPod: KObject | null = null;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    if (isPodUpdated(pod, hash, generation)) {
      if (newPod) return [null, null, false];
      newPod = pod;
    } else {
      if (oldPod) return [null, null, false];
      oldPod = pod;
    }
  }
  return [newPod, oldPod, true];
}

/** rollingUpdate(): the old pods to delete and (with surge) the nodes to create new pods on. */
export function rollingUpdatePlan(ds: KObject, nodes: readonly KObject[], byNode: ReadonlyMap<string, KObject[]>, hash: string, nowMs: number): { delete: KObject[]; create: string[] } {
  const generation = templateGeneration(ds);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const available = (p: KObject) => isPodAvailable(p, minReady, nowMs);
  const map = new Map<string, KObject[]>(byNode);
  const nodeByName = new Map(nodes.map((n) => [n.metadata.name!, n]));
  let desired = 0;
  for (const node of nodes) {
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) continue;
    desired++;
    if (!map.has(node.metadata.name!)) map.set(node.metadata.name!, []);
  }
  const [maxSurge, maxUnavailable] = daemonSetFenceposts(ds, desired);

  if (maxSurge === 0) {
    let numUnavailable = 0;
    const allowed: KObject[] = [];
    const candidates: KObject[] = [];
    for (const [, pods] of [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const [newPod, oldPod, ok] = updatedPodsOnNode(pods, hash, generation);
      if (!ok || (!oldPod && !newPod) || (oldPod && newPod)) {
        numUnavailable++;
      } else if (newPod) {
        if (!available(newPod)) numUnavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) allowed.push(oldPod);
        else if (numUnavailable < maxUnavailable) candidates.push(oldPod);
      }
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates.length);
    return { delete: [...allowed, ...candidates.slice(0, remaining)], create: [] };
  }

  const oldToDelete: KObject[] = [];
  const shouldNotRun: KObject[] = [];
  const candidateNodes: string[] = [];
  const allowedNodes: string[] = [];
  let numSurge = 0;
  let numAvailable = 0;
  for (const [nodeName, pods] of [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [newPod, oldPod, ok] = updatedPodsOnNode(pods, hash, generation);
    if (!ok) {
      numSurge++;
      continue;
    }
    if (oldPod ? available(oldPod) : newPod ? available(newPod) : false) numAvailable++;
    if (!oldPod) continue;
    const node = nodeByName.get(nodeName);
    const shouldRun = node ? nodeShouldRunDaemonPod(node, ds).shouldRun : false;
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRun) oldToDelete.push(oldPod);
        else allowedNodes.push(nodeName);
      } else {
        if (!shouldRun) shouldNotRun.push(oldPod);
        else if (numSurge < maxSurge) candidateNodes.push(nodeName);
      }
    } else if (!available(newPod)) {
      numSurge++;
    } else {
      oldToDelete.push(oldPod);
    }
  }
  const deletable = Math.min(numAvailable - desired, shouldNotRun.length);
  if (deletable > 0) oldToDelete.push(...shouldNotRun.slice(0, deletable));
  const remainingSurge = Math.min(Math.max(0, maxSurge - numSurge), candidateNodes.length);
  return { delete: oldToDelete, create: [...allowedNodes, ...candidateNodes.slice(0, remainingSurge)] };
}

export interface DaemonSetStatus {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
  conditions?: unknown[];
}

/** updateDaemonSetStatus's counts. Zero optional counts are left out (`omitempty`). */
export function daemonSetStatus(ds: KObject, nodes: readonly KObject[], byNode: ReadonlyMap<string, KObject[]>, hash: string, nowMs: number): DaemonSetStatus {
  const generation = templateGeneration(ds);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  for (const node of nodes) {
    const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
    const pods = byNode.get(node.metadata.name!) ?? [];
    if (!shouldRun) {
      if (pods.length) misscheduled++;
      continue;
    }
    desired++;
    if (!pods.length) continue;
    current++;
    const pod = [...pods].sort(byCreationAndPhase)[0];
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, nowMs)) available++;
    }
    if (isPodUpdated(pod, hash, generation)) updated++;
  }
  const status: DaemonSetStatus = { currentNumberScheduled: current, numberMisscheduled: misscheduled, desiredNumberScheduled: desired, numberReady: ready };
  if (ds.metadata.generation !== undefined) status.observedGeneration = ds.metadata.generation;
  if (updated) status.updatedNumberScheduled = updated;
  if (available) status.numberAvailable = available;
  if (desired - available) status.numberUnavailable = desired - available;
  if (ds.status?.collisionCount !== undefined && ds.status?.collisionCount !== null) status.collisionCount = ds.status.collisionCount;
  if (Array.isArray(ds.status?.conditions) && ds.status.conditions.length) status.conditions = clone(ds.status.conditions);
  return status;
}

// ---- event → key helpers ------------------------------------------------------------------------

/** The keys a pod event enqueues for the DaemonSet controller. */
export function daemonSetKeysForPod(pod: KObject, daemonSets: readonly KObject[]): string[] {
  return ownerKeysFor(pod, "DaemonSet", daemonSets);
}

/** The keys a ControllerRevision event enqueues (addHistory / updateHistory / deleteHistory). */
export function daemonSetKeysForRevision(revision: KObject, daemonSets: readonly KObject[]): string[] {
  return ownerKeysFor(revision, "DaemonSet", daemonSets);
}

/**
 * The keys a Node event enqueues (addNode / updateNode; a delete passes `next` null): every
 * DaemonSet whose should-run or should-continue-running answer differs between the old node
 * (null for an add) and the new one (null for a delete).
 */
export function daemonSetKeysForNode(previous: KObject | null, next: KObject | null, daemonSets: readonly KObject[]): string[] {
  const none: ShouldRun = { shouldRun: false, shouldContinueRunning: false };
  const out: string[] = [];
  for (const ds of daemonSets) {
    if (ds.metadata.deletionTimestamp) continue;
    const a = previous ? nodeShouldRunDaemonPod(previous, ds) : none;
    const b = next ? nodeShouldRunDaemonPod(next, ds) : none;
    if (a.shouldRun !== b.shouldRun || a.shouldContinueRunning !== b.shouldContinueRunning) out.push(objectKey(ds));
  }
  return out;
}

// ---- the reconciler ----------------------------------------------------------------------------

export function daemonSetReconciler(deps: DaemonSetDeps): Reconciler {
  const daemonSets = deps.registry.resource("apps", "daemonsets");
  const pods = deps.registry.resource("", "pods");
  const nodesStore = deps.registry.resource("", "nodes");
  const history = controllerHistory(deps.registry, deps.user);
  const event = (obj: KObject, reason: string, message: string, type: "Normal" | "Warning" = "Normal") =>
    recordEvent(deps.registry, deps.user, deps.now(), obj, { type, reason, message, component: DAEMONSET_CONTROLLER });

  return async (key) => {
    const [namespace, name] = splitKey(key);
    const ds = getOrNull(daemonSets, namespace, name);
    if (!ds || ds.metadata.deletionTimestamp) return;
    const typed = { ...ds, apiVersion: "apps/v1", kind: "DaemonSet" };
    const nodes = nodesStore.list("", { selection: selectEverything }).items;
    const { current, old } = await constructHistory(ds);
    const hash = current.metadata.labels?.[CONTROLLER_REVISION_HASH] ?? "";

    const owned = await claim(ds);
    let byNode = podsByNode(owned);

    // manage
    const plan = managePlan(ds, nodes, byNode, hash, deps.now());
    for (const pod of plan.failed) {
      await event(typed, "FailedDaemonPod", `Found failed daemon pod ${namespace}/${pod.metadata.name} on node ${pod.spec?.nodeName ?? targetNodeName(pod)}, will try to kill it`, "Warning");
    }
    await syncNodes(typed, plan.delete, plan.create, hash);

    // rolling update
    if (rollingUpdateOf(ds)) {
      byNode = podsByNode(ownedNow(ds));
      const ru = rollingUpdatePlan(ds, nodes, byNode, hash, deps.now());
      await syncNodes(typed, ru.delete, ru.create, hash);
    }

    const fresh = getOrNull(daemonSets, namespace, name);
    if (!fresh) return;
    const now = deps.now();
    const finalPods = ownedNow(fresh);
    await cleanupHistory(fresh, finalPods, old);
    byNode = podsByNode(finalPods);
    await writeStatus(fresh, daemonSetStatus(fresh, nodes, byNode, hash, now));

    // Ready pods waiting out minReadySeconds: look again when the first becomes available.
    const minReady = fresh.spec?.minReadySeconds ?? 0;
    const waits = finalPods.map((p) => msUntilAvailable(p, minReady, now)).filter((ms) => ms > 0);
    if (waits.length) return { requeueAfterMs: (Math.min(...waits) + 1) * (deps.speed?.() ?? 1) };
    return;
  };

  /**
   * constructHistory: the revision of the current template (found, deduplicated and re-numbered
   * to the newest, or created) and the older ones.
   */
  async function constructHistory(ds: KObject): Promise<{ current: KObject; old: KObject[] }> {
    const currents: KObject[] = [];
    const old: KObject[] = [];
    for (const claimed of await history.claim(ds, "DaemonSet")) {
      // Revisions without the hash label get their name as the hash (no recomputation, no collision).
      const revision = claimed.metadata.labels?.[CONTROLLER_REVISION_HASH] ? claimed : await history.label(claimed, { [CONTROLLER_REVISION_HASH]: claimed.metadata.name! });
      (matchesTemplate(ds, revision) ? currents : old).push(revision);
    }
    const next = nextRevision(old);
    if (!currents.length) return { current: await snapshot(ds, next), old };
    const current = await dedupCurrent(ds, currents);
    return { current: revisionNumber(current) < next ? await history.renumber(current, next) : current, old };
  }

  /** snapshot: creates the current template's revision; a taken name with other data is a hash collision. */
  async function snapshot(ds: KObject, revision: number): Promise<KObject> {
    const wanted = newControllerRevision(ds, "DaemonSet", revision, { hash: daemonSetHash(ds) });
    try {
      return await history.store.create(ds.metadata.namespace!, wanted, { user: deps.user });
    } catch (e) {
      if (!(e instanceof StatusError && e.reason === "AlreadyExists")) throw e;
      const existing = getOrNull(history.store, ds.metadata.namespace!, wanted.metadata.name!);
      if (existing && matchesTemplate(ds, existing)) return existing;
      const seen = ds.status?.collisionCount ?? null;
      await daemonSets.patch(
        ds.metadata.namespace!,
        ds.metadata.name!,
        (c) => {
          // A stale collision count is not bumped again: the next pass hashes with the stored one.
          if ((c.status?.collisionCount ?? null) === seen) c.status = { ...(c.status ?? {}), collisionCount: (seen ?? 0) + 1 };
          return c;
        },
        { user: deps.user, subresource: "status" },
      );
      throw new Error(`found a hash collision for DaemonSet ${ds.metadata.name}: ${wanted.metadata.name} already exists with another template; collisionCount bumped`);
    }
  }

  /** dedupCurHistories: keeps the newest of several revisions of the current template; their pods move to its hash. */
  async function dedupCurrent(ds: KObject, currents: readonly KObject[]): Promise<KObject> {
    const sorted = sortRevisions(currents);
    const keep = sorted.at(-1)!;
    const keepHash = keep.metadata.labels![CONTROLLER_REVISION_HASH]!;
    for (const dup of sorted.slice(0, -1)) {
      const dupHash = dup.metadata.labels?.[CONTROLLER_REVISION_HASH];
      for (const pod of ownedNow(ds).filter((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH] === dupHash)) {
        await pods
          .patch(
            pod.metadata.namespace!,
            pod.metadata.name!,
            (c) => {
              c.metadata.labels = { ...(c.metadata.labels ?? {}), [CONTROLLER_REVISION_HASH]: keepHash };
              return c;
            },
            { user: deps.user },
          )
          .catch((e) => {
            if (!isConflictOrNotFound(e)) throw e;
          });
      }
      await history.delete(dup);
    }
    return keep;
  }

  /** cleanupHistory: deletes the oldest old revisions beyond the history limit whose hash no pod carries. */
  async function cleanupHistory(ds: KObject, owned: readonly KObject[], old: readonly KObject[]): Promise<void> {
    let excess = old.length - revisionHistoryLimit(ds);
    if (excess <= 0) return;
    const live = new Set(owned.map((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH]).filter(Boolean));
    for (const revision of sortRevisions(old)) {
      if (excess <= 0) break;
      if (live.has(revision.metadata.labels?.[CONTROLLER_REVISION_HASH])) continue;
      await history.delete(revision);
      excess--;
    }
  }

  /** The pods the DaemonSet controls now (no adoption: that happened at the start of the pass). */
  function ownedNow(ds: KObject): KObject[] {
    return pods
      .list(ds.metadata.namespace!, { selection: selectEverything })
      .items.filter((p) => controllerOf(p)?.uid === ds.metadata.uid && (selectorMatchesLabels(ds.spec?.selector, p.metadata.labels) || !!p.metadata.deletionTimestamp));
  }

  async function claim(ds: KObject): Promise<KObject[]> {
    const all = pods.list(ds.metadata.namespace!, { selection: selectEverything }).items;
    return adoptAndRelease(pods, { ...ds, apiVersion: "apps/v1", kind: "DaemonSet" }, claimPods(ds, all), deps.user);
  }

  async function syncNodes(ds: KObject, toDelete: readonly KObject[], toCreate: readonly string[], hash: string): Promise<void> {
    const namespace = ds.metadata.namespace!;
    for (const nodeName of toCreate.slice(0, DAEMONSET_BURST)) {
      try {
        const created = await pods.create(namespace, daemonPodFor(ds, nodeName, hash), { user: deps.user });
        await event(ds, "SuccessfulCreate", `Created pod: ${created.metadata.name}`);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        await event(ds, "FailedCreate", `Error creating: ${message}`, "Warning");
        throw e;
      }
    }
    const seen = new Set<string>();
    for (const victim of toDelete.slice(0, DAEMONSET_BURST)) {
      if (seen.has(victim.metadata.uid!)) continue;
      seen.add(victim.metadata.uid!);
      try {
        await pods.delete(namespace, victim.metadata.name!, { user: deps.user, preconditions: { uid: victim.metadata.uid } });
        await event(ds, "SuccessfulDelete", `Deleted pod: ${victim.metadata.name}`);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  async function writeStatus(ds: KObject, status: DaemonSetStatus): Promise<void> {
    if (sameStatus(STATUS_FIELDS, ds.status ?? {}, status)) return;
    await writeWorkloadStatus(daemonSets, ds, status, deps.user, ["collisionCount"]);
  }
}

const STATUS_FIELDS = [
  "currentNumberScheduled",
  "numberMisscheduled",
  "desiredNumberScheduled",
  "numberReady",
  "observedGeneration",
  "updatedNumberScheduled",
  "numberAvailable",
  "numberUnavailable",
  "collisionCount",
  "conditions",
] as const;
