/**
 * Deployments as a user drives them with kubectl 1.33: create, rollout status, set image,
 * rollout history and undo, scale, and a deleted pod replaced — on a sandbox at speed 10.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, createSandbox, eventually, kubectl, kubectlBackground, kubectlBinary, kubectlCommands, type SandboxHandle } from "./support/sandbox";

const binary = kubectlBinary("1.33");

describe("deployments with kubectl 1.33", () => {
  let sandbox: SandboxHandle;
  const { run, ok } = kubectlCommands(binary, () => sandbox);
  const podsOf = (selector: string) =>
    JSON.parse(run("get", "pods", "-l", selector, "-o", "json").stdout).items as { metadata: { name: string; deletionTimestamp?: string }; spec: { nodeName?: string; containers: { image: string }[] }; status: { phase: string } }[];

  beforeAll(async () => {
    if (!binary) throw new Error("kubectl.1.33 is required but missing beside the machine's kubectl");
    sandbox = await createSandbox({ kubernetesVersion: "1.33", speed: 10 });
  });
  afterAll(async () => {
    await sandbox?.delete();
  });

  it("rolls out a new deployment: rollout status succeeds, pods Running on the workers only", () => {
    expect(ok("create", "deployment", "web", "--image=nginx", "--replicas=3")).toBe("deployment.apps/web created\n");
    expect(ok("rollout", "status", "deployment/web", "--timeout=60s")).toContain('deployment "web" successfully rolled out');
    const pods = podsOf("app=web");
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.status.phase).toBe("Running");
      expect(pod.spec.nodeName).toMatch(/^worker-[12]$/);
    }
    expect(ok("get", "deployment", "web")).toMatch(/^web\s+3\/3\s+3\s+3\s+\S+$/m);
  });

  it("updates the image, keeps the history, and undoes it", () => {
    ok("set", "image", "deployment/web", "nginx=nginx:1.27");
    expect(ok("rollout", "status", "deployment/web", "--timeout=60s")).toContain('deployment "web" successfully rolled out');
    const history = ok("rollout", "history", "deployment/web");
    expect(history).toMatch(/^1\s+<none>$/m);
    expect(history).toMatch(/^2\s+<none>$/m);
    expect(podsOf("app=web").filter((p) => !p.metadata.deletionTimestamp).map((p) => p.spec.containers[0].image)).toEqual(["nginx:1.27", "nginx:1.27", "nginx:1.27"]);
    expect(ok("rollout", "undo", "deployment/web")).toBe("deployment.apps/web rolled back\n");
    expect(ok("rollout", "status", "deployment/web", "--timeout=60s")).toContain('deployment "web" successfully rolled out');
    expect(ok("get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}")).toBe("nginx");
    expect(ok("rollout", "history", "deployment/web")).toMatch(/^3\s+<none>$/m);
  });

  it("scales up, and replaces a deleted pod", async () => {
    expect(ok("scale", "deployment/web", "--replicas=5")).toBe("deployment.apps/web scaled\n");
    expect(ok("rollout", "status", "deployment/web", "--timeout=60s")).toContain('deployment "web" successfully rolled out');
    const before = podsOf("app=web").map((p) => p.metadata.name);
    expect(before).toHaveLength(5);
    ok("delete", "pod", before[0]);
    const after = await eventually(
      () => podsOf("app=web").filter((p) => p.status.phase === "Running" && !p.metadata.deletionTimestamp),
      (pods) => pods.length === 5 && !pods.some((p) => p.metadata.name === before[0]),
    );
    expect(after.map((p) => p.metadata.name)).not.toContain(before[0]);
    expect(after).toHaveLength(5);
  });

  it("lists the ready pods behind a Service: kubectl expose, get endpoints and endpointslices", async () => {
    expect(ok("expose", "deployment/web", "--port=8080", "--target-port=80")).toBe("service/web exposed\n");
    const ips = podsOf("app=web").filter((p) => !p.metadata.deletionTimestamp).map((p) => (p.status as { podIP?: string }).podIP);
    const endpoints = await eventually(
      () => run("get", "endpoints", "web", "-o", "jsonpath={.subsets[*].addresses[*].ip}").stdout.split(" ").filter(Boolean),
      (got) => got.length === 5,
    );
    expect(endpoints.sort()).toEqual(ips.sort());
    expect(ok("get", "endpoints", "web", "-o", "jsonpath={.subsets[0].ports[0].port}")).toBe("80");
    const sliced = await eventually(
      () => run("get", "endpointslices", "-l", "kubernetes.io/service-name=web", "-o", "jsonpath={.items[*].endpoints[*].addresses[0]}").stdout.split(" ").filter(Boolean),
      (got) => got.length === 5,
    );
    expect(sliced.sort()).toEqual(ips.sort());
    ok("delete", "service", "web");
    expect(await eventually(() => run("get", "endpoints", "web").stderr, (err) => err !== "")).toContain('endpoints "web" not found');
  });

  it("garbage-collects: background, foreground (pods, then ReplicaSet, then Deployment) and orphan deletes", async () => {
    ok("delete", "deployment", "web");
    const leftovers = await eventually(
      () => run("get", "rs,pods", "-l", "app=web", "-o", "name").stdout,
      (out) => out === "",
    );
    expect(leftovers).toBe("");

    ok("create", "deployment", "fg", "--image=nginx", "--replicas=2");
    ok("rollout", "status", "deployment/fg", "--timeout=60s");
    const deleted = run("delete", "deployment", "fg", "--cascade=foreground", "--timeout=60s");
    expect(deleted.stderr).toBe("");
    expect(deleted.stdout).toMatch(/^deployment.apps "fg" deleted/);
    // kubectl waited for the Deployment itself, which goes last: nothing it owned is left.
    expect(run("get", "rs,pods", "-l", "app=fg", "-o", "name").stdout).toBe("");

    ok("create", "deployment", "orph", "--image=nginx", "--replicas=2");
    ok("rollout", "status", "deployment/orph", "--timeout=60s");
    ok("delete", "deployment", "orph", "--cascade=orphan");
    const rs = await eventually(
      () => JSON.parse(run("get", "rs", "-l", "app=orph", "-o", "json").stdout).items as { metadata: { ownerReferences?: unknown[] } }[],
      (items) => items.length === 1 && !items[0].metadata.ownerReferences,
    );
    expect(rs).toHaveLength(1);
    expect(rs[0].metadata.ownerReferences).toBeUndefined();
    expect(podsOf("app=orph")).toHaveLength(2);
  });

  it("runs a Job to completion: kubectl wait --for=condition=complete", () => {
    ok("create", "job", "sleeper", "--image=busybox", "--", "sh", "-c", "sleep 5");
    expect(ok("wait", "--for=condition=complete", "job/sleeper", "--timeout=60s")).toBe("job.batch/sleeper condition met\n");
    expect(ok("get", "job", "sleeper", "-o", "jsonpath={.status.succeeded}")).toBe("1");
    expect(ok("get", "pods", "-l", "job-name=sleeper", "-o", "jsonpath={.items[0].status.phase}")).toBe("Succeeded");
  });

  it("fires a CronJob when the clock is advanced past its schedule", async () => {
    ok("create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "--", "sh", "-c", "echo tick");
    const res = await api(`/v1/sandboxes/${sandbox.id}/clock:advance`, { method: "POST", body: JSON.stringify({ seconds: 300 }) });
    expect(res.status).toBe(200);
    await res.body?.cancel();
    // One run per 5-minute boundary crossed: the advance crosses one, and the wall clock may cross
    // another while the test runs.
    const jobs = await eventually(
      () => (JSON.parse(run("get", "jobs", "-o", "json").stdout).items as { metadata: { name: string } }[]).filter((j) => j.metadata.name.startsWith("tick-")),
      (items) => items.length >= 1,
    );
    expect(jobs.length).toBeGreaterThanOrEqual(1);
    expect(jobs.length).toBeLessThanOrEqual(2);
    const name = jobs[0].metadata.name;
    expect(name).toMatch(/^tick-\d+$/);
    expect(ok("wait", "--for=condition=complete", `job/${name}`, "--timeout=60s")).toBe(`job.batch/${name} condition met\n`);
    expect(ok("get", "cronjob", "tick", "-o", "jsonpath={.status.lastScheduleTime}")).not.toBe("");
  });

  it("creates a StatefulSet's pods web-0, web-1, web-2 in order, each with its Bound claim", async () => {
    const manifest = `
apiVersion: v1
kind: Service
metadata: {name: nginx, labels: {app: nginx}}
spec: {clusterIP: None, selector: {app: nginx}, ports: [{port: 80, name: web}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: 3
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - {name: nginx, image: registry.k8s.io/nginx-slim:0.24, ports: [{containerPort: 80, name: web}], volumeMounts: [{name: www, mountPath: /usr/share/nginx/html}]}
  volumeClaimTemplates:
  - metadata: {name: www}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`;
    const watch = kubectlBackground(binary!, sandbox, ["get", "pods", "-l", "app=nginx", "-w", "-o", "name"]);
    try {
      const applied = kubectl(binary!, sandbox, ["apply", "-f", "-"], manifest);
      expect(applied.stderr).toBe("");
      expect(ok("rollout", "status", "statefulset/web", "--timeout=60s")).toContain("partitioned roll out complete: 3 new pods have been updated");
      await watch.waitFor((out) => out.includes("pod/web-2"));
      const firstSeen = [...new Set(watch.output().split("\n").filter(Boolean))];
      expect(firstSeen).toEqual(["pod/web-0", "pod/web-1", "pod/web-2"]);
    } finally {
      watch.stop();
    }
    expect(ok("get", "pvc", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.phase} {end}").trim().split(" ").filter((x) => x.startsWith("www-"))).toEqual([
      "www-web-0=Bound",
      "www-web-1=Bound",
      "www-web-2=Bound",
    ]);
    expect(ok("get", "pod", "web-1", "-o", "jsonpath={.spec.hostname}.{.spec.subdomain}")).toBe("web-1.nginx");
  });

  it("runs a DaemonSet pod on every eligible node (the docs example tolerates only the old `master` taint)", () => {
    const manifest = path.resolve(__dirname, "../../../shared/fixtures/real-world/k8s-docs-examples/controllers/daemonset.yaml");
    ok("apply", "-f", manifest);
    expect(ok("rollout", "status", "daemonset/fluentd-elasticsearch", "-n", "kube-system", "--timeout=60s")).toContain("successfully rolled out");
    const pods = JSON.parse(ok("get", "pods", "-n", "kube-system", "-l", "name=fluentd-elasticsearch", "-o", "json")).items as { spec: { nodeName: string }; status: { phase: string } }[];
    // Its toleration names node-role.kubernetes.io/master; kubeadm's control plane is tainted
    // node-role.kubernetes.io/control-plane, so, as on a real cluster, only the workers run it.
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(["worker-1", "worker-2"]);
    expect(pods.every((p) => p.status.phase === "Running")).toBe(true);
  });
});
