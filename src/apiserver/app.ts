/**
 * The Kubernetes API of one sandbox: authentication, the non-resource endpoints (version, health,
 * discovery, OpenAPI) and resource requests. Every failure leaves as a `Status` from one place.
 */
import type { Clock } from "../registry/clock";
import type { Registry } from "../registry/registry";
import type { UserInfo } from "../registry/types";
import {
  aggregatedContentType,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from "./discovery";
import { aggregatedDiscoveryVersion } from "./negotiate";
import { OpenApiDocuments, openApiV2ContentType, wantsOpenApiV2Protobuf, type ServedDocument } from "./openapi";
import { forbidden, type AuthorizationAttributes } from "../auth/authorizer";
import { impersonatedUser } from "../auth/impersonation";
import type { SigningKey } from "../auth/tokens/signing-key";
import { openIdConfiguration } from "../auth/tokens/tokens";
import { authorizerFor } from "../auth/rbac-objects";
import { parseRequestInfo, type RequestInfo } from "./request-info";
import { serveResource } from "./resource-handler";
import { errors, StatusError, toResponse } from "./status";
import { versionInfo } from "./version";
import { serveVirtual, virtualDefinitions } from "./virtual";

export interface ApiServerOptions {
  registry: Registry;
  clock: Clock;
  /** Minor Kubernetes version presented, e.g. "1.32". */
  kubernetesVersion: string;
  /** Authenticates a bearer token; null when it is not valid. */
  authenticate(token: string): Promise<UserInfo | null>;
  /** Registers an open watch (429 when too many); returns its release. */
  openWatch(): () => void;
  /** The sandbox speed: simulated durations (log line times) pass this many times faster. */
  speed?(): number;
  /** The sandbox's token signing key (TokenRequest, the JWKS). */
  signingKey(): Promise<SigningKey>;
  /** Most requests served at once, watches and streams aside (kube-apiserver's max-requests-inflight); default 200. */
  maxInFlight?: number;
  /** The sandbox's request-rate limit: 0 admits the request, else the seconds to wait (429 + Retry-After). */
  admitRequest?(): number;
}

/** Paths anyone may read, as kube-apiserver's system:public-info-viewer role allows. */
export const publicPaths = new Set(["/version", "/healthz", "/livez", "/readyz"]);

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

/** The authorization attributes of a request, as k8s.io/apiserver's RequestInfo gives them. */
function requestAttributes(info: RequestInfo, method: string): AuthorizationAttributes {
  if (info.kind === "nonresource") return { kind: "nonresource", verb: method === "HEAD" ? "get" : method.toLowerCase(), path: info.path };
  const { verb, group, version, resource, subresource, namespace, name } = info;
  return { kind: "resource", verb, group, version, resource, subresource, namespace, name };
}

const DEFAULT_MAX_IN_FLIGHT = 200;

/** A watch (`?watch=1`, `/watch/` paths) or an exec/attach stream, which stays open by design. */
function isLongRunning(request: Request, path: string): boolean {
  const query = new URL(request.url).searchParams;
  const watch = query.get("watch");
  const follow = query.get("follow");
  return watch === "1" || watch === "true" || path.includes("/watch/") || request.headers.get("upgrade") !== null || (path.endsWith("/log") && (follow === "true" || follow === "1"));
}

/** kube-apiserver's `--request-timeout`: the longest any request that is not long-running may take. */
const REQUEST_TIMEOUT_MS = 60_000;
const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A request's `?timeout=` (a Go duration such as `500ms` or `1m30s`), at most the server's limit; unreadable or absent: the limit. */
function requestTimeoutMs(request: Request): number {
  const raw = new URL(request.url).searchParams.get("timeout");
  if (!raw || !/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(raw)) return REQUEST_TIMEOUT_MS;
  let ms = 0;
  for (const [, amount, unit] of raw.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(amount) * DURATION_UNITS[unit!]!;
  return ms > 0 ? Math.min(ms, REQUEST_TIMEOUT_MS) : REQUEST_TIMEOUT_MS;
}

/** `work`, or a 504 Timeout once `ms` have passed (the work itself goes on, as upstream's handlers do). */
async function withDeadline(work: Promise<Response>, ms: number): Promise<Response> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(errors.timeout()), ms)));
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    work.catch(() => {});
  }
}

