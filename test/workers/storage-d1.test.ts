import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import type { WatchEvent } from "../../src/storage/backend";
import { createD1Backend, deleteSandboxRows, StaleStorageError, type D1Backend } from "../../src/storage/d1";
import { sandboxes } from "../../src/storage/schema";
import { backendConformance } from "../conformance/backend-suite";

const newSandbox = () => crypto.randomUUID();

backendConformance("d1", () => createD1Backend(env.DB, newSandbox()));

async function rowCounts(sandboxId: string) {
  const [objects, revisions, sandbox] = await env.DB.batch<{ n: number }>([
    env.DB.prepare("SELECT count(*) AS n FROM objects WHERE sandbox_id=?1").bind(sandboxId),
    env.DB.prepare("SELECT count(*) AS n FROM revisions WHERE sandbox_id=?1").bind(sandboxId),
    env.DB.prepare("SELECT count(*) AS n FROM sandboxes WHERE id=?1").bind(sandboxId),
  ]);
  return { objects: objects!.results[0]!.n, revisions: revisions!.results[0]!.n, sandboxes: sandbox!.results[0]!.n };
}

async function insertSandboxRow(id: string) {
  await drizzle(env.DB)
    .insert(sandboxes)
    .values({ id, name: "test", owner: "admin", createdAt: Date.now(), kubernetesVersion: "v1.32.0", spec: { nodes: 1 } });
}

function history(backend: D1Backend, afterRevision: number, prefix = "") {
  const events: WatchEvent[] = [];
  backend.watch({ prefix, afterRevision }, (e) => events.push(e)).cancel();
  return events;
}

/** Creates, updates, deletes and re-creates keys under /registry/… and returns the backend. */
async function busySandbox(id: string) {
  const b = await createD1Backend(env.DB, id);
  await Promise.all(Array.from({ length: 30 }, (_, i) => b.create(`/registry/pods/ns${i % 3}/p${i}`, { i, spec: { node: `n${i % 4}` } })));
  for (let i = 0; i < 30; i += 3) await b.update(`/registry/pods/ns${i % 3}/p${i}`, { i, spec: { node: "moved" } });
  for (let i = 0; i < 30; i += 5) await b.delete(`/registry/pods/ns${i % 3}/p${i}`);
  await b.create("/registry/pods/ns0/p0", { again: true });
  await b.update("/registry/pods/ns0/p0", { again: 2 });
  return b;
}

