/**
 * The sandbox's authorization decision, as a pure function of the user and the request attributes.
 * Today only the privileged group (`system:masters`) is authorized, as kube-apiserver's privileged
 * group authorizer; the RBAC module will replace `authorize` and `rulesFor` with the same shapes.
 */
import type { UserInfo } from "../../registry/types";

/** What is asked: authorization.k8s.io ResourceAttributes or NonResourceAttributes, flattened. */
export type AuthorizationAttributes =
  | { kind: "resource"; verb: string; group: string; version: string; resource: string; subresource: string; namespace: string; name: string }
  | { kind: "nonresource"; verb: string; path: string };

export interface Decision {
  allowed: boolean;
  /** Explicitly denied (an authorizer said no, as opposed to no authorizer saying yes). */
  denied: boolean;
  /** The deciding authorizer's reason; upstream's privileged group authorizer gives none. */
  reason: string;
}

export interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
}

export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs: string[];
}

export interface Rules {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  /** True when the rules may not be the whole answer (an authorizer that cannot list its rules). */
  incomplete: boolean;
}

export const PRIVILEGED_GROUP = "system:masters";

const isPrivileged = (user: UserInfo) => user.groups.includes(PRIVILEGED_GROUP);

export function authorize(user: UserInfo, _attributes: AuthorizationAttributes): Decision {
  return { allowed: isPrivileged(user), denied: false, reason: "" };
}

/**
 * The rules kubeadm's default RBAC policy grants `user` in `namespace`, in binding order:
 * cluster-admin (bound to system:masters), then system:basic-user, system:discovery and
 * system:public-info-viewer (bound to every authenticated user).
 */
export function rulesFor(user: UserInfo, _namespace: string): Rules {
  const resourceRules: ResourceRule[] = [];
  const nonResourceRules: NonResourceRule[] = [];
  if (isPrivileged(user)) {
    resourceRules.push({ verbs: ["*"], apiGroups: ["*"], resources: ["*"] });
    nonResourceRules.push({ verbs: ["*"], nonResourceURLs: ["*"] });
  }
  if (user.groups.includes("system:authenticated")) {
    resourceRules.push(
      { verbs: ["create"], apiGroups: ["authentication.k8s.io"], resources: ["selfsubjectreviews"] },
      { verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"] },
    );
    nonResourceRules.push({ verbs: ["get"], nonResourceURLs: ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"] });
  }
  if (user.groups.includes("system:authenticated") || user.groups.includes("system:unauthenticated")) {
    nonResourceRules.push({ verbs: ["get"], nonResourceURLs: ["/healthz", "/livez", "/readyz", "/version", "/version/"] });
  }
  return { resourceRules, nonResourceRules, incomplete: false };
}
