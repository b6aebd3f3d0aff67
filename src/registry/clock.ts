import { generateName } from "../apiserver/names";

/** Time and identity sources, passed in so logic runs deterministically in tests. */

export interface Clock {
  /** Wall-clock milliseconds since the epoch. Never used to order or deduplicate anything. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface Ids {
  /** A random RFC 4122 v4 UID. */
  uid(): string;
  /** `base` plus a random 5-character suffix, as upstream's generateName. */
  generateName(base: string): string;
}

const cryptoRandom = () => crypto.getRandomValues(new Uint32Array(1))[0] / 2 ** 32;

export const randomIds: Ids = {
  uid: () => crypto.randomUUID(),
  generateName: (base) => generateName(base, cryptoRandom),
};

/** RFC 3339 with seconds precision, as metav1.Time marshals. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** RFC 3339 with microseconds, as metav1.MicroTime marshals. */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
