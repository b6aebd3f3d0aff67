/**
 * Admission webhooks against a scripted receiver: which webhooks a request reaches (rules,
 * subresources, scope, selectors, CEL matchConditions), the AdmissionReview they get, patches,
 * reinvocation, denials and failures worded as kube-apiserver's.
 */
import { describe, expect, it } from "vitest";
import { admissionWebhooks, type AdmissionAttributes } from "../../src/admission/webhooks/dispatcher";
import { StatusError } from "../../src/apiserver/status";
import { validateWebhookConfiguration } from "../../src/registry/kinds/admissionregistration";
import type { KObject } from "../../src/registry/types";

type Answer = (review: any, url: string) => Record<string, unknown> | Promise<Record<string, unknown>> | "hang";

function harness(validating: KObject[], mutating: KObject[], answer: Answer, namespaceLabels: Record<string, Record<string, string>> = {}) {
  const calls: { url: string; review: any }[] = [];
  const fetchStub: typeof fetch = async (input, init) => {
    const url = String(input);
    const review = JSON.parse(String(init!.body));
    calls.push({ url, review });
    const response = await answer(review, url);
    if (response === "hang") return new Promise<Response>((_resolve, reject) => init!.signal!.addEventListener("abort", () => reject(new Error("aborted"))));
    return new Response(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: review.request.uid, ...response } }));
  };
  let n = 0;
  const webhooks = admissionWebhooks({
    configurations: (resource) => (resource === "validatingwebhookconfigurations" ? validating : mutating),
    namespaceLabels: (name) => namespaceLabels[name],
    fetch: fetchStub,
    allowLoopbackHttp: false,
    uid: () => `uid-${++n}`,
  });
  return { webhooks, calls };
}

const config = (name: string, webhooks: Record<string, unknown>[]): KObject => ({
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "ValidatingWebhookConfiguration",
  metadata: { name },
  webhooks: webhooks.map((w, i) => ({
    name: `w${i}.${name}.example.com`,
    clientConfig: { url: `https://${name}.example.com/w${i}` },
    rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "*" }],
    failurePolicy: "Fail",
    matchPolicy: "Equivalent",
    namespaceSelector: {},
    objectSelector: {},
    timeoutSeconds: 10,
    sideEffects: "None",
    admissionReviewVersions: ["v1"],
    reinvocationPolicy: "Never",
    ...w,
  })),
});

const pod = (labels: Record<string, string> = {}): KObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "team", labels }, spec: { containers: [{ name: "c", image: "nginx" }] } });
const attrs = (over: Partial<AdmissionAttributes> = {}): AdmissionAttributes => ({
  operation: "CREATE",
  group: "",
  version: "v1",
  kind: "Pod",
  resource: "pods",
  subresource: "",
  namespaced: true,
  namespace: "team",
  name: "web",
  object: pod(),
  oldObject: null,
  user: { username: "jane", groups: ["devs"] },
  dryRun: false,
  ...over,
});
const allow = () => ({ allowed: true });
const patchOf = (ops: unknown[]) => Buffer.from(JSON.stringify(ops)).toString("base64");

async function failure(promise: Promise<unknown>): Promise<StatusError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error("expected the request to fail");
}

