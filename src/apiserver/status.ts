/**
 * Kubernetes `Status` errors. Every failure of the Kubernetes API is a StatusError; one place
 * (`toResponse`) turns it into an HTTP response. Reasons, codes and messages follow
 * k8s.io/apimachinery/pkg/api/errors.
 */

export type StatusReason =
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Gone"
  | "Expired"
  | "Invalid"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "RequestEntityTooLarge"
  | "UnsupportedMediaType"
  | "TooManyRequests"
  | "InternalError"
  | "Timeout"
  | "ServiceUnavailable";

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toStatus(): Status {
    const status: Status = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

/** A resource as upstream names it in messages: `pods`, `deployments.apps`. */
export interface GroupResource {
  group: string;
  resource: string;
}

export function qualifiedResource({ group, resource }: GroupResource): string {
  return group ? `${resource}.${group}` : resource;
}

export function statusResponse(status: Status, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(status), {
    status: status.code,
    headers: { "content-type": "application/json", ...headers },
  });
}

export function toResponse(error: StatusError): Response {
  return statusResponse(error.toStatus(), error.headers);
}

export function successStatus(details: StatusDetails): Status {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details, code: 200 } as Status;
}

export const errors = {
  badRequest: (message: string) => new StatusError(400, "BadRequest", message),

  unauthorized: () => new StatusError(401, "Unauthorized", "Unauthorized"),

  forbidden: (gr: GroupResource, name: string, message: string) =>
    new StatusError(
      403,
      "Forbidden",
      name ? `${qualifiedResource(gr)} "${name}" is forbidden: ${message}` : `${qualifiedResource(gr)} is forbidden: ${message}`,
      { name: name || undefined, group: gr.group, kind: gr.resource },
    ),

  notFound: (gr: GroupResource, name: string) =>
    new StatusError(404, "NotFound", `${qualifiedResource(gr)} "${name}" not found`, {
      name,
      group: gr.group || undefined,
      kind: gr.resource,
    }),

  /** The generic 404 for a path the server does not serve. */
  pathNotFound: () => new StatusError(404, "NotFound", "the server could not find the requested resource", {}),

  alreadyExists: (gr: GroupResource, name: string) =>
    new StatusError(409, "AlreadyExists", `${qualifiedResource(gr)} "${name}" already exists`, {
      name,
      group: gr.group || undefined,
      kind: gr.resource,
    }),

  conflict: (gr: GroupResource, name: string, reason: string) =>
    new StatusError(409, "Conflict", `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${reason}`, {
      name,
      group: gr.group || undefined,
      kind: gr.resource,
    }),

  /** The optimistic-concurrency conflict, with upstream's exact wording. */
  modified: (gr: GroupResource, name: string) =>
    errors.conflict(gr, name, "the object has been modified; please apply your changes to the latest version and try again"),

  gone: (message: string) => new StatusError(410, "Gone", message),

  expired: (message: string) => new StatusError(410, "Expired", message),

  methodNotAllowed: (verb: string, gr: GroupResource) =>
    new StatusError(405, "MethodNotAllowed", `${verb} is not supported on resources of kind "${qualifiedResource(gr)}"`),

  notAcceptable: (message: string) => new StatusError(406, "NotAcceptable", message),

  tooLarge: (message: string) => new StatusError(413, "RequestEntityTooLarge", message),

  unsupportedMediaType: (contentType: string, accepted: string[]) =>
    new StatusError(
      415,
      "UnsupportedMediaType",
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`,
      { causes: [{ reason: "", message: contentType }] },
    ),

  tooManyRequests: (message: string, retryAfterSeconds: number) =>
    new StatusError(429, "TooManyRequests", message, { retryAfterSeconds }, { "retry-after": String(retryAfterSeconds) }),

  /** A request that outlived its deadline (`--request-timeout`, or the request's `?timeout=`). */
  timeout: () => new StatusError(504, "Timeout", "Timeout: request did not complete within requested timeout - context deadline exceeded", {}),

  internal: (message: string) => new StatusError(500, "InternalError", `Internal error occurred: ${message}`, {
    causes: [{ reason: "", message }],
  }),
};

/** A field-level validation error, as k8s.io/apimachinery/pkg/util/validation/field.Error. */
export type FieldErrorType =
  | "FieldValueRequired"
  | "FieldValueInvalid"
  | "FieldValueNotSupported"
  | "FieldValueDuplicate"
  | "FieldValueForbidden"
  | "FieldValueTooLong"
  | "FieldValueTooMany"
  | "FieldValueNotFound";

export interface FieldError {
  type: FieldErrorType;
  field: string;
  /** The detail after the type's label, e.g. `must be no more than 63 characters`. */
  detail?: string;
  badValue?: unknown;
  /** The bad value exactly as upstream prints it (Go's `%#v` for maps and structs), when JSON would differ. */
  renderedValue?: string;
  /** For NotSupported: the accepted values. */
  supported?: string[];
}

const fieldErrorLabel: Record<FieldErrorType, string> = {
  FieldValueRequired: "Required value",
  FieldValueInvalid: "Invalid value",
  FieldValueNotSupported: "Unsupported value",
  FieldValueDuplicate: "Duplicate value",
  FieldValueForbidden: "Forbidden",
  FieldValueTooLong: "Too long",
  FieldValueTooMany: "Too many",
  FieldValueNotFound: "Not found",
};

function renderBadValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined) return "null";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** The message of one field error without the field path, as upstream's `ErrorBody()`. */
export function fieldErrorBody(e: FieldError): string {
  const label = fieldErrorLabel[e.type];
  const showValue = e.type === "FieldValueInvalid" || e.type === "FieldValueNotSupported" || e.type === "FieldValueDuplicate" || e.type === "FieldValueNotFound";
  const value = e.renderedValue ?? (e.badValue !== undefined ? renderBadValue(e.badValue) : undefined);
  let body = showValue && value !== undefined ? `${label}: ${value}` : label;
  if (e.type === "FieldValueNotSupported" && e.supported?.length) {
    body += `: supported values: ${e.supported.map((s) => JSON.stringify(s)).join(", ")}`;
  } else if (e.detail) {
    body += `: ${e.detail}`;
  }
  return body;
}

