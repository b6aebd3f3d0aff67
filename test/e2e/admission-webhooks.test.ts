/**
 * Admission webhooks with kubectl 1.33: a validating and a mutating webhook served on 127.0.0.1
 * refuse and patch pods as kube-apiserver's would, warnings reach kubectl, failure policies apply,
 * and a `service` reference gets a clear error.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, kubectl, kubectlBinary, kubectlCommands, type SandboxHandle } from "./support/sandbox";

const binary = kubectlBinary("1.33");

interface Review {
  request: { uid: string; operation: string; kind: { kind: string }; namespace?: string; name: string; object: any; userInfo: { username: string } };
}

describe.skipIf(!binary)("admission webhooks with kubectl 1.33", () => {
  let sandbox: SandboxHandle;
  let server: ChildProcess;
  let base = "";
  const reviews = async () => (await (await fetch(`${base}/reviews`)).json()) as Review[];
  const { ok, run } = kubectlCommands(binary, () => sandbox);
  const apply = (manifest: object) => kubectl(binary!, sandbox, ["apply", "-f", "-"], JSON.stringify(manifest));

  beforeAll(async () => {
    server = spawn(process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), "support", "admission-webhook-server.mjs")], { stdio: ["ignore", "pipe", "inherit"] });
    const port = await new Promise<string>((resolve) => server.stdout!.once("data", (d) => resolve(String(d).trim())));
    base = `http://127.0.0.1:${port}`;
    sandbox = await createSandbox({ name: "admission-webhooks", addons: false, speed: 50 });
    ok("create", "namespace", "guarded");
    ok("label", "namespace", "guarded", "webhooks=on");
  });
  afterAll(async () => {
    await sandbox?.delete();
    server?.kill();
  });

  const rules = [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }];
  const selector = { matchLabels: { webhooks: "on" } };

  it("registers the configurations with upstream's defaults and columns", () => {
    const validating = apply({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "deny-labelled" },
      webhooks: [{ name: "deny.sandkube.test", clientConfig: { url: `${base}/validate` }, rules, namespaceSelector: selector, sideEffects: "None", admissionReviewVersions: ["v1"] }],
    });
    expect(validating.stderr).toBe("");
    expect(validating.stdout).toBe("validatingwebhookconfiguration.admissionregistration.k8s.io/deny-labelled created\n");
    expect(apply({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingWebhookConfiguration",
      metadata: { name: "label-pods" },
      webhooks: [{ name: "label.sandkube.test", clientConfig: { url: `${base}/mutate` }, rules, namespaceSelector: selector, sideEffects: "None", admissionReviewVersions: ["v1"] }],
    }).stderr).toBe("");
    expect(ok("get", "validatingwebhookconfiguration", "deny-labelled", "-o", "jsonpath={.webhooks[0].failurePolicy} {.webhooks[0].matchPolicy} {.webhooks[0].timeoutSeconds} {.webhooks[0].rules[0].scope}")).toBe("Fail Equivalent 10 *");
    expect(ok("get", "mutatingwebhookconfigurations")).toMatch(/^NAME\s+WEBHOOKS\s+AGE\nlabel-pods\s+1\s+\S+\n$/);
  });

  it("patches a pod through the mutating webhook and warns from the validating one", async () => {
    const created = kubectl(binary!, sandbox, ["run", "web", "-n", "guarded", "--image=nginx:1.27"]);
    expect(created.stdout).toBe("pod/web created\n");
    expect(created.stderr).toContain("Warning: validated by the test webhook");
    expect(ok("get", "pod", "web", "-n", "guarded", "-o", "jsonpath={.metadata.labels.mutated}")).toBe("yes");
    const review = (await reviews()).find((r) => r.request.name === "web")!;
    expect(review.request).toMatchObject({ operation: "CREATE", kind: { kind: "Pod" }, namespace: "guarded", userInfo: { username: "kubernetes-admin" } });
  });

  it("refuses what the validating webhook denies, with upstream's message", () => {
    const refused = run("run", "bad", "-n", "guarded", "--image=nginx:1.27", "--labels=deny=true");
    expect(refused.stderr).toContain('Error from server (Forbidden): admission webhook "deny.sandkube.test" denied the request: pods labelled deny=true are not allowed here');
    expect(run("get", "pod", "bad", "-n", "guarded").stderr).toContain('pods "bad" not found');
    // Outside the selected namespaces the webhooks are not called.
    expect(ok("run", "free", "--image=nginx:1.27", "--labels=deny=true")).toBe("pod/free created\n");
  });

  it("fails a write when a webhook cannot be called, unless its failure policy is Ignore", () => {
    const service = (name: string, failurePolicy: string) => ({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name },
      webhooks: [{ name: `${name}.sandkube.test`, clientConfig: { service: { name: "policy", namespace: "default" } }, rules, namespaceSelector: selector, failurePolicy, sideEffects: "None", admissionReviewVersions: ["v1"] }],
    });
    expect(apply(service("ignored", "Ignore")).stderr).toBe("");
    // The validating webhook that answers still warns; the one that cannot be called is ignored.
    expect(run("run", "still-fine", "-n", "guarded", "--image=nginx:1.27")).toMatchObject({ code: 0, stdout: "pod/still-fine created\n", stderr: "Warning: validated by the test webhook\n" });
    expect(apply(service("in-cluster", "Fail")).stderr).toBe("");
    const failed = run("run", "blocked", "-n", "guarded", "--image=nginx:1.27");
    expect(failed.stderr).toContain('Error from server (InternalError): Internal error occurred: failed calling webhook "in-cluster.sandkube.test": failed to call webhook: service references are not supported in sandkube');
    // The configurations themselves never go through webhooks, so a broken one can be removed.
    ok("delete", "validatingwebhookconfiguration", "in-cluster");
    expect(run("run", "unblocked", "-n", "guarded", "--image=nginx:1.27")).toMatchObject({ code: 0, stdout: "pod/unblocked created\n" });
  });

  it("refuses an invalid configuration with upstream's field errors", () => {
    const bad = apply({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "bad" },
      webhooks: [{ name: "short", clientConfig: { url: "ftp://example.com/x" }, rules, sideEffects: "Some", admissionReviewVersions: ["v1"], timeoutSeconds: 60 }],
    });
    expect(bad.stderr).toContain('The ValidatingWebhookConfiguration "bad" is invalid');
    expect(bad.stderr).toContain('webhooks[0].name: Invalid value: "short": should be a domain with at least three segments separated by dots');
    expect(bad.stderr).toContain("webhooks[0].clientConfig.url: Invalid value: \"ftp://example.com/x\": 'https' is the only allowed URL scheme");
    expect(bad.stderr).toContain('webhooks[0].sideEffects: Unsupported value: "Some"');
    expect(bad.stderr).toContain("webhooks[0].timeoutSeconds: Invalid value: 60: the timeout value must be between 1 and 30 seconds");
  });
});
