/**
 * Field selectors, as k8s.io/apimachinery/pkg/fields (ParseSelector, EscapeValue/UnescapeValue)
 * plus the apiserver's field-label conversion step (ListResource → Scheme.ConvertFieldLabel),
 * which is where unsupported fields are rejected.
 *
 * Syntax: terms separated by `,` (AND); each term `field=value`, `field==value` or `field!=value`.
 * The field name is taken verbatim up to the first operator (no trimming, no escaping); in the
 * value, `\\`, `\,` and `\=` are escapes and a bare `,`/`=` is an error. A field absent from the
 * object's field set reads as "".
 */
import { errors } from "../status";
import { goQuote } from "../query";

export interface FieldRequirement {
  field: string;
  /** `==` is recorded as `=`, as upstream does. */
  operator: "=" | "!=";
  value: string;
}

export type Fields = Record<string, string>;

export interface FieldSelector {
  /** Sorted the way upstream sorts the terms (by their raw text). */
  readonly requirements: readonly FieldRequirement[];
  matches(fields: Fields): boolean;
  empty(): boolean;
  /** `a=b,c!=d`, values escaped. */
  toString(): string;
  /** The value an `=` term pins `field` to, if any. */
  requiresExactMatch(field: string): string | undefined;
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

function get(fields: Fields, key: string): string {
  return Object.prototype.hasOwnProperty.call(fields, key) ? fields[key]! : "";
}

class AndSelector implements FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}
  matches(fields: Fields): boolean {
    return this.requirements.every((r) => (get(fields, r.field) === r.value) === (r.operator === "="));
  }
  empty(): boolean {
    return this.requirements.length === 0;
  }
  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(",");
  }
  requiresExactMatch(field: string): string | undefined {
    for (const r of this.requirements) if (r.operator === "=" && r.field === field) return r.value;
    return undefined;
  }
}

/** fields.Everything(). */
export function everythingFields(): FieldSelector {
  return new AndSelector([]);
}

/** fields.OneTermEqualSelector. */
export function oneTermEqualSelector(field: string, value: string): FieldSelector {
  return new AndSelector([{ field, operator: "=", value }]);
}

/** fields.EscapeValue: `\` → `\\`, `,` → `\,`, `=` → `\=`. */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

class FieldSelectorError extends Error {}

/**
 * fields.UnescapeValue. Errors (400 BadRequest):
 * `invalid field selector: invalid escape sequence: \x` and
 * `invalid field selector: unescaped character in value: 61` (Go prints the rune as a number).
 */
export function unescapeFieldValue(s: string): string {
  try {
    return unescape(s);
  } catch (e) {
    if (e instanceof FieldSelectorError) throw errors.badRequest(e.message);
    throw e;
  }
}

function unescape(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = "";
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === "\\" || c === "," || c === "=") out += c;
      else throw new FieldSelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
      continue;
    }
    if (c === "\\") inSlash = true;
    else if (c === "," || c === "=") {
      throw new FieldSelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else out += c;
  }
  if (inSlash) throw new FieldSelectorError("invalid field selector: invalid escape sequence: \\");
  return out;
}

/** Splits on commas not preceded by an escaping backslash; keeps the backslashes. */
function splitTerms(selector: string): string[] {
  if (selector.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (inSlash) inSlash = false;
    else if (c === "\\") inSlash = true;
    else if (c === ",") {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

const TERM_OPERATORS = ["!=", "==", "="] as const;

function splitTerm(term: string): [string, (typeof TERM_OPERATORS)[number], string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

/**
 * fields.ParseSelector. "" matches everything; empty terms (`a=b,,c=d`) are skipped.
 * Throws 400 BadRequest: `invalid selector: '<selector>'; can't understand '<term>'`, or an
 * escaping error from {@link unescapeFieldValue}.
 */
export function parseFieldSelector(selector: string): FieldSelector {
  const parts = splitTerms(selector).sort(compareGo);
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === "") continue;
    const split = splitTerm(part);
    if (!split) throw errors.badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const [lhs, op, rhs] = split;
    let value: string;
    try {
      value = unescape(rhs);
    } catch (e) {
      if (e instanceof FieldSelectorError) throw errors.badRequest(e.message);
      throw e;
    }
    reqs.push({ field: lhs, operator: op === "!=" ? "!=" : "=", value });
  }
  return new AndSelector(reqs);
}

/** The fields every kind without its own conversion function accepts. */
export const DEFAULT_SUPPORTED_FIELDS: readonly string[] = ["metadata.name", "metadata.namespace"];

/**
 * The apiserver's field-label conversion (what `ListResource` runs before listing), returning the
 * converted selector or throwing 400 BadRequest:
 *
 * - `supportedFields` undefined: the kind registered no conversion function, so upstream's default
 *   applies (only `metadata.name` and `metadata.namespace`), and the message is
 *   `"foo" is not a known field selector: only "metadata.name", "metadata.namespace"`.
 *   This is what a ConfigMap list with `fieldSelector=foo=bar` gets.
 * - `supportedFields` given (kinds with a registered function: pods, nodes, events, secrets,
 *   namespaces, services, replicationcontrollers, and custom resources): `field label not supported: foo`.
 *
 * `aliases` maps deprecated field names to their canonical ones (pods: `spec.host` → `spec.nodeName`).
 * The first unsupported term in sorted order is the one reported.
 */
export function validateFieldSelector(
  selector: FieldSelector,
  supportedFields?: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): FieldSelector {
  const out: FieldRequirement[] = [];
  for (const r of selector.requirements) {
    let name: string;
    if (supportedFields === undefined) {
      if (!DEFAULT_SUPPORTED_FIELDS.includes(r.field)) {
        throw errors.badRequest(`${goQuote(r.field)} is not a known field selector: only "metadata.name", "metadata.namespace"`);
      }
      name = r.field;
    } else if (Object.prototype.hasOwnProperty.call(aliases, r.field)) {
      name = aliases[r.field]!;
    } else if (supportedFields.includes(r.field)) {
      name = r.field;
    } else {
      throw errors.badRequest(`field label not supported: ${r.field}`);
    }
    out.push({ ...r, field: name });
  }
  return new AndSelector(out);
}
