/**
 * `resource.Quantity` (k8s.io/apimachinery/pkg/api/resource): parsing, exact arithmetic and the
 * canonical string form kube-apiserver re-emits.
 *
 * A quantity is kept exactly as `mantissa × 10^exponent` with a bigint mantissa, so `500m`,
 * `1.5Gi` and `1e3` are all represented without rounding. Upstream rounds values finer than one
 * nano-unit up (away from zero) and caps binary-suffixed values at 2^63-1; both are reproduced.
 *
 * Upstream also re-emits the client's own string when it is already in canonical form (`+1`
 * stays `+1`, `12Mi` stays `12Mi`); that is kept in `original` and honoured by {@link formatQuantity}.
 */

export type QuantityFormat = "DecimalExponent" | "BinarySI" | "DecimalSI";

export interface Quantity {
  /** value = mantissa × 10^exponent, exactly. Not normalised: `1000m` is 1000 × 10^-3. */
  readonly mantissa: bigint;
  readonly exponent: number;
  readonly format: QuantityFormat;
  /** The parsed string, when upstream would serialise the quantity back unchanged. */
  readonly original?: string;
}

export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const QUANTITY_NUMERIC_ERROR = "unable to parse numeric part of quantity";
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

/** A string that is not a quantity; `message` is upstream's error text. */
export class QuantityError extends Error {
  override readonly name = "QuantityError";
}

const MAX_INT64 = (1n << 63n) - 1n;
const NANO = -9;

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalSuffixByExponent = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binarySuffixByExponent = new Map<number, string>([[0, ""], ...Object.entries(binarySuffixes).map(([s, e]) => [e, s] as [number, string])]);

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

interface Pieces {
  positive: boolean;
  /** The numeric prefix of the input (sign, digits, point), as upstream's `value`. */
  numeric: string;
  /** Integer digits without leading zeros ("0" when none). */
  num: string;
  /** Fraction digits. */
  denom: string;
  suffix: string;
}

/** Splits a quantity string the way upstream's scanner does (including its leniencies: `1.G`, `.5`, `-`). */
function scan(str: string): Pieces {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (str[0] === "-") {
    positive = false;
    pos++;
  } else if (str[0] === "+") {
    pos++;
  }
  while (pos < end && str[pos] === "0") pos++;
  if (pos >= end) return { positive, numeric: str, num: "0", denom: "", suffix: "" };

  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  let num = str.slice(pos, i);
  if (i >= end) return { positive, numeric: str, num: num || "0", denom: "", suffix: "" };
  pos = i;
  if (num.length === 0) num = "0";

  let denom = "";
  if (str[pos] === ".") {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    if (i >= end) return { positive, numeric: str, num, denom, suffix: "" };
    pos = i;
  }
  const numeric = str.slice(0, pos);

  const suffixStart = pos;
  i = pos;
  while (i < end && "eEinumkKMGTP".includes(str[i]!)) i++;
  if (i >= end) return { positive, numeric, num, denom, suffix: str.slice(suffixStart) };
  pos = i;
  if (str[pos] === "-" || str[pos] === "+") pos++;
  for (i = pos; i < end; i++) {
    if (!isDigit(str[i])) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  }
  return { positive, numeric, num, denom, suffix: str.slice(suffixStart) };
}

function interpretSuffix(suffix: string): { base: 10 | 2; exponent: number; format: QuantityFormat } | null {
  if (suffix in decimalSuffixes) return { base: 10, exponent: decimalSuffixes[suffix]!, format: "DecimalSI" };
  if (suffix in binarySuffixes) return { base: 2, exponent: binarySuffixes[suffix]!, format: "BinarySI" };
  if (suffix.length > 1 && (suffix[0] === "e" || suffix[0] === "E")) {
    const digits = suffix.slice(1);
    if (!/^[+-]?[0-9]+$/.test(digits)) return null;
    const parsed = BigInt(digits);
    // Go parses the exponent as an int64 and then keeps its low 32 bits.
    if (parsed > MAX_INT64 || parsed < -MAX_INT64 - 1n) return null;
    return { base: 10, exponent: Number(BigInt.asIntN(32, parsed)), format: "DecimalExponent" };
  }
  return null;
}

const absBig = (x: bigint) => (x < 0n ? -x : x);
const digitCount = (x: bigint) => (x === 0n ? 0 : absBig(x).toString().length);

/** Rounds `mantissa × 10^exponent` to `scale` digits, away from zero; reports whether that was exact. */
function roundToExponent(mantissa: bigint, exponent: number, target: number): { mantissa: bigint; exact: boolean } {
  if (exponent >= target) return { mantissa: mantissa * 10n ** BigInt(exponent - target), exact: true };
  if (mantissa === 0n) return { mantissa: 0n, exact: true };
  // Far below the target: the quotient is zero and the remainder non-zero (no need to build 10^k).
  if (target - exponent > digitCount(mantissa)) return { mantissa: mantissa > 0n ? 1n : -1n, exact: false };
  const divisor = 10n ** BigInt(target - exponent);
  const q = mantissa / divisor;
  const r = mantissa % divisor;
  if (r === 0n) return { mantissa: q, exact: true };
  return { mantissa: mantissa > 0n ? q + 1n : q - 1n, exact: false };
}

