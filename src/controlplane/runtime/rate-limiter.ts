/**
 * Per-item failure backoff, as client-go's `ItemExponentialFailureRateLimiter` (the item half of
 * `DefaultControllerRateLimiter`): the n-th consecutive failure waits `base × 2^(n−1)`, capped at
 * `max` — 5 ms, 10 ms, 20 ms, … 1000 s. `forget` (on success) starts over.
 *
 * Backoff is protection against hot loops, not simulated behaviour, so it is in sandbox-time ms
 * and is not divided by the speed factor.
 */
export interface RateLimiter {
  /** Records a failure of `item` and returns how long to wait before retrying it (ms). */
  when(item: string): number;
  /** Forgets the failures of `item` (after a success). */
  forget(item: string): void;
  /** Consecutive failures recorded for `item`. */
  numRequeues(item: string): number;
}

export const DEFAULT_BACKOFF_BASE_MS = 5;
export const DEFAULT_BACKOFF_MAX_MS = 1000 * 1000;

export class ExponentialFailureRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    readonly baseMs = DEFAULT_BACKOFF_BASE_MS,
    readonly maxMs = DEFAULT_BACKOFF_MAX_MS,
  ) {}

  when(item: string): number {
    const exp = this.failures.get(item) ?? 0;
    this.failures.set(item, exp + 1);
    return Math.min(this.baseMs * 2 ** exp, this.maxMs);
  }

  forget(item: string): void {
    this.failures.delete(item);
  }

  numRequeues(item: string): number {
    return this.failures.get(item) ?? 0;
  }
}
