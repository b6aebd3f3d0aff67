import { describe, expect, it } from "vitest";
import { systemUser } from "../../src/sandbox/sandbox";
import { selectEverything } from "../../src/registry/selection";
import { formatTime } from "../../src/registry/clock";
import type { KObject, OwnerReference } from "../../src/registry/types";
import {
  cronJobKeyForJob,
  cronJobReconciler,
  formatRFC1123Z,
  formatRFC3339InZone,
  jobName,
  mostRecentScheduleTime,
  nextScheduleDelayMs,
  parseSchedule,
  SCHEDULE_CURSOR_FIELD,
  SCHEDULED_TIMESTAMP_ANNOTATION,
} from "../../src/controlplane/controllers/cronjob";
import { quietSandbox } from "./support/cluster";

const SPEED = 60;
/** Where the simulated calendar starts: a Sunday, 09:00:30 UTC. */
const SIM0 = Date.parse("2026-03-01T09:00:30Z");
const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);

// A sandbox whose own control plane never runs: the test drives the CronJob reconciler by hand and
// plays the Job controller. Two clocks move together: the simulated calendar (what schedules
// follow) and the wall clock (timestamps), which runs SPEED times slower.
async function world() {
  const { clock, registry } = await quietSandbox();
  let simNow = SIM0;
  const sim = { now: () => simNow };
  const makeReconciler = () => cronJobReconciler({ registry, user: systemUser, now: () => clock.now(), simulatedNow: sim.now });
  let reconcile = makeReconciler();
  const cronJobs = registry.resource("batch", "cronjobs");
  const jobs = registry.resource("batch", "jobs");
  const events = registry.resource("", "events");
  const list = (store: typeof jobs) => store.list("default", { selection: selectEverything }).items;
  const w = {
    clock,
    cronJobs,
    jobs,
    sync: (name = "hello") => reconcile(`default/${name}`),
    /** A controller that lost its memory (Durable Object evicted). */
    restart: () => {
      reconcile = makeReconciler();
    },
    /** Moves the simulated calendar by `ms`, the wall clock by `ms / SPEED`. */
    advance(ms: number) {
      simNow += ms;
      clock.advance(Math.round(ms / SPEED));
    },
    /** Moves the simulated calendar to `iso`. */
    until(iso: string) {
      w.advance(at(iso) - simNow);
    },
    cj: (name = "hello") => cronJobs.get("default", name),
    jobNames: () => list(jobs).map((j) => j.metadata.name!).sort(),
    job: (name: string) => jobs.get("default", name),
    activeNames: (name = "hello") => (w.cj(name).status?.active ?? []).map((r: { name: string }) => r.name),
    events: (reason?: string) => list(events).filter((e) => !reason || e.reason === reason).map((e) => e.message as string),
    snapshot: () => [...list(cronJobs), ...list(jobs), ...list(events)].map((o) => `${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`).sort(),
    async create(spec: Record<string, unknown> = {}, name = "hello") {
      return cronJobs.create("default", cronJob(name, spec), { user: systemUser });
    },
    async setSpec(patch: Record<string, unknown>, name = "hello") {
      await cronJobs.patch("default", name, (c) => ({ ...c, spec: { ...c.spec, ...patch } }), { user: systemUser });
    },
    /** The Job controller's verdict: Complete or Failed, started `startedMinutesAgo` wall minutes ago. */
    async finish(name: string, type: "Complete" | "Failed", startedMinutesAgo = 1) {
      const t = formatTime(clock.now());
      await jobs.patch(
        "default",
        name,
        (j) => ({
          ...j,
          status: {
            startTime: formatTime(clock.now() - startedMinutesAgo * MIN),
            ...(type === "Complete" ? { completionTime: t, succeeded: 1 } : { failed: 1 }),
            conditions: [{ type, status: "True", lastProbeTime: t, lastTransitionTime: t, reason: type === "Complete" ? "CompletionsReached" : "BackoffLimitExceeded", message: "" }],
          },
        }),
        { user: systemUser, subresource: "status" },
      );
    },
    async start(name: string, startedMinutesAgo = 0) {
      await jobs.patch("default", name, (j) => ({ ...j, status: { startTime: formatTime(clock.now() - startedMinutesAgo * MIN), active: 1 } }), { user: systemUser, subresource: "status" });
    },
  };
  return w;
}
type World = Awaited<ReturnType<typeof world>>;

