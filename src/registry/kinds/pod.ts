/**
 * core/v1 Pod: defaulting and status on create (pkg/registry/core/pod/strategy.go), create and
 * update validation (pkg/apis/core/validation), selectable fields, the `kubectl get pods` table
 * (pkg/printers/internalversion printPod) and the pods/binding subresource.
 */
import { errors, field, type FieldError, type StatusError } from "../../apiserver/status";
import { age, humanDuration } from "../../apiserver/duration";
import { formatTime } from "../clock";
import type { KindStrategy, KObject, StrategyContext, TableColumn } from "../types";
import {
  arr,
  canonicalizePodSpecQuantities,
  deepEqual,
  defaultPodSpec,
  inclusiveRangeError,
  isRecord,
  podSpecDiff,
  quantityDecodeFailure,
  validateContainersOnlyForPod,
  validatePodSpec,
  validatePodSpecificAnnotations,
  validateIP,
  validateTolerations,
  type Obj,
} from "./pod-template";
import { isQualifiedName, nameIsDNSSubdomain } from "../../apiserver/names";
import { addQuantities, compareQuantities, quantityFromJSON, type Quantity } from "./quantity";
import { DEFAULT_PREEMPTION_POLICY, DEFAULT_PRIORITY, defaultPriorityClass, priorityClasses } from "./priorityclass";

const str = (v: unknown): string => (typeof v === "string" ? v : "");

// ---------------------------------------------------------------------------------------------
// QoS class (pkg/apis/core/helper/qos)
// ---------------------------------------------------------------------------------------------

export type QOSClass = "Guaranteed" | "Burstable" | "BestEffort";

function positiveQuantity(raw: unknown): Quantity | null {
  try {
    const q = quantityFromJSON(raw);
    return q.mantissa > 0n ? q : null;
  } catch {
    return null;
  }
}

