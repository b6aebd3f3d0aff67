/**
 * The webhook URL guard: every hostile spelling of an internal address is refused (issue 6 asks
 * for at least 30), public https endpoints pass, and plain http only to loopback in local mode.
 */
import { describe, expect, it } from "vitest";
import { guardWebhookUrl } from "../../src/webhooks/ssrf";
import { friendly, hostile } from "../fixtures/webhooks/urls";

describe("webhook URL guard", () => {
  it("has a table of at least 30 hostile URLs", () => expect(hostile.length).toBeGreaterThanOrEqual(30));

  it.each(hostile)("refuses %s", (url) => {
    const result = guardWebhookUrl(url);
    expect(result.ok, url).toBe(false);
  });

  it.each(friendly)("accepts %s", (url) => {
    const result = guardWebhookUrl(url);
    expect(result, url).toMatchObject({ ok: true });
  });

  it("allows plain http to loopback only in local development", () => {
    expect(guardWebhookUrl("http://127.0.0.1:9999/hook", { allowLoopbackHttp: true }).ok).toBe(true);
    expect(guardWebhookUrl("http://localhost:9999/hook", { allowLoopbackHttp: true }).ok).toBe(true);
    expect(guardWebhookUrl("http://10.0.0.1/hook", { allowLoopbackHttp: true }).ok).toBe(false);
    expect(guardWebhookUrl("http://127.0.0.1:9999/hook").ok).toBe(false);
  });

  it("says why", () => {
    expect(guardWebhookUrl("https://169.254.169.254/")).toEqual({ ok: false, reason: "the address 169.254.169.254 is link-local (cloud metadata)" });
    expect(guardWebhookUrl("https://[::ffff:10.0.0.1]/")).toEqual({ ok: false, reason: "the address [::ffff:a00:1] is private" });
  });
});
