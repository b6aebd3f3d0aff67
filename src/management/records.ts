/**
 * Sandbox records in D1 (the management plane's table), through drizzle.
 */
import { and, count, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { SandboxRecord } from "../sandbox/sandbox";
import type { SandboxSpec } from "../sandbox/spec";
import { sandboxes, type SandboxRow } from "../storage/schema";

function toRecord(row: SandboxRow): SandboxRecord {
  return {
    id: row.id,
    name: row.name,
    owner: row.owner,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    kubernetesVersion: row.kubernetesVersion,
    speed: row.speed,
    spec: row.spec as unknown as SandboxSpec,
    tokenGeneration: row.tokenGeneration,
  };
}

export class SandboxRecords {
  private readonly db;

  constructor(d1: D1Database) {
    this.db = drizzle(d1);
  }

  async insert(record: SandboxRecord): Promise<void> {
    await this.db.insert(sandboxes).values({
      id: record.id,
      name: record.name,
      owner: record.owner,
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
      kubernetesVersion: record.kubernetesVersion,
      speed: record.speed,
      spec: record.spec as unknown as Record<string, unknown>,
      tokenGeneration: record.tokenGeneration,
    });
  }

  /** The sandbox, unless it is unknown or past its expiry. */
  async get(id: string, now: number): Promise<SandboxRecord | null> {
    const rows = await this.db.select().from(sandboxes).where(eq(sandboxes.id, id)).limit(1);
    const row = rows[0];
    if (!row || (row.expiresAt !== null && row.expiresAt <= now)) return null;
    return toRecord(row);
  }

  /** How many sandboxes of `owner` are alive. */
  async countAlive(owner: string, now: number): Promise<number> {
    const live = or(isNull(sandboxes.expiresAt), gt(sandboxes.expiresAt, now));
    const rows = await this.db.select({ n: count() }).from(sandboxes).where(and(eq(sandboxes.owner, owner), live));
    return rows[0]?.n ?? 0;
  }

  /** Live sandboxes, newest first; all owners when `owner` is null. */
  async list(owner: string | null, now: number): Promise<SandboxRecord[]> {
    const live = or(isNull(sandboxes.expiresAt), gt(sandboxes.expiresAt, now));
    const where = owner === null ? live : and(eq(sandboxes.owner, owner), live);
    const rows = await this.db.select().from(sandboxes).where(where).orderBy(desc(sandboxes.createdAt)).limit(1000);
    return rows.map(toRecord);
  }

  async setExpiry(id: string, expiresAt: number | null): Promise<void> {
    await this.db.update(sandboxes).set({ expiresAt }).where(eq(sandboxes.id, id));
  }

  /** Bumps the token generation (every admin and user token issued so far stops working); returns the new one. */
  async rotateTokens(id: string): Promise<number> {
    const rows = await this.db
      .update(sandboxes)
      .set({ tokenGeneration: sql`${sandboxes.tokenGeneration} + 1` })
      .where(eq(sandboxes.id, id))
      .returning({ generation: sandboxes.tokenGeneration });
    return rows[0]!.generation;
  }
}
