/**
 * core/v1 PersistentVolumeClaim: SetDefaults_PersistentVolumeClaim(Spec), the DefaultStorageClass
 * admission plugin, the essentials of upstream's ValidatePersistentVolumeClaim /
 * ValidatePersistentVolumeClaimUpdate, and printPersistentVolumeClaim (`kubectl get pvc`).
 *
 * The sandbox models kind's storage: one default StorageClass `standard` served by the
 * `rancher.io/local-path` provisioner. Neither PersistentVolume nor StorageClass objects exist:
 * a claim that names no class gets `standard` on creation (as the DefaultStorageClass admission
 * would; an explicit `""` stays classless), and the volume binder in
 * controlplane/controllers/statefulset.ts binds `standard` claims at once to a volume named
 * `pvc-<uid>`. Departures from a kind cluster: binding is immediate rather than
 * WaitForFirstConsumer; no `kubernetes.io/pvc-protection` finalizer is added (no controller would
 * remove it); a size increase of a bound claim is accepted (upstream's resize admission would
 * refuse it for `standard`, which does not allow expansion) but its capacity does not grow.
 */
import { field, type FieldError } from "../../apiserver/status";
import { isDNS1123Subdomain } from "../../apiserver/names";
import { validateLabelSelector, type LabelSelectorObject } from "../../apiserver/selectors/labels";
import type { KindStrategy, KObject } from "../types";
import { arr, canonicalizeResourceList, deepEqual, defaultPersistentVolumeClaimSpec, isRecord, quantityDecodeFailure, type Obj } from "./pod-template";
import { compareQuantities, quantityFromJSON, sign, type Quantity } from "./quantity";
import { ageCell } from "./service";

/** The cluster's default StorageClass and its provisioner (kind's local-path provisioner). */
export const DEFAULT_STORAGE_CLASS = "standard";
export const DEFAULT_PROVISIONER = "rancher.io/local-path";
/** The deprecated class annotation, still honoured before spec.storageClassName. */
export const BETA_STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class";

const ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];
const VOLUME_MODES = ["Block", "Filesystem"];
const SHORT_ACCESS_MODES: [string, string][] = [
  ["ReadWriteOnce", "RWO"],
  ["ReadOnlyMany", "ROX"],
  ["ReadWriteMany", "RWX"],
  ["ReadWriteOncePod", "RWOP"],
];

const specOf = (pvc: KObject): Obj => (isRecord(pvc.spec) ? pvc.spec : {});

/** Decodes the quantities and applies the v1 defaults (volumeMode Filesystem). */
function decodeAndDefault(pvc: KObject): void {
  if (!isRecord(pvc.spec)) pvc.spec = {};
  const resources = pvc.spec.resources;
  if (isRecord(resources)) {
    canonicalizeResourceList(resources.limits, quantityDecodeFailure(pvc));
    canonicalizeResourceList(resources.requests, quantityDecodeFailure(pvc));
  }
  defaultPersistentVolumeClaimSpec(pvc.spec);
}

/** DefaultStorageClass admission: a claim with neither a class nor the beta annotation gets the default. */
function admitDefaultStorageClass(pvc: KObject): void {
  const spec = pvc.spec as Obj;
  if (spec.storageClassName !== undefined && spec.storageClassName !== null) return;
  if (pvc.metadata.annotations?.[BETA_STORAGE_CLASS_ANNOTATION] !== undefined) return;
  spec.storageClassName = DEFAULT_STORAGE_CLASS;
}

/** GetPersistentVolumeClaimClass: the beta annotation first, then spec.storageClassName ("" when neither). */
export function claimStorageClass(pvc: KObject): string {
  const annotated = pvc.metadata.annotations?.[BETA_STORAGE_CLASS_ANNOTATION];
  if (annotated !== undefined) return annotated;
  return typeof pvc.spec?.storageClassName === "string" ? pvc.spec.storageClassName : "";
}

function quantityOrNull(raw: unknown): Quantity | null {
  try {
    return raw === undefined || raw === null ? null : quantityFromJSON(raw);
  } catch {
    return null;
  }
}

/** The requested storage, or null when absent or not a quantity. */
export function requestedStorage(pvc: KObject): string | null {
  const raw = specOf(pvc).resources?.requests?.storage;
  return quantityOrNull(raw) ? String(raw) : null;
}

