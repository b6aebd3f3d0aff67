/**
 * Authorization as kubeadm configures kube-apiserver: the privileged group (`system:masters`)
 * may do anything; everyone else gets what RBAC Roles and ClusterRoles bound to them allow.
 * Pure over an {@link RbacObjects} source, so it runs in plain Node against any store.
 */
import { errors, StatusError } from "../apiserver/status";
import type { KObject, UserInfo } from "../registry/types";

/** What is asked: authorization.k8s.io ResourceAttributes or NonResourceAttributes, flattened. */
export type AuthorizationAttributes =
  | { kind: "resource"; verb: string; group: string; version: string; resource: string; subresource: string; namespace: string; name: string }
  | { kind: "nonresource"; verb: string; path: string };

export interface Decision {
  allowed: boolean;
  /** Explicitly denied (an authorizer said no, as opposed to no authorizer saying yes). */
  denied: boolean;
  /** The deciding authorizer's reason; RBAC and the privileged group authorizer give none on success. */
  reason: string;
}

export interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
}

export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs: string[];
}

export interface Rules {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  /** True when the rules may not be the whole answer (a binding names a missing role). */
  incomplete: boolean;
}

/** The RBAC objects of a sandbox. */
export interface RbacObjects {
  clusterRoles(): KObject[];
  clusterRoleBindings(): KObject[];
  roles(namespace: string): KObject[];
  roleBindings(namespace: string): KObject[];
}

export const PRIVILEGED_GROUP = "system:masters";

const matchesAny = (values: readonly string[] | undefined, value: string) => (values ?? []).some((v) => v === "*" || v === value);

/** A binding's subject is the user: by name, by group, or as a ServiceAccount (`system:serviceaccount:ns:name`). */
function subjectMatches(subject: Record<string, string>, user: UserInfo, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case "User":
      return subject.name === user.username;
    case "Group":
      return user.groups.includes(subject.name);
    case "ServiceAccount":
      return user.username === `system:serviceaccount:${subject.namespace || bindingNamespace}:${subject.name}`;
    default:
      return false;
  }
}

function resourceRuleAllows(rule: ResourceRule, a: Extract<AuthorizationAttributes, { kind: "resource" }>): boolean {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resourceMatches = (rule.resources ?? []).some((r) => r === "*" || r === resource || (a.subresource !== "" && r === `*/${a.subresource}`) || (r === `${a.resource}/*` && a.subresource !== ""));
  if (!matchesAny(rule.verbs, a.verb) || !matchesAny(rule.apiGroups, a.group) || !resourceMatches) return false;
  return !rule.resourceNames?.length || rule.resourceNames.includes(a.name);
}

function nonResourceRuleAllows(rule: NonResourceRule, a: Extract<AuthorizationAttributes, { kind: "nonresource" }>): boolean {
  if (!matchesAny(rule.verbs, a.verb)) return false;
  return (rule.nonResourceURLs ?? []).some((u) => u === "*" || u === a.path || (u.endsWith("*") && a.path.startsWith(u.slice(0, -1))));
}

/** RBAC over a sandbox's objects, behind the privileged group. */
export class Authorizer {
  constructor(private readonly objects: RbacObjects) {}

  authorize(user: UserInfo, attributes: AuthorizationAttributes): Decision {
    if (user.groups.includes(PRIVILEGED_GROUP)) return { allowed: true, denied: false, reason: "" };
    const namespace = attributes.kind === "resource" ? attributes.namespace : "";
    const { resourceRules, nonResourceRules, missing } = this.collect(user, namespace);
    const allowed =
      attributes.kind === "resource"
        ? resourceRules.some((r) => resourceRuleAllows(r, attributes))
        : nonResourceRules.some((r) => nonResourceRuleAllows(r, attributes));
    // As upstream's RBAC authorizer: a binding to a missing role is the reason given for a denial.
    return { allowed, denied: false, reason: allowed || missing.length === 0 ? "" : `RBAC: ${missing.join(", ")}` };
  }

