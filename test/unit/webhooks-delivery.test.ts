/**
 * Webhook signatures verify with the standardwebhooks package (also during a secret rotation),
 * and failed deliveries follow the documented schedule of about three days.
 */
import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { newSigningSecret, signedHeaders } from "../../src/webhooks/signing";
import { outcomeOf, RETRY_DELAYS_MS, retryAfterMs } from "../../src/webhooks/schedule";

describe("signatures", () => {
  const body = JSON.stringify({ type: "resource.added", sandboxId: "sbx-1", resourceVersion: "42" });

  it("verify with the Standard Webhooks verifier", () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const headers = signedHeaders([secret], "msg_1", Date.now(), body);
    expect(headers["webhook-id"]).toBe("msg_1");
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body.replace("42", "43"), headers)).toThrow();
  });

  it("carry both signatures while a secret rotates, so either verifies", () => {
    const [next, previous] = [newSigningSecret(), newSigningSecret()];
    const headers = signedHeaders([next, previous], "msg_2", Date.now(), body);
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(new Webhook(next).verify(body, headers)).toBeTruthy();
    expect(new Webhook(previous).verify(body, headers)).toBeTruthy();
  });
});

describe("retry schedule", () => {
  it("spans about three days, jittered by at most 20 %", () => {
    const total = RETRY_DELAYS_MS.reduce((a, b) => a + b, 0);
    expect(total / 3_600_000).toBeGreaterThan(70);
    expect(total / 3_600_000).toBeLessThan(80);
    for (let attempt = 1; attempt <= RETRY_DELAYS_MS.length; attempt++) {
      const base = RETRY_DELAYS_MS[attempt - 1]!;
      for (const random of [0, 0.5, 0.999]) {
        const outcome = outcomeOf(attempt, 500, null, random);
        expect(outcome.kind).toBe("retry");
        const afterMs = (outcome as { afterMs: number }).afterMs;
        expect(afterMs).toBeGreaterThanOrEqual(base * 0.8);
        expect(afterMs).toBeLessThanOrEqual(base * 1.2);
      }
    }
    expect(outcomeOf(RETRY_DELAYS_MS.length + 1, 500, null, 0.5)).toEqual({ kind: "failed" });
  });

  it("treats 2xx as delivered, 410 as disabling, timeouts and redirects as failures to retry", () => {
    expect(outcomeOf(1, 204, null, 0.5)).toEqual({ kind: "delivered" });
    expect(outcomeOf(1, 410, null, 0.5)).toEqual({ kind: "disable" });
    expect(outcomeOf(1, null, null, 0.5)).toEqual({ kind: "retry", afterMs: 5_000 });
    expect(outcomeOf(1, 302, null, 0.5).kind).toBe("retry");
  });

  it("honours Retry-After (seconds or a date), later only, at most a day", () => {
    const now = Date.parse("2026-11-22T10:00:00Z");
    expect(retryAfterMs("120", now)).toBe(120_000);
    expect(retryAfterMs("Sun, 22 Nov 2026 10:10:00 GMT", now)).toBe(600_000);
    expect(retryAfterMs("soon", now)).toBeNull();
    expect(outcomeOf(1, 429, 120_000, 0.5)).toEqual({ kind: "retry", afterMs: 120_000 });
    expect(outcomeOf(3, 503, 1_000, 0.5)).toEqual({ kind: "retry", afterMs: 1_800_000 });
    expect(outcomeOf(1, 503, 10 * 86_400_000, 0.5)).toEqual({ kind: "retry", afterMs: 86_400_000 });
  });
});