/**
 * Parses a quantity as kube-apiserver does when decoding a request body; throws {@link QuantityError}
 * with upstream's message for anything it would reject.
 */
export function parseQuantity(input: string): Quantity {
  const str = input;
  if (str.length === 0) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  if (str === "0") return { mantissa: 0n, exponent: 0, format: "DecimalSI", original: "0" };

  const { positive, numeric, num, denom, suffix } = scan(str);
  const interpreted = interpretSuffix(suffix);
  if (!interpreted) throw new QuantityError(QUANTITY_SUFFIX_ERROR);
  const { base, exponent } = interpreted;
  let format = interpreted.format;

  // Upstream's fast path (an int64 with a decimal scale); only it may keep the input string.
  let precision = 0;
  let scale = 0;
  let multiplier = 1n;
  if (base === 10) {
    scale = exponent;
    precision = 18 - (num.length + denom.length);
  } else if (denom.length === 0) {
    multiplier = 1n << BigInt(exponent);
    precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
  } else {
    precision = -1;
  }
  if (precision >= 0) {
    scale -= denom.length;
    if (scale >= NANO) {
      const shifted = num + denom;
      const value = BigInt(shifted);
      const product = value * multiplier;
      if (product <= MAX_INT64) {
        const mantissa = positive ? product : -product;
        let canonical: boolean;
        if (format === "BinarySI") canonical = exponent % 10 === 0 && (value & 7n) !== 0n;
        else canonical = scale % 3 === 0 && !shifted.endsWith("000") && shifted[0] !== "0";
        return canonical ? { mantissa, exponent: scale, format, original: str } : { mantissa, exponent: scale, format };
      }
    }
  }

  // Arbitrary precision: the digits as written, the suffix folded in, then rounded up to nano units.
  const digitsMatch = /^([+-]?)([0-9]*)(?:\.([0-9]*))?$/.exec(numeric);
  if (!digitsMatch || digitsMatch[2]!.length + (digitsMatch[3] ?? "").length === 0) throw new QuantityError(QUANTITY_NUMERIC_ERROR);
  const fraction = digitsMatch[3] ?? "";
  let magnitude = BigInt(digitsMatch[2]! + fraction);
  let exp = -fraction.length;
  if (base === 10) exp += exponent;
  else magnitude *= 1n << BigInt(exponent);
  if (magnitude !== 0n && exp < NANO) {
    magnitude = roundToExponent(magnitude, exp, NANO).mantissa;
    exp = NANO;
  }
  if (format === "BinarySI" && compareMagnitudes(magnitude, exp, MAX_INT64, 0) > 0) {
    magnitude = MAX_INT64;
    exp = 0;
  }
  if (format === "BinarySI" && magnitude !== 0n && compareMagnitudes(magnitude, exp, 1n, 0) < 0) format = "DecimalSI";
  return { mantissa: positive ? magnitude : -magnitude, exponent: exp, format };
}

/** parseQuantity without throwing. */
export function tryParseQuantity(input: string): Quantity | null {
  try {
    return parseQuantity(input);
  } catch (e) {
    if (e instanceof QuantityError) return null;
    throw e;
  }
}

function compareMagnitudes(m1: bigint, e1: number, m2: bigint, e2: number): number {
  const s1 = m1 > 0n ? 1 : m1 < 0n ? -1 : 0;
  const s2 = m2 > 0n ? 1 : m2 < 0n ? -1 : 0;
  if (s1 !== s2 || s1 === 0) return s1 < s2 ? -1 : s1 > s2 ? 1 : 0;
  // Same sign: compare orders of magnitude first, so wildly different exponents never expand.
  const o1 = digitCount(m1) + e1;
  const o2 = digitCount(m2) + e2;
  if (o1 !== o2) return (o1 < o2 ? -1 : 1) * s1;
  const e = Math.min(e1, e2);
  const a = m1 * 10n ** BigInt(e1 - e);
  const b = m2 * 10n ** BigInt(e2 - e);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** -1, 0 or 1 as `a` is less than, equal to or greater than `b`. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  return compareMagnitudes(a.mantissa, a.exponent, b.mantissa, b.exponent);
}

export function isZero(q: Quantity): boolean {
  return q.mantissa === 0n;
}

export function sign(q: Quantity): number {
  return q.mantissa > 0n ? 1 : q.mantissa < 0n ? -1 : 0;
}

/**
 * `ceil(q × 10^-scale)` away from zero, as upstream's ScaledValue (scale -3 gives milli-units).
 * Saturates at the int64 range (where upstream would overflow).
 */
export function scaledValue(q: Quantity, scale: number): bigint {
  if (q.mantissa !== 0n && digitCount(q.mantissa) + q.exponent - scale > 20) return q.mantissa > 0n ? MAX_INT64 : -MAX_INT64 - 1n;
  const v = roundToExponent(q.mantissa, q.exponent, scale).mantissa;
  return v > MAX_INT64 ? MAX_INT64 : v < -MAX_INT64 - 1n ? -MAX_INT64 - 1n : v;
}

