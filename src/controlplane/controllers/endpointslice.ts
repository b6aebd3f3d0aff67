/**
 * The EndpointSlice controller (k8s.io/kubernetes pkg/controller/endpointslice and the reconciler
 * of staging/src/k8s.io/endpointslice): for every Service with a selector (and not of type
 * ExternalName), keeps discovery.k8s.io/v1 EndpointSlices listing the selected pods.
 *
 * - One endpoint per selected pod that has an IP of the slice's address type and is not terminal,
 *   terminating pods included (1.26+): `ready` = Ready and not terminating (always true with
 *   `publishNotReadyAddresses`), `serving` = Ready, `terminating` = deletionTimestamp set; with
 *   `nodeName`, `zone` (the node's `topology.kubernetes.io/zone` label), `targetRef`, and
 *   `hostname` when the pod sets hostname + subdomain = the Service.
 * - Ports are resolved per pod (targetPort number, or a container port name); pods whose resolved
 *   ports differ go to different slices. At most {@link MAX_ENDPOINTS_PER_SLICE} endpoints a slice
 *   (upstream's default --max-endpoints-per-slice).
 * - Slices are named by `generateName: <service>-`, labelled with the Service's labels plus
 *   `kubernetes.io/service-name`, `endpointslice.kubernetes.io/managed-by:
 *   endpointslice-controller.k8s.io` and `service.kubernetes.io/headless` for headless Services,
 *   owned by the Service (controller, blockOwnerDeletion), and annotated with
 *   `endpoints.kubernetes.io/last-change-trigger-time` on each write.
 * - Packing as upstream's reconcileByPortMapping: existing slices keep the endpoints still wanted
 *   (updated in place when they changed, deleted when none remains); new endpoints fill the slices
 *   already being updated (fullest first), then the one unchanged slice that they fit best, then
 *   new slices; a slice that would be deleted while another is created is reused instead; a
 *   Service with no endpoints keeps one empty placeholder slice (`<unset>` in kubectl).
 * - A Service without a selector, or of type ExternalName, is left alone, its slices included
 *   (as upstream: kubernetes/kubernetes#118376). A Service being deleted gets no new slices. Once
 *   the Service is gone its managed slices are deleted (the garbage collector may get there first;
 *   a slice already gone is fine). Slices owned by an older Service of the same name are deleted.
 * - A pod whose node does not exist is skipped (unless publishNotReadyAddresses) and the key is
 *   retried after {@link NODE_NOT_FOUND_RETRY_MS}.
 *
 * Differences from upstream: stateless, so the trigger time is the latest change among the Service
 * (creation) and the selected pods (Ready transition, else creation), as the Endpoints controller
 * here; endpoints are added in address order rather than upstream's random set order; no topology
 * hints; no EndpointSlice tracker (the store read is always fresh).
 *
 * Watch events → keys (reconciler `endpointslice`): a Service event (add, update, delete) enqueues
 * itself; a Pod event enqueues {@link serviceKeysForPod} (from ./endpoints); an EndpointSlice event
 * (add, update, delete) enqueues {@link serviceKeyForEndpointSlice} when the slice is managed by
 * this controller (so a slice edited or deleted by hand is repaired).
 */
import type { Registry } from "../../registry/registry";
import { formatTime } from "../../registry/clock";
import { selectEverything } from "../../registry/selection";
import type { KObject, UserInfo } from "../../registry/types";
import type { Reconciler } from "../runtime";
import {
  canonical,
  findPort,
  ipOrder,
  LABEL_HEADLESS,
  LAST_CHANGE_TRIGGER_TIME,
  podTriggerTime,
  selects,
  serviceSelector,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from "./endpoints";
import { clone, createdMs, getOrNull, isConflictOrNotFound, isNotFound, isPodReady, newControllerRef, splitKey } from "./workloads";

export const ENDPOINTSLICE_CONTROLLER = "endpointslice-controller.k8s.io";
export const LABEL_SERVICE_NAME = "kubernetes.io/service-name";
export const LABEL_SLICE_MANAGED_BY = "endpointslice.kubernetes.io/managed-by";
export const LABEL_TOPOLOGY_ZONE = "topology.kubernetes.io/zone";
/** Upstream's default --max-endpoints-per-slice. */
export const MAX_ENDPOINTS_PER_SLICE = 100;
/** Simulated ms before a Service with a pod on a missing node is synced again. */
export const NODE_NOT_FOUND_RETRY_MS = 5_000;

export interface EndpointSliceDeps {
  registry: Registry;
  user: UserInfo;
  /** Wall-clock ms; the trigger time falls back to it when nothing else is known. */
  now?(): number;
}

/* eslint-disable @typescript-eslint/no-explicit-any */

export interface SlicePort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  targetRef: { kind: "Pod"; namespace: string; name: string; uid: string };
  nodeName?: string;
  zone?: string;
}

