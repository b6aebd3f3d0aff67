/**
 * core/v1 Node: cluster-scoped, status written by the (simulated) kubelet, upstream's
 * ValidateNode / ValidateNodeUpdate and the `kubectl get nodes` columns.
 */
import { errors, field, type FieldError } from "../../apiserver/status";
import { isQualifiedName, isValidLabelValue, validateLabelName } from "../../apiserver/names";
import { canonicalQuantity, formatQuantity, milliValue, QuantityError, quantityFromJSON, sign } from "./quantity";
import type { KindStrategy, KObject } from "../types";
import { ageCell, isCIDRSloppy, parseIPSloppy, validateCIDR } from "./service";

/* eslint-disable @typescript-eslint/no-explicit-any */

const taintEffects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/** validateNodeTaints. Upstream roots the path at `metadata` (`metadata.taints[0].effect`), kept as is. */
export function validateTaints(taints: any[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Map<string, Set<string>>();
  taints.forEach((taint, i) => {
    const idx = `${path}[${i}]`;
    const key = String(taint?.key ?? "");
    const value = String(taint?.value ?? "");
    const effect = String(taint?.effect ?? "");
    errs.push(...validateLabelName(key, `${idx}.key`));
    const valueErrs = isValidLabelValue(value);
    if (valueErrs.length) errs.push(field.invalid(`${idx}.value`, value, valueErrs.join(";")));
    if (!effect) errs.push(field.required(`${idx}.effect`));
    else if (!taintEffects.includes(effect)) errs.push(field.notSupported(`${idx}.effect`, effect, taintEffects));
    const keys = seen.get(effect) ?? new Set<string>();
    if (keys.has(key)) {
      errs.push({ ...field.duplicate(idx, taint), detail: "taints must be unique by key and effect pair" });
      return;
    }
    keys.add(key);
    seen.set(effect, keys);
  });
  return errs;
}

function podCIDRsOf(node: KObject): string[] {
  return Array.isArray(node.spec?.podCIDRs) ? node.spec.podCIDRs : [];
}

/** The v1 conversion keeps spec.podCIDR equal to spec.podCIDRs[0]. */
function syncPodCIDR(node: KObject): void {
  const spec = node.spec;
  if (!spec) return;
  if (podCIDRsOf(node).length === 0 && spec.podCIDR) spec.podCIDRs = [spec.podCIDR];
  if (podCIDRsOf(node).length > 0) spec.podCIDR = spec.podCIDRs[0];
}

/**
 * Decoding of status.capacity / status.allocatable (quantities re-emitted in canonical form; a
 * malformed one fails decoding with 400, as the JSON decoder does upstream) and
 * SetDefaults_NodeStatus (allocatable defaults to capacity).
 */
export function decodeNode(node: KObject): void {
  const status = node.status;
  if (!status || typeof status !== "object") return;
  for (const list of ["capacity", "allocatable"]) {
    const resources = status[list];
    if (!resources || typeof resources !== "object") continue;
    for (const [name, raw] of Object.entries(resources)) {
      try {
        resources[name] = formatQuantity(quantityFromJSON(raw));
      } catch (e) {
        if (e instanceof QuantityError) throw errors.badRequest(`Node in version "v1" cannot be handled as a Node: ${e.message}`);
        throw e;
      }
    }
  }
  if (status.allocatable == null && status.capacity != null) status.allocatable = structuredClone(status.capacity);
}

const integerResources = new Set([
  "pods",
  "resourcequotas",
  "services",
  "replicationcontrollers",
  "secrets",
  "configmaps",
  "persistentvolumeclaims",
  "services.nodeports",
  "services.loadbalancers",
]);

/** helper.IsIntegerResourceName: the counted resources and extended (vendor-domain) resources. */
function isIntegerResource(name: string): boolean {
  if (integerResources.has(name)) return true;
  const native = !name.includes("/") || name.includes("kubernetes.io/");
  return !native && !name.startsWith("requests.") && isQualifiedName(`requests.${name}`).length === 0;
}

/** ValidateNodeResources: quantities are non-negative, and whole numbers for integer resources. */
function validateNodeResources(node: KObject): FieldError[] {
  const errs: FieldError[] = [];
  for (const list of ["capacity", "allocatable"]) {
    for (const [name, raw] of Object.entries(node.status?.[list] ?? {})) {
      let q;
      try {
        q = quantityFromJSON(raw);
      } catch {
        continue; // rejected while decoding
      }
      const path = `status.${list}.${name}`;
      if (sign(q) < 0) errs.push(field.invalid(path, canonicalQuantity(q), "must be greater than or equal to 0"));
      if (isIntegerResource(name) && milliValue(q) % 1000n !== 0n) errs.push(field.invalid(path, canonicalQuantity(q), "must be an integer"));
    }
  }
  return errs;
}

export function validateNode(node: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const taints = node.spec?.taints;
  if (Array.isArray(taints) && taints.length > 0) errs.push(...validateTaints(taints, "metadata.taints"));
  errs.push(...validateNodeResources(node));
  const cidrs = podCIDRsOf(node);
  cidrs.forEach((c, i) => errs.push(...validateCIDR(`spec.podCIDRs[${i}]`, c)));
  if (cidrs.length > 1 && cidrs.every((c) => isCIDRSloppy(c))) {
    const families = cidrs.map((c) => (parseIPSloppy(c.slice(0, c.indexOf("/")))?.v4 ? 4 : 6));
    if (cidrs.length > 2 || families[0] === families[1]) {
      errs.push(field.invalid("spec.podCIDRs", cidrs, "may specify no more than one CIDR for each IP family"));
    }
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(field.duplicate(`spec.podCIDRs[${i}]`, c));
      seen.add(c);
    });
  }
  return errs;
}