/** Milli-units, rounded up: `500m` → 500n, `1` → 1000n, `1Gi` → 1073741824000n. */
export function milliValue(q: Quantity): bigint {
  return scaledValue(q, -3);
}

/** Whole units, rounded up: `1Gi` → 1073741824n, `100m` → 1n. */
export function value(q: Quantity): bigint {
  return scaledValue(q, 0);
}

/** Milli-units of a quantity string; throws {@link QuantityError}. */
export function parseMilli(input: string): bigint {
  return milliValue(parseQuantity(input));
}

/** RoundUp: at least `scale` precision (upstream rounds resource lists to milli units, scale -3). */
export function roundUp(q: Quantity, scale: number): Quantity {
  if (q.exponent >= scale) return q;
  return { mantissa: roundToExponent(q.mantissa, q.exponent, scale).mantissa, exponent: scale, format: q.format };
}

/** Exact sum (a term more than 10,000 orders of magnitude below the other is dropped). */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  if (a.mantissa === 0n) return { mantissa: b.mantissa, exponent: b.exponent, format: b.format };
  if (b.mantissa === 0n) return { mantissa: a.mantissa, exponent: a.exponent, format: a.format };
  const oa = digitCount(a.mantissa) + a.exponent;
  const ob = digitCount(b.mantissa) + b.exponent;
  if (oa - 10_000 > ob) return { mantissa: a.mantissa, exponent: a.exponent, format: a.format };
  if (ob - 10_000 > oa) return { mantissa: b.mantissa, exponent: b.exponent, format: a.format };
  const e = Math.min(a.exponent, b.exponent);
  const mantissa = a.mantissa * 10n ** BigInt(a.exponent - e) + b.mantissa * 10n ** BigInt(b.exponent - e);
  return { mantissa, exponent: e, format: isZero(a) ? b.format : a.format };
}

export function subtractQuantities(a: Quantity, b: Quantity): Quantity {
  return addQuantities(a, { mantissa: -b.mantissa, exponent: b.exponent, format: b.format });
}

export function quantityFromMilli(milli: bigint, format: QuantityFormat = "DecimalSI"): Quantity {
  return { mantissa: milli, exponent: -3, format };
}

export function quantityFromValue(v: bigint, format: QuantityFormat = "DecimalSI"): Quantity {
  return { mantissa: v, exponent: 0, format };
}

/** Upstream's canonical form (CanonicalizeBytes), ignoring any kept input string. */
export function canonicalQuantity(q: Quantity): string {
  if (q.mantissa === 0n) return "0";
  let format = q.format;
  let whole = 0n;
  if (format === "BinarySI") {
    const inByteRange = compareMagnitudes(q.mantissa, q.exponent, -1024n, 0) > 0 && compareMagnitudes(q.mantissa, q.exponent, 1024n, 0) < 0;
    if (inByteRange) format = "DecimalSI";
    else {
      const rounded = roundToExponent(q.mantissa, q.exponent, 0);
      if (!rounded.exact) format = "DecimalSI";
      whole = rounded.mantissa;
    }
  }
  if (format === "BinarySI") {
    let times = 0;
    let m = whole;
    while (absBig(m) >= 1024n && m % 1024n === 0n) {
      m /= 1024n;
      times++;
    }
    return `${m}${binarySuffixByExponent.get(times * 10) ?? ""}`;
  }
  let m = q.mantissa;
  let exponent = q.exponent;
  while (absBig(m) >= 10n && m % 10n === 0n) {
    m /= 10n;
    exponent++;
  }
  while (exponent % 3 !== 0) {
    m *= 10n;
    exponent--;
  }
  if (format === "DecimalExponent") return exponent === 0 ? `${m}` : `${m}e${exponent}`;
  // A decimal exponent with no SI suffix (beyond E) is printed bare, as upstream does.
  return `${m}${decimalSuffixByExponent.get(exponent) ?? ""}`;
}

/** The string kube-apiserver serialises for this quantity (the client's own when it was canonical). */
export function formatQuantity(q: Quantity): string {
  return q.original ?? canonicalQuantity(q);
}

/**
 * Decodes a JSON value into a quantity as upstream's UnmarshalJSON does: strings are trimmed,
 * numbers use their decimal text. Throws {@link QuantityError} for anything else.
 */
export function quantityFromJSON(raw: unknown): Quantity {
  if (typeof raw === "number" && Number.isFinite(raw)) return parseQuantity(String(raw));
  if (typeof raw === "string") return parseQuantity(raw.trim());
  throw new QuantityError(QUANTITY_FORMAT_ERROR);
}

/** Canonical string of a JSON quantity value, optionally rounded up to `roundUpScale` (resource lists: -3). */
export function canonicalizeQuantityJSON(raw: unknown, roundUpScale?: number): string {
  let q = quantityFromJSON(raw);
  if (roundUpScale !== undefined) q = roundUp(q, roundUpScale);
  return formatQuantity(q);
}
