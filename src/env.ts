import type { SandboxCluster } from "./sandbox-do";

export interface Env {
  DB: D1Database;
  SANDBOX: DurableObjectNamespace<SandboxCluster>;
  /** Admin key of the management API; `sandkube-local-admin` when unset (local development only). */
  ADMIN_API_KEY?: string;
  /** Secret from which sandbox tokens are derived; a fixed local default when unset. */
  TOKEN_SECRET?: string;
}
