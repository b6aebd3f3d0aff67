import { describe, expect, it } from "vitest";
import { systemUser } from "../../src/sandbox/sandbox";
import { selectEverything } from "../../src/registry/selection";
import { formatTime } from "../../src/registry/clock";
import type { KObject } from "../../src/registry/types";
import {
  COMPLETION_INDEX,
  formatIndexes,
  INDEX_FAILURE_COUNT,
  INDEX_IGNORED_FAILURE_COUNT,
  isIndexFailed,
  jobKeyForPod,
  jobReconciler,
  matchPodFailurePolicy,
  parseIndexes,
  podCreationBackoffUntil,
} from "../../src/controlplane/controllers/job";
import { quietSandbox, T0 } from "./support/cluster";

// A sandbox whose own control plane never runs: the test drives the Job reconciler by hand.
async function world() {
  const { clock, registry } = await quietSandbox();
  const reconcile = jobReconciler({ registry, user: systemUser, now: () => clock.now() });
  const pods = registry.resource("", "pods");
  const jobs = registry.resource("batch", "jobs");
  const events = registry.resource("", "events");
  const list = (store: typeof pods) => store.list("default", { selection: selectEverything }).items;
  const w = {
    clock,
    pods,
    jobs,
    reconcile,
    sync: (name = "pi") => reconcile(`default/${name}`),
    podList: () => list(pods).filter((p) => !p.metadata.deletionTimestamp),
    active: () => w.podList().filter((p) => !["Succeeded", "Failed"].includes(p.status?.phase)),
    job: (name = "pi") => jobs.get("default", name),
    events: (reason?: string) => list(events).filter((e) => !reason || e.reason === reason).map((e) => e.message as string),
    snapshot: () => [...list(pods), ...list(jobs), ...list(events)].map((o) => `${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`).sort(),
    /** Sets a pod's phase (as the kubelet would) through the status subresource. */
    async finish(pod: KObject, phase: "Succeeded" | "Failed" | "Running", ready = false) {
      const t = formatTime(clock.now());
      const terminated = phase === "Running" ? undefined : { exitCode: phase === "Succeeded" ? 0 : 1, reason: phase === "Succeeded" ? "Completed" : "Error", finishedAt: t };
      await pods.patch(
        "default",
        pod.metadata.name!,
        (p) => ({
          ...p,
          status: {
            phase,
            conditions: [{ type: "Ready", status: ready ? "True" : "False", lastProbeTime: null, lastTransitionTime: t }],
            containerStatuses: [{ name: "main", ready, restartCount: 0, image: "busybox", imageID: "", state: terminated ? { terminated } : { running: { startedAt: t } } }],
          },
        }),
        { user: systemUser, subresource: "status" },
      );
    },
    /** Fails a pod as the kubelet would: its container `main` exits with `exitCode`; `conditions` are added (e.g. DisruptionTarget). */
    async fail(pod: KObject, exitCode: number, conditions: Record<string, unknown>[] = []) {
      const t = formatTime(clock.now());
      await pods.patch(
        "default",
        pod.metadata.name!,
        (p) => ({
          ...p,
          status: {
            phase: "Failed",
            conditions: [...conditions, { type: "Ready", status: "False", lastProbeTime: null, lastTransitionTime: t }],
            containerStatuses: [{ name: "main", ready: false, restartCount: 0, image: "busybox", imageID: "", state: { terminated: { exitCode, reason: "Error", finishedAt: t } } }],
          },
        }),
        { user: systemUser, subresource: "status" },
      );
    },
  };
  return w;
}

function job(name: string, spec: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name },
    spec: { ...spec, template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox", command: ["sleep", "5"] }] } } },
  };
}

const user = { user: systemUser };
const condition = (j: KObject, type: string) => (j.status?.conditions ?? []).find((c: { type: string }) => c.type === type);

async function expectIdempotent(w: Awaited<ReturnType<typeof world>>, name = "pi") {
  const before = w.snapshot();
  await w.sync(name);
  expect(w.snapshot()).toEqual(before);
}

// ---------------------------------------------------------------------------------------------

