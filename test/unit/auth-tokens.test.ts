/**
 * Tokens a sandbox issues: ServiceAccount tokens from TokenRequest (`kubectl create token`) that
 * die with their account or bound pod, user tokens tied to the token generation, and the
 * authenticator that tells them apart from the admin token.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jwtVerify, createLocalJWKSet } from "jose";
import { tokenAuthenticator } from "../../src/auth/authenticator";
import { ISSUER, issueUserToken } from "../../src/auth/tokens/tokens";
import { getOrNull } from "../../src/controlplane/controllers/workloads";
import { serviceAccountTokenReconciler } from "../../src/controlplane/controllers/serviceaccount-tokens";
import { systemUser } from "../../src/sandbox/sandbox";
import { cluster, paths, pod, runLoop, TOKEN, type Cluster } from "./support/cluster";

let c: Cluster;
beforeEach(async () => {
  c = await cluster();
});
afterEach(async () => {
  await c?.closeWatches();
});

const tokenPath = (sa: string, ns = "default") => `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`;
const tokenRequest = (spec: Record<string, unknown> = {}) => ({ apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec });

function authenticator(generation = 1, now = () => c.clock.now()) {
  const registry = c.sandbox.registry;
  return tokenAuthenticator({
    adminToken: "admin-token",
    generation,
    signingKey: c.sandbox.signingKey,
    lookup: (resource, ns, name) => getOrNull(registry.resource("", resource), ns, name),
    now,
  });
}

describe("TokenRequest", () => {
  it("issues a token for the API audience, valid for an hour by default", async () => {
    const res = await c.post(tokenPath("default"), tokenRequest());
    expect(res.status, res.text).toBe(201);
    expect(res.body.spec).toMatchObject({ audiences: [ISSUER], expirationSeconds: 3600, boundObjectRef: null });
    expect(Date.parse(res.body.status.expirationTimestamp) - c.clock.now()).toBeGreaterThan(3599_000);
    const user = await authenticator()(res.body.status.token);
    expect(user).toMatchObject({
      username: "system:serviceaccount:default:default",
      groups: ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"],
    });
  });

  it("refuses durations under ten minutes and missing accounts as upstream", async () => {
    const short = await c.post(tokenPath("default"), tokenRequest({ expirationSeconds: 599 }));
    expect(short.status).toBe(422);
    expect(short.body.message).toBe('TokenRequest.authentication.k8s.io "default" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes');
    expect((await c.post(tokenPath("ghost"), tokenRequest())).status).toBe(404);
  });

  it("stops working when its account is deleted, or its bound pod", async () => {
    await c.post("/api/v1/namespaces/default/serviceaccounts", { metadata: { name: "robot" } });
    await c.post(paths.pods(), pod("worker"));
    const plain = (await c.post(tokenPath("robot"), tokenRequest())).body.status.token;
    const bound = (await c.post(tokenPath("robot"), tokenRequest({ boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "worker" } }))).body.status.token;
    const authenticate = authenticator();
    expect((await authenticate(bound))?.extra?.["authentication.kubernetes.io/pod-name"]).toEqual(["worker"]);
    await c.del(paths.pod("worker"), { gracePeriodSeconds: 0 });
    expect(await authenticate(bound)).toBeNull();
    expect(await authenticate(plain)).not.toBeNull();
    await c.del("/api/v1/namespaces/default/serviceaccounts/robot");
    expect(await authenticate(plain)).toBeNull();
  });

  it("is refused for another audience, after expiry, and when forged", async () => {
    const other = (await c.post(tokenPath("default"), tokenRequest({ audiences: ["vault"] }))).body.status.token;
    expect(await authenticator()(other)).toBeNull();
    const token = (await c.post(tokenPath("default"), tokenRequest({ expirationSeconds: 600 }))).body.status.token;
    expect(await authenticator(1, () => c.clock.now() + 601_000)(token)).toBeNull();
    const [header, payload] = token.split(".");
    expect(await authenticator()(`${header}.${payload}.${"A".repeat(86)}`)).toBeNull();
  });

  it("verifies against the sandbox's published JWKS", async () => {
    const token = (await c.post(tokenPath("default"), tokenRequest())).body.status.token;
    const jwks = await c.get("/openid/v1/jwks");
    expect(jwks.status).toBe(200);
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks.body), { issuer: ISSUER, currentDate: new Date(c.clock.now()) });
    expect(payload.sub).toBe("system:serviceaccount:default:default");
    expect((await c.get("/.well-known/openid-configuration")).body).toMatchObject({ issuer: ISSUER, jwks_uri: `${ISSUER}/openid/v1/jwks` });
  });
});

describe("user tokens", () => {
  it("authenticate as the user and its groups while the token generation stands", async () => {
    const token = await issueUserToken(await c.sandbox.signingKey(), { name: "jane", groups: ["devs"], generation: 1, ttlSeconds: null }, c.clock.now());
    expect(await authenticator(1)(token)).toEqual({ username: "jane", groups: ["devs", "system:authenticated"] });
    expect(await authenticator(2)(token)).toBeNull();
    expect(await authenticator(1)("admin-token")).toMatchObject({ username: "kubernetes-admin" });
    expect(await authenticator(1)("not-a-token")).toBeNull();
  });
});

describe("TokenReview", () => {
  it("says who a token belongs to, or that it is not valid", async () => {
    const review = (token: string) => c.post("/apis/authentication.k8s.io/v1/tokenreviews", { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } });
    const valid = await review(TOKEN);
    expect(valid.status, valid.text).toBe(201);
    expect(valid.body.status).toMatchObject({ authenticated: true, user: { username: "kubernetes-admin", groups: ["system:masters", "system:authenticated"] } });
    expect((await review("bogus")).body.status).toEqual({ user: {} });
    expect((await review("")).status).toBe(422);
  });
});

describe("legacy ServiceAccount token Secrets", () => {
  const tokenSecret = (name: string, account: string) => ({
    apiVersion: "v1",
    kind: "Secret",
    type: "kubernetes.io/service-account-token",
    metadata: { name, annotations: { "kubernetes.io/service-account.name": account } },
  });
  const reconcile = serviceAccountTokenReconciler;
  const secrets = () => c.sandbox.registry.resource("", "secrets");

  it("are filled by the token controller, authenticate as their account, and stop when the Secret goes", async () => {
    await c.post("/api/v1/namespaces/default/serviceaccounts", { metadata: { name: "builder" } });
    expect((await c.post("/api/v1/namespaces/default/secrets", tokenSecret("builder-token", "builder"))).status).toBe(201);
    const run = reconcile({ registry: c.sandbox.registry, user: systemUser, signingKey: c.sandbox.signingKey });
    await run("default/builder-token");
    const secret = getOrNull(secrets(), "default", "builder-token")!;
    const account = getOrNull(c.sandbox.registry.resource("", "serviceaccounts"), "default", "builder")!;
    expect(secret.metadata.annotations?.["kubernetes.io/service-account.uid"]).toBe(account.metadata.uid);
    expect(atob(secret.data.namespace)).toBe("default");
    expect(atob(secret.data["ca.crt"])).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const token = atob(secret.data.token);
    expect(await authenticator()(token)).toMatchObject({ username: "system:serviceaccount:default:builder", uid: account.metadata.uid });
    // A second pass has nothing to do.
    const revision = secret.metadata.resourceVersion;
    await run("default/builder-token");
    expect(getOrNull(secrets(), "default", "builder-token")!.metadata.resourceVersion).toBe(revision);
    // The Secret holds the token: deleting the Secret revokes it.
    await c.del("/api/v1/namespaces/default/secrets/builder-token");
    expect(await authenticator()(token)).toBeNull();
  });

  it("are deleted when their account does not exist", async () => {
    await c.post("/api/v1/namespaces/default/secrets", tokenSecret("orphan-token", "nobody"));
    await reconcile({ registry: c.sandbox.registry, user: systemUser, signingKey: c.sandbox.signingKey })("default/orphan-token");
    expect(getOrNull(secrets(), "default", "orphan-token")).toBeNull();
  });

  it("are filled by the running control loop, and die with their account", async () => {
    await c.post("/api/v1/namespaces/default/serviceaccounts", { metadata: { name: "ci" } });
    await c.post("/api/v1/namespaces/default/secrets", tokenSecret("ci-token", "ci"));
    await runLoop(c.sandbox, c.clock, 1000);
    const token = atob(getOrNull(secrets(), "default", "ci-token")!.data.token);
    expect(await authenticator()(token)).toMatchObject({ username: "system:serviceaccount:default:ci" });
    await c.del("/api/v1/namespaces/default/serviceaccounts/ci");
    expect(await authenticator()(token)).toBeNull();
    await runLoop(c.sandbox, c.clock, 1000);
    expect(getOrNull(secrets(), "default", "ci-token")).toBeNull();
  });
});
