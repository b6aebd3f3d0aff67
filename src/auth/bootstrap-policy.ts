/**
 * The default RBAC policy kube-apiserver writes at start-up (plugin/pkg/auth/authorizer/rbac/
 * bootstrappolicy), as kubeadm leaves it: cluster-admin for system:masters, the user-facing
 * admin / edit / view roles (aggregated from the system:aggregate-to-* roles, as upstream),
 * discovery and self-review rights for every authenticated user, public health and version
 * info for everyone, the `system:` roles of the components and built-in controllers, and what
 * `kubeadm init` adds (src/auth/system-roles.ts).
 */
import type { KObject } from "../registry/types";
import { aggregateAll } from "./aggregation";
import { kubeadmObjects, systemRoles } from "./system-roles";

const API_VERSION = "rbac.authorization.k8s.io/v1";
const BOOTSTRAP_META = {
  labels: { "kubernetes.io/bootstrapping": "rbac-defaults" },
  annotations: { "rbac.authorization.kubernetes.io/autoupdate": "true" },
};
const AGGREGATE = "rbac.authorization.k8s.io/aggregate-to-";

const READ = ["get", "list", "watch"];
const WRITE = ["create", "delete", "deletecollection", "patch", "update"];

type Rule = Record<string, string[]>;
const rule = (verbs: string[], apiGroups: string[], resources: string[]): Rule => ({ verbs, apiGroups, resources });
const urls = (verbs: string[], nonResourceURLs: string[]): Rule => ({ verbs, nonResourceURLs });

function clusterRole(name: string, rules: Rule[], extra: { labels?: Record<string, string>; aggregateFrom?: string } = {}): KObject {
  const role: KObject = {
    apiVersion: API_VERSION,
    kind: "ClusterRole",
    metadata: { name, labels: { ...BOOTSTRAP_META.labels, ...extra.labels }, annotations: { ...BOOTSTRAP_META.annotations } },
    rules,
  };
  if (extra.aggregateFrom) role.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [`${AGGREGATE}${extra.aggregateFrom}`]: "true" } }] };
  return role;
}

function clusterRoleBinding(name: string, role: string, groups: string[]): KObject {
  return {
    apiVersion: API_VERSION,
    kind: "ClusterRoleBinding",
    metadata: { name, labels: { ...BOOTSTRAP_META.labels }, annotations: { ...BOOTSTRAP_META.annotations } },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
    subjects: groups.map((g) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: g })),
  };
}

const withStatus = (...resources: string[]) => resources.flatMap((r) => [r, `${r}/status`]);
const scalable = (...resources: string[]) => resources.flatMap((r) => [r, `${r}/scale`, `${r}/status`]);

const viewRules: Rule[] = [
  rule(READ, [""], [
    "configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "pods/log", "pods/status",
    ...scalable("replicationcontrollers"), "serviceaccounts", "services", "services/status",
    "bindings", "events", "limitranges", ...withStatus("resourcequotas", "namespaces"),
  ]),
  rule(READ, ["discovery.k8s.io"], ["endpointslices"]),
  rule(READ, ["apps"], ["controllerrevisions", ...withStatus("daemonsets"), ...scalable("deployments", "replicasets", "statefulsets")]),
  rule(READ, ["autoscaling"], withStatus("horizontalpodautoscalers")),
  rule(READ, ["batch"], withStatus("cronjobs", "jobs")),
  rule(READ, ["policy"], withStatus("poddisruptionbudgets")),
  rule(READ, ["networking.k8s.io"], [...withStatus("ingresses"), "networkpolicies"]),
];

const editRules: Rule[] = [
  rule(["impersonate"], [""], ["serviceaccounts"]),
  rule(WRITE, [""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"]),
  rule(["create"], [""], ["pods/eviction", "serviceaccounts/token"]),
  rule(WRITE, [""], ["configmaps", "endpoints", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"]),
  rule(READ, [""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"]),
  rule(WRITE, ["apps"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"]),
  rule(WRITE, ["autoscaling"], ["horizontalpodautoscalers"]),
  rule(WRITE, ["batch"], ["cronjobs", "jobs"]),
  rule(WRITE, ["policy"], ["poddisruptionbudgets"]),
  rule(WRITE, ["networking.k8s.io"], ["ingresses", "networkpolicies"]),
  rule(["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"], ["coordination.k8s.io"], ["leases"]),
];

const adminRules: Rule[] = [
  rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
  rule([...WRITE, ...READ], ["rbac.authorization.k8s.io"], ["rolebindings", "roles"]),
];

const discoveryURLs = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"];
const publicInfoURLs = ["/healthz", "/livez", "/readyz", "/version", "/version/"];
const issuerDiscoveryURLs = ["/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/"];

/**
 * The policy objects, the aggregated roles already holding what the aggregation controller would
 * give them, and the components' and controllers' roles (src/auth/system-roles.ts).
 */
export function bootstrapPolicy(): KObject[] {
  const meta = () => ({ labels: { ...BOOTSTRAP_META.labels }, annotations: { ...BOOTSTRAP_META.annotations } });
  return [...aggregateAll(policyObjects()), ...systemRoles(meta), ...kubeadmObjects()];
}

function policyObjects(): KObject[] {
  return [
    clusterRole("cluster-admin", [rule(["*"], ["*"], ["*"]), urls(["*"], ["*"])]),
    clusterRole("admin", [], { aggregateFrom: "admin" }),
    clusterRole("edit", [], { aggregateFrom: "edit", labels: { [`${AGGREGATE}admin`]: "true" } }),
    clusterRole("view", [], { aggregateFrom: "view", labels: { [`${AGGREGATE}edit`]: "true" } }),
    clusterRole("system:aggregate-to-admin", adminRules, { labels: { [`${AGGREGATE}admin`]: "true" } }),
    clusterRole("system:aggregate-to-edit", editRules, { labels: { [`${AGGREGATE}edit`]: "true" } }),
    clusterRole("system:aggregate-to-view", viewRules, { labels: { [`${AGGREGATE}view`]: "true" } }),
    clusterRole("system:discovery", [urls(["get"], discoveryURLs)]),
    clusterRole("system:basic-user", [
      rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
      rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
    ]),
    clusterRole("system:public-info-viewer", [urls(["get"], publicInfoURLs)]),
    clusterRole("system:service-account-issuer-discovery", [urls(["get"], issuerDiscoveryURLs)]),
    clusterRoleBinding("cluster-admin", "cluster-admin", ["system:masters"]),
    clusterRoleBinding("system:discovery", "system:discovery", ["system:authenticated"]),
    clusterRoleBinding("system:basic-user", "system:basic-user", ["system:authenticated"]),
    clusterRoleBinding("system:public-info-viewer", "system:public-info-viewer", ["system:authenticated", "system:unauthenticated"]),
    clusterRoleBinding("system:service-account-issuer-discovery", "system:service-account-issuer-discovery", ["system:serviceaccounts"]),
  ];
}
