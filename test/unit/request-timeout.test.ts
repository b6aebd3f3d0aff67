/**
 * Request deadlines, as kube-apiserver's `--request-timeout` and a request's `?timeout=`: a
 * request still running at its deadline answers 504 Timeout with upstream's message; watches are
 * long-running and keep going.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cluster, paths, pod, type Cluster } from "./support/cluster";

let c: Cluster | undefined;
afterEach(async () => {
  await c?.closeWatches();
});

/** An admission webhook that never answers (until the call is aborted). */
const unanswered: typeof fetch = (_input, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(new Error("aborted"))));

const slowWebhook = {
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "ValidatingWebhookConfiguration",
  metadata: { name: "slow" },
  webhooks: [
    {
      name: "slow.sandkube.test",
      clientConfig: { url: "https://slow.example.com/validate" },
      rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
      sideEffects: "None",
      admissionReviewVersions: ["v1"],
      timeoutSeconds: 30,
    },
  ],
};

describe("request deadlines", () => {
  it("answer 504 Timeout with upstream's message when a request outlives its ?timeout=", async () => {
    c = await cluster({ fetch: unanswered });
    expect((await c.post("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", slowWebhook)).status).toBe(201);
    const started = performance.now();
    const res = await c.post(`${paths.pods()}?timeout=200ms`, pod("web"));
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({ kind: "Status", reason: "Timeout", code: 504, message: "Timeout: request did not complete within requested timeout - context deadline exceeded" });
    expect(performance.now() - started).toBeLessThan(5_000);
    // Other requests are not held up, and an unreadable timeout means the server's own limit.
    expect((await c.get(`${paths.pods()}?timeout=soon`)).status).toBe(200);
  });

  it("leave watches running past the deadline", async () => {
    c = await cluster();
    const { resourceVersion } = (await c.get(paths.configmaps())).body.metadata;
    const watch = await c.watch(`${paths.configmaps()}?watch=true&resourceVersion=${resourceVersion}&timeout=100ms`);
    expect(watch.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    await c.post(paths.configmaps(), { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "late" } });
    const names: string[] = [];
    while (!names.includes("late")) names.push((await watch.next(2000)).object.metadata.name);
    expect(names).toContain("late");
  });
});
