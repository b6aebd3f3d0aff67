/**
 * Name, label and annotation validation with upstream's messages (k8s.io/apimachinery v0.36:
 * pkg/util/validation, pkg/api/validate/content, pkg/api/validation), and generateName suffixes
 * (k8s.io/apiserver/pkg/storage/names, k8s.io/apimachinery/pkg/util/rand).
 *
 * The `is*` functions return a list of problems (empty when valid), each a sentence fragment
 * that callers attach to a field error (`metadata.name: Invalid value: "X": <problem>`).
 * Lengths are measured in UTF-8 bytes, as Go's `len(string)` does.
 */
import { field, type FieldError } from "./status";

/** UTF-8 byte length of a JS string. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

// ---- message builders (pkg/api/validate/content/errors.go) ----

/** `must be no more than N bytes` (content package: label keys/values). */
function maxLenBytes(n: number): string {
  return `must be no more than ${n} bytes`;
}

/** `must be no more than N characters` (util/validation: DNS names, still worded this way in v0.36). */
function maxLenCharacters(n: number): string {
  return `must be no more than ${n} characters`;
}

const EMPTY_ERROR = "must be non-empty";

/** Upstream's RegexError, including its double space between examples. */
export function regexError(msg: string, re: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${re}')`;
  let out = `${msg} (e.g. `;
  examples.forEach((ex, i) => {
    if (i > 0) out += " or ";
    out += `'${ex}', `;
  });
  return `${out}regex used for validation is '${re}')`;
}

// ---- DNS names ----

const DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_ERR =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
export const DNS1123_LABEL_MAX_LENGTH = 63;
const dns1123LabelRe = new RegExp(`^${DNS1123_LABEL_FMT}$`);

const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_ERR =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
const dns1123SubdomainRe = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);

const DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_ERR =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
export const DNS1035_LABEL_MAX_LENGTH = 63;
const dns1035LabelRe = new RegExp(`^${DNS1035_LABEL_FMT}$`);

/** validation.IsDNS1123Label (namespace names, service names' labels...). */
export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (utf8Length(value) > DNS1123_LABEL_MAX_LENGTH) errs.push(maxLenCharacters(DNS1123_LABEL_MAX_LENGTH));
  if (!dns1123LabelRe.test(value)) {
    if (dns1123SubdomainRe.test(value)) errs.push("must not contain dots");
    else errs.push(regexError(DNS1123_LABEL_ERR, DNS1123_LABEL_FMT, "my-name", "123-abc"));
  }
  return errs;
}

/** validation.IsDNS1123Subdomain (most object names). */
export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (utf8Length(value) > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenCharacters(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!dns1123SubdomainRe.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, "example.com"));
  return errs;
}

/** validation.IsDNS1035Label (service names). */
export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (utf8Length(value) > DNS1035_LABEL_MAX_LENGTH) errs.push(maxLenCharacters(DNS1035_LABEL_MAX_LENGTH));
  if (!dns1035LabelRe.test(value)) errs.push(regexError(DNS1035_LABEL_ERR, DNS1035_LABEL_FMT, "my-name", "abc-123"));
  return errs;
}

/** content.IsDNS1123Subdomain: as above but worded in bytes; used for label-key prefixes. */
function contentIsDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (utf8Length(value) > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenBytes(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!dns1123SubdomainRe.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, "example.com"));
  return errs;
}

/**
 * upstream maskTrailingDash, used when a name is a generateName prefix. It really does drop the
 * last two characters and append `a` (so `ab-` is checked as `aa`, `a-` as `a`).
 */
function maskTrailingDash(name: string): string {
  if (name.length > 1 && name.endsWith("-")) return `${name.slice(0, -2)}a`;
  return name;
}

/** ValidateNameFunc: `prefix` is true when validating a generateName. */
export type NameValidator = (name: string, prefix: boolean) => string[];

export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);

/**
 * Path-segment names (e.g. for resources whose names must merely be usable in a URL path):
 * path.IsValidPathSegmentName / ValidatePathSegmentName.
 */
export const nameIsPathSegment: NameValidator = (name, prefix) => {
  if (prefix) {
    const errs: string[] = [];
    for (const bad of ["/", "%"]) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
    return errs;
  }
  if (name === "." || name === "..") return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const bad of ["/", "%"]) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
};

// ---- label keys (qualified names) and values ----

const LABEL_KEY_CHAR_FMT = "[A-Za-z0-9]";
const LABEL_KEY_EXT_CHAR_FMT = "[-A-Za-z0-9_.]";
const LABEL_KEY_FMT = `(${LABEL_KEY_CHAR_FMT}${LABEL_KEY_EXT_CHAR_FMT}*)?${LABEL_KEY_CHAR_FMT}`;
const LABEL_KEY_ERR =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
export const LABEL_KEY_MAX_LENGTH = 63;
const labelKeyRe = new RegExp(`^${LABEL_KEY_FMT}$`);

