/**
 * What a process sees inside a simulated container (src/apiserver/exec/): the environment the
 * kubelet builds, the files it writes (resolv.conf, hosts, volumes), names resolved as CoreDNS
 * would, and the shell commands that read them.
 */
import { describe, expect, it } from "vitest";
import { ShellSession, type ShellIO } from "../../src/controlplane/kubelet/logs";
import { resolve, nslookup, getentHosts, host } from "../../src/apiserver/exec/dns";
import { containerEnv, serviceEnv, type ClusterView, type ContainerSpec } from "../../src/apiserver/exec/environment";
import { containerFiles, hostsFile, resolvConf } from "../../src/apiserver/exec/files";
import { containerWorld } from "../../src/apiserver/exec/world";
import type { KObject } from "../../src/registry/types";
import { T0 } from "./support/cluster";

const svc = (ns: string, name: string, spec: Record<string, unknown>): KObject => ({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: ns }, spec });
const readyPod = (ns: string, name: string, ip: string, labels: Record<string, string>, spec: Record<string, unknown> = {}): KObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: ns, labels, uid: `uid-${name}` },
  spec: { nodeName: "worker-1", containers: [{ name: "main", image: "nginx" }], ...spec },
  status: { phase: "Running", podIP: ip, hostIP: "172.18.0.3", conditions: [{ type: "Ready", status: "True" }] },
});

const KUBERNETES = svc("default", "kubernetes", { clusterIP: "10.96.0.1", ports: [{ name: "https", port: 443, protocol: "TCP" }] });
const KUBE_DNS = svc("kube-system", "kube-dns", { clusterIP: "10.96.0.10", ports: [{ name: "dns", port: 53, protocol: "UDP" }] });

function world(): { pod: KObject; container: ContainerSpec; view: ClusterView } {
  const container: ContainerSpec = {
    name: "main",
    image: "busybox:1.36",
    env: [
      { name: "COLOR", value: "blue" },
      { name: "GREETING", value: "hi $(COLOR) at $(WEB_SERVICE_HOST)" },
      { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } } as never,
      { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "creds", key: "password" } } } as never,
      { name: "MEM", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } } as never,
    ],
    envFrom: [{ configMapRef: { name: "settings" }, prefix: "CFG_" }],
    resources: { limits: { memory: "128Mi" } },
    volumeMounts: [
      { name: "settings", mountPath: "/etc/settings" },
      { name: "creds", mountPath: "/etc/creds" },
      { name: "info", mountPath: "/etc/podinfo" },
      { name: "settings", mountPath: "/app/mode.conf", subPath: "mode" },
    ],
  };
  const pod = readyPod("shop", "client", "10.244.1.7", { app: "client" }, {
    containers: [container],
    hostAliases: [{ ip: "1.2.3.4", hostnames: ["foo.local", "bar.local"] }],
    volumes: [
      { name: "settings", configMap: { name: "settings" } },
      { name: "creds", secret: { secretName: "creds", items: [{ key: "password", path: "db/pass" }] } },
      { name: "info", downwardAPI: { items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels" } }] } },
    ],
  });
  const view: ClusterView = {
    services: [
      KUBERNETES,
      KUBE_DNS,
      svc("shop", "web", { clusterIP: "10.96.12.34", selector: { app: "web" }, ports: [{ name: "http", port: 80, protocol: "TCP" }, { port: 8443, protocol: "TCP" }] }),
      svc("shop", "db", { clusterIP: "None", selector: { app: "db" }, ports: [{ port: 5432 }] }),
      svc("shop", "ext", { type: "ExternalName", externalName: "example.com" }),
      svc("other", "elsewhere", { clusterIP: "10.96.99.1", ports: [{ port: 80 }] }),
    ],
    pods: [
      pod,
      readyPod("shop", "db-0", "10.244.2.3", { app: "db" }, { hostname: "db-0", subdomain: "db" }),
      readyPod("shop", "db-1", "10.244.1.9", { app: "db" }, { hostname: "db-1", subdomain: "db" }),
      { ...readyPod("shop", "db-2", "10.244.3.3", { app: "db" }, { hostname: "db-2", subdomain: "db" }), status: { phase: "Running", podIP: "10.244.3.3", conditions: [{ type: "Ready", status: "False" }] } },
    ],
    configMaps: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "shop" }, data: { mode: "fast", greeting: "hello\n" } }],
    secrets: [{ apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: "shop" }, data: { password: btoa("s3cret") } }],
  };
  return { pod, container, view };
}

