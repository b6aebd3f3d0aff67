/**
 * One exec or attach stream, independent of the socket that carries it: frames in
 * ({@link StreamSession.receive}), frames out through a {@link FrameSink}.
 *
 * Exec runs the command in a simulated shell (../../controlplane/kubelet/logs.ts) and ends with
 * its exit status on the error stream:
 * - `sh -c SCRIPT` (any shell) runs the script; a program runs without a shell.
 * - A shell without `-c` reads stdin line by line (with a `/ # ` prompt on a TTY) until `exit`,
 *   Ctrl-D on a TTY, or the client closes stdin (v5's close signal); without stdin it ends at once.
 *
 * Attach shows what the container prints: its current run's output so far, then each new line
 * ({@link AttachSession.tick}) until the run ends. A container that is a shell started with
 * `stdin: true` reads the client's stdin lines as an exec shell would.
 *
 * On a TTY, output goes to stdout with `\r\n` line ends and typed input is echoed (the client's
 * terminal is raw): Enter runs the line, Backspace erases, Ctrl-C interrupts.
 */
import { containerLog, isShell, readsStdinAsShell, ShellSession, type ContainerRun, type ShellIO } from "../../controlplane/kubelet/logs";
import type { KObject } from "../../registry/types";
import type { ContainerSpec } from "./environment";
import { encodeFrame, exitStatus, decodeFrame, internalErrorStatus, STREAM } from "./protocol";
import type { ContainerWorld } from "./world";

export interface FrameSink {
  send(frame: Uint8Array): void;
  /** Closes the connection (normal closure). */
  close(): void;
}

/** The PodExecOptions / PodAttachOptions of the query. */
export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  container: string;
  command: string[];
}

const bool = (v: string | null) => v === "true" || v === "1";

export function parseStreamOptions(query: URLSearchParams): StreamOptions {
  return {
    stdin: bool(query.get("stdin")),
    stdout: bool(query.get("stdout")),
    stderr: bool(query.get("stderr")),
    tty: bool(query.get("tty")),
    container: query.get("container") ?? "",
    command: query.getAll("command"),
  };
}

interface InputHandlers {
  line(text: string): void;
  eof(): void;
  interrupt(): void;
}

/** Output framing and stdin line assembly, with a terminal's line discipline on a TTY. */
class Terminal {
  private partial = "";
  private escape = 0;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly sink: FrameSink,
    private readonly options: StreamOptions,
    private readonly handlers: InputHandlers,
  ) {}

  write(fd: 1 | 2, text: string): void {
    if (!text) return;
    const stream = this.options.tty ? STREAM.stdout : fd;
    if (stream === STREAM.stdout && !this.options.stdout) return;
    if (stream === STREAM.stderr && !this.options.stderr) return;
    this.sink.send(encodeFrame(stream, this.options.tty ? text.replace(/\r?\n/g, "\r\n") : text));
  }

  input(bytes: Uint8Array): void {
    for (const ch of this.decoder.decode(bytes, { stream: true })) {
      if (!this.options.tty) {
        if (ch === "\n") this.enter();
        else this.partial += ch;
        continue;
      }
      if (this.escape > 0) {
        // An escape sequence (arrow keys…): ESC [ X is ignored.
        this.escape = ch === "[" && this.escape === 1 ? 2 : 0;
        continue;
      }
      if (ch === "\x1b") this.escape = 1;
      else if (ch === "\r" || ch === "\n") {
        this.write(1, "\n");
        this.enter();
      } else if (ch === "\x7f" || ch === "\b") {
        if (this.partial) {
          this.partial = this.partial.slice(0, -1);
          this.write(1, "\b \b");
        }
      } else if (ch === "\x03") {
        this.partial = "";
        this.write(1, "^C\n");
        this.handlers.interrupt();
      } else if (ch === "\x04") {
        if (!this.partial) this.handlers.eof();
      } else if (ch >= " " || ch === "\t") {
        this.partial += ch;
        this.write(1, ch);
      }
    }
  }

  /** The client closed stdin: a last unterminated line still runs. */
  end(): void {
    if (this.partial) this.enter();
    this.handlers.eof();
  }

  private enter(): void {
    const line = this.partial;
    this.partial = "";
    this.handlers.line(line);
  }
}

export interface SessionContext {
  sink: FrameSink;
  options: StreamOptions;
  pod: KObject;
  container: ContainerSpec;
  world: ContainerWorld;
  /** Wall-clock epoch ms. */
  now(): number;
  speed: number;
}

/** What exec and attach share: the terminal, an optional shell, the error stream at the end. */
abstract class StreamSession {
  protected readonly terminal: Terminal;
  protected shell: ShellSession | null = null;
  private finished = false;
  /** Frames that arrived before the session started (kubectl sends stdin at once); null once started. */
  private early: (ArrayBuffer | Uint8Array | string)[] | null = [];

  constructor(protected readonly ctx: SessionContext) {
    this.terminal = new Terminal(ctx.sink, ctx.options, {
      line: (text) => this.onLine(text),
      eof: () => this.onEof(),
      interrupt: () => this.onInterrupt(),
    });
  }

  protected onInterrupt(): void {
    this.shell?.interrupt();
    this.prompt();
  }

