/**
 * The sandbox clock: wall-clock timestamps, a schedule that runs `speed` times as fast and that
 * `clock:advance` can jump forward.
 *
 * ## The model
 *
 * - **Wall-clock time**, `now()`: the platform clock. Every timestamp a client sees
 *   (`creationTimestamp`, condition times, event times) uses it, so kubectl ages are always
 *   real and never read `<invalid>`, whatever the speed and however far the clock was advanced.
 * - **Schedule time**, `scheduleNow() = real now + offsetMs`: the runtime queue's time base. It
 *   runs at wall-clock rate and jumps forward on `advance`.
 * - **Simulated durations**: the Kubernetes durations the simulation is made of (image pulls,
 *   probe periods, grace periods, node-monitor grace, eviction timeouts, job run times,
 *   `requeueAfter`). A simulated duration `d` takes `d / speed` of schedule time
 *   ({@link SandboxClock.realDelayFor}).
 *
 * `advance(simulatedMs)` makes a simulated duration pass at once: the schedule offset grows by
 * `simulatedMs / speed`, so everything due within that simulated duration is due now, while
 * timestamps stay on the wall clock.
 *
 * For calendars (CronJob schedules) there is a **simulated clock**, anchored at the sandbox's
 * start: `simulatedNow() = anchorSim + (scheduleNow() − anchor) × speed`, that is
 * start + (real − start) × speed + everything advanced (while the speed is unchanged).
 *
 * ## Worked example (speed 60)
 *
 * A node stops heart-beating at T. The pod eviction timeout is 300 s of simulated time, so the
 * node lifecycle controller is woken `realDelayFor(300_000)` = 5,000 ms later: five real seconds
 * after the failure the pods are evicted. If the user instead calls `clock:advance` with 300 s
 * right after the failure, the schedule offset grows by 5 s, the eviction is due at once and runs
 * in the next alarm; the objects it writes carry the real time.
 *
 * ## Caveats for callers
 *
 * - Stored timestamps have one-second precision: at speed 60 that is a minute of simulated
 *   time, and after an advance they no longer measure simulated time. Controllers keep exact due
 *   times in the queue rather than re-deriving them from stored timestamps.
 * - Never order or deduplicate by any of these times (the platform clock is frozen during an
 *   invocation in production and may step between machines).
 *
 * The state is four numbers ({@link SandboxClockState}); persist it after every `advance` or
 * `setSpeed`, and rebuild with {@link SandboxClock.fromState} after eviction.
 */
import type { Clock } from "../registry/clock";

/** Serialisable state of a {@link SandboxClock}: JSON-safe, survives DO eviction. */
export interface SandboxClockState {
  /** Simulated time runs `speed` times as fast as sandbox time. */
  speed: number;
  /** Schedule time minus real time, in ms: the sum of every advance, converted at its speed. */
  offsetMs: number;
  /** A schedule time and the simulated time it corresponds to (re-anchored when speed changes). */
  anchorMs: number;
  anchorSimMs: number;
}

/** Bounds of the sandbox `speed` setting, as the management API validates it. */
export const MIN_SPEED = 0.1;
export const MAX_SPEED = 10_000;

function checkSpeed(speed: number): number {
  if (typeof speed !== "number" || !Number.isFinite(speed) || speed < MIN_SPEED || speed > MAX_SPEED) {
    throw new RangeError(`speed must be a number between ${MIN_SPEED} and ${MAX_SPEED}, got ${speed}`);
  }
  return speed;
}

