/**
 * What a simulated container "printed": the lines `kubectl logs` shows for one run of a
 * container, derived from its spec, the pod and the run's start and end. Pure and deterministic
 * (no randomness: sub-millisecond digits and ids come from the container ID).
 *
 * ## What runs ({@link containerLog})
 *
 * The command line is `command` + `args` after Kubernetes' `$(VAR)` expansion (variables of the
 * container's `env` with a literal `value`; `$$(VAR)` stays `$(VAR)`). Without `command` the
 * image's entrypoint runs `args`: no args (or only flags) → the image's own start-up lines (below).
 *
 * - A shell (`sh`, `bash`, `ash`, `dash`, `zsh`, any path) with `-c SCRIPT` runs the script:
 *   statements split on `;`, `&&`, `||`, `&` and newlines (outside quotes) run in order, and
 *   `while …; do …; done` / `until …` (forever), `for V in WORDS; do …; done` and
 *   `if …; then …; [else …;] fi` (the `then` branch) are understood.
 * - `echo` (`-n`, `-e`) and `printf FORMAT ARGS…` (`%s %d %i %u %x %o %c %f %%`, escapes; the
 *   format is reused while arguments remain) print; so do `hostname`, `date` (`Fri Jan  2
 *   03:04:05 UTC 2026` at that moment), `whoami`, `id`, `uname`, `pwd`, `seq`, `env`/`printenv`.
 *   Words are expanded simply: quotes, backslashes, `$VAR`/`${VAR}` (the container's env,
 *   `HOSTNAME` = the pod's hostname, `HOME`, `PATH`, the `KUBERNETES_SERVICE_*` variables, the
 *   loop variable, `NAME=value` statements), `$(…)`/backticks of the commands above, `{a..b}`.
 *   Unknown variables expand to nothing.
 * - `sleep N` moves the script's clock (as ./behavior.ts times it); every other command takes no
 *   time. `exit` ends the script. A server program of a known image (`nginx`, `redis-server`,
 *   `httpd-foreground`, `coredns`, `etcd`, `kube-*`) prints that image's lines and runs on; any
 *   other program not listed here prints nothing and runs until stopped (nothing after it prints).
 * - Output redirected to a file (`> f`, `>> f`, `&> f`) is not logged; `>&2` is (stderr is
 *   logged too). In a pipeline the last command's output is logged (`cat`/`tee` pass theirs on).
 * - A program without a shell is the same as a one-statement script without expansion.
 * - In a pipeline `grep [-v] [-i] [-c] PATTERN`, `head`/`tail [-n] N`, `sort`, `wc -l` filter their input.
 *
 * ## Interactive shells ({@link ShellSession})
 *
 * `kubectl exec` and `kubectl attach` run the same interpreter against a container's world
 * ({@link ShellIO}): its environment, and the programs of its filesystem and network (`cat`,
 * `ls`, `nslookup`…). There output is written as it happens (stdout and stderr apart), `$?` and
 * `exit N` give the exit status, `false` fails, and a program the container does not have prints
 * `sh: NAME: not found` and sets status 127. A blocking program (`sleep infinity`, `tail -f`)
 * leaves the session blocked until the client goes away.
 *
 * ## Images
 *
 * With their default entrypoint: `nginx` prints the docker-entrypoint lines and its `[notice]`
 * start-up (`start worker processes`, two `start worker process N`); `redis` its banner ending
 * `Ready to accept connections tcp`; `httpd` the AH00558 warnings and `resuming normal
 * operations`; `coredns` `.:53`, the reload plugin's SHA512, `CoreDNS-1.11.x` and `linux/amd64,
 * go…`; `kube-proxy` klog lines choosing `Using iptables Proxier`; `etcd` JSON lines;
 * `kube-apiserver`, `kube-scheduler`, `kube-controller-manager` a few klog lines. Versions come from
 * the image tag where it is one. Shell images (`busybox`, `alpine`, …) and unknown images print
 * nothing.
 *
 * ## Time
 *
 * A line printed after `d` ms of simulated script time is written at `startedAt + d / speed`
 * (wall clock). Lines are those written by `until` (the request's now); a run that ended by itself
 * (any exit code but 137/143) wrote its whole script, one that was killed what it wrote by
 * `finishedAt`. Both stamps have one-second precision, so what a run writes in the second after
 * `startedAt` (image start-up) or `finishedAt` counts as written. A
 * run keeps at most {@link MAX_LINES} lines, the newest (the runtime's log rotation); an endless
 * loop skips the iterations whose lines would be rotated away (a counter in it does not count them).
 */
import type { KObject } from "../../registry/types";
import { imageTag } from "../../registry/kinds/pod-template";
import { hex64, imageRepository, sleepMs } from "./behavior";

export interface LogLine {
  /** Wall-clock epoch ms the line was written. */
  at: number;
  /** Nanoseconds within that millisecond (0–999 999). */
  ns: number;
  text: string;
}

export interface LogContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
}

/** What a command of the container's world printed and its exit status. */
export interface CommandResult {
  stdout?: string;
  stderr?: string;
  code: number;
}

/** The container an interactive shell runs in, and where its output goes. */
export interface ShellIO {
  /** The container's environment as the kubelet and runtime build it, in `env` order. */
  env: [string, string][];
  /** A program of the container's filesystem or network (`cat`, `ls`, `nslookup`…), or null when it has none by that name. */
  command(name: string, args: string[], stdin: string): CommandResult | null;
  /** Output as it is written: fd 1 (stdout) or 2 (stderr). */
  write(fd: 1 | 2, text: string): void;
}

/** One run of a container, as its status reports it. */
export interface ContainerRun {
  pod: KObject;
  container: LogContainerSpec;
  /** The run's container ID (seeds the generated digits). */
  containerID: string;
  /** Wall-clock epoch ms of `startedAt`. */
  startedAt: number;
  /** Wall-clock epoch ms of `finishedAt`, once terminated. */
  finishedAt?: number;
  /** The exit code, once terminated: 137/143 (killed) cut the log at `finishedAt`. */
  exitCode?: number;
  /** Simulated time runs this many times as fast as wall time (default 1). */
  speed?: number;
}

