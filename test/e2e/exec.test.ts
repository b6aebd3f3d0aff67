/**
 * `kubectl exec`, `kubectl run -i --rm` and `kubectl attach` over WebSocket into the simulated
 * shell, with kubectl 1.33 and 1.30; kubectl 1.29 (SPDY) gets an error that says what to do.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, eventually, kubectl, kubectlBinary, kubectlCommands, type SandboxHandle } from "./support/sandbox";

const MANIFEST = `
apiVersion: v1
kind: ConfigMap
metadata: { name: settings }
data: { greeting: "hello from a configmap\\n", mode: fast }
---
apiVersion: v1
kind: Service
metadata: { name: web-api }
spec:
  selector: { app: shell }
  ports: [{ name: http, port: 8080, targetPort: 80 }]
---
apiVersion: v1
kind: Pod
metadata: { name: shell, labels: { app: shell } }
spec:
  containers:
  - name: main
    image: busybox:1.36
    command: ["sh", "-c", "sleep 3600"]
    env: [{ name: COLOR, value: blue }, { name: POD_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }]
    envFrom: [{ configMapRef: { name: settings }, prefix: CFG_ }]
    volumeMounts: [{ name: settings, mountPath: /etc/settings }]
  volumes: [{ name: settings, configMap: { name: settings } }]
`;

for (const version of ["1.33", "1.30"]) {
  const binary = kubectlBinary(version);

  describe.skipIf(!binary)(`kubectl ${version} exec`, () => {
    let sandbox: SandboxHandle;
    const { run, ok } = kubectlCommands(binary, () => sandbox);

    beforeAll(async () => {
      sandbox = await createSandbox({ kubernetesVersion: version, speed: 10 });
      const applied = kubectl(binary!, sandbox, ["apply", "-f", "-"], MANIFEST);
      expect(applied.code, applied.stderr).toBe(0);
      ok("wait", "--for=condition=Ready", "pod/shell", "--timeout=60s");
    }, 90_000);
    afterAll(async () => {
      await sandbox?.delete();
    });

    it("env shows the container's variables, envFrom, the downward API and the service links", () => {
      const env = ok("exec", "shell", "--", "env");
      expect(env).toMatch(/^HOSTNAME=shell$/m);
      expect(env).toMatch(/^COLOR=blue$/m);
      expect(env).toMatch(/^POD_NAME=shell$/m);
      expect(env).toMatch(/^CFG_mode=fast$/m);
      expect(env).toMatch(/^KUBERNETES_SERVICE_HOST=10\.96\.0\.1$/m);
      expect(env).toMatch(/^WEB_API_SERVICE_PORT_HTTP=8080$/m);
      expect(env).toMatch(/^WEB_API_PORT=tcp:\/\/10\.\d+\.\d+\.\d+:8080$/m);
    });

    it("cat /etc/resolv.conf shows the cluster's search list and kube-dns", () => {
      expect(ok("exec", "shell", "--", "cat", "/etc/resolv.conf")).toBe(
        "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n",
      );
    });

    it("nslookup resolves kubernetes.default and a Service, and fails on an unknown name", () => {
      const found = ok("exec", "shell", "--", "nslookup", "kubernetes.default");
      expect(found).toContain("Name:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n");
      expect(ok("exec", "shell", "--", "nslookup", "web-api")).toContain("Name:\tweb-api.default.svc.cluster.local\n");
      const missing = run("exec", "shell", "--", "nslookup", "nosuch");
      expect(missing.stdout).toContain("** server can't find nosuch: NXDOMAIN");
      expect(missing.code).toBe(1);
    });

    it("a script's exit code becomes kubectl's", () => {
      const r = run("exec", "shell", "--", "sh", "-c", "echo $HOSTNAME; exit 3");
      expect(r.stdout).toBe("shell\n");
      expect(r.stderr).toContain("command terminated with exit code 3");
      expect(r.code).toBe(3);
    });

    it("exec -i runs a script fed on stdin", () => {
      const r = kubectl(binary!, sandbox, ["exec", "-i", "shell", "--", "sh"], "echo one\nfor i in 1 2; do echo n$i; done\ncat /etc/settings/greeting\n");
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("one\nn1\nn2\nhello from a configmap\n");
      expect(r.code).toBe(0);
    });

    it("reads a mounted ConfigMap's files", () => {
      expect(ok("exec", "shell", "--", "ls", "/etc/settings")).toBe("greeting\nmode\n");
      expect(ok("exec", "shell", "--", "cat", "/etc/settings/mode")).toBe("fast");
    });

    it("an unknown command fails as a shell says (127)", () => {
      const r = run("exec", "shell", "--", "sh", "-c", "frobnicate --now");
      expect(r.stderr).toContain("sh: frobnicate: not found");
      expect(r.code).toBe(127);
    });

    it("a program the container lacks fails as the runtime reports it (126)", () => {
      const r = run("exec", "shell", "--", "frobnicate");
      expect(r.stderr).toContain('exec: "frobnicate": executable file not found in $PATH');
      expect(r.code).toBe(126);
    });

    it("run -i --rm prints the container's output and deletes the pod", async () => {
      const r = run("run", "once", "-i", "--rm", "--restart=Never", "--image=busybox:1.36", "--", "sh", "-c", "echo hi from run");
      expect(r.stdout, r.stderr).toContain("hi from run");
      expect(r.code, r.stderr).toBe(0);
      const gone = await eventually(() => run("get", "pod", "once"), (g) => g.code !== 0);
      expect(gone.stderr).toContain('pods "once" not found');
    }, 90_000);

    it("run -i --rm attaches to a running container, and its exit code becomes kubectl's", () => {
      const r = run("run", "slow", "-i", "--rm", "--restart=Never", "--image=busybox:1.36", "--", "sh", "-c", "echo first; sleep 2; echo second; exit 5");
      expect(r.stdout).toContain("first\nsecond\n");
      expect(r.code, r.stderr).toBe(5);
    }, 90_000);
  });
}

const old = kubectlBinary("1.29");
describe.skipIf(!old)("kubectl 1.29 exec (SPDY)", () => {
  let sandbox: SandboxHandle;
  beforeAll(async () => {
    sandbox = await createSandbox({ kubernetesVersion: "1.33", speed: 10 });
    const r = kubectl(old!, sandbox, ["run", "shell", "--image=busybox:1.36", "--", "sleep", "3600"]);
    expect(r.code, r.stderr).toBe(0);
    expect(kubectl(old!, sandbox, ["wait", "--for=condition=Ready", "pod/shell", "--timeout=60s"]).code).toBe(0);
  }, 90_000);
  afterAll(async () => {
    await sandbox?.delete();
  });

  it("gets a clear error naming the kubectl version that works", () => {
    const r = kubectl(old!, sandbox, ["exec", "shell", "--", "env"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("need kubectl 1.30 or newer");
  });
});
