/**
 * One delivery attempt: hostile URLs are refused at send time without a request, redirects are
 * not followed, slow endpoints time out, answers are read up to a cap, and a real receiver on
 * 127.0.0.1 gets a signed POST.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { attempt } from "../../src/webhooks/attempt";
import { outcomeOf, retryAfterMs } from "../../src/webhooks/schedule";
import { newSigningSecret, signedHeaders } from "../../src/webhooks/signing";
import { hostile } from "../fixtures/webhooks/urls";

const body = JSON.stringify({ type: "webhook.ping", sandboxId: "sbx-1", resourceVersion: "1" });
const options = (fetch: typeof globalThis.fetch, extra: Partial<Parameters<typeof attempt>[3]> = {}) => ({ fetch, now: () => performance.now(), ...extra });
const answering = (response: () => Response): typeof fetch => async () => response();

describe("a delivery attempt", () => {
  it.each(hostile)("refuses %s at send time without making a request", async (url) => {
    let requested = false;
    const result = await attempt(url, body, {}, options(async () => ((requested = true), new Response(null))));
    expect(requested).toBe(false);
    expect(result).toMatchObject({ status: null, error: expect.stringMatching(/^refused URL: /) });
  });

  it("reports a 2xx with its latency, and a 500 with its Retry-After and the start of its body", async () => {
    expect(await attempt("https://example.com/h", body, {}, options(answering(() => new Response(null, { status: 204 }))))).toMatchObject({ status: 204, latencyMs: expect.any(Number) });
    const failed = await attempt("https://example.com/h", body, {}, options(answering(() => new Response("busy", { status: 500, headers: { "retry-after": "120" } }))));
    expect(failed).toMatchObject({ status: 500, retryAfter: "120", responseSnippet: "busy" });
  });

  it("never follows a redirect", async () => {
    let init: RequestInit | undefined;
    const result = await attempt("https://example.com/h", body, {}, options(async (_url, i) => ((init = i), new Response(null, { status: 302, headers: { location: "https://169.254.169.254/" } }))));
    expect(init?.redirect).toBe("manual");
    expect(result).toMatchObject({ status: 302, error: "redirect to https://169.254.169.254/ not followed" });
  });

  it("gives up on an endpoint that does not answer in time", async () => {
    const never: typeof fetch = (_url, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(new Error("aborted"))));
    expect(await attempt("https://example.com/h", body, {}, options(never, { timeoutMs: 50 }))).toMatchObject({ status: null, error: "no answer within 50 ms" });
  });

  it("reads at most the cap of a huge answer", async () => {
    let pulled = 0;
    const huge = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(64 * 1024).fill(120));
        if (pulled > 160) controller.close(); // 10 MB if read to the end
      },
    });
    const result = await attempt("https://example.com/h", body, {}, options(answering(() => new Response(huge, { status: 200 })), { maxResponseBytes: 4096 }));
    expect(result.responseSnippet).toHaveLength(4096);
    expect(pulled).toBeLessThan(5);
  });

  it("reports a 410 Gone, which disables the endpoint, and a 500's Retry-After, which delays the retry", async () => {
    const gone = await attempt("https://example.com/h", body, {}, options(answering(() => new Response("unsubscribed", { status: 410 }))));
    expect(gone).toEqual({ status: 410, latencyMs: expect.any(Number), responseSnippet: "unsubscribed", retryAfter: null });
    expect(outcomeOf(1, gone.status, null, 0.5)).toEqual({ kind: "disable" });
    const busy = await attempt("https://example.com/h", body, {}, options(answering(() => new Response(null, { status: 503, headers: { "retry-after": "600" } }))));
    expect(outcomeOf(1, busy.status, retryAfterMs(busy.retryAfter ?? null, Date.now()), 0.5)).toEqual({ kind: "retry", afterMs: 600_000 });
  });

  it("answers a refused URL and a network failure in the same shape as a response", async () => {
    expect(await attempt("https://10.0.0.1/h", body, {}, options(answering(() => new Response(null))))).toEqual({
      status: null,
      latencyMs: 0,
      error: "refused URL: the address 10.0.0.1 is private",
      responseSnippet: "",
      retryAfter: null,
    });
    const unreachable: typeof fetch = async () => {
      throw new TypeError("connection refused");
    };
    expect(await attempt("https://example.com/h", body, {}, options(unreachable))).toEqual({
      status: null,
      latencyMs: expect.any(Number),
      error: "request failed: connection refused",
      responseSnippet: "",
      retryAfter: null,
    });
  });

  it("keeps the status of an answer whose body stalls past the timeout, with what had arrived", async () => {
    const stalling: typeof fetch = async (_url, init) => {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("ok so far"));
          init?.signal?.addEventListener("abort", () => controller.error(new Error("aborted")));
        },
      });
      return new Response(stream, { status: 200 });
    };
    expect(await attempt("https://example.com/h", body, {}, options(stalling, { timeoutMs: 50 }))).toMatchObject({
      status: 200,
      responseSnippet: "ok so far",
      error: "the answer's body did not finish within 50 ms",
    });
  });

  it("POSTs a signed message to a real receiver on 127.0.0.1", async () => {
    const secret = newSigningSecret();
    const received: { verified: unknown; method?: string }[] = [];
    const server = createServer((req, res) => {
      let text = "";
      req.on("data", (c) => (text += c));
      req.on("end", () => {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        received.push({ verified: new Webhook(secret).verify(text, headers), method: req.method });
        res.writeHead(200).end("thanks");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const headers = signedHeaders([secret], "msg_sbx-1_1", Date.now(), body);
      expect(await attempt(url, body, headers, options(fetch))).toMatchObject({ status: null, error: "refused URL: only https URLs are allowed" });
      expect(await attempt(url, body, headers, options(fetch, { allowLoopbackHttp: true }))).toMatchObject({ status: 200, responseSnippet: "thanks" });
      expect(received).toEqual([{ verified: JSON.parse(body), method: "POST" }]);
    } finally {
      server.close();
    }
  });
});
