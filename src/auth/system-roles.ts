/**
 * The `system:` roles kube-apiserver bootstraps for the cluster's components
 * (plugin/pkg/auth/authorizer/rbac/bootstrappolicy): the scheduler, controller manager, nodes,
 * kube-proxy, DNS, monitoring, certificate approvers… and one `system:controller:<name>` role per
 * kube-controller-manager controller, bound to the ServiceAccount `kube-system/<name>` — as a
 * kubeadm cluster lists them. A sandbox's own components run inside it, not as these identities:
 * the roles are there to read, describe and bind.
 *
 * Rule notation: space-separated lists; the core group is spelt `core`.
 */
import type { KObject } from "../registry/types";

type PolicyRule = Record<string, string[]>;

const words = (s: string) => s.split(" ").filter(Boolean);
const READ = "get list watch";
const EVENTS = "create patch update";

function rule(verbs: string, groups: string, resources: string, names?: string): PolicyRule {
  const r: PolicyRule = { verbs: words(verbs), apiGroups: words(groups).map((g) => (g === "core" ? "" : g)), resources: words(resources) };
  if (names) r.resourceNames = words(names);
  return r;
}
const urls = (verbs: string, paths: string): PolicyRule => ({ verbs: words(verbs), nonResourceURLs: words(paths) });
/** Every controller may record events, in both event APIs. */
const eventsRule = rule(EVENTS, "core events.k8s.io", "events");
const leaderLease = (name: string) => [rule("create", "coordination.k8s.io", "leases"), rule("get update", "coordination.k8s.io", "leases", name)];
const reviews = [rule("create", "authentication.k8s.io", "tokenreviews"), rule("create", "authorization.k8s.io", "subjectaccessreviews")];
const approver = (signer: string) => [rule("approve", "certificates.k8s.io", "signers", `kubernetes.io/${signer}`)];

