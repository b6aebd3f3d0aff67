/**
 * The management API (`/v1`): sandboxes on demand, for the admin key or a tenant key (a tenant
 * sees only its own sandboxes; tenants and keys: tenant-routes.ts). JSON in and out; errors are
 * `{"error": {"status", "reason", "message", "field"?}}`.
 */
import { Hono, type Context } from "hono";
import { parse as parseYaml } from "yaml";
import type { Env } from "../env";
import type { SandboxRecord } from "../sandbox/sandbox";
import { MAX_NODES, parseNodePool, parseSandboxSpec, parseTtl, SpecError } from "../sandbox/spec";
import { isAdminKey, sandboxToken } from "./credentials";
import { kubeconfig } from "./kubeconfig";
import { ADMIN_OWNER, apiError, MAX_MANAGEMENT_BODY, randomId, readJson, readObject, sandboxStub as stub, visibleSandbox, type AppEnv } from "./http";
import { quotasOf, RateLimiter } from "./quotas";
import { SandboxRecords } from "./records";
import { isWellFormedTenantKey } from "./tenant-keys";
import { tenantRoutes, tenantStore } from "./tenant-routes";
import { webhookRoutes } from "./webhook-routes";

const MAX_USER_NAME = 253;

/** The body of `POST …/users`: a user name, its groups, and an optional token lifetime. */
function parseUser(body: Record<string, unknown>): { name: string; groups: string[]; ttlSeconds: number | null } {
  const { name, groups = [], ttlSeconds = null } = body;
  if (typeof name !== "string" || name.trim() === "" || name.length > MAX_USER_NAME) throw new SpecError("name", `name must be a non-empty string of at most ${MAX_USER_NAME} characters`);
  if (!Array.isArray(groups) || groups.some((g) => typeof g !== "string" || g === "")) throw new SpecError("groups", "groups must be a list of non-empty strings");
  if (ttlSeconds !== null && (typeof ttlSeconds !== "number" || !Number.isInteger(ttlSeconds) || ttlSeconds < 600)) {
    throw new SpecError("ttlSeconds", "ttlSeconds must be an integer of at least 600, or null for a token that does not expire");
  }
  return { name, groups: groups as string[], ttlSeconds: ttlSeconds as number | null };
}

/** One clock advance jumps at most a year of simulated time. */
const MAX_ADVANCE_SECONDS = 365 * 24 * 3600;

function serverUrl(requestUrl: string, id: string): string {
  return `${new URL(requestUrl).origin}/sandboxes/${id}`;
}

function describe(record: SandboxRecord, server: string) {
  return {
    id: record.id,
    name: record.name,
    createdAt: new Date(record.createdAt).toISOString(),
    expiresAt: record.expiresAt === null ? null : new Date(record.expiresAt).toISOString(),
    kubernetesVersion: record.kubernetesVersion,
    speed: record.speed,
    nodes: record.spec.nodes,
    server,
  };
}

