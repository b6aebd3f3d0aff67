import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { age, humanDuration, shortHumanDuration } from "../../src/apiserver/duration";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const Y = 365 * D;

describe("humanDuration (AGE column)", () => {
  it.each([
    [-2 * S, "<invalid>"],
    [-10 * D, "<invalid>"],
    [-2 * S + 0.5, "0s"], // up to 2s in the future is clock skew
    [-1 * S, "0s"],
    [0, "0s"],
    [S - 1, "0s"],
    [S, "1s"],
    [70 * S, "70s"],
    [2 * M - 1, "119s"],
    [2 * M, "2m"],
    [2 * M + S, "2m1s"],
    [190 * S, "3m10s"],
    [10 * M - 1, "9m59s"],
    [10 * M, "10m"],
    [10 * M + S, "10m"],
    [70 * M, "70m"],
    [3 * H - 1, "179m"],
    [3 * H, "3h"],
    [3 * H + M, "3h1m"],
    [8 * H - 1, "7h59m"],
    [8 * H, "8h"],
    [8 * H + 59 * M, "8h"],
    [47 * H, "47h"],
    [2 * D - 1, "47h"],
    [2 * D, "2d"],
    [49 * H, "2d1h"],
    [8 * D - 1, "7d23h"],
    [8 * D, "8d"],
    [8 * D + 23 * H, "8d"],
    [367 * D, "367d"],
    [2 * Y - 1, "729d"],
    [2 * Y, "2y"],
    [2 * Y + 24 * H - 1, "2y"],
    [2 * Y + 25 * H, "2y1d"],
    [8 * Y - 1, "7y364d"],
    [8 * Y, "8y"],
    [8 * Y + 364 * D, "8y"],
    [9 * Y, "9y"],
  ])("%d ms → %s", (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});

describe("shortHumanDuration", () => {
  it.each([
    [-2 * S, "<invalid>"],
    [-2 * S + 0.5, "0s"],
    [0, "0s"],
    [S - 1, "0s"],
    [S, "1s"],
    [2 * S - 1, "1s"],
    [M - 1, "59s"],
    [M, "1m"],
    [2 * M - 1, "1m"],
    [H - 1, "59m"],
    [H, "1h"],
    [D - 1, "23h"],
    [D, "1d"],
    [2 * D - 1, "1d"],
    [Y - 1, "364d"],
    [Y, "1y"],
    [2 * Y - 1, "1y"],
    [2 * Y, "2y"],
  ])("%d ms → %s", (ms, want) => {
    expect(shortHumanDuration(ms)).toBe(want);
  });
});

describe("age", () => {
  const now = new Date("2024-05-01T12:00:00Z");
  it.each([
    ["2024-05-01T11:59:30Z", "30s"],
    ["2024-05-01T11:55:00Z", "5m"],
    ["2024-04-30T12:00:00Z", "24h"],
    ["2024-05-01T12:00:01Z", "0s"],
    ["2024-05-01T12:00:05Z", "<invalid>"],
    [undefined, "<unknown>"],
    ["", "<unknown>"],
  ])("%s → %s", (ts, want) => {
    expect(age(ts, now)).toBe(want);
  });
});

describe("duration properties", () => {
  it("never gets shorter as time passes (for non-negative durations)", () => {
    const toSeconds = (s: string) => {
      let total = 0;
      for (const [, n, u] of s.matchAll(/(\d+)([smhdy])/g)) total += Number(n) * { s: 1, m: 60, h: 3600, d: 86400, y: 365 * 86400 }[u as "s"];
      return total;
    };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 * Y }), fc.integer({ min: 0, max: Y }), (a, delta) => {
        expect(toSeconds(humanDuration(a + delta))).toBeGreaterThanOrEqual(toSeconds(humanDuration(a)));
        expect(toSeconds(shortHumanDuration(a + delta))).toBeGreaterThanOrEqual(toSeconds(shortHumanDuration(a)));
      }),
    );
  });
});
