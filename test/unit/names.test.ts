import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { fieldErrorBody, invalid, StatusError } from "../../src/apiserver/status";
import {
  NAME_SUFFIX_ALPHABET,
  generateName,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  nameIsPathSegment,
  randomSuffix,
  validateObjectMetaAnnotations,
  validateObjectMetaLabels,
} from "../../src/apiserver/names";
import { goQuote, parseBool, parseInt64, parseQueryBool, parseQueryInt64 } from "../../src/apiserver/query";

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const KEY_NAME_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe("DNS-1123 subdomain (most object names)", () => {
  it.each([
    ["my-config", []],
    ["a.b.c", []],
    ["0", []],
    ["a".repeat(253), []],
    ["My-Config", [SUBDOMAIN_MSG]],
    ["-a", [SUBDOMAIN_MSG]],
    ["a-", [SUBDOMAIN_MSG]],
    ["a..b", [SUBDOMAIN_MSG]],
    ["a_b", [SUBDOMAIN_MSG]],
    ["", [SUBDOMAIN_MSG]],
    ["a".repeat(254), ["must be no more than 253 characters"]],
    ["A".repeat(254), ["must be no more than 253 characters", SUBDOMAIN_MSG]],
  ])("%j", (name, want) => {
    expect(isDNS1123Subdomain(name)).toEqual(want);
  });
});

describe("DNS-1123 label (namespace names)", () => {
  it.each([
    ["default", []],
    ["kube-system", []],
    ["a".repeat(63), []],
    ["a.b", ["must not contain dots"]],
    ["Default", [LABEL_MSG]],
    ["a".repeat(64), ["must be no more than 63 characters"]],
  ])("%j", (name, want) => {
    expect(isDNS1123Label(name)).toEqual(want);
  });

  it("DNS-1035 labels (service names) must start with a letter", () => {
    expect(isDNS1035Label("web")).toEqual([]);
    expect(isDNS1035Label("1web")).toEqual([DNS1035_MSG]);
  });
});

describe("generateName prefixes", () => {
  it("allow a trailing dash", () => {
    expect(nameIsDNSSubdomain("web-", true)).toEqual([]);
    expect(nameIsDNSSubdomain("web-", false)).toEqual([SUBDOMAIN_MSG]);
    expect(nameIsDNSLabel("ns-", true)).toEqual([]);
  });

  it("generateName appends 5 characters from upstream's alphabet", () => {
    const name = generateName("web-", () => 0);
    expect(name).toBe("web-bbbbb");
    expect(generateName("web-", () => 0.999999)).toBe("web-99999");
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (base) => {
        const suffix = generateName(base).slice(-5);
        expect([...suffix].every((c) => NAME_SUFFIX_ALPHABET.includes(c))).toBe(true);
      }),
    );
  });

  it("cuts the prefix to 58 characters so the name fits in 63", () => {
    const name = generateName("x".repeat(100), Math.random);
    expect(name).toHaveLength(63);
    expect(name.startsWith("x".repeat(58))).toBe(true);
    expect(isDNS1123Label(name)).toEqual([]);
  });

  it("randomSuffix uses the injected source", () => {
    const seq = [0, 0.5, 0.99, 0.1, 0.3];
    let i = 0;
    expect(randomSuffix(5, () => seq[i++]!)).toBe("br9dl");
  });

  it("path-segment names refuse '/', '%', '.' and '..'", () => {
    expect(nameIsPathSegment("a/b", false)).toEqual(["may not contain '/'"]);
    expect(nameIsPathSegment("..", false)).toEqual(["may not be '..'"]);
    expect(nameIsPathSegment("..", true)).toEqual([]);
    expect(nameIsPathSegment("a%b/", true)).toEqual(["may not contain '/'", "may not contain '%'"]);
  });
});