const listOf = (v: unknown): any[] => (Array.isArray(v) ? v : []);

// ---- pure pieces --------------------------------------------------------------------------------

/** The key a managed slice's events enqueue: its Service's `namespace/name`, or null when not ours. */
export function serviceKeyForEndpointSlice(slice: KObject): string | null {
  const labels = slice.metadata.labels ?? {};
  const service = labels[LABEL_SERVICE_NAME];
  if (labels[LABEL_SLICE_MANAGED_BY] !== ENDPOINTSLICE_CONTROLLER || !service) return null;
  return `${slice.metadata.namespace}/${service}`;
}

function isManagedSliceOf(slice: KObject, serviceName: string): boolean {
  const labels = slice.metadata.labels ?? {};
  return labels[LABEL_SLICE_MANAGED_BY] === ENDPOINTSLICE_CONTROLLER && labels[LABEL_SERVICE_NAME] === serviceName;
}

const isIPv6 = (ip: string) => ip.includes(":");

/** getAddressTypesForService: the Service's IP families; else its cluster IP's; else (headless) both. */
export function addressTypesFor(svc: KObject): string[] {
  const families = listOf(svc.spec?.ipFamilies).filter((f) => f === "IPv4" || f === "IPv6");
  if (families.length) return [...new Set<string>(families)];
  const clusterIP: string = svc.spec?.clusterIP ?? "";
  if (clusterIP && clusterIP !== "None") return [isIPv6(clusterIP) ? "IPv6" : "IPv4"];
  return ["IPv4", "IPv6"];
}

/** setEndpointSliceLabels: the Service's labels (reserved keys aside) plus the controller's own. */
export function sliceLabels(svc: KObject): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) {
    if (k !== LABEL_SERVICE_NAME && k !== LABEL_SLICE_MANAGED_BY && k !== LABEL_HEADLESS) labels[k] = v;
  }
  const ipSet = !!svc.spec?.clusterIP && svc.spec.clusterIP !== "None";
  if (!ipSet) labels[LABEL_HEADLESS] = "";
  labels[LABEL_SERVICE_NAME] = svc.metadata.name!;
  labels[LABEL_SLICE_MANAGED_BY] = ENDPOINTSLICE_CONTROLLER;
  return labels;
}

/** getEndpointPorts: each service port whose target the pod resolves (none for a port-less headless Service). */
export function endpointPortsFor(svc: KObject, pod: KObject): SlicePort[] {
  const out: SlicePort[] = [];
  for (const sp of listOf(svc.spec?.ports)) {
    const port = findPort(pod, sp);
    if (port === null) continue;
    const p: SlicePort = { name: sp.name ?? "", port, protocol: sp.protocol || "TCP" };
    if (sp.appProtocol != null) p.appProtocol = sp.appProtocol;
    out.push(p);
  }
  return out;
}

/** podToEndpoint for one address type (its addresses may be empty: the pod has no IP of that type). */
export function podToEndpoint(pod: KObject, node: KObject | null, svc: KObject, addressType: string): SliceEndpoint {
  const ips: string[] = listOf(pod.status?.podIPs).map((p) => p?.ip).filter((ip) => typeof ip === "string" && ip);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  const ep: SliceEndpoint = {
    addresses: ips.filter((ip) => (addressType === "IPv6") === isIPv6(ip)),
    conditions: { ready: svc.spec?.publishNotReadyAddresses === true || (serving && !terminating), serving, terminating },
    targetRef: { kind: "Pod", namespace: pod.metadata.namespace!, name: pod.metadata.name!, uid: pod.metadata.uid! },
  };
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec.hostname;
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata.labels?.[LABEL_TOPOLOGY_ZONE];
  if (zone) ep.zone = zone;
  return ep;
}

