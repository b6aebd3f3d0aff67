/**
 * Impersonation headers (`kubectl --as`, `--as-group`, `--as-uid`), as k8s.io/apiserver's
 * WithImpersonation filter: each impersonated user, group, uid and extra value needs the
 * `impersonate` verb on it; the request then runs as the impersonated user.
 */
import { errors } from "../apiserver/status";
import type { UserInfo } from "../registry/types";
import { forbidden, type Authorizer, type AuthorizationAttributes } from "./authorizer";

const EXTRA_PREFIX = "impersonate-extra-";

function impersonateAttributes(resource: string, name: string, namespace = "", subresource = "", group = ""): AuthorizationAttributes {
  return { kind: "resource", verb: "impersonate", group, version: "", resource, subresource, namespace, name };
}

/** The user a request acts as: the authenticated one, or the one it impersonates when allowed. */
export function impersonatedUser(headers: Headers, requestor: UserInfo, authorizer: Authorizer): UserInfo {
  const username = headers.get("impersonate-user");
  const groups = headers.get("impersonate-group") ? headers.get("impersonate-group")!.split(",").map((g) => g.trim()) : [];
  const uid = headers.get("impersonate-uid");
  const extra: Record<string, string[]> = {};
  for (const [name, value] of headers) {
    if (name.startsWith(EXTRA_PREFIX)) extra[decodeURIComponent(name.slice(EXTRA_PREFIX.length))] = value.split(",").map((v) => v.trim());
  }
  if (username === null) {
    if (groups.length || uid || Object.keys(extra).length) throw errors.badRequest("requested impersonation of groups, uid or extra without impersonating a user");
    return requestor;
  }
  const checks: AuthorizationAttributes[] = [];
  const serviceAccount = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  checks.push(serviceAccount ? impersonateAttributes("serviceaccounts", serviceAccount[2]!, serviceAccount[1]!) : impersonateAttributes("users", username));
  for (const group of groups) checks.push(impersonateAttributes("groups", group));
  if (uid) checks.push(impersonateAttributes("uids", uid, "", "", "authentication.k8s.io"));
  for (const [key, values] of Object.entries(extra)) for (const v of values) checks.push(impersonateAttributes("userextras", v, "", key, "authentication.k8s.io"));
  for (const attributes of checks) {
    const decision = authorizer.authorize(requestor, attributes);
    if (!decision.allowed) throw forbidden(requestor, attributes, decision.reason);
  }
  const impliedGroups = serviceAccount ? ["system:serviceaccounts", `system:serviceaccounts:${serviceAccount[1]}`] : [];
  const authenticated = username === "system:anonymous" ? [] : ["system:authenticated"];
  const allGroups = [...new Set([...groups, ...impliedGroups, ...authenticated])];
  return { username, groups: allGroups, ...(uid ? { uid } : {}), ...(Object.keys(extra).length ? { extra } : {}) };
}
