/**
 * The everyday kubectl workflow against a fresh sandbox, with the real kubectl binaries of every
 * version the machine has (1.27 … 1.33): discovery, nodes, namespaces, ConfigMaps, labels,
 * annotations, selectors, merge patches, optimistic concurrency, delete and watch.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, kubectl, kubectlBackground, kubectlBinary, kubectlCommands, type SandboxHandle } from "./support/sandbox";

const versions = ["1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33"];
const required = ["1.27", "1.32", "1.33"];

for (const version of versions) {
  const binary = kubectlBinary(version);
  const missingOptional = !binary && !required.includes(version);
  describe.skipIf(missingOptional)(`kubectl ${version}`, () => {
    let sandbox: SandboxHandle;
    const { run, ok } = kubectlCommands(binary, () => sandbox);

    beforeAll(async () => {
      if (!binary) throw new Error(`kubectl.${version} is required but missing beside the machine's kubectl`);
      sandbox = await createSandbox({ name: `kubectl-${version.replace(".", "-")}`, kubernetesVersion: version });
    });
    afterAll(async () => {
      await sandbox?.delete();
    });

    it("reports the sandbox's server version", () => {
      // kubectl 1.27 warns on stderr that the default output format is deprecated.
      const r = run("version");
      expect(r.code).toBe(0);
      // kubectl 1.27 prints the whole version.Info struct; later versions only the gitVersion.
      expect(r.stdout).toMatch(new RegExp(`Server Version: (v|version\\.Info\\{.*GitVersion:")v?${version.replace(".", "\\.")}\\.\\d+`));
    });

    it("lists API resources with short names and groups", () => {
      const out = ok("api-resources");
      expect(out).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
      expect(out).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
      expect(out).toMatch(/^nodes\s+no\s+v1\s+false\s+Node$/m);
      expect(out).toMatch(/^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m);
      expect(out).toMatch(/^events\s+ev\s+events\.k8s\.io\/v1\s+true\s+Event$/m);
    });

    it("shows a kubeadm-like set of Ready nodes", () => {
      const out = ok("get", "nodes", "-o", "wide");
      const lines = out.trim().split("\n");
      expect(lines[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME$/);
      expect(lines).toHaveLength(4);
      expect(out).toMatch(/^control-plane\s+Ready\s+control-plane\s+\S+\s+v1\.\d+\.\d+\s+172\.18\.0\.2\s+<none>\s+Debian GNU\/Linux 12 \(bookworm\)\s+\S+\s+containerd:\/\/1\.7\.\d+$/m);
      expect(out).toMatch(/^worker-1\s+Ready\s+<none>/m);
      expect(out).toMatch(/^worker-2\s+Ready\s+<none>/m);
    });

    it("starts with the kubeadm namespaces", () => {
      const out = ok("get", "ns");
      for (const ns of ["default", "kube-system", "kube-public", "kube-node-lease"]) expect(out).toMatch(new RegExp(`^${ns}\\s+Active\\s+\\S+$`, "m"));
    });

    it("creates a namespace and a ConfigMap from literals", () => {
      expect(ok("create", "namespace", "demo")).toBe("namespace/demo created\n");
      expect(ok("create", "configmap", "app-config", "-n", "demo", "--from-literal=a=1", "--from-literal=b=two")).toBe("configmap/app-config created\n");
      const yaml = ok("get", "cm", "app-config", "-n", "demo", "-o", "yaml");
      expect(yaml).toMatch(/^data:\n {2}a: "1"\n {2}b: two$/m);
      expect(yaml).toMatch(/^ {2}resourceVersion: "\d+"$/m);
      expect(yaml).toMatch(/^ {2}uid: [0-9a-f-]{36}$/m);
    });

    it("labels, annotates and selects by label", () => {
      expect(ok("label", "cm", "app-config", "-n", "demo", "tier=web")).toBe("configmap/app-config labeled\n");
      // kubectl 1.27 prints "annotate", later versions "annotated".
      expect(ok("annotate", "cm", "app-config", "-n", "demo", "owner=team-a")).toMatch(/^configmap\/app-config annotated?\n$/);
      expect(ok("get", "cm", "-n", "demo", "-l", "tier=web", "-o", "name")).toBe("configmap/app-config\n");
      expect(ok("get", "cm", "-n", "demo", "-l", "tier in (web,api),!missing", "-o", "name")).toBe("configmap/app-config\n");
      const none = run("get", "cm", "-n", "demo", "-l", "tier=db");
      expect(none.stderr).toBe("No resources found in demo namespace.\n");
      expect(ok("get", "cm", "app-config", "-n", "demo", "-o", "jsonpath={.metadata.annotations.owner}")).toBe("team-a");
    });

    it("applies a merge patch", () => {
      expect(ok("patch", "cm", "app-config", "-n", "demo", "--type=merge", "-p", '{"data":{"c":"3","a":null}}')).toBe("configmap/app-config patched\n");
      expect(ok("get", "cm", "app-config", "-n", "demo", "-o", "jsonpath={.data}")).toBe('{"b":"two","c":"3"}');
    });

    it("refuses a replace with a stale resourceVersion", () => {
      const current = JSON.parse(ok("get", "cm", "app-config", "-n", "demo", "-o", "json"));
      ok("label", "cm", "app-config", "-n", "demo", "touched=yes");
      current.data.d = "4";
      const r = kubectl(binary!, sandbox, ["replace", "-f", "-"], JSON.stringify(current));
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on configmaps "app-config": the object has been modified; please apply your changes to the latest version and try again\n',
      );
    });

    it("prints changes made while `get -w` watches", async () => {
      const watch = kubectlBackground(binary!, sandbox, ["get", "cm", "-n", "demo", "-w"]);
      try {
        await watch.waitFor((out) => /^app-config\s+2\s+/m.test(out));
        ok("create", "configmap", "watched", "-n", "demo", "--from-literal=x=y");
        await watch.waitFor((out) => /^watched\s+1\s+/m.test(out));
        ok("patch", "cm", "watched", "-n", "demo", "--type=merge", "-p", '{"data":{"z":"1"}}');
        await watch.waitFor((out) => /^watched\s+2\s+/m.test(out));
        expect(watch.errors()).toBe("");
      } finally {
        watch.stop();
      }
    });

    it("deletes, and then reports NotFound", () => {
      expect(ok("delete", "cm", "app-config", "-n", "demo")).toMatch(/^configmap "app-config" deleted( from demo namespace)?\n$/);
      const r = run("get", "cm", "app-config", "-n", "demo");
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('Error from server (NotFound): configmaps "app-config" not found\n');
    });

    it("deletes a namespace together with its contents", () => {
      expect(ok("delete", "namespace", "demo")).toBe('namespace "demo" deleted\n');
      const r = run("get", "namespace", "demo");
      expect(r.stderr).toBe('Error from server (NotFound): namespaces "demo" not found\n');
      expect(run("get", "cm", "-n", "demo", "-o", "name").stdout).toBe("");
    });
  });
}
