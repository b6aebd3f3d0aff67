import { defineConfig } from "vitest/config";

/**
 * End-to-end: one `wrangler dev` (HTTPS, local D1) for the whole run, driven by the real kubectl
 * binaries and real client libraries.
 */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["./test/e2e/support/global-setup.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // kubectl processes and wrangler share two cores: run files one at a time.
    fileParallelism: false,
    env: { NODE_TLS_REJECT_UNAUTHORIZED: "0" },
  },
});