function cronJob(name: string, spec: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name },
    spec: {
      schedule: "*/5 * * * *",
      ...spec,
      jobTemplate: {
        metadata: { labels: { app: name }, annotations: { team: "blue" } },
        spec: { backoffLimit: 2, template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox", command: ["date"] }] } } },
      },
    },
  };
}

const nameFor = (iso: string, cronJobName = "hello") => jobName(cronJobName, at(iso));

async function expectIdempotent(w: World, name = "hello") {
  const before = w.snapshot();
  await w.sync(name);
  expect(w.snapshot()).toEqual(before);
}

// ---------------------------------------------------------------------------------------------

describe("schedules", () => {
  const next = (schedule: string, from: string, timeZone?: string) => new Date(parseSchedule(schedule, timeZone).next(at(from))!).toISOString();

  it.each([
    // schedule, from, next (robfig semantics: strictly after, in UTC unless a zone is given)
    ["*/5 * * * *", "2026-03-01T09:00:00Z", "2026-03-01T09:05:00.000Z"],
    ["*/5 * * * *", "2026-03-01T09:04:59.500Z", "2026-03-01T09:05:00.000Z"],
    ["5/15 * * * *", "2026-03-01T09:06:00Z", "2026-03-01T09:20:00.000Z"],
    ["0 9 * * MON-FRI", "2026-03-01T00:00:00Z", "2026-03-02T09:00:00.000Z"],
    ["0 0 1 * *", "2026-03-05T00:00:00Z", "2026-04-01T00:00:00.000Z"], // day-of-week `*`: AND
    ["0 0 13 * 5", "2026-03-01T00:00:00Z", "2026-03-06T00:00:00.000Z"], // both restricted: OR (Friday the 6th)
    ["0 0 */10 * 5", "2026-03-01T00:00:00Z", "2026-03-06T00:00:00.000Z"], // `*/10` is not a star: OR
    ["0 0 ? * 5", "2026-03-01T00:00:00Z", "2026-03-06T00:00:00.000Z"],
    ["@hourly", "2026-03-01T09:00:00Z", "2026-03-01T10:00:00.000Z"],
    ["@weekly", "2026-03-02T00:00:00Z", "2026-03-08T00:00:00.000Z"],
    ["@every 90s", "2026-03-01T09:00:00.700Z", "2026-03-01T09:01:30.000Z"],
    ["@every 1h30m", "2026-03-01T09:00:00Z", "2026-03-01T10:30:00.000Z"],
  ])("%s after %s is %s", (schedule, from, expected) => {
    expect(next(schedule, from)).toBe(expected);
  });

  it("reads the schedule in spec.timeZone, or in a TZ=/CRON_TZ= prefix which wins over it", () => {
    expect(next("0 9 * * *", "2026-03-01T01:00:00Z", "Asia/Tokyo")).toBe("2026-03-02T00:00:00.000Z");
    expect(next("CRON_TZ=Asia/Tokyo 0 9 * * *", "2026-03-01T01:00:00Z")).toBe("2026-03-02T00:00:00.000Z");
    expect(next("TZ=America/New_York 0 9 * * *", "2026-03-01T01:00:00Z", "Asia/Tokyo")).toBe("2026-03-01T14:00:00.000Z");
  });

  it("rejects what robfig rejects, with robfig's message", () => {
    expect(() => parseSchedule("61 * * * *")).toThrow("end of range (61) above maximum (59): 61");
  });

  it("finds the most recent missed time and counts misses as upstream", () => {
    const s = parseSchedule("*/5 * * * *");
    const earliest = at("2026-03-01T09:00:00Z");
    expect(mostRecentScheduleTime(s, earliest, at("2026-03-01T09:04:00Z"))).toEqual({ mostRecent: null, missed: "none" });
    expect(mostRecentScheduleTime(s, earliest, at("2026-03-01T09:05:00Z"))).toEqual({ mostRecent: at("2026-03-01T09:05:00Z"), missed: "none" });
    expect(mostRecentScheduleTime(s, earliest, at("2026-03-01T09:17:00Z"))).toEqual({ mostRecent: at("2026-03-01T09:15:00Z"), missed: "few" });
    expect(mostRecentScheduleTime(s, earliest, at("2026-03-01T18:00:00Z"))).toEqual({ mostRecent: at("2026-03-01T18:00:00Z"), missed: "many" });
    expect(() => mostRecentScheduleTime(parseSchedule("0 0 31 2 *"), earliest, at("2026-03-01T18:00:00Z"))).toThrow("less than 1 second");
  });

  it("requeues 100 ms after the next schedule time", () => {
    const s = parseSchedule("*/5 * * * *");
    expect(nextScheduleDelayMs(s, at("2026-03-01T09:00:00Z"), at("2026-03-01T09:02:30Z"))).toBe(150_100);
    // A missed time not yet run counts as the base: the wake-up is for the one after it.
    expect(nextScheduleDelayMs(s, at("2026-03-01T09:00:00Z"), at("2026-03-01T09:06:00Z"))).toBe(4 * MIN + 100);
  });

  it("formats times as Go does", () => {
    expect(formatRFC3339InZone(at("2026-03-01T00:00:00Z"), "Asia/Tokyo")).toBe("2026-03-01T09:00:00+09:00");
    expect(formatRFC3339InZone(at("2026-03-01T14:00:00Z"), "America/New_York")).toBe("2026-03-01T09:00:00-05:00");
    expect(formatRFC3339InZone(at("2026-03-01T09:00:00Z"), "Europe/London")).toBe("2026-03-01T09:00:00Z");
    expect(formatRFC1123Z(at("2026-03-01T09:05:00Z"))).toBe("Sun, 01 Mar 2026 09:05:00 +0000");
    expect(jobName("hello", at("2026-03-01T09:05:00Z"))).toBe(`hello-${at("2026-03-01T09:05:00Z") / MIN}`);
  });
});

