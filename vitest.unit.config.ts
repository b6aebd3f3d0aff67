import { defineConfig } from "vitest/config";

/** Logic tests in plain Node: clock, ids and storage are passed in, no workerd needed. */
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    environment: "node",
  },
});
