/**
 * DefaultPreemption's PostFilter (pkg/scheduler/framework/plugins/defaultpreemption and
 * framework/preemption), pure: for a pod no node fits, which node to free and which pods to evict
 * from it. Nothing is written here; the scheduler controller nominates the node and deletes the
 * victims. PodDisruptionBudgets are not consulted (every victim counts as non-violating).
 */
import type { KObject } from "../../registry/types";
import { addPodToNode, newNodeInfo } from "./podinfo";
import type { NodeInfo, PodInfo, Snapshot, Status } from "./types";

export const PREEMPTION_NOT_HELPFUL = "Preemption is not helpful for scheduling";
export const NO_PREEMPTION_VICTIMS = "No preemption victims found for incoming pod.";
export const PREEMPTION_NEVER = "not eligible due to preemptionPolicy=Never.";
export const PREEMPTION_WAITING_FOR_VICTIMS = "not eligible due to a terminating pod on the nominated node.";
/** The DisruptionTarget reason the scheduler gives its victims (v1.PodReasonPreemptionByScheduler). */
export const PREEMPTION_BY_SCHEDULER = "PreemptionByScheduler";
/** DefaultPreemptionArgs: minCandidateNodesPercentage and minCandidateNodesAbsolute. */
const MIN_CANDIDATE_NODES_PERCENTAGE = 10;
const MIN_CANDIDATE_NODES_ABSOLUTE = 100;

/**
 * Whether `pod` fits `node` of `snapshot` (PreFilter, then Filter): null when it does, else the
 * first failing status. Supplied by the scheduling cycle so the same plugins judge both.
 */
export type FitCheck = (snapshot: Snapshot, node: NodeInfo) => Status | null;

export interface Nomination {
  node: string;
  /** The pods to evict, most important first. */
  victims: KObject[];
}

export interface PreemptionResult {
  /** The PostFilter message for the FitError (`preemption: …`); "" when a node was nominated. */
  message: string;
  /** Nodes where evicting lower-priority pods lets the pod fit (the dry run's candidates). */
  candidates: string[];
  nomination?: Nomination;
}

/** Whether a bound pod is on its way out because the scheduler preempted it (podTerminatingByPreemption). */
export function terminatingByPreemption(pod: KObject): boolean {
  if (!pod.metadata.deletionTimestamp) return false;
  const condition = (pod.status?.conditions ?? []).find((c: { type: string }) => c.type === "DisruptionTarget");
  return condition?.status === "True" && condition.reason === PREEMPTION_BY_SCHEDULER;
}

/** PodEligibleToPreemptOthers: null when the pod may preempt, else why not. */
export function preemptionIneligibility(pod: PodInfo, snapshot: Snapshot, nominatedNodeStatus: Status | undefined): string | null {
  if (pod.pod.spec?.preemptionPolicy === "Never") return PREEMPTION_NEVER;
  const nominated: string | undefined = pod.pod.status?.nominatedNodeName;
  if (!nominated) return null;
  // A nominated node that can never fit any more is given up, and preemption tried afresh.
  if (nominatedNodeStatus?.code === "UnschedulableAndUnresolvable") return null;
  const ni = snapshot.byName.get(nominated);
  if (ni?.pods.some((p) => p.priority < pod.priority && terminatingByPreemption(p.pod))) return PREEMPTION_WAITING_FOR_VICTIMS;
  return null;
}

/** Upstream's MoreImportantPod: higher priority first, then the one that started earlier (no start time: last). */
export function moreImportant(a: PodInfo, b: PodInfo): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return startTime(a) - startTime(b);
}

function startTime(p: PodInfo): number {
  const t = Date.parse(p.pod.status?.startTime ?? "");
  return Number.isNaN(t) ? Number.MAX_SAFE_INTEGER : t;
}

/** A copy of `snapshot` in which `original`'s node holds exactly `pods` (the other nodes are shared). */
function withNodePods(snapshot: Snapshot, original: NodeInfo, pods: PodInfo[]): { snapshot: Snapshot; node: NodeInfo } {
  const node = newNodeInfo(original.node);
  for (const p of pods) addPodToNode(node, p);
  const byName = new Map(snapshot.byName).set(node.name, node);
  return { snapshot: { ...snapshot, nodes: snapshot.nodes.map((n) => (n === original ? node : n)), byName }, node };
}

/**
 * SelectVictimsOnNode: every lower-priority pod is removed; if the pod then fits, the removed
 * pods are added back most important first, each kept (reprieved) when the pod still fits.
 * Returns the victims, most important first, or the status that rules the node out.
 */
