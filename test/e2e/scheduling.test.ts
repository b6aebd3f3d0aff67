/**
 * The scheduler, seen through kubectl: pods land on the workers and never on the tainted control
 * plane; with every worker tainted a pod stays Pending with upstream's FailedScheduling message,
 * the per-node verdicts are queryable, and removing a taint gets it scheduled.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, createSandbox, eventually, kubectl, kubectlBinary, type SandboxHandle } from "./support/sandbox";

const binary = kubectlBinary("1.33");

describe("scheduling with kubectl 1.33", () => {
  let sandbox: SandboxHandle;
  const run = (...args: string[]) => kubectl(binary!, sandbox, args);

  beforeAll(async () => {
    if (!binary) throw new Error("kubectl.1.33 is required but missing beside the machine's kubectl");
    sandbox = await createSandbox({ kubernetesVersion: "1.33" });
  });
  afterAll(async () => {
    await sandbox?.delete();
  });

  it("places pods on the workers, never on the tainted control plane, with a Scheduled event", async () => {
    for (const name of ["a", "b", "c", "d"]) expect(run("run", name, "--image=nginx").code).toBe(0);
    for (const name of ["a", "b", "c", "d"]) {
      const node = await eventually(() => run("get", "pod", name, "-o", "jsonpath={.spec.nodeName}").stdout, (n) => n !== "");
      expect(node).toMatch(/^worker-[12]$/);
    }
    const describe = run("describe", "pod", "a").stdout;
    expect(describe).toMatch(/Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/a to worker-[12]/);
  });

  it("runs them: the simulated kubelet pulls, creates and starts the containers", async () => {
    const table = await eventually(() => run("get", "pod", "a").stdout, (out) => /^a\s+1\/1\s+Running\s+0\s+/m.test(out));
    expect(table).toMatch(/^a\s+1\/1\s+Running\s+0\s+\S+$/m);
    const pod = JSON.parse(run("get", "pod", "a", "-o", "json").stdout);
    expect(pod.status.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
    expect(pod.status.containerStatuses[0]).toMatchObject({ name: "a", ready: true, started: true, restartCount: 0 });
    expect(pod.status.containerStatuses[0].containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    const reasons = run("get", "events", "--field-selector", "involvedObject.name=a", "-o", "jsonpath={.items[*].reason}").stdout.split(" ");
    expect(reasons).toEqual(["Scheduled", "Pulling", "Pulled", "Created", "Started"]);
  });

  it("deletes a running pod gracefully: the kubelet stops it, then it is gone", () => {
    const r = run("delete", "pod", "b");
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^pod "b" deleted/);
    expect(run("get", "pod", "b").stderr).toBe('Error from server (NotFound): pods "b" not found\n');
  });

  it("keeps a pod Pending with upstream's FailedScheduling message when no node fits, then schedules it once one does", async () => {
    expect(run("taint", "nodes", "worker-1", "worker-2", "dedicated=batch:NoSchedule").code).toBe(0);
    expect(run("run", "stuck", "--image=nginx").code).toBe(0);
    const expected =
      "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) had untolerated taint {dedicated: batch}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
    const condition = await eventually(
      () => run("get", "pod", "stuck", "-o", "jsonpath={.status.conditions[?(@.type=='PodScheduled')].message}").stdout,
      (m) => m !== "",
    );
    expect(condition).toBe(expected);
    expect(run("get", "pod", "stuck", "-o", "jsonpath={.status.phase} {.spec.nodeName}").stdout).toBe("Pending ");
    const events = run("get", "events", "--field-selector", "reason=FailedScheduling,involvedObject.name=stuck", "-o", "jsonpath={.items[*].message}").stdout;
    expect(events).toBe(expected);

    const res = await api(`/v1/sandboxes/${sandbox.id}/scheduling/default/stuck`);
    expect(res.status).toBe(200);
    const diagnostics = (await res.json()) as { message: string; diagnostics: { filters: { node: string; plugin?: string; reasons?: string[] }[] } };
    expect(diagnostics.message).toBe(expected);
    expect(diagnostics.diagnostics.filters.map((f) => f.node).sort()).toEqual(["control-plane", "worker-1", "worker-2"]);
    expect(JSON.stringify(diagnostics.diagnostics.filters)).toContain("TaintToleration");

    expect(run("taint", "nodes", "worker-1", "dedicated-").code).toBe(0);
    const node = await eventually(() => run("get", "pod", "stuck", "-o", "jsonpath={.spec.nodeName}").stdout, (n) => n !== "");
    expect(node).toBe("worker-1");
  });
});