/**
 * content.IsLabelKey (a.k.a. IsQualifiedName): `name` or `dns.subdomain/name`, name ≤ 63 bytes.
 * An empty name yields both `name part must be non-empty` and the regex message, as upstream.
 */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split("/");
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push(`prefix part ${EMPTY_ERROR}`);
    else for (const msg of contentIsDNS1123Subdomain(prefix)) errs.push(`prefix part ${msg}`);
  } else {
    return [
      `a valid label key ${regexError(LABEL_KEY_ERR, LABEL_KEY_FMT, "MyName", "my.name", "123-abc")} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push(`name part ${EMPTY_ERROR}`);
  else if (utf8Length(name) > LABEL_KEY_MAX_LENGTH) errs.push(`name part ${maxLenBytes(LABEL_KEY_MAX_LENGTH)}`);
  if (!labelKeyRe.test(name)) errs.push(`name part ${regexError(LABEL_KEY_ERR, LABEL_KEY_FMT, "MyName", "my.name", "123-abc")}`);
  return errs;
}

/** Alias: a label key is a qualified name. */
export const isLabelKey = isQualifiedName;

const LABEL_VALUE_FMT = `(${LABEL_KEY_FMT})?`;
const LABEL_VALUE_ERR =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
export const LABEL_VALUE_MAX_LENGTH = 63;
const labelValueRe = new RegExp(`^${LABEL_VALUE_FMT}$`);

/** content.IsLabelValue: empty, or ≤ 63 bytes of `[-A-Za-z0-9_.]` starting and ending alphanumeric. */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (utf8Length(value) > LABEL_VALUE_MAX_LENGTH) errs.push(maxLenBytes(LABEL_VALUE_MAX_LENGTH));
  if (!labelValueRe.test(value)) errs.push(regexError(LABEL_VALUE_ERR, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"));
  return errs;
}

// ---- object metadata ----

/** TotalAnnotationSizeLimitB: 256 KiB over all keys and values. */
export const TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * 1024;

/** ValidateLabelName: one Invalid error per problem, bad value = the key. */
export function validateLabelName(key: string, fldPath: string): FieldError[] {
  return isQualifiedName(key).map((msg) => field.invalid(fldPath, key, msg));
}

/**
 * ValidateLabels: errors are reported on the map's path itself (`metadata.labels`), not per key;
 * the bad value is the key (for key problems) or the value (for value problems).
 */
export function validateLabels(labels: Record<string, string> | null | undefined, fldPath = "metadata.labels"): FieldError[] {
  const errs: FieldError[] = [];
  if (!labels) return errs;
  for (const [k, v] of Object.entries(labels)) {
    errs.push(...validateLabelName(k, fldPath));
    for (const msg of isValidLabelValue(typeof v === "string" ? v : String(v))) errs.push(field.invalid(fldPath, v, msg));
  }
  return errs;
}

/**
 * ValidateAnnotations: keys must be qualified names once lower-cased (the error shows the
 * original key); the total size of keys and values must not exceed 256 KiB
 * (`metadata.annotations: Too long: may not be more than 262144 bytes`).
 */
export function validateAnnotations(
  annotations: Record<string, string> | null | undefined,
  fldPath = "metadata.annotations",
): FieldError[] {
  const errs: FieldError[] = [];
  if (!annotations) return errs;
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(field.invalid(fldPath, k, msg));
    total += utf8Length(k) + utf8Length(typeof v === "string" ? v : String(v));
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_B) errs.push(field.tooLong(fldPath, TOTAL_ANNOTATION_SIZE_LIMIT_B));
  return errs;
}

export function validateObjectMetaLabels(labels: Record<string, string> | null | undefined): FieldError[] {
  return validateLabels(labels, "metadata.labels");
}

export function validateObjectMetaAnnotations(annotations: Record<string, string> | null | undefined): FieldError[] {
  return validateAnnotations(annotations, "metadata.annotations");
}

// ---- generateName ----

/** The alphabet of k8s.io/apimachinery/pkg/util/rand: no vowels, no look-alikes. */
export const NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
export const GENERATED_SUFFIX_LENGTH = 5;
/** 63 - 5: generateName prefixes are cut to this many bytes before the suffix is appended. */
export const MAX_GENERATED_NAME_LENGTH = 63 - GENERATED_SUFFIX_LENGTH;

/** A source of uniform random numbers in [0, 1), like Math.random. */
export type RandomSource = () => number;

/** utilrand.String(n): n characters from {@link NAME_SUFFIX_ALPHABET}. */
export function randomSuffix(n = GENERATED_SUFFIX_LENGTH, random: RandomSource = Math.random): string {
  let out = "";
  for (let i = 0; i < n; i++) {
    const idx = Math.min(NAME_SUFFIX_ALPHABET.length - 1, Math.floor(random() * NAME_SUFFIX_ALPHABET.length));
    out += NAME_SUFFIX_ALPHABET[idx];
  }
  return out;
}

/**
 * SimpleNameGenerator.GenerateName: the base cut to 58 bytes, plus 5 random characters.
 * (A base that is not ASCII is cut at a character boundary; Go would cut mid-character, but such
 * a name fails validation either way.)
 */
export function generateName(base: string, random: RandomSource = Math.random): string {
  let cut = base;
  if (utf8Length(base) > MAX_GENERATED_NAME_LENGTH) {
    cut = "";
    let bytes = 0;
    for (const ch of base) {
      const len = utf8Length(ch);
      if (bytes + len > MAX_GENERATED_NAME_LENGTH) break;
      cut += ch;
      bytes += len;
    }
  }
  return cut + randomSuffix(GENERATED_SUFFIX_LENGTH, random);
}
