/**
 * Who a bearer token is, in a sandbox: its admin token (kubernetes-admin, system:masters), a
 * ServiceAccount token while the account (and the pod or Secret it is bound to) still exists
 * with the same uid, a legacy token while its account exists and its Secret still holds it, or a
 * user token of the current token generation. Anything else is null.
 */
import { timingSafeEqual } from "../management/credentials";
import type { KObject, UserInfo } from "../registry/types";
import type { SigningKey } from "./tokens/signing-key";
import { verifyToken, type KubernetesClaim, type LegacyClaim } from "./tokens/tokens";

export const ADMIN_USER: UserInfo = { username: "kubernetes-admin", groups: ["system:masters", "system:authenticated"] };

export interface AuthenticatorDeps {
  adminToken: string;
  /** The sandbox's token generation: user tokens of an older one are revoked. */
  generation: number;
  signingKey(): Promise<SigningKey>;
  /** An object of the sandbox, or null when there is none. */
  lookup(resource: "serviceaccounts" | "pods" | "secrets", namespace: string, name: string): KObject | null;
  now(): number;
}

/** The object named by a token claim, if it still exists with the same uid (and, for a pod, is not being deleted). */
function stillBound(deps: AuthenticatorDeps, resource: "serviceaccounts" | "pods" | "secrets", namespace: string, ref: { name: string; uid: string }): boolean {
  const obj = deps.lookup(resource, namespace, ref.name);
  return obj !== null && obj.metadata.uid === ref.uid && !(resource === "pods" && obj.metadata.deletionTimestamp);
}

const decodeBase64 = (text: unknown) => {
  try {
    return typeof text === "string" ? atob(text) : null;
  } catch {
    return null;
  }
};

/** A legacy token is live while its account exists with the same uid and its Secret, annotated for that account, holds exactly this token. */
function legacyTokenLive(deps: AuthenticatorDeps, claim: LegacyClaim, token: string): boolean {
  if (!stillBound(deps, "serviceaccounts", claim.namespace, claim.serviceAccount)) return false;
  const secret = deps.lookup("secrets", claim.namespace, claim.secretName);
  const annotations = secret?.metadata.annotations ?? {};
  if (annotations["kubernetes.io/service-account.name"] !== claim.serviceAccount.name) return false;
  if (annotations["kubernetes.io/service-account.uid"] && annotations["kubernetes.io/service-account.uid"] !== claim.serviceAccount.uid) return false;
  const stored = decodeBase64(secret?.data?.token);
  return stored !== null && timingSafeEqual(stored, token);
}

function serviceAccountUser(namespace: string, account: { name: string; uid: string }, extra: Record<string, string[]>): UserInfo {
  return {
    username: `system:serviceaccount:${namespace}:${account.name}`,
    uid: account.uid,
    groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"],
    extra,
  };
}

function boundTokenUser(claim: KubernetesClaim, tokenId: string): UserInfo {
  const extra: Record<string, string[]> = { "authentication.kubernetes.io/credential-id": [`JTI=${tokenId}`] };
  if (claim.pod) {
    extra["authentication.kubernetes.io/pod-name"] = [claim.pod.name];
    extra["authentication.kubernetes.io/pod-uid"] = [claim.pod.uid];
  }
  return serviceAccountUser(claim.namespace, claim.serviceaccount, extra);
}

export function tokenAuthenticator(deps: AuthenticatorDeps): (token: string) => Promise<UserInfo | null> {
  return async (token) => {
    if (timingSafeEqual(token, deps.adminToken)) return ADMIN_USER;
    const verified = await verifyToken(await deps.signingKey(), token, deps.now());
    if (!verified) return null;
    if (verified.kind === "user") {
      if (verified.generation !== deps.generation || !verified.subject) return null;
      return { username: verified.subject, groups: [...new Set([...verified.groups, "system:authenticated"])] };
    }
    if (verified.kind === "legacy") {
      if (!legacyTokenLive(deps, verified.claim, token)) return null;
      const { namespace, serviceAccount, secretName } = verified.claim;
      return serviceAccountUser(namespace, serviceAccount, { "authentication.kubernetes.io/credential-id": [`Secret=${secretName}`] });
    }
    const { claim } = verified;
    if (!stillBound(deps, "serviceaccounts", claim.namespace, claim.serviceaccount)) return null;
    if (claim.pod && !stillBound(deps, "pods", claim.namespace, claim.pod)) return null;
    if (claim.secret && !stillBound(deps, "secrets", claim.namespace, claim.secret)) return null;
    return boundTokenUser(claim, verified.tokenId);
  };
}