/** 422 Invalid, worded as `ConfigMap "cfg" is invalid: [a: Required value, b: Invalid value: …]`. */
export function invalid(kind: string, group: string, name: string, fieldErrors: FieldError[]): StatusError {
  const rendered = fieldErrors.map((e) => `${e.field}: ${fieldErrorBody(e)}`);
  const list = rendered.length === 1 ? rendered[0] : `[${rendered.join(", ")}]`;
  return new StatusError(422, "Invalid", `${kind}${group ? `.${group}` : ""} "${name}" is invalid: ${list}`, {
    name,
    group: group || undefined,
    kind,
    causes: fieldErrors.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
  });
}

export const field = {
  required: (f: string, detail?: string): FieldError => ({ type: "FieldValueRequired", field: f, detail }),
  invalid: (f: string, badValue: unknown, detail?: string): FieldError => ({ type: "FieldValueInvalid", field: f, badValue, detail }),
  notSupported: (f: string, badValue: unknown, supported: string[]): FieldError => ({ type: "FieldValueNotSupported", field: f, badValue, supported }),
  duplicate: (f: string, badValue: unknown): FieldError => ({ type: "FieldValueDuplicate", field: f, badValue }),
  forbidden: (f: string, detail: string): FieldError => ({ type: "FieldValueForbidden", field: f, detail }),
  tooLong: (f: string, maxLength: number): FieldError => ({ type: "FieldValueTooLong", field: f, detail: `may not be more than ${maxLength} bytes` }),
};
