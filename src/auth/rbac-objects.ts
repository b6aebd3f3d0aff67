/** The authorizer of a sandbox, reading its RBAC objects straight from the registry. */
import type { Registry } from "../registry/registry";
import { selectEverything } from "../registry/selection";
import { Authorizer, type RbacObjects } from "./authorizer";

const GROUP = "rbac.authorization.k8s.io";
const authorizers = new WeakMap<Registry, Authorizer>();

function rbacObjects(registry: Registry): RbacObjects {
  const list = (resource: string, namespace: string) => registry.resource(GROUP, resource).list(namespace, { selection: selectEverything }).items;
  return {
    clusterRoles: () => list("clusterroles", ""),
    clusterRoleBindings: () => list("clusterrolebindings", ""),
    roles: (namespace) => list("roles", namespace),
    roleBindings: (namespace) => list("rolebindings", namespace),
  };
}

export function authorizerFor(registry: Registry): Authorizer {
  let authorizer = authorizers.get(registry);
  if (!authorizer) authorizers.set(registry, (authorizer = new Authorizer(rbacObjects(registry))));
  return authorizer;
}
