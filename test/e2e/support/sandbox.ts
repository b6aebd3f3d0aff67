/**
 * Test fixtures for end-to-end tests: sandboxes created through the management API, and the real
 * kubectl binaries run against them with a private HOME (so discovery caches never leak).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, inject } from "vitest";

export interface SandboxHandle {
  id: string;
  name: string;
  server: string;
  token: string;
  kubeconfigPath: string;
  home: string;
  delete(): Promise<void>;
}

export function api(pathname: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${inject("sandkubeUrl")}${pathname}`, {
    ...init,
    headers: { authorization: `Bearer ${inject("adminKey")}`, "content-type": "application/json", ...(init.headers ?? {}) },
  });
}

export async function createSandbox(spec: Record<string, unknown> = {}): Promise<SandboxHandle> {
  const res = await api("/v1/sandboxes", { method: "POST", body: JSON.stringify(spec) });
  if (res.status !== 201) throw new Error(`creating a sandbox failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { id: string; name: string; server: string; token: string; kubeconfig: string };
  const home = mkdtempSync(path.join(tmpdir(), `sandkube-${body.id}-`));
  const kubeconfigPath = path.join(home, "kubeconfig");
  writeFileSync(kubeconfigPath, body.kubeconfig);
  return {
    ...body,
    kubeconfigPath,
    home,
    delete: async () => {
      await api(`/v1/sandboxes/${body.id}`, { method: "DELETE" });
    },
  };
}

/** The directory of the machine's kubectl, where the versioned `kubectl.1.NN` binaries live. */
function kubectlDir(): string | null {
  const which = spawnSync("sh", ["-c", "command -v kubectl"], { encoding: "utf8" });
  if (which.status !== 0) return null;
  return path.dirname(realpathSync(which.stdout.trim()));
}

/** The binary for a kubectl minor version ("1.27"), or null when the machine lacks it. */
export function kubectlBinary(version: string): string | null {
  const dir = kubectlDir();
  if (!dir) return null;
  const candidate = path.join(dir, `kubectl.${version}`);
  return existsSync(candidate) ? candidate : null;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl to completion; `env` adds variables (e.g. KUBE_EDITOR) to its minimal environment. */
export function kubectl(binary: string, sandbox: SandboxHandle, args: string[], input?: string, env: Record<string, string> = {}): KubectlResult {
  const result = spawnSync(binary, ["--kubeconfig", sandbox.kubeconfigPath, ...args], {
    encoding: "utf8",
    input,
    env: { PATH: process.env.PATH, HOME: sandbox.home, ...env },
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs kubectl in the background (e.g. `get -w`), collecting its output until stopped. */
export function kubectlBackground(binary: string, sandbox: SandboxHandle, args: string[]) {
  const child = spawn(binary, ["--kubeconfig", sandbox.kubeconfigPath, ...args], { env: { PATH: process.env.PATH, HOME: sandbox.home } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return {
    output: () => stdout,
    errors: () => stderr,
    async waitFor(predicate: (out: string) => boolean, timeoutMs = 15_000): Promise<void> {
      const start = Date.now();
      while (!predicate(stdout)) {
        if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting; stdout so far:\n${stdout}\nstderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop() {
      child.kill("SIGTERM");
    },
  };
}

/** Reads until `accept` takes the value or `timeoutMs` passes; returns the last value read. */
export async function eventually<T>(read: () => T, accept: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = read();
    if (accept(value) || Date.now() - start > timeoutMs) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * `run` (any outcome) and `ok` (must succeed with nothing on stderr; returns stdout) for one
 * kubectl binary against the sandbox `current()` returns (set in a beforeAll).
 */
export function kubectlCommands(binary: string | null, current: () => SandboxHandle) {
  const run = (...args: string[]) => kubectl(binary!, current(), args);
  const ok = (...args: string[]) => {
    const r = run(...args);
    expect(r.stderr, `kubectl ${args.join(" ")}`).toBe("");
    expect(r.code, `kubectl ${args.join(" ")}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  return { run, ok };
}