/** The components' roles: name → rules. */
const componentRoles: [string, PolicyRule[]][] = [
  ["system:auth-delegator", reviews],
  ["system:certificates.k8s.io:certificatesigningrequests:nodeclient", [rule("create", "certificates.k8s.io", "certificatesigningrequests/nodeclient")]],
  ["system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", [rule("create", "certificates.k8s.io", "certificatesigningrequests/selfnodeclient")]],
  ["system:certificates.k8s.io:kube-apiserver-client-approver", approver("kube-apiserver-client")],
  ["system:certificates.k8s.io:kube-apiserver-client-kubelet-approver", approver("kube-apiserver-client-kubelet")],
  ["system:certificates.k8s.io:kubelet-serving-approver", approver("kubelet-serving")],
  ["system:certificates.k8s.io:legacy-unknown-approver", approver("legacy-unknown")],
  ["system:heapster", [rule(READ, "core", "events namespaces nodes pods"), rule(READ, "extensions", "deployments")]],
  ["system:kube-aggregator", [rule(READ, "core", "endpoints services")]],
  ["system:kube-controller-manager", [
    eventsRule,
    ...leaderLease("kube-controller-manager"),
    rule("create", "core", "secrets serviceaccounts"),
    rule("delete", "core", "secrets"),
    rule("get", "core", "configmaps namespaces secrets serviceaccounts"),
    rule("update", "core", "secrets serviceaccounts"),
    ...reviews,
    rule("list watch", "*", "*"),
    rule("create", "core", "serviceaccounts/token"),
  ]],
  ["system:kube-dns", [rule("list watch", "core", "endpoints services")]],
  ["system:kube-scheduler", [
    eventsRule,
    ...leaderLease("kube-scheduler"),
    rule(READ, "core", "nodes"),
    rule(`delete ${READ}`, "core", "pods"),
    rule("create", "core", "bindings pods/binding"),
    rule("patch update", "core", "pods/status"),
    rule(READ, "core", "replicationcontrollers services"),
    rule(READ, "apps extensions", "replicasets"),
    rule(READ, "apps", "statefulsets"),
    rule(READ, "policy", "poddisruptionbudgets"),
    rule(READ, "core", "persistentvolumeclaims persistentvolumes"),
    ...reviews,
    rule(READ, "storage.k8s.io", "csinodes"),
    rule(READ, "core", "namespaces"),
    rule(READ, "storage.k8s.io", "csidrivers"),
    rule(READ, "storage.k8s.io", "csistoragecapacities"),
  ]],
  ["system:kubelet-api-admin", [rule(READ, "core", "nodes"), rule("proxy", "core", "nodes"), rule("*", "core", "nodes/log nodes/metrics nodes/proxy nodes/stats")]],
  ["system:monitoring", [urls("get", "/healthz /healthz/* /livez /livez/* /metrics /metrics/slis /readyz /readyz/*")]],
  ["system:node", [
    rule("create", "authentication.k8s.io", "tokenreviews"),
    rule("create", "authorization.k8s.io", "localsubjectaccessreviews subjectaccessreviews"),
    rule(READ, "core", "services"),
    rule(`create ${READ}`, "core", "nodes"),
    rule("patch update", "core", "nodes/status"),
    rule("patch update", "core", "nodes"),
    rule(EVENTS, "core", "events"),
    rule(READ, "core", "pods"),
    rule("create delete", "core", "pods"),
    rule("patch update", "core", "pods/status"),
    rule("create", "core", "pods/eviction"),
    rule(READ, "core", "configmaps secrets"),
    rule("get", "core", "persistentvolumeclaims persistentvolumes"),
    rule("get", "core", "endpoints"),
    rule(`create ${READ}`, "certificates.k8s.io", "certificatesigningrequests"),
    rule("create delete get patch update", "coordination.k8s.io", "leases"),
    rule("get", "storage.k8s.io", "volumeattachments"),
    rule("create", "core", "serviceaccounts/token"),
    rule("get patch update", "core", "persistentvolumeclaims/status"),
    rule(READ, "storage.k8s.io", "csidrivers"),
    rule("create delete get patch update", "storage.k8s.io", "csinodes"),
    rule(READ, "node.k8s.io", "runtimeclasses"),
  ]],
  ["system:node-bootstrapper", [rule(`create ${READ}`, "certificates.k8s.io", "certificatesigningrequests")]],
  ["system:node-problem-detector", [rule("get", "core", "nodes"), rule("patch", "core", "nodes/status"), eventsRule]],
  ["system:node-proxier", [rule("list watch", "core", "endpoints services"), rule(READ, "core", "nodes"), eventsRule, rule("list watch", "discovery.k8s.io", "endpointslices")]],
  ["system:persistent-volume-provisioner", [
    rule(`create delete ${READ}`, "core", "persistentvolumes"),
    rule("get list update watch", "core", "persistentvolumeclaims"),
    rule(READ, "storage.k8s.io", "storageclasses"),
    rule("watch", "core", "events"),
    eventsRule,
  ]],
  ["system:volume-scheduler", [
    rule("get list patch update watch", "core", "persistentvolumes"),
    rule(READ, "storage.k8s.io", "storageclasses"),
    rule("get list patch update watch", "core", "persistentvolumeclaims"),
  ]],
];

/** The components' bindings: name (= role) → subjects (`User:…`, `Group:…`, `SA:<ns>/<name>`); none for system:node (the Node authorizer's). */
const componentBindings: [string, string[]][] = [
  ["system:kube-controller-manager", ["User:system:kube-controller-manager"]],
  ["system:kube-dns", ["SA:kube-system/kube-dns"]],
  ["system:kube-scheduler", ["User:system:kube-scheduler"]],
  ["system:monitoring", ["Group:system:monitoring"]],
  ["system:node", []],
  ["system:node-proxier", ["User:system:kube-proxy"]],
  ["system:volume-scheduler", ["User:system:kube-scheduler"]],
];

