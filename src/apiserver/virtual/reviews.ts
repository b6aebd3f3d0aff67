/**
 * authorization.k8s.io access reviews and authentication.k8s.io SelfSubjectReview and TokenReview: create-only
 * resources that store nothing and answer about the requesting (or named) user, as
 * kube-apiserver's review REST handlers do.
 */
import type { KindDefinition, KObject, UserInfo } from "../../registry/types";
import { decodeObject, readBody } from "../body";
import { errors, field, invalid, StatusError, type FieldError } from "../status";
import type { AuthorizationAttributes, Authorizer } from "../../auth/authorizer";
import { ISSUER } from "../../auth/tokens/tokens";

const createOnly = ["create"];
const authz = "authorization.k8s.io";
const authn = "authentication.k8s.io";

const review = (group: string, version: string, kind: string, resource: string, namespaced = false): KindDefinition => ({
  group,
  version,
  kind,
  resource,
  singular: kind.toLowerCase(),
  namespaced,
  verbs: createOnly,
});

export const reviewDefinitions: KindDefinition[] = [
  review(authn, "v1", "SelfSubjectReview", "selfsubjectreviews"),
  review(authn, "v1beta1", "SelfSubjectReview", "selfsubjectreviews"),
  review(authn, "v1", "TokenReview", "tokenreviews"),
  review(authz, "v1", "LocalSubjectAccessReview", "localsubjectaccessreviews", true),
  review(authz, "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews"),
  review(authz, "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews"),
  review(authz, "v1", "SubjectAccessReview", "subjectaccessreviews"),
];

/** What reviews consult: the time, the sandbox's authorizer and its authenticator. */
export interface ReviewContext {
  now: Date;
  authorizer: Authorizer;
  authenticate(token: string): Promise<UserInfo | null>;
}

/** The answer to a POST of `body` to a review resource, for the authenticated `user`. */
export type ReviewAnswer = (body: KObject, user: UserInfo, namespace: string, ctx: ReviewContext) => KObject | Promise<KObject>;

/** Each review kind's answer, keyed by `group/resource`. */
export const reviewAnswers: Record<string, ReviewAnswer> = {
  [`${authn}/selfsubjectreviews`]: (body, user, _ns, { now }) => ({
    ...body,
    metadata: { ...body.metadata, creationTimestamp: now.toISOString().replace(/\.\d{3}Z$/, "Z") },
    status: { userInfo: userInfoOf(user) },
  }),
  [`${authn}/tokenreviews`]: async (body, _user, _ns, { authenticate }) => {
    const token = body.spec?.token;
    if (typeof token !== "string" || token === "") throw invalid("TokenReview", authn, "", [field.required("spec.token", "")]);
    const reviewed = await authenticate(token);
    return { ...withMeta(body), status: reviewed ? { authenticated: true, user: userInfoOf(reviewed), audiences: [ISSUER] } : { user: {} } };
  },
  [`${authz}/selfsubjectaccessreviews`]: (body, user, _ns, { authorizer }) => accessReview(body, user, "SelfSubjectAccessReview", "", authorizer),
  [`${authz}/subjectaccessreviews`]: (body, _user, _ns, { authorizer }) => accessReview(body, subjectOf(body), "SubjectAccessReview", "", authorizer),
  [`${authz}/localsubjectaccessreviews`]: (body, _user, namespace, { authorizer }) =>
    accessReview(body, subjectOf(body), "LocalSubjectAccessReview", namespace, authorizer),
  [`${authz}/selfsubjectrulesreviews`]: (body, user, _ns, { authorizer }) => {
    const { resourceRules, nonResourceRules, incomplete } = authorizer.rulesFor(user, String(body.spec?.namespace ?? ""));
    return { ...withMeta(body), status: { resourceRules, nonResourceRules, incomplete } };
  },
};