export class ApiServer {
  private openApiCache: { generation: number; documents: OpenApiDocuments } | null = null;

  private inFlight = 0;

  constructor(private readonly options: ApiServerOptions) {}

  /** `path` is the request path below the sandbox's server URL, e.g. `/api/v1/pods`. */
  async handle(request: Request, path: string): Promise<Response> {
    // Long-running requests (watches) have their own limit; everything else counts as in flight.
    const counted = !isLongRunning(request, path);
    if (counted && this.inFlight >= (this.options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT)) {
      await request.body?.cancel().catch(() => {});
      return toResponse(errors.tooManyRequests("Too many requests, please try again later.", 1));
    }
    const retryAfter = this.options.admitRequest?.() ?? 0;
    if (retryAfter > 0) {
      await request.body?.cancel().catch(() => {});
      return toResponse(errors.tooManyRequests("Too many requests, please try again later.", retryAfter));
    }
    if (counted) this.inFlight++;
    try {
      const user = await this.authenticate(request, path);
      const work = this.route(request, path, user);
      return await (counted ? withDeadline(work, requestTimeoutMs(request)) : work);
    } catch (e) {
      await request.body?.cancel().catch(() => {});
      if (e instanceof StatusError) return toResponse(e);
      console.error("apiserver: unexpected error", e);
      return toResponse(errors.internal((e as Error).message ?? String(e)));
    } finally {
      if (counted) this.inFlight--;
    }
  }

  private async authenticate(request: Request, path: string): Promise<UserInfo> {
    const header = request.headers.get("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      if (publicPaths.has(path)) return { username: "system:anonymous", groups: ["system:unauthenticated"] };
      throw errors.unauthorized();
    }
    const user = await this.options.authenticate(match[1]);
    if (!user) throw errors.unauthorized();
    return user;
  }

  private async route(request: Request, path: string, authenticated: UserInfo): Promise<Response> {
    const url = new URL(request.url);
    const info = parseRequestInfo(request.method, path, url.searchParams);
    const authorizer = authorizerFor(this.options.registry);
    const user = impersonatedUser(request.headers, authenticated, authorizer);
    const attributes = requestAttributes(info, request.method);
    const decision = authorizer.authorize(user, attributes);
    if (!decision.allowed) throw forbidden(user, attributes, decision.reason);
    if (info.kind === "resource") {
      const ctx = {
        registry: this.options.registry,
        clock: this.options.clock,
        user,
        openWatch: this.options.openWatch,
        speed: this.options.speed,
        signingKey: this.options.signingKey,
        authenticate: this.options.authenticate,
      };
      return (await serveVirtual(info, request, ctx)) ?? serveResource(info, request, ctx);
    }
    if (request.method !== "GET" && request.method !== "HEAD") throw errors.pathNotFound();
    const nonResourcePath = path.replace(/\/+$/, "") || "/";
    if (nonResourcePath === "/.well-known/openid-configuration") return json(openIdConfiguration());
    if (nonResourcePath === "/openid/v1/jwks") {
      const { publicJwk } = await this.options.signingKey();
      return json({ keys: [publicJwk] }, 200, { "content-type": "application/jwk-set+json" });
    }
    return this.serveNonResource(request, nonResourcePath);
  }

