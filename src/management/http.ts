/** What every management route shares: its Hono environment, ids, JSON bodies and JSON errors. */
import type { Context } from "hono";
import type { Env } from "../env";
import { SpecError } from "../sandbox/spec";
import type { TenantQuotas } from "./quotas";
import { SandboxRecords } from "./records";

/** `owner`: the tenant id of the request's key, or "admin" for the admin key; `quotas`: the tenant's (none for the admin). */
export type AppEnv = { Bindings: Env; Variables: { owner: string; quotas: TenantQuotas | null } };

export const ADMIN_OWNER = "admin";

const idAlphabet = "abcdefghijkmnpqrstuvwxyz23456789";

export function randomId(prefix: string, length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return prefix + Array.from(bytes, (b) => idAlphabet[b % idAlphabet.length]).join("");
}

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500;

export function apiError(c: Context, status: ErrorStatus, reason: string, message: string, field?: string, headers: Record<string, string> = {}) {
  return c.json({ error: { status, reason, message, ...(field !== undefined ? { field } : {}) } }, status, headers);
}

export const MAX_MANAGEMENT_BODY = 64 * 1024;

export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.length > MAX_MANAGEMENT_BODY) throw new SpecError("", `the request body is larger than ${MAX_MANAGEMENT_BODY} bytes`, 400);
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SpecError("", `the request body is not valid JSON: ${(e as Error).message}`, 400);
  }
}

/** A JSON object body, or a 400 naming what it is instead. */
export async function readObject(c: Context): Promise<Record<string, unknown>> {
  const body = await readJson(c);
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new SpecError("", "the request body must be a JSON object", 400);
  return body as Record<string, unknown>;
}

/** The Durable Object of a sandbox. */
export function sandboxStub(env: Env, id: string) {
  return env.SANDBOX.get(env.SANDBOX.idFromName(id));
}

/** The sandbox named by the route's `:id`, if the request's key may see it (null: answer 404, as for an unknown one). */
export async function visibleSandbox(c: Context<AppEnv>) {
  const record = await new SandboxRecords(c.env.DB).get(c.req.param("id")!, Date.now());
  if (!record || (c.get("owner") !== ADMIN_OWNER && record.owner !== c.get("owner"))) return null;
  return record;
}