describe("label keys (qualified names)", () => {
  it.each([
    ["app", []],
    ["App_1.x-y", []],
    ["example.com/app", []],
    ["kubernetes.io/metadata.name", []],
    ["-app", [KEY_NAME_MSG]],
    ["app!", [KEY_NAME_MSG]],
    ["", ["name part must be non-empty", KEY_NAME_MSG]],
    ["example.com/", ["name part must be non-empty", KEY_NAME_MSG]],
    ["/app", ["prefix part must be non-empty"]],
    ["Example.com/app", [`prefix part ${SUBDOMAIN_MSG}`]],
    ["a".repeat(64), ["name part must be no more than 63 bytes"]],
    [`${"a".repeat(254)}/x`, ["prefix part must be no more than 253 bytes"]],
  ])("%j", (key, want) => {
    expect(isQualifiedName(key)).toEqual(want);
  });

  it("more than one slash", () => {
    expect(isQualifiedName("a/b/c")).toEqual([
      "a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ]);
  });
});

describe("label values", () => {
  it.each([
    ["", []],
    ["v1.2_3-x", []],
    ["-v", [VALUE_MSG]],
    ["a b", [VALUE_MSG]],
    ["é", [VALUE_MSG]],
    ["a".repeat(63), []],
    ["a".repeat(64), ["must be no more than 63 bytes"]],
  ])("%j", (value, want) => {
    expect(isValidLabelValue(value)).toEqual(want);
  });
});

describe("object metadata labels and annotations", () => {
  it("reports label problems on metadata.labels with the key or value as bad value", () => {
    const errs = validateObjectMetaLabels({ ok: "fine", "bad key": "v", k: "bad value" });
    expect(errs.map((e) => `${e.field}: ${fieldErrorBody(e)}`)).toEqual([
      `metadata.labels: Invalid value: "bad key": ${KEY_NAME_MSG}`,
      `metadata.labels: Invalid value: "bad value": ${VALUE_MSG}`,
    ]);
  });

  it("renders into upstream's 422 message", () => {
    const e = invalid("ConfigMap", "", "cfg", validateObjectMetaLabels({ k: "-v" }));
    expect(e).toBeInstanceOf(StatusError);
    expect(e.message).toBe(`ConfigMap "cfg" is invalid: metadata.labels: Invalid value: "-v": ${VALUE_MSG}`);
  });

  it("checks annotation keys case-insensitively, values not at all", () => {
    expect(validateObjectMetaAnnotations({ "Example.COM/Key": "anything at all: ✓" })).toEqual([]);
    expect(validateObjectMetaAnnotations({ "bad key": "" }).map((e) => [e.field, e.badValue])).toEqual([["metadata.annotations", "bad key"]]);
  });

  it("limits annotations to 256 KiB in total", () => {
    const big = "x".repeat(256 * 1024 - 1);
    expect(validateObjectMetaAnnotations({ a: big })).toEqual([]);
    const errs = validateObjectMetaAnnotations({ ab: big });
    expect(errs.map((e) => `${e.field}: ${fieldErrorBody(e)}`)).toEqual(["metadata.annotations: Too long: may not be more than 262144 bytes"]);
    // bytes, not characters
    expect(validateObjectMetaAnnotations({ a: "é".repeat(128 * 1024) })).toHaveLength(1);
  });

  it("accepts missing maps", () => {
    expect(validateObjectMetaLabels(undefined)).toEqual([]);
    expect(validateObjectMetaAnnotations(null)).toEqual([]);
  });
});

describe("query parameters", () => {
  const status = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      if (e instanceof StatusError) return [e.code, e.message];
    }
    return undefined;
  };

  it.each([
    ["1", true], ["t", true], ["T", true], ["TRUE", true], ["true", true], ["True", true],
    ["0", false], ["f", false], ["F", false], ["FALSE", false], ["false", false], ["False", false],
  ])("parseBool(%j) = %s", (s, want) => {
    expect(parseBool(s)).toBe(want);
  });

  it.each(["yes", "", "tRUE", " true"])("parseBool(%j) is a 400", (s) => {
    expect(status(() => parseBool(s))).toEqual([400, `strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`]);
  });

  it.each([
    [null, false], ["", true], ["true", true], ["yes", true], ["0", false], ["false", false], ["FaLsE", false], ["1", true],
  ])("watch-style bool %j = %s (kube-apiserver never rejects these)", (s, want) => {
    expect(parseQueryBool(s)).toBe(want);
  });

  it.each([
    ["500", 500], ["-1", -1], ["+7", 7], ["007", 7], ["0", 0],
  ])("parseInt64(%j) = %d", (s, want) => {
    expect(parseInt64(s)).toBe(want);
  });

  it.each([
    ["abc", 'strconv.ParseInt: parsing "abc": invalid syntax'],
    ["", 'strconv.ParseInt: parsing "": invalid syntax'],
    ["1.5", 'strconv.ParseInt: parsing "1.5": invalid syntax'],
    [" 1", 'strconv.ParseInt: parsing " 1": invalid syntax'],
    ["1e3", 'strconv.ParseInt: parsing "1e3": invalid syntax'],
    ["9223372036854775808", 'strconv.ParseInt: parsing "9223372036854775808": value out of range'],
  ])("parseInt64(%j) is a 400: %s", (s, message) => {
    expect(status(() => parseInt64(s))).toEqual([400, message]);
  });

  it("absent int parameters are undefined, present empty ones are errors", () => {
    expect(parseQueryInt64(null)).toBeUndefined();
    expect(parseQueryInt64("30")).toBe(30);
    expect(status(() => parseQueryInt64(""))).toEqual([400, 'strconv.ParseInt: parsing "": invalid syntax']);
  });

  it("goQuote matches Go's %q", () => {
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote("tab\there\n")).toBe('"tab\\there\\n"');
    expect(goQuote("\x00\x7f")).toBe('"\\x00\\x7f"');
    expect(goQuote("é✓")).toBe('"é✓"');
    expect(goQuote("\u00a0\u200b")).toBe('"\\u00a0\\u200b"');
  });
});
