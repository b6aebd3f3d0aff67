/**
 * The `fieldManager` of a write: upstream's default when the request names none, and the
 * validation of the write options that carry it (k8s.io/apiserver handlers and
 * apimachinery/pkg/apis/meta/v1/validation).
 */
import { field, invalid, type FieldError, type StatusError } from "../status";

export const fieldManagerMaxLength = 128;

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/**
 * The manager of a write that names none: the User-Agent up to its first `/`
 * (`kubectl/v1.33.0 (linux/amd64) …` → `kubectl`), without unprintable characters, cut to 128 bytes.
 */
export function defaultFieldManager(userAgent: string | null): string {
  let out = "";
  let bytes = 0;
  for (const ch of (userAgent ?? "").split("/")[0]) {
    if (!printable.test(ch)) continue;
    const size = new TextEncoder().encode(ch).length;
    if (bytes + size > fieldManagerMaxLength) break;
    out += ch;
    bytes += size;
  }
  return out;
}

/** The manager a write is recorded under: the request's `fieldManager`, else the User-Agent's. */
export function managerOfRequest(fieldManager: string | null | undefined, userAgent: string | null): string {
  return fieldManager ? fieldManager : defaultFieldManager(userAgent);
}

export function fieldManagerErrors(fieldManager: string): FieldError[] {
  const errs: FieldError[] = [];
  if (new TextEncoder().encode(fieldManager).length > fieldManagerMaxLength) errs.push(field.tooLong("fieldManager", fieldManagerMaxLength));
  let position = 0;
  for (const ch of fieldManager) {
    if (!printable.test(ch)) {
      const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
      errs.push(field.invalid("fieldManager", fieldManager, `invalid character U+${code} (at position ${position})`));
    }
    position += new TextEncoder().encode(ch).length;
  }
  return errs;
}

export interface WriteOptionsQuery {
  /** Which options type the verb takes. */
  options: "CreateOptions" | "UpdateOptions" | "PatchOptions";
  fieldManager: string | null | undefined;
  /** The request is an apply patch (`application/apply-patch+yaml`). */
  apply?: boolean;
  /** Whether the `force` query parameter was given at all. */
  forceGiven?: boolean;
}

/**
 * The 422 upstream answers for bad write options, or undefined: `force` on a non-apply patch, an
 * apply without `fieldManager`, a fieldManager too long or with unprintable characters.
 */
export function validateWriteOptions(q: WriteOptionsQuery): StatusError | undefined {
  const errs: FieldError[] = [];
  if (q.options === "PatchOptions" && !q.apply && q.forceGiven) errs.push(field.forbidden("force", "may not be specified for non-apply patch"));
  if (q.apply && !q.fieldManager) errs.push(field.required("fieldManager", "is required for apply patch"));
  errs.push(...fieldManagerErrors(q.fieldManager ?? ""));
  if (errs.length === 0) return undefined;
  const error = invalid(q.options, "meta.k8s.io", "", errs);
  if (error.details) delete error.details.name;
  return error;
}
