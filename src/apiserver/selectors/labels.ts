/**
 * Label selectors, as k8s.io/apimachinery/pkg/labels (string syntax) and
 * pkg/apis/meta/v1 (the LabelSelector object: LabelSelectorAsSelector, FormatLabelSelector,
 * ValidateLabelSelector).
 *
 * Parse errors are 400 BadRequest with upstream's text, which kube-apiserver returns verbatim for
 * `?labelSelector=`: e.g. `unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt`
 * or `unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of ...`.
 */
import { errors, field, type FieldError } from "../status";
import { goQuote } from "../query";
import { isQualifiedName, isValidLabelValue, validateLabelName, validateLabels } from "../names";

export type Operator = "=" | "==" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

export interface Requirement {
  key: string;
  operator: Operator;
  /** As given (the string parser yields them sorted and de-duplicated). */
  values: string[];
}

export type Labels = Record<string, string> | null | undefined;

export interface LabelSelector {
  /** The requirements, sorted by key (AND). Empty for "everything". */
  readonly requirements: readonly Requirement[];
  /** True when the selector matches nothing at all (a nil metav1.LabelSelector). */
  readonly nothing: boolean;
  matches(labels: Labels): boolean;
  /** True when it does not restrict anything. */
  empty(): boolean;
  /** Upstream's canonical string form (`a=b,c in (d,e),!f`); "" for everything and nothing. */
  toString(): string;
  /** The value a requirement pins `key` to (`=`, `==`, or `in` with one value), if any. */
  requiresExactMatch(key: string): string | undefined;
}

/** metav1.LabelSelector in JSON form. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: LabelSelectorRequirementObject[] | null;
}

export interface LabelSelectorRequirementObject {
  key: string;
  operator: string;
  values?: string[] | null;
}

// ---------------------------------------------------------------------------------------------
// Requirements

/** Thrown internally; carries upstream's error text. */
class SelectorSyntaxError extends Error {}

const BINARY_OPERATORS = ["in", "notin", "=", "==", "!=", "gt", "lt"];
const ALL_OPERATORS = [...BINARY_OPERATORS, "exists", "!"];

/** Go's json.Marshal of a []string value (nil → null). */
function marshalStrings(values: string[] | null): string {
  return values === null ? "null" : JSON.stringify(values);
}

/** `<path>: Invalid value: <value>: <detail>`, field.Invalid(...).Error(). */
function invalidText(path: string, value: string | string[] | null, detail: string): string {
  const shown = typeof value === "string" ? goQuote(value) : marshalStrings(value);
  return `${path}: Invalid value: ${shown}: ${detail}`;
}

/** utilerrors aggregate Error(): one → itself; several → `[a, b]`, duplicates dropped. */
function aggregate(msgs: string[]): string | undefined {
  if (msgs.length === 0) return undefined;
  if (msgs.length === 1) return msgs[0];
  const seen = [...new Set(msgs)];
  return seen.length === 1 ? seen[0] : `[${seen.join(", ")}]`;
}

function isGoInt64(s: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(s)) return false;
  const n = BigInt(s);
  return n <= 9223372036854775807n && n >= -9223372036854775808n;
}

/**
 * labels.NewRequirement: validates and builds one requirement. `values === null` stands for a nil
 * slice (it only matters for how an empty `in` list is printed in the error).
 */