  private serveNonResource(request: Request, path: string): Response {
    const { registry, kubernetesVersion } = this.options;
    const kinds = [...registry.strategies, ...virtualDefinitions];
    const accept = request.headers.get("accept");
    switch (path) {
      case "/version":
        return json(versionInfo(kubernetesVersion));
      case "/healthz":
      case "/livez":
      case "/readyz":
        return new Response("ok", { headers: { "content-type": "text/plain; charset=utf-8" } });
      case "/api":
      case "/apis": {
        const aggregated = aggregatedDiscoveryVersion(accept);
        if (aggregated) {
          return json(aggregatedDiscovery(kinds, path === "/api" ? "api" : "apis", aggregated), 200, {
            "content-type": aggregatedContentType(aggregated),
            vary: "Accept",
          });
        }
        if (path === "/api") return json(apiVersions(new URL(request.url).host));
        return json(apiGroupList(kinds));
      }
      case "/openapi/v2": {
        const protobuf = wantsOpenApiV2Protobuf(accept);
        const doc = protobuf ? this.openApi().v2Protobuf() : this.openApi().v2Json();
        return openApiResponse(request, doc, protobuf ? openApiV2ContentType : "application/json", { vary: "Accept" });
      }
      case "/openapi/v3":
        return openApiResponse(request, this.openApi().v3Index(), "application/json");
    }
    if (path.startsWith("/openapi/v3/")) return this.serveOpenApiV3Document(request, path);
    const parts = path.split("/").filter(Boolean);
    if (parts[0] === "api" && parts.length === 2) {
      const list = apiResourceList(kinds, "", parts[1]);
      if (list) return json(list);
    }
    if (parts[0] === "apis" && parts.length === 2) {
      const group = apiGroup(kinds, parts[1]);
      if (group) return json(group);
    }
    if (parts[0] === "apis" && parts.length === 3) {
      const list = apiResourceList(kinds, parts[1], parts[2]);
      if (list) return json(list);
    }
    throw errors.pathNotFound();
  }

  /**
   * A group-version's v3 document. With `?hash=`, as kube-openapi: the current hash gets immutable
   * cache headers; a stale one a 301 to the current URL (which keeps the sandbox's path prefix,
   * since clients resolve the Location against the server root).
   */
  private serveOpenApiV3Document(request: Request, path: string): Response {
    const groupVersion = path.slice("/openapi/v3/".length);
    const doc = this.openApi().v3Document(groupVersion);
    if (!doc) throw errors.pathNotFound();
    const url = new URL(request.url);
    const hash = url.searchParams.get("hash");
    if (!hash) return openApiResponse(request, doc, "application/json", { vary: "Accept" });
    if (hash !== doc.etag) {
      const prefix = url.pathname.endsWith(path) ? url.pathname.slice(0, url.pathname.length - path.length) : "";
      return new Response(null, { status: 301, headers: { location: `${prefix}/openapi/v3/${groupVersion}?hash=${doc.etag}` } });
    }
    return openApiResponse(request, doc, "application/json", {
      vary: "Accept",
      "cache-control": "public, immutable",
      expires: new Date(this.options.clock.now() + 365 * 24 * 3600 * 1000).toUTCString(),
    });
  }

  /** The OpenAPI documents of the kinds served now, rebuilt (lazily) when the set of kinds changes. */
  private openApi(): OpenApiDocuments {
    const { registry } = this.options;
    if (this.openApiCache?.generation !== registry.generation) {
      const documents = new OpenApiDocuments(registry.strategies, versionInfo(this.options.kubernetesVersion).gitVersion);
      this.openApiCache = { generation: registry.generation, documents };
    }
    return this.openApiCache.documents;
  }
}

/** An OpenAPI document with its ETag; `If-None-Match` with that tag gets a 304, as http.ServeContent answers. */
function openApiResponse(request: Request, doc: ServedDocument, contentType: string, headers: Record<string, string> = {}): Response {
  const etag = `"${doc.etag}"`;
  const all = { etag, ...headers };
  const ifNoneMatch = request.headers.get("if-none-match");
  if (ifNoneMatch && ifNoneMatch.split(",").some((t) => t.trim() === etag || t.trim() === "*")) return new Response(null, { status: 304, headers: all });
  return new Response(doc.body, { headers: { "content-type": contentType, ...all } });
}
