/**
 * One scheduling cycle (schedule_one.go): PreFilter → the nominated node alone, when the pod has
 * one and it fits → Filter (first failing plugin per node; pods nominated to a node with at least
 * the pod's priority count there) → PreScore → Score → NormalizeScore → weights → selectHost, and
 * upstream's FitError text when no node fits, with the DefaultPreemption PostFilter's verdict
 * (./preemption.ts): its message, or the node to nominate and the pods to evict there.
 */
import type { KObject } from "../../registry/types";
import { addPodToNode, assumePod, buildSnapshot, newNodeInfo, podInfoOf, type SnapshotOptions } from "./podinfo";
import { preempt, type Nomination } from "./preemption";
import { DEFAULT_PROFILE, PLUGINS, type Plugin, type Profile } from "./registry";
import type { Code, CycleContext, NodeInfo, NodeScore, Snapshot, Status } from "./types";

export interface FilterVerdict {
  node: string;
  code: Code;
  /** The plugin that rejected the node (absent when the node passed). */
  plugin?: string;
  reasons: string[];
}

export interface NodeScores {
  node: string;
  /** Per entry of `Diagnostics.scorePlugins`: the score after NormalizeScore, before the weight. */
  scores: number[];
  /** Σ score × weight. */
  total: number;
}

export interface Diagnostics {
  numAllNodes: number;
  /** Nodes run through the filters (upstream stops once enough feasible nodes are found). */
  evaluatedNodes: number;
  /** One verdict per evaluated node, in evaluation order (rejections only when diagnostics are off). */
  filters: FilterVerdict[];
  /** The score plugins that ran, with their weights (the columns of `scores`). */
  scorePlugins: { plugin: string; weight: number }[];
  /** Per feasible node (empty when at most one node fits: upstream skips scoring then). */
  scores: NodeScores[];
  /** Score plugins that returned Skip from PreScore. */
  skippedScorePlugins: string[];
}

export interface FitError {
  numAllNodes: number;
  /** A PreFilter rejection applies to every node and replaces the per-node histogram. */
  preFilterMsg: string;
  nodeToStatus: Record<string, Status>;
  /** The PostFilter (preemption) message, `preemption: ...`; empty when preemption found candidates. */
  postFilterMsg: string;
  /** Nodes where evicting lower-priority pods would let the pod fit. */
  preemptionCandidates: string[];
  /** Preemption's pick: the node to nominate and the pods to evict from it (absent: nothing to preempt). */
  nomination?: Nomination;
  message: string;
}

export type ScheduleResult = ({ node: string } | { failure: FitError }) & { diagnostics: Diagnostics };

export interface ScheduleOptions extends SnapshotOptions {
  profile?: Profile;
  /** [0, 1) source for tie-breaking among equal top scores (upstream: rand). Default: seededRandom(1). */
  random?: () => number;
  /** percentageOfNodesToScore; 0 (default) is upstream's adaptive 50 − nodes/125, min 5%. */
  percentageOfNodesToScore?: number;
  /** Index to start the node scan at (upstream rotates it between cycles). */
  startIndex?: number;
  /** Collect per-node verdicts and scores of successful cycles (default true; failures always keep them). */
  diagnostics?: boolean;
  /**
   * The pending pods nominated to a node (`status.nominatedNodeName`), as the scheduler's
   * nominator knows them: those of at least the cycle's pod's priority hold their room.
   */
  nominatedPods?: (node: string) => readonly KObject[];
}

const NO_REASONS: string[] = [];

export const NO_NODE_AVAILABLE = (n: number) => `0/${n} nodes are available`;
export { NO_PREEMPTION_VICTIMS, PREEMPTION_NEVER, PREEMPTION_NOT_HELPFUL } from "./preemption";

/** mulberry32: a small deterministic PRNG for tie-breaking. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MIN_FEASIBLE_NODES = 100;
const MIN_FEASIBLE_PERCENTAGE = 5;

/** numFeasibleNodesToFind. */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES) return numAllNodes;
  let p = percentage;
  if (p <= 0) {
    p = 50 - Math.trunc(numAllNodes / 125);
    if (p < MIN_FEASIBLE_PERCENTAGE) p = MIN_FEASIBLE_PERCENTAGE;
  }
  if (p >= 100) return numAllNodes;
  const n = Math.trunc((numAllNodes * p) / 100);
  return n < MIN_FEASIBLE_NODES ? MIN_FEASIBLE_NODES : n;
}

/** Go's sort.Strings order (bytewise). */
function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The reason histogram: "<count> <reason>" sorted as strings, joined with ", ". */
export function reasonHistogram(statuses: Iterable<Status>): string {
  const counts = new Map<string, number>();
  for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, n]) => `${n} ${r}`).sort(byteCompare).join(", ");
}

