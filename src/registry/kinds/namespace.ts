/**
 * core/v1 Namespace: Active on create with the `kubernetes` finalizer in spec, the
 * `kubernetes.io/metadata.name` label kept equal to the name, `kubectl get ns` columns.
 * Spec finalizers change only through the finalize subresource (written by the namespace
 * finalizer); a plain update keeps the stored ones, as upstream's PrepareForUpdate does.
 * Deleting a namespace with spec finalizers marks it Terminating until they are gone.
 */
import { errors, field, type FieldError } from "../../apiserver/status";
import { isQualifiedName } from "../../apiserver/names";
import type { KindStrategy, KObject } from "../types";
import { ageCell } from "./service";

export const namespaceNameLabel = "kubernetes.io/metadata.name";

const standardFinalizers = new Set(["kubernetes", "orphan", "foregroundDeletion"]);

const POD_SECURITY_LEVELS = ["privileged", "baseline", "restricted"];

/**
 * Pod Security admission refuses a namespace whose `pod-security.kubernetes.io/<mode>` labels
 * name no level, or whose `<mode>-version` labels are neither `latest` nor `v1.N`.
 */
function podSecurityLabelErrors(ns: KObject): FieldError[] {
  const labels = (ns.metadata.labels ?? {}) as Record<string, string>;
  const errs: FieldError[] = [];
  for (const mode of ["enforce", "audit", "warn"]) {
    const level = labels[`pod-security.kubernetes.io/${mode}`];
    if (level !== undefined && !POD_SECURITY_LEVELS.includes(level)) {
      errs.push(field.invalid(`metadata.labels[pod-security.kubernetes.io/${mode}]`, level, `must be one of ${POD_SECURITY_LEVELS.join(", ")}`));
    }
    const version = labels[`pod-security.kubernetes.io/${mode}-version`];
    if (version !== undefined && version !== "latest" && !/^v1\.(0|[1-9]\d*)$/.test(version)) {
      errs.push(field.invalid(`metadata.labels[pod-security.kubernetes.io/${mode}-version]`, version, 'must be "latest" or "v1.x"'));
    }
  }
  return errs;
}

/** Defaulting and Canonicalize: the name label always equals the name. */
function setNameLabel(ns: KObject): void {
  if (!ns.metadata.name) return;
  ns.metadata.labels = { ...(ns.metadata.labels ?? {}), [namespaceNameLabel]: ns.metadata.name };
}

/** validateFinalizerName: a qualified name, and either standard or domain-qualified. */
export function validateFinalizerName(value: string, path: string): FieldError[] {
  const errs = isQualifiedName(value).map((m) => field.invalid(path, value, m));
  if (!value.includes("/") && !standardFinalizers.has(value)) {
    errs.push(field.invalid(path, value, "name is neither a standard finalizer name nor is it fully qualified"));
  }
  return errs;
}

const IMMORTAL_NAMESPACES = ["default", "kube-system", "kube-public"];

export const namespaceStrategy: KindStrategy = {
  group: "",
  version: "v1",
  kind: "Namespace",
  resource: "namespaces",
  singular: "namespace",
  namespaced: false,
  shortNames: ["ns"],
  nameRule: "dns1123-label",
  subresources: { status: true },

  // NamespaceLifecycle: the namespaces the system lives in cannot be deleted.
  admitDelete(name) {
    if (IMMORTAL_NAMESPACES.includes(name)) throw errors.forbidden({ group: "", resource: "namespaces" }, name, "this namespace may not be deleted");
  },

  prepareForCreate(ns) {
    ns.status = { phase: "Active" };
    const spec = (ns.spec ??= {});
    const finalizers: string[] = Array.isArray(spec.finalizers) ? spec.finalizers : [];
    if (!finalizers.includes("kubernetes")) finalizers.push("kubernetes");
    spec.finalizers = finalizers;
    setNameLabel(ns);
  },

  prepareForUpdate(ns, old) {
    ns.status = structuredClone(old.status);
    const spec = (ns.spec ??= {});
    if (old.spec?.finalizers !== undefined) spec.finalizers = structuredClone(old.spec.finalizers);
    else delete spec.finalizers;
    setNameLabel(ns);
  },

  holdsDeletion: (ns) => Array.isArray(ns.spec?.finalizers) && ns.spec.finalizers.length > 0,

  prepareForDeletion(ns) {
    ns.status = { ...(ns.status ?? {}), phase: "Terminating" };
  },

  validate(ns) {
    const finalizers: unknown[] = Array.isArray(ns.spec?.finalizers) ? ns.spec.finalizers : [];
    // Upstream reports these on `spec.finalizers` without an index.
    return [...finalizers.flatMap((f) => validateFinalizerName(String(f), "spec.finalizers")), ...podSecurityLabelErrors(ns)];
  },

  validateUpdate(ns, old) {
    // A status write (the only way the phase changes) must keep the phase consistent with deletion.
    if (ns.status?.phase === old.status?.phase) return [];
    if (!ns.metadata.deletionTimestamp) {
      return ns.status?.phase === "Active"
        ? []
        : [field.invalid("status.Phase", ns.status?.phase ?? "", "may only be 'Active' if `deletionTimestamp` is empty")];
    }
    return ns.status?.phase === "Terminating"
      ? []
      : [field.invalid("status.Phase", ns.status?.phase ?? "", "may only be 'Terminating' if `deletionTimestamp` is not empty")];
  },

  selectableFields: (ns) => ({
    "status.phase": ns.status?.phase ?? "",
    // Upstream keeps the bare `name` field for backward compatibility.
    name: ns.metadata.name ?? "",
  }),

  table: {
    columns: [
      { name: "Status", type: "string", description: "The status of the namespace", priority: 0 },
      { name: "Age", type: "string", description: "Time since the object was created.", priority: 0 },
    ],
    cells: (ns, now) => [ns.status?.phase ?? "", ageCell(ns.metadata.creationTimestamp, now)],
  },
};