function newRequirement(key: string, op: Operator, values: string[] | null): Requirement {
  const errs: string[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length) errs.push(invalidText("key", key, keyErrs.join("; ")));
  const vals = values ?? [];
  switch (op) {
    case "in":
    case "notin":
      if (vals.length === 0) errs.push(invalidText("values", values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case "=":
    case "==":
    case "!=":
      if (vals.length !== 1) errs.push(invalidText("values", values, "exact-match compatibility requires one single value"));
      break;
    case "exists":
    case "!":
      if (vals.length !== 0) errs.push(invalidText("values", values, "values set must be empty for exists and does not exist"));
      break;
    case "gt":
    case "lt":
      if (vals.length !== 1) errs.push(invalidText("values", values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (!isGoInt64(v)) errs.push(invalidText(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      errs.push(
        `operator: Unsupported value: ${goQuote(String(op))}: supported values: ${ALL_OPERATORS.map((o) => goQuote(o)).join(", ")}`,
      );
  }
  vals.forEach((v, i) => {
    const vErrs = isValidLabelValue(v);
    if (vErrs.length) errs.push(invalidText(`values[${i}][${key}]`, v, vErrs.join("; ")));
  });
  const msg = aggregate(errs);
  if (msg !== undefined) throw new SelectorSyntaxError(msg);
  return { key, operator: op, values: vals };
}

function lookup(labels: Labels, key: string): string | undefined {
  if (!labels || !Object.prototype.hasOwnProperty.call(labels, key)) return undefined;
  return labels[key];
}

function requirementMatches(r: Requirement, labels: Labels): boolean {
  const val = lookup(labels, r.key);
  switch (r.operator) {
    case "in":
    case "=":
    case "==":
      return val !== undefined && r.values.includes(val);
    case "notin":
    case "!=":
      return val === undefined || !r.values.includes(val);
    case "exists":
      return val !== undefined;
    case "!":
      return val === undefined;
    case "gt":
    case "lt": {
      if (val === undefined || r.values.length !== 1) return false;
      if (!isGoInt64(val) || !isGoInt64(r.values[0]!)) return false;
      const have = BigInt(val);
      const want = BigInt(r.values[0]!);
      return r.operator === "gt" ? have > want : have < want;
    }
    default:
      return false;
  }
}

/** Byte-wise (code point) ordering, as Go's sort.Strings. */
function compareGo(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/** Requirement.String(). */
export function requirementToString(r: Requirement): string {
  let s = r.operator === "!" ? `!${r.key}` : r.key;
  switch (r.operator) {
    case "exists":
    case "!":
      return s;
    case "in":
      s += " in ";
      break;
    case "notin":
      s += " notin ";
      break;
    case "gt":
      s += ">";
      break;
    case "lt":
      s += "<";
      break;
    default:
      s += r.operator;
  }
  const vals = r.values.length === 1 ? r.values[0]! : [...r.values].sort(compareGo).join(",");
  return r.operator === "in" || r.operator === "notin" ? `${s}(${vals})` : s + vals;
}

class RequirementsSelector implements LabelSelector {
  readonly nothing = false;
  readonly requirements: readonly Requirement[];
  constructor(requirements: Requirement[]) {
    // Upstream sorts by key (sort.Sort, unstable); a stable sort keeps same-key order as written.
    this.requirements = [...requirements].sort((a, b) => compareGo(a.key, b.key));
  }
  matches(labels: Labels): boolean {
    return this.requirements.every((r) => requirementMatches(r, labels));
  }
  empty(): boolean {
    return this.requirements.length === 0;
  }
  toString(): string {
    return this.requirements.map(requirementToString).join(",");
  }
  requiresExactMatch(key: string): string | undefined {
    for (const r of this.requirements) {
      if (r.key !== key) continue;
      if ((r.operator === "=" || r.operator === "==" || r.operator === "in") && r.values.length === 1) return r.values[0];
      return undefined;
    }
    return undefined;
  }
}

const NOTHING: LabelSelector = {
  nothing: true,
  requirements: [],
  matches: () => false,
  empty: () => false,
  toString: () => "",
  requiresExactMatch: () => undefined,
};

/** labels.Everything(). */
export function everything(): LabelSelector {
  return new RequirementsSelector([]);
}

/** labels.Nothing(). */
export function nothing(): LabelSelector {
  return NOTHING;
}

/** labels.SelectorFromSet: `k=v` for every entry (not validated). */
export function selectorFromSet(set: Record<string, string> | null | undefined): LabelSelector {
  return new RequirementsSelector(Object.entries(set ?? {}).map(([key, v]) => ({ key, operator: "=" as const, values: [v] })));
}

// ---------------------------------------------------------------------------------------------
// The string parser (labels.Parse)

type Token =
  | "error"
  | "eos"
  | "closedPar"
  | "comma"
  | "doesNotExist"
  | "doubleEquals"
  | "equals"
  | "greaterThan"
  | "identifier"
  | "in"
  | "lessThan"
  | "notEquals"
  | "notIn"
  | "openPar";

const STRING_TO_TOKEN: Record<string, Token> = {
  ")": "closedPar",
  ",": "comma",
  "!": "doesNotExist",
  "==": "doubleEquals",
  "=": "equals",
  ">": "greaterThan",
  in: "in",
  "<": "lessThan",
  "!=": "notEquals",
  notin: "notIn",
  "(": "openPar",
};

function tokenFor(s: string): Token | undefined {
  return Object.prototype.hasOwnProperty.call(STRING_TO_TOKEN, s) ? STRING_TO_TOKEN[s] : undefined;
}

const isWhitespace = (ch: string) => ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
const isSpecial = (ch: string) => "=!(),><".includes(ch) && ch !== "";

interface Item {
  tok: Token;
  lit: string;
}

/** The lexer works on code units; all delimiters are ASCII, so this equals upstream's byte lexer. */
function lex(s: string): Item[] {
  let pos = 0;
  // NUL reads as end of input, as in upstream (which uses byte 0 as its EOF marker).
  const read = (): string => (pos < s.length ? s[pos++]! : "\0");
  const unread = () => {
    pos--;
  };
  const items: Item[] = [];
  for (;;) {
    let ch = read();
    while (isWhitespace(ch)) ch = read();
    let item: Item;
    if (ch === "\0") {
      item = { tok: "eos", lit: "" };
    } else if (isSpecial(ch)) {
      unread();
      let buffer = "";
      let last: Item | undefined;
      for (;;) {
        const c = read();
        if (c === "\0") break;
        if (isSpecial(c)) {
          buffer += c;
          const t = tokenFor(buffer);
          if (t) last = { tok: t, lit: buffer };
          else if (last) {
            unread();
            break;
          }
        } else {
          unread();
          break;
        }
      }
      item = last ?? { tok: "error", lit: `error expected: keyword found '${buffer}'` };
    } else {
      unread();
      let buffer = "";
      for (;;) {
        const c = read();
        if (c === "\0") break;
        if (isSpecial(c) || isWhitespace(c)) {
          unread();
          break;
        }
        buffer += c;
      }
      item = { tok: tokenFor(buffer) ?? "identifier", lit: buffer };
    }
    items.push(item);
    if (item.tok === "eos") return items;
  }
}

type Context = "keyAndOperator" | "values";

class Parser {
  private position = 0;
  constructor(private readonly items: Item[]) {}

  private look(ctx: Context): Item {
    return this.adjust(this.items[this.position]!, ctx);
  }
  private consume(ctx: Context): Item {
    return this.adjust(this.items[this.position++]!, ctx);
  }
  private adjust(item: Item, ctx: Context): Item {
    if (ctx === "values" && (item.tok === "in" || item.tok === "notIn")) return { tok: "identifier", lit: item.lit };
    return item;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.look("values");
      if (tok === "identifier" || tok === "doesNotExist") {
        try {
          reqs.push(this.parseRequirement());
        } catch (e) {
          if (e instanceof SelectorSyntaxError) throw new SelectorSyntaxError(`unable to parse requirement: ${e.message}`);
          throw e;
        }
        const t = this.consume("values");
        if (t.tok === "eos") return reqs;
        if (t.tok === "comma") {
          const t2 = this.look("values");
          if (t2.tok !== "identifier" && t2.tok !== "doesNotExist") {
            throw new SelectorSyntaxError(`found '${t2.lit}', expected: identifier after ','`);
          }
        } else {
          throw new SelectorSyntaxError(`found '${t.lit}', expected: ',' or 'end of string'`);
        }
      } else if (tok === "eos") {
        return reqs;
      } else {
        throw new SelectorSyntaxError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private parseRequirement(): Requirement {
    const [key, inferred] = this.parseKeyAndInferOperator();
    if (inferred === "exists" || inferred === "!") return newRequirement(key, inferred, []);
    const op = this.parseOperator();
    const values = op === "in" || op === "notin" ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, op, [...values].sort(compareGo));
  }

  private parseKeyAndInferOperator(): [string, Operator | undefined] {
    let op: Operator | undefined;
    let { tok, lit } = this.consume("values");
    if (tok === "doesNotExist") {
      op = "!";
      ({ tok, lit } = this.consume("values"));
    }
    if (tok !== "identifier") throw new SelectorSyntaxError(`found '${lit}', expected: identifier`);
    const keyErrs = isQualifiedName(lit);
    if (keyErrs.length) throw new SelectorSyntaxError(invalidText("<nil>", lit, keyErrs.join("; ")));
    const next = this.look("values").tok;
    if ((next === "eos" || next === "comma") && op !== "!") op = "exists";
    return [lit, op];
  }

  private parseOperator(): Operator {
    const { tok, lit } = this.consume("keyAndOperator");
    switch (tok) {
      case "in":
        return "in";
      case "equals":
        return "=";
      case "doubleEquals":
        return "==";
      case "greaterThan":
        return "gt";
      case "lessThan":
        return "lt";
      case "notIn":
        return "notin";
      case "notEquals":
        return "!=";
      default:
        throw new SelectorSyntaxError(`found '${lit}', expected: ${BINARY_OPERATORS.join(", ")}`);
    }
  }

  private parseValues(): Set<string> {
    const open = this.consume("values");
    if (open.tok !== "openPar") throw new SelectorSyntaxError(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.look("values");
    if (tok === "identifier" || tok === "comma") {
      const set = this.parseIdentifiersList();
      if (this.consume("values").tok !== "closedPar") throw new SelectorSyntaxError(`found '${lit}', expected: ')'`);
      return set;
    }
    if (tok === "closedPar") {
      this.consume("values");
      return new Set([""]);
    }
    throw new SelectorSyntaxError(`found '${lit}', expected: ',', ')' or identifier`);
  }

  private parseIdentifiersList(): Set<string> {
    const set = new Set<string>();
    for (;;) {
      const { tok, lit } = this.consume("values");
      if (tok === "identifier") {
        set.add(lit);
        const next = this.look("values");
        if (next.tok === "comma") continue;
        if (next.tok === "closedPar") return set;
        throw new SelectorSyntaxError(`found '${next.lit}', expected: ',' or ')'`);
      } else if (tok === "comma") {
        if (set.size === 0) set.add("");
        const next = this.look("values").tok;
        if (next === "closedPar") {
          set.add("");
          return set;
        }
        if (next === "comma") set.add("");
      } else {
        throw new SelectorSyntaxError(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): Set<string> {
    const next = this.look("values").tok;
    if (next === "eos" || next === "comma") return new Set([""]);
    const { tok, lit } = this.consume("values");
    if (tok === "identifier") return new Set([lit]);
    throw new SelectorSyntaxError(`found '${lit}', expected: identifier`);
  }
}

/**
 * labels.Parse. The empty string (or only whitespace) matches everything.
 * Throws StatusError 400 BadRequest with upstream's message on bad syntax or invalid keys/values.
 */
export function parseLabelSelector(selector: string): LabelSelector {
  try {
    return new RequirementsSelector(new Parser(lex(selector)).parse());
  } catch (e) {
    if (e instanceof SelectorSyntaxError) throw errors.badRequest(e.message);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// metav1.LabelSelector

const OBJECT_OPERATORS: Record<string, Operator> = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!" };

/**
 * metav1.LabelSelectorAsSelector: null/undefined → matches nothing; `{}` → everything;
 * `matchLabels` entries become `k=v`, expressions map In/NotIn/Exists/DoesNotExist.
 * Throws StatusError 400 with upstream's error text when the selector is invalid
 * (`"Foo" is not a valid label selector operator`, `key: Invalid value: ...`).
 */
export function labelSelectorAsSelector(ls: LabelSelectorObject | null | undefined): LabelSelector {
  if (ls === null || ls === undefined) return NOTHING;
  const matchLabels = ls.matchLabels ?? {};
  const exprs = ls.matchExpressions ?? [];
  if (Object.keys(matchLabels).length + exprs.length === 0) return everything();
  try {
    const reqs: Requirement[] = [];
    for (const [k, v] of Object.entries(matchLabels)) reqs.push(newRequirement(k, "=", [v]));
    for (const expr of exprs) {
      const op = Object.prototype.hasOwnProperty.call(OBJECT_OPERATORS, expr.operator) ? OBJECT_OPERATORS[expr.operator] : undefined;
      if (!op) throw new SelectorSyntaxError(`${goQuote(String(expr.operator))} is not a valid label selector operator`);
      reqs.push(newRequirement(expr.key, op, expr.values && expr.values.length ? [...expr.values] : null));
    }
    return new RequirementsSelector(reqs);
  } catch (e) {
    if (e instanceof SelectorSyntaxError) throw errors.badRequest(e.message);
    throw e;
  }
}

/**
 * The selector's string form as the apiserver writes it into Scale.status.selector
 * (`LabelSelectorAsSelector(...).String()`): "" for an empty or nil selector.
 */
export function labelSelectorToString(ls: LabelSelectorObject | null | undefined): string {
  return labelSelectorAsSelector(ls).toString();
}

/** metav1.FormatLabelSelector (kubectl's SELECTOR column): `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(ls: LabelSelectorObject | null | undefined): string {
  let s: string;
  try {
    s = labelSelectorAsSelector(ls).toString();
  } catch {
    return "<error>";
  }
  return s === "" ? "<none>" : s;
}

export interface LabelSelectorValidationOptions {
  /** Accept values that are not valid label values (only for compatibility with existing data). */
  allowInvalidLabelValueInSelector?: boolean;
  allowUnknownOperatorInRequirement?: boolean;
}

/** metav1validation.ValidateLabelSelector, e.g. for `spec.selector`. */
export function validateLabelSelector(
  ls: LabelSelectorObject | null | undefined,
  fldPath: string,
  opts: LabelSelectorValidationOptions = {},
): FieldError[] {
  const errs: FieldError[] = [];
  if (!ls) return errs;
  errs.push(...validateLabels(ls.matchLabels ?? undefined, `${fldPath}.matchLabels`));
  (ls.matchExpressions ?? []).forEach((expr, i) => {
    const p = `${fldPath}.matchExpressions[${i}]`;
    const values = expr.values ?? [];
    switch (expr.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) errs.push(field.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) errs.push(field.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        if (!opts.allowUnknownOperatorInRequirement) errs.push(field.invalid(`${p}.operator`, expr.operator, "not a valid selector operator"));
    }
    errs.push(...validateLabelName(expr.key, `${p}.key`));
    if (!opts.allowInvalidLabelValueInSelector) {
      values.forEach((v, j) => {
        for (const msg of isValidLabelValue(v)) errs.push(field.invalid(`${p}.values[${j}]`, v, msg));
      });
    }
  });
  return errs;
}