  /** The first frame: an empty message on the lowest stream the client reads tells it the stream is up. */
  protected announce(): void {
    const { options, sink } = this.ctx;
    sink.send(encodeFrame(options.stdout ? STREAM.stdout : options.stderr ? STREAM.stderr : STREAM.error));
  }

  receive(data: ArrayBuffer | Uint8Array | string): void {
    if (this.early) {
      this.early.push(data);
      return;
    }
    const frame = decodeFrame(data);
    if (!frame || this.finished) return;
    if (frame.stream === STREAM.stdin) this.terminal.input(frame.payload);
    else if (frame.stream === STREAM.close && frame.payload[0] === STREAM.stdin) this.terminal.end();
  }

  /** The session runs: frames received so far are handled now. */
  protected started(): void {
    const early = this.early ?? [];
    this.early = null;
    for (const data of early) this.receive(data);
  }

  get done(): boolean {
    return this.finished;
  }

  /** The stream could not run: it opens and ends at once with an internal error. */
  fail(message: string): void {
    this.announce();
    this.finish(1, message);
    this.early = null;
  }

  /** Sends the final status and closes. */
  finish(exitCode: number, error?: string): void {
    if (this.finished) return;
    this.finished = true;
    const status = error === undefined ? exitStatus(exitCode) : internalErrorStatus(error);
    this.ctx.sink.send(encodeFrame(STREAM.error, JSON.stringify(status)));
    this.ctx.sink.close();
  }

  protected newShell(): ShellSession {
    const io: ShellIO = { ...this.ctx.world, write: (fd, text) => this.terminal.write(fd, text) };
    return new ShellSession({ pod: this.ctx.pod, container: this.ctx.container, io, now: this.ctx.now(), speed: this.ctx.speed });
  }

  protected prompt(): void {
    if (this.shell && this.ctx.options.tty && !this.shell.exited && !this.shell.blocked) this.terminal.write(1, "/ # ");
  }

  protected onLine(text: string): void {
    const shell = this.shell;
    if (!shell || shell.blocked) return;
    shell.line(text);
    if (shell.exited) this.onShellExit(shell.exitCode);
    else this.prompt();
  }

  protected onEof(): void {
    if (this.shell) this.onShellExit(this.shell.exitCode);
  }

  protected abstract onShellExit(code: number): void;
}

/** pods/exec: one command in the container. */
export class ExecSession extends StreamSession {
  /** The command is a shell reading stdin (rather than a script or a program). */
  private interactive = false;

  start(): void {
    this.announce();
    const argv = this.ctx.options.command;
    const shell = (this.shell = this.newShell());
    this.run(argv, shell);
    this.started();
  }

  private run(argv: string[], shell: ShellSession): void {
    if (!isShell(argv[0]!)) {
      shell.program(argv);
      if (!shell.blocked) this.finish(shell.exitCode);
      return;
    }
    const c = argv.indexOf("-c");
    if (c >= 0) {
      if (c + 1 >= argv.length) {
        this.terminal.write(2, `${argv[0]}: -c requires an argument\n`);
        return this.finish(2);
      }
      shell.run(argv[c + 1]!);
      if (!shell.blocked) this.finish(shell.exitCode);
      return;
    }
    // An interactive shell reads stdin; without stdin it reads EOF at once.
    if (!this.ctx.options.stdin) return this.finish(0);
    this.interactive = true;
    this.prompt();
  }

  /** Ctrl-C ends a script or program (status 130); an interactive shell goes on. */
  protected override onInterrupt(): void {
    if (this.interactive) super.onInterrupt();
    else this.finish(130);
  }

  protected override onLine(text: string): void {
    if (this.interactive) super.onLine(text);
  }

  protected override onEof(): void {
    if (this.interactive) super.onEof();
  }

  protected onShellExit(code: number): void {
    this.finish(code);
  }
}

/** pods/attach: the container's own output, and its shell's stdin when it reads one. */
export class AttachSession extends StreamSession {
  private sent = 0;

  constructor(
    ctx: SessionContext,
    private run: ContainerRun,
  ) {
    super(ctx);
  }

  start(): void {
    this.announce();
    if (this.ctx.options.stdin && this.ctx.container.stdin && readsStdinAsShell(this.ctx.container)) this.shell = this.newShell();
    this.flush(this.ctx.now());
    this.started();
  }

  /**
   * Called with the pod as it is now (null once deleted): new output is sent; the stream ends
   * when the run it attached to has ended.
   */
  tick(pod: KObject | null, ended: { finishedAt: number; exitCode: number } | null): void {
    if (this.done) return;
    if (ended) this.run = { ...this.run, finishedAt: ended.finishedAt, exitCode: ended.exitCode };
    this.flush(ended ? ended.finishedAt : this.ctx.now());
    if (!pod || ended) this.finish(0);
  }

  private flush(until: number): void {
    const lines = containerLog(this.run, until);
    for (const line of lines.slice(this.sent)) this.terminal.write(1, `${line.text}\n`);
    this.sent = Math.max(this.sent, lines.length);
  }

  protected onShellExit(): void {
    // The container's shell ended: so does its only process, and the attach with it.
    this.finish(0);
  }
}
