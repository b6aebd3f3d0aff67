/**
 * The legacy ServiceAccount token controller driven by hand: what it writes into a
 * `kubernetes.io/service-account-token` Secret (a token with upstream's legacy claims, the CA, the
 * namespace, the account's uid), what it leaves alone, which Secrets it deletes, and how long the
 * token it wrote authenticates.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { tokenAuthenticator } from "../../src/auth/authenticator";
import { serviceAccountTokenReconciler } from "../../src/controlplane/controllers/serviceaccount-tokens";
import { getOrNull } from "../../src/controlplane/controllers/workloads";
import type { Registry } from "../../src/registry/registry";
import type { KObject } from "../../src/registry/types";
import type { Sandbox } from "../../src/sandbox/sandbox";
import { systemUser } from "../../src/sandbox/sandbox";
import { quietSandbox } from "./support/cluster";

let sandbox: Sandbox;
let registry: Registry;
let reconcile: (key: string) => Promise<unknown>;
beforeEach(async () => {
  ({ sandbox, registry } = await quietSandbox());
  reconcile = serviceAccountTokenReconciler({ registry, user: systemUser, signingKey: sandbox.signingKey });
});

const secrets = () => registry.resource("", "secrets");
const accounts = () => registry.resource("", "serviceaccounts");
const secret = (name: string) => getOrNull(secrets(), "default", name);
const createAccount = (name: string) => accounts().create("default", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name } }, { user: systemUser });
const createTokenSecret = (name: string, annotations: Record<string, string>, data?: Record<string, string>) =>
  secrets().create("default", { apiVersion: "v1", kind: "Secret", type: "kubernetes.io/service-account-token", metadata: { name, annotations }, ...(data ? { data } : {}) }, { user: systemUser });
const decoded = (s: KObject | null, key: string) => (s?.data?.[key] === undefined ? undefined : atob(s.data[key]));
const authenticate = (token: string) =>
  tokenAuthenticator({
    adminToken: "admin-token",
    generation: 1,
    signingKey: sandbox.signingKey,
    lookup: (resource, ns, name) => getOrNull(registry.resource("", resource), ns, name),
    now: () => Date.now(),
  })(token);

describe("filling a token Secret", () => {
  it("writes a legacy token naming the Secret and its account, the CA, the namespace and the account's uid; then nothing more", async () => {
    const account = await createAccount("builder");
    await createTokenSecret("builder-token", { "kubernetes.io/service-account.name": "builder" });
    await reconcile("default/builder-token");
    const filled = secret("builder-token")!;
    expect(filled.metadata.annotations).toEqual({ "kubernetes.io/service-account.name": "builder", "kubernetes.io/service-account.uid": account.metadata.uid });
    expect(decoded(filled, "namespace")).toBe("default");
    expect(decoded(filled, "ca.crt")).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(decodeJwt(decoded(filled, "token")!)).toEqual({
      iss: "kubernetes/serviceaccount",
      sub: "system:serviceaccount:default:builder",
      "kubernetes.io/serviceaccount/namespace": "default",
      "kubernetes.io/serviceaccount/secret.name": "builder-token",
      "kubernetes.io/serviceaccount/service-account.name": "builder",
      "kubernetes.io/serviceaccount/service-account.uid": account.metadata.uid,
    });
    await reconcile("default/builder-token");
    expect(secret("builder-token")!.metadata.resourceVersion).toBe(filled.metadata.resourceVersion);
  });

  it("keeps a token already there and fills only what is missing", async () => {
    await createAccount("ci");
    await createTokenSecret("ci-token", { "kubernetes.io/service-account.name": "ci" }, { token: btoa("given") });
    await reconcile("default/ci-token");
    const filled = secret("ci-token")!;
    expect(decoded(filled, "token")).toBe("given");
    expect(decoded(filled, "namespace")).toBe("default");
    expect(decoded(filled, "ca.crt")).toBeDefined();
  });

  it("leaves other Secrets and missing ones alone", async () => {
    await secrets().create("default", { apiVersion: "v1", kind: "Secret", type: "Opaque", metadata: { name: "plain" }, data: { a: btoa("1") } }, { user: systemUser });
    const before = secret("plain")!;
    await reconcile("default/plain");
    await reconcile("default/absent");
    expect(secret("plain")).toEqual(before);
  });
});

describe("deleting a token Secret", () => {
  it("deletes a Secret whose account does not exist", async () => {
    await createTokenSecret("orphan", { "kubernetes.io/service-account.name": "nobody" });
    await reconcile("default/orphan");
    expect(secret("orphan")).toBeNull();
  });

  it("deletes a Secret of an earlier account of the same name", async () => {
    const first = await createAccount("robot");
    await createTokenSecret("robot-token", { "kubernetes.io/service-account.name": "robot" });
    await reconcile("default/robot-token");
    expect(secret("robot-token")!.metadata.annotations?.["kubernetes.io/service-account.uid"]).toBe(first.metadata.uid);
    await accounts().delete("default", "robot", { user: systemUser });
    const second = await createAccount("robot");
    expect(second.metadata.uid).not.toBe(first.metadata.uid);
    await reconcile("default/robot-token");
    expect(secret("robot-token")).toBeNull();
  });
});

describe("the token it writes", () => {
  it("authenticates as the account while the Secret holds it, and no longer once the Secret holds another", async () => {
    const account = await createAccount("deployer");
    await createTokenSecret("deployer-token", { "kubernetes.io/service-account.name": "deployer" });
    await reconcile("default/deployer-token");
    const token = decoded(secret("deployer-token"), "token")!;
    expect(await authenticate(token)).toMatchObject({
      username: "system:serviceaccount:default:deployer",
      uid: account.metadata.uid,
      groups: ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"],
      extra: { "authentication.kubernetes.io/credential-id": ["Secret=deployer-token"] },
    });
    // Removing the token makes the controller write a new one; the old one stops working.
    await secrets().patch("default", "deployer-token", ({ data: { token: _removed, ...data }, ...s }) => ({ ...s, data }), { user: systemUser });
    await reconcile("default/deployer-token");
    const renewed = decoded(secret("deployer-token"), "token")!;
    expect(renewed).not.toBe(token);
    expect(await authenticate(token)).toBeNull();
    expect(await authenticate(renewed)).toMatchObject({ username: "system:serviceaccount:default:deployer" });
  });
});
