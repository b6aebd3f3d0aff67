/**
 * The simulated kubelet's node heartbeats (k8s.io/kubernetes pkg/kubelet/nodelease and
 * kubelet_node_status.go), keyed by node name.
 *
 * - A running kubelet renews its Lease `kube-node-lease/<node>` every 10 s (a quarter of the
 *   lease's 40 s duration) of wall-clock time, whatever the speed, so a Lease looks as fresh to
 *   kubectl as on a real cluster without a fast sandbox rewriting every Lease every millisecond
 *   (node health is judged only for stopped kubelets, see node-lifecycle.ts). It posts node
 *   status: every condition's `lastHeartbeatTime` at least every 5 min
 *   (nodeStatusReportFrequency), and at once when a condition must change — after a
 *   recovery the node controller's `Unknown` conditions go back to the kubelet's own (Ready `True`
 *   `KubeletReady`, with a `NodeReady` event "Node x status is now: NodeReady").
 * - A stopped kubelet ({@link isKubeletStopped}: the node carries {@link KUBELET_STOPPED}, set by
 *   the `:fail` drill) does nothing, so its Lease goes stale and the node lifecycle controller
 *   notices, as it would a powered-off machine.
 *
 * Heartbeats are *background* work: they run on the sandbox's schedule only while somebody uses
 * the sandbox (see ControlPlane), so an idle sandbox sets no alarm. Nothing reads a Lease's age
 * while idle — the node lifecycle controller only watches the Leases of stopped kubelets.
 */
import { formatMicroTime, formatTime } from "../../registry/clock";
import type { Registry } from "../../registry/registry";
import type { KObject, UserInfo } from "../../registry/types";
import { recordEvent } from "../events";
import type { Reconciler } from "../runtime";
import { getOrNull, isConflictOrNotFound } from "../controllers/workloads";
import type { KubeletClock } from "./index";

/** Set on a Node whose simulated kubelet is stopped (value: when, RFC 3339). Remove it to recover. */
export const KUBELET_STOPPED = "sandkube.dev/kubelet-stopped";
/** Upstream's renew interval: a quarter of the 40 s lease duration. */
export const LEASE_RENEW_MS = 10_000;
export const LEASE_DURATION_SECONDS = 40;
/** Upstream's nodeStatusReportFrequency (wall-clock, as the lease renewal). */
export const NODE_STATUS_REPORT_MS = 5 * 60_000;

export function isKubeletStopped(node: KObject): boolean {
  return node.metadata.annotations?.[KUBELET_STOPPED] !== undefined;
}

/** The conditions a healthy kubelet reports, in its order. */
const HEALTHY: readonly { type: string; status: string; reason: string; message: string }[] = [
  { type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory", message: "kubelet has sufficient memory available" },
  { type: "DiskPressure", status: "False", reason: "KubeletHasNoDiskPressure", message: "kubelet has no disk pressure" },
  { type: "PIDPressure", status: "False", reason: "KubeletHasSufficientPID", message: "kubelet has sufficient PID available" },
  { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status" },
];

/**
 * The node's conditions as its kubelet reports them at `time`, or null when nothing needs writing
 * (every condition already healthy and `report` is false). Transition times change only on change.
 */
export function kubeletConditions(node: KObject, time: string, report: boolean): any[] | null {
  const current: any[] = node.status?.conditions ?? [];
  const changed = HEALTHY.some((h) => {
    const c = current.find((x) => x.type === h.type);
    return !c || c.status !== h.status || c.reason !== h.reason;
  });
  if (!changed && !report) return null;
  return HEALTHY.map((h) => {
    const c = current.find((x) => x.type === h.type);
    const same = c && c.status === h.status;
    return { ...h, lastHeartbeatTime: time, lastTransitionTime: same ? c.lastTransitionTime : time };
  });
}

export function heartbeatReconciler(deps: { registry: Registry; user: UserInfo; clock: KubeletClock & { readonly speed: number } }): Reconciler {
  const nodes = deps.registry.resource("", "nodes");
  const leases = deps.registry.resource("coordination.k8s.io", "leases");
  /** Per node: the wall-clock instant of the last full status report. */
  const reported = new Map<string, number>();

  return async (name) => {
    const node = getOrNull(nodes, "", name);
    if (!node || isKubeletStopped(node)) {
      reported.delete(name);
      return;
    }
    const { user } = deps;
    const now = deps.clock.now();
    const lease = getOrNull(leases, "kube-node-lease", name);
    const renewTime = formatMicroTime(now);
    if (!lease) {
      const spec = { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime };
      const ownerReferences = [{ apiVersion: "v1", kind: "Node", name, uid: node.metadata.uid! }];
      await leases.create("kube-node-lease", { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace: "kube-node-lease", ownerReferences }, spec }, { user });
    } else if (lease.spec?.renewTime !== renewTime) {
      await leases.patch("kube-node-lease", name, (l) => ({ ...l, spec: { ...l.spec, holderIdentity: name, renewTime } }), { user }).catch((e) => {
        if (!isConflictOrNotFound(e)) throw e;
      });
    }

    if (!reported.has(name)) reported.set(name, now);
    const due = now - reported.get(name)! >= NODE_STATUS_REPORT_MS;
    const conditions = kubeletConditions(node, formatTime(now), due);
    if (conditions) {
      const wasReady = node.status?.conditions?.find((c: any) => c.type === "Ready")?.status === "True";
      const written = await nodes
        .patch("", name, (n) => ({ ...n, status: { ...n.status, conditions } }), { user, subresource: "status" })
        .catch((e) => {
          if (!isConflictOrNotFound(e)) throw e;
          return null;
        });
      reported.set(name, now);
      if (written && !wasReady) {
        await recordEvent(deps.registry, user, now, written, { type: "Normal", reason: "NodeReady", message: `Node ${name} status is now: NodeReady`, component: "kubelet", host: name });
      }
    }
    return { requeueAfterMs: LEASE_RENEW_MS * deps.clock.speed }; // simulated ms for 10 s of wall-clock time
  };
}
