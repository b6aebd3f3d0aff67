/**
 * `POST …/serviceaccounts/{name}/token` (TokenRequest, `kubectl create token`): validates and
 * defaults the request as kube-apiserver's TokenREST does, then signs a token for the account,
 * optionally bound to a Pod or Secret.
 */
import { decodeObject, readBody } from "../../apiserver/body";
import { errors, field, invalid, type FieldError } from "../../apiserver/status";
import { formatTime } from "../../registry/clock";
import type { ResourceStore } from "../../registry/store";
import type { KObject } from "../../registry/types";
import type { Registry } from "../../registry/registry";
import type { SigningKey } from "./signing-key";
import { ISSUER, issueServiceAccountToken, type BoundObject } from "./tokens";

const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
const BOUND_KINDS: Record<string, string> = { Pod: "pods", Secret: "secrets" };

export interface TokenRequestContext {
  registry: Registry;
  signingKey(): Promise<SigningKey>;
  now(): number;
}

function validateSpec(spec: Record<string, any>): FieldError[] {
  const errs: FieldError[] = [];
  const exp = spec.expirationSeconds;
  if (exp < MIN_EXPIRATION_SECONDS) errs.push(field.invalid("spec.expirationSeconds", exp, "may not specify a duration less than 10 minutes"));
  if (exp > MAX_EXPIRATION_SECONDS) errs.push(field.invalid("spec.expirationSeconds", exp, "may not specify a duration larger than 2^32 seconds"));
  const ref = spec.boundObjectRef;
  if (ref) {
    if (!BOUND_KINDS[ref.kind]) errs.push(field.notSupported("spec.boundObjectRef.kind", ref.kind ?? "", Object.keys(BOUND_KINDS)));
    if (!ref.name) errs.push(field.required("spec.boundObjectRef.name", ""));
  }
  return errs;
}

/** The bound object as it exists now; 404 when missing, 409 when its uid is not the one asked for. */
function boundObject(registry: Registry, namespace: string, ref: Record<string, string>): BoundObject {
  const resource = BOUND_KINDS[ref.kind]!;
  const obj = registry.resource("", resource).get(namespace, ref.name);
  if (ref.uid && ref.uid !== obj.metadata.uid) {
    throw errors.conflict(
      { group: "", resource },
      ref.name,
      `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  }
  return { kind: ref.kind as BoundObject["kind"], name: ref.name, uid: obj.metadata.uid! };
}

export async function serveTokenRequest(serviceAccounts: ResourceStore, namespace: string, name: string, request: Request, ctx: TokenRequestContext): Promise<Response> {
  const body = decodeObject(await readBody(request), request.headers.get("content-type"), "TokenRequest") as KObject;
  if (typeof body !== "object" || body === null) throw errors.badRequest("the object provided is unrecognized (must be of type TokenRequest)");
  const sa = serviceAccounts.get(namespace, name);
  const spec = { ...(body.spec ?? {}) };
  if (!Array.isArray(spec.audiences) || spec.audiences.length === 0) spec.audiences = [ISSUER];
  spec.expirationSeconds ??= DEFAULT_EXPIRATION_SECONDS;
  const errs = validateSpec(spec);
  if (errs.length) throw invalid("TokenRequest", "authentication.k8s.io", name, errs);
  const bound = spec.boundObjectRef ? boundObject(ctx.registry, namespace, spec.boundObjectRef) : undefined;
  const now = ctx.now();
  const { token, expiresAtMs } = await issueServiceAccountToken(
    await ctx.signingKey(),
    { namespace, serviceAccount: { name, uid: sa.metadata.uid! }, audiences: spec.audiences, expirationSeconds: spec.expirationSeconds, boundObject: bound },
    now,
  );
  const answer = {
    kind: "TokenRequest",
    apiVersion: "authentication.k8s.io/v1",
    metadata: { name, namespace, creationTimestamp: formatTime(now) },
    spec: { ...spec, boundObjectRef: spec.boundObjectRef ?? null },
    status: { token, expirationTimestamp: formatTime(expiresAtMs) },
  };
  return new Response(JSON.stringify(answer), { status: 201, headers: { "content-type": "application/json" } });
}
