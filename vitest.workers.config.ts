import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Wiring tests in real workerd with a real (local) D1 and the Durable Object. */
export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: { TEST_MIGRATIONS: await readD1Migrations("migrations"), WEBHOOK_ALLOW_LOOPBACK_HTTP: "true" },
        // Webhook receivers for these tests: every outbound request is accepted here (real
        // deliveries to a receiver on 127.0.0.1 are tested end to end in test/e2e/webhooks.test.ts).
        outboundService: () => new Response(null, { status: 204 }),
      },
    }),
  ],
  test: {
    include: ["test/workers/**/*.test.ts"],
    setupFiles: ["./test/workers/apply-migrations.ts"],
  },
}));