/** Serves POST to a review resource (201 with the answered review); anything else is 405. */
export async function serveReview(
  answer: ReviewAnswer,
  definition: KindDefinition,
  verb: string,
  namespace: string,
  request: Request,
  user: UserInfo,
  ctx: ReviewContext,
): Promise<Response> {
  if (verb !== "create") {
    await request.body?.cancel();
    throw methodNotAllowed();
  }
  const body = decodeObject(await readBody(request), request.headers.get("content-type"), definition.kind) as KObject;
  const apiVersion = `${definition.group}/${definition.version}`;
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw errors.badRequest(`the object provided is unrecognized (must be of type ${definition.kind})`);
  if ((body.kind && body.kind !== definition.kind) || (body.apiVersion && body.apiVersion !== apiVersion)) {
    throw errors.badRequest(`the object provided is unrecognized (must be of type ${definition.kind}): ${body.apiVersion}, Kind=${body.kind}`);
  }
  const answered = await answer({ ...body, apiVersion, kind: definition.kind }, user, namespace, ctx);
  return new Response(JSON.stringify(answered), { status: 201, headers: { "content-type": "application/json" } });
}

/** kube-apiserver's answer to a verb a resource does not serve. */
export function methodNotAllowed(): StatusError {
  return new StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
}

function userInfoOf(user: UserInfo) {
  return {
    username: user.username,
    ...(user.uid ? { uid: user.uid } : {}),
    groups: user.groups,
    ...(user.extra && Object.keys(user.extra).length ? { extra: user.extra } : {}),
  };
}

/** The user a SubjectAccessReview names in its spec. */
function subjectOf(body: KObject): UserInfo {
  const spec = body.spec ?? {};
  return { username: String(spec.user ?? ""), uid: spec.uid, groups: Array.isArray(spec.groups) ? spec.groups.map(String) : [], extra: spec.extra };
}

function withMeta(body: KObject): KObject {
  return { ...body, metadata: { creationTimestamp: null, ...body.metadata } };
}

function accessReview(body: KObject, subject: UserInfo, kind: string, namespace: string, authorizer: Authorizer): KObject {
  const spec = body.spec ?? {};
  const errs = validateAccessSpec(spec, kind, namespace);
  if (errs.length) throw invalid(kind, authz, body.metadata?.name ?? "", errs);
  const decision = authorizer.authorize(subject, attributesOf(spec));
  const status: Record<string, unknown> = { allowed: decision.allowed };
  if (decision.denied) status.denied = true;
  if (decision.reason) status.reason = decision.reason;
  return { ...withMeta(body), status };
}

function attributesOf(spec: Record<string, any>): AuthorizationAttributes {
  if (spec.nonResourceAttributes) return { kind: "nonresource", verb: String(spec.nonResourceAttributes.verb ?? ""), path: String(spec.nonResourceAttributes.path ?? "") };
  const r = spec.resourceAttributes ?? {};
  const s = (v: unknown) => (v === undefined || v === null ? "" : String(v));
  return { kind: "resource", verb: s(r.verb), group: s(r.group), version: s(r.version), resource: s(r.resource), subresource: s(r.subresource), namespace: s(r.namespace), name: s(r.name) };
}

/** Upstream's ValidateSubjectAccessReviewSpec and its Self/Local variants. */
function validateAccessSpec(spec: Record<string, any>, kind: string, namespace: string): FieldError[] {
  const errs: FieldError[] = [];
  const hasResource = !!spec.resourceAttributes;
  const hasNonResource = !!spec.nonResourceAttributes;
  if (hasResource && hasNonResource) {
    errs.push(field.invalid("spec.nonResourceAttributes", spec.nonResourceAttributes, "cannot be specified in combination with resourceAttributes"));
  } else if (!hasResource && !hasNonResource) {
    errs.push(field.required("spec.resourceAttributes", "exactly one of nonResourceAttributes or resourceAttributes must be specified"));
  }
  if (kind !== "SelfSubjectAccessReview" && !spec.user && !(Array.isArray(spec.groups) && spec.groups.length)) {
    errs.push(field.invalid("spec.user", spec.user ?? "", "at least one of user or group must be specified"));
  }
  if (kind === "LocalSubjectAccessReview") {
    if (hasNonResource) errs.push(field.invalid("spec.nonResourceAttributes", spec.nonResourceAttributes, "disallowed on this kind of request"));
    if (hasResource && (spec.resourceAttributes.namespace ?? "") !== namespace) {
      errs.push(field.invalid("spec.resourceAttributes.namespace", spec.resourceAttributes.namespace ?? "", "must match metadata.namespace"));
    }
  }
  return errs;
}