/** FitError.Error(): the PostFilter message is appended as-is (it carries its own period). */
export function fitErrorMessage(numAllNodes: number, preFilterMsg: string, statuses: Iterable<Status>, postFilterMsg: string): string {
  let msg = NO_NODE_AVAILABLE(numAllNodes) + ":";
  if (preFilterMsg) msg += ` ${preFilterMsg}.`;
  else {
    const hist = reasonHistogram(statuses);
    if (hist) msg += ` ${hist}.`;
  }
  if (postFilterMsg) msg += ` ${postFilterMsg}`;
  return msg;
}

function resolvePlugins(names: string[]): Plugin[] {
  return names.map((n) => {
    const p = PLUGINS.get(n);
    if (!p) throw new Error(`unknown scheduler plugin ${n}`);
    return p;
  });
}

function runFilters(filters: Plugin[], ctx: CycleContext, node: NodeInfo): Status | null {
  for (const p of filters) {
    const s = p.filter!(ctx, node);
    if (s && s.code !== "Success") return { ...s, plugin: p.name };
  }
  return null;
}

function runPreFilters(filters: Plugin[], ctx: CycleContext): Status | null {
  for (const p of filters) {
    const s = p.preFilter?.(ctx);
    if (s && s.code !== "Success" && s.code !== "Skip") return { ...s, plugin: p.name };
  }
  return null;
}

/**
 * Filters with nominated pods (RunFilterPluginsWithNominatedPods): pods nominated to the node with
 * at least the pod's priority are added first; when they change the node, the filters run again
 * without them (a nominated pod may never arrive, so it must not satisfy affinity either).
 */
function runFiltersWithNominated(filters: Plugin[], ctx: CycleContext, node: NodeInfo, nominatedPods: ScheduleOptions["nominatedPods"]): Status | null {
  const here = nominatedPods?.(node.name);
  if (!here?.length) return runFilters(filters, ctx, node);
  const pod = ctx.pod;
  const extra = here.map(podInfoOf).filter((p) => p.priority >= pod.priority && !(p.name === pod.name && p.namespace === pod.namespace));
  if (extra.length === 0) return runFilters(filters, ctx, node);
  const withNominated = newNodeInfo(node.node);
  for (const p of [...node.pods, ...extra]) addPodToNode(withNominated, p);
  return runFilters(filters, ctx, withNominated) ?? runFilters(filters, ctx, node);
}