  /** The rules a Role (of `namespace`) or ClusterRole grants, aggregation included; null when there is no such role. */
  roleRules(kind: string, name: string, namespace: string): Record<string, unknown>[] | null {
    if (kind === "Role") return (this.objects.roles(namespace).find((r) => r.metadata.name === name)?.rules as Record<string, unknown>[] | undefined) ?? null;
    const clusterRoles = this.objects.clusterRoles();
    const role = clusterRoles.find((r) => r.metadata.name === name);
    return role ? ((role.rules ?? []) as Record<string, unknown>[]) : null;
  }

  /** Every rule that applies to `user` in `namespace` (cluster-wide bindings first), as SelfSubjectRulesReview lists them. */
  rulesFor(user: UserInfo, namespace: string): Rules {
    const { resourceRules, nonResourceRules, missing } = this.collect(user, namespace);
    return { resourceRules, nonResourceRules, incomplete: missing.length > 0 };
  }

  private collect(user: UserInfo, namespace: string): Omit<Rules, "incomplete"> & { missing: string[] } {
    const clusterRoles = this.objects.clusterRoles();
    const byName = new Map(clusterRoles.map((r) => [r.metadata.name!, r]));
    const rules: Record<string, unknown>[] = [];
    const missing: string[] = [];
    const bound = (binding: KObject, bindingNamespace: string) =>
      ((binding.subjects ?? []) as Record<string, string>[]).some((s) => subjectMatches(s, user, bindingNamespace));
    const collect = (binding: KObject, roles: Map<string, KObject>) => {
      const role = roles.get(binding.roleRef?.name);
      if (role) rules.push(...((role.rules ?? []) as Record<string, unknown>[]));
      else missing.push(`${binding.roleRef?.kind === "Role" ? "role" : "clusterrole"}.rbac.authorization.k8s.io "${binding.roleRef?.name}" not found`);
    };
    for (const binding of this.objects.clusterRoleBindings()) if (bound(binding, "")) collect(binding, byName);
    if (namespace) {
      const roles = new Map(this.objects.roles(namespace).map((r) => [r.metadata.name!, r]));
      for (const binding of this.objects.roleBindings(namespace)) {
        if (bound(binding, namespace)) collect(binding, binding.roleRef?.kind === "ClusterRole" ? byName : roles);
      }
    }
    const resourceRules: ResourceRule[] = [];
    const nonResourceRules: NonResourceRule[] = [];
    for (const rule of rules) {
      if (Array.isArray(rule.nonResourceURLs) && rule.nonResourceURLs.length) {
        nonResourceRules.push({ verbs: rule.verbs as string[], nonResourceURLs: rule.nonResourceURLs as string[] });
      } else {
        const r: ResourceRule = { verbs: rule.verbs as string[], apiGroups: (rule.apiGroups ?? []) as string[], resources: (rule.resources ?? []) as string[] };
        if (Array.isArray(rule.resourceNames) && rule.resourceNames.length) r.resourceNames = rule.resourceNames as string[];
        resourceRules.push(r);
      }
    }
    return { resourceRules, nonResourceRules, missing };
  }
}

/**
 * kube-apiserver's 403 for a denied request (k8s.io/apiserver responsewriters.Forbidden):
 * `pods "x" is forbidden: User "jane" cannot get resource "pods" in API group "" in the namespace "default"`.
 */
export function forbidden(user: UserInfo, a: AuthorizationAttributes, reason: string): StatusError {
  const who = `User "${user.username}"`;
  const suffix = reason ? `: ${reason}` : "";
  if (a.kind === "nonresource") return new StatusError(403, "Forbidden", `forbidden: ${who} cannot ${a.verb} path "${a.path}"${suffix}`, {});
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : "at the cluster scope";
  return errors.forbidden({ group: a.group, resource: a.resource }, a.name, `${who} cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${scope}${suffix}`);
}
