import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { StatusError } from "../../src/apiserver/status";
import {
  formatLabelSelector,
  labelSelectorAsSelector,
  labelSelectorToString,
  parseLabelSelector,
  selectorFromSet,
  validateLabelSelector,
} from "../../src/apiserver/selectors/labels";
import {
  escapeFieldValue,
  parseFieldSelector,
  unescapeFieldValue,
  validateFieldSelector,
} from "../../src/apiserver/selectors/fields";

function statusOf(fn: () => unknown): { code: number; reason: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return { code: e.code, reason: e.reason, message: e.message };
    throw e;
  }
  throw new Error("expected a StatusError");
}

const KEY_REGEX_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_REGEX_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe("label selector: matching", () => {
  const pod = { app: "web", tier: "frontend", version: "3", "example.com/team": "a" };
  it.each([
    ["", true],
    ["   ", true],
    ["app=web", true],
    ["app==web", true],
    ["app=db", false],
    ["app!=db", true],
    ["app!=web", false],
    ["missing!=x", true], // != matches when the label is absent
    ["app in (web,db)", true],
    ["app in (db)", false],
    ["app notin (db,cache)", true],
    ["missing notin (a)", true],
    ["app", true],
    ["missing", false],
    ["!missing", true],
    ["!app", false],
    ["version>2", true],
    ["version>3", false],
    ["version<4", true],
    ["app>1", false], // not an integer label: no match
    ["missing<10", false],
    ["app=web,tier=frontend", true],
    ["app=web,tier=backend", false],
    ["  app = web ,  tier in ( frontend , backend )  ", true],
    ["example.com/team=a", true],
    ["app=", false],
    ["missing=", false], // = "" requires the key
    ["missing in ()", false],
  ])("%j → %s", (sel, want) => {
    expect(parseLabelSelector(sel).matches(pod)).toBe(want);
  });

  it("treats undefined labels as no labels", () => {
    expect(parseLabelSelector("").matches(undefined)).toBe(true);
    expect(parseLabelSelector("!a").matches(undefined)).toBe(true);
    expect(parseLabelSelector("a").matches(undefined)).toBe(false);
  });

  it("does not read labels from the prototype chain", () => {
    expect(parseLabelSelector("constructor").matches({})).toBe(false);
    expect(parseLabelSelector("!toString").matches({})).toBe(true);
  });

  it("matches an empty value written as a=, a in (), or a in (,x)", () => {
    expect(parseLabelSelector("a=").matches({ a: "" })).toBe(true);
    expect(parseLabelSelector("a in ()").matches({ a: "" })).toBe(true);
    expect(parseLabelSelector("a in (,x)").matches({ a: "" })).toBe(true);
    expect(parseLabelSelector("a in (x,)").matches({ a: "" })).toBe(true);
  });

  it("accepts 'in' and 'notin' as keys and values", () => {
    expect(parseLabelSelector("in in (in,notin)").matches({ in: "notin" })).toBe(true);
    expect(parseLabelSelector("notin=in").matches({ notin: "in" })).toBe(true);
  });
});

describe("label selector: canonical string", () => {
  it.each([
    ["b=2,a=1", "a=1,b=2"],
    ["x in (c,a,b)", "x in (a,b,c)"],
    ["x in (a,a)", "x in (a)"],
    ["x notin (b,a)", "x notin (a,b)"],
    ["!x", "!x"],
    ["x", "x"],
    ["x==y", "x==y"],
    ["x!=y", "x!=y"],
    ["x>1", "x>1"],
    ["x<1", "x<1"],
    ["a in (),b", "a in (),b"],
    ["", ""],
  ])("%j → %j", (sel, want) => {
    expect(parseLabelSelector(sel).toString()).toBe(want);
  });

  it("reports an exact match for =, == and single-valued in", () => {
    expect(parseLabelSelector("a=1").requiresExactMatch("a")).toBe("1");
    expect(parseLabelSelector("a in (1)").requiresExactMatch("a")).toBe("1");
    expect(parseLabelSelector("a in (1,2)").requiresExactMatch("a")).toBeUndefined();
    expect(parseLabelSelector("a!=1").requiresExactMatch("a")).toBeUndefined();
  });
});