/** Exit codes of a run stopped by a signal (SIGKILL, SIGTERM) rather than by its own end. */
const KILLED = new Set([137, 143]);
/** How far (simulated ms) a run that ended by itself is replayed: its whole script. */
const WHOLE_RUN_MS = 366 * 24 * 3_600_000;

/** Most lines one run keeps (older ones are rotated away). */
export const MAX_LINES = 10_000;

/** The lines of a run written by `until` (wall-clock epoch ms), oldest first. */
export function containerLog(run: ContainerRun, until: number): LogLine[] {
  const speed = run.speed ?? 1;
  // Status times have one-second precision: what a run writes in that second counts as written.
  const end = run.finishedAt === undefined ? Math.max(until, run.startedAt + 999) : Math.min(until, run.finishedAt + 999);
  const written = Math.max(-1, (end - run.startedAt) * speed);
  // A run that ended by itself wrote its whole script, however the clock was advanced meanwhile.
  const endedByItself = run.finishedAt !== undefined && run.exitCode !== undefined && !KILLED.has(run.exitCode);
  const horizon = endedByItself ? Math.max(written, WHOLE_RUN_MS) : written;
  const wallAt = (offsetMs: number) => run.startedAt + offsetMs / speed;
  const sim = new Simulation(run, horizon, wallAt);
  sim.start();
  return sim.result();
}

/** `2026-01-02T03:04:05.123456789Z`: the runtime's fixed-width RFC 3339 timestamp of a line. */
export function formatLogTimestamp(line: LogLine): string {
  const iso = new Date(Math.floor(line.at)).toISOString();
  const frac = String(Math.floor(line.at) % 1000).padStart(3, "0") + String(line.ns).padStart(6, "0");
  return `${iso.slice(0, 19)}.${frac}Z`;
}

/** Whether line `a` was written after line `b`. */
export function isAfter(a: LogLine, b: LogLine): boolean {
  return a.at > b.at || (a.at === b.at && a.ns > b.ns);
}

// ---- the simulated shell -------------------------------------------------------------------

type Node =
  | { kind: "cmd"; text: string }
  | { kind: "loop"; variable?: string; items?: string; body: Node[] }
  | { kind: "if"; body: Node[] };

const SHELLS = new Set(["sh", "bash", "ash", "dash", "zsh"]);
const SHELL_IMAGES = new Set(["busybox", "alpine", "ubuntu", "debian", "fedora", "centos"]);
/** Commands that print nothing and take no time. */
const SILENT = new Set([
  "true", ":", "false", "cat", "ls", "touch", "mkdir", "set", "cd", "trap", "test", "[", "umask", "unset", "cp", "mv", "rm",
  "chmod", "chown", "ln", "wget", "curl", "nslookup", "sync", "shift", "export", "readonly", "local",
]);
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const basename = (s: string) => s.slice(s.lastIndexOf("/") + 1);

/** Whether a program (a path or a name) is a shell. */
export function isShell(program: string): boolean {
  return SHELLS.has(basename(program));
}

/**
 * Whether a container's process is a shell reading its stdin: `sh`/`bash`… without `-c`, or a
 * shell image's (busybox, alpine…) default command.
 */
export function readsStdinAsShell(container: LogContainerSpec): boolean {
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  if (!container.command?.length && (argv.length === 0 || argv[0]!.startsWith("-"))) return SHELL_IMAGES.has(basename(imageRepository(container.image ?? "")));
  return isShell(argv[0]!) && !argv.includes("-c");
}

/** Splits a script into statements and block keywords, outside quotes and `$(…)`. */
function statements(script: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote = "";
  let depth = 0;
  const push = () => {
    const s = cur.trim();
    if (s) out.push(s);
    cur = "";
  };
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]!;
    if (quote) {
      if (ch === "\\" && quote === '"' && i + 1 < script.length) {
        cur += ch + script[++i];
        continue;
      }
      if (ch === quote) quote = "";
      cur += ch;
      continue;
    }
    if (ch === "\\" && i + 1 < script.length) {
      cur += ch + script[++i];
      continue;
    }
    if (ch === "'" || ch === '"' || ch === "`") quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")") depth = Math.max(0, depth - 1);
    else if (depth === 0 && (ch === ";" || ch === "\n")) {
      push();
      continue;
    } else if (depth === 0 && (ch === "&" || ch === "|") && script[i + 1] === ch) {
      push();
      i++;
      continue;
    } else if (depth === 0 && ch === "&" && script[i - 1] !== ">" && script[i + 1] !== ">") {
      push();
      continue;
    }
    cur += ch;
  }
  push();
  // Keywords that open a statement (`do echo hi`, `then echo hi`) stand on their own.
  return out.flatMap((s) => {
    const m = /^(do|then|else)\s+([\s\S]*)$/.exec(s);
    return m ? [m[1]!, m[2]!] : [s];
  });
}

function parse(tokens: string[], start: number, ends: Set<string>): [Node[], number] {
  const nodes: Node[] = [];
  let i = start;
  while (i < tokens.length) {
    const t = tokens[i]!;
    const word = t.split(/\s/, 1)[0]!;
    if (ends.has(word)) return [nodes, i];
    if (word === "while" || word === "until" || word === "for") {
      const j = tokens[i + 1] === "do" ? i + 2 : i + 1;
      const [body, k] = parse(tokens, j, new Set(["done"]));
      const m = /^for\s+(\w+)(?:\s+in\s+([\s\S]*))?$/.exec(t);
      nodes.push(word === "for" && m ? { kind: "loop", variable: m[1], items: m[2] ?? "", body } : { kind: "loop", body });
      i = k + 1;
    } else if (word === "if") {
      const j = tokens[i + 1] === "then" ? i + 2 : i + 1;
      const [body, k] = parse(tokens, j, new Set(["fi", "else", "elif"]));
      let after = k;
      if (tokens[after] !== undefined && tokens[after] !== "fi") after = parse(tokens, after + 1, new Set(["fi"]))[1];
      nodes.push({ kind: "if", body });
      i = after + 1;
    } else {
      nodes.push({ kind: "cmd", text: t });
      i++;
    }
  }
  return [nodes, i];
}

interface Redirect {
  /** Stdout goes to a file, not the log. */
  toFile: boolean;
  /** Stdout goes to stderr (`>&2`). */
  toStderr?: boolean;
  /** Stderr goes to a file (`2>/dev/null`). */
  stderrToFile?: boolean;
}