export function validateNodeUpdate(node: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (node.status?.addresses ?? []).forEach((a: any, i: number) => {
    const key = JSON.stringify([a?.type ?? "", a?.address ?? ""]);
    if (seen.has(key)) errs.push(field.duplicate(`status.addresses[${i}]`, { type: a?.type ?? "", address: a?.address ?? "" }));
    seen.add(key);
  });
  const oldCIDRs = podCIDRsOf(old);
  if (oldCIDRs.length > 0) {
    const cidrs = podCIDRsOf(node);
    const message = 'node updates may not change podCIDR except from "" to valid';
    if (oldCIDRs.length !== cidrs.length) errs.push(field.forbidden("spec.podCIDRs", message));
    else oldCIDRs.forEach((c, i) => {
      if (c !== cidrs[i]) errs.push(field.forbidden("spec.podCIDRs", message));
    });
  }
  const oldProvider = old.spec?.providerID ?? "";
  if (oldProvider && oldProvider !== (node.spec?.providerID ?? "")) {
    errs.push(field.forbidden("spec.providerID", 'node updates may not change providerID except from "" to valid'));
  }
  if ((node.spec?.externalID ?? "") !== (old.spec?.externalID ?? "")) errs.push(field.forbidden("spec.externalID", "may not be updated"));
  return errs;
}

/** printNode's STATUS: Ready / NotReady / Unknown, plus SchedulingDisabled when cordoned. */
export function nodeStatusCell(node: KObject): string {
  const status: string[] = [];
  const ready = (node.status?.conditions ?? []).filter((c: any) => c?.type === "Ready").pop();
  if (ready) status.push(ready.status === "True" ? "Ready" : "NotReady");
  else status.push("Unknown");
  if (node.spec?.unschedulable) status.push("SchedulingDisabled");
  return status.join(",");
}

/** findNodeRoles: `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role=<role>`, sorted. */
export function nodeRolesCell(node: KObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith("node-role.kubernetes.io/")) {
      const role = k.slice("node-role.kubernetes.io/".length);
      if (role) roles.add(role);
    } else if (k === "kubernetes.io/role" && v !== "") roles.add(v);
  }
  return roles.size ? [...roles].sort().join(",") : "<none>";
}

function address(node: KObject, type: string): string {
  const found = (node.status?.addresses ?? []).find((a: any) => a?.type === type);
  return found?.address ?? "<none>";
}

const orUnknown = (s: unknown) => (typeof s === "string" && s !== "" ? s : "<unknown>");

export const nodeStrategy: KindStrategy = {
  group: "",
  version: "v1",
  kind: "Node",
  resource: "nodes",
  singular: "node",
  namespaced: false,
  shortNames: ["no"],
  subresources: { status: true },
  keepsStatusOnCreate: true,

  prepareForCreate(node) {
    syncPodCIDR(node);
    decodeNode(node);
  },

  prepareForUpdate(node) {
    syncPodCIDR(node);
    decodeNode(node);
  },

  validate: validateNode,
  validateUpdate: validateNodeUpdate,

  selectableFields: (node) => ({ "spec.unschedulable": String(node.spec?.unschedulable === true) }),

  table: {
    columns: [
      { name: "Status", type: "string", description: "The status of the node", priority: 0 },
      { name: "Roles", type: "string", description: "The roles of the node", priority: 0 },
      { name: "Age", type: "string", description: "Time since the object was created.", priority: 0 },
      { name: "Version", type: "string", description: "Kubelet version reported by the node.", priority: 0 },
      { name: "Internal-IP", type: "string", description: "The node's first InternalIP address.", priority: 1 },
      { name: "External-IP", type: "string", description: "The node's first ExternalIP address.", priority: 1 },
      { name: "OS-Image", type: "string", description: "OS image reported by the node.", priority: 1 },
      { name: "Kernel-Version", type: "string", description: "Kernel version reported by the node.", priority: 1 },
      { name: "Container-Runtime", type: "string", description: "Container runtime version reported by the node.", priority: 1 },
    ],
    cells: (node, now) => {
      const info = node.status?.nodeInfo ?? {};
      return [
        nodeStatusCell(node),
        nodeRolesCell(node),
        ageCell(node.metadata.creationTimestamp, now),
        info.kubeletVersion ?? "",
        address(node, "InternalIP"),
        address(node, "ExternalIP"),
        orUnknown(info.osImage),
        orUnknown(info.kernelVersion),
        orUnknown(info.containerRuntimeVersion),
      ];
    },
  },
};
