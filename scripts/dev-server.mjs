/**
 * Starts `wrangler dev` serving sandkube over HTTPS on 127.0.0.1, after applying the D1
 * migrations to the same local state directory. Used by `npm start`, the end-to-end tests and
 * the benchmarks.
 */
import { spawn, spawnSync } from "node:child_process";
import https from "node:https";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const wranglerBin = path.join(projectRoot, "node_modules", ".bin", "wrangler");

const quietEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_LOG_PATH: path.join(projectRoot, ".wrangler", "logs"),
  // The self-signed local certificate must not stop our own health probe.
  NODE_TLS_REJECT_UNAUTHORIZED: "0",
};

/** The admin key the local server accepts: ADMIN_API_KEY from .dev.vars, or the documented default. */
export function localAdminKey() {
  const file = path.join(projectRoot, ".dev.vars");
  if (existsSync(file)) {
    const match = /^ADMIN_API_KEY\s*=\s*"?([^"\n]+)"?/m.exec(readFileSync(file, "utf8"));
    if (match) return match[1].trim();
  }
  return "sandkube-local-admin";
}

export function applyMigrations(persistTo) {
  const result = spawnSync(wranglerBin, ["d1", "migrations", "apply", "sandkube", "--local", "--persist-to", persistTo], {
    cwd: projectRoot,
    env: { ...quietEnv, CI: "true" },
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`applying D1 migrations failed:\n${result.stdout}\n${result.stderr}`);
}

/**
 * Starts the server and resolves once it answers. `stdio: "inherit"` shows wrangler's own output
 * (for `npm start`); otherwise it is collected and returned on failure.
 */
export async function startDevServer({ port, persistTo = path.join(projectRoot, ".wrangler", "state"), inherit = false, timeoutMs = 60_000 } = {}) {
  applyMigrations(persistTo);
  const child = spawn(
    wranglerBin,
    [
      "dev",
      "--local-protocol", "https",
      "--ip", "127.0.0.1",
      "--port", String(port),
      "--inspector-port", String(port + 10000),
      "--persist-to", persistTo,
      // Local development only: webhooks may call plain-http receivers on 127.0.0.1.
      "--var", "WEBHOOK_ALLOW_LOOPBACK_HTTP:true",
      "--show-interactive-dev-session=false",
      "--log-level", inherit ? "info" : "warn",
    ],
    { cwd: projectRoot, env: quietEnv, stdio: inherit ? "inherit" : ["ignore", "pipe", "pipe"], detached: !inherit },
  );
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const url = `https://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${output}`);
    if (await answers(`${url}/`)) break;
    if (Date.now() - started > timeoutMs) {
      stopProcessGroup(child);
      throw new Error(`wrangler dev did not answer on ${url} within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, child, stop: () => stopProcessGroup(child), output: () => output };
}

/** True when the URL answers 200; the local certificate is self-signed, so it is not verified. */
function answers(url) {
  return new Promise((resolve) => {
    const req = https.get(url, { rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
  });
}

function stopProcessGroup(child) {
  if (child.exitCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    child.kill("SIGTERM");
  }
}