export function managementApp() {
  const app = new Hono<AppEnv>();

  const limiter = new RateLimiter();

  // Every credential is checked here, before any route reads a sandbox: the admin key, or a
  // well-formed (checksummed) tenant key found live by its digest; anything else is a 401.
  app.use("*", async (c, next) => {
    const key = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
    if (key && isAdminKey(c.env.ADMIN_API_KEY, key)) {
      c.set("owner", ADMIN_OWNER);
      c.set("quotas", null);
      return next();
    }
    const tenant = key && isWellFormedTenantKey(key) ? await tenantStore(c).authenticate(key) : null;
    if (!tenant) return apiError(c, 401, "Unauthorized", "a valid API key is required: send it as 'Authorization: Bearer <key>'");
    const quotas = quotasOf(tenant.quotas);
    const retryAfter = limiter.take(tenant.id, quotas.requestsPerSecond);
    if (retryAfter > 0) {
      const message = `tenant "${tenant.id}" is over its quota of ${quotas.requestsPerSecond} requests per second`;
      return apiError(c, 429, "TooManyRequests", message, undefined, { "retry-after": String(retryAfter) });
    }
    c.set("owner", tenant.id);
    c.set("quotas", quotas);
    return next();
  });

  app.onError((err, c) => {
    if (err instanceof SpecError) return apiError(c, err.status, err.status === 400 ? "BadRequest" : "Invalid", err.message, err.field);
    console.error("management: unexpected error", err);
    return apiError(c, 500, "InternalError", "internal error");
  });

  // Before the sandbox routes: `/sandboxes/:id/webhooks` must not be taken for a `/sandboxes/:id/:action`.
  webhookRoutes(app);

  app.post("/sandboxes", async (c) => {
    const spec = parseSandboxSpec(await readJson(c), () => randomId("sandbox-", 6));
    const now = Date.now();
    const quotas = c.get("quotas");
    if (quotas && (await new SandboxRecords(c.env.DB).countAlive(c.get("owner"), now)) >= quotas.sandboxes) {
      return apiError(c, 403, "Forbidden", `tenant "${c.get("owner")}" already has ${quotas.sandboxes} sandboxes alive, its quota: delete one first`);
    }
    const record: SandboxRecord = {
      id: randomId("sbx-", 12),
      name: spec.name,
      owner: c.get("owner"),
      createdAt: now,
      expiresAt: spec.ttlSeconds === null ? null : now + spec.ttlSeconds * 1000,
      kubernetesVersion: spec.kubernetesVersion,
      speed: spec.speed,
      spec,
      tokenGeneration: 1,
    };
    await new SandboxRecords(c.env.DB).insert(record);
    await stub(c.env, record.id).initialize(record);
    const server = serverUrl(c.req.url, record.id);
    const token = await sandboxToken(c.env.TOKEN_SECRET, record.id, record.tokenGeneration);
    const config = kubeconfig({ name: record.name, server, token });
    // `Accept: application/yaml` gets the kubeconfig itself, ready to save.
    if (c.req.header("accept") === "application/yaml") return c.body(config, 201, { "content-type": "application/yaml" });
    return c.json({ ...describe(record, server), token, kubeconfig: config }, 201);
  });

  app.get("/sandboxes", async (c) => {
    const owner = c.get("owner");
    const records = await new SandboxRecords(c.env.DB).list(owner === ADMIN_OWNER ? null : owner, Date.now());
    return c.json({ items: records.map((r) => describe(r, serverUrl(c.req.url, r.id))) });
  });

  const find = visibleSandbox;
  const notFound = (c: Context<AppEnv>) => apiError(c, 404, "NotFound", `sandbox "${c.req.param("id")}" not found`);

  app.get("/sandboxes/:id", async (c) => {
    const record = await find(c);
    return record ? c.json(describe(record, serverUrl(c.req.url, record.id))) : notFound(c);
  });

  app.get("/sandboxes/:id/kubeconfig", async (c) => {
    const record = await find(c);
    if (!record) return notFound(c);
    const server = serverUrl(c.req.url, record.id);
    const token = await sandboxToken(c.env.TOKEN_SECRET, record.id, record.tokenGeneration);
    return c.body(kubeconfig({ name: record.name, server, token }), 200, { "content-type": "application/yaml" });
  });

  app.get("/sandboxes/:id/stats", async (c) => {
    const record = await find(c);
    if (!record) return notFound(c);
    return c.json(await stub(c.env, record.id).stats());
  });

  app.get("/sandboxes/:id/scheduling/:namespace/:pod", async (c) => {
    const record = await find(c);
    if (!record) return notFound(c);
    const { namespace, pod } = c.req.param();
    const diagnostics = await stub(c.env, record.id).schedulingDiagnostics(namespace, pod);
    if (!diagnostics) return apiError(c, 404, "NotFound", `the scheduler has not tried pod "${namespace}/${pod}"`);
    return c.json({ namespace, pod, ...(diagnostics as object) });
  });

  // `POST /v1/sandboxes/{id}/nodes {name, count, roles, cpu, memory, pods, labels, taints}`: machines join.
  app.post("/sandboxes/:id/nodes", async (c) => {
    const record = await find(c);
    if (!record) return notFound(c);
    const pool = parseNodePool(await readJson(c), "");
    const result = await stub(c.env, record.id).addNodes(pool);
    if (!result) return notFound(c);
    if ("conflict" in result) return apiError(c, 409, "AlreadyExists", `node "${result.conflict}" already exists`, "name");
    if ("tooMany" in result) return apiError(c, 422, "Invalid", `a sandbox has at most ${MAX_NODES} nodes, ${result.tooMany} were requested`, "count");
    return c.json({ id: record.id, nodes: result.added }, 201);
  });

  app.delete("/sandboxes/:id/nodes/:node", async (c) => {
    const record = await find(c);
    if (!record) return notFound(c);
    const node = c.req.param("node");
    const removed = await stub(c.env, record.id).removeNode(node);
    if (removed === null) return notFound(c);
    if (!removed) return apiError(c, 404, "NotFound", `sandbox "${record.id}" has no node "${node}"`);
    return c.json({ id: record.id, node, deleted: true });
  });

  // `PUT /v1/sandboxes/{id}/nodes/{name}/manifests/{file}` (a Pod, YAML or JSON): a static pod.
  app.put("/sandboxes/:id/nodes/:node/manifests/:file", async (c) => {
    const record = await find(c);
    if (!record) return notFound(c);
    const { node, file } = c.req.param();
    const text = await c.req.text();
    if (text.length > MAX_MANAGEMENT_BODY) throw new SpecError("", `the request body is larger than ${MAX_MANAGEMENT_BODY} bytes`, 400);
    let manifest: unknown;
    try {
      manifest = parseYaml(text);
    } catch (e) {
      throw new SpecError("", `the manifest is not valid YAML or JSON: ${(e as Error).message}`, 400);
    }
    const result = await stub(c.env, record.id).putStaticPod(node, file, manifest);
    if (!result) return notFound(c);
    if ("noNode" in result) return apiError(c, 404, "NotFound", `sandbox "${record.id}" has no node "${node}"`);
    if ("invalid" in result) return apiError(c, result.status === 400 ? 400 : 422, result.status === 400 ? "BadRequest" : "Invalid", result.invalid);
    return c.json({ id: record.id, node, file, mirrorPod: result.mirrorPod });
  });

  app.delete("/sandboxes/:id/nodes/:node/manifests/:file", async (c) => {
    const record = await find(c);
    if (!record) return notFound(c);
    const { node, file } = c.req.param();
    const removed = await stub(c.env, record.id).removeStaticPod(node, file);
    if (removed === null) return notFound(c);
    if (!removed) return apiError(c, 404, "NotFound", `node "${node}" has no manifest "${file}"`);
    return c.json({ id: record.id, node, file, deleted: true });
  });

  // `POST /v1/sandboxes/{id}/nodes/{name}:fail` and `:recover`: the node's kubelet stops or starts.
  app.post("/sandboxes/:id/nodes/:drill", async (c) => {
    const drill = /^(.+):(fail|recover)$/.exec(c.req.param("drill"));
    if (!drill) return apiError(c, 404, "NotFound", `no route for POST ${new URL(c.req.url).pathname}: use nodes/{name}:fail or nodes/{name}:recover`);
    const record = await find(c);
    if (!record) return notFound(c);
    const [, node, action] = drill;
    const result = await stub(c.env, record.id).setKubeletRunning(node, action === "recover");
    if (!result) return apiError(c, 404, "NotFound", `sandbox "${record.id}" has no node "${node}"`);
    return c.json({ id: record.id, ...result });
  });

  // `POST /v1/sandboxes/{id}/users {"name": "jane", "groups": ["devs"], "ttlSeconds": 3600}`: a
  // kubeconfig for that user (a token signed by the sandbox), for practising RBAC with real identities.
  app.post("/sandboxes/:id/users", async (c) => {
    const record = await find(c);
    if (!record) return notFound(c);
    const { name, groups, ttlSeconds } = parseUser(await readObject(c));
    const token = await stub(c.env, record.id).issueUserToken(name, groups, ttlSeconds);
    if (token === null) return notFound(c);
    const config = kubeconfig({ name: record.name, server: serverUrl(c.req.url, record.id), token, user: name });
    return c.json({ user: name, groups, kubeconfig: config }, 201);
  });

  // `POST /v1/sandboxes/{id}/clock:advance {"seconds": N}`: simulated time jumps forward N seconds.
  // `POST /v1/sandboxes/{id}/history:compact`: the revision log is compacted at the current
  // revision, so resuming a watch or list from an older resourceVersion gets 410 Expired.
  app.post("/sandboxes/:id/:action", async (c) => {
    const action = c.req.param("action");
    if (!["clock:advance", "history:compact", "token:rotate", "control-plane:restart"].includes(action)) return apiError(c, 404, "NotFound", `no route for POST ${new URL(c.req.url).pathname}`);
    const record = await find(c);
    if (!record) return notFound(c);
    if (action === "control-plane:restart") {
      // The Durable Object resets (as after an eviction or a crash): memory is lost, D1 and its storage remain.
      await stub(c.env, record.id).restart().catch(() => undefined);
      return c.json({ id: record.id, restarted: true }, 202);
    }
    if (action === "token:rotate") {
      const tokenGeneration = await new SandboxRecords(c.env.DB).rotateTokens(record.id);
      await stub(c.env, record.id).tokensRotated();
      const token = await sandboxToken(c.env.TOKEN_SECRET, record.id, tokenGeneration);
      return c.json({ id: record.id, token, kubeconfig: kubeconfig({ name: record.name, server: serverUrl(c.req.url, record.id), token }) });
    }
    if (action === "history:compact") {
      const compacted = await stub(c.env, record.id).compactHistory();
      return compacted ? c.json({ id: record.id, ...compacted }) : notFound(c);
    }
    const body = await readJson(c);
    const seconds = (body as { seconds?: unknown } | undefined)?.seconds;
    if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_ADVANCE_SECONDS) {
      throw new SpecError("seconds", `seconds must be a number between 0 and ${MAX_ADVANCE_SECONDS}`);
    }
    const advanced = await stub(c.env, record.id).advanceClock(seconds * 1000);
    if (!advanced) return notFound(c);
    return c.json({ id: record.id, advancedSeconds: seconds, ...advanced });
  });

  app.patch("/sandboxes/:id", async (c) => {
    const record = await find(c);
    if (!record) return notFound(c);
    const body = await readObject(c);
    for (const key of Object.keys(body)) {
      if (key !== "ttlSeconds") throw new SpecError(key, `field "${key}" cannot be changed; only ttlSeconds can`, 400);
    }
    const ttl = (body as { ttlSeconds?: unknown }).ttlSeconds;
    const expiresAt = ttl === null ? null : Date.now() + parseTtl(ttl) * 1000;
    await new SandboxRecords(c.env.DB).setExpiry(record.id, expiresAt);
    await stub(c.env, record.id).setExpiry(expiresAt);
    return c.json(describe({ ...record, expiresAt }, serverUrl(c.req.url, record.id)));
  });

  app.delete("/sandboxes/:id", async (c) => {
    const record = await find(c);
    if (!record) return notFound(c);
    await stub(c.env, record.id).destroy();
    return c.json({ id: record.id, deleted: true });
  });

  tenantRoutes(app);

  app.notFound((c) => apiError(c, 404, "NotFound", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
  return app;
}
