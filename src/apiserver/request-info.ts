import { parseQueryBool } from "./query";

/**
 * Parses a Kubernetes API path (already stripped of the sandbox prefix) into what it addresses,
 * like k8s.io/apiserver's RequestInfoFactory.
 */

export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete" | "deletecollection";

export interface ResourceRequest {
  kind: "resource";
  verb: Verb;
  /** "" for the core group. */
  group: string;
  version: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

export interface NonResourceRequest {
  kind: "nonresource";
  path: string;
}

export type RequestInfo = ResourceRequest | NonResourceRequest;


export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const parts = path.split("/").filter((p) => p.length > 0).map(decodeURIComponent);
  let rest: string[];
  let group = "";
  let version: string;
  if (parts[0] === "api" && parts.length >= 2) {
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 3) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return { kind: "nonresource", path };
  }
  if (rest.length === 0) return { kind: "nonresource", path };

  let legacyWatch = false;
  if (rest[0] === "watch") {
    legacyWatch = true;
    rest = rest.slice(1);
  }

  let namespace = "";
  // `namespaces/{ns}/{resource}…` addresses a namespaced resource; `namespaces/{ns}` alone (or with a
  // subresource such as `status`/`finalize`) addresses the Namespace object itself.
  if (rest[0] === "namespaces" && rest.length >= 3 && !isNamespaceSubresource(rest)) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name = "", subresource = "", ...extra] = rest;
  if (!resource || extra.length > 0) return { kind: "nonresource", path };

  let verb: Verb;
  const m = method.toUpperCase();
  if (m === "GET" || m === "HEAD") {
    if (legacyWatch || parseQueryBool(query.get("watch"))) verb = "watch";
    else verb = name ? "get" : "list";
  } else if (m === "POST") verb = "create";
  else if (m === "PUT") verb = "update";
  else if (m === "PATCH") verb = "patch";
  else if (m === "DELETE") verb = name ? "delete" : "deletecollection";
  else return { kind: "nonresource", path };

  return { kind: "resource", verb, group, version, resource, subresource, namespace, name };
}

/** `namespaces/{name}/status` and `namespaces/{name}/finalize` are subresources of a Namespace. */
function isNamespaceSubresource(rest: string[]): boolean {
  return rest.length === 3 && (rest[2] === "status" || rest[2] === "finalize");
}
