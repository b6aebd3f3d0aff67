/**
 * Tenants and their API keys in D1, through drizzle. Keys are looked up by digest; a revoked
 * key stays listed (with `revokedAt`) and never authenticates again.
 */
import { and, asc, eq, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { tenantKeys, tenants, type TenantKeyRow, type TenantRow } from "../storage/schema";
import type { TenantQuotas } from "./quotas";
import { displayPrefix, keyDigest, newTenantKey } from "./tenant-keys";

export interface Tenant {
  id: string;
  name: string;
  createdAt: number;
  quotas: Partial<TenantQuotas> | null;
}

export interface KeyInfo {
  id: string;
  tenantId: string;
  name: string;
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
}

/** A key as created: the only time its plaintext is seen. */
export type IssuedKey = KeyInfo & { key: string };

const toTenant = (row: TenantRow): Tenant => ({ id: row.id, name: row.name, createdAt: row.createdAt, quotas: row.quotas ?? null });
const toKeyInfo = (row: TenantKeyRow): KeyInfo => ({
  id: row.id,
  tenantId: row.tenantId,
  name: row.name,
  prefix: row.prefix,
  createdAt: row.createdAt,
  revokedAt: row.revokedAt,
});

export class Tenants {
  private readonly db;

  constructor(
    d1: D1Database,
    private readonly newId: (prefix: string) => string,
  ) {
    this.db = drizzle(d1);
  }

  async create(name: string, now: number): Promise<{ tenant: Tenant; key: IssuedKey }> {
    const tenant: Tenant = { id: this.newId("tnt-"), name, createdAt: now, quotas: null };
    await this.db.insert(tenants).values({ id: tenant.id, name, createdAt: now });
    return { tenant, key: await this.issueKey(tenant.id, "default", now) };
  }

  async get(id: string): Promise<Tenant | null> {
    const rows = await this.db.select().from(tenants).where(eq(tenants.id, id)).limit(1);
    return rows[0] ? toTenant(rows[0]) : null;
  }

  async list(): Promise<Tenant[]> {
    return (await this.db.select().from(tenants).orderBy(asc(tenants.createdAt)).limit(1000)).map(toTenant);
  }

  async setQuotas(id: string, quotas: Partial<TenantQuotas>): Promise<void> {
    await this.db.update(tenants).set({ quotas: quotas as Record<string, number> }).where(eq(tenants.id, id));
  }

  async keys(tenantId: string): Promise<KeyInfo[]> {
    return (await this.db.select().from(tenantKeys).where(eq(tenantKeys.tenantId, tenantId)).orderBy(asc(tenantKeys.createdAt))).map(toKeyInfo);
  }

  async issueKey(tenantId: string, name: string, now: number): Promise<IssuedKey> {
    const key = newTenantKey();
    const info: KeyInfo = { id: this.newId("key-"), tenantId, name, prefix: displayPrefix(key), createdAt: now, revokedAt: null };
    await this.db.insert(tenantKeys).values({ ...info, digest: await keyDigest(key) });
    return { ...info, key };
  }

  /** Revokes a live key of the tenant; false when it has no such live key. */
  async revokeKey(tenantId: string, keyId: string, now: number): Promise<boolean> {
    const live = and(eq(tenantKeys.id, keyId), eq(tenantKeys.tenantId, tenantId), isNull(tenantKeys.revokedAt));
    const updated = await this.db.update(tenantKeys).set({ revokedAt: now }).where(live).returning({ id: tenantKeys.id });
    return updated.length > 0;
  }

  /**
   * The tenant a live key belongs to, or null; one indexed read by digest (the digest of a secret
   * leaks nothing through timing). Call only for well-formed keys.
   */
  async authenticate(key: string): Promise<Tenant | null> {
    const digest = await keyDigest(key);
    const rows = await this.db
      .select({ tenant: tenants })
      .from(tenantKeys)
      .innerJoin(tenants, eq(tenants.id, tenantKeys.tenantId))
      .where(and(eq(tenantKeys.digest, digest), isNull(tenantKeys.revokedAt)))
      .limit(1);
    return rows[0] ? toTenant(rows[0].tenant) : null;
  }
}
