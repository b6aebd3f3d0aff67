/**
 * Manifests written by others (the guestbook app, Kubernetes docs examples) applied with kubectl
 * as a user would: accepted on first apply, `unchanged` on a second, `configured` after an edit.
 * Scheduling and running them is the control plane's job and is tested there.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, kubectl, kubectlBinary, type SandboxHandle } from "./support/sandbox";

const fixtures = path.resolve(__dirname, "../../../shared/fixtures/real-world");

/** Served kinds only: NetworkPolicy and ReplicationController are not served yet. */
const manifests = [
  "guestbook/redis-master-deployment.yaml",
  "guestbook/redis-master-service.yaml",
  "guestbook/redis-replica-deployment.yaml",
  "guestbook/redis-replica-service.yaml",
  "guestbook/frontend-deployment.yaml",
  "guestbook/frontend-service.yaml",
  "k8s-docs-examples/controllers/nginx-deployment.yaml",
  "k8s-docs-examples/controllers/statefulset.yaml",
  "k8s-docs-examples/controllers/daemonset.yaml",
  "k8s-docs-examples/controllers/job.yaml",
  "k8s-docs-examples/application/job/cronjob.yaml",
  "k8s-docs-examples/service/nginx-service.yaml",
  "k8s-docs-examples/configmap/configmaps.yaml",
  "k8s-docs-examples/pods/pod-configmap-volume.yaml",
  "k8s-docs-examples/pods/probe/tcp-liveness-readiness.yaml",
  "k8s-docs-examples/pods/resource/cpu-request-limit.yaml",
];

for (const version of ["1.27", "1.33"]) {
  const binary = kubectlBinary(version);
  describe(`kubectl ${version} apply of real-world manifests`, () => {
    let sandbox: SandboxHandle;
    const run = (...args: string[]) => kubectl(binary!, sandbox, args);

    beforeAll(async () => {
      if (!binary) throw new Error(`kubectl.${version} is required but missing beside the machine's kubectl`);
      sandbox = await createSandbox({ kubernetesVersion: version });
      expect(run("create", "namespace", "cpu-example").code).toBe(0);
    });
    afterAll(async () => {
      await sandbox?.delete();
    });

    it.each(manifests)("accepts %s", (file) => {
      const r = run("apply", "-f", path.join(fixtures, file));
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split("\n");
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).toMatch(/ created$/);
    });

    it.each(manifests)("finds nothing to change when %s is applied again", (file) => {
      const r = run("apply", "-f", path.join(fixtures, file));
      expect(r.stderr).toBe("");
      for (const line of r.stdout.trim().split("\n")) {
        // As on kube-apiserver: a manifest that differs from its defaulted, canonical form is
        // patched again on every apply (volumeClaimTemplates gain defaults, "0.5" CPU reads "500m"),
        // and so is a pod listing volumes: the live pod has the ServiceAccount token volume too, so
        // kubectl's patch carries `$setElementOrder/volumes`.
        const reapplied = ["statefulset.apps/web configured", "pod/cpu-demo configured", "pod/dapi-test-pod configured"].includes(line);
        expect(line).toMatch(reapplied ? / configured$/ : / unchanged$/);
      }
    });

    it("configures an edited manifest, removing what the manifest dropped", () => {
      const original = readFileSync(path.join(fixtures, "guestbook/frontend-deployment.yaml"), "utf8");
      const edited = original.replace("replicas: 3", "replicas: 5").replace(/^\s+resources:\n\s+requests:\n\s+cpu: 100m\n\s+memory: 100Mi\n/m, "");
      expect(edited).not.toBe(original);
      const r = kubectl(binary!, sandbox, ["apply", "-f", "-"], edited);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("deployment.apps/frontend configured\n");
      const live = JSON.parse(run("get", "deployment", "frontend", "-o", "json").stdout);
      expect(live.spec.replicas).toBe(5);
      expect(live.spec.template.spec.containers[0].resources).toEqual({});
      expect(live.spec.template.spec.containers[0].env).toEqual([{ name: "GET_HOSTS_FROM", value: "dns" }]);
    });

    it("lists what was applied", () => {
      const out = run("get", "deployments,services,statefulsets,jobs,cronjobs,configmaps,pods", "-o", "name").stdout;
      for (const name of ["deployment.apps/frontend", "deployment.apps/redis-master", "service/frontend", "statefulset.apps/web", "job.batch/pi", "cronjob.batch/hello", "configmap/special-config", "pod/goproxy"]) {
        expect(out).toContain(name);
      }
      expect(run("get", "daemonset", "-n", "kube-system", "-o", "name").stdout).toContain("daemonset.apps/fluentd-elasticsearch");
      expect(run("get", "pod", "cpu-demo", "-n", "cpu-example", "-o", "jsonpath={.spec.containers[0].resources.limits.cpu}").stdout).toBe("1");
    });
  });
}
