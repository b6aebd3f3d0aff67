/**
 * The ClusterRole aggregation controller (k8s.io/kubernetes pkg/controller/clusterroleaggregation):
 * keeps an aggregated ClusterRole's `rules` equal to what its selectors pick (src/auth/aggregation.ts).
 *
 * Watch events → keys (reconciler `clusterroleaggregation`, keyed by ClusterRole name): any
 * ClusterRole added, updated or deleted enqueues every aggregated ClusterRole; at start all of them.
 */
import { aggregatedRules, rulesEqual } from "../../auth/aggregation";
import type { Registry } from "../../registry/registry";
import { selectEverything } from "../../registry/selection";
import type { UserInfo } from "../../registry/types";
import type { Reconciler } from "../runtime";
import { getOrNull, isConflictOrNotFound } from "./workloads";

export function clusterRoleAggregationReconciler(deps: { registry: Registry; user: UserInfo }): Reconciler {
  const clusterRoles = deps.registry.resource("rbac.authorization.k8s.io", "clusterroles");
  return async (name) => {
    const role = getOrNull(clusterRoles, "", name);
    if (!role) return;
    const rules = aggregatedRules(role, clusterRoles.list("", { selection: selectEverything }).items);
    if (rules === null || rulesEqual(role.rules, rules)) return;
    await clusterRoles.patch("", name, (current) => ({ ...current, rules }), { user: deps.user }).catch((e) => {
      // Deleted or changed meanwhile: the watch enqueues it again.
      if (!isConflictOrNotFound(e)) throw e;
    });
  };
}
