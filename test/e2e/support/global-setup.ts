import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
// @ts-expect-error -- plain ESM module shared with `npm start`
import { localAdminKey, startDevServer } from "../../../scripts/dev-server.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    sandkubeUrl: string;
    adminKey: string;
  }
}

export default async function setup(project: TestProject) {
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
  const state = mkdtempSync(path.join(tmpdir(), "sandkube-e2e-"));
  const port = 18000 + Math.floor(Math.random() * 1000);
  const server = await startDevServer({ port, persistTo: state });
  project.provide("sandkubeUrl", server.url);
  project.provide("adminKey", localAdminKey());
  return () => {
    server.stop();
    rmSync(state, { recursive: true, force: true });
  };
}