const controllerRules: Record<string, PolicyRule[]> = {
  "attachdetach-controller": [
    rule("list watch", "core", "persistentvolumeclaims persistentvolumes"),
    rule(READ, "core", "nodes"),
    rule("patch update", "core", "nodes/status"),
    rule("list watch", "core", "pods"),
    eventsRule,
    rule(`create delete ${READ}`, "storage.k8s.io", "volumeattachments"),
    rule(READ, "storage.k8s.io", "csidrivers"),
    rule(READ, "storage.k8s.io", "csinodes"),
  ],
  "certificate-controller": [
    rule(`delete ${READ}`, "certificates.k8s.io", "certificatesigningrequests"),
    rule("update", "certificates.k8s.io", "certificatesigningrequests/approval certificatesigningrequests/status"),
    rule("approve", "certificates.k8s.io", "signers", "kubernetes.io/kube-apiserver-client-kubelet"),
    rule("sign", "certificates.k8s.io", "signers", "kubernetes.io/kube-apiserver-client kubernetes.io/kube-apiserver-client-kubelet kubernetes.io/kubelet-serving kubernetes.io/legacy-unknown"),
    rule("create", "authorization.k8s.io", "subjectaccessreviews"),
    eventsRule,
  ],
  "clusterrole-aggregation-controller": [rule("escalate get list patch update watch", "rbac.authorization.k8s.io", "clusterroles")],
  "cronjob-controller": [
    rule("get list update watch", "batch", "cronjobs"),
    rule(`create delete ${READ} patch update`, "batch", "jobs"),
    rule("update", "batch", "cronjobs/status"),
    rule("update", "batch", "cronjobs/finalizers"),
    rule("delete list watch", "core", "pods"),
    eventsRule,
  ],
  "daemon-set-controller": [
    rule(READ, "apps extensions", "daemonsets"),
    rule("update", "apps extensions", "daemonsets/status"),
    rule("update", "apps extensions", "daemonsets/finalizers"),
    rule("list watch", "core", "nodes"),
    rule("create delete list patch watch", "core", "pods"),
    rule("create", "core", "pods/binding"),
    rule(`create delete ${READ} patch update`, "apps", "controllerrevisions"),
    eventsRule,
  ],
  "deployment-controller": [
    rule("get list update watch", "apps extensions", "deployments"),
    rule("update", "apps extensions", "deployments/status"),
    rule("update", "apps extensions", "deployments/finalizers"),
    rule(`create delete ${READ} patch update`, "apps extensions", "replicasets"),
    rule("get list update watch", "core", "pods"),
    eventsRule,
  ],
  "disruption-controller": [
    rule(READ, "apps extensions", "deployments"),
    rule(READ, "apps extensions", "replicasets"),
    rule(READ, "core", "replicationcontrollers"),
    rule(READ, "policy", "poddisruptionbudgets"),
    rule(READ, "apps", "statefulsets"),
    rule("update", "policy", "poddisruptionbudgets/status"),
    rule("patch update", "core", "pods/status"),
    rule("get", "*", "*/scale"),
    eventsRule,
  ],
  "endpoint-controller": [
    rule(READ, "core", "pods services"),
    rule(`create delete ${READ} update`, "core", "endpoints"),
    rule("create", "core", "endpoints/restricted"),
    eventsRule,
  ],
  "endpointslice-controller": [
    rule(READ, "core", "nodes pods services"),
    rule("update", "core", "services/finalizers"),
    rule(`create delete ${READ} update`, "discovery.k8s.io", "endpointslices"),
    eventsRule,
  ],
  "endpointslicemirroring-controller": [
    rule(READ, "core", "endpoints services"),
    rule("update", "core", "services/finalizers"),
    rule("update", "core", "endpoints/finalizers"),
    rule(`create delete ${READ} update`, "discovery.k8s.io", "endpointslices"),
    eventsRule,
  ],
  "ephemeral-volume-controller": [
    rule(READ, "core", "pods"),
    rule("update", "core", "pods/finalizers"),
    rule(`create ${READ}`, "core", "persistentvolumeclaims"),
    eventsRule,
  ],
  "expand-controller": [
    rule("get list patch update watch", "core", "persistentvolumes"),
    rule("patch update", "core", "persistentvolumeclaims/status"),
    rule(READ, "core", "persistentvolumeclaims"),
    eventsRule,
  ],
  "generic-garbage-collector": [rule(`delete ${READ} patch update`, "*", "*"), eventsRule],
  "horizontal-pod-autoscaler": [
    rule(READ, "autoscaling", "horizontalpodautoscalers"),
    rule("update", "autoscaling", "horizontalpodautoscalers/status"),
    rule("get update", "*", "*/scale"),
    rule("list watch", "core", "pods"),
    rule("list watch", "metrics.k8s.io", "pods"),
    rule(READ, "custom.metrics.k8s.io", "*"),
    rule(READ, "external.metrics.k8s.io", "*"),
    eventsRule,
  ],
  "job-controller": [
    rule("get list patch update watch", "batch", "jobs"),
    rule("update", "batch", "jobs/status"),
    rule("update", "batch", "jobs/finalizers"),
    rule("create delete list patch watch", "core", "pods"),
    eventsRule,
  ],
  "legacy-service-account-token-cleaner": [
    rule("get", "core", "configmaps", "kube-apiserver-legacy-service-account-token-tracking"),
    rule("delete patch", "core", "secrets"),
  ],
  "namespace-controller": [
    rule(`delete ${READ}`, "core", "namespaces"),
    rule("update", "core", "namespaces/finalize namespaces/status"),
    rule(`delete deletecollection ${READ}`, "*", "*"),
  ],
  "node-controller": [
    rule(`delete ${READ} patch update`, "core", "nodes"),
    rule("patch update", "core", "nodes/status"),
    rule("patch update", "core", "pods/status"),
    rule(`delete ${READ}`, "core", "pods"),
    eventsRule,
  ],
  "persistent-volume-binder": [
    rule(`create delete ${READ} update`, "core", "persistentvolumes"),
    rule("update", "core", "persistentvolumes/status"),
    rule("get list update watch", "core", "persistentvolumeclaims"),
    rule("update", "core", "persistentvolumeclaims/status"),
    rule(`create delete ${READ}`, "core", "pods"),
    rule(READ, "storage.k8s.io", "storageclasses"),
    rule("list watch", "core", "nodes"),
    eventsRule,
    rule("watch", "core", "events"),
  ],
  "pod-garbage-collector": [rule("delete list watch", "core", "pods"), rule(READ, "core", "nodes"), rule("patch", "core", "pods/status")],
  "pv-protection-controller": [rule("get list update watch", "core", "persistentvolumes"), eventsRule],
  "pvc-protection-controller": [
    rule("get list update watch", "core", "persistentvolumeclaims"),
    rule("update", "core", "persistentvolumeclaims/status"),
    rule(READ, "core", "pods"),
    eventsRule,
  ],
  "replicaset-controller": [
    rule("get list update watch", "apps extensions", "replicasets"),
    rule("update", "apps extensions", "replicasets/status"),
    rule("update", "apps extensions", "replicasets/finalizers"),
    rule("create delete list patch watch", "core", "pods"),
    eventsRule,
  ],
  "replication-controller": [
    rule("get list update watch", "core", "replicationcontrollers"),
    rule("update", "core", "replicationcontrollers/status"),
    rule("update", "core", "replicationcontrollers/finalizers"),
    rule("create delete list patch watch", "core", "pods"),
    eventsRule,
  ],
  "resourcequota-controller": [rule("list watch", "*", "*"), rule("update", "core", "resourcequotas/status"), eventsRule],
  "root-ca-cert-publisher": [rule("create update", "core", "configmaps"), eventsRule],
  "route-controller": [rule("list watch", "core", "nodes"), rule("patch", "core", "nodes/status"), eventsRule],
  "service-account-controller": [rule("create", "core", "serviceaccounts"), eventsRule],
  "service-cidrs-controller": [
    rule("get list patch update watch", "networking.k8s.io", "servicecidrs"),
    rule("patch update", "networking.k8s.io", "servicecidrs/finalizers"),
    rule("patch update", "networking.k8s.io", "servicecidrs/status"),
    rule(READ, "networking.k8s.io", "ipaddresses"),
    eventsRule,
  ],
  "service-controller": [rule(READ, "core", "services"), rule("patch update", "core", "services/status"), rule("list watch", "core", "nodes"), eventsRule],
  "statefulset-controller": [
    rule("list watch", "core", "pods"),
    rule(READ, "apps", "statefulsets"),
    rule("update", "apps", "statefulsets/status"),
    rule("update", "apps", "statefulsets/finalizers"),
    rule("create delete get patch update", "core", "pods"),
    rule(`create delete ${READ} patch update`, "apps", "controllerrevisions"),
    rule(`create ${READ}`, "core", "persistentvolumeclaims"),
    rule("delete update", "core", "persistentvolumeclaims"),
    rule("update", "core", "pods/finalizers"),
    eventsRule,
  ],
  "ttl-after-finished-controller": [rule(`delete ${READ}`, "batch", "jobs"), eventsRule],
  "ttl-controller": [rule("list patch update watch", "core", "nodes"), eventsRule],
  "validatingadmissionpolicy-status-controller": [
    rule(READ, "admissionregistration.k8s.io", "validatingadmissionpolicies"),
    rule("get patch update", "admissionregistration.k8s.io", "validatingadmissionpolicies/status"),
    eventsRule,
  ],
};