/** Runs a script in the container's shell; returns what it printed and its status. */
function sh(script: string, w = world()) {
  let stdout = "";
  let stderr = "";
  const cw = containerWorld(w.pod, w.container, w.view);
  const io: ShellIO = { ...cw, write: (fd, text) => (fd === 1 ? (stdout += text) : (stderr += text)) };
  const shell = new ShellSession({ pod: w.pod, container: w.container, io, now: T0 });
  shell.run(script);
  return { stdout, stderr, code: shell.exitCode, shell };
}

describe("container environment", () => {
  it("has PATH and HOSTNAME first, HOME last, and the container's own variables expanded", () => {
    const { pod, container, view } = world();
    const env = containerEnv(pod, container, view);
    expect(env[0]).toEqual(["PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
    expect(env[1]).toEqual(["HOSTNAME", "client"]);
    expect(env.at(-1)).toEqual(["HOME", "/root"]);
    const vars = new Map(env);
    expect(vars.get("GREETING")).toBe("hi blue at 10.96.12.34");
    expect(vars.get("POD_IP")).toBe("10.244.1.7");
    expect(vars.get("PASSWORD")).toBe("s3cret");
    expect(vars.get("MEM")).toBe("128");
    expect(vars.get("CFG_mode")).toBe("fast");
  });

  it("links the Services of the pod's namespace (not headless, not others) and always default/kubernetes", () => {
    const { pod, container, view } = world();
    const vars = new Map(containerEnv(pod, container, view));
    expect(vars.get("KUBERNETES_SERVICE_HOST")).toBe("10.96.0.1");
    expect(vars.get("KUBERNETES_PORT_443_TCP_ADDR")).toBe("10.96.0.1");
    expect(vars.get("WEB_SERVICE_PORT")).toBe("80");
    expect(vars.get("WEB_SERVICE_PORT_HTTP")).toBe("80");
    expect(vars.get("WEB_PORT")).toBe("tcp://10.96.12.34:80");
    expect(vars.get("WEB_PORT_8443_TCP")).toBe("tcp://10.96.12.34:8443");
    expect(vars.has("DB_SERVICE_HOST")).toBe(false);
    expect(vars.has("ELSEWHERE_SERVICE_HOST")).toBe(false);
    const unlinked = new Map(containerEnv({ ...pod, spec: { ...pod.spec, enableServiceLinks: false } }, container, view));
    expect(unlinked.has("WEB_SERVICE_HOST")).toBe(false);
    expect(unlinked.get("KUBERNETES_SERVICE_HOST")).toBe("10.96.0.1");
  });

  it("writes the docker-link variables of every port as envvars.FromServices does", () => {
    expect(serviceEnv([svc("a", "my-svc", { clusterIP: "10.0.0.5", ports: [{ name: "dns-udp", port: 53, protocol: "UDP" }] })])).toEqual([
      ["MY_SVC_SERVICE_HOST", "10.0.0.5"],
      ["MY_SVC_SERVICE_PORT", "53"],
      ["MY_SVC_SERVICE_PORT_DNS_UDP", "53"],
      ["MY_SVC_PORT", "udp://10.0.0.5:53"],
      ["MY_SVC_PORT_53_UDP", "udp://10.0.0.5:53"],
      ["MY_SVC_PORT_53_UDP_PROTO", "udp"],
      ["MY_SVC_PORT_53_UDP_PORT", "53"],
      ["MY_SVC_PORT_53_UDP_ADDR", "10.0.0.5"],
    ]);
  });
});

describe("kubelet-written files", () => {
  it("resolv.conf for ClusterFirst, Default, None with dnsConfig", () => {
    const { pod, view } = world();
    expect(resolvConf(pod, view)).toEqual({ nameservers: ["10.96.0.10"], searches: ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local"], options: ["ndots:5"] });
    const none = { ...pod, spec: { ...pod.spec, dnsPolicy: "None", dnsConfig: { nameservers: ["1.1.1.1"], options: [{ name: "ndots", value: "2" }] } } };
    expect(resolvConf(none, view)).toEqual({ nameservers: ["1.1.1.1"], searches: [], options: ["ndots:2"] });
  });

  it("/etc/hosts with the pod's FQDN and the host aliases", () => {
    const { view } = world();
    const db0 = view.pods.find((p) => p.metadata.name === "db-0")!;
    expect(hostsFile(db0)).toContain("10.244.2.3\tdb-0.db.shop.svc.cluster.local\tdb-0\n");
    const { pod } = world();
    expect(hostsFile(pod)).toMatch(/^# Kubernetes-managed hosts file\.\n127\.0\.0\.1\tlocalhost\n/);
    expect(hostsFile(pod)).toContain("10.244.1.7\tclient\n\n# Entries added by HostAliases.\n1.2.3.4\tfoo.local\tbar.local\n");
  });

  it("mounts ConfigMap keys, Secret items at their paths, downward API files and subPath files", () => {
    const { pod, container, view } = world();
    const { files } = containerFiles(pod, container, view);
    expect(files.get("/etc/settings/mode")).toBe("fast");
    expect(files.get("/etc/creds/db/pass")).toBe("s3cret");
    expect(files.has("/etc/creds/password")).toBe(false);
    expect(files.get("/etc/podinfo/labels")).toBe('app="client"');
    expect(files.get("/app/mode.conf")).toBe("fast");
    expect(files.get("/var/run/secrets/kubernetes.io/serviceaccount/namespace")).toBe("shop");
  });
});

describe("DNS as CoreDNS answers", () => {
  const { pod, view } = world();
  const conf = resolvConf(pod, view);
  it.each([
    ["kubernetes.default", "kubernetes.default.svc.cluster.local", ["10.96.0.1"]],
    ["web", "web.shop.svc.cluster.local", ["10.96.12.34"]],
    ["web.shop", "web.shop.svc.cluster.local", ["10.96.12.34"]],
    ["elsewhere.other.svc.cluster.local", "elsewhere.other.svc.cluster.local", ["10.96.99.1"]],
    ["db", "db.shop.svc.cluster.local", ["10.244.1.9", "10.244.2.3"]],
    ["db-0.db", "db-0.db.shop.svc.cluster.local", ["10.244.2.3"]],
    ["10-244-9-9.shop.pod.cluster.local", "10-244-9-9.shop.pod.cluster.local", ["10.244.9.9"]],
  ])("%s → %s %j", (name, fqdn, addresses) => {
    expect(resolve(name, conf, view)).toEqual({ name: fqdn, addresses });
  });

  it("does not resolve unknown names, other namespaces' short names, or not-ready StatefulSet pods", () => {
    expect(resolve("nosuch", conf, view)).toBeNull();
    expect(resolve("elsewhere", conf, view)).toBeNull();
    expect(resolve("db-2.db", conf, view)).toBeNull();
    expect(resolve("example.com", conf, view)).toBeNull();
  });

  it("prints busybox nslookup's answer and NXDOMAIN (exit 1)", () => {
    expect(nslookup(["kubernetes.default"], conf, view)).toEqual({
      stdout: "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n\n",
      code: 0,
    });
    expect(nslookup(["nosuch"], conf, view)).toEqual({ stdout: "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n** server can't find nosuch: NXDOMAIN\n\n", code: 1 });
    expect(nslookup(["ext"], conf, view).stdout).toContain("ext.shop.svc.cluster.local\tcanonical name = example.com");
    expect(nslookup(["10.96.0.1"], conf, view).stdout).toContain("1.0.96.10.in-addr.arpa\tname = kubernetes.default.svc.cluster.local");
  });

  it("answers getent hosts and host", () => {
    expect(getentHosts(["hosts", "web"], conf, view)).toEqual({ stdout: "10.96.12.34     web.shop.svc.cluster.local\n", code: 0 });
    expect(getentHosts(["hosts", "nosuch"], conf, view)).toEqual({ stdout: "", code: 2 });
    expect(host(["web"], conf, view)).toEqual({ stdout: "web.shop.svc.cluster.local has address 10.96.12.34\n", code: 0 });
    expect(host(["nosuch"], conf, view)).toEqual({ stdout: "Host nosuch not found: 3(NXDOMAIN)\n", code: 1 });
  });
});

describe("the exec shell", () => {
  it("echoes, expands the container's variables and reads files", () => {
    expect(sh('echo "$HOSTNAME $COLOR"; hostname; cat /etc/settings/greeting').stdout).toBe("client blue\nclient\nhello\n");
  });

  it("exit N gives the status, $? the last command's", () => {
    expect(sh("exit 3").code).toBe(3);
    expect(sh("false; echo $?").stdout).toBe("1\n");
    expect(sh("cat /nope").code).toBe(1);
    expect(sh("true").code).toBe(0);
  });

  it("an unknown command: `sh: NAME: not found` on stderr, status 127", () => {
    const r = sh("frobnicate --now");
    expect(r).toMatchObject({ stdout: "", stderr: "sh: frobnicate: not found\n", code: 127 });
  });

  it("missing files and directories as busybox reports them", () => {
    expect(sh("cat /etc/nope").stderr).toBe("cat: can't open '/etc/nope': No such file or directory\n");
    expect(sh("ls /nope").stderr).toBe("ls: /nope: No such file or directory\n");
    expect(sh("ls /etc/settings /etc/creds/db").stdout).toBe("/etc/settings:\ngreeting\nmode\n\n/etc/creds/db:\npass\n\n");
  });

  it("pipes through grep, head and wc; 2>/dev/null and >&2 redirect", () => {
    expect(sh("env | grep ^COLOR=").stdout).toBe("COLOR=blue\n");
    expect(sh("env | grep -c KUBERNETES_").stdout).toBe("8\n");
    expect(sh("cat /etc/resolv.conf | head -1").stdout).toBe("search shop.svc.cluster.local svc.cluster.local cluster.local\n");
    expect(sh("cat /nope 2>/dev/null").stderr).toBe("");
    expect(sh("echo oops >&2")).toMatchObject({ stdout: "", stderr: "oops\n" });
  });

  it("nslookup and $(…) of the container's programs", () => {
    expect(sh("nslookup web.shop").stdout).toContain("Address: 10.96.12.34");
    expect(sh('echo "ns=$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace)"').stdout).toBe("ns=shop\n");
  });

  it("keeps variables between stdin lines and runs a block once it is complete", () => {
    const w = world();
    let out = "";
    const cw = containerWorld(w.pod, w.container, w.view);
    const shell = new ShellSession({ pod: w.pod, container: w.container, io: { ...cw, write: (_fd, t) => (out += t) }, now: T0 });
    shell.line("X=1");
    shell.line("for i in a b; do");
    expect(out).toBe("");
    shell.line("echo $X$i");
    shell.line("done");
    expect(out).toBe("1a\n1b\n");
    shell.line("exit 4");
    expect(shell.exited).toBe(true);
    expect(shell.exitCode).toBe(4);
  });

  it("a program run without a shell that does not exist fails as the runtime reports it (126)", () => {
    const w = world();
    let err = "";
    const cw = containerWorld(w.pod, w.container, w.view);
    const shell = new ShellSession({ pod: w.pod, container: w.container, io: { ...cw, write: (fd, t) => fd === 2 && (err += t) }, now: T0 });
    shell.program(["frobnicate"]);
    expect(err).toContain('exec: "frobnicate": executable file not found in $PATH');
    expect(shell.exitCode).toBe(126);
  });

  it("sleep infinity blocks until interrupted", () => {
    const r = sh("sleep infinity; echo after");
    expect(r.stdout).toBe("");
    expect(r.shell.blocked).toBe(true);
    r.shell.interrupt();
    expect(r.shell.blocked).toBe(false);
    expect(r.shell.exitCode).toBe(130);
  });
});
