/**
 * What a simulated container does, derived from its spec (no container ever runs), and the image
 * rules of the simulated container runtime. Pure.
 *
 * ## Run behaviour ({@link containerBehavior})
 *
 * The command line is `command` + `args`. A shell (`sh`, `bash`, `ash`, `dash`, any path) with
 * `-c SCRIPT` runs the script: statements (split on `;`, `&&`, `||`, newlines) run in order —
 * `sleep N` (N in seconds, or with an `s`/`m`/`h`/`d` suffix) waits N simulated seconds,
 * `exit N` ends the script with code N, `false` as the last statement ends it with 1, and quick
 * commands (`echo`, `printf`, `true`, `date`, `env`, `printenv`, `cat`, `ls`, `hostname`, `id`,
 * `whoami`, `uname`, `touch`, `mkdir`, `cp`, `mv`, `rm`, `ln`, `chmod`, `pwd`, `set`, `export`, `:`) take no time. Anything else
 * in a script (`while true`, `tail -f`, `sleep infinity`, a server) runs until stopped.
 * Without a shell the program alone decides: `sleep N` as above, `true` → 0, `false` → 1, a quick
 * command → 0, anything else runs until stopped. No command at all runs the image's entrypoint:
 * until stopped, except the shell-only images (`busybox`, `alpine`, `ubuntu`, `debian`, `fedora`,
 * `centos`) whose default `sh` exits 0 at once without a TTY (so `kubectl run b --image=busybox`
 * crash-loops with `Completed`, as it does for real).
 *
 * On SIGTERM a shell or `sleep` as PID 1 ignores the signal (no handler) and is killed at the end
 * of the grace period (exit 137); any other program stops within a second with exit 0.
 *
 * ## Images ({@link imageInfo})
 *
 * A reference that does not parse (`Nginx`, `nginx:`, …) is an `InvalidImageName`. A reference
 * whose tag or name contains `doesnotexist`, `nonexistent` or `does-not-exist` cannot be
 * resolved: every pull fails with `ErrImagePull` (then `ImagePullBackOff`). Everything else pulls.
 * The image ID is `<repository>@sha256:<64 hex derived from the reference>`.
 */
import { imageTag } from "../../registry/kinds/pod-template";

export interface Behavior {
  /** Simulated ms the main process runs, or null: until stopped. */
  runsForMs: number | null;
  exitCode: number;
  /** Whether PID 1 handles SIGTERM (stops in a second) or is killed at the end of the grace period. */
  handlesSigterm: boolean;
}

const SHELLS = new Set(["sh", "bash", "ash", "dash", "zsh"]);
const QUICK = new Set(["echo", "printf", "true", "date", "env", "printenv", "cat", "ls", "hostname", "id", "whoami", "uname", "touch", "mkdir", "cp", "mv", "rm", "ln", "chmod", "pwd", "set", "export", ":", "nslookup", "wget", "curl"]);
const SHELL_IMAGES = new Set(["busybox", "alpine", "ubuntu", "debian", "fedora", "centos"]);

const basename = (s: string) => s.slice(s.lastIndexOf("/") + 1);