/** One cycle against a prepared snapshot (the snapshot is not modified). */
export function scheduleInSnapshot(podObj: KObject, snapshot: Snapshot, opts: ScheduleOptions = {}): ScheduleResult {
  const profile = opts.profile ?? DEFAULT_PROFILE;
  const filters = resolvePlugins(profile.filters).filter((p) => p.filter);
  const pod = podInfoOf(podObj);
  const ctx: CycleContext = { pod, snapshot, state: new Map() };
  const all = snapshot.nodes;
  const diagnostics: Diagnostics = { numAllNodes: all.length, evaluatedNodes: 0, filters: [], scorePlugins: [], scores: [], skippedScorePlugins: [] };
  const keep = opts.diagnostics ?? true;
  let evaluated = 0;
  const nodeToStatus = new Map<string, Status>();

  const fail = (preFilterMsg: string): ScheduleResult => {
    const fits = (trial: Snapshot, node: NodeInfo) => {
      const trialCtx: CycleContext = { pod, snapshot: trial, state: new Map() };
      return runPreFilters(filters, trialCtx) ?? runFiltersWithNominated(filters, trialCtx, node, opts.nominatedPods);
    };
    const pre = preFilterMsg
      ? { message: "", candidates: [] as string[], nomination: undefined }
      : preempt(pod, snapshot, nodeToStatus, fits, (statuses) => fitErrorMessage(all.length, "", statuses, ""));
    const failure: FitError = {
      numAllNodes: all.length,
      preFilterMsg,
      nodeToStatus: Object.fromEntries(nodeToStatus),
      postFilterMsg: pre.message,
      preemptionCandidates: pre.candidates,
      ...(pre.nomination ? { nomination: pre.nomination } : {}),
      message: fitErrorMessage(all.length, preFilterMsg, nodeToStatus.values(), pre.message),
    };
    return { failure, diagnostics };
  };

  if (all.length === 0) return fail("");
  const preStatus = runPreFilters(filters, ctx);
  if (preStatus) {
    for (const ni of all) {
      nodeToStatus.set(ni.name, preStatus);
      diagnostics.filters.push({ node: ni.name, code: preStatus.code, plugin: preStatus.plugin, reasons: preStatus.reasons });
    }
    diagnostics.evaluatedNodes = all.length;
    return fail(preStatus.reasons.join(", "));
  }

  // A pod that preempted for a node tries that node alone first (evaluateNominatedNode).
  const nominated = snapshot.byName.get(podObj.status?.nominatedNodeName ?? "");
  if (nominated) {
    const s = runFiltersWithNominated(filters, ctx, nominated, opts.nominatedPods);
    if (!s) {
      diagnostics.evaluatedNodes = 1;
      if (keep) diagnostics.filters.push({ node: nominated.name, code: "Success", reasons: NO_REASONS });
      return { node: nominated.name, diagnostics };
    }
  }

  const want = numFeasibleNodesToFind(all.length, opts.percentageOfNodesToScore ?? 0);
  const start = ((opts.startIndex ?? 0) % all.length + all.length) % all.length;
  const feasible: NodeInfo[] = [];
  for (let i = 0; i < all.length && feasible.length < want; i++) {
    const ni = all[(start + i) % all.length]!;
    const s = runFiltersWithNominated(filters, ctx, ni, opts.nominatedPods);
    evaluated++;
    if (s) {
      nodeToStatus.set(ni.name, s);
      diagnostics.filters.push({ node: ni.name, code: s.code, plugin: s.plugin, reasons: s.reasons });
    } else {
      feasible.push(ni);
      if (keep) diagnostics.filters.push({ node: ni.name, code: "Success", reasons: NO_REASONS });
    }
  }
  diagnostics.evaluatedNodes = evaluated;
  if (feasible.length === 0) return fail("");
  if (feasible.length === 1) return { node: feasible[0]!.name, diagnostics };

  // Score.
  const n = feasible.length;
  const totals = new Array<number>(n).fill(0);
  const columns: number[][] = [];
  const scores: NodeScore[] = feasible.map((ni) => ({ name: ni.name, score: 0 }));
  for (const { name, weight } of profile.scores) {
    const p = PLUGINS.get(name);
    if (!p?.score) continue;
    const pre = p.preScore?.(ctx, feasible);
    if (pre && pre.code === "Skip") {
      if (keep) diagnostics.skippedScorePlugins.push(name);
      continue;
    }
    for (let i = 0; i < n; i++) scores[i]!.score = p.score(ctx, feasible[i]!);
    p.normalizeScore?.(ctx, scores);
    const col = keep ? new Array<number>(n) : undefined;
    for (let i = 0; i < n; i++) {
      const v = scores[i]!.score;
      totals[i]! += v * weight;
      if (col) col[i] = v;
    }
    if (col) {
      columns.push(col);
      diagnostics.scorePlugins.push({ plugin: name, weight });
    }
  }
  if (keep) diagnostics.scores = feasible.map((ni, i) => ({ node: ni.name, scores: columns.map((c) => c[i]!), total: totals[i]! }));

  // selectHost: uniform among the top scores (reservoir sampling).
  const random = opts.random ?? seededRandom(1);
  let best = 0;
  let ties = 1;
  for (let i = 1; i < feasible.length; i++) {
    if (totals[i]! > totals[best]!) {
      best = i;
      ties = 1;
    } else if (totals[i] === totals[best]) {
      ties++;
      if (Math.floor(random() * ties) === 0) best = i;
    }
  }
  return { node: feasible[best]!.name, diagnostics };
}

/** Schedules one pod onto `nodes`, given every pod in the cluster (bound ones count). */
export function scheduleOne(pod: KObject, nodes: KObject[], pods: KObject[], opts: ScheduleOptions = {}): ScheduleResult {
  return scheduleInSnapshot(pod, buildSnapshot(nodes, pods, opts), opts);
}

export interface BatchResult {
  pod: KObject;
  result: ScheduleResult;
}

/**
 * Schedules `pending` in order against one snapshot, assuming each placed pod onto its node
 * (the scheduler cache's assume) so later cycles see it. The scan start rotates as upstream's.
 */
export function scheduleBatch(pending: KObject[], nodes: KObject[], pods: KObject[], opts: ScheduleOptions = {}): BatchResult[] {
  const snapshot = buildSnapshot(nodes, pods, opts);
  const random = opts.random ?? seededRandom(1);
  let startIndex = opts.startIndex ?? 0;
  const out: BatchResult[] = [];
  for (const pod of pending) {
    const result = scheduleInSnapshot(pod, snapshot, { ...opts, random, startIndex });
    if (snapshot.nodes.length) startIndex = (startIndex + result.diagnostics.evaluatedNodes) % snapshot.nodes.length;
    if ("node" in result) assumePod(snapshot, pod, result.node);
    out.push({ pod, result });
  }
  return out;
}