/** Endpoint identity as upstream's endpoint hash: addresses, hostname and the target's name. */
function endpointKey(ep: any): string {
  return canonical({ a: [...listOf(ep?.addresses)].sort(), h: ep?.hostname ?? "", ns: ep?.targetRef?.namespace ?? "", n: ep?.targetRef?.name ?? "" });
}

/** An endpoint as compared between passes: without targetRef.resourceVersion and hints. */
function endpointState(ep: any): string {
  const { hints: _h, deprecatedTopology: _t, ...rest } = ep ?? {};
  if (rest.targetRef) {
    const { resourceVersion: _rv, ...ref } = rest.targetRef;
    rest.targetRef = ref;
  }
  return canonical(rest);
}

/** endpointsliceutil.NewPortMapKey: the same ports in any order are one key. */
function portMapKey(ports: unknown): string {
  return listOf(ports)
    .map((p) => canonical({ name: p?.name ?? "", port: p?.port ?? null, protocol: p?.protocol ?? "TCP", appProtocol: p?.appProtocol }))
    .sort()
    .join("\u0001");
}

const byAddress = (a: SliceEndpoint, b: SliceEndpoint) =>
  ipOrder(a.addresses[0] ?? "", b.addresses[0] ?? "") || (a.targetRef.name < b.targetRef.name ? -1 : a.targetRef.name > b.targetRef.name ? 1 : 0);

const ownedBy = (slice: KObject, svc: KObject) => (slice.metadata.ownerReferences ?? []).some((r) => r.uid === svc.metadata.uid);

/** newEndpointSlice: an unnamed slice for the Service (written with `generateName: <service>-`). */
function newSlice(svc: KObject, addressType: string, ports: SlicePort[]): KObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { generateName: `${svc.metadata.name}-`, namespace: svc.metadata.namespace, labels: sliceLabels(svc), ownerReferences: [newControllerRef(svc)] },
    addressType,
    endpoints: [],
    ports: clone(ports),
  };
}

export interface EndpointSlicePlan {
  /** Unnamed slices to create. */
  create: KObject[];
  /** Named slices with their new labels, owner references, ports and endpoints. */
  update: KObject[];
  delete: KObject[];
  /** A selected pod's node is missing: its endpoint was left out and the Service should be synced again. */
  nodeMissing: boolean;
  /** Epoch ms of the latest change that fed into the endpoints (0 when unknown). */
  triggerTime: number;
}

interface DesiredGroup {
  ports: SlicePort[];
  endpoints: Map<string, SliceEndpoint>;
}

/** The endpoints wanted for one address type, grouped by their resolved ports. */
function desiredGroups(svc: KObject, pods: readonly KObject[], nodeNamed: (name: string) => KObject | null, addressType: string) {
  const groups = new Map<string, DesiredGroup>();
  let nodeMissing = false;
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = endpointPortsFor(svc, pod);
    const key = portMapKey(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports, endpoints: new Map() }));
    const node = pod.spec?.nodeName ? nodeNamed(pod.spec.nodeName) : null;
    if (!node && svc.spec?.publishNotReadyAddresses !== true) {
      nodeMissing = true;
      continue;
    }
    const ep = podToEndpoint(pod, node, svc, addressType);
    if (ep.addresses.length) group.endpoints.set(endpointKey(ep), ep);
  }
  return { groups, nodeMissing };
}

/** getSliceToFill: the slice that ends up closest to full with `count` more endpoints, or null. */
function sliceToFill(slices: readonly KObject[], count: number, max: number): KObject | null {
  let best: KObject | null = null;
  let closest = max;
  for (const slice of slices) {
    const diff = max - (count + listOf(slice.endpoints).length);
    if (diff >= 0 && diff < closest) {
      closest = diff;
      best = slice;
      if (diff === 0) break;
    }
  }
  return best;
}

/** A private copy of an existing slice with these endpoints and labels. */
function rewritten(slice: KObject, endpoints: readonly unknown[], labels: Record<string, string>): KObject {
  const copy = clone(slice);
  return { ...copy, endpoints: clone([...endpoints]), metadata: { ...copy.metadata, labels: { ...labels } } };
}

