/**
 * rbac.authorization.k8s.io/v1 Role, ClusterRole, RoleBinding, ClusterRoleBinding: upstream's
 * validation (pkg/apis/rbac/validation) of rules, role references and subjects, and the
 * `kubectl get` columns, and escalation prevention (src/auth/escalation.ts) on every write.
 */
import { field, type FieldError } from "../../apiserver/status";
import { confirmBindingNoEscalation, confirmRoleNoEscalation } from "../../auth/escalation";
import type { KindStrategy, KObject, StrategyContext, TableConvention } from "../types";
import { ageCell } from "./service";

const GROUP = "rbac.authorization.k8s.io";

function validateRules(obj: KObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const rules: unknown[] = Array.isArray(obj.rules) ? obj.rules : [];
  rules.forEach((raw, i) => {
    const r = (raw ?? {}) as Record<string, string[] | undefined>;
    const path = `rules[${i}]`;
    if (!r.verbs?.length) errs.push(field.required(`${path}.verbs`, "verbs must contain at least one value"));
    const urls = r.nonResourceURLs ?? [];
    if (urls.length > 0) {
      if (namespaced) errs.push(field.invalid(`${path}.nonResourceURLs`, urls, "namespaced rules cannot apply to non-resource URLs"));
      if (r.apiGroups?.length || r.resources?.length || r.resourceNames?.length) {
        errs.push(field.invalid(`${path}.nonResourceURLs`, urls, "rules cannot apply to both regular resources and non-resource URLs"));
      }
      return;
    }
    if (!r.apiGroups?.length) errs.push(field.required(`${path}.apiGroups`, "resource rules must supply at least one api group"));
    if (!r.resources?.length) errs.push(field.required(`${path}.resources`, "resource rules must supply at least one resource"));
  });
  return errs;
}

function validateBinding(obj: KObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = (obj.roleRef ?? {}) as Record<string, string>;
  if (ref.apiGroup !== GROUP) errs.push(field.notSupported("roleRef.apiGroup", ref.apiGroup ?? "", [GROUP]));
  const kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"];
  if (!kinds.includes(ref.kind)) errs.push(field.notSupported("roleRef.kind", ref.kind ?? "", kinds));
  if (!ref.name) errs.push(field.required("roleRef.name", ""));
  const subjects: unknown[] = Array.isArray(obj.subjects) ? obj.subjects : [];
  subjects.forEach((raw, i) => {
    const s = (raw ?? {}) as Record<string, string>;
    const path = `subjects[${i}]`;
    if (!s.name) errs.push(field.required(`${path}.name`, ""));
    if (s.kind === "ServiceAccount") {
      if (s.apiGroup) errs.push(field.notSupported(`${path}.apiGroup`, s.apiGroup, [""]));
      if (!namespaced && !s.namespace) errs.push(field.required(`${path}.namespace`, ""));
    } else if (s.kind === "User" || s.kind === "Group") {
      if (s.apiGroup !== GROUP) errs.push(field.notSupported(`${path}.apiGroup`, s.apiGroup ?? "", [GROUP]));
    } else {
      errs.push(field.notSupported(`${path}.kind`, s.kind ?? "", ["ServiceAccount", "User", "Group"]));
    }
  });
  return errs;
}

const roleRefIsImmutable = (obj: KObject, old: KObject): FieldError[] =>
  JSON.stringify(obj.roleRef) === JSON.stringify(old.roleRef) ? [] : [field.invalid("roleRef", obj.roleRef, "cannot change roleRef")];

const names = (binding: KObject, kind: string) =>
  ((binding.subjects ?? []) as Record<string, string>[])
    .filter((s) => s.kind === kind)
    .map((s) => (kind === "ServiceAccount" ? `${s.namespace ?? ""}/${s.name}` : s.name))
    .join(", ");

const bindingTable: TableConvention = {
  columns: [
    { name: "Role", type: "string", description: "The role the binding grants.", priority: 0 },
    { name: "Age", type: "string", description: "Time since the object was created.", priority: 0 },
    { name: "Users", type: "string", description: "The users bound.", priority: 1 },
    { name: "Groups", type: "string", description: "The groups bound.", priority: 1 },
    { name: "ServiceAccounts", type: "string", description: "The service accounts bound.", priority: 1 },
  ],
  cells: (b, now) => [`${b.roleRef?.kind}/${b.roleRef?.name}`, ageCell(b.metadata.creationTimestamp, now), names(b, "User"), names(b, "Group"), names(b, "ServiceAccount")],
};

// RBAC names are path segments (upstream ValidateRBACName), so `system:aggregate-to-admin` is valid.
const base = (kind: string, resource: string, namespaced: boolean) =>
  ({ group: GROUP, version: "v1", kind, resource, singular: kind.toLowerCase(), namespaced, nameRule: "path-segment" }) as const;

/** Escalation prevention on every write of a role or binding (create and update alike). */
const noRoleEscalation = (role: KObject, ctx: StrategyContext) => {
  if (ctx.authorizer) confirmRoleNoEscalation(role, ctx.user, ctx.authorizer);
};
const noBindingEscalation = (binding: KObject, ctx: StrategyContext) => {
  const authorizer = ctx.authorizer;
  if (authorizer) confirmBindingNoEscalation(binding, ctx.user, authorizer, (kind, name) => authorizer.roleRules(kind, name, binding.metadata.namespace ?? ""));
};

function roleKind(kind: string, resource: string, namespaced: boolean): KindStrategy {
  return {
    ...base(kind, resource, namespaced),
    validate: (o) => validateRules(o, namespaced),
    prepareForCreate: noRoleEscalation,
    prepareForUpdate: (o, _old, ctx) => noRoleEscalation(o, ctx),
  };
}

function bindingKind(kind: string, resource: string, namespaced: boolean): KindStrategy {
  return {
    ...base(kind, resource, namespaced),
    validate: (o) => validateBinding(o, namespaced),
    validateUpdate: roleRefIsImmutable,
    prepareForCreate: noBindingEscalation,
    prepareForUpdate: (o, _old, ctx) => noBindingEscalation(o, ctx),
    table: bindingTable,
  };
}

export const roleStrategy = roleKind("Role", "roles", true);
export const clusterRoleStrategy = roleKind("ClusterRole", "clusterroles", false);
export const roleBindingStrategy = bindingKind("RoleBinding", "rolebindings", true);
export const clusterRoleBindingStrategy = bindingKind("ClusterRoleBinding", "clusterrolebindings", false);
