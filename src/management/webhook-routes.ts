/**
 * Event-webhook subscriptions: `/v1/sandboxes/{id}/webhooks` (one sandbox) and `/v1/webhooks`
 * (every sandbox of the key's tenant, present and future). Both scopes answer the same routes:
 *
 * - `POST {scope} {url, description?, filter?}` → 201 with the signing secret (`whsec_…`), shown once
 * - `GET {scope}`, `GET|PATCH|DELETE {scope}/{wid}`
 * - `POST {scope}/{wid}:test` (a ping), `:enable` (after it was disabled), `:rotate-secret`
 *   (a new secret; the previous one keeps signing too for 24 h)
 * - `GET {scope}/{wid}/deliveries?limit=` and `POST {scope}/{wid}/deliveries/{messageId}:redeliver`
 *
 * Deliveries happen in a sandbox, so for a tenant-wide endpoint `:test`, `deliveries` and
 * `:redeliver` name the sandbox with `?sandbox={id}`. An endpoint another key may not see
 * answers exactly as an unknown one (404).
 */
import type { Context, Hono } from "hono";
import { allowsLoopbackHttp } from "../env";
import { SpecError } from "../sandbox/spec";
import { newSigningSecret } from "../webhooks/signing";
import { guardWebhookUrl } from "../webhooks/ssrf";
import { FilterError, parseFilter } from "../webhooks/filter";
import { WebhookEndpoints, type WebhookEndpoint } from "../webhooks/endpoints";
import { tokenSecret } from "./credentials";
import { ADMIN_OWNER, apiError, randomId, readObject, sandboxStub, visibleSandbox, type AppEnv } from "./http";
import { SandboxRecords } from "./records";

/** Endpoints per sandbox, and tenant-wide endpoints per tenant. */
export const MAX_ENDPOINTS = 20;
const MAX_DESCRIPTION = 512;
const ROTATION_OVERLAP_MS = 24 * 3600_000;
const DEFAULT_DELIVERIES = 50;
const MAX_DELIVERIES = 1000;

type Scope = { sandboxId: string | null; owner: string };

const endpointStore = (c: Context<AppEnv>) => new WebhookEndpoints(c.env.DB, tokenSecret(c.env.TOKEN_SECRET));
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function describe(e: WebhookEndpoint) {
  return {
    id: e.id,
    sandboxId: e.sandboxId,
    url: e.url,
    description: e.description,
    filter: e.filter,
    createdAt: iso(e.createdAt),
    disabled: e.disabledAt !== null,
    disabledAt: iso(e.disabledAt),
    disabledReason: e.disabledReason,
  };
}

function parseUrl(c: Context<AppEnv>, value: unknown): string {
  if (typeof value !== "string") throw new SpecError("url", "url must be a string");
  const guard = guardWebhookUrl(value, { allowLoopbackHttp: allowsLoopbackHttp(c.env) });
  if (!guard.ok) throw new SpecError("url", `url is not allowed: ${guard.reason}`);
  return guard.url.href;
}

function parseDescription(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value !== "string" || value.length > MAX_DESCRIPTION) throw new SpecError("description", `description must be a string of at most ${MAX_DESCRIPTION} characters`);
  return value;
}

function parseFilterField(value: unknown): Record<string, unknown> {
  try {
    return parseFilter(value) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof FilterError) throw new SpecError(e.field, e.message);
    throw e;
  }
}

function checkFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) if (!allowed.includes(key)) throw new SpecError(key, `unknown field "${key}"; supported fields: ${allowed.join(", ")}`, 400);
}

