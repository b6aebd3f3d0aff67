import { defineConfig } from "drizzle-kit";

/** `npm run db:generate -- --name <change>` writes the next SQL migration into ./migrations. */
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/storage/schema.ts",
  out: "./migrations",
});