export function selectVictimsOnNode(pod: PodInfo, snapshot: Snapshot, ni: NodeInfo, fits: FitCheck): { victims: PodInfo[] } | { status: Status } {
  const potential = ni.pods.filter((p) => p.priority < pod.priority).sort(moreImportant);
  if (potential.length === 0) return { status: { code: "UnschedulableAndUnresolvable", reasons: [NO_PREEMPTION_VICTIMS] } };
  const kept = ni.pods.filter((p) => p.priority >= pod.priority);
  const trial = withNodePods(snapshot, ni, kept);
  const status = fits(trial.snapshot, trial.node);
  if (status) return { status };
  const victims: PodInfo[] = [];
  for (const candidate of potential) {
    const next = withNodePods(snapshot, ni, [...kept, candidate]);
    if (fits(next.snapshot, next.node)) victims.push(candidate);
    else kept.push(candidate);
  }
  return { victims };
}

/** pickOneNodeForPreemption without PDBs: the node whose eviction hurts least, by upstream's tie-breakers in order. */
export function pickNode(candidates: Map<string, PodInfo[]>): string | undefined {
  let names = [...candidates.keys()];
  for (const name of names) if (candidates.get(name)!.length === 0) return name;
  const keepMin = (score: (victims: PodInfo[]) => number) => {
    const scores = names.map((n) => score(candidates.get(n)!));
    const best = Math.min(...scores);
    names = names.filter((_, i) => scores[i] === best);
  };
  // The lowest "highest-priority victim"; victims are sorted most important first.
  keepMin((v) => v[0]!.priority);
  // The smallest sum of priorities, shifted to be positive as upstream (MaxInt32 + 1 each).
  keepMin((v) => v.reduce((sum, p) => sum + p.priority + 2 ** 31, 0));
  keepMin((v) => v.length);
  // The latest start among the earliest-started highest-priority victims.
  keepMin((v) => -earliestStartOfHighestPriority(v));
  return names[0];
}

function earliestStartOfHighestPriority(victims: PodInfo[]): number {
  const top = victims[0]!.priority;
  return Math.min(...victims.filter((p) => p.priority === top).map(startTime));
}

/** calculateNumCandidates: how many candidate nodes the dry run looks for before it stops. */
export function numCandidatesToFind(numNodes: number): number {
  return Math.min(numNodes, Math.max(Math.trunc((numNodes * MIN_CANDIDATE_NODES_PERCENTAGE) / 100), MIN_CANDIDATE_NODES_ABSOLUTE));
}

/** Renders statuses as FitError does (`0/N nodes are available: …`), for the PostFilter message. */
export type FitMessage = (statuses: Iterable<Status>) => string;

/**
 * The PostFilter: eligibility, nodes where preemption might help (those not rejected as
 * unresolvable), the victim dry run on them, and the pick. `nodeToStatus` holds the filter
 * verdict of every node that did not fit.
 */
export function preempt(pod: PodInfo, snapshot: Snapshot, nodeToStatus: Map<string, Status>, fits: FitCheck, fitMessage: FitMessage): PreemptionResult {
  const nominated: string | undefined = pod.pod.status?.nominatedNodeName;
  const ineligible = preemptionIneligibility(pod, snapshot, nominated ? nodeToStatus.get(nominated) : undefined);
  if (ineligible) return { message: `preemption: ${ineligible}`, candidates: [] };
  const statuses = new Map<string, Status>();
  const potential: NodeInfo[] = [];
  for (const ni of snapshot.nodes) {
    const s = nodeToStatus.get(ni.name);
    if (!s || s.code === "UnschedulableAndUnresolvable") statuses.set(ni.name, { code: "UnschedulableAndUnresolvable", reasons: [PREEMPTION_NOT_HELPFUL] });
    else potential.push(ni);
  }
  const wanted = numCandidatesToFind(potential.length);
  const found = new Map<string, PodInfo[]>();
  for (const ni of potential) {
    if (found.size >= wanted) break;
    const r = selectVictimsOnNode(pod, snapshot, ni, fits);
    if ("status" in r) statuses.set(ni.name, r.status);
    else found.set(ni.name, r.victims);
  }
  const node = pickNode(found);
  if (node === undefined) return { message: `preemption: ${fitMessage(statuses.values())}`, candidates: [] };
  return { message: "", candidates: [...found.keys()], nomination: { node, victims: found.get(node)!.map((p) => p.pod) } };
}
