/**
 * `/v1/tenants`: tenants (admin key) and their API keys (the admin key, or the tenant's own key
 * for its own keys). A key's plaintext appears once, in the answer that creates it.
 */
import type { Context, Hono } from "hono";
import { SpecError } from "../sandbox/spec";
import { ADMIN_OWNER, apiError, randomId, readObject, type AppEnv } from "./http";
import { quotaOverrideError, quotasOf, type TenantQuotas } from "./quotas";
import { Tenants, type KeyInfo, type Tenant } from "./tenants";

const MAX_NAME_LENGTH = 63;

export const tenantStore = (c: Context<AppEnv>) => new Tenants(c.env.DB, (prefix) => randomId(prefix, 12));

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const describeTenant = (t: Tenant) => ({ id: t.id, name: t.name, createdAt: iso(t.createdAt), quotas: quotasOf(t.quotas) });
const describeKey = (k: KeyInfo) => ({ id: k.id, name: k.name, prefix: k.prefix, createdAt: iso(k.createdAt), revokedAt: iso(k.revokedAt) });

function nameOf(body: Record<string, unknown>, required: boolean): string | undefined {
  const name = body.name;
  if (name === undefined && !required) return undefined;
  if (typeof name !== "string" || name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new SpecError("name", `name must be a string of 1 to ${MAX_NAME_LENGTH} characters`);
  }
  return name;
}

export function tenantRoutes(app: Hono<AppEnv>): void {
  const isAdmin = (c: Context<AppEnv>) => c.get("owner") === ADMIN_OWNER;
  const adminOnly = (c: Context<AppEnv>) => apiError(c, 403, "Forbidden", "only the admin key can do this");
  const notFound = (c: Context<AppEnv>) => apiError(c, 404, "NotFound", `tenant "${c.req.param("tid")}" not found`);
  /** The URL's tenant, for the admin or for that tenant's own key; null otherwise (a 404, as for an unknown tenant). */
  const visibleTenant = async (c: Context<AppEnv>) => {
    const id = c.req.param("tid")!;
    if (!isAdmin(c) && c.get("owner") !== id) return null;
    return tenantStore(c).get(id);
  };

  app.post("/tenants", async (c) => {
    if (!isAdmin(c)) return adminOnly(c);
    const name = nameOf(await readObject(c), true)!;
    const { tenant, key } = await tenantStore(c).create(name, Date.now());
    return c.json({ ...describeTenant(tenant), key: { ...describeKey(key), key: key.key } }, 201);
  });

  app.get("/tenants", async (c) => {
    if (!isAdmin(c)) return adminOnly(c);
    return c.json({ items: (await tenantStore(c).list()).map(describeTenant) });
  });

  app.get("/tenants/:tid", async (c) => {
    const tenant = await visibleTenant(c);
    return tenant ? c.json(describeTenant(tenant)) : notFound(c);
  });

  // `PATCH /v1/tenants/{id} {"quotas": {"sandboxes": 20}}`: the admin overrides a tenant's quotas.
  app.patch("/tenants/:tid", async (c) => {
    if (!isAdmin(c)) return adminOnly(c);
    const tenant = await visibleTenant(c);
    if (!tenant) return notFound(c);
    const body = await readObject(c);
    for (const key of Object.keys(body)) if (key !== "quotas") throw new SpecError(key, `field "${key}" cannot be changed; only quotas can`, 400);
    const error = quotaOverrideError(body.quotas);
    if (error) throw new SpecError("quotas", error);
    const quotas = { ...(tenant.quotas ?? {}), ...(body.quotas as Partial<TenantQuotas>) };
    await tenantStore(c).setQuotas(tenant.id, quotas);
    return c.json(describeTenant({ ...tenant, quotas }));
  });

  app.get("/tenants/:tid/keys", async (c) => {
    const tenant = await visibleTenant(c);
    if (!tenant) return notFound(c);
    return c.json({ items: (await tenantStore(c).keys(tenant.id)).map(describeKey) });
  });

  app.post("/tenants/:tid/keys", async (c) => {
    const tenant = await visibleTenant(c);
    if (!tenant) return notFound(c);
    const name = nameOf(await readObject(c), false) ?? "key";
    const key = await tenantStore(c).issueKey(tenant.id, name, Date.now());
    return c.json({ ...describeKey(key), key: key.key }, 201);
  });

  // `POST /v1/tenants/{id}/keys/{kid}:rotate`: a new key under the same name; the old one stops working at once.
  app.post("/tenants/:tid/keys/:action", async (c) => {
    const rotate = /^(.+):rotate$/.exec(c.req.param("action"));
    if (!rotate) return apiError(c, 404, "NotFound", `no route for POST ${new URL(c.req.url).pathname}: use keys/{id}:rotate`);
    const tenant = await visibleTenant(c);
    if (!tenant) return notFound(c);
    const store = tenantStore(c);
    const old = (await store.keys(tenant.id)).find((k) => k.id === rotate[1] && k.revokedAt === null);
    if (!old) return apiError(c, 404, "NotFound", `tenant "${tenant.id}" has no live key "${rotate[1]}"`);
    const now = Date.now();
    const key = await store.issueKey(tenant.id, old.name, now);
    await store.revokeKey(tenant.id, old.id, now);
    return c.json({ ...describeKey(key), key: key.key, replaces: old.id }, 201);
  });

  app.delete("/tenants/:tid/keys/:kid", async (c) => {
    const tenant = await visibleTenant(c);
    if (!tenant) return notFound(c);
    const revoked = await tenantStore(c).revokeKey(tenant.id, c.req.param("kid"), Date.now());
    if (!revoked) return apiError(c, 404, "NotFound", `tenant "${tenant.id}" has no live key "${c.req.param("kid")}"`);
    return c.json({ id: c.req.param("kid"), revoked: true });
  });
}