/** Why the script stopped printing: it ended (`exit`, end of script) or runs on silently. */
type Halt = "exit" | "forever" | null;

class Simulation {
  t = 0;
  private readonly lines: { offset: number; text: string }[] = [];
  /** Lines written so far (a loop's output per iteration is measured with it). */
  private written = 0;
  private pending = "";
  halt: Halt = null;
  /** `$?`: the status of the last command. */
  status = 0;
  /** The status `exit` gave, once it ran. */
  exitCode: number | null = null;
  private readonly vars = new Map<string, string>();
  private readonly env: [string, string][];
  /** The command runs without a shell (`kubectl exec pod -- PROGRAM`). */
  direct = false;
  /** The stderr of the statement running now is discarded (`2>/dev/null`). */
  private quietStderr = false;

  constructor(
    private readonly run: ContainerRun,
    /** Simulated script ms after which nothing more runs or prints (an interactive shell moves it per command line). */
    public horizon: number,
    private readonly wallAt: (offsetMs: number) => number,
    private readonly io?: ShellIO,
  ) {
    const pod = run.pod;
    const hostname = String(pod.spec?.hostname ?? pod.metadata?.name ?? "").slice(0, 63);
    const declared = declaredEnv(run.container);
    this.env = io ? io.env : [
      ["PATH", DEFAULT_PATH],
      ["HOSTNAME", hostname],
      ...declared,
      ["KUBERNETES_SERVICE_HOST", "10.96.0.1"],
      ["KUBERNETES_SERVICE_PORT", "443"],
      ["KUBERNETES_PORT", "tcp://10.96.0.1:443"],
      ["HOME", "/root"],
    ];
    for (const [k, v] of this.env) this.vars.set(k, v);
  }

  start(): void {
    const { container } = this.run;
    const declared = new Map(declaredEnv(container));
    const command = (container.command ?? []).map((w) => kubeExpand(String(w), declared));
    const args = (container.args ?? []).map((w) => kubeExpand(String(w), declared));
    const argv = [...command, ...args];
    if (command.length === 0 && (argv.length === 0 || argv[0]!.startsWith("-"))) {
      const repo = imageRepository(container.image ?? "");
      const short = basename(repo);
      if (!SHELL_IMAGES.has(short)) this.server(short, true);
      return;
    }
    const program = basename(argv[0]!);
    if (SHELLS.has(program)) {
      const c = argv.indexOf("-c");
      if (c >= 0 && c + 1 < argv.length) this.exec(parse(statements(argv[c + 1]!), 0, new Set())[0]);
      return;
    }
    this.emit(this.command(argv, { toFile: false }));
  }

  result(): LogLine[] {
    if (this.pending && this.halt !== "forever" && this.t <= this.horizon) this.emit("\n");
    const kept = this.lines.slice(-MAX_LINES);
    const seed = this.run.containerID;
    let previous: LogLine | undefined;
    return kept.map((l) => {
      let at = Math.floor(this.wallAt(l.offset));
      let ns = parseInt(hex64(`${seed}/${l.offset}`).slice(0, 8), 16) % 400_000;
      // Lines written in the same instant still follow one another.
      if (previous && !isAfter({ at, ns, text: "" }, previous)) {
        at = previous.at;
        ns = previous.ns + 23_000 + (parseInt(hex64(`${seed}/${l.offset}/${l.text}`).slice(0, 4), 16) % 17_000);
        if (ns >= 1_000_000) {
          at += Math.floor(ns / 1_000_000);
          ns %= 1_000_000;
        }
      }
      previous = { at, ns, text: l.text };
      return previous;
    });
  }

  stopped(): boolean {
    return this.halt !== null || this.t > this.horizon;
  }