function checkFinite(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${value}`);
  return value;
}

export class SandboxClock implements Clock {
  private state: SandboxClockState;

  private constructor(
    private readonly real: Clock,
    state: SandboxClockState,
  ) {
    this.state = { ...state };
  }

  /** A new sandbox clock at `speed`, anchored at the real clock's current time (no offset). */
  static start(real: Clock, speed = 1): SandboxClock {
    const now = real.now();
    return new SandboxClock(real, { speed: checkSpeed(speed), offsetMs: 0, anchorMs: now, anchorSimMs: now });
  }

  /** Rebuilds a clock from {@link toState} output (e.g. after DO eviction). */
  static fromState(real: Clock, state: SandboxClockState): SandboxClock {
    checkSpeed(state.speed);
    checkFinite("offsetMs", state.offsetMs);
    checkFinite("anchorMs", state.anchorMs);
    checkFinite("anchorSimMs", state.anchorSimMs);
    return new SandboxClock(real, state);
  }

  /** A copy of the state, to persist. */
  toState(): SandboxClockState {
    return { ...this.state };
  }

  toJSON(): SandboxClockState {
    return this.toState();
  }

  get speed(): number {
    return this.state.speed;
  }

  /** Schedule time minus real time (ms). */
  get offsetMs(): number {
    return this.state.offsetMs;
  }

  /** Wall-clock time (epoch ms): stamp objects and compute ages with it. */
  now(): number {
    return this.real.now();
  }

  /** Schedule time (epoch ms): the runtime queue's time base, jumped forward by `advance`. */
  scheduleNow(): number {
    return this.real.now() + this.state.offsetMs;
  }

  /** The simulated calendar time now (epoch ms), for schedules such as CronJob's. */
  simulatedNow(): number {
    return this.simulatedAt(this.scheduleNow());
  }

  /** The simulated calendar time at a schedule time. */
  simulatedAt(sandboxMs: number): number {
    const { anchorMs, anchorSimMs, speed } = this.state;
    return anchorSimMs + (sandboxMs - anchorMs) * speed;
  }

  /** The schedule time at which the simulated calendar reaches `simulatedMs`. */
  sandboxTimeAt(simulatedMs: number): number {
    const { anchorMs, anchorSimMs, speed } = this.state;
    return anchorMs + (simulatedMs - anchorSimMs) / speed;
  }

  /** How much schedule (= real, between advances) time a simulated duration takes: `simulatedMs / speed`. */
  realDelayFor(simulatedMs: number): number {
    return simulatedMs / this.state.speed;
  }

  /** How much simulated time a stretch of schedule time stands for: `sandboxMs × speed`. */
  simulatedDurationOf(sandboxMs: number): number {
    return sandboxMs * this.state.speed;
  }

  /** Simulated time elapsed since a schedule time. */
  simulatedSince(sandboxMs: number): number {
    return this.simulatedDurationOf(this.scheduleNow() - sandboxMs);
  }

  /** The schedule time at which a simulated duration starting now ends. */
  deadlineAfter(simulatedMs: number): number {
    return this.scheduleNow() + this.realDelayFor(simulatedMs);
  }

  /** The real epoch time at which the schedule reads `sandboxMs` — what `setAlarm` takes. */
  realTimeAt(sandboxMs: number): number {
    return sandboxMs - this.state.offsetMs;
  }

  /**
   * Makes `simulatedMs` of simulated time pass at once (`clock:advance`). Schedule time jumps by
   * `simulatedMs / speed`; wall-clock time does not move. Throws a RangeError for a negative or non-finite amount: time never
   * goes back.
   */
  advance(simulatedMs: number): void {
    checkFinite("advance", simulatedMs);
    if (simulatedMs < 0) throw new RangeError(`cannot advance the clock by a negative amount (${simulatedMs} ms)`);
    this.state.offsetMs += simulatedMs / this.state.speed;
  }

  /**
   * Changes the speed from now on. Re-anchors so neither schedule nor simulated time jumps. Due
   * times already computed at the old speed are not rescaled: re-enqueue (resync) after a change.
   */
  setSpeed(speed: number): void {
    checkSpeed(speed);
    const now = this.scheduleNow();
    this.state.anchorSimMs = this.simulatedAt(now);
    this.state.anchorMs = now;
    this.state.speed = speed;
  }
}