describe("pure pieces", () => {
  it.each([
    [[], ""],
    [[0], "0"],
    [[0, 1, 2, 5, 7, 8], "0-2,5,7,8"],
    [[3, 1, 2, 1], "1-3"],
    [[4, 5], "4,5"],
  ])("formatIndexes(%j) = %j and back", (ixs, s) => {
    expect(formatIndexes(ixs)).toBe(s);
    expect([...parseIndexes(s, 100)].sort((a, b) => a - b)).toEqual([...new Set(ixs)].sort((a, b) => a - b));
  });

  it("parseIndexes drops indexes at or over completions", () => {
    expect([...parseIndexes("1,3-6", 5)]).toEqual([1, 3, 4]);
  });

  it("pod creation backoff doubles per failure after the last success", () => {
    const p = (phase: string, at: number) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `p${at}` },
      status: { phase, containerStatuses: [{ state: { terminated: { finishedAt: formatTime(T0 + at) } } }] },
    });
    expect(podCreationBackoffUntil([p("Succeeded", 0)])).toBeNull();
    expect(podCreationBackoffUntil([p("Failed", 0)])).toBe(T0 + 10_000);
    expect(podCreationBackoffUntil([p("Failed", 0), p("Failed", 5_000)])).toBe(T0 + 5_000 + 20_000);
    expect(podCreationBackoffUntil([p("Failed", 0), p("Succeeded", 3_000), p("Failed", 5_000)])).toBe(T0 + 15_000);
    expect(podCreationBackoffUntil(Array.from({ length: 20 }, (_, i) => p("Failed", i * 1000)))).toBe(T0 + 19_000 + 600_000);
  });

  it("jobKeyForPod names the controlling Job only", () => {
    const ref = (kind: string) => ({ apiVersion: "x", kind, name: "o", uid: "u", controller: true });
    expect(jobKeyForPod({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ns", ownerReferences: [ref("Job")] } })).toBe("ns/o");
    expect(jobKeyForPod({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ns", ownerReferences: [ref("ReplicaSet")] } })).toBeNull();
    expect(jobKeyForPod({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ns" } })).toBeNull();
  });
});

describe("Job controller", () => {
  it("creates pods from the template with the controller ref, labels and events", async () => {
    const w = await world();
    const j = await w.jobs.create("default", job("pi"), user);
    expect(await w.sync()).toBeUndefined();
    const pods = w.podList();
    expect(pods).toHaveLength(1);
    const [p] = pods;
    expect(p.metadata.name).toMatch(/^pi-/);
    expect(p.metadata.generateName).toBe("pi-");
    expect(p.metadata.ownerReferences).toEqual([{ apiVersion: "batch/v1", kind: "Job", name: "pi", uid: j.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(p.metadata.labels).toEqual({
      "batch.kubernetes.io/job-name": "pi",
      "job-name": "pi",
      "batch.kubernetes.io/controller-uid": j.metadata.uid,
      "controller-uid": j.metadata.uid,
    });
    expect(jobKeyForPod(p)).toBe("default/pi");
    expect(w.events("SuccessfulCreate")).toEqual([`Created pod: ${p.metadata.name}`]);
    expect(w.job().status).toEqual({ active: 1, ready: 0, terminating: 0, startTime: formatTime(T0), uncountedTerminatedPods: {} });
    await expectIdempotent(w);
  });

  it.each([
    // completions, parallelism, active pods after each round of marking every active pod Succeeded
    { completions: 5, parallelism: 2, rounds: [2, 2, 1, 0] },
    { completions: 3, parallelism: 5, rounds: [3, 0] },
    { completions: 1, parallelism: 1, rounds: [1, 0] },
    { completions: 4, parallelism: 1, rounds: [1, 1, 1, 1, 0] },
  ])("completions=$completions parallelism=$parallelism: active pods $rounds", async ({ completions, parallelism, rounds }) => {
    const w = await world();
    await w.jobs.create("default", job("pi", { completions, parallelism }), user);
    await w.sync();
    const seen: number[] = [];
    for (let i = 0; i < rounds.length; i++) {
      const active = w.active();
      seen.push(active.length);
      expect(w.job().status.active ?? 0).toBe(active.length);
      if (!active.length) break;
      await w.finish(active[0], "Running", true);
      await w.sync();
      expect(w.job().status.ready).toBe(1);
      w.clock.advance(5_000);
      for (const p of w.active()) await w.finish(p, "Succeeded");
      await w.sync();
      await expectIdempotent(w);
    }
    expect(seen).toEqual(rounds);
    const done = w.job();
    expect(done.status.succeeded).toBe(completions);
    expect(done.status.completionTime).toBe(formatTime(w.clock.now()));
    expect(condition(done, "SuccessCriteriaMet")).toMatchObject({ status: "True", reason: "CompletionsReached", message: "Reached expected number of succeeded pods" });
    expect(condition(done, "Complete")).toMatchObject({ status: "True", reason: "CompletionsReached", message: "Reached expected number of succeeded pods" });
    expect(done.status.conditions.map((c: { type: string }) => c.type)).toEqual(["SuccessCriteriaMet", "Complete"]);
    expect(w.events("Completed")).toEqual(["Job completed"]);
    expect(w.events("SuccessfulCreate")).toHaveLength(completions);
    await expectIdempotent(w);
  });

  it("a work queue (no completions) completes once one pod succeeded and the rest are done", async () => {
    const w = await world();
    await w.jobs.create("default", job("pi", { parallelism: 2 }), user);
    await w.sync();
    const [a, b] = w.active();
    expect(w.active()).toHaveLength(2);
    await w.finish(a, "Succeeded");
    await w.sync();
    expect(w.active()).toHaveLength(1); // no replacement, b finishes on its own
    expect(condition(w.job(), "Complete")).toBeUndefined();
    await w.finish(b, "Succeeded");
    await w.sync();
    expect(condition(w.job(), "Complete")?.status).toBe("True");
    expect(w.job().status.succeeded).toBe(2);
  });

  it("lowering parallelism deletes surplus active pods", async () => {
    const w = await world();
    await w.jobs.create("default", job("pi", { completions: 6, parallelism: 3 }), user);
    await w.sync();
    expect(w.active()).toHaveLength(3);
    await w.jobs.patch("default", "pi", (j) => ({ ...j, spec: { ...j.spec, parallelism: 1 } }), user);
    await w.sync();
    expect(w.active()).toHaveLength(1);
    expect(w.events("SuccessfulDelete")).toHaveLength(2);
    expect(w.job().status).toMatchObject({ active: 1, terminating: 0 });
    await expectIdempotent(w);
  });

  it("waits for terminating pods before the terminal condition", async () => {
    const w = await world();
    const j = job("pi", { completions: 2, parallelism: 2, backoffLimit: 0 });
    j.spec.template.spec.nodeName = "worker-1"; // bound pods are deleted gracefully
    await w.jobs.create("default", j, user);
    await w.sync();
    const [a, b] = w.active();
    await w.finish(a, "Failed");
    await w.sync();
    let s = w.job();
    expect(condition(s, "FailureTarget")).toMatchObject({ status: "True", reason: "BackoffLimitExceeded" });
    expect(condition(s, "Failed")).toBeUndefined();
    expect(s.status).toMatchObject({ failed: 1, terminating: 1 });
    expect(s.status.active).toBeUndefined();
    await expectIdempotent(w);
    await w.pods.delete("default", b.metadata.name!, { user: systemUser, gracePeriodSeconds: 0 });
    w.clock.advance(2_000);
    await w.sync();
    s = w.job();
    expect(condition(s, "Failed")).toMatchObject({ status: "True", reason: "BackoffLimitExceeded", lastTransitionTime: formatTime(w.clock.now()) });
    expect(s.status.terminating).toBe(0);
    expect(w.events("BackoffLimitExceeded")).toHaveLength(1);
  });

  it("backoffLimit: replaces failed pods after the backoff, then fails the job", async () => {
    const w = await world();
    await w.jobs.create("default", job("pi", { backoffLimit: 1 }), user);
    await w.sync();
    await w.finish(w.active()[0], "Failed");
    const r = await w.sync();
    expect(w.active()).toHaveLength(0); // backoff 10 s
    expect(r).toEqual({ requeueAfterMs: 10_000 });
    expect(w.job().status).toMatchObject({ failed: 1 });
    await expectIdempotent(w);
    w.clock.advance(10_000);
    await w.sync();
    expect(w.active()).toHaveLength(1);
    expect(w.events("SuccessfulCreate")).toHaveLength(2);
    await w.finish(w.active()[0], "Failed");
    await w.sync();
    const failed = w.job();
    expect(failed.status.failed).toBe(2);
    expect(failed.status.conditions.map((c: { type: string }) => c.type)).toEqual(["FailureTarget", "Failed"]);
    expect(condition(failed, "Failed")).toMatchObject({ status: "True", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" });
    expect(failed.status.completionTime).toBeUndefined();
    expect(w.events("BackoffLimitExceeded")).toEqual(["Job has reached the specified backoff limit"]);
    expect(w.active()).toHaveLength(0);
    await expectIdempotent(w);
  });

  it("backoffLimit exceeded deletes the other active pods", async () => {
    const w = await world();
    await w.jobs.create("default", job("pi", { parallelism: 3, completions: 3, backoffLimit: 0 }), user);
    await w.sync();
    const [a] = w.active();
    await w.finish(a, "Failed");
    await w.sync();
    expect(w.active()).toHaveLength(0);
    expect(w.events("SuccessfulDelete")).toHaveLength(2);
    expect(condition(w.job(), "Failed")?.reason).toBe("BackoffLimitExceeded");
  });

  it("activeDeadlineSeconds: requeues for the deadline, then fails with DeadlineExceeded", async () => {
    const w = await world();
    await w.jobs.create("default", job("pi", { activeDeadlineSeconds: 30 }), user);
    expect(await w.sync()).toEqual({ requeueAfterMs: 30_000 });
    w.clock.advance(12_000);
    expect(await w.sync()).toEqual({ requeueAfterMs: 18_000 });
    w.clock.advance(18_000);
    await w.sync();
    expect(w.active()).toHaveLength(0);
    const j = w.job();
    expect(condition(j, "Failed")).toMatchObject({ status: "True", reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" });
    expect(w.events("DeadlineExceeded")).toEqual(["Job was active longer than specified deadline"]);
    await expectIdempotent(w);
  });

  it("Indexed: one pod per index, completedIndexes, replacement of a failed index", async () => {
    const w = await world();
    await w.jobs.create("default", job("pi", { completions: 4, parallelism: 2, completionMode: "Indexed" }), user);
    await w.sync();
    const ix = (p: KObject) => p.metadata.annotations?.[COMPLETION_INDEX];
    let active = w.active();
    expect(active.map(ix).sort()).toEqual(["0", "1"]);
    for (const p of active) {
      expect(p.metadata.name).toMatch(new RegExp(`^pi-${ix(p)}-`));
      expect(p.metadata.labels?.[COMPLETION_INDEX]).toBe(ix(p));
      expect(p.spec.containers[0].env).toEqual([{ name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } } }]);
    }
    await w.finish(active.find((p) => ix(p) === "1")!, "Succeeded");
    await w.sync();
    active = w.active();
    expect(active.map(ix).sort()).toEqual(["0", "2"]);
    expect(w.job().status).toMatchObject({ succeeded: 1, completedIndexes: "1", active: 2 });
    await expectIdempotent(w);
    await w.finish(active.find((p) => ix(p) === "0")!, "Failed");
    await w.sync();
    w.clock.advance(10_000);
    await w.sync();
    active = w.active();
    expect(active.map(ix).sort()).toEqual(["0", "2"]);
    for (const p of active) await w.finish(p, "Succeeded");
    await w.sync();
    expect(w.active().map(ix)).toEqual(["3"]);
    expect(w.job().status).toMatchObject({ succeeded: 3, failed: 1, completedIndexes: "0-2" });
    await w.finish(w.active()[0], "Succeeded");
    await w.sync();
    const done = w.job();
    expect(done.status).toMatchObject({ succeeded: 4, completedIndexes: "0-3" });
    expect(condition(done, "Complete")?.status).toBe("True");
    await expectIdempotent(w);
  });

  it("suspend deletes active pods and sets Suspended; resuming recreates them and restarts startTime", async () => {
    const w = await world();
    await w.jobs.create("default", job("pi", { completions: 2, parallelism: 2 }), user);
    await w.sync();
    expect(w.active()).toHaveLength(2);
    await w.jobs.patch("default", "pi", (j) => ({ ...j, spec: { ...j.spec, suspend: true } }), user);
    w.clock.advance(3_000);
    await w.sync();
    expect(w.podList()).toHaveLength(0);
    const s = w.job();
    expect(condition(s, "Suspended")).toMatchObject({ status: "True", reason: "JobSuspended", message: "Job suspended" });
    expect(s.status.active).toBeUndefined();
    expect(w.events("Suspended")).toEqual(["Job suspended"]);
    expect(w.events("SuccessfulDelete")).toHaveLength(2);
    await expectIdempotent(w);
    w.clock.advance(60_000);
    await w.jobs.patch("default", "pi", (j) => ({ ...j, spec: { ...j.spec, suspend: false } }), user);
    await w.sync();
    expect(w.active()).toHaveLength(2);
    const r = w.job();
    expect(condition(r, "Suspended")).toMatchObject({ status: "False", reason: "JobResumed", message: "Job resumed" });
    expect(r.status.startTime).toBe(formatTime(w.clock.now()));
    expect(w.events("Resumed")).toEqual(["Job resumed"]);
    await expectIdempotent(w);
  });

  it("a job created suspended creates nothing and has no startTime", async () => {
    const w = await world();
    await w.jobs.create("default", job("pi", { suspend: true }), user);
    await w.sync();
    expect(w.podList()).toHaveLength(0);
    expect(w.job().status.startTime).toBeUndefined();
    expect(condition(w.job(), "Suspended")?.status).toBe("True");
  });

  it.each([
    { ttl: 0, wait: 0 },
    { ttl: 100, wait: 100_000 },
  ])("ttlSecondsAfterFinished=$ttl deletes the finished job", async ({ ttl, wait }) => {
    const w = await world();
    await w.jobs.create("default", job("pi", { ttlSecondsAfterFinished: ttl }), user);
    await w.sync();
    await w.finish(w.active()[0], "Succeeded");
    const r = await w.sync();
    if (wait) {
      expect(r).toEqual({ requeueAfterMs: wait });
      expect(condition(w.job(), "Complete")?.status).toBe("True");
      w.clock.advance(wait - 1_000);
      expect(await w.sync()).toEqual({ requeueAfterMs: 1_000 });
      w.clock.advance(1_000);
      expect(await w.sync()).toBeUndefined();
    } else expect(r).toBeUndefined();
    expect(w.jobs.list("default", { selection: selectEverything }).items.filter((j) => !j.metadata.deletionTimestamp)).toHaveLength(0);
  });

  it("ignores pods controlled by something else and missing jobs", async () => {
    const w = await world();
    expect(await w.sync("nope")).toBeUndefined();
    await w.jobs.create("default", job("pi"), user);
    await w.sync();
    await w.jobs.create("default", job("other"), user);
    await w.sync("other");
    expect(w.podList()).toHaveLength(2);
    await expectIdempotent(w, "pi");
    await expectIdempotent(w, "other");
  });
});

// ---- podFailurePolicy, backoffLimitPerIndex, podReplacementPolicy ------------------------------

const exitCodeRule = (action: string, operator: "In" | "NotIn", values: number[], containerName?: string) => ({ action, onExitCodes: { ...(containerName ? { containerName } : {}), operator, values } });
const conditionRule = (action: string, type: string, status = "True") => ({ action, onPodConditions: [{ type, status }] });
const disruption = (t: string) => ({ type: "DisruptionTarget", status: "True", reason: "EvictionByEvictionAPI", message: "Eviction API: evicting", lastProbeTime: null, lastTransitionTime: t });

function failedPod(opts: { exitCodes?: Record<string, number>; initExitCodes?: Record<string, number>; conditions?: { type: string; status: string }[]; annotations?: Record<string, string> }): KObject {
  const statuses = (codes: Record<string, number> = {}) => Object.entries(codes).map(([name, exitCode]) => ({ name, state: { terminated: { exitCode } } }));
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "pi-abc", namespace: "ns", annotations: opts.annotations },
    status: { phase: "Failed", conditions: opts.conditions ?? [], containerStatuses: statuses(opts.exitCodes), initContainerStatuses: statuses(opts.initExitCodes) },
  };
}

describe("matchPodFailurePolicy", () => {
  const failJob42 = exitCodeRule("FailJob", "In", [42]);
  it.each([
    { what: "no policy counts", policy: undefined, pod: failedPod({ exitCodes: { main: 42 } }), want: { action: null, countFailed: true, failJobMessage: null } },
    {
      what: "In on the exit code fails the job, with upstream's message",
      policy: { rules: [failJob42] },
      pod: failedPod({ exitCodes: { main: 42 } }),
      want: { action: "FailJob", countFailed: true, failJobMessage: "Container main for pod ns/pi-abc failed with exit code 42 matching FailJob rule at index 0" },
    },
    { what: "another exit code matches nothing", policy: { rules: [failJob42] }, pod: failedPod({ exitCodes: { main: 1 } }), want: { action: null, countFailed: true, failJobMessage: null } },
    { what: "NotIn never matches exit code 0", policy: { rules: [exitCodeRule("Ignore", "NotIn", [1])] }, pod: failedPod({ exitCodes: { main: 0, side: 1 } }), want: { action: null, countFailed: true, failJobMessage: null } },
    { what: "NotIn matches another non-zero code", policy: { rules: [exitCodeRule("Ignore", "NotIn", [1])] }, pod: failedPod({ exitCodes: { main: 0, side: 3 } }), want: { action: "Ignore", countFailed: false, failJobMessage: null } },
    { what: "containerName restricts the match", policy: { rules: [exitCodeRule("FailJob", "In", [42], "side")] }, pod: failedPod({ exitCodes: { main: 42 } }), want: { action: null, countFailed: true, failJobMessage: null } },
    {
      what: "init containers are matched after containers",
      policy: { rules: [exitCodeRule("FailJob", "In", [7])] },
      pod: failedPod({ exitCodes: { main: 1 }, initExitCodes: { setup: 7 } }),
      want: { action: "FailJob", countFailed: true, failJobMessage: "Container setup for pod ns/pi-abc failed with exit code 7 matching FailJob rule at index 0" },
    },
    {
      what: "a condition rule fails the job with the condition message",
      policy: { rules: [exitCodeRule("Count", "In", [3]), conditionRule("FailJob", "ConfigIssue")] },
      pod: failedPod({ exitCodes: { main: 1 }, conditions: [{ type: "ConfigIssue", status: "True" }] }),
      want: { action: "FailJob", countFailed: true, failJobMessage: "Pod ns/pi-abc has condition ConfigIssue matching FailJob rule at index 1" },
    },
    { what: "the condition status must match", policy: { rules: [conditionRule("Ignore", "DisruptionTarget")] }, pod: failedPod({ conditions: [{ type: "DisruptionTarget", status: "False" }] }), want: { action: null, countFailed: true, failJobMessage: null } },
    { what: "the first matching rule wins", policy: { rules: [conditionRule("Ignore", "DisruptionTarget"), failJob42] }, pod: failedPod({ exitCodes: { main: 42 }, conditions: [{ type: "DisruptionTarget", status: "True" }] }), want: { action: "Ignore", countFailed: false, failJobMessage: null } },
    { what: "FailIndex counts", policy: { rules: [exitCodeRule("FailIndex", "In", [42])] }, pod: failedPod({ exitCodes: { main: 42 } }), want: { action: "FailIndex", countFailed: true, failJobMessage: null } },
  ])("$what", ({ policy, pod, want }) => {
    expect(matchPodFailurePolicy(policy, pod)).toEqual(want);
  });

  it("isIndexFailed: FailIndex, or a counted failure once the index used its backoffLimitPerIndex", () => {
    const j = { ...job("pi", { backoffLimitPerIndex: 1, podFailurePolicy: { rules: [exitCodeRule("FailIndex", "In", [42]), conditionRule("Ignore", "DisruptionTarget")] } }) };
    const at = (count: string, extra: Parameters<typeof failedPod>[0] = {}) => failedPod({ exitCodes: { main: 1 }, ...extra, annotations: { [INDEX_FAILURE_COUNT]: count } });
    expect(isIndexFailed(j, at("0"))).toBe(false);
    expect(isIndexFailed(j, at("1"))).toBe(true);
    expect(isIndexFailed(j, at("0", { exitCodes: { main: 42 } }))).toBe(true);
    expect(isIndexFailed(j, at("1", { conditions: [{ type: "DisruptionTarget", status: "True" }] }))).toBe(false);
    expect(isIndexFailed(j, at("junk"))).toBe(false);
  });
});

describe("Job controller: podFailurePolicy", () => {
  it("FailJob on an exit code fails the job with reason PodFailurePolicy once the other pods are gone", async () => {
    const w = await world();
    const j = job("pi", { completions: 2, parallelism: 2, podFailurePolicy: { rules: [exitCodeRule("FailJob", "In", [42], "main")] } });
    j.spec.template.spec.nodeName = "worker-1"; // bound pods are deleted gracefully
    await w.jobs.create("default", j, user);
    await w.sync();
    const [a, b] = w.active();
    await w.fail(a, 42);
    await w.sync();
    const message = `Container main for pod default/${a.metadata.name} failed with exit code 42 matching FailJob rule at index 0`;
    let s = w.job();
    expect(condition(s, "FailureTarget")).toMatchObject({ status: "True", reason: "PodFailurePolicy", message });
    expect(condition(s, "Failed")).toBeUndefined();
    expect(s.status).toMatchObject({ failed: 1, terminating: 1 });
    expect(w.events("SuccessfulDelete")).toEqual([`Deleted pod: ${b.metadata.name}`]);
    await expectIdempotent(w);
    await w.pods.delete("default", b.metadata.name!, { user: systemUser, gracePeriodSeconds: 0 });
    await w.sync();
    s = w.job();
    expect(s.status.conditions.map((c: { type: string }) => c.type)).toEqual(["FailureTarget", "Failed"]);
    expect(condition(s, "Failed")).toMatchObject({ status: "True", reason: "PodFailurePolicy", message });
    expect(w.events("PodFailurePolicy")).toEqual([message]);
    expect(w.events("SuccessfulCreate")).toHaveLength(2);
    await expectIdempotent(w);
  });

  it("a failure not matching the FailJob rule is counted against backoffLimit as usual", async () => {
    const w = await world();
    await w.jobs.create("default", job("pi", { backoffLimit: 0, podFailurePolicy: { rules: [exitCodeRule("FailJob", "In", [42])] } }), user);
    await w.sync();
    await w.fail(w.active()[0], 1);
    await w.sync();
    expect(condition(w.job(), "Failed")).toMatchObject({ status: "True", reason: "BackoffLimitExceeded" });
  });

  it("Ignore on DisruptionTarget: an evicted pod is not counted and is replaced once it has terminated", async () => {
    const w = await world();
    const j = job("pi", { backoffLimit: 0, podFailurePolicy: { rules: [conditionRule("Ignore", "DisruptionTarget")] } });
    j.spec.template.spec.nodeName = "worker-1";
    await w.jobs.create("default", j, user);
    await w.sync();
    expect(w.job().spec.podReplacementPolicy).toBe("Failed");
    const [evicted] = w.active();
    // The eviction: DisruptionTarget=True, then a graceful delete; the kubelet then fails the pod.
    await w.pods.patch("default", evicted.metadata.name!, (p) => ({ ...p, status: { ...p.status, conditions: [disruption(formatTime(w.clock.now()))] } }), { user: systemUser, subresource: "status" });
    await w.pods.delete("default", evicted.metadata.name!, { user: systemUser });
    await w.sync();
    expect(w.pods.list("default", { selection: selectEverything }).items).toHaveLength(1); // not replaced while terminating
    expect(w.job().status).toMatchObject({ terminating: 1 });
    expect(w.job().status.active).toBeUndefined();
    await expectIdempotent(w);
    w.clock.advance(1_000);
    await w.fail(evicted, 137, [disruption(formatTime(w.clock.now()))]);
    expect(await w.sync()).toEqual({ requeueAfterMs: 10_000 }); // the usual pod-creation backoff
    let s = w.job();
    expect(s.status.failed).toBeUndefined();
    expect(s.status.terminating).toBe(0);
    expect(condition(s, "FailureTarget")).toBeUndefined();
    w.clock.advance(10_000);
    await w.sync();
    expect(w.active()).toHaveLength(1);
    await w.finish(w.active()[0], "Succeeded");
    await w.sync();
    s = w.job();
    expect(condition(s, "Complete")?.status).toBe("True");
    expect(s.status).toMatchObject({ succeeded: 1 });
    expect(s.status.failed).toBeUndefined();
    await expectIdempotent(w);
  });
});

describe("Job controller: backoffLimitPerIndex", () => {
  const ix = (p: KObject) => p.metadata.annotations?.[COMPLETION_INDEX];
  const at = (w: Awaited<ReturnType<typeof world>>, index: string) => w.active().find((p) => ix(p) === index)!;

  it("retries an index up to its limit, FailIndex fails an index at once, and the job ends with FailedIndexes", async () => {
    const w = await world();
    const spec = { completions: 3, parallelism: 3, completionMode: "Indexed", backoffLimitPerIndex: 1, podFailurePolicy: { rules: [exitCodeRule("FailIndex", "In", [42])] } };
    await w.jobs.create("default", job("pi", spec), user);
    await w.sync();
    expect(w.active().map((p) => [ix(p), p.metadata.annotations?.[INDEX_FAILURE_COUNT]]).sort()).toEqual([["0", "0"], ["1", "0"], ["2", "0"]]);
    expect(w.job().status.failedIndexes).toBe("");

    await w.fail(at(w, "0"), 1); // counted, index 0 has one retry left
    await w.fail(at(w, "1"), 42); // FailIndex
    expect(await w.sync()).toEqual({ requeueAfterMs: 10_000 }); // index 0 backs off
    expect(w.job().status).toMatchObject({ failed: 2, failedIndexes: "1", active: 1 });
    await expectIdempotent(w);
    w.clock.advance(10_000);
    await w.sync();
    const retry = at(w, "0");
    expect(retry.metadata.annotations?.[INDEX_FAILURE_COUNT]).toBe("1");
    expect(w.active().map(ix).sort()).toEqual(["0", "2"]); // index 1 is not retried
    await expectIdempotent(w);

    await w.fail(retry, 1);
    await w.sync();
    expect(w.job().status).toMatchObject({ failed: 3, failedIndexes: "0,1", active: 1 });
    expect(condition(w.job(), "FailureTarget")).toBeUndefined();
    await w.finish(at(w, "2"), "Succeeded");
    await w.sync();
    const s = w.job();
    expect(s.status).toMatchObject({ failed: 3, succeeded: 1, completedIndexes: "2", failedIndexes: "0,1" });
    expect(s.status.conditions.map((c: { type: string }) => c.type)).toEqual(["FailureTarget", "Failed"]);
    expect(condition(s, "Failed")).toMatchObject({ status: "True", reason: "FailedIndexes", message: "Job has failed indexes" });
    expect(w.events("FailedIndexes")).toEqual(["Job has failed indexes"]);
    expect(w.events("SuccessfulCreate")).toHaveLength(4);
    await expectIdempotent(w);
  });

  it("an ignored failure is retried without using the index's limit", async () => {
    const w = await world();
    const spec = { completions: 1, completionMode: "Indexed", backoffLimitPerIndex: 0, podFailurePolicy: { rules: [conditionRule("Ignore", "DisruptionTarget")] } };
    await w.jobs.create("default", job("pi", spec), user);
    await w.sync();
    await w.fail(at(w, "0"), 137, [disruption(formatTime(w.clock.now()))]);
    await w.sync();
    w.clock.advance(10_000);
    await w.sync();
    const retry = at(w, "0");
    expect(retry.metadata.annotations).toMatchObject({ [INDEX_FAILURE_COUNT]: "0", [INDEX_IGNORED_FAILURE_COUNT]: "1" });
    expect(w.job().status.failedIndexes).toBe("");
    expect(w.job().status.failed).toBeUndefined();
  });

  it("more than maxFailedIndexes failed indexes fail the job and delete its active pods", async () => {
    const w = await world();
    const spec = { completions: 4, parallelism: 4, completionMode: "Indexed", backoffLimitPerIndex: 0, maxFailedIndexes: 1 };
    await w.jobs.create("default", job("pi", spec), user);
    await w.sync();
    await w.fail(at(w, "0"), 1);
    await w.sync();
    expect(w.job().status).toMatchObject({ failedIndexes: "0", failed: 1, active: 3 });
    expect(condition(w.job(), "FailureTarget")).toBeUndefined();
    await expectIdempotent(w);
    await w.fail(at(w, "2"), 1);
    await w.sync();
    const s = w.job();
    expect(w.active()).toHaveLength(0);
    expect(s.status).toMatchObject({ failedIndexes: "0,2", failed: 2 });
    expect(condition(s, "Failed")).toMatchObject({ status: "True", reason: "MaxFailedIndexesExceeded", message: "Job has exceeded the specified maximal number of failed indexes" });
    expect(w.events("MaxFailedIndexesExceeded")).toEqual(["Job has exceeded the specified maximal number of failed indexes"]);
    await expectIdempotent(w);
  });
});

describe("Job controller: podReplacementPolicy", () => {
  async function deletedWhileRunning(policy: "Failed" | "TerminatingOrFailed", completionMode = "NonIndexed") {
    const w = await world();
    const j = job("pi", { podReplacementPolicy: policy, completionMode, completions: 1 });
    j.spec.template.spec.nodeName = "worker-1";
    await w.jobs.create("default", j, user);
    await w.sync();
    const [first] = w.active();
    await w.pods.delete("default", first.metadata.name!, { user: systemUser });
    await w.sync();
    return { w, first };
  }

  it.each(["NonIndexed", "Indexed"])("Failed (%s): a terminating pod is replaced only once it is Failed", async (mode) => {
    const { w, first } = await deletedWhileRunning("Failed", mode);
    expect(w.active()).toHaveLength(0);
    expect(w.job().status).toMatchObject({ terminating: 1 });
    await expectIdempotent(w);
    await w.fail(first, 143);
    expect(await w.sync()).toEqual({ requeueAfterMs: 10_000 });
    expect(w.job().status).toMatchObject({ terminating: 0, failed: 1 });
    w.clock.advance(10_000);
    await w.sync();
    expect(w.active()).toHaveLength(1);
    if (mode === "Indexed") expect(w.active()[0].metadata.annotations?.[COMPLETION_INDEX]).toBe("0");
    await expectIdempotent(w);
  });

  it("TerminatingOrFailed: a terminating pod is replaced at once", async () => {
    const { w } = await deletedWhileRunning("TerminatingOrFailed");
    expect(w.active()).toHaveLength(1);
    expect(w.job().status).toMatchObject({ terminating: 1, active: 1 });
  });
});
