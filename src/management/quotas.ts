/**
 * Per-tenant quotas: their defaults, a tenant's overrides, and the request-rate limiter. The
 * admin key (and the admin's sandboxes) have no quotas.
 */
import { defaultLimits } from "../registry/store";
import { DEFAULT_MAX_WATCHES } from "../sandbox/sandbox";

export interface TenantQuotas {
  /** Sandboxes alive at once. */
  sandboxes: number;
  /** Sustained management API requests per second; bursts up to twice as many. */
  requestsPerSecond: number;
  /** Sustained Kubernetes API requests per second to each of the tenant's sandboxes; bursts up to twice as many. */
  kubernetesRequestsPerSecond: number;
  /** Objects stored in each sandbox (creates beyond it: 403). */
  objectsPerSandbox: number;
  /** Encoded bytes stored in each sandbox (writes beyond it: 403). */
  bytesPerSandbox: number;
  /** Watches open at once in each sandbox (more: 429). */
  watchesPerSandbox: number;
}

export const defaultQuotas: TenantQuotas = {
  sandboxes: 10,
  requestsPerSecond: 20,
  kubernetesRequestsPerSecond: 1000,
  objectsPerSandbox: defaultLimits.maxObjects,
  bytesPerSandbox: defaultLimits.maxTotalBytes,
  watchesPerSandbox: DEFAULT_MAX_WATCHES,
};

const QUOTA_NAMES = Object.keys(defaultQuotas) as (keyof TenantQuotas)[];

/** The quotas of a tenant: its overrides over the defaults. */
export function quotasOf(overrides: Partial<TenantQuotas> | null | undefined): TenantQuotas {
  return { ...defaultQuotas, ...(overrides ?? {}) };
}

/** Smallest allowed values: a sandbox's own start-up objects (nodes, policy, add-ons) must fit. */
const MINIMUMS: Partial<TenantQuotas> = { objectsPerSandbox: 1000, bytesPerSandbox: 4 * 1024 * 1024 };

/** Validates a `{quotas: {...}}` body; returns the error message of the first bad entry. */
export function quotaOverrideError(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "quotas must be an object";
  for (const [name, limit] of Object.entries(value)) {
    if (!QUOTA_NAMES.includes(name as keyof TenantQuotas)) return `unknown quota "${name}": known quotas are ${QUOTA_NAMES.join(", ")}`;
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0) return `quota "${name}" must be a non-negative integer`;
    const minimum = MINIMUMS[name as keyof TenantQuotas];
    if (minimum !== undefined && limit < minimum) return `quota "${name}" must be at least ${minimum}`;
  }
  return null;
}

/**
 * Token buckets per tenant, in this isolate's memory: a Worker runs in many isolates, so the
 * limit holds per isolate (a tenant spread over N isolates gets up to N times the rate). A
 * Durable Object per tenant would make it exact at the cost of a round trip on every request.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes one token; returns 0 when allowed, else the seconds until a token is available. */
  take(tenant: string, perSecond: number): number {
    const now = this.now();
    const capacity = perSecond * 2;
    const bucket = this.buckets.get(tenant) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    this.buckets.set(tenant, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return perSecond > 0 ? Math.ceil((1 - bucket.tokens) / perSecond) : 60;
  }
}
