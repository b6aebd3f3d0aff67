/**
 * Alarm coalescing. Every alarm invocation is a billed request, and a busy sandbox at high speed
 * can have due times a millisecond apart; rounding the wake-up time up to a grid of `windowMs`
 * runs everything due within one window in one alarm, and bounds a sandbox to one alarm per window.
 * Rounding is always up, so nothing ever runs before it is due.
 */
export const DEFAULT_COALESCE_MS = 10;

/** `dueAt` rounded up to the next multiple of `windowMs` (unchanged when `windowMs` ≤ 0). */
export function coalesceDueAt(dueAt: number, windowMs = DEFAULT_COALESCE_MS): number {
  if (!(windowMs > 0)) return dueAt;
  return Math.ceil(dueAt / windowMs) * windowMs;
}

/** What the alarm needs from the sandbox clock: converting a schedule time to real epoch ms. */
export interface AlarmClock {
  realTimeAt(sandboxMs: number): number;
}

/**
 * The real epoch time to pass to `setAlarm` for a queue whose earliest due time (schedule time) is
 * `nextDueAt`, or null for no alarm (idle). Coalesced in schedule time, then converted; a result in
 * the past simply fires at once.
 */
export function alarmTimeFor(nextDueAt: number | null, clock: AlarmClock, windowMs = DEFAULT_COALESCE_MS): number | null {
  if (nextDueAt === null) return null;
  return clock.realTimeAt(coalesceDueAt(nextDueAt, windowMs));
}