/** reconcileByPortMapping: the slices of one port set against the endpoints wanted with those ports. */
function reconcilePortGroup(svc: KObject, existing: readonly KObject[], group: DesiredGroup, addressType: string, max: number) {
  const wanted = new Map(group.endpoints);
  const labels = sliceLabels(svc);
  const labelsKey = canonical(labels);
  const toUpdate: KObject[] = [];
  const unchanged: KObject[] = [];
  const toDelete: KObject[] = [];
  for (const slice of existing) {
    const current = listOf(slice.endpoints);
    const kept: SliceEndpoint[] = [];
    let changed = false;
    for (const ep of current) {
      const key = endpointKey(ep);
      const want = wanted.get(key);
      if (!want) continue;
      kept.push(want);
      if (endpointState(want) !== endpointState(ep)) changed = true;
      wanted.delete(key);
    }
    if (changed || kept.length !== current.length) {
      if (kept.length === 0) toDelete.push(slice);
      else toUpdate.push(rewritten(slice, kept, labels));
    } else if (canonical(slice.metadata.labels ?? {}) !== labelsKey) {
      toUpdate.push(rewritten(slice, current, labels));
    } else {
      unchanged.push(slice);
    }
  }

  const pending = [...wanted.values()].sort(byAddress);
  // Fill the slices being written anyway, fullest first.
  for (const slice of [...toUpdate].sort((a, b) => b.endpoints.length - a.endpoints.length)) {
    while (pending.length && slice.endpoints.length < max) slice.endpoints.push(pending.shift()!);
  }
  const toCreate: KObject[] = [];
  while (pending.length) {
    const reuse = pending.length < max ? sliceToFill(unchanged, pending.length, max) : null;
    const slice = reuse ? rewritten(reuse, listOf(reuse.endpoints), reuse.metadata.labels ?? {}) : newSlice(svc, addressType, group.ports);
    while (pending.length && slice.endpoints.length < max) slice.endpoints.push(pending.shift()!);
    if (reuse) {
      unchanged.splice(unchanged.indexOf(reuse), 1);
      toUpdate.push(slice);
    } else toCreate.push(slice);
  }
  return { toCreate, toUpdate, toDelete };
}

/** placeholderSliceCompare: an empty slice of this address type, owned by and labelled for the Service. */
function isPlaceholderFor(slice: KObject, svc: KObject, addressType: string): boolean {
  return (
    slice.addressType === addressType &&
    listOf(slice.endpoints).length === 0 &&
    listOf(slice.ports).length === 0 &&
    ownedBy(slice, svc) &&
    (slice.metadata.ownerReferences ?? []).length === 1 &&
    canonical(slice.metadata.labels ?? {}) === canonical(sliceLabels(svc))
  );
}

/**
 * What to write so that the Service's managed slices (`existing`, none pending deletion) list the
 * selected `pods`. Pure: `nodeNamed` looks nodes up.
 */
