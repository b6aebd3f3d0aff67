/**
 * The kubectl matrix of issue 4: the same everyday scenarios against kubectl 1.27, 1.30, 1.32 and
 * 1.33 — client-side apply and re-apply with a removed field, server-side apply, diff, edit, every
 * patch type, scale, rollout undo, wait, drain, explain, exec, custom resources and top.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, eventually, kubectl, kubectlBinary, kubectlCommands, type SandboxHandle } from "./support/sandbox";

const versions = ["1.27", "1.30", "1.32", "1.33"];

const deployment = (opts: { labels: string; env: string; replicas?: number }) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: ${opts.labels}
spec:
  replicas: ${opts.replicas ?? 2}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        env: ${opts.env}
        ports: [{containerPort: 80}]
        resources: {requests: {cpu: 100m, memory: 64Mi}}
`;

const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wg]}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, minimum: 1, default: 3}
              color: {type: string, enum: [red, blue]}
`;

for (const version of versions) {
  const binary = kubectlBinary(version);
  const minor = Number(version.split(".")[1]);
  describe.skipIf(!binary)(`kubectl ${version}`, () => {
    let sandbox: SandboxHandle;
    let dir: string;
    const { run, ok } = kubectlCommands(binary, () => sandbox);
    const file = (name: string, text: string) => {
      const p = path.join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    const jsonpath = (resource: string, expr: string) => ok("get", resource, "-o", `jsonpath=${expr}`);

    beforeAll(async () => {
      sandbox = await createSandbox({ name: `matrix-${version.replace(".", "-")}`, kubernetesVersion: version, speed: 50 });
      dir = mkdtempSync(path.join(sandbox.home, "manifests-"));
    });
    afterAll(async () => {
      await sandbox?.delete();
    });

    it("applies, and a re-apply without a label and an env var removes them", () => {
      const first = file("web.yaml", deployment({ labels: "{app: web, tier: front}", env: '[{name: A, value: "1"}, {name: B, value: "2"}]' }));
      expect(ok("apply", "-f", first)).toBe("deployment.apps/web created\n");
      const second = file("web.yaml", deployment({ labels: "{app: web}", env: '[{name: A, value: "1"}]' }));
      expect(ok("apply", "-f", second)).toBe("deployment.apps/web configured\n");
      expect(jsonpath("deploy/web", "{.metadata.labels}")).toBe('{"app":"web"}');
      expect(jsonpath("deploy/web", "{.spec.template.spec.containers[0].env[*].name}")).toBe("A");
      expect(ok("apply", "-f", second)).toBe("deployment.apps/web unchanged\n");
    });

    it("diffs a pending change without making it", () => {
      const changed = file("web-diff.yaml", deployment({ labels: "{app: web}", env: '[{name: A, value: "2"}]' }));
      const r = run("diff", "-f", changed);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toMatch(/^-\s+value: "1"$/m);
      expect(r.stdout).toMatch(/^\+\s+value: "2"$/m);
      expect(jsonpath("deploy/web", "{.spec.template.spec.containers[0].env[0].value}")).toBe("1");
    });

    it("edits through KUBE_EDITOR", () => {
      const r = kubectl(binary!, sandbox, ["edit", "deploy/web"], undefined, { KUBE_EDITOR: "sed -i s/replicas:\\ 2/replicas:\\ 3/" });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("deployment.apps/web edited\n");
      expect(jsonpath("deploy/web", "{.spec.replicas}")).toBe("3");
    });

    it("patches with every patch type", () => {
      ok("patch", "deploy/web", "--type=json", "-p", '[{"op":"replace","path":"/spec/replicas","value":2}]');
      ok("patch", "deploy/web", "--type=merge", "-p", '{"metadata":{"annotations":{"team":"blue"}}}');
      // Strategic merge patch merges containers by name: the existing container keeps its image.
      ok("patch", "deploy/web", "--type=strategic", "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}');
      expect(jsonpath("deploy/web", "{.spec.replicas} {.metadata.annotations.team} {.spec.template.spec.containers[*].image}").split(" ").sort()).toEqual(["2", "blue", "busybox", "nginx:1.25"]);
      ok("patch", "deploy/web", "--type=strategic", "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}');
      expect(jsonpath("deploy/web", "{.spec.template.spec.containers[*].name}")).toBe("nginx");
    });

    it("scales, and the Deployment becomes Available (wait)", async () => {
      expect(ok("scale", "deploy/web", "--replicas=4")).toBe("deployment.apps/web scaled\n");
      expect(ok("wait", "--for=condition=Available", "deploy/web", "--timeout=60s")).toBe("deployment.apps/web condition met\n");
      expect(await eventually(() => jsonpath("deploy/web", "{.status.readyReplicas}"), (v) => v === "4")).toBe("4");
    });

    it("rolls out a new image and undoes it", async () => {
      ok("set", "image", "deploy/web", "nginx=nginx:1.26");
      ok("rollout", "status", "deploy/web", "--timeout=60s");
      expect(ok("rollout", "history", "deploy/web").match(/^\d+\s+<none>$/gm)?.length).toBeGreaterThanOrEqual(2);
      expect(ok("rollout", "undo", "deploy/web")).toBe("deployment.apps/web rolled back\n");
      ok("rollout", "status", "deploy/web", "--timeout=60s");
      expect(jsonpath("deploy/web", "{.spec.template.spec.containers[0].image}")).toBe("nginx:1.25");
    });

    it("applies server-side: twice is a no-op, a foreign manager conflicts until forced", () => {
      const manifest = file("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: one\n");
      expect(ok("apply", "--server-side", "-f", manifest)).toBe("configmap/ssa serverside-applied\n");
      const rv = jsonpath("cm/ssa", "{.metadata.resourceVersion}");
      ok("apply", "--server-side", "-f", manifest);
      expect(jsonpath("cm/ssa", "{.metadata.resourceVersion}")).toBe(rv);
      expect(jsonpath("cm/ssa", "{.metadata.managedFields[0].manager} {.metadata.managedFields[0].operation}")).toBe("kubectl Apply");

      const other = file("cm-other.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: two\n");
      const conflict = run("apply", "--server-side", "--field-manager=other", "-f", other);
      expect(conflict.code).not.toBe(0);
      expect(conflict.stderr).toMatch(/conflict with "kubectl"/);
      ok("apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", other);
      expect(jsonpath("cm/ssa", "{.data.a}")).toBe("two");
    });

    it("dry-runs on the server without storing", () => {
      expect(ok("create", "configmap", "dry", "--from-literal=a=b", "--dry-run=server")).toBe("configmap/dry created (server dry run)\n");
      expect(run("get", "cm/dry").code).not.toBe(0);
    });

    it("cordons and drains a worker, then uncordons it", () => {
      ok("cordon", "worker-1");
      expect(jsonpath("node/worker-1", "{.spec.unschedulable}")).toBe("true");
      const r = run("drain", "worker-1", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=60s");
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/node\/worker-1 drained/);
      ok("uncordon", "worker-1");
    });

    it("explains a field recursively", () => {
      const out = ok("explain", "deployment.spec.strategy", "--recursive");
      expect(out).toMatch(/KIND:\s+Deployment/);
      expect(out).toMatch(/rollingUpdate\s+<(Object|RollingUpdateDeployment)>/);
      expect(out).toMatch(/maxSurge\s+<(string|IntOrString)>/);
    });

    it.runIf(minor >= 30)("execs into a running pod over WebSocket", async () => {
      ok("run", "shell", "--image=busybox", "--restart=Never", "--", "sleep", "3600");
      ok("wait", "--for=condition=Ready", "pod/shell", "--timeout=60s");
      expect(ok("exec", "shell", "--", "echo", "hello")).toBe("hello\n");
      expect(run("exec", "shell", "--", "sh", "-c", "exit 3").code).toBe(3);
    });

    it.runIf(minor < 30)("tells an old kubectl that exec needs 1.30 or newer", () => {
      ok("run", "shell", "--image=busybox", "--restart=Never", "--", "sleep", "3600");
      ok("wait", "--for=condition=Ready", "pod/shell", "--timeout=60s");
      const r = run("exec", "shell", "--", "echo", "hello");
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/1\.30/);
    });

    it("installs a CRD and serves its custom resources", async () => {
      ok("apply", "-f", file("crd.yaml", crd));
      ok("wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s");
      const listed = await eventually(() => run("get", "wg"), (r) => r.code === 0);
      expect(listed.stderr).toMatch(/No resources found/);
      ok("apply", "-f", file("widget.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  color: red\n"));
      // The CRD names its columns, so kubectl shows those (the default of 3 included) and no Age.
      expect(ok("get", "wg", "w1")).toMatch(/^NAME\s+SIZE\s*\nw1\s+3\s*$/m);
      const invalid = run("apply", "-f", file("bad.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w2\nspec:\n  color: green\n"));
      expect(invalid.stderr).toMatch(/Unsupported value: "green"/);
      ok("delete", "crd", "widgets.example.com");
    });

    it("shows resource usage with top", async () => {
      const out = await eventually(() => run("top", "pods"), (r) => r.code === 0 && /^web-/m.test(r.stdout));
      expect(out.stdout).toMatch(/^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
      expect(out.stdout).toMatch(/^web-\S+\s+\d+m\s+\d+Mi\s*$/m);
      expect(ok("top", "nodes")).toMatch(/^worker-1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%\s*$/m);
    });
  });
}
