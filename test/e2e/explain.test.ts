/**
 * `kubectl explain` against the OpenAPI documents generated from the schema source of truth, across
 * kubectl versions (1.27 needs the v2 protobuf to parse before it renders from v3), and `kubectl
 * apply` with default validation still working with the full documents.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, kubectl, kubectlBinary, kubectlCommands, type SandboxHandle } from "./support/sandbox";

const fixtures = path.resolve(__dirname, "../../../shared/fixtures/real-world");

for (const version of ["1.27", "1.30", "1.33"]) {
  const binary = kubectlBinary(version);
  const minor = Number(version.split(".")[1]);
  describe.skipIf(!binary)(`kubectl ${version} explain`, () => {
    let sandbox: SandboxHandle;
    const { run, ok } = kubectlCommands(binary, () => sandbox);
    beforeAll(async () => {
      sandbox = await createSandbox();
    });
    afterAll(async () => {
      await sandbox?.delete();
    });

    it("explains deployment.spec.strategy recursively, with its group, kind, version and our descriptions", () => {
      const out = ok("explain", "deployment.spec.strategy", "--recursive");
      expect(out).toMatch(/GROUP:\s+apps/);
      expect(out).toMatch(/KIND:\s+Deployment/);
      expect(out).toMatch(/VERSION:\s+v1/);
      expect(out).toMatch(/strategy\s+<DeploymentStrategy>/);
      expect(out).toContain("How a Deployment replaces old pods with new ones.");
      for (const field of ["rollingUpdate", "maxSurge", "maxUnavailable", "type"]) expect(out).toContain(field);
    });

    it("shows enum values and int-or-string fields", () => {
      // kubectl 1.27's templates print the values only in the description; later ones add an ENUM block.
      const type = ok("explain", "deployment.spec.strategy.type");
      expect(type).toMatch(minor >= 28 ? /ENUM:\s+Recreate\s+RollingUpdate/ : /Possible enum values:\s+- `"Recreate"`\s+- `"RollingUpdate"`/);
      expect(ok("explain", "deployment.spec.strategy.rollingUpdate.maxSurge")).toMatch(/maxSurge\s+<IntOrString>/);
    });

    it("explains pods.spec.containers with required fields marked", () => {
      const out = ok("explain", "pods.spec.containers");
      expect(out).toMatch(/KIND:\s+Pod/);
      expect(out).toMatch(/containers\s+<\[\]Container>/);
      expect(out).toContain("A container of a pod.");
      expect(out).toMatch(/name\s+<string> -required-/);
      expect(out).toContain("The container image");
    });

    it("explains svc by short name", () => {
      const out = ok("explain", "svc");
      expect(out).toMatch(/KIND:\s+Service/);
      expect(out).toContain("A Service gives a set of pods");
      expect(out).toMatch(/spec\s+<ServiceSpec>/);
    });

    it("explains from the v2 document when asked (plaintext-openapiv2)", () => {
      const out = ok("explain", "deployment.spec.strategy", "--output=plaintext-openapiv2");
      expect(out).toMatch(/KIND:\s+Deployment/);
      expect(out).toContain("How a Deployment replaces old pods with new ones.");
    });

    it("applies real-world manifests with default (strict) validation, and re-applies them unchanged", () => {
      for (const file of ["guestbook/frontend-deployment.yaml", "guestbook/frontend-service.yaml"]) {
        const first = run("apply", "-f", path.join(fixtures, file));
        expect(first.stderr, file).toBe("");
        expect(first.stdout, file).toMatch(/created|configured/);
        const again = run("apply", "-f", path.join(fixtures, file));
        expect(again.stderr, file).toBe("");
        expect(again.stdout, file).toMatch(/unchanged/);
      }
    });

    it("re-applies with a removed env var and container: the strategic merge (metadata from OpenAPI) drops them", () => {
      const manifest = (extra: boolean) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: smp}
spec:
  selector: {matchLabels: {app: smp}}
  template:
    metadata: {labels: {app: smp}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        env: [{name: KEEP, value: "1"}${extra ? ', {name: DROP, value: "2"}' : ""}]
        ports: [{containerPort: 80}]
${extra ? "      - {name: sidecar, image: busybox:1.36}\n" : ""}`;
      for (const extra of [true, false]) {
        const r = kubectl(binary!, sandbox, ["apply", "-f", "-"], manifest(extra));
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
      }
      const spec = JSON.parse(ok("get", "deployment", "smp", "-o", "jsonpath={.spec.template.spec}"));
      expect(spec.containers.map((c: { name: string }) => c.name)).toEqual(["app"]);
      expect(spec.containers[0].env).toEqual([{ name: "KEEP", value: "1" }]);
    });
  });
}