describe("cronjob controller", () => {
  it("fires on schedule, requeues for the next time, and writes nothing more at its fixed point", async () => {
    const w = await world();
    const cj = await w.create();
    // First sight: nothing due yet; the cursor records where the simulated calendar stood.
    expect(await w.sync()).toEqual({ requeueAfterMs: 4 * MIN + 30_000 + 100 });
    expect(w.jobNames()).toEqual([]);
    expect(w.cj().status).toEqual({ [SCHEDULE_CURSOR_FIELD]: "2026-03-01T09:00:30Z" });
    await expectIdempotent(w);

    w.advance(4 * MIN + 30_000 + 100);
    expect(await w.sync()).toEqual({ requeueAfterMs: 5 * MIN });
    const name = nameFor("2026-03-01T09:05:00Z");
    expect(w.jobNames()).toEqual([name]);
    const job = w.job(name);
    expect(job.metadata.labels).toMatchObject({ app: "hello" });
    expect(job.metadata.annotations).toEqual({ team: "blue", [SCHEDULED_TIMESTAMP_ANNOTATION]: "2026-03-01T09:05:00Z" });
    expect(job.metadata.ownerReferences).toEqual([{ apiVersion: "batch/v1", kind: "CronJob", name: "hello", uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(job.spec.backoffLimit).toBe(2);
    expect(cronJobKeyForJob(job)).toBe("default/hello");
    expect(w.events("SuccessfulCreate")).toEqual([`Created job ${name}`]);
    const status = w.cj().status;
    expect(status.active).toEqual([{ kind: "Job", namespace: "default", name, uid: job.metadata.uid, apiVersion: "batch/v1", resourceVersion: job.metadata.resourceVersion }]);
    // Wall-clock time of the run, never the (simulated, hours ahead of wall) schedule time.
    expect(status.lastScheduleTime).toBe(formatTime(w.clock.now()));
    expect(Date.parse(status.lastScheduleTime)).toBeLessThanOrEqual(w.clock.now());
    await expectIdempotent(w);

    w.advance(5 * MIN);
    await w.sync();
    expect(w.jobNames()).toEqual([name, nameFor("2026-03-01T09:10:00Z")].sort());
  });

  it("moves a completed Job out of active and into lastSuccessfulTime", async () => {
    const w = await world();
    await w.create();
    await w.sync();
    w.until("2026-03-01T09:05:00.100Z");
    await w.sync();
    const name = nameFor("2026-03-01T09:05:00Z");
    w.advance(MIN);
    await w.finish(name, "Complete");
    await w.sync();
    const status = w.cj().status;
    expect(status.active).toBeUndefined();
    expect(status.lastSuccessfulTime).toBe(w.job(name).status.completionTime);
    expect(w.events("SawCompletedJob")).toEqual([`Saw completed job: ${name}, status: Complete`]);
    await expectIdempotent(w);
  });

  it("Allow runs Jobs side by side", async () => {
    const w = await world();
    await w.create({ concurrencyPolicy: "Allow" });
    await w.sync();
    w.until("2026-03-01T09:05:00.100Z");
    await w.sync();
    w.until("2026-03-01T09:10:00.100Z");
    await w.sync();
    expect(w.activeNames()).toEqual([nameFor("2026-03-01T09:05:00Z"), nameFor("2026-03-01T09:10:00Z")]);
  });

  it("Forbid skips while a Job is active, then runs the missed time late once it finishes", async () => {
    const w = await world();
    await w.create({ concurrencyPolicy: "Forbid" });
    await w.sync();
    w.until("2026-03-01T09:05:00.100Z");
    await w.sync();
    const first = nameFor("2026-03-01T09:05:00Z");
    w.until("2026-03-01T09:10:00.100Z");
    expect(await w.sync()).toEqual({ requeueAfterMs: 5 * MIN });
    expect(w.jobNames()).toEqual([first]);
    expect(w.events("JobAlreadyActive")).toEqual(["Not starting job because prior execution is running and concurrency policy is Forbid"]);

    w.until("2026-03-01T09:12:00Z");
    await w.finish(first, "Complete");
    await w.sync(); // the Job update enqueues the CronJob
    expect(w.activeNames()).toEqual([nameFor("2026-03-01T09:10:00Z")]);
  });

  it("Replace deletes the active Job before creating the next", async () => {
    const w = await world();
    await w.create({ concurrencyPolicy: "Replace" });
    await w.sync();
    w.until("2026-03-01T09:05:00.100Z");
    await w.sync();
    const first = nameFor("2026-03-01T09:05:00Z");
    w.until("2026-03-01T09:10:00.100Z");
    await w.sync();
    const second = nameFor("2026-03-01T09:10:00Z");
    expect(w.jobNames()).toEqual([second]);
    expect(w.activeNames()).toEqual([second]);
    expect(w.events("SuccessfulDelete")).toEqual([`Deleted job ${first}`]);
    await expectIdempotent(w);
  });

  it("suspend creates nothing and stops requeueing; resuming runs only the most recent missed time", async () => {
    const w = await world();
    await w.create({ suspend: true });
    expect(await w.sync()).toBeUndefined();
    w.until("2026-03-01T09:17:00Z");
    expect(await w.sync()).toBeUndefined();
    expect(w.jobNames()).toEqual([]);
    await expectIdempotent(w);

    await w.setSpec({ suspend: false });
    expect(await w.sync()).toEqual({ requeueAfterMs: 3 * MIN + 100 });
    expect(w.jobNames()).toEqual([nameFor("2026-03-01T09:15:00Z")]);
    expect(w.events("TooManyMissedTimes")).toEqual([]);
  });

  it("startingDeadlineSeconds: a time missed longer ago than the deadline is skipped, a recent one runs", async () => {
    const w = await world();
    await w.create({ suspend: true, startingDeadlineSeconds: 60 });
    await w.sync();
    w.until("2026-03-01T09:07:00Z");
    await w.setSpec({ suspend: false });
    expect(await w.sync()).toEqual({ requeueAfterMs: 3 * MIN + 100 });
    expect(w.jobNames()).toEqual([]);

    w.until("2026-03-01T09:10:45Z");
    await w.sync();
    expect(w.jobNames()).toEqual([nameFor("2026-03-01T09:10:00Z")]);
  });

  it("warns about more than 100 missed times and runs only the most recent", async () => {
    const w = await world();
    await w.create({ schedule: "* * * * *", suspend: true });
    await w.sync();
    w.until("2026-03-01T12:00:30Z");
    await w.setSpec({ suspend: false });
    await w.sync();
    expect(w.events("TooManyMissedTimes")).toEqual(["too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew"]);
    expect(w.jobNames()).toEqual([nameFor("2026-03-01T12:00:00Z")]);
  });

  it("deletes the oldest finished Jobs beyond the history limits", async () => {
    const w = await world();
    await w.create({ successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 });
    await w.sync();
    const names: string[] = [];
    for (const minute of ["05", "10", "15", "20", "25"]) {
      w.until(`2026-03-01T09:${minute}:00.100Z`);
      await w.sync();
      names.push(nameFor(`2026-03-01T09:${minute}:00Z`));
    }
    // Oldest start first: the 09:05 and 09:10 runs succeeded, 09:15 and 09:20 failed, 09:25 runs on.
    await w.finish(names[0]!, "Complete", 20);
    await w.finish(names[1]!, "Complete", 15);
    await w.finish(names[2]!, "Failed", 10);
    await w.finish(names[3]!, "Failed", 5);
    await w.start(names[4]!);
    await w.sync();
    expect(w.jobNames()).toEqual([names[1], names[3], names[4]].sort());
    expect(w.events("SuccessfulDelete").sort()).toEqual([`Deleted job ${names[0]}`, `Deleted job ${names[2]}`].sort());
    expect(w.activeNames()).toEqual([names[4]]);
    await expectIdempotent(w);
  });

  it("reads the schedule in spec.timeZone: 0 9 * * * in Asia/Tokyo fires at 00:00 UTC", async () => {
    const w = await world();
    await w.create({ schedule: "0 9 * * *", timeZone: "Asia/Tokyo" });
    expect(await w.sync()).toEqual({ requeueAfterMs: at("2026-03-02T00:00:00Z") - SIM0 + 100 });
    w.until("2026-03-02T00:00:00.100Z");
    await w.sync();
    const name = nameFor("2026-03-02T00:00:00Z");
    expect(w.jobNames()).toEqual([name]);
    expect(w.job(name).metadata.annotations?.[SCHEDULED_TIMESTAMP_ANNOTATION]).toBe("2026-03-02T09:00:00+09:00");
  });

  it("a restarted controller neither reruns a schedule time nor misses one", async () => {
    const w = await world();
    await w.create();
    await w.sync();
    w.restart();
    w.until("2026-03-01T09:05:00.100Z");
    await w.sync();
    expect(w.jobNames()).toEqual([nameFor("2026-03-01T09:05:00Z")]);
    w.restart();
    await expectIdempotent(w);
    w.until("2026-03-01T09:10:00.100Z");
    w.restart();
    await w.sync();
    expect(w.jobNames()).toEqual([nameFor("2026-03-01T09:05:00Z"), nameFor("2026-03-01T09:10:00Z")].sort());
  });

  it("the history limit deleting every Job does not make a schedule time run twice", async () => {
    const w = await world();
    await w.create({ successfulJobsHistoryLimit: 0 });
    await w.sync();
    w.until("2026-03-01T09:05:00.100Z");
    await w.sync();
    const name = nameFor("2026-03-01T09:05:00Z");
    await w.finish(name, "Complete");
    w.restart();
    await w.sync();
    expect(w.jobNames()).toEqual([]);
    expect(w.cj().status.lastSuccessfulTime).toBeDefined();
    await expectIdempotent(w);
  });

  it("drops an active Job that went missing", async () => {
    const w = await world();
    await w.create();
    await w.sync();
    w.until("2026-03-01T09:05:00.100Z");
    await w.sync();
    const name = nameFor("2026-03-01T09:05:00Z");
    await w.jobs.delete("default", name, { user: systemUser });
    await w.sync();
    expect(w.cj().status.active).toBeUndefined();
    expect(w.events("MissingJob")).toEqual([`Active job went missing: ${name}`]);
    expect(w.jobNames()).toEqual([]);
  });

  it("a schedule that never fires warns InvalidSchedule and is not requeued", async () => {
    const w = await world();
    await w.create({ schedule: "0 0 31 2 *" });
    expect(await w.sync()).toBeUndefined();
    expect(w.events("InvalidSchedule")).toEqual(["invalid schedule: 0 0 31 2 * : time difference between two schedules is less than 1 second"]);
  });

  it("maps a Job to its controlling CronJob only", () => {
    const job = (ref?: OwnerReference): KObject => ({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "j", namespace: "ns", ...(ref ? { ownerReferences: [ref] } : {}) } });
    expect(cronJobKeyForJob(job({ apiVersion: "batch/v1", kind: "CronJob", name: "c", uid: "u", controller: true }))).toBe("ns/c");
    expect(cronJobKeyForJob(job({ apiVersion: "batch/v1", kind: "CronJob", name: "c", uid: "u" }))).toBeNull();
    expect(cronJobKeyForJob(job())).toBeNull();
  });
});

describe("jobs the controller did not create", () => {
  it("reports an unfinished Job it controls but does not list, and leaves it out of active", async () => {
    const w = await world();
    const cj = await w.create();
    await w.sync();
    await w.jobs.create(
      "default",
      {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: "manual", ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "hello", uid: cj.metadata.uid!, controller: true }] },
        spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox" }] } } },
      },
      { user: systemUser },
    );
    await w.sync();
    expect(w.events("UnexpectedJob")).toEqual(["Saw a job that the controller did not create or forgot: manual"]);
    expect(w.cj().status.active).toBeUndefined();
  });
});