  private emit(output: string, fd: 1 | 2 = 1): void {
    if (!output || this.t > this.horizon) return;
    if (this.io) {
      this.written += output.split("\n").length - 1;
      if (fd === 2 && this.quietStderr) return;
      this.io.write(fd, output);
      return;
    }
    const parts = (this.pending + output).split("\n");
    this.pending = parts.pop()!;
    this.written += parts.length;
    for (const text of parts) this.lines.push({ offset: this.t, text });
    if (this.lines.length > 2 * MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
  }

  exec(nodes: Node[]): void {
    for (const node of nodes) {
      if (this.stopped()) return;
      if (node.kind === "cmd") this.statement(node.text);
      else if (node.kind === "if") this.exec(node.body);
      else if (node.variable !== undefined) {
        for (const item of this.words(node.items ?? "").flatMap((w) => w.split(/\s+/)).filter(Boolean)) {
          if (this.stopped()) return;
          this.vars.set(node.variable, item);
          this.exec(node.body);
        }
      } else this.forever(node.body);
    }
  }

  /** A loop without end: iterations until the horizon, skipping ahead to the ones still kept. */
  private forever(body: Node[]): void {
    for (let iteration = 0; !this.stopped(); iteration++) {
      const t0 = this.t;
      const n0 = this.written;
      this.exec(body);
      if (this.halt === "exit") return;
      const period = this.t - t0;
      const printed = this.written - n0;
      if (period === 0) {
        // Output without pause floods the log at once; a silent busy loop prints nothing more.
        if (printed === 0 || iteration * printed > MAX_LINES) this.halt = "forever";
        continue;
      }
      // A log skips the iterations whose lines would be rotated away; an interactive shell prints them all.
      if (iteration === 0 && this.halt === null && !this.io) {
        const remaining = Math.floor((this.horizon - this.t) / period);
        const keep = Math.ceil(MAX_LINES / Math.max(1, printed)) + 1;
        if (remaining > keep) this.t += (remaining - keep) * period;
      }
    }
  }

  private statement(text: string): void {
    const assignment = /^([A-Za-z_]\w*)=(\S*)$/.exec(text);
    if (assignment) {
      this.vars.set(assignment[1]!, this.words(assignment[2]!).join(" "));
      this.status = 0;
      return;
    }
    // A pipeline writes its last command's output; each command reads the one before it.
    let output: string | null = null;
    let redirect: Redirect = { toFile: false };
    for (const segment of splitPipeline(text)) {
      const parsed = this.parseWords(segment);
      redirect = parsed.redirect;
      this.quietStderr = redirect.stderrToFile === true;
      output = this.command(parsed.words, redirect, output);
      if (this.stopped()) break;
    }
    this.quietStderr = false;
    if (!redirect.toFile && output) this.emit(output, redirect.toStderr ? 2 : 1);
  }

  /** Runs one command (expanded words) reading `stdin` (null: not in a pipe); returns what it wrote to stdout. */
  command(words: string[], redirect: Redirect, stdin: string | null = null): string {
    const [cmd = "", ...rest] = words;
    const name = basename(cmd);
    if (!name) return "";
    if (name === "exec" || name === "nohup" || name === "command") return this.command(rest, redirect, stdin);
    this.status = 0;
    if (name === "sleep") {
      const d = sleepMs(rest);
      if (d === null) this.halt = "forever";
      else this.t += d;
      return "";
    }
    if (name === "exit") {
      this.halt = "exit";
      this.exitCode = rest.length ? (parseInt(rest[0]!, 10) || 0) & 255 : this.status;
      return "";
    }
    if (stdin !== null) {
      const filtered = pipeFilter(name, rest, stdin);
      if (filtered !== null) {
        this.status = filtered.code;
        return filtered.stdout ?? "";
      }
    }
    const quick = this.quickOutput(name, rest);
    if (quick !== null) return quick;
    if (this.io) return this.program(cmd, rest, stdin);
    if (SILENT.has(name)) return "";
    const profile = SERVER_PROGRAMS[name];
    if (profile && !redirect.toFile) this.server(profile, false);
    this.halt = "forever";
    return "";
  }

  /** A program of an interactive shell's container: its world's, a silent built-in, or `not found` (127). */
  private program(cmd: string, args: string[], stdin: string | null): string {
    const name = basename(cmd);
    if (name === "false") {
      this.status = 1;
      return "";
    }
    const result = this.io!.command(name, args, stdin ?? "");
    if (result) {
      if (result.stderr) this.emit(result.stderr, 2);
      this.status = result.code;
      return result.stdout ?? "";
    }
    if (name === "tail" && args.includes("-f")) {
      this.halt = "forever";
      return "";
    }
    if (SILENT.has(name) || SERVER_PROGRAMS[name]) return "";
    if (this.direct) {
      // No shell to complain: the runtime fails to start the process.
      this.emit(`OCI runtime exec failed: exec failed: unable to start container process: exec: "${cmd}": executable file not found in $PATH: unknown\n`, 2);
      this.status = 126;
    } else {
      this.emit(`sh: ${cmd}: not found\n`, 2);
      this.status = 127;
    }
    return "";
  }

  /** The output of a command that prints at once, or null when it is not one of those. */
  private quickOutput(name: string, args: string[]): string | null {
    switch (name) {
      case "echo":
        return echo(args);
      case "printf":
        return printf(args[0] ?? "", args.slice(1));
      case "hostname":
        return `${this.vars.get("HOSTNAME") ?? ""}\n`;
      case "date":
        return `${formatDate(this.wallAt(this.t))}\n`;
      case "whoami":
        return "root\n";
      case "id":
        return "uid=0(root) gid=0(root) groups=0(root)\n";
      case "uname":
        return args.includes("-a") ? `Linux ${this.vars.get("HOSTNAME")} 6.8.0-51-generic #52-Ubuntu SMP x86_64 GNU/Linux\n` : "Linux\n";
      case "pwd":
        return "/\n";
      case "seq": {
        const [a, b] = args.length >= 2 ? [Number(args[0]), Number(args[1])] : [1, Number(args[0])];
        if (!Number.isInteger(a) || !Number.isInteger(b) || b - a > MAX_LINES) return "";
        let out = "";
        for (let i = a; i <= b; i++) out += `${i}\n`;
        return out;
      }
      case "env":
      case "printenv": {
        if (!args.length) return this.env.map(([k, v]) => `${k}=${v}\n`).join("");
        const values = args.map((a) => this.env.find(([k]) => k === a)?.[1]);
        if (values.includes(undefined)) this.status = 1;
        return values.filter((v) => v !== undefined).map((v) => `${v}\n`).join("");
      }
    }
    return null;
  }

  /** An image's own server: its start-up lines at the current time, then it runs until stopped. */
  private server(short: string, entrypoint: boolean): void {
    const profile = IMAGE_PROFILES[short];
    if (profile) {
      const t0 = this.t;
      for (const line of profile(this.profileContext(entrypoint))) {
        this.t = t0 + line.offset;
        this.emit(`${line.text}\n`);
      }
      this.t = t0;
    }
    this.halt = "forever";
  }

  private profileContext(entrypoint: boolean): ProfileContext {
    const { pod, container, containerID } = this.run;
    const t0 = this.t;
    return {
      at: (offset) => this.wallAt(t0 + offset),
      tag: imageTag(container.image ?? ""),
      entrypoint,
      seed: containerID,
      podIP: String(pod.status?.podIP ?? "10.244.0.2"),
      hostIP: String(pod.status?.hostIP ?? "172.18.0.2"),
    };
  }

  /** Expands a statement's words and finds its stdout redirection. */
  private parseWords(text: string): { words: string[]; redirect: Redirect } {
    const redirect: Redirect = { toFile: false };
    const raw = rawWords(text);
    const words: string[] = [];
    for (let i = 0; i < raw.length; i++) {
      const w = raw[i]!;
      const m = /^(\d|&)?(>>?|<)(&?)(.*)$/.exec(w);
      if (!m) {
        words.push(...this.words(w));
        continue;
      }
      const [, fd = "1", op, dup, attached] = m;
      const target = attached || (dup ? "" : (raw[++i] ?? ""));
      if (op === "<") continue;
      if (fd === "2") {
        if (!dup) redirect.stderrToFile = true;
        continue;
      }
      if (dup) {
        // >&2, 1>&2: to stderr, which is logged too
        redirect.toStderr = target === "2";
        continue;
      }
      if (!["/dev/stdout", "/dev/stderr", "/proc/1/fd/1", "/proc/1/fd/2"].includes(target)) redirect.toFile = true;
    }
    return { words, redirect };
  }

  /** Expands one raw word (or several, for `for … in`): quotes, variables, substitutions, `{a..b}`. */
  private words(raw: string): string[] {
    const out: string[] = [];
    for (const word of rawWords(raw)) {
      const range = /^\{(-?\d+)\.\.(-?\d+)\}$/.exec(word);
      if (range) {
        const [a, b] = [Number(range[1]), Number(range[2])];
        if (Math.abs(b - a) <= MAX_LINES) for (let i = a; a <= b ? i <= b : i >= b; i += a <= b ? 1 : -1) out.push(String(i));
        continue;
      }
      out.push(this.expand(word));
    }
    return out;
  }

  private expand(word: string): string {
    let out = "";
    let quote = "";
    for (let i = 0; i < word.length; i++) {
      const ch = word[i]!;
      if (quote === "'") {
        if (ch === "'") quote = "";
        else out += ch;
        continue;
      }
      if (ch === "\\" && i + 1 < word.length) {
        const next = word[i + 1]!;
        if (!quote || '"\\$`'.includes(next)) {
          out += next;
          i++;
        } else out += ch;
        continue;
      }
      if (ch === '"') {
        quote = quote ? "" : '"';
        continue;
      }
      if (ch === "'" && !quote) {
        quote = "'";
        continue;
      }
      if (ch === "`") {
        const close = word.indexOf("`", i + 1);
        const inner = close < 0 ? word.slice(i + 1) : word.slice(i + 1, close);
        out += this.substitute(inner);
        i = close < 0 ? word.length : close;
        continue;
      }
      if (ch !== "$") {
        out += ch;
        continue;
      }
      const rest = word.slice(i + 1);
      if (rest.startsWith("((")) {
        const close = rest.indexOf("))");
        out += this.arithmetic(close < 0 ? rest.slice(2) : rest.slice(2, close));
        i += close < 0 ? rest.length : close + 2;
      } else if (rest.startsWith("(")) {
        const close = matchingParen(rest);
        out += this.substitute(rest.slice(1, close));
        i += close + 1;
      } else if (rest.startsWith("{")) {
        const close = rest.indexOf("}");
        const name = rest.slice(1, close < 0 ? undefined : close).split(/[:\-=?+#%/]/, 1)[0]!;
        out += this.variable(name);
        i += close < 0 ? rest.length : close + 1;
      } else {
        const name = /^([A-Za-z_]\w*|[0-9?$#@*!-])/.exec(rest)?.[1];
        if (!name) out += "$";
        else {
          out += this.variable(name);
          i += name.length;
        }
      }
    }
    return out;
  }

  private variable(name: string): string {
    if (name === "?") return String(this.status);
    if (name === "$") return "1";
    if (name === "0") return "sh";
    return this.vars.get(name) ?? "";
  }

  /** `$(…)`: the output of the quick commands above (and an interactive shell's programs), trailing newlines removed. */
  private substitute(inner: string): string {
    const words = this.parseWords(inner.trim()).words;
    const name = basename(words[0] ?? "");
    const output = this.quickOutput(name, words.slice(1)) ?? (this.io ? (this.io.command(name, words.slice(1), "")?.stdout ?? "") : "");
    return output.replace(/\n+$/, "");
  }

  /** `$((…))`: integer + - * / % over numbers and variables. */
  private arithmetic(expr: string): string {
    const tokens = expr.match(/\d+|[A-Za-z_]\w*|[-+*/%()]/g) ?? [];
    const values = tokens.map((t) => (/^[A-Za-z_]/.test(t) ? String(Number(this.vars.get(t) ?? 0) || 0) : t));
    let pos = 0;
    const factor = (): number => {
      const t = values[pos++];
      if (t === "(") {
        const v = sum();
        pos++;
        return v;
      }
      if (t === "-") return -factor();
      return Number(t) || 0;
    };
    const product = (): number => {
      let v = factor();
      while (values[pos] === "*" || values[pos] === "/" || values[pos] === "%") {
        const op = values[pos++];
        const r = factor();
        v = op === "*" ? v * r : r === 0 ? 0 : op === "/" ? Math.trunc(v / r) : v % r;
      }
      return v;
    };
    const sum = (): number => {
      let v = product();
      while (values[pos] === "+" || values[pos] === "-") v = values[pos++] === "+" ? v + product() : v - product();
      return v;
    };
    return String(sum());
  }
}

/** How much simulated script time one interactive command line may take (an endless loop stops there). */
export const SESSION_HORIZON_MS = 10 * 60_000;

export interface ShellSessionOptions {
  pod: KObject;
  container: LogContainerSpec;
  io: ShellIO;
  /** Wall-clock epoch ms the session starts (what `date` prints). */
  now: number;
  speed?: number;
}

/**
 * One interactive shell of `kubectl exec`/`attach`: scripts and stdin lines run against the
 * container's world, variables live on between lines. Each command line may take at most
 * {@link SESSION_HORIZON_MS} of simulated time.
 */
export class ShellSession {
  private readonly sim: Simulation;
  private readonly io: ShellIO;
  private buffered = "";
  private offset = 0;

  constructor(options: ShellSessionOptions) {
    this.io = options.io;
    const speed = options.speed ?? 1;
    const run: ContainerRun = { pod: options.pod, container: options.container, containerID: "exec", startedAt: options.now, speed };
    this.sim = new Simulation(run, Number.MAX_SAFE_INTEGER, (offset) => options.now + offset / speed, options.io);
  }

  /** `sh -c SCRIPT`. */
  run(script: string): void {
    if (this.exited || this.blocked) return;
    const horizon = this.sim.t + SESSION_HORIZON_MS;
    this.sim.horizon = horizon;
    this.sim.exec(parse(statements(script), 0, new Set())[0]);
    this.offset = this.sim.t;
  }

  /** One line read from stdin; a block (`for`, `while`, `if`) runs once its last line is in. */
  line(text: string): void {
    this.buffered += `${text}\n`;
    if (!isComplete(this.buffered)) return;
    const script = this.buffered;
    this.buffered = "";
    this.run(script);
  }

  /** A program run without a shell (`kubectl exec pod -- env`): no expansion. */
  program(argv: string[]): void {
    this.sim.horizon = this.sim.t + SESSION_HORIZON_MS;
    this.sim.direct = true;
    const output = this.sim.command(argv, { toFile: false });
    this.sim.direct = false;
    if (output) this.io.write(1, output);
  }

  /** Ctrl-C: a blocking program stops (status 130); a half-typed block is dropped. */
  interrupt(): void {
    this.buffered = "";
    if (this.sim.halt !== "forever") return;
    this.sim.halt = null;
    this.sim.status = 130;
  }

  /** `exit` ran. */
  get exited(): boolean {
    return this.sim.halt === "exit";
  }

  /** A program that never ends by itself is running (`sleep infinity`, `tail -f`). */
  get blocked(): boolean {
    return this.sim.halt === "forever";
  }

  /** The shell's exit status: what `exit` gave, else the last command's. */
  get exitCode(): number {
    return this.sim.exitCode ?? this.sim.status;
  }

  /** Simulated ms the session's commands have slept so far. */
  get elapsedMs(): number {
    return this.offset;
  }
}

/** Whether a script's blocks are all closed (every `for`/`while`/`until`/`if` has its `done`/`fi`). */
function isComplete(script: string): boolean {
  let depth = 0;
  for (const t of statements(script)) {
    const word = t.split(/\s/, 1)[0]!;
    if (word === "while" || word === "until" || word === "for" || word === "if") depth++;
    else if (word === "done" || word === "fi") depth--;
  }
  return depth <= 0;
}

/** A filter reading a pipe (`grep`, `head`, `tail`, `sort`, `wc`), or null for another program. */
function pipeFilter(name: string, args: string[], input: string): CommandResult | null {
  const lines = input.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const out = (ls: string[]) => ls.map((l) => `${l}\n`).join("");
  const count = () => {
    const n = args.find((a) => /^-?\d+$/.test(a));
    return n === undefined ? 10 : Math.abs(Number(n));
  };
  switch (name) {
    case "grep": {
      const flags = args.filter((a) => a.startsWith("-")).join("");
      const pattern = args.find((a) => !a.startsWith("-")) ?? "";
      let re: RegExp;
      try {
        re = new RegExp(pattern, flags.includes("i") ? "i" : "");
      } catch {
        re = new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
      }
      const matched = lines.filter((l) => re.test(l) !== flags.includes("v"));
      if (flags.includes("c")) return { stdout: `${matched.length}\n`, code: matched.length ? 0 : 1 };
      return { stdout: out(matched), code: matched.length ? 0 : 1 };
    }
    case "head":
      return { stdout: out(lines.slice(0, count())), code: 0 };
    case "tail":
      return args.includes("-f") ? null : { stdout: out(lines.slice(-count() || lines.length)), code: 0 };
    case "sort": {
      const sorted = [...lines].sort();
      return { stdout: out(args.includes("-r") ? sorted.reverse() : sorted), code: 0 };
    }
    case "wc":
      return { stdout: args.includes("-l") ? `${lines.length}\n` : `${lines.length} ${input.split(/\s+/).filter(Boolean).length} ${input.length}\n`, code: 0 };
    case "cat":
    case "tee":
      return { stdout: input, code: 0 };
  }
  return null;
}

/** The container's `env` with literal values, each expanded against those before it, as the kubelet does. */
function declaredEnv(container: LogContainerSpec): [string, string][] {
  const vars = new Map<string, string>();
  for (const e of container.env ?? []) vars.set(e.name, kubeExpand(String(e.value ?? ""), vars));
  return [...vars];
}

/** Kubernetes' `$(VAR)` expansion of command, args and env values (`$$` escapes a `$`). */
function kubeExpand(text: string, vars: Map<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][\w.-]*)\)/g, (m, name: string | undefined) => {
    if (m === "$$") return "$";
    return vars.has(name!) ? vars.get(name!)! : m;
  });
}

/** Words of a statement, quotes kept (expanded later), split on unquoted blanks. */
function rawWords(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote = "";
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === "\\" && quote === '"' && i + 1 < text.length) {
        cur += ch + text[++i];
        continue;
      }
      if (ch === quote) quote = "";
      cur += ch;
      continue;
    }
    if (ch === "\\" && i + 1 < text.length) {
      cur += ch + text[++i];
      continue;
    }
    if (ch === "'" || ch === '"' || ch === "`") quote = ch;
    if (ch === "(") depth++;
    if (ch === ")") depth = Math.max(0, depth - 1);
    if (depth === 0 && /\s/.test(ch)) {
      if (cur) out.push(cur);
      cur = "";
      continue;
    }
    cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