/** ComputePodQOS: from pod-level resources when set, else summed over containers and init containers. */
export function computePodQOS(spec: unknown): QOSClass {
  const s: Obj = isRecord(spec) ? spec : {};
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const add = (into: Map<string, Quantity>, name: string, q: Quantity) => {
    const prev = into.get(name);
    into.set(name, prev ? addQuantities(prev, q) : q);
  };
  const collect = (resources: unknown, sum: boolean) => {
    const r: Obj = isRecord(resources) ? resources : {};
    const found = new Set<string>();
    for (const [kind, into] of [
      ["requests", requests],
      ["limits", limits],
    ] as const) {
      const list: Obj = isRecord(r[kind]) ? r[kind] : {};
      for (const [name, raw] of Object.entries(list)) {
        if (name !== "cpu" && name !== "memory") continue;
        const q = positiveQuantity(raw);
        if (!q) continue;
        if (kind === "limits") found.add(name);
        if (sum) add(into, name, q);
        else into.set(name, q);
      }
    }
    if (!(found.has("cpu") && found.has("memory"))) guaranteed = false;
  };
  const podLevel = isRecord(s.resources) && (isRecord(s.resources.requests) || isRecord(s.resources.limits));
  if (podLevel) collect(s.resources, false);
  else for (const c of [...arr(s.containers), ...arr(s.initContainers)]) collect(isRecord(c) ? c.resources : undefined, true);

  if (requests.size === 0 && limits.size === 0) return "BestEffort";
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || compareQuantities(lim, req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? "Guaranteed" : "Burstable";
}

// ---------------------------------------------------------------------------------------------
// Create and update
// ---------------------------------------------------------------------------------------------

/** Decoding and v1 defaulting of a pod body (also applied to every update body, as the decoder does). */
function decodeAndDefault(obj: KObject): void {
  if (!isRecord(obj.spec)) obj.spec = {};
  canonicalizePodSpecQuantities(obj.spec, quantityDecodeFailure(obj));
  defaultPodSpec(obj.spec, { pod: true });
}

/**
 * kube-apiserver's DefaultTolerationSeconds admission: a pod that does not tolerate the
 * `not-ready` / `unreachable` NoExecute taints tolerates them for 300 s.
 */
function addDefaultTolerations(spec: Obj): void {
  const tolerations = arr(spec.tolerations).filter(isRecord);
  const tolerates = (key: string) => tolerations.some((t) => (t.key === key || !t.key) && (t.effect === "NoExecute" || !t.effect));
  for (const key of ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]) {
    if (!tolerates(key)) tolerations.push({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
}

/**
 * The Priority admission plugin on pod create: `spec.priority` and `spec.preemptionPolicy` come
 * from the named PriorityClass (403 when it does not exist) or, without a name, from the global
 * default class (whose name is filled in), else priority 0 and PreemptLowerPriority. A pod that
 * sets either field itself to anything else is forbidden, with upstream's messages.
 */
function admitPriority(pod: KObject, ctx: StrategyContext): void {
  const spec = pod.spec;
  const meta = pod.metadata;
  // Admission runs before name generation upstream: a generated name is reported as its prefix.
  const name = meta.generateName && meta.name?.startsWith(meta.generateName) ? meta.generateName : (meta.name ?? "");
  const forbid = (message: string) => errors.forbidden({ group: "", resource: "pods" }, name, message);
  const classes = priorityClasses(ctx);
  let priority = DEFAULT_PRIORITY;
  let preemptionPolicy: string = DEFAULT_PREEMPTION_POLICY;
  const className = str(spec.priorityClassName);
  if (className) {
    const pc = classes.find((c) => c.metadata.name === className);
    if (!pc) throw forbid(`no PriorityClass with name ${className} was found`);
    priority = pc.value;
    preemptionPolicy = pc.preemptionPolicy ?? DEFAULT_PREEMPTION_POLICY;
  } else {
    const pc = defaultPriorityClass(classes);
    if (pc) {
      spec.priorityClassName = pc.metadata.name;
      priority = pc.value;
      preemptionPolicy = pc.preemptionPolicy ?? DEFAULT_PREEMPTION_POLICY;
    }
  }
  if (spec.priority != null && spec.priority !== priority) {
    throw forbid(`the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
  }
  if (spec.preemptionPolicy != null && spec.preemptionPolicy !== preemptionPolicy) {
    throw forbid(
      `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${preemptionPolicy} from the given PriorityClass name`,
    );
  }
  spec.priority = priority;
  spec.preemptionPolicy = preemptionPolicy;
}

function prepareForCreate(obj: KObject, ctx: StrategyContext): FieldError[] {
  decodeAndDefault(obj);
  admitPriority(obj, ctx);
  addDefaultTolerations(obj.spec);
  const status: Obj = { phase: "Pending", qosClass: computePodQOS(obj.spec) };
  if (arr(obj.spec.schedulingGates).length > 0) {
    status.conditions = [
      {
        type: "PodScheduled",
        status: "False",
        lastProbeTime: null,
        lastTransitionTime: null,
        reason: "SchedulingGated",
        message: "Scheduling is blocked due to non-empty scheduling gates",
      },
    ];
  }
  obj.status = status;
  return [];
}

function prepareForUpdate(obj: KObject, old: KObject): void {
  decodeAndDefault(obj);
  // Generation follows spec changes after defaulting (a body that omits defaulted fields is no change).
  const oldGen = typeof old.metadata.generation === "number" ? old.metadata.generation : 1;
  obj.metadata.generation = deepEqual(obj.spec, old.spec) ? oldGen : oldGen + 1;
}

/** An object that has not been stored yet (the store clears resourceVersion on create). */
const isCreate = (obj: KObject) => !obj.metadata.resourceVersion;

function validate(obj: KObject): FieldError[] {
  const spec: Obj = isRecord(obj.spec) ? obj.spec : {};
  const errs: FieldError[] = [];
  errs.push(...validatePodSpecificAnnotations(obj.metadata.annotations, spec, "metadata.annotations"));
  errs.push(...validatePodSpec(spec, "spec", { resourceIsPod: true, podName: obj.metadata.name }));
  if (!str(spec.serviceAccountName)) {
    arr(spec.volumes).forEach((v, vi) => {
      if (!isRecord(v) || !isRecord(v.projected)) return;
      arr(v.projected.sources).forEach((s, si) => {
        if (isRecord(s) && isRecord(s.serviceAccountToken)) {
          errs.push(field.forbidden(`spec.volumes[${vi}].projected.sources[${si}].serviceAccountToken`, "must not be specified when serviceAccountName is not set"));
        }
      });
    });
  }
  errs.push(...validateContainersOnlyForPod(spec.containers, "spec.containers"));
  errs.push(...validateContainersOnlyForPod(spec.initContainers, "spec.initContainers"));
  if (isCreate(obj)) {
    if (arr(spec.ephemeralContainers).length > 0) errs.push(field.forbidden("spec.ephemeralContainers", "cannot be set on create"));
    if (str(spec.nodeName) && arr(spec.schedulingGates).length > 0) {
      errs.push(field.forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared"));
    }
  }
  return errs;
}

/** The fields a pod update may change, as upstream lists them in its error. */
export const UPDATABLE_POD_SPEC_FIELDS = [
  "`spec.containers[*].image`",
  "`spec.initContainers[*].image`",
  "`spec.activeDeadlineSeconds`",
  "`spec.tolerations` (only additions to existing tolerations)",
  "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
];

const MIRROR_ANNOTATION = "kubernetes.io/config.mirror";
const APPARMOR_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

function validateAnnotationUpdates(obj: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const next: Obj = isRecord(obj.metadata.annotations) ? obj.metadata.annotations : {};
  const prev: Obj = isRecord(old.metadata.annotations) ? old.metadata.annotations : {};
  for (const [k, v] of Object.entries(prev)) {
    if (k in next && next[k] === v) continue;
    if (k.startsWith(APPARMOR_PREFIX)) errs.push(field.forbidden(`metadata.annotations[${k}]`, "may not remove or update AppArmor annotations"));
    if (k === MIRROR_ANNOTATION) errs.push(field.forbidden(`metadata.annotations[${k}]`, "may not remove or update mirror pod annotation"));
  }
  for (const k of Object.keys(next)) {
    if (k in prev) continue;
    if (k.startsWith(APPARMOR_PREFIX)) errs.push(field.forbidden(`metadata.annotations[${k}]`, "may not add AppArmor annotations"));
    if (k === MIRROR_ANNOTATION) errs.push(field.forbidden(`metadata.annotations[${k}]`, "may not add mirror pod annotation"));
  }
  return errs;
}

function validateContainerUpdates(next: unknown, prev: unknown, path: string): { errs: FieldError[]; stop: boolean } {
  const a = arr(next);
  const b = arr(prev);
  if (a.length !== b.length) return { errs: [field.forbidden(path, "pod updates may not add or remove containers")], stop: true };
  const errs: FieldError[] = [];
  a.forEach((c, i) => {
    const image = isRecord(c) ? str(c.image) : "";
    if (!image) errs.push(field.required(`${path}[${i}].image`, ""));
    if (image.trim().length !== image.length) errs.push(field.invalid(`${path}[${i}].image`, image, "must not have leading or trailing whitespace"));
  });
  return { errs, stop: false };
}

/** validateOnlyAddedTolerations: existing tolerations may only change their tolerationSeconds. */
function validateOnlyAddedTolerations(next: unknown, prev: unknown, path: string): FieldError[] {
  const newList = arr(next);
  for (const old of arr(prev)) {
    const found = newList.some((t) => {
      if (!isRecord(t) || !isRecord(old)) return deepEqual(t, old);
      const a = { ...old, tolerationSeconds: undefined };
      const b = { ...t, tolerationSeconds: undefined };
      return deepEqual(a, b);
    });
    if (!found) return [field.forbidden(path, "existing toleration can not be modified except its tolerationSeconds")];
  }
  return validateTolerations(next, path);
}

function validateOnlyDeletedSchedulingGates(next: unknown, prev: unknown, path: string): FieldError[] {
  const newGates = arr(next);
  if (newGates.length === 0) return [];
  const oldNames = new Set(arr(prev).map((g) => (isRecord(g) ? str(g.name) : "")));
  const added = new Map<string, number>();
  newGates.forEach((g, i) => added.set(isRecord(g) ? str(g.name) : "", i));
  const errs: FieldError[] = [];
  for (const [name, i] of added) {
    if (!oldNames.has(name)) errs.push(field.forbidden(`${path}[${i}].name`, `only deletion is allowed, but found new scheduling gate '${name}'`));
  }
  return errs;
}

function validateUpdate(obj: KObject, old: KObject): FieldError[] {
  const spec: Obj = isRecord(obj.spec) ? obj.spec : {};
  const oldSpec: Obj = isRecord(old.spec) ? old.spec : {};
  const errs = validateAnnotationUpdates(obj, old);

  for (const list of ["containers", "initContainers"]) {
    const { errs: e, stop } = validateContainerUpdates(spec[list], oldSpec[list], `spec.${list}`);
    errs.push(...e);
    if (stop) return errs;
  }

  const ads = spec.activeDeadlineSeconds;
  if (typeof ads === "number") {
    if (ads < 0 || ads > 2147483647) return [...errs, field.invalid("spec.activeDeadlineSeconds", ads, inclusiveRangeError(0, 2147483647))];
    if (typeof oldSpec.activeDeadlineSeconds === "number" && oldSpec.activeDeadlineSeconds < ads) {
      return [...errs, field.invalid("spec.activeDeadlineSeconds", ads, "must be less than or equal to previous value")];
    }
  } else if (typeof oldSpec.activeDeadlineSeconds === "number") {
    errs.push(field.invalid("spec.activeDeadlineSeconds", null, "must not update from a positive integer to nil value"));
  }

  errs.push(...validateOnlyAddedTolerations(spec.tolerations, oldSpec.tolerations, "spec.tolerations"));
  errs.push(...validateOnlyDeletedSchedulingGates(spec.schedulingGates, oldSpec.schedulingGates, "spec.schedulingGates"));

  if (deepEqual(spec, oldSpec)) return errs;

  // What may change is copied over from the old spec; anything left over is a forbidden change.
  const munged: Obj = structuredClone(spec);
  for (const list of ["containers", "initContainers"]) {
    arr(munged[list]).forEach((c, i) => {
      const prev = arr(oldSpec[list])[i];
      if (isRecord(c) && isRecord(prev)) {
        if (prev.image === undefined) delete c.image;
        else c.image = prev.image;
      }
    });
  }
  for (const k of ["activeDeadlineSeconds", "schedulingGates", "tolerations"]) {
    if (oldSpec[k] === undefined) delete munged[k];
    else munged[k] = structuredClone(oldSpec[k]);
  }
  if (typeof oldSpec.terminationGracePeriodSeconds === "number" && oldSpec.terminationGracePeriodSeconds < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  if (arr(oldSpec.schedulingGates).length > 0) {
    // Gated pods may gain nodeSelector entries and change node affinity.
    const oldSel: Obj = isRecord(oldSpec.nodeSelector) ? oldSpec.nodeSelector : {};
    const newSel: Obj = isRecord(munged.nodeSelector) ? munged.nodeSelector : {};
    if (!deepEqual(oldSpec.nodeSelector ?? null, munged.nodeSelector ?? null)) {
      for (const [k, v] of Object.entries(oldSel)) {
        if (newSel[k] !== v) {
          errs.push(field.invalid(`spec.nodeSelector[${k}]`, newSel[k] ?? "", "only additions to spec.nodeSelector are allowed (no mutations or deletions)"));
        }
      }
      if (oldSpec.nodeSelector === undefined) delete munged.nodeSelector;
      else munged.nodeSelector = structuredClone(oldSpec.nodeSelector);
    }
    const oldAffinity: Obj = isRecord(oldSpec.affinity) ? oldSpec.affinity : {};
    if (isRecord(munged.affinity) || isRecord(oldSpec.affinity)) {
      const a: Obj = isRecord(munged.affinity) ? munged.affinity : {};
      if (oldAffinity.nodeAffinity === undefined) delete a.nodeAffinity;
      else a.nodeAffinity = structuredClone(oldAffinity.nodeAffinity);
      munged.affinity = Object.keys(a).length || oldSpec.affinity !== undefined ? a : undefined;
      if (munged.affinity === undefined) delete munged.affinity;
    }
  }
  if (!deepEqual(munged, oldSpec)) {
    errs.push(field.forbidden("spec", `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(",")}\n${podSpecDiff(oldSpec, munged)}`));
  }
  return errs;
}

/** ToSelectableFields (pkg/registry/core/pod/strategy.go). */
function selectableFields(obj: KObject): Record<string, string> {
  const spec: Obj = isRecord(obj.spec) ? obj.spec : {};
  const status: Obj = isRecord(obj.status) ? obj.status : {};
  const podIPs = arr(status.podIPs);
  return {
    "spec.nodeName": str(spec.nodeName),
    "spec.restartPolicy": str(spec.restartPolicy),
    "spec.schedulerName": str(spec.schedulerName),
    "spec.serviceAccountName": str(spec.serviceAccountName),
    "spec.hostNetwork": spec.hostNetwork === true ? "true" : "false",
    "status.phase": str(status.phase),
    "status.podIP": podIPs.length > 0 && isRecord(podIPs[0]) ? str(podIPs[0].ip) : "",
    "status.nominatedNodeName": str(status.nominatedNodeName),
  };
}

// ---------------------------------------------------------------------------------------------
// Deletion and status writes (helpers for the store; pure)
// ---------------------------------------------------------------------------------------------

/**
 * CheckGracefulDelete: the grace period a DELETE of `pod` gets. Unbound and finished pods go at
 * once; otherwise the request's value or spec.terminationGracePeriodSeconds; negative means 1.
 */
export function podDeletionGracePeriod(pod: KObject, requested?: number): number {
  const spec: Obj = isRecord(pod.spec) ? pod.spec : {};
  const phase = isRecord(pod.status) ? pod.status.phase : undefined;
  let period = requested ?? (typeof spec.terminationGracePeriodSeconds === "number" ? spec.terminationGracePeriodSeconds : 0);
  if (!str(spec.nodeName)) period = 0;
  if (phase === "Failed" || phase === "Succeeded") period = 0;
  return period < 0 ? 1 : period;
}

/** podStatusStrategy.PrepareForUpdate's extra: the QoS class is backfilled when a writer drops it. */
export function preparePodStatusUpdate(next: KObject, old: KObject): void {
  if (!isRecord(next.status)) next.status = {};
  if (!next.status.qosClass && isRecord(old.status) && old.status.qosClass) next.status.qosClass = old.status.qosClass;
}

/** The checks of ValidatePodStatusUpdate that concern a status write (QoS, nominated node, IPs, terminal containers). */
export function validatePodStatusUpdate(next: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const status: Obj = isRecord(next.status) ? next.status : {};
  const oldStatus: Obj = isRecord(old.status) ? old.status : {};
  arr(status.conditions).forEach((c, i) => {
    const type = isRecord(c) ? str(c.type) : "";
    if (["PodScheduled", "Ready", "Initialized"].includes(type)) return;
    for (const msg of isQualifiedName(type)) errs.push(field.invalid(`metadata.conditions[${i}].Type`, type, msg));
  });
  const nominated = str(status.nominatedNodeName);
  if (nominated && nominated !== oldStatus.nominatedNodeName) {
    for (const msg of nameIsDNSSubdomain(nominated, false)) errs.push(field.invalid("status.nominatedNodeName", nominated, msg));
  }
  if ((status.qosClass ?? "") !== (oldStatus.qosClass ?? "")) errs.push(field.invalid("status.qosClass", status.qosClass ?? "", "field is immutable"));
  const restartPolicy = isRecord(old.spec) ? str(old.spec.restartPolicy) : "";
  if (restartPolicy !== "Always") {
    arr(oldStatus.containerStatuses).forEach((cs, i) => {
      if (!isRecord(cs) || !isRecord(cs.state) || !isRecord(cs.state.terminated)) return;
      if ((cs.state.terminated.exitCode ?? 0) !== 0 && restartPolicy === "OnFailure") return;
      for (const n of arr(status.containerStatuses)) {
        if (isRecord(n) && n.name === cs.name && !(isRecord(n.state) && isRecord(n.state.terminated))) {
          errs.push(field.forbidden(`status.containerStatuses[${i}].state`, "may not be transitioned to non-terminated state"));
        }
      }
    });
  }
  arr(status.podIPs).forEach((ip, i) => errs.push(...validateIP(`status.podIPs[${i}]`, isRecord(ip) ? str(ip.ip) : "")));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Table (printPod)
// ---------------------------------------------------------------------------------------------

const columns: TableColumn[] = [
  { name: "Ready", type: "string", priority: 0, description: "How many of the pod's containers are ready." },
  { name: "Status", type: "string", priority: 0, description: "A summary of the pod's phase and container states." },
  { name: "Restarts", type: "string", priority: 0, description: "Container restarts, and how long ago the last one was." },
  { name: "Age", type: "string", priority: 0, description: "Time since the pod was created." },
  { name: "IP", type: "string", priority: 1, description: "The pod's primary IP address." },
  { name: "Node", type: "string", priority: 1, description: "The node the pod is bound to." },
  { name: "Nominated Node", type: "string", priority: 1, description: "The node the scheduler nominated while preempting." },
  { name: "Readiness Gates", type: "string", priority: 1, description: "How many of the pod's readiness gates are satisfied." },
];

const isRestartable = (c: unknown) => isRecord(c) && c.restartPolicy === "Always";
const conditionTrue = (status: Obj, type: string) => arr(status.conditions).some((c) => isRecord(c) && c.type === type && c.status === "True");

/** The cells printPod computes: READY, STATUS, RESTARTS, AGE, then IP, NODE, NOMINATED NODE, READINESS GATES. */
export function podCells(pod: KObject, now: Date): string[] {
  const spec: Obj = isRecord(pod.spec) ? pod.spec : {};
  const status: Obj = isRecord(pod.status) ? pod.status : {};
  const initContainers = arr(spec.initContainers);
  const initByName = new Map<string, unknown>(initContainers.map((c) => [isRecord(c) ? str(c.name) : "", c]));

  let restarts = 0;
  let restartableRestarts = 0;
  const totalContainers = arr(spec.containers).length + initContainers.filter(isRestartable).length;
  let readyContainers = 0;
  let lastRestart = 0;
  let lastRestartableRestart = 0;
  const finishedAt = (cs: Obj): number => {
    const t = isRecord(cs.lastState) && isRecord(cs.lastState.terminated) ? Date.parse(str(cs.lastState.terminated.finishedAt)) : NaN;
    return Number.isNaN(t) ? 0 : t;
  };

  const phase = str(status.phase);
  let reason = str(status.reason) || phase;
  if (arr(status.conditions).some((c) => isRecord(c) && c.type === "PodScheduled" && c.reason === "SchedulingGated")) reason = "SchedulingGated";

  let initializing = false;
  const initStatuses = arr(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs: Obj = isRecord(initStatuses[i]) ? initStatuses[i] : {};
    const count = typeof cs.restartCount === "number" ? cs.restartCount : 0;
    restarts += count;
    lastRestart = Math.max(lastRestart, finishedAt(cs));
    const restartable = isRestartable(initByName.get(str(cs.name)));
    if (restartable) {
      restartableRestarts += count;
      lastRestartableRestart = Math.max(lastRestartableRestart, finishedAt(cs));
    }
    const state: Obj = isRecord(cs.state) ? cs.state : {};
    const terminated = isRecord(state.terminated) ? state.terminated : null;
    const waiting = isRecord(state.waiting) ? state.waiting : null;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (restartable && cs.started === true) {
      if (cs.ready === true) readyContainers++;
      continue;
    }
    if (terminated) {
      if (!str(terminated.reason)) {
        reason = terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode ?? 0}`;
      } else {
        reason = `Init:${str(terminated.reason)}`;
      }
    } else if (waiting && str(waiting.reason) && waiting.reason !== "PodInitializing") {
      reason = `Init:${str(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${initContainers.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status, "Initialized")) {
    restarts = restartableRestarts;
    lastRestart = lastRestartableRestart;
    let hasRunning = false;
    const statuses = arr(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs: Obj = isRecord(statuses[i]) ? statuses[i] : {};
      restarts += typeof cs.restartCount === "number" ? cs.restartCount : 0;
      lastRestart = Math.max(lastRestart, finishedAt(cs));
      const state: Obj = isRecord(cs.state) ? cs.state : {};
      const terminated = isRecord(state.terminated) ? state.terminated : null;
      const waiting = isRecord(state.waiting) ? state.waiting : null;
      if (waiting && str(waiting.reason)) reason = str(waiting.reason);
      else if (terminated && str(terminated.reason)) reason = str(terminated.reason);
      else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
      else if (cs.ready === true && isRecord(state.running)) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === "Completed" && hasRunning) reason = conditionTrue(status, "Ready") ? "Running" : "NotReady";
  }

  if (pod.metadata.deletionTimestamp && status.reason === "NodeLost") reason = "Unknown";
  else if (pod.metadata.deletionTimestamp && phase !== "Failed" && phase !== "Succeeded") reason = "Terminating";

  let restartsCell = String(restarts);
  if (restarts !== 0 && lastRestart !== 0) restartsCell = `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)`;

  const podIPs = arr(status.podIPs);
  const podIP = (podIPs.length > 0 && isRecord(podIPs[0]) ? str(podIPs[0].ip) : "") || "<none>";
  const gates = arr(spec.readinessGates);
  let readinessGates = "<none>";
  if (gates.length > 0) {
    let satisfied = 0;
    for (const g of gates) {
      const cond = arr(status.conditions).find((c) => isRecord(c) && isRecord(g) && c.type === g.conditionType);
      if (isRecord(cond) && cond.status === "True") satisfied++;
    }
    readinessGates = `${satisfied}/${gates.length}`;
  }
  return [
    `${readyContainers}/${totalContainers}`,
    reason,
    restartsCell,
    age(pod.metadata.creationTimestamp, now),
    podIP,
    str(spec.nodeName) || "<none>",
    str(status.nominatedNodeName) || "<none>",
    readinessGates,
  ];
}

// ---------------------------------------------------------------------------------------------
// pods/binding
// ---------------------------------------------------------------------------------------------

const bindingResource = { group: "", resource: "pods/binding" };
const podsResource = { group: "", resource: "pods" };

/** ValidatePodBinding: a Binding names a node. */
export function validateBinding(binding: KObject): FieldError[] {
  const target: Obj = isRecord(binding.target) ? binding.target : {};
  const errs: FieldError[] = [];
  if (str(target.kind) && target.kind !== "Node") errs.push(field.notSupported("target.kind", target.kind, ["Node", "<empty>"]));
  if (!str(target.name)) errs.push(field.required("target.name", ""));
  return errs;
}

/**
 * Binds `pod` (a private copy) to the binding's node, as the binding subresource does: sets
 * spec.nodeName, copies the binding's annotations and records PodScheduled=True. Throws the
 * StatusError upstream answers (409 on pods/binding) when the pod cannot be bound.
 */
export function applyBinding(pod: KObject, binding: KObject, now: Date): KObject {
  const name = str(pod.metadata.name);
  const fail = (reason: string): StatusError => errors.conflict(bindingResource, name, reason);
  const uid = binding.metadata?.uid;
  if (uid && uid !== pod.metadata.uid) {
    throw errors.conflict(podsResource, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.metadata.uid ?? ""}`);
  }
  const rv = binding.metadata?.resourceVersion;
  if (rv && rv !== pod.metadata.resourceVersion) {
    throw errors.conflict(podsResource, name, `Precondition failed: ResourceVersion in precondition: ${rv}, ResourceVersion in object meta: ${pod.metadata.resourceVersion ?? ""}`);
  }
  if (pod.metadata.deletionTimestamp) throw fail(`pod ${name} is being deleted, cannot be assigned to a host`);
  if (!isRecord(pod.spec)) pod.spec = {};
  if (str(pod.spec.nodeName)) throw fail(`pod ${name} is already assigned to node ${JSON.stringify(pod.spec.nodeName)}`);
  if (arr(pod.spec.schedulingGates).length > 0) throw fail(`pod ${name} has non-empty .spec.schedulingGates`);
  pod.spec.nodeName = str(isRecord(binding.target) ? binding.target.name : "");
  const annotations = binding.metadata?.annotations;
  if (isRecord(annotations) && Object.keys(annotations).length > 0) {
    pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), ...annotations };
  }
  if (!isRecord(pod.status)) pod.status = {};
  const conditions = arr(pod.status.conditions);
  const condition: Obj = { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: formatTime(now.getTime()) };
  const i = conditions.findIndex((c) => isRecord(c) && c.type === "PodScheduled");
  if (i < 0) pod.status.conditions = [...conditions, condition];
  else {
    if (conditions[i].status === "True") condition.lastTransitionTime = conditions[i].lastTransitionTime ?? null;
    const next = [...conditions];
    next[i] = condition;
    pod.status.conditions = next;
  }
  return pod;
}

// ---------------------------------------------------------------------------------------------

export const podStrategy: KindStrategy = {
  group: "",
  version: "v1",
  kind: "Pod",
  resource: "pods",
  singular: "pod",
  namespaced: true,
  shortNames: ["po"],
  categories: ["all"],
  nameRule: "subdomain",
  tracksGeneration: true,
  returnDeletedObject: true,
  deletionGracePeriod: podDeletionGracePeriod,
  subresources: {
    status: true,
    extra: [
      { name: "attach", group: "", version: "v1", kind: "PodAttachOptions", verbs: ["create", "get"] },
      { name: "binding", group: "", version: "v1", kind: "Binding", verbs: ["create"] },
      { name: "eviction", group: "policy", version: "v1", kind: "Eviction", verbs: ["create"] },
      { name: "exec", group: "", version: "v1", kind: "PodExecOptions", verbs: ["create", "get"] },
      { name: "log", group: "", version: "v1", kind: "Pod", verbs: ["get"] },
    ],
  },
  prepareForCreate,
  prepareForUpdate,
  validate,
  validateUpdate,
  selectableFields,
  table: { columns, cells: (obj, now) => podCells(obj, now) },
};

