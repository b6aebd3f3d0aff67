/**
 * Query-parameter parsing with Go's semantics and the apiserver's error messages.
 *
 * kube-apiserver decodes query parameters into ListOptions / DeleteOptions / PatchOptions with the
 * conversions in k8s.io/apimachinery/pkg/runtime/conversion.go; a conversion error becomes a 400
 * BadRequest whose message is the raw Go error (e.g. `strconv.ParseInt: parsing "abc": invalid syntax`).
 * Only the first value of a repeated parameter is used.
 */
import { errors } from "./status";

/** Go's `%q` / `strconv.Quote` for a string (JS strings are always valid Unicode here). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case "\\":
        out += "\\\\";
        continue;
      case "\x07":
        out += "\\a";
        continue;
      case "\b":
        out += "\\b";
        continue;
      case "\f":
        out += "\\f";
        continue;
      case "\n":
        out += "\\n";
        continue;
      case "\r":
        out += "\\r";
        continue;
      case "\t":
        out += "\\t";
        continue;
      case "\v":
        out += "\\v";
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) {
      out += `\\x${cp.toString(16).padStart(2, "0")}`;
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      // A lone surrogate cannot be valid UTF-8; Go would see the replacement character.
      out += "\\ufffd";
    } else if (cp !== 0x20 && NON_PRINTABLE.test(ch)) {
      out += cp < 0x10000 ? `\\u${cp.toString(16).padStart(4, "0")}` : `\\U${cp.toString(16).padStart(8, "0")}`;
    } else {
      out += ch;
    }
  }
  return out + '"';
}

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const NON_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

const TRUE_STRINGS = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE_STRINGS = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/**
 * `strconv.ParseBool`. Throws 400 BadRequest with Go's error text
 * (`strconv.ParseBool: parsing "yes": invalid syntax`) for anything else.
 *
 * Note: kube-apiserver does NOT use this for its own boolean query parameters (watch,
 * allowWatchBookmarks, sendInitialEvents, ...): those go through {@link parseQueryBool}, which never
 * fails. Use this one for parameters upstream parses with ParseBool.
 */
export function parseBool(s: string, _param?: string): boolean {
  if (TRUE_STRINGS.has(s)) return true;
  if (FALSE_STRINGS.has(s)) return false;
  throw errors.badRequest(`strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`);
}

/**
 * A boolean query parameter as kube-apiserver reads it (runtime.Convert_Slice_string_To_bool):
 * absent → false; `0` or any casing of `false` → false; anything else, even the empty string
 * (`?watch`) or `no`, → true. Never fails.
 */
export function parseQueryBool(value: string | null | undefined): boolean {
  if (value === null || value === undefined) return false;
  if (value === "0" || value.toLowerCase() === "false") return false;
  return true;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * `strconv.ParseInt(s, 10, 64)`: an optional sign and decimal digits, nothing else (no spaces,
 * no underscores, no `0x`). Throws 400 BadRequest with Go's error text:
 * `strconv.ParseInt: parsing "abc": invalid syntax` / `... : value out of range`.
 * The result is a JS number (exact up to 2^53; int64 values beyond are accepted but rounded).
 */
export function parseInt64(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) {
    throw errors.badRequest(`strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax`);
  }
  const big = BigInt(s);
  if (big > INT64_MAX || big < INT64_MIN) {
    throw errors.badRequest(`strconv.ParseInt: parsing ${goQuote(s)}: value out of range`);
  }
  return Number(big);
}

/**
 * An int64 query parameter (`limit`, `timeoutSeconds`, `gracePeriodSeconds`, ...): absent →
 * undefined; present (even empty: `?limit=`) → parsed with {@link parseInt64}, so 400 on bad input.
 */
export function parseQueryInt64(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  return parseInt64(value);
}