/** `sleep` arguments in ms: `5`, `0.5`, `5s`, `2m`, `1h`, `1d` (summed, as GNU sleep); null for `infinity` or garbage. */
export function sleepMs(args: string[]): number | null {
  if (args.length === 0) return null;
  let total = 0;
  for (const a of args) {
    const m = /^(\d+(?:\.\d+)?|\.\d+)([smhd]?)$/.exec(a);
    if (!m) return null;
    total += Number(m[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "" | "s" | "m" | "h" | "d"] * 1000;
  }
  return Math.round(total);
}

/** Words of one shell statement (quotes dropped, no expansion). */
function words(statement: string): string[] {
  return (statement.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^["']|["']$/g, ""));
}

function runScript(script: string): Behavior {
  const statements = script.split(/;|&&|\|\||\n/).map((s) => s.trim()).filter(Boolean);
  let ms = 0;
  for (let i = 0; i < statements.length; i++) {
    const [cmd = "", ...rest] = words(statements[i]!);
    const name = basename(cmd);
    if (name === "sleep") {
      const d = sleepMs(rest);
      if (d === null) return { runsForMs: null, exitCode: 0, handlesSigterm: false };
      ms += d;
    } else if (name === "exit") {
      const code = rest.length ? Number(rest[0]) : 0;
      return { runsForMs: ms, exitCode: Number.isInteger(code) ? ((code % 256) + 256) % 256 : 2, handlesSigterm: false };
    } else if (name === "false") {
      if (i === statements.length - 1) return { runsForMs: ms, exitCode: 1, handlesSigterm: false };
    } else if (!QUICK.has(name)) {
      return { runsForMs: null, exitCode: 0, handlesSigterm: false };
    }
  }
  return { runsForMs: ms, exitCode: 0, handlesSigterm: false };
}

export function containerBehavior(container: { image?: string; command?: string[]; args?: string[]; stdin?: boolean }): Behavior {
  const argv = [...(container.command ?? []), ...(container.args ?? [])].map(String);
  if (argv.length === 0) {
    const repo = imageRepository(container.image ?? "");
    const short = repo.slice(repo.lastIndexOf("/") + 1);
    if (!SHELL_IMAGES.has(short)) return { runsForMs: null, exitCode: 0, handlesSigterm: true };
    // A shell image's default shell exits at once on a closed stdin, and waits on an open one (`run -i`).
    return { runsForMs: container.stdin ? null : 0, exitCode: 0, handlesSigterm: false };
  }
  const program = basename(argv[0]!);
  if (SHELLS.has(program)) {
    const c = argv.indexOf("-c");
    if (c >= 0 && c + 1 < argv.length) return runScript(argv[c + 1]!);
    return { runsForMs: null, exitCode: 0, handlesSigterm: false };
  }
  if (program === "sleep") {
    const d = sleepMs(argv.slice(1));
    return { runsForMs: d, exitCode: 0, handlesSigterm: false };
  }
  if (program === "false") return { runsForMs: 0, exitCode: 1, handlesSigterm: true };
  if (QUICK.has(program)) return { runsForMs: 0, exitCode: 0, handlesSigterm: true };
  return { runsForMs: null, exitCode: 0, handlesSigterm: true };
}

// ---- images --------------------------------------------------------------------------------

/** The repository of a reference, fully qualified as containerd names it (`docker.io/library/nginx`). */
export function imageRepository(image: string): string {
  let name = image.split("@")[0]!;
  const lastSlash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  if (colon > lastSlash) name = name.slice(0, colon);
  const first = name.split("/")[0]!;
  const hasDomain = name.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  if (hasDomain) return name;
  return name.includes("/") ? `docker.io/${name}` : `docker.io/library/${name}`;
}

/** 64 hex digits derived from a seed (FNV-1a, expanded): stable ids that look real. */
export function hex64(seed: string): string {
  let out = "";
  let h = 0x811c9dc5;
  while (out.length < 64) {
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
    h = Math.imul(h ^ out.length, 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, "0");
  }
  return out;
}

export type ImageInfo =
  | { kind: "invalid"; image: string }
  | { kind: "unresolvable"; image: string; reference: string }
  | { kind: "ok"; image: string; reference: string; imageID: string; sizeBytes: number };

export function imageInfo(image: string): ImageInfo {
  const tag = imageTag(image);
  if (!tag && !image.includes("@")) return { kind: "invalid", image };
  const repo = imageRepository(image);
  const reference = image.includes("@") ? `${repo}@${image.split("@")[1]}` : `${repo}:${tag}`;
  if (/doesnotexist|nonexistent|does-not-exist/i.test(image)) return { kind: "unresolvable", image, reference };
  const digest = hex64(`image:${reference}`);
  // Sizes between ~2 MB and ~200 MB, stable per image.
  const sizeBytes = 2_000_000 + (parseInt(digest.slice(0, 8), 16) % 198_000_000);
  return { kind: "ok", image, reference, imageID: `${repo}@sha256:${digest}`, sizeBytes };
}

/** Whether a node's `status.images` lists the image (by any of its names). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function nodeHasImage(node: any, image: string): boolean {
  const info = imageInfo(image);
  if (info.kind !== "ok") return false;
  return (node?.status?.images ?? []).some((i: { names?: string[] }) => (i.names ?? []).some((n) => n === image || n === info.reference || n === info.imageID));
}
