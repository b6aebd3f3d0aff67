// The bindings the Workers test runtime exposes through `env` from "cloudflare:workers".
declare namespace Cloudflare {
  interface Env {
    DB: D1Database;
    SANDBOX: DurableObjectNamespace<import("../../src/sandbox-do").SandboxCluster>;
    ADMIN_API_KEY?: string;
    TOKEN_SECRET?: string;
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
}
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("../../src/worker");
    durableNamespaces: "SandboxCluster";
  }
}