describe("label selector: syntax errors are 400 with upstream's text", () => {
  it.each([
    ["a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ["!", "unable to parse requirement: found '', expected: identifier"],
    ["x=a b", "found 'b', expected: ',' or 'end of string'"],
    [",", "found ',', expected: !, identifier, or 'end of string'"],
    ["a=b,", "found '', expected: identifier after ','"],
    ["a=b,,c", "found ',', expected: identifier after ','"],
    ["(", "found '(', expected: !, identifier, or 'end of string'"],
    ["x in a", "unable to parse requirement: found 'a' expected: '('"],
    ["x in (a", "unable to parse requirement: found '', expected: ',' or ')'"],
    ["x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'"],
    ["x in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ["x in (a,", "unable to parse requirement: found '', expected: ',', or identifier"],
    ["x===y", "unable to parse requirement: found '=', expected: identifier"],
    ["x=(y)", "unable to parse requirement: found '(', expected: identifier"],
    ["!x=y", "found '=', expected: ',' or 'end of string'"],
    ["x>a", "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"],
    ["-x=1", `unable to parse requirement: <nil>: Invalid value: "-x": ${KEY_REGEX_MSG}`],
    ["x=-1", `unable to parse requirement: values[0][x]: Invalid value: "-1": ${VALUE_REGEX_MSG}`],
    [
      "x>-1",
      `unable to parse requirement: values[0][x]: Invalid value: "-1": ${VALUE_REGEX_MSG}`,
    ],
    [
      "a/b/c",
      "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ],
    [
      "Example.com/x",
      "unable to parse requirement: <nil>: Invalid value: \"Example.com/x\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ],
    ["/x", 'unable to parse requirement: <nil>: Invalid value: "/x": prefix part must be non-empty'],
    ["x/", `unable to parse requirement: <nil>: Invalid value: "x/": name part must be non-empty; ${KEY_REGEX_MSG}`],
  ])("%j", (sel, message) => {
    expect(statusOf(() => parseLabelSelector(sel))).toEqual({ code: 400, reason: "BadRequest", message });
  });

  it("rejects a value longer than 63 bytes", () => {
    const v = "a".repeat(64);
    expect(statusOf(() => parseLabelSelector(`x=${v}`)).message).toBe(
      `unable to parse requirement: values[0][x]: Invalid value: "${v}": must be no more than 63 bytes`,
    );
  });

  it("aggregates several value errors in brackets", () => {
    expect(statusOf(() => parseLabelSelector("x in (-a,-b)")).message).toBe(
      `unable to parse requirement: [values[0][x]: Invalid value: "-a": ${VALUE_REGEX_MSG}, values[1][x]: Invalid value: "-b": ${VALUE_REGEX_MSG}]`,
    );
  });
});

describe("label selector: metav1.LabelSelector objects", () => {
  const sel = {
    matchLabels: { app: "web" },
    matchExpressions: [
      { key: "tier", operator: "In", values: ["b", "a"] },
      { key: "env", operator: "NotIn", values: ["prod"] },
      { key: "track", operator: "Exists" },
      { key: "legacy", operator: "DoesNotExist" },
    ],
  };

  it("matches like its string form", () => {
    const m = labelSelectorAsSelector(sel);
    expect(m.matches({ app: "web", tier: "a", track: "x" })).toBe(true);
    expect(m.matches({ app: "web", tier: "a", track: "x", env: "prod" })).toBe(false);
    expect(m.matches({ app: "web", tier: "a", track: "x", legacy: "" })).toBe(false);
    expect(m.matches({ app: "web", tier: "c", track: "x" })).toBe(false);
  });

  it("formats as Scale.status.selector / kubectl's SELECTOR column do", () => {
    expect(labelSelectorToString(sel)).toBe("app=web,env notin (prod),!legacy,tier in (a,b),track");
    expect(formatLabelSelector(sel)).toBe("app=web,env notin (prod),!legacy,tier in (a,b),track");
    expect(labelSelectorToString({ matchLabels: { b: "2", a: "1" } })).toBe("a=1,b=2");
  });

  it("empty selects everything, null selects nothing", () => {
    expect(labelSelectorAsSelector({}).matches({ a: "b" })).toBe(true);
    expect(labelSelectorAsSelector({ matchLabels: {}, matchExpressions: [] }).matches(undefined)).toBe(true);
    expect(labelSelectorAsSelector(null).matches({})).toBe(false);
    expect(formatLabelSelector({})).toBe("<none>");
    expect(formatLabelSelector(null)).toBe("<none>");
    expect(labelSelectorToString({})).toBe("");
  });

  it("rejects unknown operators and bad requirements", () => {
    expect(statusOf(() => labelSelectorAsSelector({ matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] })).message).toBe(
      '"Gt" is not a valid label selector operator',
    );
    expect(statusOf(() => labelSelectorAsSelector({ matchExpressions: [{ key: "a", operator: "In", values: [] }] })).message).toBe(
      "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
    );
    expect(statusOf(() => labelSelectorAsSelector({ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] })).message).toBe(
      'values: Invalid value: ["x"]: values set must be empty for exists and does not exist',
    );
    expect(statusOf(() => labelSelectorAsSelector({ matchLabels: { "-a": "b" } })).message).toBe(`key: Invalid value: "-a": ${KEY_REGEX_MSG}`);
    expect(formatLabelSelector({ matchLabels: { "-a": "b" } })).toBe("<error>");
  });

  it("validates like ValidateLabelSelector with field paths", () => {
    const errs = validateLabelSelector(
      {
        matchLabels: { "bad key!": "v" },
        matchExpressions: [
          { key: "a", operator: "In", values: [] },
          { key: "b", operator: "Exists", values: ["x"] },
          { key: "c", operator: "Maybe" },
          { key: "d", operator: "In", values: ["ok", "not ok"] },
        ],
      },
      "spec.selector",
    );
    expect(errs.map((e) => [e.type, e.field])).toEqual([
      ["FieldValueInvalid", "spec.selector.matchLabels"],
      ["FieldValueRequired", "spec.selector.matchExpressions[0].values"],
      ["FieldValueForbidden", "spec.selector.matchExpressions[1].values"],
      ["FieldValueInvalid", "spec.selector.matchExpressions[2].operator"],
      ["FieldValueInvalid", "spec.selector.matchExpressions[3].values[1]"],
    ]);
    expect(errs[1]!.detail).toBe("must be specified when `operator` is 'In' or 'NotIn'");
  });

  it("selectorFromSet selects exact matches", () => {
    const s = selectorFromSet({ a: "1", b: "2" });
    expect(s.toString()).toBe("a=1,b=2");
    expect(s.matches({ a: "1", b: "2", c: "3" })).toBe(true);
    expect(s.matches({ a: "1" })).toBe(false);
  });
});

describe("label selector: properties", () => {
  const key = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/).filter((k) => k !== "in" && k !== "notin");
  const val = fc.stringMatching(/^[a-z0-9]{0,5}$/);

  it("the canonical string parses back to an equivalent selector", () => {
    const req = fc.oneof(
      fc.tuple(key, val).map(([k, v]) => `${k}=${v}`),
      fc.tuple(key, val).map(([k, v]) => `${k}!=${v}`),
      fc.tuple(key, fc.array(val, { minLength: 1, maxLength: 3 })).map(([k, vs]) => `${k} in (${vs.join(",")})`),
      fc.tuple(key, fc.array(val, { minLength: 1, maxLength: 3 })).map(([k, vs]) => `${k} notin (${vs.join(",")})`),
      key,
      key.map((k) => `!${k}`),
    );
    fc.assert(
      fc.property(fc.array(req, { maxLength: 4 }), fc.dictionary(key, val), (reqs, labels) => {
        const s = parseLabelSelector(reqs.join(","));
        const again = parseLabelSelector(s.toString());
        expect(again.toString()).toBe(s.toString());
        expect(again.matches(labels)).toBe(s.matches(labels));
      }),
    );
  });

  it("selectorFromSet(labels) always matches those labels", () => {
    fc.assert(
      fc.property(fc.dictionary(key, val), (labels) => {
        expect(parseLabelSelector(selectorFromSet(labels).toString()).matches(labels)).toBe(true);
      }),
    );
  });
});

describe("field selector", () => {
  const cm = { "metadata.name": "cfg", "metadata.namespace": "default" };

  it.each([
    ["", true],
    ["metadata.name=cfg", true],
    ["metadata.name==cfg", true],
    ["metadata.name!=cfg", false],
    ["metadata.name=other", false],
    ["metadata.name=cfg,metadata.namespace=default", true],
    ["metadata.name=cfg,metadata.namespace=kube-system", false],
    ["metadata.name=cfg,,", true],
    ["spec.nodeName=", true], // absent fields read as ""
    ["spec.nodeName!=", false],
  ])("%j → %s", (sel, want) => {
    expect(parseFieldSelector(sel).matches(cm)).toBe(want);
  });

  it("unescapes values and splits only on unescaped commas", () => {
    const s = parseFieldSelector("a=x\\,y,b=p\\=q,c=back\\\\slash");
    expect(s.matches({ a: "x,y", b: "p=q", c: "back\\slash" })).toBe(true);
    expect(s.toString()).toBe("a=x\\,y,b=p\\=q,c=back\\\\slash");
  });

  it("does not trim whitespace around the field or value", () => {
    expect(parseFieldSelector("metadata.name = cfg").matches({ "metadata.name ": " cfg" })).toBe(true);
  });

  it("normalizes == to = and sorts terms", () => {
    expect(parseFieldSelector("b==2,a!=1").toString()).toBe("a!=1,b=2");
    expect(parseFieldSelector("metadata.name==x").requiresExactMatch("metadata.name")).toBe("x");
  });

  it.each([
    ["foo", "invalid selector: 'foo'; can't understand 'foo'"],
    ["a=b,foo", "invalid selector: 'a=b,foo'; can't understand 'foo'"],
    ["a=b=c", "invalid field selector: unescaped character in value: 61"],
    ["a=x\\y", "invalid field selector: invalid escape sequence: \\y"],
    ["a=x\\", "invalid field selector: invalid escape sequence: \\"],
  ])("%j is a 400: %s", (sel, message) => {
    expect(statusOf(() => parseFieldSelector(sel))).toEqual({ code: 400, reason: "BadRequest", message });
  });

  it("escape/unescape round-trip any value", () => {
    fc.assert(
      fc.property(fc.string(), (v) => {
        expect(unescapeFieldValue(escapeFieldValue(v))).toBe(v);
        expect(parseFieldSelector(`f=${escapeFieldValue(v)}`).matches({ f: v })).toBe(true);
      }),
    );
  });

  it("rejects unknown fields for kinds without their own field set (configmaps) with the default message", () => {
    expect(statusOf(() => validateFieldSelector(parseFieldSelector("foo=bar")))).toEqual({
      code: 400,
      reason: "BadRequest",
      message: '"foo" is not a known field selector: only "metadata.name", "metadata.namespace"',
    });
    expect(validateFieldSelector(parseFieldSelector("metadata.namespace=x")).toString()).toBe("metadata.namespace=x");
  });

  it("rejects unknown fields for kinds with their own field set (pods) with 'field label not supported'", () => {
    const podFields = ["metadata.name", "metadata.namespace", "spec.nodeName", "status.phase"];
    expect(statusOf(() => validateFieldSelector(parseFieldSelector("spec.foo=bar"), podFields)).message).toBe(
      "field label not supported: spec.foo",
    );
    const converted = validateFieldSelector(parseFieldSelector("spec.host=n1"), podFields, { "spec.host": "spec.nodeName" });
    expect(converted.toString()).toBe("spec.nodeName=n1");
    expect(converted.matches({ "spec.nodeName": "n1" })).toBe(true);
  });

  it("reports the first unsupported term in sorted order", () => {
    expect(statusOf(() => validateFieldSelector(parseFieldSelector("zz=1,aa=2"))).message).toBe(
      '"aa" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
  });
});
