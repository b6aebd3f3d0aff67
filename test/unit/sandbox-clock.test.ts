import { describe, expect, it } from "vitest";
import { SandboxClock, type SandboxClockState } from "../../src/controlplane/clock";
import { formatTime } from "../../src/registry/clock";

const S = 1000;
const M = 60 * S;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/** A real clock that only moves when told to. */
function fakeReal(start = T0) {
  let t = start;
  return {
    now: () => t,
    tick(ms: number) {
      t += ms;
    },
  };
}

describe("SandboxClock", () => {
  it("starts on the real clock: no offset, simulated time equals sandbox time", () => {
    const real = fakeReal();
    const clock = SandboxClock.start(real, 60);
    expect(clock.scheduleNow()).toBe(T0);
    expect(clock.simulatedNow()).toBe(T0);
    expect(clock.offsetMs).toBe(0);
  });

  it.each([
    // speed, simulated duration, sandbox (real) delay
    [1, 300 * S, 300 * S],
    [60, 300 * S, 5 * S], // the worked example: a 5-minute eviction takes 5 real seconds
    [60, 40 * S, (40 * S) / 60],
    [10, 2 * S, 200],
    [0.5, 10 * S, 20 * S], // slower than real time
    [10_000, 1 * S, 0.1],
  ])("speed %s: %s simulated ms take %s real ms", (speed, simulated, delay) => {
    const clock = SandboxClock.start(fakeReal(), speed);
    expect(clock.realDelayFor(simulated)).toBeCloseTo(delay, 9);
    expect(clock.simulatedDurationOf(delay)).toBeCloseTo(simulated, 6);
  });

  it("sandbox time follows the real clock; simulated time runs speed times as fast", () => {
    const real = fakeReal();
    const clock = SandboxClock.start(real, 60);
    real.tick(5 * S);
    expect(clock.scheduleNow()).toBe(T0 + 5 * S);
    expect(clock.simulatedNow()).toBe(T0 + 5 * M);
    expect(clock.simulatedSince(T0)).toBe(5 * M);
  });

  it.each([
    // speed, advance (simulated), expected offset (sandbox ms)
    [1, 300 * S, 300 * S],
    [60, 300 * S, 5 * S],
    [4, 0, 0],
  ])("speed %s: advance(%s) moves schedule time by %s", (speed, advance, offset) => {
    const real = fakeReal();
    const clock = SandboxClock.start(real, speed);
    const deadline = clock.deadlineAfter(advance);
    clock.advance(advance);
    expect(clock.offsetMs).toBe(offset);
    expect(clock.scheduleNow()).toBe(T0 + offset);
    expect(clock.simulatedNow()).toBe(T0 + advance);
    // Whatever was due within the advanced simulated duration is due now.
    expect(clock.scheduleNow()).toBeGreaterThanOrEqual(deadline);
  });

  it("timestamps stay on the wall clock across an advance; the schedule jumps", () => {
    const real = fakeReal();
    const clock = SandboxClock.start(real, 1);
    const created = clock.now();
    real.tick(10 * S);
    clock.advance(300 * S);
    // kubectl computes ages from timestamps: they must never be ahead of the client's clock.
    expect(clock.now()).toBe(real.now());
    expect(clock.now() - created).toBe(10 * S);
    expect(clock.scheduleNow() - created).toBe(310 * S);
    // the real time to pass to setAlarm for "due now" is the real now
    expect(clock.realTimeAt(clock.scheduleNow())).toBe(real.now());
  });

  it("advances accumulate, each at the speed of its time", () => {
    const real = fakeReal();
    const clock = SandboxClock.start(real, 60);
    clock.advance(60 * S); // +1 s
    real.tick(2 * S); // +2 min simulated
    clock.setSpeed(1);
    clock.advance(30 * S); // +30 s
    expect(clock.offsetMs).toBe(31 * S);
    expect(clock.scheduleNow()).toBe(T0 + 33 * S);
    expect(clock.simulatedNow()).toBe(T0 + 1 * M + 2 * M + 30 * S);
  });

  it("a speed change neither jumps sandbox time nor simulated time", () => {
    const real = fakeReal();
    const clock = SandboxClock.start(real, 60);
    real.tick(10 * S);
    const [now, sim] = [clock.scheduleNow(), clock.simulatedNow()];
    clock.setSpeed(2);
    expect([clock.scheduleNow(), clock.simulatedNow()]).toEqual([now, sim]);
    real.tick(10 * S);
    expect(clock.simulatedNow()).toBe(sim + 20 * S);
    expect(clock.realDelayFor(10 * S)).toBe(5 * S);
  });

  it("converts between simulated calendar time and sandbox time", () => {
    const real = fakeReal();
    const clock = SandboxClock.start(real, 60);
    // A CronJob "every hour" at speed 60: the next simulated hour is one real minute away.
    const nextHour = T0 + 60 * M;
    expect(clock.sandboxTimeAt(nextHour)).toBe(T0 + 1 * M);
    expect(clock.simulatedAt(clock.sandboxTimeAt(nextHour))).toBe(nextHour);
  });

  it("survives serialisation (DO eviction) unchanged", () => {
    const real = fakeReal();
    const clock = SandboxClock.start(real, 60);
    real.tick(7 * S);
    clock.advance(120 * S);
    clock.setSpeed(30);
    const state: SandboxClockState = JSON.parse(JSON.stringify(clock));
    const restored = SandboxClock.fromState(real, state);
    expect(restored.toState()).toEqual(clock.toState());
    for (const tick of [0, 3 * S]) {
      real.tick(tick);
      expect(restored.scheduleNow()).toBe(clock.scheduleNow());
      expect(restored.simulatedNow()).toBe(clock.simulatedNow());
      expect(restored.realDelayFor(M)).toBe(clock.realDelayFor(M));
    }
    // the restored copy is independent
    restored.advance(30 * S);
    expect(restored.scheduleNow()).not.toBe(clock.scheduleNow());
  });

  it.each([
    ["a negative advance", (c: SandboxClock) => c.advance(-1)],
    ["a NaN advance", (c: SandboxClock) => c.advance(Number.NaN)],
    ["an infinite advance", (c: SandboxClock) => c.advance(Infinity)],
    ["speed 0", (c: SandboxClock) => c.setSpeed(0)],
    ["speed above 10000", (c: SandboxClock) => c.setSpeed(10_001)],
  ])("rejects %s with a RangeError and stays unchanged", (_, act) => {
    const clock = SandboxClock.start(fakeReal(), 60);
    const before = clock.toState();
    expect(() => act(clock)).toThrow(RangeError);
    expect(clock.toState()).toEqual(before);
  });

  it("rejects a corrupt state", () => {
    expect(() => SandboxClock.fromState(fakeReal(), { speed: 0, offsetMs: 0, anchorMs: 0, anchorSimMs: 0 })).toThrow(RangeError);
    expect(() => SandboxClock.fromState(fakeReal(), { speed: 1, offsetMs: Number.NaN, anchorMs: 0, anchorSimMs: 0 })).toThrow(RangeError);
  });
});
