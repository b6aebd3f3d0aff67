/**
 * When a failed delivery is tried again. The schedule spans about three days: 5 s, 5 min, 30 min,
 * 2 h, 5 h, 10 h, 10 h, 24 h, 24 h after each failure (≈ 75 h in all), each delay jittered by
 * ±20 % so endpoints coming back are not hit all at once. A `Retry-After` (seconds or an HTTP
 * date) may push an attempt later, never sooner, and at most 24 h. After the last attempt the
 * delivery has failed for good.
 *
 * Outcomes: 2xx delivered; 410 Gone disables the endpoint; anything else (timeouts, network
 * errors, 3xx — redirects are never followed —, 4xx, 5xx) is retried on the schedule.
 */

export const RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000, 86_400_000, 86_400_000];
const JITTER = 0.2;
const MAX_RETRY_AFTER_MS = 86_400_000;

export type Outcome = { kind: "delivered" } | { kind: "disable" } | { kind: "retry"; afterMs: number } | { kind: "failed" };

/** The `Retry-After` header as milliseconds from `nowMs`, or null when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs: number): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/**
 * What follows attempt number `attempt` (1 for the first) that ended with `status` (null: no
 * response — timeout or network error). `random` is in [0, 1).
 */
export function outcomeOf(attempt: number, status: number | null, retryAfter: number | null, random: number): Outcome {
  if (status !== null && status >= 200 && status < 300) return { kind: "delivered" };
  if (status === 410) return { kind: "disable" };
  const base = RETRY_DELAYS_MS[attempt - 1];
  if (base === undefined) return { kind: "failed" };
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * random));
  const afterMs = retryAfter === null ? jittered : Math.max(jittered, Math.min(retryAfter, MAX_RETRY_AFTER_MS));
  return { kind: "retry", afterMs };
}