/** ValidatePersistentVolumeClaimSpec, the parts a sandbox user meets. */
export function validatePersistentVolumeClaim(pvc: KObject): FieldError[] {
  const spec = specOf(pvc);
  const errs: FieldError[] = [];
  const modes = arr(spec.accessModes);
  if (modes.length === 0) errs.push(field.required("spec.accessModes", "at least 1 access mode is required"));
  if (spec.selector !== undefined && spec.selector !== null) {
    errs.push(...validateLabelSelector(spec.selector as LabelSelectorObject, "spec.selector", { allowInvalidLabelValueInSelector: false }));
  }
  let readWriteOncePod = false;
  let others = false;
  for (const mode of modes) {
    if (!ACCESS_MODES.includes(mode)) errs.push(field.notSupported("spec.accessModes", mode, ACCESS_MODES));
    else if (mode === "ReadWriteOncePod") readWriteOncePod = true;
    else others = true;
  }
  if (readWriteOncePod && others) errs.push(field.forbidden("spec.accessModes", "may not use ReadWriteOncePod with other access modes"));

  const requests: Obj = isRecord(spec.resources) && isRecord(spec.resources.requests) ? spec.resources.requests : {};
  if (!("storage" in requests)) {
    errs.push(field.required("spec.resources[storage]", ""));
  } else {
    const storage = quantityOrNull(requests.storage);
    if (storage && sign(storage) <= 0) errs.push(field.invalid("spec.resources[storage]", String(requests.storage), "must be greater than zero"));
  }
  if (typeof spec.storageClassName === "string" && spec.storageClassName !== "") {
    for (const msg of isDNS1123Subdomain(spec.storageClassName)) errs.push(field.invalid("spec.storageClassName", spec.storageClassName, msg));
  }
  if (spec.volumeMode !== undefined && spec.volumeMode !== null && !VOLUME_MODES.includes(spec.volumeMode)) {
    errs.push(field.notSupported("spec.volumeMode", spec.volumeMode, VOLUME_MODES));
  }
  return errs;
}

// The fields of the internal core.PersistentVolumeClaimSpec, in declaration order (for the diff).
const SPEC_FIELDS: [string, string][] = [
  ["accessModes", "AccessModes"],
  ["selector", "Selector"],
  ["resources", "Resources"],
  ["volumeName", "VolumeName"],
  ["storageClassName", "StorageClassName"],
  ["volumeMode", "VolumeMode"],
  ["dataSource", "DataSource"],
  ["dataSourceRef", "DataSourceRef"],
  ["volumeAttributesClassName", "VolumeAttributesClassName"],
];
const POINTER_FIELDS = new Set(["storageClassName", "volumeMode", "volumeAttributesClassName"]);

function goValue(key: string, v: unknown): string {
  if (v === undefined || v === null) return key === "volumeName" ? '""' : "nil";
  if (typeof v === "string") return POINTER_FIELDS.has(key) ? `&${JSON.stringify(v)}` : JSON.stringify(v);
  if (Array.isArray(v)) return `{${v.map((x) => JSON.stringify(x)).join(", ")}}`;
  return JSON.stringify(v);
}

/** A go-cmp-like report of two claim specs: changed fields, identical runs folded. */
function specDiff(oldSpec: Obj, newSpec: Obj): string {
  const lines = ["  core.PersistentVolumeClaimSpec{"];
  let identical = 0;
  const flush = () => {
    if (identical) lines.push(`  \t... // ${identical} identical field${identical === 1 ? "" : "s"}`);
    identical = 0;
  };
  for (const [key, goName] of SPEC_FIELDS) {
    if (deepEqual(oldSpec[key] ?? null, newSpec[key] ?? null)) {
      identical++;
      continue;
    }
    flush();
    lines.push(`- \t${goName}: ${goValue(key, oldSpec[key])},`);
    lines.push(`+ \t${goName}: ${goValue(key, newSpec[key])},`);
  }
  flush();
  lines.push("  }");
  return `${lines.join("\n")}\n`;
}

const withStorage = (spec: Obj, storage: unknown): Obj => ({
  ...spec,
  resources: { ...(isRecord(spec.resources) ? spec.resources : {}), requests: { ...(isRecord(spec.resources?.requests) ? spec.resources.requests : {}), storage } },
});