function splitPipeline(text: string): string[] {
  const segments: string[] = [];
  let cur = "";
  let quote = "";
  let depth = 0;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = "";
    } else if (ch === "'" || ch === '"' || ch === "`") quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")") depth = Math.max(0, depth - 1);
    else if (ch === "|" && depth === 0) {
      segments.push(cur.trim());
      cur = "";
      continue;
    }
    cur += ch;
  }
  segments.push(cur.trim());
  return segments.filter(Boolean);
}

/** Index of the `)` closing the `(` at 0. */
function matchingParen(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")" && --depth === 0) return i;
  }
  return s.length;
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", a: "\x07", b: "\b", f: "\f", v: "\v", e: "\x1b", '"': '"' };
const unescape = (s: string) => s.replace(/\\(.)/g, (m, c: string) => ESCAPES[c] ?? m);

/** busybox `echo`: `-n` (no newline), `-e` (escapes), `-E`. */
function echo(args: string[]): string {
  let newline = true;
  let escapes = false;
  let i = 0;
  for (; i < args.length && /^-[neE]+$/.test(args[i]!); i++) {
    if (args[i]!.includes("n")) newline = false;
    if (args[i]!.includes("e")) escapes = true;
  }
  const text = args.slice(i).join(" ");
  return (escapes ? unescape(text) : text) + (newline ? "\n" : "");
}