const RBAC = "rbac.authorization.k8s.io";

const leaderLocking = [rule("create get list update watch", "coordination.k8s.io", "leases"), rule("create get list update watch", "coordination.k8s.io", "leasecandidates")];

/** kube-apiserver's Roles in kube-system and kube-public: [namespace, name, rules]. */
const namespacedRoles: [string, string, PolicyRule[]][] = [
  ["kube-public", "system:controller:bootstrap-signer", [rule(READ, "core", "configmaps"), rule("update", "core", "configmaps", "cluster-info"), eventsRule]],
  ["kube-system", "extension-apiserver-authentication-reader", [rule(READ, "core", "configmaps", "extension-apiserver-authentication")]],
  ["kube-system", "system::leader-locking-kube-controller-manager", leaderLocking],
  ["kube-system", "system::leader-locking-kube-scheduler", leaderLocking],
  ["kube-system", "system:controller:bootstrap-signer", [rule(READ, "core", "secrets")]],
  ["kube-system", "system:controller:cloud-provider", [rule(`create ${READ}`, "core", "configmaps")]],
  ["kube-system", "system:controller:token-cleaner", [rule(`delete ${READ}`, "core", "secrets"), eventsRule]],
];

/** Their RoleBindings: [namespace, name, role, subjects]. */
const namespacedBindings: [string, string, string, string[]][] = [
  ["kube-public", "system:controller:bootstrap-signer", "system:controller:bootstrap-signer", ["SA:kube-system/bootstrap-signer"]],
  ["kube-system", "system::extension-apiserver-authentication-reader", "extension-apiserver-authentication-reader", ["User:system:kube-controller-manager", "User:system:kube-scheduler"]],
  ["kube-system", "system::leader-locking-kube-controller-manager", "system::leader-locking-kube-controller-manager", ["User:system:kube-controller-manager", "SA:kube-system/kube-controller-manager", "SA:kube-system/leader-election-controller"]],
  ["kube-system", "system::leader-locking-kube-scheduler", "system::leader-locking-kube-scheduler", ["User:system:kube-scheduler", "SA:kube-system/kube-scheduler"]],
  ["kube-system", "system:controller:bootstrap-signer", "system:controller:bootstrap-signer", ["SA:kube-system/bootstrap-signer"]],
  ["kube-system", "system:controller:cloud-provider", "system:controller:cloud-provider", ["SA:kube-system/cloud-provider"]],
  ["kube-system", "system:controller:token-cleaner", "system:controller:token-cleaner", ["SA:kube-system/token-cleaner"]],
];