describe("admission webhooks", () => {
  it("send an AdmissionReview v1 of the request and accept an allowed answer", async () => {
    const { webhooks, calls } = harness([config("audit", [{}])], [], allow);
    expect(webhooks.active()).toBe(true);
    await webhooks.validate(attrs());
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe("https://audit.example.com/w0?timeout=10s");
    expect(calls[0]!.review).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: {
        uid: "uid-1",
        kind: { group: "", version: "v1", kind: "Pod" },
        resource: { group: "", version: "v1", resource: "pods" },
        requestKind: { group: "", version: "v1", kind: "Pod" },
        requestResource: { group: "", version: "v1", resource: "pods" },
        name: "web",
        namespace: "team",
        operation: "CREATE",
        userInfo: { username: "jane", groups: ["devs"] },
        object: pod(),
        oldObject: null,
        dryRun: false,
        options: { apiVersion: "meta.k8s.io/v1", kind: "CreateOptions" },
      },
    });
  });

  it("match rules by operation, resource, subresource and scope", async () => {
    const { webhooks, calls } = harness(
      [
        config("status", [{ rules: [{ operations: ["UPDATE"], apiGroups: ["*"], apiVersions: ["*"], resources: ["pods/status"], scope: "Namespaced" }] }]),
        config("everything", [{ rules: [{ operations: ["*"], apiGroups: ["*"], apiVersions: ["*"], resources: ["*/*"], scope: "*" }] }]),
        config("cluster", [{ rules: [{ operations: ["*"], apiGroups: ["*"], apiVersions: ["*"], resources: ["*"], scope: "Cluster" }] }]),
      ],
      [],
      allow,
    );
    const hosts = () => calls.splice(0).map((c) => new URL(c.url).hostname.split(".")[0]).sort();
    await webhooks.validate(attrs({ operation: "UPDATE", subresource: "status", oldObject: pod() }));
    expect(hosts()).toEqual(["everything", "status"]);
    await webhooks.validate(attrs());
    expect(hosts()).toEqual(["everything"]);
    await webhooks.validate(attrs({ resource: "nodes", kind: "Node", namespaced: false, namespace: "" }));
    expect(hosts()).toEqual(["cluster", "everything"]);
    // The webhook configurations themselves never go to a webhook.
    await webhooks.validate(attrs({ group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations", namespaced: false, namespace: "" }));
    expect(hosts()).toEqual([]);
  });

  it("select by namespace labels, object labels (old or new) and CEL matchConditions", async () => {
    const { webhooks, calls } = harness(
      [
        config("ns", [{ namespaceSelector: { matchLabels: { env: "prod" } } }]),
        config("obj", [{ objectSelector: { matchExpressions: [{ key: "tier", operator: "In", values: ["web"] }] } }]),
        config("cel", [{ matchConditions: [{ name: "not-admins", expression: "!('admins' in request.userInfo.groups) && object.metadata.name.startsWith('we')" }] }]),
      ],
      [],
      allow,
      { team: { env: "prod" } },
    );
    const hosts = () => calls.splice(0).map((c) => new URL(c.url).hostname.split(".")[0]).sort();
    await webhooks.validate(attrs());
    expect(hosts()).toEqual(["cel", "ns"]);
    await webhooks.validate(attrs({ namespace: "dev", object: pod({ tier: "web" }), user: { username: "root", groups: ["admins"] } }));
    expect(hosts()).toEqual(["obj"]);
  });

  it("apply JSONPatch answers in order, and call an IfNeeded webhook again after a later change", async () => {
    const { webhooks, calls } = harness([], [config("a-first", [{ reinvocationPolicy: "IfNeeded" }]), config("b-second", [{}])], (review, url) => {
      if (url.includes("b-second")) return { allowed: true, patchType: "JSONPatch", patch: patchOf([{ op: "add", path: "/metadata/labels/b", value: "yes" }]) };
      return review.request.object.metadata.labels.b ? allow() : { allowed: true, patchType: "JSONPatch", patch: patchOf([{ op: "add", path: "/metadata/labels/a", value: "yes" }]) };
    });
    const mutated = await webhooks.mutate(attrs());
    expect(mutated?.metadata.labels).toEqual({ a: "yes", b: "yes" });
    expect(calls.map((c) => new URL(c.url).hostname.split(".")[0])).toEqual(["a-first", "b-second", "a-first"]);
  });

  it("answer a denial with the webhook's code and message, as upstream words it", async () => {
    const denied = await failure(harness([config("policy", [{}])], [], () => ({ allowed: false, status: { code: 403, reason: "Forbidden", message: "no latest tags" } })).webhooks.validate(attrs()));
    expect([denied.code, denied.reason, denied.message]).toEqual([403, "Forbidden", 'admission webhook "w0.policy.example.com" denied the request: no latest tags']);
    const bare = await failure(harness([config("policy", [{}])], [], () => ({ allowed: false, status: { code: 200 } })).webhooks.validate(attrs()));
    expect([bare.code, bare.message]).toEqual([400, 'admission webhook "w0.policy.example.com" denied the request without explanation']);
  });

  it("fail the request when a webhook cannot be called, or skip it with failurePolicy Ignore", async () => {
    const unreachable = harness([config("slow", [{ timeoutSeconds: 1 }])], [], () => "hang");
    const timedOut = await failure(unreachable.webhooks.validate(attrs()));
    expect([timedOut.code, timedOut.message]).toEqual([500, 'Internal error occurred: failed calling webhook "w0.slow.example.com": failed to call webhook: Post "https://slow.example.com/w0?timeout=1s": context deadline exceeded']);
    const service = await failure(harness([config("svc", [{ clientConfig: { service: { name: "policy", namespace: "default" } } }])], [], allow).webhooks.validate(attrs()));
    expect(service.message).toContain("service references are not supported in sandkube");
    const wrongUid = await failure(harness([config("uid", [{}])], [], () => ({ uid: "other", allowed: true })).webhooks.validate(attrs()));
    expect(wrongUid.message).toBe('Internal error occurred: failed calling webhook "w0.uid.example.com": received invalid webhook response: expected response.uid="uid-1", got "other"');
    const patching = await failure(harness([config("patcher", [{}])], [], () => ({ allowed: true, patchType: "JSONPatch", patch: patchOf([]) })).webhooks.validate(attrs()));
    expect(patching.message).toContain("received invalid webhook response: validating webhook may not return response.patch or response.patchType");
    await expect(harness([config("slow", [{ timeoutSeconds: 1, failurePolicy: "Ignore" }])], [], () => "hang").webhooks.validate(attrs())).resolves.toBeUndefined();
  });

  it("refuse (403) under Fail when a match condition cannot be evaluated, unless another one is false", async () => {
    const broken = { name: "broken", expression: "object.metadata.missing.field == 'x'" };
    const refused = await failure(harness([config("cel", [{ matchConditions: [broken] }])], [], allow).webhooks.validate(attrs()));
    expect(refused.code).toBe(403);
    expect(refused.message.startsWith(`pods "web" is forbidden: expression '${broken.expression}' resulted in error: `)).toBe(true);
    const skipped = harness([config("cel", [{ matchConditions: [broken, { name: "never", expression: "false" }] }])], [], allow);
    await skipped.webhooks.validate(attrs());
    expect(skipped.calls).toHaveLength(0);
  });

  it("let a mutating webhook refuse a delete, but not change the object being deleted", async () => {
    const deleteRules = { rules: [{ operations: ["DELETE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "*" }] };
    const deleting = attrs({ operation: "DELETE", object: null, oldObject: pod() });
    const refusing = harness([], [config("keep", [deleteRules])], () => ({ allowed: false, status: { code: 403, message: "pods here are kept" } }));
    expect((await failure(refusing.webhooks.mutate(deleting))).message).toBe('admission webhook "w0.keep.example.com" denied the request: pods here are kept');
    const patching = harness([], [config("patch", [deleteRules])], () => ({ allowed: true, patchType: "JSONPatch", patch: patchOf([{ op: "add", path: "/x", value: 1 }]) }));
    expect((await failure(patching.webhooks.mutate(deleting))).message).toBe('Internal error occurred: admission webhook "w0.patch.example.com" attempted to modify the object, which is not supported for this operation');
  });

  it("return the webhooks' warnings, and cost nothing when no configuration exists", async () => {
    const warnings: string[] = [];
    await harness([config("warn", [{}])], [], () => ({ allowed: true, warnings: ["image tag latest is discouraged"] })).webhooks.validate(attrs(), warnings);
    expect(warnings).toEqual(["image tag latest is discouraged"]);
    expect(harness([], [], allow).webhooks.active()).toBe(false);
  });
});

describe("webhook configurations", () => {
  const problems = (webhook: Record<string, unknown>) =>
    validateWebhookConfiguration(config("c", [webhook]), true).map((e) => `${e.field}: ${e.type}${e.detail ? `: ${e.detail}` : ""}`);

  it("accept what upstream accepts", () => {
    expect(problems({ matchConditions: [{ name: "not-system", expression: "!request.userInfo.username.startsWith('system:')" }] })).toEqual([]);
  });

  it("refuse wildcards mixed with other entries, and overlapping resources", () => {
    const rules = [{ operations: ["*", "CREATE"], apiGroups: ["*", "apps"], apiVersions: ["v1", ""], resources: ["*/*", "pods"], scope: "*" }];
    expect(problems({ rules })).toEqual([
      "webhooks[0].rules[0].operations: FieldValueInvalid: if '*' is present, must not specify other operations",
      "webhooks[0].rules[0].apiGroups: FieldValueInvalid: if '*' is present, must not specify other API groups",
      "webhooks[0].rules[0].apiVersions[1]: FieldValueRequired: version must not be empty",
      "webhooks[0].rules[0].resources: FieldValueInvalid: if '*/*' is present, must not specify other resources",
    ]);
    expect(problems({ rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods/*", "pods/status"], scope: "*" }] })).toEqual([
      "webhooks[0].rules[0].resources[1]: FieldValueInvalid: if 'pods/*' is present, must not specify pods/status",
    ]);
  });

  it("check side effects, review versions, selectors and match conditions as upstream", () => {
    expect(problems({ sideEffects: undefined, admissionReviewVersions: ["v1", "v1"] })).toEqual([
      "webhooks[0].sideEffects: FieldValueRequired: must specify one of None, NoneOnDryRun",
      "webhooks[0].admissionReviewVersions[1]: FieldValueInvalid: duplicate version",
    ]);
    expect(problems({ namespaceSelector: { matchExpressions: [{ key: "env", operator: "In", values: [] }] } })).toEqual([
      expect.stringMatching(/^webhooks\[0\]\.namespaceSelector\.matchExpressions\[0\]\.values: FieldValueRequired/),
    ]);
    const conditions = [
      { name: "a", expression: "true" },
      { name: "a", expression: "object.metadata.name ==" },
      { name: "Not A Name!", expression: " " },
    ];
    const found = problems({ matchConditions: conditions });
    expect(found[0]).toBe("webhooks[0].matchConditions[1].name: FieldValueDuplicate");
    expect(found[1]).toMatch(/^webhooks\[0\]\.matchConditions\[1\]\.expression: FieldValueInvalid: compilation failed: /);
    expect(found[2]).toMatch(/^webhooks\[0\]\.matchConditions\[2\]\.name: FieldValueInvalid: name part must consist of/);
    expect(found.at(-1)).toBe("webhooks[0].matchConditions[2].expression: FieldValueRequired");
  });
});