/** `printf FORMAT ARGS…`, the format reused while arguments remain. */
function printf(format: string, args: string[]): string {
  let out = "";
  let next = 0;
  do {
    out += unescape(format).replace(/%([-+ 0#]*\d*(?:\.\d+)?)([sdiuxXocf%])/g, (_m, flags: string, conv: string) => {
      if (conv === "%") return "%";
      const arg = args[next++] ?? "";
      const n = Number(arg) || 0;
      let s: string;
      if (conv === "s") s = arg;
      else if (conv === "c") s = arg.slice(0, 1);
      else if (conv === "x" || conv === "X") s = Math.trunc(n).toString(16)[conv === "X" ? "toUpperCase" : "toLowerCase"]();
      else if (conv === "o") s = Math.trunc(n).toString(8);
      else if (conv === "f") s = n.toFixed(Number(/\.(\d+)/.exec(flags)?.[1] ?? 6));
      else s = String(Math.trunc(n));
      const width = Number(/(\d+)(?:\.\d+)?$/.exec(flags.replace(/^[-+ 0#]*/, ""))?.[1] ?? 0);
      return flags.includes("-") ? s.padEnd(width) : s.padStart(width, flags.startsWith("0") && conv !== "s" ? "0" : " ");
    });
  } while (next > 0 && next < args.length);
  return out;
}

// ---- time formats ----------------------------------------------------------------------------

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const p2 = (n: number) => String(n).padStart(2, "0");

function parts(ms: number) {
  const d = new Date(Math.floor(ms));
  return {
    y: d.getUTCFullYear(),
    mo: d.getUTCMonth(),
    day: d.getUTCDate(),
    wd: d.getUTCDay(),
    hms: `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`,
    ms: String(d.getUTCMilliseconds()).padStart(3, "0"),
  };
}

/** `date` in a container (TZ unset): `Fri Jan  2 03:04:05 UTC 2026`. */
function formatDate(ms: number): string {
  const t = parts(ms);
  return `${DAYS[t.wd]} ${MONTHS[t.mo]} ${String(t.day).padStart(2, " ")} ${t.hms} UTC ${t.y}`;
}

// ---- images ----------------------------------------------------------------------------------

interface ProfileContext {
  /** Wall-clock ms of a start-up offset. */
  at(offsetMs: number): number;
  tag: string;
  /** Started by the image's entrypoint (not a command line naming the program). */
  entrypoint: boolean;
  seed: string;
  podIP: string;
  hostIP: string;
}

type Profile = (ctx: ProfileContext) => { offset: number; text: string }[];

/** The version a tag names (`1.27.3`, `v1.32.5`, `7.4-alpine` → `7.4`), or the fallback. */
function versionOf(tag: string, fallback: string, parts = 3): string {
  const m = /^v?(\d+(?:\.\d+){0,2})/.exec(tag);
  if (!m) return fallback;
  const have = m[1]!.split(".");
  const want = fallback.replace(/^v/, "").split(".");
  return [...have, ...want.slice(have.length, parts)].join(".");
}

const micros = (ctx: ProfileContext, offset: number) => {
  const ms = ctx.at(offset);
  return String(Math.floor(ms) % 1000).padStart(3, "0") + String(parseInt(hex64(`${ctx.seed}/${offset}`).slice(0, 6), 16) % 1000).padStart(3, "0");
};

/** A klog header line: `I0102 03:04:05.123456       1 file.go:42] message`. */
function klog(ctx: ProfileContext, offset: number, source: string, message: string, severity = "I"): { offset: number; text: string } {
  const t = parts(ctx.at(offset));
  return { offset, text: `${severity}${p2(t.mo + 1)}${p2(t.day)} ${t.hms}.${micros(ctx, offset)}       1 ${source}] ${message}` };
}

const nginx: Profile = (ctx) => {
  const version = versionOf(ctx.tag, "1.27.5");
  const stamp = (o: number) => {
    const t = parts(ctx.at(o));
    return `${t.y}/${p2(t.mo + 1)}/${p2(t.day)} ${t.hms}`;
  };
  const ep = "/docker-entrypoint.sh";
  const lines = [
    `${ep}: /docker-entrypoint.d/ is not empty, will attempt to perform configuration`,
    `${ep}: Looking for shell scripts in /docker-entrypoint.d/`,
    `${ep}: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh`,
    "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
    "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
    `${ep}: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh`,
    `${ep}: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh`,
    `${ep}: Launching /docker-entrypoint.d/30-tune-worker-processes.sh`,
    `${ep}: Configuration complete; ready for start up`,
  ].map((text, i) => ({ offset: i * 3, text }));
  const notices = [
    'using the "epoll" event method',
    `nginx/${version}`,
    "built by gcc 12.2.0 (Debian 12.2.0-14) ",
    "OS: Linux 6.8.0-51-generic",
    "getrlimit(RLIMIT_NOFILE): 1048576:1048576",
    "start worker processes",
    "start worker process 29",
    "start worker process 30",
  ].map((n, i) => ({ offset: 30 + i, text: `${stamp(30 + i)} [notice] 1#1: ${n}` }));
  return ctx.entrypoint ? [...lines, ...notices] : notices;
};

const redis: Profile = (ctx) => {
  const version = versionOf(ctx.tag, "7.4.2");
  const stamp = (o: number) => {
    const t = parts(ctx.at(o));
    return `${p2(t.day)} ${MONTHS[t.mo]} ${t.y} ${t.hms}.${t.ms}`;
  };
  const l = (offset: number, role: string, mark: string, text: string) => ({ offset, text: `1:${role} ${stamp(offset)} ${mark} ${text}` });
  return [
    l(0, "C", "*", "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"),
    l(0, "C", "*", `Redis version=${version}, bits=64, commit=00000000, modified=0, pid=1, just started`),
    l(0, "C", "#", "Warning: no config file specified, using the default config. In order to specify a config file use redis-server /path/to/redis.conf"),
    l(1, "M", "*", "monotonic clock: POSIX clock_gettime"),
    l(1, "M", "*", "Running mode=standalone, port=6379."),
    l(2, "M", "*", "Server initialized"),
    l(2, "M", "*", "Ready to accept connections tcp"),
  ];
};

const httpd: Profile = (ctx) => {
  const version = versionOf(ctx.tag, "2.4.63");
  const stamp = (o: number) => {
    const t = parts(ctx.at(o));
    return `[${DAYS[t.wd]} ${MONTHS[t.mo]} ${p2(t.day)} ${t.hms}.${micros(ctx, o)} ${t.y}]`;
  };
  const fqdn = `AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using ${ctx.podIP}. Set the 'ServerName' directive globally to suppress this message`;
  return [
    { offset: 0, text: fqdn },
    { offset: 5, text: fqdn },
    { offset: 8, text: `${stamp(8)} [mpm_event:notice] [pid 1:tid 1] AH00489: Apache/${version} (Unix) configured -- resuming normal operations` },
    { offset: 8, text: `${stamp(8)} [core:notice] [pid 1:tid 1] AH00094: Command line: 'httpd -D FOREGROUND'` },
  ];
};

const coredns: Profile = (ctx) => {
  const version = versionOf(ctx.tag, "1.11.3");
  return [
    { offset: 0, text: ".:53" },
    { offset: 0, text: `[INFO] plugin/reload: Running configuration SHA512 = ${hex64(`corefile/${ctx.seed}`)}${hex64(`corefile2/${ctx.seed}`)}` },
    { offset: 0, text: `CoreDNS-${version}` },
    { offset: 0, text: `linux/amd64, go1.21.11, ${hex64(`coredns/${version}`).slice(0, 7)}` },
  ];
};

const kubeVersion = (ctx: ProfileContext) => `v${versionOf(ctx.tag, "1.32.5")}`;

const kubeProxy: Profile = (ctx) => [
  klog(ctx, 0, "server_linux.go:66", '"Using iptables proxy"'),
  klog(ctx, 20, "server.go:698", `"Successfully retrieved node IP(s)" IPs=["${ctx.hostIP}"]`),
  klog(ctx, 25, "server.go:243", '"kube-proxy running in dual-stack mode" primary ipFamily="IPv4"'),
  klog(ctx, 26, "server_linux.go:170", '"Using iptables Proxier"'),
  klog(ctx, 30, "proxier.go:255", '"Setting route_localnet=1 to allow node-ports on localhost; to change this either disable iptables.localhostNodePorts (--iptables-localhost-nodeports) or set nodePortAddresses (--nodeport-addresses) to filter loopback addresses" ipFamily="IPv4"'),
  klog(ctx, 31, "server.go:483", `"Version info" version="${kubeVersion(ctx)}"`),
  klog(ctx, 33, "config.go:199", '"Starting service config controller"'),
  klog(ctx, 33, "shared_informer.go:313", "Waiting for caches to sync for service config"),
  klog(ctx, 34, "config.go:105", '"Starting endpoint slice config controller"'),
  klog(ctx, 34, "shared_informer.go:313", "Waiting for caches to sync for endpoint slice config"),
  klog(ctx, 135, "shared_informer.go:320", "Caches are synced for service config"),
  klog(ctx, 135, "shared_informer.go:320", "Caches are synced for endpoint slice config"),
];

const etcd: Profile = (ctx) => {
  const version = versionOf(ctx.tag, "3.5.16");
  const line = (offset: number, caller: string, msg: string, extra: Record<string, unknown> = {}) => {
    const ts = new Date(Math.floor(ctx.at(offset))).toISOString().slice(0, 19) + `.${micros(ctx, offset)}Z`;
    return { offset, text: JSON.stringify({ level: "info", ts, caller, msg, ...extra }) };
  };
  return [
    line(0, "etcdmain/etcd.go:73", "Running: ", { args: ["etcd", `--advertise-client-urls=https://${ctx.hostIP}:2379`, "--data-dir=/var/lib/etcd"] }),
    line(1, "embed/etcd.go:128", "configuring peer listeners", { "listen-peer-urls": [`https://${ctx.hostIP}:2380`] }),
    line(2, "embed/etcd.go:309", "starting an etcd server", { "etcd-version": version, "go-version": "go1.22.8", "go-os": "linux", "go-arch": "amd64" }),
    line(310, "etcdserver/server.go:2068", "published local member to cluster through raft", { "cluster-id": hex64(`etcd-cluster/${ctx.hostIP}`).slice(0, 16) }),
    line(311, "embed/serve.go:250", "serving client traffic securely", { traffic: "grpc+http", address: `${ctx.hostIP}:2379` }),
  ];
};

const kubeApiserver: Profile = (ctx) => [
  klog(ctx, 0, "options.go:238", `external host was not specified, using ${ctx.hostIP}`),
  klog(ctx, 2, "server.go:143", `Version: ${kubeVersion(ctx)}`),
  klog(ctx, 2, "server.go:145", '"Golang settings" GOGC="" GOMAXPROCS="" GOTRACEBACK=""'),
  klog(ctx, 900, "secure_serving.go:213", "Serving securely on [::]:6443"),
  klog(ctx, 1200, "controller.go:615", "quota admission added evaluator for: namespaces"),
];

const leader = (component: string, port: number): Profile => (ctx) => [
  klog(ctx, 0, "serving.go:386", "Generated self-signed cert in-memory"),
  klog(ctx, 400, component === "kube-scheduler" ? "server.go:166" : "controllermanager.go:185", `"${component === "kube-scheduler" ? "Starting Kubernetes Scheduler" : "Starting"}" version="${kubeVersion(ctx)}"`),
  klog(ctx, 410, "secure_serving.go:213", `Serving securely on 127.0.0.1:${port}`),
  klog(ctx, 420, "leaderelection.go:257", `attempting to acquire leader lease kube-system/${component}...`),
  klog(ctx, 440, "leaderelection.go:271", `successfully acquired lease kube-system/${component}`),
];

/** Start-up lines by the image's short repository name. */
const IMAGE_PROFILES: Record<string, Profile> = {
  nginx,
  redis,
  httpd,
  coredns,
  "kube-proxy": kubeProxy,
  etcd,
  "kube-apiserver": kubeApiserver,
  "kube-scheduler": leader("kube-scheduler", 10259),
  "kube-controller-manager": leader("kube-controller-manager", 10257),
};

/** Server programs started from a command line, by the profile they print. */
const SERVER_PROGRAMS: Record<string, string> = {
  nginx: "nginx",
  "redis-server": "redis",
  "httpd-foreground": "httpd",
  httpd: "httpd",
  coredns: "coredns",
  "kube-proxy": "kube-proxy",
  etcd: "etcd",
  "kube-apiserver": "kube-apiserver",
  "kube-scheduler": "kube-scheduler",
  "kube-controller-manager": "kube-controller-manager",
};