export function planEndpointSlices(
  svc: KObject,
  pods: readonly KObject[],
  nodeNamed: (name: string) => KObject | null,
  existing: readonly KObject[],
  max = MAX_ENDPOINTS_PER_SLICE,
): EndpointSlicePlan {
  const selector = serviceSelector(svc) ?? {};
  const selected = pods.filter((p) => p.metadata.namespace === svc.metadata.namespace && selects(selector, p.metadata.labels));
  const plan: EndpointSlicePlan = { create: [], update: [], delete: [], nodeMissing: false, triggerTime: createdMs(svc) };
  for (const pod of selected) if (shouldPodBeInEndpoints(pod, true)) plan.triggerTime = Math.max(plan.triggerTime, podTriggerTime(pod));

  const types = addressTypesFor(svc);
  for (const slice of existing) if (!types.includes(slice.addressType)) plan.delete.push(slice);
  for (const addressType of types) {
    const ofType = existing.filter((s) => s.addressType === addressType);
    const create: KObject[] = [];
    const update: KObject[] = [];
    const del: KObject[] = [];
    const byPorts = new Map<string, KObject[]>();
    for (const slice of ofType) {
      if (!ownedBy(slice, svc)) {
        del.push(slice);
        continue;
      }
      const key = portMapKey(slice.ports);
      byPorts.set(key, [...(byPorts.get(key) ?? []), slice]);
    }
    const { groups, nodeMissing } = desiredGroups(svc, selected, nodeNamed, addressType);
    plan.nodeMissing ||= nodeMissing;
    for (const [key, group] of groups) {
      const r = reconcilePortGroup(svc, byPorts.get(key) ?? [], group, addressType, max);
      create.push(...r.toCreate);
      update.push(...r.toUpdate);
      del.push(...r.toDelete);
    }
    for (const [key, slices] of byPorts) if (!groups.has(key)) del.push(...slices);

    // A Service with no endpoints keeps one empty placeholder slice.
    if (ofType.length === del.length && create.length === 0) {
      if (del.length === 1 && isPlaceholderFor(del[0], svc, addressType)) del.length = 0;
      else create.push(newSlice(svc, addressType, []));
    }
    // A slice about to be deleted is reused for one about to be created.
    for (let i = 0; i < del.length && create.length > 0; ) {
      if (ownedBy(del[i], svc)) {
        const reused = create.pop()!;
        reused.metadata = { ...reused.metadata, name: del[i].metadata.name };
        delete reused.metadata.generateName;
        update.push(reused);
        del.splice(i, 1);
      } else i++;
    }
    plan.create.push(...create);
    plan.update.push(...update);
    plan.delete.push(...del);
  }
  return plan;
}

// ---- the reconciler ----------------------------------------------------------------------------

export function endpointSliceReconciler(deps: EndpointSliceDeps): Reconciler {
  const services = deps.registry.resource("", "services");
  const pods = deps.registry.resource("", "pods");
  const nodes = deps.registry.resource("", "nodes");
  const slices = deps.registry.resource("discovery.k8s.io", "endpointslices");
  const now = () => (deps.now ? deps.now() : Date.now());
  const options = { user: deps.user };

  const remove = async (slice: KObject) => {
    try {
      await slices.delete(slice.metadata.namespace!, slice.metadata.name!, { ...options, preconditions: { uid: slice.metadata.uid } });
    } catch (e) {
      if (!isConflictOrNotFound(e)) throw e;
    }
  };

  return async (key) => {
    const [namespace, name] = splitKey(key);
    // Slices already being deleted are out of the picture (dropEndpointSlicesPendingDeletion).
    const existing = slices.list(namespace, { selection: selectEverything }).items.filter((s) => isManagedSliceOf(s, name) && !s.metadata.deletionTimestamp);
    const svc = getOrNull(services, namespace, name);
    if (!svc) {
      for (const slice of existing) await remove(slice);
      return;
    }
    if (!serviceSelector(svc) || svc.spec?.type === "ExternalName") return;

    const plan = planEndpointSlices(svc, pods.list(namespace, { selection: selectEverything }).items, (n) => getOrNull(nodes, "", n), existing);
    const trigger = formatTime(plan.triggerTime || now());
    const annotate = (annotations: Record<string, string> | undefined) => ({ ...(annotations ?? {}), [LAST_CHANGE_TRIGGER_TIME]: trigger });

    // No new slices for a Service on its way out: the garbage collector is deleting them.
    if (!svc.metadata.deletionTimestamp) {
      for (const slice of plan.create) {
        await slices.create(namespace, { ...slice, metadata: { ...slice.metadata, annotations: annotate(slice.metadata.annotations) } }, options);
      }
    }
    for (const want of plan.update) {
      try {
        await slices.patch(
          namespace,
          want.metadata.name!,
          (current) => {
            current.metadata.labels = { ...want.metadata.labels };
            current.metadata.ownerReferences = clone(want.metadata.ownerReferences);
            current.metadata.annotations = annotate(current.metadata.annotations);
            current.ports = clone(want.ports);
            current.endpoints = clone(want.endpoints);
            return current;
          },
          options,
        );
      } catch (e) {
        if (!isNotFound(e)) throw e;
        // Deleted meanwhile: its delete event enqueues this Service again.
      }
    }
    for (const slice of plan.delete) await remove(slice);
    return plan.nodeMissing ? { requeueAfterMs: NODE_NOT_FOUND_RETRY_MS } : undefined;
  };
}
