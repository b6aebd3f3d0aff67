/**
 * What simulated containers print (src/controlplane/kubelet/logs.ts): the lines `kubectl logs`
 * shows for a run, their times, and the start-up lines of common images.
 */
import { describe, expect, it } from "vitest";
import { containerLog, formatLogTimestamp, MAX_LINES, type ContainerRun, type LogContainerSpec } from "../../src/controlplane/kubelet/logs";
import type { KObject } from "../../src/registry/types";
import { T0 } from "./support/cluster";

const POD: KObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "default", uid: "uid-1" },
  spec: {},
  status: { podIP: "10.244.1.5", hostIP: "172.18.0.3" },
};
const HOUR = 3_600_000;

function run(container: Partial<LogContainerSpec>, extra: Partial<ContainerRun> = {}): ContainerRun {
  return { pod: POD, container: { name: "main", ...container }, containerID: "containerd://run-0", startedAt: T0, ...extra };
}
const texts = (r: ContainerRun, until = T0 + HOUR) => containerLog(r, until).map((l) => l.text);
const sh = (script: string, extra: Partial<LogContainerSpec> = {}) => ({ image: "busybox:1.36", command: ["sh", "-c", script], ...extra });

describe("image start-up lines", () => {
  it.each([
    ["nginx:1.27.3", ["/docker-entrypoint.sh: Configuration complete; ready for start up", "[notice] 1#1: nginx/1.27.3", "[notice] 1#1: start worker processes", "[notice] 1#1: start worker process 29"]],
    ["redis:7.2", ["Redis version=7.2", "* Ready to accept connections tcp"]],
    ["httpd:2.4", ["AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using 10.244.1.5.", "Apache/2.4", "resuming normal operations"]],
    ["registry.k8s.io/coredns/coredns:v1.11.3", [".:53", "CoreDNS-1.11.3", "linux/amd64, go"]],
    ["registry.k8s.io/kube-proxy:v1.32.5", ['"Using iptables Proxier"', 'version="v1.32.5"']],
    ["registry.k8s.io/etcd:3.5.16-0", ['"msg":"serving client traffic securely"']],
    ["registry.k8s.io/kube-apiserver:v1.32.5", ["Serving securely on [::]:6443"]],
    ["registry.k8s.io/kube-scheduler:v1.32.5", ["successfully acquired lease kube-system/kube-scheduler"]],
    ["registry.k8s.io/kube-controller-manager:v1.32.5", ["successfully acquired lease kube-system/kube-controller-manager"]],
  ])("%s prints its start-up lines", (image, expected) => {
    const out = texts(run({ image })).join("\n");
    for (const fragment of expected) expect(out).toContain(fragment);
  });

  it("prints nginx's lines in order, dated like nginx does", () => {
    const lines = texts(run({ image: "nginx:1.27" }));
    expect(lines[0]).toBe("/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration");
    expect(lines.at(-1)).toBe("2026/01/02 03:04:05 [notice] 1#1: start worker process 30");
  });

  it("klog lines carry the klog header", () => {
    expect(texts(run({ image: "registry.k8s.io/kube-proxy:v1.32.5", command: ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf"] }))[0]).toMatch(
      /^I0102 03:04:05\.\d{6} {7}1 server_linux\.go:66\] "Using iptables proxy"$/,
    );
  });

  it.each([["busybox"], ["alpine:3.20"], ["example.com/team/app:v1"]])("%s with its default entrypoint prints nothing", (image) => {
    expect(texts(run({ image }))).toEqual([]);
  });

  it("a server started from a script prints its own lines after the script's", () => {
    const lines = texts(run(sh("echo starting; exec nginx -g 'daemon off;'", { image: "nginx:1.27" })));
    expect(lines[0]).toBe("starting");
    expect(lines[1]).toMatch(/\[notice\] 1#1: using the "epoll" event method$/);
    expect(lines).not.toContain("/docker-entrypoint.sh: Configuration complete; ready for start up");
  });
});

describe("shell scripts", () => {
  it("prints echo and printf output in order, each line at the time its sleeps decide", () => {
    const lines = containerLog(run(sh('echo "hello from $HOSTNAME"; sleep 5; printf "%s=%d\\n" a 1 b 2; sleep 1m; echo done')), T0 + HOUR);
    expect(lines.map((l) => [l.text, Math.floor((l.at - T0) / 1000)])).toEqual([
      ["hello from web", 0],
      ["a=1", 5],
      ["b=2", 5],
      ["done", 65],
    ]);
  });

  it("expands the container's env (with Kubernetes' $(VAR) references), quotes and command substitutions", () => {
    const env = [
      { name: "GREETING", value: "hi" },
      { name: "MESSAGE", value: "$(GREETING) there" },
    ];
    const script = "echo \"$MESSAGE\" '$MESSAGE' ${GREETING}!; echo $(hostname) `whoami`; echo -n a; echo b; echo -e 'x\\ty'; echo $UNSET-end";
    expect(texts(run(sh(script, { env })))).toEqual(["hi there $MESSAGE hi!", "web root", "ab", "x\ty", "-end"]);
  });

  it("runs loops: for over words, seq and ranges; while forever until now", () => {
    expect(texts(run(sh("for i in 1 2; do echo i$i; done; for j in $(seq 3 4) {5..6}; do echo j$j; done")))).toEqual(["i1", "i2", "j3", "j4", "j5", "j6"]);
    const ticks = containerLog(run(sh('while true; do echo "$(date) tick"; sleep 10; done')), T0 + 25_000);
    expect(ticks.map((l) => l.text)).toEqual(["Fri Jan  2 03:04:05 UTC 2026 tick", "Fri Jan  2 03:04:15 UTC 2026 tick", "Fri Jan  2 03:04:25 UTC 2026 tick"]);
  });

  it("does not log output redirected to a file, and stops at exit or at a program that runs on", () => {
    expect(texts(run(sh("echo kept; echo hidden > /tmp/f; echo err >&2; exit 1; echo never")))).toEqual(["kept", "err"]);
    expect(texts(run(sh("echo before; tail -f /dev/null; echo never")))).toEqual(["before"]);
  });

  it("runs a program without a shell as one command, with no shell expansion", () => {
    expect(texts(run({ image: "busybox", command: ["echo", "$HOME", "$(HOSTNAME)"] }))).toEqual(["$HOME $(HOSTNAME)"]);
  });

  it("keeps the newest lines of an endless loop, up to MAX_LINES", () => {
    const lines = containerLog(run(sh("while true; do echo tick; sleep 1; done")), T0 + 5 * 24 * HOUR);
    expect(lines).toHaveLength(MAX_LINES);
    expect(lines.at(-1)!.at).toBe(T0 + 5 * 24 * HOUR);
  });
});

describe("time", () => {
  it("a running container has printed only the lines written by now", () => {
    const r = run(sh("echo a; sleep 10; echo b; sleep 10; echo c"));
    expect(texts(r, T0 + 9_000)).toEqual(["a"]);
    expect(texts(r, T0 + 10_000)).toEqual(["a", "b"]);
  });

  it("a run that was stopped printed nothing after it finished", () => {
    expect(texts(run(sh("echo a; sleep 100; echo b"), { finishedAt: T0 + 30_000 }))).toEqual(["a"]);
  });

  it("simulated sleeps take sleep / speed of wall time", () => {
    const lines = containerLog(run(sh("echo a; sleep 60; echo b"), { speed: 60 }), T0 + 1_000);
    expect(lines.map((l) => l.text)).toEqual(["a", "b"]);
    expect(lines[1]!.at).toBe(T0 + 1_000);
  });

  it("timestamps are fixed-width RFC 3339 with nanoseconds, strictly increasing, and the same on every read", () => {
    const r = run(sh("echo a; echo b; echo c"));
    const stamps = containerLog(r, T0 + HOUR).map(formatLogTimestamp);
    for (const s of stamps) expect(s).toMatch(/^2026-01-02T03:04:05\.\d{9}Z$/);
    expect([...stamps].sort()).toEqual(stamps);
    expect(new Set(stamps).size).toBe(3);
    expect(containerLog(r, T0 + HOUR).map(formatLogTimestamp)).toEqual(stamps);
  });
});

describe("how a run ended", () => {
  const script = sh("echo a; sleep 100; echo b; exit 3");
  it("a run that ended by itself wrote its whole script, even when the clock was advanced past it", () => {
    expect(texts(run(script, { finishedAt: T0 + 5_000, exitCode: 3 }), T0 + 5_000)).toEqual(["a", "b"]);
  });

  it.each([[137], [143]])("a run killed with %i wrote only what came before finishedAt", (exitCode) => {
    expect(texts(run(script, { finishedAt: T0 + 30_000, exitCode }))).toEqual(["a"]);
  });
});
