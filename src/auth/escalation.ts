/**
 * RBAC's escalation prevention (pkg/registry/rbac): a user may write a Role or ClusterRole only
 * with rules it already holds (or the `escalate` verb on it), and bind a role only if it holds the
 * role's rules (or the `bind` verb on it). The privileged group is exempt.
 */
import { errors } from "../apiserver/status";
import type { KObject, UserInfo } from "../registry/types";
import { PRIVILEGED_GROUP, type Authorizer, type AuthorizationAttributes } from "./authorizer";

const GROUP = "rbac.authorization.k8s.io";
type Rule = { verbs?: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; nonResourceURLs?: string[] };

/** A rule split into single-verb, single-resource rules, as upstream's BreakdownRule. */
function breakdown(rule: Rule): Rule[] {
  const out: Rule[] = [];
  for (const verb of rule.verbs ?? []) {
    for (const url of rule.nonResourceURLs ?? []) out.push({ verbs: [verb], nonResourceURLs: [url] });
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        if (rule.resourceNames?.length) for (const name of rule.resourceNames) out.push({ verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [name] });
        else out.push({ verbs: [verb], apiGroups: [group], resources: [resource] });
      }
    }
  }
  return out;
}

/** Upstream's CompactString of a rule: `{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}`. */
function compact(rule: Rule): string {
  const list = (values: string[]) => `[${values.map((v) => JSON.stringify(v)).join(" ")}]`;
  const parts: string[] = [];
  if (rule.apiGroups?.length) parts.push(`APIGroups:${list(rule.apiGroups)}`);
  if (rule.resources?.length) parts.push(`Resources:${list(rule.resources)}`);
  if (rule.resourceNames?.length) parts.push(`ResourceNames:${list(rule.resourceNames)}`);
  if (rule.nonResourceURLs?.length) parts.push(`NonResourceURLs:${list(rule.nonResourceURLs)}`);
  if (rule.verbs?.length) parts.push(`Verbs:${list(rule.verbs)}`);
  return `{${parts.join(", ")}}`;
}

/** Whether the user, in `namespace`, holds the single rule (every wildcard must be held as a wildcard). */
function holds(authorizer: Authorizer, user: UserInfo, namespace: string, rule: Rule): boolean {
  const verb = rule.verbs![0]!;
  const attributes: AuthorizationAttributes = rule.nonResourceURLs
    ? { kind: "nonresource", verb, path: rule.nonResourceURLs[0]! }
    : { kind: "resource", verb, group: rule.apiGroups![0]!, version: "", resource: rule.resources![0]!, subresource: "", namespace, name: rule.resourceNames?.[0] ?? "" };
  return authorizer.authorize(user, attributes).allowed;
}

function missingRules(authorizer: Authorizer, user: UserInfo, namespace: string, rules: Rule[]): Rule[] {
  return rules.flatMap(breakdown).filter((r) => !holds(authorizer, user, namespace, r));
}

const verbAllowed = (authorizer: Authorizer, user: UserInfo, verb: string, resource: string, namespace: string, name: string) =>
  authorizer.authorize(user, { kind: "resource", verb, group: GROUP, version: "", resource, subresource: "", namespace, name }).allowed;

function refuse(user: UserInfo, resource: string, name: string, missing: Rule[]): never {
  const groups = `[${user.groups.map((g) => JSON.stringify(g)).join(" ")}]`;
  const message = `user ${JSON.stringify(user.username)} (groups=${groups}) is attempting to grant RBAC permissions not currently held:\n${missing.map(compact).join("\n")}`;
  throw errors.forbidden({ group: GROUP, resource }, name, message);
}

/** Throws upstream's 403 when writing this Role or ClusterRole would grant rules the user lacks. */
export function confirmRoleNoEscalation(role: KObject, user: UserInfo, authorizer: Authorizer): void {
  if (user.groups.includes(PRIVILEGED_GROUP)) return;
  const namespace = role.metadata.namespace ?? "";
  const resource = role.kind === "Role" ? "roles" : "clusterroles";
  if (verbAllowed(authorizer, user, "escalate", resource, namespace, role.metadata.name ?? "")) return;
  const missing = missingRules(authorizer, user, namespace, (role.rules ?? []) as Rule[]);
  if (missing.length) refuse(user, resource, role.metadata.name ?? "", missing);
}

/** Throws upstream's 403 when the user may neither bind the referenced role nor holds its rules. */
export function confirmBindingNoEscalation(binding: KObject, user: UserInfo, authorizer: Authorizer, roleRules: (kind: string, name: string) => Rule[] | null): void {
  if (user.groups.includes(PRIVILEGED_GROUP)) return;
  const namespace = binding.metadata.namespace ?? "";
  const ref = binding.roleRef ?? {};
  const roleResource = ref.kind === "Role" ? "roles" : "clusterroles";
  if (verbAllowed(authorizer, user, "bind", roleResource, namespace, ref.name ?? "")) return;
  const resource = binding.kind === "RoleBinding" ? "rolebindings" : "clusterrolebindings";
  const rules = roleRules(ref.kind, ref.name);
  if (rules === null) throw errors.forbidden({ group: GROUP, resource }, binding.metadata.name ?? "", `${roleResource}.${GROUP} "${ref.name}" not found`);
  const missing = missingRules(authorizer, user, namespace, rules);
  if (missing.length) refuse(user, resource, binding.metadata.name ?? "", missing);
}
