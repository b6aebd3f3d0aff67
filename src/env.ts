import type { SandboxCluster } from "./sandbox-do";

export interface Env {
  DB: D1Database;
  SANDBOX: DurableObjectNamespace<SandboxCluster>;
  /** Admin key of the management API; `sandkube-local-admin` when unset (local development only). */
  ADMIN_API_KEY?: string;
  /** Secret from which sandbox tokens are derived; a fixed local default when unset. */
  TOKEN_SECRET?: string;
  /** "true" in local development only: webhooks may call `http://127.0.0.1` / `localhost` receivers. */
  WEBHOOK_ALLOW_LOOPBACK_HTTP?: string;
}

/** Whether webhook URLs may be plain http to loopback (local development and tests). */
export const allowsLoopbackHttp = (env: Pick<Env, "WEBHOOK_ALLOW_LOOPBACK_HTTP">) => env.WEBHOOK_ALLOW_LOOPBACK_HTTP === "true";
