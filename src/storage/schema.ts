/**
 * The D1 schema (drizzle-orm, sqlite dialect). Every table is keyed by sandbox id first, so
 * sandboxes can be spread over several D1 databases without changing a query.
 *
 * - `tenants`, `tenant_keys`: who may use the management API; keys are stored as SHA-256 digests.
 * - `sandboxes`: one row per sandbox (management plane).
 * - `revisions`: the revision log, etcd's history: one row per write.
 * - `objects`: the current value of every live key, so a cold start reads state without
 *   replaying the log.
 * - `webhook_endpoints`: event-webhook subscriptions of one sandbox, or of every sandbox of a
 *   tenant (`sandbox_id` null); signing secrets are stored sealed.
 * - `webhook_outbox`: the messages a committed write produced for the sandbox's endpoints,
 *   written in the same batch as the write (the transactional outbox).
 *
 * Times are integer milliseconds since the epoch; values are JSON text.
 */
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
  /** Overrides of the default quotas (see src/management/quotas.ts); null: the defaults. */
  quotas: text("quotas", { mode: "json" }).$type<Record<string, number>>(),
});

export const tenantKeys = sqliteTable(
  "tenant_keys",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    /** Hex SHA-256 of the whole key; the key itself is never stored. */
    digest: text("digest").notNull(),
    /** The first characters of the key, to tell keys apart in listings. */
    prefix: text("prefix").notNull(),
    name: text("name").notNull(),
    createdAt: integer("created_at").notNull(),
    /** Null while the key works. */
    revokedAt: integer("revoked_at"),
  },
  (table) => [uniqueIndex("tenant_keys_digest_idx").on(table.digest), index("tenant_keys_tenant_idx").on(table.tenantId)],
);

export const sandboxes = sqliteTable(
  "sandboxes",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    /** The tenant that created it ("admin" for the admin key). */
    owner: text("owner").notNull(),
    createdAt: integer("created_at").notNull(),
    /** Null: never expires. */
    expiresAt: integer("expires_at"),
    kubernetesVersion: text("kubernetes_version").notNull(),
    /** Sandbox clock speed factor. */
    speed: real("speed").notNull().default(1),
    /** The full creation spec. */
    spec: text("spec", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** Bumped to revoke every token issued for the sandbox. */
    tokenGeneration: integer("token_generation").notNull().default(1),
    /** Log rows at or below this revision have been compacted away. */
    compactedRevision: integer("compacted_revision").notNull().default(0),
  },
  (table) => [index("sandboxes_owner_created_idx").on(table.owner, table.createdAt), index("sandboxes_expires_idx").on(table.expiresAt)],
);

export const revisions = sqliteTable(
  "revisions",
  {
    sandboxId: text("sandbox_id").notNull(),
    revision: integer("revision").notNull(),
    key: text("key").notNull(),
    createRevision: integer("create_revision").notNull(),
    /** modRevision of the value this write replaced; 0 on create. */
    prevRevision: integer("prev_revision").notNull(),
    deleted: integer("deleted", { mode: "boolean" }).notNull(),
    /** JSON of the new value; for a delete, the last value. */
    value: text("value").notNull(),
  },
  (table) => [primaryKey({ columns: [table.sandboxId, table.revision] })],
);

export const objects = sqliteTable(
  "objects",
  {
    sandboxId: text("sandbox_id").notNull(),
    key: text("key").notNull(),
    createRevision: integer("create_revision").notNull(),
    modRevision: integer("mod_revision").notNull(),
    /** JSON of the current value. */
    value: text("value").notNull(),
  },
  (table) => [primaryKey({ columns: [table.sandboxId, table.key] })],
);

export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    /** The tenant that owns it ("admin" for the admin key). */
    owner: text("owner").notNull(),
    /** Null: every sandbox of the owner, present and future. */
    sandboxId: text("sandbox_id"),
    url: text("url").notNull(),
    description: text("description").notNull().default(""),
    filter: text("filter", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** The signing secrets (newest first), AES-GCM sealed; never stored in plain text. */
    secrets: text("secrets").notNull(),
    createdAt: integer("created_at").notNull(),
    /** Null while enabled. */
    disabledAt: integer("disabled_at"),
    disabledReason: text("disabled_reason"),
  },
  (table) => [index("webhook_endpoints_owner_idx").on(table.owner), index("webhook_endpoints_sandbox_idx").on(table.sandboxId)],
);

export const webhookOutbox = sqliteTable(
  "webhook_outbox",
  {
    sandboxId: text("sandbox_id").notNull(),
    /** Order of the sandbox's messages; messages leave each endpoint in this order. */
    seq: integer("seq").notNull(),
    /** JSON array of the ids of the endpoints the message is for. */
    endpoints: text("endpoints").notNull(),
    /** The payload (JSON text), signed as is. */
    body: text("body").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.sandboxId, table.seq] })],
);

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type SandboxRow = typeof sandboxes.$inferSelect;
export type TenantRow = typeof tenants.$inferSelect;
export type TenantKeyRow = typeof tenantKeys.$inferSelect;
export type NewSandboxRow = typeof sandboxes.$inferInsert;