export function webhookRoutes(app: Hono<AppEnv>): void {
  /** The scope of a sandbox route (null: the sandbox is not visible), or the key's tenant scope. */
  async function scopeOf(c: Context<AppEnv>, sandboxScoped: boolean): Promise<Scope | null> {
    if (!sandboxScoped) return { sandboxId: null, owner: c.get("owner") };
    const record = await visibleSandbox(c);
    return record && { sandboxId: record.id, owner: record.owner };
  }

  /** The URL's endpoint, when it exists in the scope and the key may see it. */
  async function endpointIn(c: Context<AppEnv>, scope: Scope, id: string): Promise<WebhookEndpoint | null> {
    const endpoint = await endpointStore(c).get(id);
    if (!endpoint || endpoint.sandboxId !== scope.sandboxId) return null;
    if (c.get("owner") !== ADMIN_OWNER && endpoint.owner !== c.get("owner")) return null;
    return endpoint;
  }

  /** Tells the sandboxes concerned to reload their endpoints. */
  async function notify(c: Context<AppEnv>, scope: Scope): Promise<void> {
    const ids = scope.sandboxId !== null ? [scope.sandboxId] : (await new SandboxRecords(c.env.DB).list(scope.owner, Date.now())).map((r) => r.id);
    await Promise.all(ids.map((id) => sandboxStub(c.env, id).webhooksChanged()));
  }

  /** The sandbox a delivery route acts in: the endpoint's own, or `?sandbox=` for a tenant-wide one. */
  async function deliverySandbox(c: Context<AppEnv>, endpoint: WebhookEndpoint): Promise<string | null> {
    if (endpoint.sandboxId !== null) return endpoint.sandboxId;
    const id = c.req.query("sandbox");
    if (!id) throw new SpecError("sandbox", "a tenant-wide endpoint delivers from each sandbox: name one with ?sandbox={id}", 400);
    const record = await new SandboxRecords(c.env.DB).get(id, Date.now());
    return record && record.owner === endpoint.owner ? record.id : null;
  }

  const sandboxNotFound = (c: Context<AppEnv>) => apiError(c, 404, "NotFound", `sandbox "${c.req.param("id")}" not found`);
  const endpointNotFound = (c: Context<AppEnv>, id: string) => apiError(c, 404, "NotFound", `webhook "${id}" not found`);

  for (const [base, sandboxScoped] of [
    ["/sandboxes/:id/webhooks", true],
    ["/webhooks", false],
  ] as const) {
    app.post(base, async (c) => {
      const scope = await scopeOf(c, sandboxScoped);
      if (!scope) return sandboxNotFound(c);
      const body = await readObject(c);
      checkFields(body, ["url", "description", "filter"]);
      const url = parseUrl(c, body.url);
      const store = endpointStore(c);
      const existing = await store.list(scope.owner, scope.sandboxId);
      if (existing.length >= MAX_ENDPOINTS) return apiError(c, 403, "Forbidden", `at most ${MAX_ENDPOINTS} webhooks per ${scope.sandboxId ? "sandbox" : "tenant"}: delete one first`);
      const secret = newSigningSecret();
      const endpoint: WebhookEndpoint = {
        id: randomId("wh-", 12),
        owner: scope.owner,
        sandboxId: scope.sandboxId,
        url,
        description: parseDescription(body.description),
        filter: parseFilterField(body.filter),
        secrets: [{ secret, expiresAt: null }],
        createdAt: Date.now(),
        disabledAt: null,
        disabledReason: null,
      };
      await store.create(endpoint);
      await notify(c, scope);
      return c.json({ ...describe(endpoint), secret }, 201);
    });

    app.get(base, async (c) => {
      const scope = await scopeOf(c, sandboxScoped);
      if (!scope) return sandboxNotFound(c);
      const owner = sandboxScoped || c.get("owner") === ADMIN_OWNER ? null : scope.owner;
      return c.json({ items: (await endpointStore(c).list(sandboxScoped ? null : owner, scope.sandboxId)).map(describe) });
    });

    app.get(`${base}/:wid`, async (c) => {
      const scope = await scopeOf(c, sandboxScoped);
      if (!scope) return sandboxNotFound(c);
      const endpoint = await endpointIn(c, scope, c.req.param("wid"));
      return endpoint ? c.json(describe(endpoint)) : endpointNotFound(c, c.req.param("wid"));
    });

    app.patch(`${base}/:wid`, async (c) => {
      const scope = await scopeOf(c, sandboxScoped);
      if (!scope) return sandboxNotFound(c);
      const endpoint = await endpointIn(c, scope, c.req.param("wid"));
      if (!endpoint) return endpointNotFound(c, c.req.param("wid"));
      const body = await readObject(c);
      checkFields(body, ["url", "description", "filter"]);
      const changes = {
        ...(body.url !== undefined ? { url: parseUrl(c, body.url) } : {}),
        ...(body.description !== undefined ? { description: parseDescription(body.description) } : {}),
        ...(body.filter !== undefined ? { filter: parseFilterField(body.filter) } : {}),
      };
      await endpointStore(c).update(endpoint.id, changes);
      await notify(c, scope);
      return c.json(describe({ ...endpoint, ...changes }));
    });

    app.delete(`${base}/:wid`, async (c) => {
      const scope = await scopeOf(c, sandboxScoped);
      if (!scope) return sandboxNotFound(c);
      const endpoint = await endpointIn(c, scope, c.req.param("wid"));
      if (!endpoint) return endpointNotFound(c, c.req.param("wid"));
      await endpointStore(c).delete(endpoint.id);
      await notify(c, scope);
      return c.json({ id: endpoint.id, deleted: true });
    });

    // `{wid}:test`, `{wid}:enable`, `{wid}:rotate-secret`
    app.post(`${base}/:action`, async (c) => {
      const scope = await scopeOf(c, sandboxScoped);
      if (!scope) return sandboxNotFound(c);
      const [wid, action] = c.req.param("action").split(":");
      const endpoint = await endpointIn(c, scope, wid ?? "");
      if (!endpoint) return endpointNotFound(c, wid ?? "");
      if (action === "test") {
        const sandboxId = await deliverySandbox(c, endpoint);
        const sent = sandboxId && (await sandboxStub(c.env, sandboxId).webhookPing(endpoint.id));
        return sent ? c.json({ id: endpoint.id, messageId: sent.id }, 202) : sandboxNotFound(c);
      }
      if (action === "enable") {
        await endpointStore(c).update(endpoint.id, { disabledAt: null, disabledReason: null });
        await notify(c, scope);
        return c.json(describe({ ...endpoint, disabledAt: null, disabledReason: null }));
      }
      if (action === "rotate-secret") {
        const now = Date.now();
        const secret = newSigningSecret();
        const previous = endpoint.secrets.find((s) => s.expiresAt === null);
        const secrets = [{ secret, expiresAt: null }, ...(previous ? [{ secret: previous.secret, expiresAt: now + ROTATION_OVERLAP_MS }] : [])];
        await endpointStore(c).update(endpoint.id, { secrets });
        await notify(c, scope);
        return c.json({ id: endpoint.id, secret, previousSecretExpiresAt: iso(now + ROTATION_OVERLAP_MS) });
      }
      return apiError(c, 404, "NotFound", `no route for POST ${new URL(c.req.url).pathname}: use {id}:test, {id}:enable or {id}:rotate-secret`);
    });

    app.get(`${base}/:wid/deliveries`, async (c) => {
      const scope = await scopeOf(c, sandboxScoped);
      if (!scope) return sandboxNotFound(c);
      const endpoint = await endpointIn(c, scope, c.req.param("wid"));
      if (!endpoint) return endpointNotFound(c, c.req.param("wid"));
      const limit = Number(c.req.query("limit") ?? DEFAULT_DELIVERIES);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DELIVERIES) throw new SpecError("limit", `limit must be an integer from 1 to ${MAX_DELIVERIES}`, 400);
      const sandboxId = await deliverySandbox(c, endpoint);
      const items = sandboxId && (await sandboxStub(c.env, sandboxId).webhookDeliveries(endpoint.id, limit));
      return items ? c.json({ items }) : sandboxNotFound(c);
    });

    app.post(`${base}/:wid/deliveries/:action`, async (c) => {
      const scope = await scopeOf(c, sandboxScoped);
      if (!scope) return sandboxNotFound(c);
      const endpoint = await endpointIn(c, scope, c.req.param("wid"));
      if (!endpoint) return endpointNotFound(c, c.req.param("wid"));
      const [messageId, action] = c.req.param("action").split(":");
      if (action !== "redeliver" || !messageId) return apiError(c, 404, "NotFound", `no route for POST ${new URL(c.req.url).pathname}: use deliveries/{messageId}:redeliver`);
      const sandboxId = await deliverySandbox(c, endpoint);
      const record = sandboxId && (await sandboxStub(c.env, sandboxId).webhookRedeliver(endpoint.id, messageId));
      if (!record) return apiError(c, 404, "NotFound", `message "${messageId}" not found for webhook "${endpoint.id}" (messages are kept 24 hours)`);
      return c.json(record);
    });
  }
}