describe("d1 backend", () => {
  it("commits a group of concurrent writes with few D1 statements", async () => {
    const b = await createD1Backend(env.DB, newSandbox());
    await b.create("/warm", {});
    const before = b.d1Stats;
    await Promise.all(Array.from({ length: 200 }, (_, i) => b.create(`/registry/configmaps/default/cm-${i}`, { data: { i: String(i) } })));
    const stats = b.d1Stats;
    const commits = stats.commits - before.commits;
    const statements = stats.statements - before.statements;
    expect(stats.writes - before.writes).toBe(200);
    expect(commits).toBeLessThan(10);
    // 49 rows per multi-row statement, one log insert and one upsert per chunk.
    expect(statements / 200).toBeLessThan(0.2);
    expect(b.statementsPerCommit).toEqual(stats);
    // A lone write costs two statements: its log row and its object row.
    const lone = b.d1Stats;
    await b.update("/warm", { v: 1 });
    expect(b.d1Stats.statements - lone.statements).toBe(2);
  });

  it("cold-starts with the same state, revision and watch history", async () => {
    const id = newSandbox();
    const first = await busySandbox(id);
    const second = await createD1Backend(env.DB, id);
    expect(second.revision).toBe(first.revision);
    expect(second.stats).toEqual(first.stats);
    expect(second.list({ prefix: "/" })).toEqual(first.list({ prefix: "/" }));
    expect(second.get("/registry/pods/ns0/p0")).toEqual(first.get("/registry/pods/ns0/p0"));
    expect(second.compactedRevision).toBe(0);
    // The whole log fits the window: every event can be replayed, with the same prevKv.
    expect(history(second, 0)).toEqual(history(first, 0));
    expect(history(second, first.revision - 5)).toHaveLength(5);
    for (let rev = 0; rev <= first.revision; rev += 7) {
      expect(second.list({ prefix: "/registry/pods/", revision: rev })).toEqual(first.list({ prefix: "/registry/pods/", revision: rev }));
    }
    // The reloaded backend continues the revision sequence, and a third load sees its writes.
    const kv = await second.update("/registry/pods/ns1/p1", { after: "reload" });
    expect(kv.modRevision).toBe(first.revision + 1);
    const third = await createD1Backend(env.DB, id);
    expect(third.get("/registry/pods/ns1/p1")).toEqual(kv);
    expect(history(third, first.revision)).toEqual(history(second, first.revision));
  });

  it("keeps only a bounded window of history after a cold start", async () => {
    const id = newSandbox();
    const first = await busySandbox(id);
    const second = await createD1Backend(env.DB, id, { historyLimit: 10 });
    expect(second.compactedRevision).toBe(first.revision - 10);
    expect(history(second, first.revision - 10)).toEqual(history(first, first.revision - 10));
    expect(() => second.watch({ prefix: "/", afterRevision: first.revision - 11 }, () => {})).toThrow();
  });

  it("compacts the log in D1 and still reloads every value and watch event after the compaction", async () => {
    const id = newSandbox();
    await insertSandboxRow(id);
    const first = await busySandbox(id);
    const revisionsBefore = (await rowCounts(id)).revisions;
    const cut = first.revision - 8;
    await first.compact(cut);
    expect(first.d1Stats.compactions).toBe(1);
    const after = await rowCounts(id);
    expect(after.revisions).toBeLessThan(revisionsBefore);
    const row = await env.DB.prepare("SELECT compacted_revision FROM sandboxes WHERE id=?1").bind(id).first<{ compacted_revision: number }>();
    expect(row!.compacted_revision).toBe(cut);

    const second = await createD1Backend(env.DB, id);
    expect(second.compactedRevision).toBe(cut);
    expect(second.list({ prefix: "/" })).toEqual(first.list({ prefix: "/" }));
    expect(history(second, cut)).toEqual(history(first, cut));
    expect(second.list({ prefix: "/", revision: cut })).toEqual(first.list({ prefix: "/", revision: cut }));
    expect(() => second.list({ prefix: "/", revision: cut - 1 })).toThrow();

    // Compacting everything keeps the newest log row, so the revision survives a reload.
    await second.compact(second.revision);
    const third = await createD1Backend(env.DB, id);
    expect(third.revision).toBe(first.revision);
    expect(third.list({ prefix: "/" })).toEqual(first.list({ prefix: "/" }));
  });

  it("keeps the revision log bounded by compacting it as writes go on", async () => {
    const id = newSandbox();
    await insertSandboxRow(id);
    const b = await createD1Backend(env.DB, id, { historyLimit: 10 });
    for (let i = 0; i < 100; i++) await b.update("/registry/configmaps/default/counter", { i }).catch(() => b.create("/registry/configmaps/default/counter", { i }));
    await new Promise((r) => setTimeout(r, 50)); // compaction runs after the commit that triggers it
    const { revisions } = await rowCounts(id);
    expect(revisions).toBeLessThanOrEqual(3 * 10);
    expect(b.d1Stats.compactions).toBeGreaterThan(0);
    const reloaded = await createD1Backend(env.DB, id, { historyLimit: 10 });
    expect(reloaded.get("/registry/configmaps/default/counter")?.value).toEqual({ i: 99 });
    expect(history(reloaded, reloaded.revision - 5)).toHaveLength(5);
  });

  it("deleteSandboxRows removes every row of the sandbox", async () => {
    const id = newSandbox();
    await insertSandboxRow(id);
    await busySandbox(id);
    const other = await busySandbox(newSandbox());
    expect(await rowCounts(id)).toMatchObject({ sandboxes: 1 });
    await deleteSandboxRows(env.DB, id);
    expect(await rowCounts(id)).toEqual({ objects: 0, revisions: 0, sandboxes: 0 });
    const reloaded = await createD1Backend(env.DB, id);
    expect(reloaded.revision).toBe(0);
    expect(reloaded.stats.keys).toBe(0);
    expect((await rowCounts(other.sandboxId)).objects).toBe(other.stats.keys);
  });

  it("never shows one sandbox another's keys", async () => {
    const [a, b] = await Promise.all([createD1Backend(env.DB, newSandbox()), createD1Backend(env.DB, newSandbox())]);
    await a.create("/registry/pods/default/same", { owner: "a" });
    await b.create("/registry/pods/default/same", { owner: "b" });
    await b.create("/registry/pods/default/only-b", {});
    const a2 = await createD1Backend(env.DB, a.sandboxId);
    const b2 = await createD1Backend(env.DB, b.sandboxId);
    expect(a2.list({ prefix: "/" }).items.map((kv) => [kv.key, kv.value])).toEqual([["/registry/pods/default/same", { owner: "a" }]]);
    expect(b2.list({ prefix: "/" }).items).toHaveLength(2);
    expect(a2.revision).toBe(1);
    expect(b2.revision).toBe(2);
  });

  it("turns stale instead of forking when another instance wrote the same sandbox", async () => {
    const id = newSandbox();
    const owner = await createD1Backend(env.DB, id);
    const stale: StaleStorageError[] = [];
    const intruder = await createD1Backend(env.DB, id, { onStale: (e) => stale.push(e) });
    await owner.create("/a", { by: "owner" });
    // Same revision 1: the log's primary key rejects the second writer.
    await expect(intruder.create("/a", { by: "intruder" })).rejects.toThrow();
    expect(intruder.get("/a")).toBeNull();
    await expect(intruder.create("/b", {})).rejects.toBeInstanceOf(StaleStorageError);
    expect(intruder.stale).toBe(true);
    expect(stale).toHaveLength(1);
    await expect(intruder.create("/c", {})).rejects.toBeInstanceOf(StaleStorageError);
    expect((await createD1Backend(env.DB, id)).list({ prefix: "/" }).items.map((kv) => kv.value)).toEqual([{ by: "owner" }]);
  });

  it("cold-starts a sandbox of 10,000 objects well under a second", async () => {
    const id = newSandbox();
    const writer = await createD1Backend(env.DB, id);
    const pod = (i: number) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `web-${i}`, namespace: `ns-${i % 20}`, uid: crypto.randomUUID(), labels: { app: "web", shard: String(i % 7) } },
      spec: {
        nodeName: `node-${i % 50}`,
        containers: [{ name: "web", image: "nginx:1.27", ports: [{ containerPort: 80 }], resources: { requests: { cpu: "100m", memory: "64Mi" } } }],
        tolerations: [{ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }],
      },
      status: { phase: "Running", podIP: `10.0.${(i >> 8) & 255}.${i & 255}`, conditions: [{ type: "Ready", status: "True" }] },
    });
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => writer.create(`/registry/pods/ns-${i % 20}/web-${i}`, pod(i))));
    // Some churn, so the watch window holds updates and deletes too.
    for (let i = 0; i < 300; i++) await writer.update(`/registry/pods/ns-${i % 20}/web-${i}`, { ...pod(i), status: { phase: "Succeeded" } });
    expect(writer.d1Stats.writes).toBe(10_300);

    const timings: number[] = [];
    let loaded: D1Backend | undefined;
    for (let run = 0; run < 3; run++) {
      const started = performance.now();
      loaded = await createD1Backend(env.DB, id);
      timings.push(performance.now() - started);
    }
    console.log(
      `cold start of ${loaded!.stats.keys} objects (${(loaded!.stats.bytes / 1e6).toFixed(1)} MB) + ${10_000}-event window: ${timings.map((t) => `${t.toFixed(0)} ms`).join(", ")}; ` +
        `writes: ${writer.d1Stats.statements} statements for ${writer.d1Stats.writes} writes in ${writer.d1Stats.commits} commits`,
    );
    expect(loaded!.revision).toBe(10_300);
    expect(loaded!.stats).toEqual(writer.stats);
    expect(loaded!.list({ prefix: "/registry/pods/ns-3/" }).items).toHaveLength(500);
    expect(history(loaded!, loaded!.revision - 10)).toEqual(history(writer, writer.revision - 10));
    expect(Math.min(...timings)).toBeLessThan(1000);
  }, 120_000);
});
