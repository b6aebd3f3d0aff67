/**
 * RBAC end to end with kubectl 1.33 and impersonation (`--as`): a namespaced Role grants exactly
 * its rules, `auth can-i` answers from them, denials read as kube-apiserver's, and impersonating
 * needs the `impersonate` verb.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, kubectlBinary, kubectlCommands, type SandboxHandle } from "./support/sandbox";

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

  it("shows the default policy and bindings as kubeadm does", () => {
    expect(ok("get", "clusterrolebinding", "cluster-admin", "-o", "wide")).toMatch(/^cluster-admin\s+ClusterRole\/cluster-admin\s+\S+\s+system:masters/m);
    expect(ok("get", "clusterroles")).toMatch(/^view\s+\S+$/m);
  });
});