type Meta = () => { labels?: Record<string, string>; annotations?: Record<string, string> };

/** `User:…`, `Group:…` and `SA:<namespace>/<name>` as RBAC subjects. */
function subject(spec: string): Record<string, string> {
  const [kind, ...rest] = spec.split(":");
  const name = rest.join(":");
  if (kind !== "SA") return { apiGroup: RBAC, kind: kind!, name };
  const [namespace, account] = name.split("/");
  return { kind: "ServiceAccount", name: account!, namespace: namespace! };
}

const clusterRole = (name: string, rules: PolicyRule[], meta: Meta): KObject => ({ apiVersion: `${RBAC}/v1`, kind: "ClusterRole", metadata: { name, ...meta() }, rules });

function clusterRoleBinding(name: string, subjects: string[], meta: Meta): KObject {
  const binding: KObject = { apiVersion: `${RBAC}/v1`, kind: "ClusterRoleBinding", metadata: { name, ...meta() }, roleRef: { apiGroup: RBAC, kind: "ClusterRole", name } };
  if (subjects.length) binding.subjects = subjects.map(subject);
  return binding;
}

/** The components' and controllers' ClusterRoles and bindings, and the kube-system / kube-public Roles, labelled and annotated by `meta`. */
export function systemRoles(meta: Meta): KObject[] {
  return [
    ...componentRoles.map(([name, rules]) => clusterRole(name, rules, meta)),
    ...componentBindings.map(([name, subjects]) => clusterRoleBinding(name, subjects, meta)),
    ...Object.entries(controllerRules).flatMap(([controller, rules]) => [
      clusterRole(`system:controller:${controller}`, rules, meta),
      clusterRoleBinding(`system:controller:${controller}`, [`SA:kube-system/${controller}`], meta),
    ]),
    ...namespacedRoles.map(([namespace, name, rules]): KObject => ({ apiVersion: `${RBAC}/v1`, kind: "Role", metadata: { name, namespace, ...meta() }, rules })),
    ...namespacedBindings.map(([namespace, name, role, subjects]): KObject => ({
      apiVersion: `${RBAC}/v1`,
      kind: "RoleBinding",
      metadata: { name, namespace, ...meta() },
      roleRef: { apiGroup: RBAC, kind: "Role", name: role },
      subjects: subjects.map(subject),
    })),
  ];
}