/**
 * ValidatePersistentVolumeClaimUpdate: the spec is immutable, except that volumeName may be set
 * once and a bound claim's storage request may change; the request may not drop to or below the
 * capacity in status (RecoverVolumeExpansionFailure, on by default since 1.32).
 */
export function validatePersistentVolumeClaimUpdate(pvc: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const oldSpec = specOf(old);
  let newSpec: Obj = { ...specOf(pvc) };
  let comparedOld: Obj = oldSpec;
  if (!oldSpec.volumeName) comparedOld = { ...comparedOld, volumeName: newSpec.volumeName };
  if (pvc.status?.phase === "Bound" && isRecord(newSpec.resources?.requests)) newSpec = withStorage(newSpec, oldSpec.resources?.requests?.storage);
  if (!deepEqual(newSpec, comparedOld)) {
    errs.push(field.forbidden("spec", `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${specDiff(comparedOld, newSpec)}`));
  }
  const oldSize = quantityOrNull(oldSpec.resources?.requests?.storage);
  const newSize = quantityOrNull(specOf(pvc).resources?.requests?.storage);
  const capacity = quantityOrNull(old.status?.capacity?.storage) ?? { mantissa: 0n, exponent: 0, format: "DecimalSI" as const };
  if (oldSize && newSize && compareQuantities(newSize, oldSize) < 0 && compareQuantities(newSize, capacity) <= 0) {
    errs.push(field.forbidden("spec.resources.requests.storage", "field can not be less than status.capacity"));
  }
  return errs;
}

/** helper.GetAccessModesAsString: `RWO,ROX,RWX,RWOP` order, duplicates dropped. */
export function accessModesCell(modes: unknown): string {
  const list = arr(modes);
  return SHORT_ACCESS_MODES.filter(([mode]) => list.includes(mode))
    .map(([, short]) => short)
    .join(",");
}

export const persistentVolumeClaimStrategy: KindStrategy = {
  group: "",
  version: "v1",
  kind: "PersistentVolumeClaim",
  resource: "persistentvolumeclaims",
  singular: "persistentvolumeclaim",
  namespaced: true,
  shortNames: ["pvc"],
  subresources: { status: true },

  prepareForCreate(pvc) {
    decodeAndDefault(pvc);
    admitDefaultStorageClass(pvc);
    pvc.status = { phase: "Pending" };
  },
  prepareForUpdate: (pvc) => decodeAndDefault(pvc),
  validate: validatePersistentVolumeClaim,
  validateUpdate: validatePersistentVolumeClaimUpdate,

  table: {
    columns: [
      { name: "Status", type: "string", description: "phase represents the current phase of PersistentVolumeClaim.", priority: 0 },
      { name: "Volume", type: "string", description: "volumeName is the binding reference to the PersistentVolume backing this claim.", priority: 0 },
      { name: "Capacity", type: "string", description: "capacity represents the actual resources of the underlying volume.", priority: 0 },
      { name: "Access Modes", type: "string", description: "accessModes contains the actual access modes the volume backing the PVC has.", priority: 0 },
      { name: "StorageClass", type: "string", description: "StorageClass of the pvc", priority: 0 },
      { name: "VolumeAttributesClass", type: "string", description: "VolumeAttributesClass of the pvc", priority: 0 },
      { name: "Age", type: "string", description: "Time since the object was created.", priority: 0 },
      { name: "VolumeMode", type: "string", description: "volumeMode defines what type of volume is required by the claim.", priority: 1 },
    ],
    cells: (pvc, now) => {
      const spec = specOf(pvc);
      const bound = typeof spec.volumeName === "string" && spec.volumeName !== "";
      return [
        pvc.metadata.deletionTimestamp ? "Terminating" : (pvc.status?.phase ?? ""),
        spec.volumeName ?? "",
        bound ? String(pvc.status?.capacity?.storage ?? "0") : "",
        bound ? accessModesCell(pvc.status?.accessModes) : "",
        claimStorageClass(pvc),
        typeof spec.volumeAttributesClassName === "string" ? spec.volumeAttributesClassName : "<unset>",
        ageCell(pvc.metadata.creationTimestamp, now),
        typeof spec.volumeMode === "string" ? spec.volumeMode : "<unset>",
      ];
    },
  },
};
