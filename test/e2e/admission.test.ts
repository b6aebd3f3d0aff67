/**
 * Admission by namespace policy with kubectl 1.33: LimitRange defaults land in pods, a
 * ResourceQuota refuses what exceeds it with upstream's message and `describe` shows its usage,
 * Pod Security levels are enforced and warned, and the system namespaces cannot be deleted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, eventually, kubectl, kubectlBinary, kubectlCommands, type SandboxHandle } from "./support/sandbox";

const binary = kubectlBinary("1.33");

describe.skipIf(!binary)("admission with kubectl 1.33", () => {
  let sandbox: SandboxHandle;
  const { run, ok } = kubectlCommands(binary, () => sandbox);
  const apply = (manifest: object) => {
    const r = kubectl(binary!, sandbox, ["apply", "-f", "-"], JSON.stringify(manifest));
    expect(r.stderr).toBe("");
  };

  beforeAll(async () => {
    sandbox = await createSandbox({ name: "admission", addons: false, speed: 50 });
    ok("create", "namespace", "team");
  });
  afterAll(async () => {
    await sandbox?.delete();
  });

  it("applies a LimitRange's defaults to a pod without resources", () => {
    apply({ apiVersion: "v1", kind: "LimitRange", metadata: { name: "defaults", namespace: "team" }, spec: { limits: [{ type: "Container", default: { cpu: "500m", memory: "128Mi" } }] } });
    ok("run", "web", "-n", "team", "--image=nginx:1.27");
    expect(ok("get", "pod", "web", "-n", "team", "-o", "jsonpath={.spec.containers[0].resources}")).toBe(
      '{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"500m","memory":"128Mi"}}',
    );
  });

  it("refuses what exceeds a ResourceQuota, and describes its usage", async () => {
    ok("create", "quota", "small", "-n", "team", "--hard=pods=2,count/configmaps=5");
    ok("run", "second", "-n", "team", "--image=nginx:1.27");
    const refused = run("run", "third", "-n", "team", "--image=nginx:1.27");
    expect(refused.stderr).toContain('Error from server (Forbidden): pods "third" is forbidden: exceeded quota: small, requested: pods=1, used: pods=2, limited: pods=2');
    const described = await eventually(() => ok("describe", "quota", "small", "-n", "team"), (out) => /pods\s+2\s+2/.test(out));
    expect(described).toMatch(/^pods\s+2\s+2$/m);
    expect(ok("get", "quota", "-n", "team")).toMatch(/^small\s+\S+\s+count\/configmaps: \d+\/5, pods: 2\/2\s*$/m);
  });

  it("enforces and warns Pod Security levels set by namespace labels", () => {
    ok("create", "namespace", "locked");
    ok("label", "namespace", "locked", "pod-security.kubernetes.io/enforce=restricted");
    const privileged = { apiVersion: "v1", kind: "Pod", metadata: { name: "root" }, spec: { containers: [{ name: "c", image: "busybox", securityContext: { privileged: true } }] } };
    const refused = kubectl(binary!, sandbox, ["apply", "-n", "locked", "-f", "-"], JSON.stringify(privileged));
    expect(refused.stderr).toContain('pods "root" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false)');
    expect(refused.stderr).toContain('privileged (container "c" must not set securityContext.privileged=true)');
    ok("create", "namespace", "open");
    ok("label", "namespace", "open", "pod-security.kubernetes.io/warn=baseline");
    const warned = kubectl(binary!, sandbox, ["apply", "-n", "open", "-f", "-"], JSON.stringify(privileged));
    expect(warned.stdout).toBe("pod/root created\n");
    expect(warned.stderr).toContain('Warning: would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)');
    // Trying a stricter level first, as the Kubernetes docs suggest: the pods it would refuse are named.
    const trial = run("label", "--dry-run=server", "--overwrite", "namespace", "open", "pod-security.kubernetes.io/enforce=baseline");
    expect(trial.stdout).toBe("namespace/open labeled (server dry run)\n");
    expect(trial.stderr).toBe('Warning: existing pods in namespace "open" violate the new PodSecurity enforce level "baseline:latest"\nWarning: root: privileged\n');
  });

  it("refuses to delete the system namespaces", () => {
    const r = run("delete", "namespace", "kube-system");
    expect(r.stderr).toContain('namespaces "kube-system" is forbidden: this namespace may not be deleted');
  });
});
