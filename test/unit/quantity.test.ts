import { describe, expect, it } from "vitest";
import {
  QUANTITY_FORMAT_ERROR,
  QUANTITY_SUFFIX_ERROR,
  QuantityError,
  addQuantities,
  canonicalQuantity,
  canonicalizeQuantityJSON,
  compareQuantities,
  formatQuantity,
  milliValue,
  parseMilli,
  parseQuantity,
  roundUp,
  tryParseQuantity,
  value,
} from "../../src/registry/kinds/quantity";

const canonical = (s: string) => canonicalQuantity(parseQuantity(s));
const serialized = (s: string) => formatQuantity(parseQuantity(s));

describe("parseQuantity: exact values", () => {
  it.each([
    ["500m", 500n],
    ["0.5", 500n],
    ["1", 1000n],
    ["2", 2000n],
    ["1.5", 1500n],
    ["100m", 100n],
    ["0.0001", 1n], // rounded up to the next milli-unit
    ["1k", 1_000_000n],
    ["1e3", 1_000_000n],
    ["1E3", 1_000_000n],
    ["1Ki", 1_024_000n],
    ["1Mi", 1_048_576_000n],
    ["1Gi", 1_073_741_824_000n],
    ["1.5Gi", 1_610_612_736_000n],
    ["128974848", 128_974_848_000n],
    ["129e6", 129_000_000_000n],
    ["129M", 129_000_000_000n],
    ["1n", 1n],
    ["-1", -1000n],
    ["0", 0n],
    [".5", 500n],
    ["1.", 1000n],
  ])("%s is %s milli-units", (input, milli) => {
    expect(milliValue(parseQuantity(input))).toBe(milli);
    expect(parseMilli(input)).toBe(milli);
  });

  it("gives whole units rounded up", () => {
    expect(value(parseQuantity("1Gi"))).toBe(1_073_741_824n);
    expect(value(parseQuantity("100m"))).toBe(1n);
    expect(value(parseQuantity("2"))).toBe(2n);
  });

  it("keeps precision beyond int64 and caps binary quantities at 2^63-1", () => {
    expect(canonical("9223372036854775807")).toBe("9223372036854775807");
    expect(canonical("10Ei")).toBe("9223372036854775807");
    expect(canonical("1Ei")).toBe("1Ei");
    expect(canonical("123456789012345678901234567890")).toBe("123456789012345678901234567890");
  });

  it("rounds anything finer than a nano-unit up", () => {
    expect(canonical("0.1n")).toBe("1n");
    expect(canonical("1.0000000001")).toBe("1000000001n");
  });

  it("does not expand absurd exponents", () => {
    expect(canonical("1e2000000001")).toBe("1e2000000001");
    expect(canonical("1e2000000000")).toBe("100e1999999998");
    expect(canonical("1e-2000000000")).toBe("1e-9");
    expect(compareQuantities(parseQuantity("1e2000000000"), parseQuantity("1"))).toBe(1);
  });
});

describe("parseQuantity: rejected strings", () => {
  it.each([
    ["", QUANTITY_FORMAT_ERROR],
    ["abc", QUANTITY_FORMAT_ERROR],
    ["1x", QUANTITY_FORMAT_ERROR],
    ["1Gb", QUANTITY_FORMAT_ERROR],
    ["1.2.3", QUANTITY_FORMAT_ERROR],
    ["1ki", QUANTITY_SUFFIX_ERROR],
    ["1e", QUANTITY_SUFFIX_ERROR],
    ["1mm", QUANTITY_SUFFIX_ERROR],
  ])("%j: %s", (input, message) => {
    expect(() => parseQuantity(input)).toThrow(QuantityError);
    expect(() => parseQuantity(input)).toThrow(message);
    expect(tryParseQuantity(input)).toBeNull();
  });

  it("uses upstream's wording", () => {
    expect(QUANTITY_FORMAT_ERROR).toBe("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  });
});

describe("canonical form", () => {
  it.each([
    ["500m", "500m"],
    ["0.5", "500m"],
    ["1000m", "1"],
    ["1500m", "1500m"],
    ["1.5", "1500m"],
    ["1000", "1k"],
    ["1e3", "1e3"],
    ["1.5e-3", "1500e-6"],
    ["1024Mi", "1Gi"],
    ["1000Mi", "1000Mi"],
    ["1.5Gi", "1536Mi"],
    ["0.5Gi", "512Mi"],
    ["0.1Ki", "102400m"],
    ["512", "512"],
    ["1Ki", "1Ki"],
    ["0.0", "0"],
    ["0Ki", "0"],
    ["100M", "100M"],
    ["-500m", "-500m"],
    ["0.1m", "100u"],
  ])("%s → %s", (input, out) => {
    expect(canonical(input)).toBe(out);
  });

  it("re-emits the client's string when upstream considers it canonical", () => {
    expect(serialized("+1")).toBe("+1");
    expect(serialized("1E3")).toBe("1E3");
    expect(serialized("12Mi")).toBe("12Mi");
    expect(serialized("8Ki")).toBe("8Ki");
    expect(serialized("1000m")).toBe("1");
    expect(serialized("1024Ki")).toBe("1Mi");
  });

  it("rounds resource lists up to milli-units", () => {
    expect(formatQuantity(roundUp(parseQuantity("0.1m"), -3))).toBe("1m");
    expect(formatQuantity(roundUp(parseQuantity("1u"), -3))).toBe("1m");
    expect(formatQuantity(roundUp(parseQuantity("250m"), -3))).toBe("250m");
    expect(canonicalizeQuantityJSON(0.5, -3)).toBe("500m");
    expect(canonicalizeQuantityJSON(" 2 ", -3)).toBe("2");
    expect(() => canonicalizeQuantityJSON(true)).toThrow(QUANTITY_FORMAT_ERROR);
  });
});

describe("arithmetic", () => {
  it("compares across suffixes", () => {
    expect(compareQuantities(parseQuantity("1"), parseQuantity("1000m"))).toBe(0);
    expect(compareQuantities(parseQuantity("500m"), parseQuantity("1"))).toBe(-1);
    expect(compareQuantities(parseQuantity("1Gi"), parseQuantity("1G"))).toBe(1);
    expect(compareQuantities(parseQuantity("-1"), parseQuantity("1n"))).toBe(-1);
  });

  it("adds exactly", () => {
    expect(canonicalQuantity(addQuantities(parseQuantity("100m"), parseQuantity("200m")))).toBe("300m");
    expect(canonicalQuantity(addQuantities(parseQuantity("1Gi"), parseQuantity("512Mi")))).toBe("1536Mi");
    expect(canonicalQuantity(addQuantities(parseQuantity("0"), parseQuantity("1Gi")))).toBe("1Gi");
  });
});
