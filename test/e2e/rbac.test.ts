/**
 * Identities and RBAC end to end with kubectl 1.33: impersonation (`--as`), users created through
 * the management API, ServiceAccount tokens from `kubectl create token`, and admin token rotation.
 * A namespaced Role grants exactly its rules and `auth can-i` answers from them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { api, createSandbox, kubectl, kubectlBinary, kubectlCommands, type SandboxHandle } from "./support/sandbox";

const binary = kubectlBinary("1.33");

describe.skipIf(!binary)("RBAC with kubectl 1.33", () => {
  let sandbox: SandboxHandle;
  const { run, ok } = kubectlCommands(binary, () => sandbox);

  beforeAll(async () => {
    sandbox = await createSandbox({ name: "rbac", addons: false });
    ok("create", "namespace", "team");
    ok("create", "role", "pod-reader", "-n", "team", "--verb=get,list,watch", "--resource=pods");
    ok("create", "rolebinding", "jane-reads", "-n", "team", "--role=pod-reader", "--user=jane");
  });
  afterAll(async () => {
    await sandbox?.delete();
  });

  it("lets jane do exactly what her Role grants", () => {
    expect(run("get", "pods", "-n", "team", "--as", "jane").stderr).toMatch(/No resources found in team namespace/);
    const denied = run("get", "pods", "-n", "default", "--as", "jane");
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"');
    const create = run("create", "configmap", "x", "-n", "team", "--as", "jane");
    expect(create.stderr).toContain('configmaps is forbidden: User "jane" cannot create resource "configmaps" in API group "" in the namespace "team"');
  });

  it("answers auth can-i from the Role, also with --list", () => {
    expect(ok("auth", "can-i", "list", "pods", "-n", "team", "--as", "jane")).toBe("yes\n");
    const no = run("auth", "can-i", "delete", "pods", "-n", "team", "--as", "jane");
    expect(no.stdout).toBe("no\n");
    const list = ok("auth", "can-i", "--list", "-n", "team", "--as", "jane");
    expect(list).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    expect(list).toMatch(/^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
  });

  it("grants the default edit role through a ClusterRole binding", () => {
    ok("create", "rolebinding", "bob-edits", "-n", "team", "--clusterrole=edit", "--user=bob");
    expect(ok("create", "configmap", "cfg", "-n", "team", "--from-literal=a=b", "--as", "bob")).toBe("configmap/cfg created\n");
    expect(run("get", "roles", "-n", "team", "--as", "bob").stderr).toContain('roles.rbac.authorization.k8s.io is forbidden: User "bob" cannot list resource "roles"');
  });

  it("gives a user created through the management API a kubeconfig that RBAC governs", async () => {
    const res = await api(`/v1/sandboxes/${sandbox.id}/users`, { method: "POST", body: JSON.stringify({ name: "jane", groups: ["devs"] }) });
    expect(res.status).toBe(201);
    const { kubeconfig } = (await res.json()) as { kubeconfig: string };
    const janeConfig = path.join(sandbox.home, "jane.kubeconfig");
    writeFileSync(janeConfig, kubeconfig);
    const jane = (...args: string[]) => kubectl(binary!, { ...sandbox, kubeconfigPath: janeConfig }, args);
    expect(jane("auth", "whoami").stdout).toMatch(/Username\s+jane\n.*Groups\s+\[devs system:authenticated\]/s);
    expect(jane("get", "pods", "-n", "team").stderr).toMatch(/No resources found/);
    expect(jane("get", "secrets", "-n", "team").stderr).toContain('secrets is forbidden: User "jane" cannot list resource "secrets"');
  });

  it("authenticates a ServiceAccount token from kubectl create token until the account is deleted", () => {
    ok("create", "serviceaccount", "robot", "-n", "team");
    const token = ok("create", "token", "robot", "-n", "team", "--duration=15m").trim();
    expect(ok("auth", "whoami", "--token", token)).toMatch(/Username\s+system:serviceaccount:team:robot/);
    ok("delete", "serviceaccount", "robot", "-n", "team");
    expect(run("auth", "whoami", "--token", token).stderr).toMatch(/Unauthorized/);
  });

  it("shows the default policy and bindings as kubeadm does", () => {
    expect(ok("get", "clusterrolebinding", "cluster-admin", "-o", "wide")).toMatch(/^cluster-admin\s+ClusterRole\/cluster-admin\s+\S+\s+system:masters/m);
    expect(ok("get", "clusterroles")).toMatch(/^view\s+\S+$/m);
  });

  // Last: the rotation invalidates this sandbox's kubeconfig for the tests above.
  it("rotates the admin token: the old kubeconfig stops working, the new one works", async () => {
    const res = await api(`/v1/sandboxes/${sandbox.id}/token:rotate`, { method: "POST" });
    expect(res.status).toBe(200);
    const { kubeconfig } = (await res.json()) as { kubeconfig: string };
    expect(run("get", "ns").stderr).toMatch(/Unauthorized/);
    writeFileSync(sandbox.kubeconfigPath, kubeconfig);
    expect(ok("get", "ns", "team")).toMatch(/^team\s+Active/m);
  });
});
