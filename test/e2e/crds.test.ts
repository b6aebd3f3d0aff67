/**
 * CustomResourceDefinitions with kubectl 1.33: cert-manager's real CRDs and a small CRD of our own
 * (printer columns, defaults, an enum, a CEL rule, status and scale subresources), then the
 * everyday verbs on its custom resources, refusals with upstream's messages, and deletion.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, eventually, kubectl, kubectlBinary, kubectlCommands, type SandboxHandle } from "./support/sandbox";

const fixtures = path.resolve(__dirname, "../../../shared/fixtures/real-world/cert-manager-crds");

const widgetCrd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: widgets
    kind: Widget
    shortNames: [wd]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
    additionalPrinterColumns:
    - {name: Size, type: string, jsonPath: .spec.size}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    - {name: Color, type: string, priority: 1, jsonPath: .spec.color}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            x-kubernetes-validations:
            - rule: self.replicas <= self.maxReplicas
              message: replicas must not exceed maxReplicas
            properties:
              size: {type: string, enum: [small, medium, large]}
              replicas: {type: integer, minimum: 0, default: 1}
              maxReplicas: {type: integer, default: 10}
              color: {type: string, default: blue}
          status:
            type: object
            properties:
              replicas: {type: integer}
`;

const widget = (name: string, spec: string) => `
apiVersion: example.com/v1
kind: Widget
metadata:
  name: ${name}
spec:
${spec}
`;

const binary = kubectlBinary("1.33");

describe.skipIf(!binary)("CustomResourceDefinitions (kubectl 1.33)", () => {
  let sandbox: SandboxHandle;
  const { run, ok } = kubectlCommands(binary, () => sandbox);
  const withInput = (input: string, ...args: string[]) => kubectl(binary!, sandbox, args, input);

  beforeAll(async () => {
    sandbox = await createSandbox({ name: "crds", kubernetesVersion: "1.33" });
  });
  afterAll(async () => {
    await sandbox?.delete();
  });

  it("applies cert-manager's CRDs and serves their kinds", async () => {
    const out = ok("apply", "-f", fixtures);
    for (const name of ["challenges.acme.cert-manager.io", "orders.acme.cert-manager.io", "certificates.cert-manager.io", "issuers.cert-manager.io"]) {
      expect(out).toContain(`customresourcedefinition.apiextensions.k8s.io/${name} created`);
    }
    const resources = await eventually(
      () => run("api-resources", "--api-group=cert-manager.io").stdout,
      (o) => /^issuers\s/m.test(o),
    );
    expect(resources).toMatch(/^certificates\s+cert,certs\s+cert-manager\.io\/v1\s+true\s+Certificate$/m);
    expect(resources).toMatch(/^clusterissuers\s+ciss\s+cert-manager\.io\/v1\s+false\s+ClusterIssuer$/m);
    const issuer = withInput("apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: selfsigned\nspec:\n  selfSigned: {}\n", "apply", "-f", "-");
    expect(issuer.stderr).toBe("");
    expect(issuer.stdout).toBe("issuer.cert-manager.io/selfsigned created\n");
    expect(ok("get", "issuers")).toMatch(/^NAME\s+READY\s+AGE\nselfsigned\s+\s*\S+\n$/);
  });

  it("establishes a CRD of our own and shows it in api-resources within a second", async () => {
    expect(withInput(widgetCrd, "apply", "-f", "-").stdout).toBe("customresourcedefinition.apiextensions.k8s.io/widgets.example.com created\n");
    const started = Date.now();
    const resources = await eventually(
      () => run("api-resources", "--api-group=example.com").stdout,
      (o) => /^widgets\s/m.test(o),
      5_000,
    );
    expect(resources).toMatch(/^widgets\s+wd\s+example\.com\/v1\s+true\s+Widget$/m);
    expect(Date.now() - started).toBeLessThan(1_000 + 500);
    expect(ok("get", "crd")).toMatch(/^widgets\.example\.com\s+\d{4}-\d\d-\d\dT/m);
    const conditions = ok("get", "crd", "widgets.example.com", "-o", "jsonpath={range .status.conditions[*]}{.type}={.status} {end}");
    expect(conditions).toBe("NamesAccepted=True Established=True ");
  });

  it("creates, lists, patches, applies, scales and deletes custom resources", () => {
    expect(withInput(widget("a", "  size: small"), "create", "-f", "-").stdout).toBe("widget.example.com/a created\n");
    expect(ok("get", "wd", "a", "-o", "jsonpath={.spec}")).toBe('{"color":"blue","maxReplicas":10,"replicas":1,"size":"small"}');
    expect(ok("get", "wd")).toMatch(/^NAME\s+SIZE\s+REPLICAS\s+AGE\na\s+small\s+1\s+\S+\n$/);
    expect(ok("get", "widgets", "-A", "-o", "wide")).toMatch(/^NAMESPACE\s+NAME\s+SIZE\s+REPLICAS\s+AGE\s+COLOR\ndefault\s+a\s+small\s+1\s+\S+\s+blue\n$/);

    expect(ok("patch", "wd", "a", "--type=merge", "-p", '{"spec":{"size":"medium"}}')).toBe("widget.example.com/a patched\n");
    expect(ok("get", "wd", "a", "-o", "jsonpath={.spec.size} {.metadata.generation}")).toBe("medium 2");

    expect(withInput(widget("b", "  size: large\n  color: red"), "apply", "-f", "-").stdout).toBe("widget.example.com/b created\n");
    expect(withInput(widget("b", "  size: large\n  color: green"), "apply", "-f", "-").stdout).toBe("widget.example.com/b configured\n");
    expect(ok("get", "wd", "b", "-o", "jsonpath={.spec.color}")).toBe("green");

    expect(ok("scale", "wd", "b", "--replicas=3")).toBe("widget.example.com/b scaled\n");
    expect(ok("get", "wd", "b", "-o", "jsonpath={.spec.replicas}")).toBe("3");

    expect(ok("delete", "wd", "a")).toBe('widget.example.com "a" deleted\n');
    expect(ok("get", "wd", "-o", "name")).toBe("widget.example.com/b\n");
  });

  it("refuses invalid custom resources with upstream's messages", () => {
    const badEnum = withInput(widget("bad", "  size: huge"), "create", "-f", "-");
    expect(badEnum.code).not.toBe(0);
    expect(badEnum.stderr).toContain('The Widget "bad" is invalid: spec.size: Unsupported value: "huge": supported values: "small", "medium", "large"');
    const badRule = withInput(widget("bad", "  size: small\n  replicas: 20"), "create", "-f", "-");
    expect(badRule.stderr).toContain('The Widget "bad" is invalid: spec: Invalid value: "object": replicas must not exceed maxReplicas');
    const badScale = run("scale", "wd", "b", "--replicas=11");
    expect(badScale.stderr).toContain("replicas must not exceed maxReplicas");
    const strategic = run("patch", "wd", "b", "-p", '{"spec":{"color":"pink"}}');
    expect(strategic.code).not.toBe(0);
    expect(strategic.stderr).toContain("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
  });

  it("deletes the custom resources with their CRD", async () => {
    expect(ok("delete", "crd", "widgets.example.com")).toBe('customresourcedefinition.apiextensions.k8s.io "widgets.example.com" deleted\n');
    const gone = await eventually(
      () => run("get", "widgets.example.com", "-A"),
      (r) => r.code !== 0,
    );
    expect(gone.stderr).toContain('the server doesn\'t have a resource type "widgets"');
    expect(run("get", "crd", "widgets.example.com").stderr).toContain('customresourcedefinitions.apiextensions.k8s.io "widgets.example.com" not found');
    // A CRD of the same name starts empty: the old objects went with the old one.
    withInput(widgetCrd, "apply", "-f", "-");
    const listed = await eventually(
      () => run("get", "widgets", "-A"),
      (r) => r.code === 0,
    );
    expect(listed.stderr).toBe("No resources found\n");
  });
});
