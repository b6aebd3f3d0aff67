/**
 * ClusterRole aggregation (upstream pkg/controller/clusterroleaggregation): a ClusterRole with an
 * `aggregationRule` holds the rules of every other ClusterRole its selectors pick, in the order
 * of their names, each rule once. Its own rules are replaced, as upstream's controller does.
 */
import { labelSelectorAsSelector } from "../apiserver/selectors/labels";
import type { KObject } from "../registry/types";

type Rule = Record<string, unknown>;

export const isAggregated = (role: KObject) => (role.aggregationRule?.clusterRoleSelectors ?? []).length > 0;

/** The rules `role` aggregates from `clusterRoles` (as they are stored now), or null when it aggregates nothing. */
export function aggregatedRules(role: KObject, clusterRoles: readonly KObject[]): Rule[] | null {
  if (!isAggregated(role)) return null;
  const selectors = (role.aggregationRule.clusterRoleSelectors as Record<string, unknown>[]).map((s) => labelSelectorAsSelector(s));
  const picked = clusterRoles
    .filter((r) => r.metadata.name !== role.metadata.name && selectors.some((s) => s.matches(r.metadata.labels)))
    .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  const seen = new Set<string>();
  const rules: Rule[] = [];
  for (const r of picked) {
    for (const rule of (r.rules ?? []) as Rule[]) {
      const key = JSON.stringify(rule);
      if (seen.has(key)) continue;
      seen.add(key);
      rules.push(rule);
    }
  }
  return rules;
}

export const rulesEqual = (a: unknown, b: unknown) => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

/** Fills every aggregated role of `roles` until nothing changes (the state the controller reaches); returns `roles`. */
export function aggregateAll(roles: KObject[]): KObject[] {
  for (let changed = true, rounds = 0; changed && rounds < roles.length + 1; rounds++) {
    changed = false;
    for (const role of roles) {
      const rules = aggregatedRules(role, roles);
      if (rules && !rulesEqual(role.rules, rules)) {
        role.rules = rules;
        changed = true;
      }
    }
  }
  return roles;
}
