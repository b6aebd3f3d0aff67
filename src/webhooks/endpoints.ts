/**
 * Webhook endpoints in D1, through drizzle. An endpoint belongs to one sandbox, or to every
 * sandbox of its owner (`sandboxId` null). Signing secrets are sealed at rest (src/auth/seal.ts);
 * this repository hands them out in plain text only to its callers.
 */
import { and, asc, eq, isNull, or } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { sealingKey, sealText, unsealText } from "../auth/seal";
import { webhookEndpoints, type WebhookEndpointRow } from "../storage/schema";

export interface SigningSecret {
  secret: string;
  /** Wall-clock ms after which a rotated-out secret no longer signs; null for the current one. */
  expiresAt: number | null;
}

export interface WebhookEndpoint {
  id: string;
  owner: string;
  /** Null: every sandbox of the owner, present and future. */
  sandboxId: string | null;
  url: string;
  description: string;
  filter: Record<string, unknown>;
  /** Newest first. */
  secrets: SigningSecret[];
  createdAt: number;
  disabledAt: number | null;
  disabledReason: string | null;
}

export type EndpointChanges = Partial<Pick<WebhookEndpoint, "url" | "description" | "filter" | "secrets" | "disabledAt" | "disabledReason">>;

/** The secrets that sign at `now`: the current one and any rotated-out one not yet expired. */
export const signingSecrets = (endpoint: Pick<WebhookEndpoint, "secrets">, now: number) =>
  endpoint.secrets.filter((s) => s.expiresAt === null || s.expiresAt > now).map((s) => s.secret);

export class WebhookEndpoints {
  private readonly db;
  private key: Promise<CryptoKey> | null = null;

  constructor(
    d1: D1Database,
    private readonly secret: string,
  ) {
    this.db = drizzle(d1);
  }

  async create(endpoint: WebhookEndpoint): Promise<void> {
    await this.db.insert(webhookEndpoints).values({ ...endpoint, secrets: await this.seal(endpoint.secrets) });
  }

  async get(id: string): Promise<WebhookEndpoint | null> {
    const rows = await this.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).limit(1);
    return rows[0] ? this.toEndpoint(rows[0]) : null;
  }

  /** The owner's endpoints of one sandbox, or its tenant-wide ones (`sandboxId` null); `owner` null: any owner (the admin). */
  async list(owner: string | null, sandboxId: string | null): Promise<WebhookEndpoint[]> {
    const scope = sandboxId === null ? isNull(webhookEndpoints.sandboxId) : eq(webhookEndpoints.sandboxId, sandboxId);
    const where = owner === null ? scope : and(scope, eq(webhookEndpoints.owner, owner));
    const rows = await this.db.select().from(webhookEndpoints).where(where).orderBy(asc(webhookEndpoints.createdAt));
    return Promise.all(rows.map((row) => this.toEndpoint(row)));
  }

  /** Every endpoint a sandbox delivers to: its own and its owner's tenant-wide ones. */
  async forSandbox(sandboxId: string, owner: string): Promise<WebhookEndpoint[]> {
    const rows = await this.db
      .select()
      .from(webhookEndpoints)
      .where(or(eq(webhookEndpoints.sandboxId, sandboxId), and(isNull(webhookEndpoints.sandboxId), eq(webhookEndpoints.owner, owner))))
      .orderBy(asc(webhookEndpoints.createdAt));
    return Promise.all(rows.map((row) => this.toEndpoint(row)));
  }

  async update(id: string, changes: EndpointChanges): Promise<void> {
    const { secrets, ...rest } = changes;
    await this.db
      .update(webhookEndpoints)
      .set({ ...rest, ...(secrets ? { secrets: await this.seal(secrets) } : {}) })
      .where(eq(webhookEndpoints.id, id));
  }

  async delete(id: string): Promise<void> {
    await this.db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  }

  private sealKey(): Promise<CryptoKey> {
    this.key ??= sealingKey(this.secret, "webhook_endpoints", "sandkube webhook signing secrets");
    return this.key;
  }

  private async seal(secrets: SigningSecret[]): Promise<string> {
    return sealText(await this.sealKey(), JSON.stringify(secrets));
  }

  private async toEndpoint(row: WebhookEndpointRow): Promise<WebhookEndpoint> {
    const secrets = JSON.parse(await unsealText(await this.sealKey(), row.secrets)) as SigningSecret[];
    return { ...row, secrets };
  }
}
