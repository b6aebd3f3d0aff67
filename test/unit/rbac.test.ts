/**
 * RBAC as a kubectl user meets it through impersonation (`kubectl --as jane`): what a Role or
 * ClusterRole grants through a binding, upstream's 403 messages, the aggregated admin / edit /
 * view roles of the default policy, and who may impersonate.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { impersonatedUser } from "../../src/auth/impersonation";
import { authorizerFor } from "../../src/auth/rbac-objects";
import { cluster, configMap, paths, pod, runLoop, type Cluster } from "./support/cluster";

let c: Cluster;
beforeEach(async () => {
  c = await cluster();
});
afterEach(async () => {
  await c?.closeWatches();
});

const RBAC = "/apis/rbac.authorization.k8s.io/v1";
const as = (user: string, ...groups: string[]) => ({ headers: { "impersonate-user": user, ...(groups.length ? { "impersonate-group": groups.join(",") } : {}) } });

async function bind(namespace: string, name: string, roleRef: { kind: string; name: string }, user: string) {
  const binding = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", ...roleRef },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
  };
  expect((await c.post(`${RBAC}/namespaces/${namespace}/rolebindings`, binding)).status).toBe(201);
}

async function podReader(namespace = "default") {
  const role = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "pod-reader" }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }] };
  expect((await c.post(`${RBAC}/namespaces/${namespace}/roles`, role)).status).toBe(201);
  await bind(namespace, "jane-reads-pods", { kind: "Role", name: "pod-reader" }, "jane");
}

describe("RBAC", () => {
  it("forbids what no binding grants, with kube-apiserver's messages", async () => {
    const list = await c.get(paths.pods(), as("jane"));
    expect(list.status).toBe(403);
    expect(list.body).toMatchObject({
      kind: "Status",
      reason: "Forbidden",
      code: 403,
      message: 'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"',
      details: { kind: "pods" },
    });
    expect((await c.get("/apis/apps/v1/namespaces/default/deployments/web", as("jane"))).body.message).toBe(
      'deployments.apps "web" is forbidden: User "jane" cannot get resource "deployments" in API group "apps" in the namespace "default"',
    );
    expect((await c.get("/api/v1/nodes", as("jane"))).body.message).toBe('nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope');
    expect((await c.get("/logs", as("jane"))).body.message).toBe('forbidden: User "jane" cannot get path "/logs"');
  });

  it("lets every authenticated user discover the API and review itself", async () => {
    expect((await c.get("/api", as("jane"))).status).toBe(200);
    expect((await c.get("/apis/apps/v1", as("jane"))).status).toBe(200);
    expect((await c.get("/version", as("jane"))).status).toBe(200);
    const review = await c.post(
      "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
      { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes: { verb: "list", resource: "pods", namespace: "default" } } },
      as("jane"),
    );
    expect(review.status).toBe(201);
    expect(review.body.status).toEqual({ allowed: false });
  });

  it("grants exactly a Role's rules, in the RoleBinding's namespace only", async () => {
    await c.post(paths.pods(), pod("web"));
    await podReader();
    expect((await c.get(paths.pods(), as("jane"))).status).toBe(200);
    expect((await c.get(paths.pod("web"), as("jane"))).status).toBe(200);
    expect((await c.get(`${paths.pod("web")}/log`, as("jane"))).body.message).toBe(
      'pods "web" is forbidden: User "jane" cannot get resource "pods/log" in API group "" in the namespace "default"',
    );
    expect((await c.del(paths.pod("web"), undefined, as("jane"))).body.message).toBe(
      'pods "web" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace "default"',
    );
    expect((await c.get(paths.pods("kube-system"), as("jane"))).status).toBe(403);
    expect((await c.get(paths.pods(), as("bob"))).status).toBe(403);

    const rules = await c.post(
      "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
      { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectRulesReview", spec: { namespace: "default" } },
      as("jane"),
    );
    expect(rules.body.status.resourceRules).toContainEqual({ verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["pods"] });
    expect(rules.body.status.incomplete).toBe(false);
  });

  it("serves the default view / edit / admin roles, aggregated as upstream", async () => {
    await bind("default", "jane-views", { kind: "ClusterRole", name: "view" }, "jane");
    expect((await c.get(paths.deployments(), as("jane"))).status).toBe(200);
    expect((await c.get(paths.configmaps(), as("jane"))).status).toBe(200);
    expect((await c.get("/api/v1/namespaces/default/secrets", as("jane"))).status).toBe(403);
    expect((await c.post(paths.configmaps(), configMap("x"), as("jane"))).status).toBe(403);

    await bind("default", "bob-edits", { kind: "ClusterRole", name: "edit" }, "bob");
    expect((await c.get("/api/v1/namespaces/default/secrets", as("bob"))).status).toBe(200);
    expect((await c.post(paths.configmaps(), configMap("x"), as("bob"))).status).toBe(201);
    expect((await c.get(`${RBAC}/namespaces/default/roles`, as("bob"))).status).toBe(403);

    await bind("default", "ann-admins", { kind: "ClusterRole", name: "admin" }, "ann");
    expect((await c.get(`${RBAC}/namespaces/default/roles`, as("ann"))).status).toBe(200);
    expect((await c.get(paths.deployments(), as("ann"))).status).toBe(200);
  });

  it("writes the aggregated rules into admin / edit / view, and follows a new aggregate-to role", async () => {
    const rulesOf = async (name: string) => (await c.get(`${RBAC}/clusterroles/${name}`)).body.rules as Record<string, string[]>[];
    expect((await rulesOf("view")).some((r) => r.resources?.includes("pods") && r.verbs!.includes("list"))).toBe(true);
    const viewRules = (await rulesOf("view")).length;
    expect((await rulesOf("admin")).length).toBeGreaterThan(viewRules);
    await bind("default", "jane-views", { kind: "ClusterRole", name: "view" }, "jane");
    expect((await c.get("/apis/example.com/v1/namespaces/default/widgets", as("jane"))).status).not.toBe(200);
    const widgets = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "widget-viewer", labels: { "rbac.authorization.k8s.io/aggregate-to-view": "true" } },
      rules: [{ apiGroups: ["example.com"], resources: ["widgets"], verbs: ["get", "list", "watch"] }],
    };
    expect((await c.post(`${RBAC}/clusterroles`, widgets)).status).toBe(201);
    await runLoop(c.sandbox, c.clock, 1000);
    for (const role of ["view", "edit", "admin"]) expect(await rulesOf(role), role).toContainEqual(widgets.rules[0]);
    const review = await c.post(
      "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
      { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes: { group: "example.com", resource: "widgets", verb: "list", namespace: "default" } } },
      as("jane"),
    );
    expect(review.body.status.allowed).toBe(true);
  });

  it("lists the components' and built-in controllers' roles and bindings, as kubeadm shows them", async () => {
    const role = (await c.get(`${RBAC}/clusterroles/system:controller:deployment-controller`)).body;
    expect(role.metadata.labels).toEqual({ "kubernetes.io/bootstrapping": "rbac-defaults" });
    expect(role.rules).toContainEqual({ verbs: ["get", "list", "update", "watch"], apiGroups: ["apps", "extensions"], resources: ["deployments"] });
    const binding = (await c.get(`${RBAC}/clusterrolebindings/system:controller:deployment-controller`)).body;
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "deployment-controller", namespace: "kube-system" }]);
    const names = (await c.get(`${RBAC}/clusterroles`)).body.items.map((r: { metadata: { name: string } }) => r.metadata.name);
    expect(names.filter((n: string) => n.startsWith("system:controller:")).length).toBeGreaterThan(30);
    expect(names).toEqual(expect.arrayContaining(["system:kube-scheduler", "system:kube-controller-manager", "system:node", "system:node-proxier", "system:auth-delegator"]));
    const scheduler = (await c.get(`${RBAC}/clusterrolebindings/system:kube-scheduler`)).body;
    expect(scheduler.subjects).toEqual([{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "system:kube-scheduler" }]);
    expect((await c.get(`${RBAC}/clusterrolebindings/system:node`)).body.subjects).toBeUndefined();
    const kubeSystem = (await c.get(`${RBAC}/namespaces/kube-system/roles`)).body.items.map((r: { metadata: { name: string } }) => r.metadata.name);
    expect(kubeSystem).toEqual(expect.arrayContaining(["extension-apiserver-authentication-reader", "system::leader-locking-kube-scheduler", "system:controller:token-cleaner"]));
    const lease = (await c.get(`${RBAC}/namespaces/kube-system/rolebindings/system::leader-locking-kube-scheduler`)).body;
    expect(lease.subjects).toEqual([
      { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "system:kube-scheduler" },
      { kind: "ServiceAccount", name: "kube-scheduler", namespace: "kube-system" },
    ]);
    // What kubeadm init adds, unlabelled.
    const getNodes = (await c.get(`${RBAC}/clusterrolebindings/kubeadm:get-nodes`)).body;
    expect(getNodes.metadata.labels).toBeUndefined();
    expect(getNodes.roleRef.name).toBe("kubeadm:get-nodes");
    expect(getNodes.subjects).toEqual([{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "system:bootstrappers:kubeadm:default-node-token" }]);
    expect((await c.get(`${RBAC}/clusterrolebindings/kubeadm:cluster-admins`)).body.roleRef.name).toBe("cluster-admin");
    expect((await c.get(`${RBAC}/namespaces/kube-public/rolebindings/kubeadm:bootstrap-signer-clusterinfo`)).body.subjects).toEqual([
      { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "system:anonymous" },
    ]);
  });

  it("names a binding to a missing role as the reason of a denial", async () => {
    await bind("default", "dangling", { kind: "Role", name: "ghost" }, "jane");
    expect((await c.get(paths.pods(), as("jane"))).body.message).toBe(
      'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default": RBAC: role.rbac.authorization.k8s.io "ghost" not found',
    );
  });

  it("allows impersonation only with the impersonate verb", async () => {
    const authorizer = authorizerFor(c.sandbox.registry);
    const jane = { username: "jane", groups: ["system:authenticated"] };
    const asBob = new Headers({ "impersonate-user": "bob" });
    expect(() => impersonatedUser(asBob, jane, authorizer)).toThrow(
      'users "bob" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    const role = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "impersonate-bob" }, rules: [{ apiGroups: [""], resources: ["users"], verbs: ["impersonate"], resourceNames: ["bob"] }] };
    expect((await c.post(`${RBAC}/clusterroles`, role)).status).toBe(201);
    const crb = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "jane-as-bob" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "impersonate-bob" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "jane" }],
    };
    expect((await c.post(`${RBAC}/clusterrolebindings`, crb)).status).toBe(201);
    expect(impersonatedUser(asBob, jane, authorizer)).toEqual({ username: "bob", groups: ["system:authenticated"] });
    expect(() => impersonatedUser(new Headers({ "impersonate-user": "carol" }), jane, authorizer)).toThrow(/users "carol" is forbidden/);
    expect(() => impersonatedUser(new Headers({ "impersonate-user": "bob", "impersonate-group": "system:masters" }), jane, authorizer)).toThrow(
      'groups "system:masters" is forbidden: User "jane" cannot impersonate resource "groups" in API group "" at the cluster scope',
    );
    // The sandbox admin may act as anyone (`kubectl --as bob --as-group devs auth whoami`).
    const whoami = await c.post("/apis/authentication.k8s.io/v1/selfsubjectreviews", { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }, as("bob", "devs"));
    expect(whoami.body.status.userInfo).toEqual({ username: "bob", groups: ["devs", "system:authenticated"] });
  });

  it("prevents escalation: roles only with rules held, bindings only of roles held or with bind", async () => {
    await podReader();
    const manager = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "rbac-writer" }, rules: [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"], verbs: ["create", "update"] }] };
    expect((await c.post(`${RBAC}/namespaces/default/roles`, manager)).status).toBe(201);
    await bind("default", "jane-writes-rbac", { kind: "Role", name: "rbac-writer" }, "jane");

    const role = (name: string, resources: string[]) => ({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name }, rules: [{ apiGroups: [""], resources, verbs: ["get"] }] });
    expect((await c.post(`${RBAC}/namespaces/default/roles`, role("pods-too", ["pods"]), as("jane"))).status).toBe(201);
    const escalating = await c.post(`${RBAC}/namespaces/default/roles`, role("secrets-too", ["secrets"]), as("jane"));
    expect(escalating.status).toBe(403);
    expect(escalating.body.message).toBe(
      'roles.rbac.authorization.k8s.io "secrets-too" is forbidden: user "jane" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}',
    );

    const binding = (name: string, roleRef: Record<string, string>) => ({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", ...roleRef },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "bob" }],
    });
    expect((await c.post(`${RBAC}/namespaces/default/rolebindings`, binding("bob-reads", { kind: "Role", name: "pod-reader" }), as("jane"))).status).toBe(201);
    const bindEdit = await c.post(`${RBAC}/namespaces/default/rolebindings`, binding("bob-edits", { kind: "ClusterRole", name: "edit" }), as("jane"));
    expect(bindEdit.status).toBe(403);
    expect(bindEdit.body.message).toMatch(/^rolebindings\.rbac\.authorization\.k8s\.io "bob-edits" is forbidden: user "jane" .* is attempting to grant RBAC permissions not currently held:\n/);

    const binder = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "edit-binder" }, rules: [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"], resourceNames: ["edit"] }] };
    expect((await c.post(`${RBAC}/namespaces/default/roles`, binder)).status).toBe(201);
    await bind("default", "jane-binds-edit", { kind: "Role", name: "edit-binder" }, "jane");
    expect((await c.post(`${RBAC}/namespaces/default/rolebindings`, binding("bob-edits", { kind: "ClusterRole", name: "edit" }), as("jane"))).status).toBe(201);
  });

  it("refuses bindings upstream refuses", async () => {
    const bad = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "bad" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "x" },
      subjects: [{ kind: "ServiceAccount", name: "default" }],
    };
    const res = await c.post(`${RBAC}/clusterrolebindings`, bad);
    expect(res.status).toBe(422);
    expect(res.body.message).toContain('roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"');
    expect(res.body.message).toContain("subjects[0].namespace: Required value");
  });
});
