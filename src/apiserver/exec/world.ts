/**
 * A container as an exec sees it: its environment, its files and its network, read from the
 * cluster once when the exec starts. The shell itself (../../controlplane/kubelet/logs.ts) asks it
 * for the programs it does not know: `cat`, `ls`, `nslookup`, `getent`, `host`.
 */
import type { CommandResult, ShellIO } from "../../controlplane/kubelet/logs";
import type { KObject } from "../../registry/types";
import { getentHosts, host, nslookup } from "./dns";
import { containerEnv, type ClusterView, type ContainerSpec } from "./environment";
import { containerFiles, listDirectory, resolvConf, type FileSystem } from "./files";

export type ContainerWorld = Pick<ShellIO, "env" | "command">;

/** Absolute path of `path` from the working directory `/`, with `.` and `..` resolved. */
export function absolutePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (!part || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

function cat(fs: FileSystem, args: string[], stdin: string): CommandResult {
  const paths = args.filter((a) => a === "-" || !a.startsWith("-"));
  if (!paths.length) return { stdout: stdin, code: 0 };
  let stdout = "";
  let stderr = "";
  for (const p of paths) {
    if (p === "-") {
      stdout += stdin;
      continue;
    }
    const path = absolutePath(p);
    const content = fs.files.get(path);
    if (content !== undefined) stdout += content;
    else if (listDirectory(fs, path)) stderr += `cat: read error: Is a directory\n`;
    else stderr += `cat: can't open '${p}': No such file or directory\n`;
  }
  return { stdout, stderr, code: stderr ? 1 : 0 };
}

function ls(fs: FileSystem, args: string[]): CommandResult {
  const all = args.some((a) => /^-\w*a/.test(a));
  const paths = args.filter((a) => !a.startsWith("-"));
  const targets = paths.length ? paths : ["."];
  let stdout = "";
  let stderr = "";
  for (const p of targets) {
    const path = absolutePath(p);
    if (fs.files.has(path)) {
      stdout += `${p}\n`;
      continue;
    }
    const entries = listDirectory(fs, path);
    if (!entries) {
      stderr += `ls: ${p}: No such file or directory\n`;
      continue;
    }
    if (targets.length > 1) stdout += `${p}:\n`;
    const shown = all ? [".", "..", ...entries] : entries.filter((e) => !e.startsWith("."));
    stdout += shown.map((e) => `${e}\n`).join("");
    if (targets.length > 1) stdout += "\n";
  }
  return { stdout, stderr, code: stderr ? 1 : 0 };
}

/** The environment and the programs of one container of `pod`, over the cluster `view`. */
export function containerWorld(pod: KObject, container: ContainerSpec, view: ClusterView): ContainerWorld {
  const fs = containerFiles(pod, container, view);
  const conf = resolvConf(pod, view);
  return {
    env: containerEnv(pod, container, view),
    command(name, args, stdin) {
      switch (name) {
        case "cat":
          return cat(fs, args, stdin);
        case "ls":
          return ls(fs, args);
        case "nslookup":
          return nslookup(args, conf, view);
        case "getent":
          return getentHosts(args, conf, view);
        case "host":
          return host(args, conf, view);
      }
      return null;
    },
  };
}
