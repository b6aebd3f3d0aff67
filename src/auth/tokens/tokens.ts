/**
 * The JWTs a sandbox issues and accepts: ServiceAccount tokens (TokenRequest, claims as
 * kube-apiserver's) and the tokens of users created through the management API. Both are signed
 * with the sandbox's key and valid only for the API server's audience.
 */
import { decodeJwt, jwtVerify, SignJWT, type JWTPayload } from "jose";
import type { SigningKey } from "./signing-key";

/** The issuer and API audience kubeadm configures (`--service-account-issuer`). */
export const ISSUER = "https://kubernetes.default.svc.cluster.local";
const ALG = "ES256";

export interface BoundObject {
  kind: "Pod" | "Secret";
  name: string;
  uid: string;
}

export interface ServiceAccountTokenRequest {
  namespace: string;
  serviceAccount: { name: string; uid: string };
  audiences: string[];
  expirationSeconds: number;
  boundObject?: BoundObject;
}

/** The `kubernetes.io` claim of a ServiceAccount token. */
export interface KubernetesClaim {
  namespace: string;
  serviceaccount: { name: string; uid: string };
  pod?: { name: string; uid: string };
  secret?: { name: string; uid: string };
}

/** The issuer of legacy ServiceAccount tokens (those stored in `kubernetes.io/service-account-token` Secrets). */
export const LEGACY_ISSUER = "kubernetes/serviceaccount";
const LEGACY_CLAIM = "kubernetes.io/serviceaccount";

/** What a legacy token names: its account and the Secret that holds it. */
export interface LegacyClaim {
  namespace: string;
  secretName: string;
  serviceAccount: { name: string; uid: string };
}

export type VerifiedToken =
  | { kind: "serviceaccount"; claim: KubernetesClaim; subject: string; tokenId: string }
  | { kind: "legacy"; claim: LegacyClaim; subject: string }
  | { kind: "user"; subject: string; groups: string[]; generation: number };

const seconds = (ms: number) => Math.floor(ms / 1000);

export async function issueServiceAccountToken(key: SigningKey, request: ServiceAccountTokenRequest, nowMs: number): Promise<{ token: string; expiresAtMs: number }> {
  const claim: KubernetesClaim = { namespace: request.namespace, serviceaccount: request.serviceAccount };
  if (request.boundObject) claim[request.boundObject.kind === "Pod" ? "pod" : "secret"] = { name: request.boundObject.name, uid: request.boundObject.uid };
  const iat = seconds(nowMs);
  const exp = iat + request.expirationSeconds;
  const token = await new SignJWT({ "kubernetes.io": claim } as unknown as JWTPayload)
    .setProtectedHeader({ alg: ALG, kid: key.publicJwk.kid })
    .setIssuer(ISSUER)
    .setSubject(`system:serviceaccount:${request.namespace}:${request.serviceAccount.name}`)
    .setAudience(request.audiences)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .setJti(crypto.randomUUID())
    .sign(key.privateKey);
  return { token, expiresAtMs: exp * 1000 };
}

/**
 * A legacy ServiceAccount token, as the tokens controller writes into a Secret: no audience and no
 * expiry; it works while its account and Secret exist and the Secret still holds it.
 */
export async function issueLegacyServiceAccountToken(key: SigningKey, claim: LegacyClaim): Promise<string> {
  return new SignJWT({
    [`${LEGACY_CLAIM}/namespace`]: claim.namespace,
    [`${LEGACY_CLAIM}/secret.name`]: claim.secretName,
    [`${LEGACY_CLAIM}/service-account.name`]: claim.serviceAccount.name,
    [`${LEGACY_CLAIM}/service-account.uid`]: claim.serviceAccount.uid,
  })
    .setProtectedHeader({ alg: ALG, kid: key.publicJwk.kid })
    .setIssuer(LEGACY_ISSUER)
    .setSubject(`system:serviceaccount:${claim.namespace}:${claim.serviceAccount.name}`)
    .sign(key.privateKey);
}

/** A user's token; `generation` ties it to the sandbox's token generation (rotation revokes it). */
export async function issueUserToken(key: SigningKey, user: { name: string; groups: string[]; generation: number; ttlSeconds: number | null }, nowMs: number): Promise<string> {
  const jwt = new SignJWT({ groups: user.groups, "sandkube.dev/generation": user.generation })
    .setProtectedHeader({ alg: ALG, kid: key.publicJwk.kid })
    .setIssuer(ISSUER)
    .setSubject(user.name)
    .setAudience([ISSUER])
    .setIssuedAt(seconds(nowMs));
  if (user.ttlSeconds !== null) jwt.setExpirationTime(seconds(nowMs) + user.ttlSeconds);
  return jwt.sign(key.privateKey);
}

/** The OpenID provider configuration kube-apiserver serves for its ServiceAccount issuer. */
export function openIdConfiguration() {
  return {
    issuer: ISSUER,
    jwks_uri: `${ISSUER}/openid/v1/jwks`,
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: [ALG],
  };
}

const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);

/** The claims of a token this sandbox signed for its API, or null (bad signature, expired, another audience). */
export async function verifyToken(key: SigningKey, token: string, nowMs: number): Promise<VerifiedToken | null> {
  if (!looksLikeJwt(token)) return null;
  if (unverifiedIssuer(token) === LEGACY_ISSUER) return verifyLegacyToken(key, token, nowMs);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, { issuer: ISSUER, audience: ISSUER, algorithms: [ALG], currentDate: new Date(nowMs) }));
  } catch {
    return null;
  }
  const claim = payload["kubernetes.io"] as KubernetesClaim | undefined;
  if (claim?.serviceaccount) return { kind: "serviceaccount", claim, subject: payload.sub ?? "", tokenId: payload.jti ?? "" };
  const groups = Array.isArray(payload.groups) ? payload.groups.map(String) : [];
  return { kind: "user", subject: payload.sub ?? "", groups, generation: Number(payload["sandkube.dev/generation"] ?? 0) };
}

/** The `iss` a token claims (before any check), to pick how to verify it. */
function unverifiedIssuer(token: string): string | undefined {
  try {
    return decodeJwt(token).iss;
  } catch {
    return undefined;
  }
}

async function verifyLegacyToken(key: SigningKey, token: string, nowMs: number): Promise<VerifiedToken | null> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, { issuer: LEGACY_ISSUER, algorithms: [ALG], currentDate: new Date(nowMs) }));
  } catch {
    return null;
  }
  const text = (name: string) => (typeof payload[`${LEGACY_CLAIM}/${name}`] === "string" ? (payload[`${LEGACY_CLAIM}/${name}`] as string) : "");
  const claim: LegacyClaim = {
    namespace: text("namespace"),
    secretName: text("secret.name"),
    serviceAccount: { name: text("service-account.name"), uid: text("service-account.uid") },
  };
  if (!claim.namespace || !claim.secretName || !claim.serviceAccount.name) return null;
  return { kind: "legacy", claim, subject: payload.sub ?? "" };
}