/** The group of kubeadm's default bootstrap token (nodes joining the cluster). */
const NODE_TOKEN_GROUP = "Group:system:bootstrappers:kubeadm:default-node-token";
const none = () => ({});

/** What `kubeadm init` writes besides kube-apiserver's policy (unlabelled, as kubeadm leaves them). */
export function kubeadmObjects(): KObject[] {
  const role = (namespace: string, name: string, rules: PolicyRule[]): KObject => ({ apiVersion: `${RBAC}/v1`, kind: "Role", metadata: { name, namespace }, rules });
  const roleBinding = (namespace: string, name: string, subjects: string[]): KObject => ({
    apiVersion: `${RBAC}/v1`,
    kind: "RoleBinding",
    metadata: { name, namespace },
    roleRef: { apiGroup: RBAC, kind: "Role", name },
    subjects: subjects.map(subject),
  });
  const bindClusterRole = (name: string, roleName: string, subjects: string[]): KObject => ({ ...clusterRoleBinding(roleName, subjects, none), metadata: { name } });
  return [
    bindClusterRole("kubeadm:cluster-admins", "cluster-admin", ["Group:kubeadm:cluster-admins"]),
    clusterRole("kubeadm:get-nodes", [rule("get", "core", "nodes")], none),
    bindClusterRole("kubeadm:get-nodes", "kubeadm:get-nodes", [NODE_TOKEN_GROUP]),
    bindClusterRole("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", [NODE_TOKEN_GROUP]),
    bindClusterRole("kubeadm:node-autoapprove-bootstrap", "system:certificates.k8s.io:certificatesigningrequests:nodeclient", [NODE_TOKEN_GROUP]),
    bindClusterRole("kubeadm:node-autoapprove-certificate-rotation", "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", ["Group:system:nodes"]),
    role("kube-system", "kubeadm:kubelet-config", [rule("get", "core", "configmaps", "kubelet-config")]),
    roleBinding("kube-system", "kubeadm:kubelet-config", ["Group:system:nodes", NODE_TOKEN_GROUP]),
    role("kube-system", "kubeadm:nodes-kubeadm-config", [rule("get", "core", "configmaps", "kubeadm-config")]),
    roleBinding("kube-system", "kubeadm:nodes-kubeadm-config", ["Group:system:nodes", NODE_TOKEN_GROUP]),
    role("kube-public", "kubeadm:bootstrap-signer-clusterinfo", [rule("get", "core", "configmaps", "cluster-info")]),
    roleBinding("kube-public", "kubeadm:bootstrap-signer-clusterinfo", ["User:system:anonymous"]),
  ];
}
