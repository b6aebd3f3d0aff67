/**
 * The everyday kubectl commands built on subresources and virtual APIs, with kubectl 1.33 against
 * one sandbox at high speed: top, auth can-i/whoami, describe, rollout, wait, get all,
 * cluster-info, scale, cordon, label/annotate, set image, and server-side dry runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, eventually, kubectl, kubectlBackground, kubectlBinary, kubectlCommands, type SandboxHandle } from "./support/sandbox";

const binary = kubectlBinary("1.33");

describe.skipIf(!binary)("kubectl 1.33 everyday commands", () => {
  let sandbox: SandboxHandle;
  const { run, ok } = kubectlCommands(binary, () => sandbox);
  const jsonpath = (...args: string[]) => run(...args).stdout;

  beforeAll(async () => {
    sandbox = await createSandbox({ name: "kubectl-commands", kubernetesVersion: "1.33", speed: 100 });
  });
  afterAll(async () => {
    await sandbox?.delete();
  });

  it("answers auth can-i and auth whoami for the sandbox admin", () => {
    expect(ok("auth", "can-i", "create", "pods")).toBe("yes\n");
    expect(ok("auth", "can-i", "delete", "nodes", "--all-namespaces")).toBe("yes\n");
    const list = ok("auth", "can-i", "--list");
    expect(list).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/m);
    expect(list).toMatch(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);
    expect(list).toMatch(/^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    expect(list).toMatch(/^\s+\[\/healthz\]\s+\[\]\s+\[get\]$/m);
    const whoami = ok("auth", "whoami");
    expect(whoami).toMatch(/^ATTRIBUTE\s+VALUE$/m);
    expect(whoami).toMatch(/^Username\s+kubernetes-admin$/m);
    expect(whoami).toMatch(/^Groups\s+\[system:masters system:authenticated\]$/m);
    const yaml = ok("auth", "whoami", "-o", "yaml");
    expect(yaml).toMatch(/^apiVersion: authentication\.k8s\.io\/v1\nkind: SelfSubjectReview\nmetadata:\n  creationTimestamp: "\S+"\nstatus:\n  userInfo:\n    groups:\n    - system:masters\n    - system:authenticated\n    username: kubernetes-admin\n$/);
  });

  it("lists the control plane and CoreDNS in cluster-info", () => {
    const out = ok("cluster-info");
    expect(out).toContain(`Kubernetes control plane is running at ${sandbox.server}`);
    expect(out).toContain(`CoreDNS is running at ${sandbox.server}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy`);
  });

  it("rolls a Deployment out, waits for it, scales it and shows it in get all", async () => {
    expect(ok("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2")).toBe("deployment.apps/web created\n");
    expect(ok("wait", "--for=condition=Available", "deploy/web", "--timeout=60s")).toBe("deployment.apps/web condition met\n");
    expect(ok("rollout", "status", "deploy/web", "--timeout=60s")).toContain('deployment "web" successfully rolled out');
    expect(ok("scale", "deploy/web", "--replicas=3")).toBe("deployment.apps/web scaled\n");
    const ready = await eventually(
      () => jsonpath("get", "deploy/web", "-o", "jsonpath={.status.readyReplicas}"),
      (v) => v === "3",
    );
    expect(ready).toBe("3");
    const all = ok("get", "all");
    expect(all).toMatch(/^service\/kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP\s+\S+$/m);
    expect(all).toMatch(/^deployment\.apps\/web\s+3\/3\s+3\s+3\s+\S+$/m);
    expect(all).toMatch(/^replicaset\.apps\/web-[a-z0-9]+\s+3\s+3\s+3\s+\S+$/m);
    expect(all).toMatch(/^pod\/web-[a-z0-9]+-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+\S+$/m);
  });

  it("sets an image, rolls out, and undoes back to the previous template", async () => {
    expect(ok("set", "image", "deploy/web", "nginx=nginx:1.28")).toBe("deployment.apps/web image updated\n");
    expect(ok("rollout", "status", "deploy/web", "--timeout=60s")).toContain('deployment "web" successfully rolled out');
    const history = ok("rollout", "history", "deploy/web");
    expect(history).toMatch(/^REVISION\s+CHANGE-CAUSE$/m);
    expect(history).toMatch(/^1\s+<none>$/m);
    expect(history).toMatch(/^2\s+<none>$/m);
    expect(ok("rollout", "history", "deploy/web", "--revision=1")).toContain("Image:\tnginx:1.27");

    expect(ok("rollout", "undo", "deploy/web")).toBe("deployment.apps/web rolled back\n");
    expect(ok("rollout", "status", "deploy/web", "--timeout=60s")).toContain('deployment "web" successfully rolled out');
    expect(jsonpath("get", "deploy/web", "-o", "jsonpath={.spec.template.spec.containers[0].image}")).toBe("nginx:1.27");
    expect(jsonpath("get", "deploy/web", "-o", `jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}`)).toBe("3");
    // The undone-to revision moves to the top of the history.
    const after = ok("rollout", "history", "deploy/web");
    expect(after).toMatch(/^2\s+<none>\n3\s+<none>\n/m);
    expect(after).not.toMatch(/^1\s/m);
  });

  it("pauses, resumes and restarts a rollout", () => {
    expect(ok("rollout", "pause", "deploy/web")).toBe("deployment.apps/web paused\n");
    expect(jsonpath("get", "deploy/web", "-o", "jsonpath={.spec.paused}")).toBe("true");
    ok("set", "image", "deploy/web", "nginx=nginx:1.28");
    // A paused Deployment does not roll its new template out.
    const blocked = run("rollout", "status", "deploy/web", "--timeout=2s");
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toContain('Waiting for deployment "web" rollout to finish: 0 out of 3 new replicas have been updated...');
    expect(ok("rollout", "resume", "deploy/web")).toBe("deployment.apps/web resumed\n");
    expect(ok("rollout", "status", "deploy/web", "--timeout=60s")).toContain('deployment "web" successfully rolled out');
    expect(ok("rollout", "restart", "deploy/web")).toBe("deployment.apps/web restarted\n");
    expect(jsonpath("get", "deploy/web", "-o", `jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}`)).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(ok("rollout", "status", "deploy/web", "--timeout=60s")).toContain('deployment "web" successfully rolled out');
  });

  it("shows pod and node usage with kubectl top", async () => {
    const nodes = await eventually(
      () => run("top", "nodes"),
      (r) => r.code === 0 && /^worker-2\s/m.test(r.stdout),
    );
    expect(nodes.stderr).toBe("");
    expect(nodes.stdout).toMatch(/^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)\s*$/m);
    expect(nodes.stdout).toMatch(/^control-plane\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%\s*$/m);
    expect(nodes.stdout).toMatch(/^worker-1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%\s*$/m);

    const pods = ok("top", "pods");
    expect(pods).toMatch(/^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$/m);
    expect(pods).toMatch(/^web-[a-z0-9]+-[a-z0-9]{5}\s+\d+m\s+\d+Mi\s*$/m);
    expect(ok("top", "pods")).toBe(pods);

    const all = ok("top", "pods", "-A", "--sort-by=cpu");
    expect(all).toMatch(/^NAMESPACE\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$/m);
    expect(all).toMatch(/^kube-system\s+coredns-[a-z0-9]+-[a-z0-9]{5}\s+\d+m\s+\d+Mi\s*$/m);
    const cpus = all.trim().split("\n").slice(1).map((l) => Number(/\s(\d+)m\s/.exec(l)![1]));
    expect(cpus).toEqual([...cpus].sort((a, b) => b - a));

    const containers = ok("top", "pods", "-n", "kube-system", "--containers");
    expect(containers).toMatch(/^POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$/m);
    expect(containers).toMatch(/^etcd-control-plane\s+etcd\s+\d+m\s+\d+Mi\s*$/m);
  });

  it("describes pods, nodes, deployments, replicasets, services, namespaces and jobs with their events", async () => {
    const podName = jsonpath("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[0].metadata.name}");
    const pod = ok("describe", "pod", podName);
    expect(pod).toMatch(/^Name:\s+web-/m);
    expect(pod).toMatch(/^Node:\s+worker-\d\/172\.18\.0\.\d+$/m);
    expect(pod).toMatch(/^Status:\s+Running$/m);
    expect(pod).toMatch(/^Controlled By:\s+ReplicaSet\/web-/m);
    expect(pod).toMatch(/Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/web-/);
    expect(pod).toMatch(/Normal\s+Started\s+\S+\s+kubelet\s+Started container nginx/);

    const node = ok("describe", "node", "worker-1");
    expect(node).toMatch(/^Name:\s+worker-1$/m);
    expect(node).toMatch(/^Conditions:$/m);
    expect(node).toMatch(/^Allocated resources:$/m);
    expect(node).toMatch(/^Events:/m);

    const deploy = ok("describe", "deploy", "web");
    expect(deploy).toMatch(/^Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable$/m);
    expect(deploy).toMatch(/^NewReplicaSet:\s+web-[a-z0-9]+ \(3\/3 replicas created\)$/m);
    expect(deploy).toMatch(/Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-/);

    const rsName = jsonpath("get", "deploy", "web", "-o", `jsonpath={.status.conditions[?(@.type=="Progressing")].message}`).match(/ReplicaSet "([^"]+)"/)![1];
    const rs = ok("describe", "rs", rsName);
    expect(rs).toMatch(/^Controlled By:\s+Deployment\/web$/m);
    expect(rs).toMatch(/SuccessfulCreate\s+\S+\s+replicaset-controller\s+Created pod: web-/);

    expect(ok("expose", "deploy", "web", "--port=80")).toBe("service/web exposed\n");
    const svc = await eventually(
      () => ok("describe", "svc", "web"),
      (out) => /^Endpoints:\s+\d/m.test(out),
    );
    expect(svc).toMatch(/^Selector:\s+app=web$/m);
    expect(svc).toMatch(/^IP:\s+10\.96\.\d+\.\d+$/m);
    expect(svc).toMatch(/^Endpoints:\s+10\.244\.\d+\.\d+:80,/m);

    expect(ok("describe", "ns", "default")).toMatch(/^Name:\s+default\nLabels:\s+kubernetes\.io\/metadata\.name=default\nAnnotations:\s+<none>\nStatus:\s+Active\n/);

    expect(ok("create", "job", "once", "--image=busybox:1.36")).toBe("job.batch/once created\n");
    const job = await eventually(
      () => ok("describe", "job", "once"),
      (out) => /Completed\s+\S+\s+job-controller\s+Job completed/.test(out),
      30_000,
    );
    expect(job).toMatch(/^Pods Statuses:\s+0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed$/m);
    expect(job).toMatch(/SuccessfulCreate\s+\S+\s+job-controller\s+Created pod: once-/);
  });

  it("describes a namespace with its quota and limit range sections, as on kubeadm", () => {
    // kubectl omits both sections when the server does not serve resourcequotas and limitranges.
    expect(ok("describe", "ns", "default")).toMatch(/^Status:\s+Active\n\nNo resource quota\.\n\nNo LimitRange resource\.\n$/m);
  });

  it("waits on a jsonpath and on deletion", async () => {
    ok("run", "waiter", "--image=nginx:1.27", "--overrides", JSON.stringify({ metadata: { finalizers: ["sandkube.test/hold"] } }));
    expect(ok("wait", "--for=jsonpath={.status.phase}=Running", "pod/waiter", "--timeout=60s")).toBe("pod/waiter condition met\n");
    ok("delete", "pod", "waiter", "--wait=false");
    // The finalizer holds the pod until the wait is under way.
    const waiting = kubectlBackground(binary!, sandbox, ["wait", "--for=delete", "pod/waiter", "--timeout=60s"]);
    try {
      await new Promise((r) => setTimeout(r, 500));
      expect(waiting.output()).toBe("");
      ok("patch", "pod", "waiter", "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]');
      await waiting.waitFor((out) => out.includes("pod/waiter condition met"));
    } finally {
      waiting.stop();
    }
  });

  it("cordons and uncordons a node", () => {
    expect(ok("cordon", "worker-2")).toBe("node/worker-2 cordoned\n");
    expect(ok("get", "node", "worker-2")).toMatch(/^worker-2\s+Ready,SchedulingDisabled\s/m);
    expect(ok("uncordon", "worker-2")).toBe("node/worker-2 uncordoned\n");
    expect(ok("get", "node", "worker-2")).toMatch(/^worker-2\s+Ready\s/m);
  });

  it("labels and annotates with --overwrite", () => {
    expect(ok("label", "deploy", "web", "tier=front")).toBe("deployment.apps/web labeled\n");
    const refused = run("label", "deploy", "web", "tier=back");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("'tier' already has a value (front), and --overwrite is false");
    expect(ok("label", "deploy", "web", "tier=back", "--overwrite")).toBe("deployment.apps/web labeled\n");
    expect(ok("annotate", "deploy", "web", "owner=alice")).toBe("deployment.apps/web annotated\n");
    expect(ok("annotate", "deploy", "web", "owner=bob", "--overwrite")).toBe("deployment.apps/web annotated\n");
    expect(jsonpath("get", "deploy", "web", "-o", "jsonpath={.metadata.labels.tier} {.metadata.annotations.owner}")).toBe("back bob");
  });

  it("creates nothing with --dry-run=server", () => {
    const cases: [string[], RegExp][] = [
      [["deployment", "dry", "--image=nginx:1.27"], /^kind: Deployment$/m],
      [["service", "clusterip", "dry", "--tcp=80:80"], /^kind: Service$/m],
      [["job", "dry", "--image=busybox:1.36"], /^kind: Job$/m],
      [["cronjob", "dry", "--image=busybox:1.36", "--schedule=*/5 * * * *"], /^kind: CronJob$/m],
      [["secret", "generic", "dry", "--from-literal=a=b"], /^kind: Secret$/m],
      [["configmap", "dry", "--from-literal=a=b"], /^kind: ConfigMap$/m],
    ];
    for (const [args, kind] of cases) {
      const out = ok("create", ...args, "--dry-run=server", "-o", "yaml");
      expect(out).toMatch(kind);
      expect(out).toMatch(/^  uid: [0-9a-f-]{36}$/m);
    }
    for (const resource of ["deployment", "service", "job", "cronjob", "secret", "configmap"]) {
      const r = run("get", resource, "dry");
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/\(NotFound\)/);
    }
    expect(ok("delete", "deploy", "web", "--dry-run=server")).toBe('deployment.apps "web" deleted (server dry run)\n');
    expect(ok("get", "deploy", "web", "-o", "name")).toBe("deployment.apps/web\n");
  });

  const old = kubectlBinary("1.27");
  it.skipIf(!old)("serves kubectl 1.27 (SelfSubjectReview v1beta1, JSON bodies) the same answers", () => {
    const run27 = (...args: string[]) => kubectl(old!, sandbox, args);
    const whoami = run27("auth", "whoami");
    expect(whoami.stderr).toBe("");
    expect(whoami.stdout).toMatch(/^Username\s+kubernetes-admin$/m);
    expect(run27("auth", "can-i", "create", "pods").stdout).toBe("yes\n");
    const top = run27("top", "nodes");
    expect(top.stderr).toBe("");
    expect(top.stdout).toMatch(/^worker-1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%\s*$/m);
  });
});
