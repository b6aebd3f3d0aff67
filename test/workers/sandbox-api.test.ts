/**
 * Wiring in real workerd with real (local) D1: the management API creates sandboxes whose
 * Durable Objects serve the Kubernetes API, persist through D1 and survive eviction.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";

const ADMIN = { authorization: "Bearer sandkube-local-admin" };
const BASE = "https://sandkube.test";

function call(path: string, init: RequestInit = {}) {
  return exports.default.fetch(new Request(`${BASE}${path}`, init));
}

async function createSandbox(spec: Record<string, unknown> = {}) {
  const res = await call("/v1/sandboxes", { method: "POST", headers: { ...ADMIN, "content-type": "application/json" }, body: JSON.stringify(spec) });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { id: string; token: string; server: string; kubeconfig: string; name: string };
  const kube = (path: string, init: RequestInit = {}) =>
    call(`/sandboxes/${body.id}${path}`, { ...init, headers: { authorization: `Bearer ${body.token}`, "content-type": "application/json", ...(init.headers ?? {}) } });
  return { ...body, kube };
}

async function countRows(sandboxId: string) {
  const tables = ["sandboxes", "revisions", "objects"];
  const counts: Record<string, number> = {};
  for (const t of tables) {
    const column = t === "sandboxes" ? "id" : "sandbox_id";
    const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${t} WHERE ${column} = ?`).bind(sandboxId).first<{ n: number }>();
    counts[t] = row!.n;
  }
  return counts;
}

describe("management API", () => {
  it("rejects requests without the admin key", async () => {
    const res = await call("/v1/sandboxes", { method: "POST" });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { status: 401, reason: "Unauthorized" } });
  });

  it("creates a sandbox and returns a kubeconfig named after it", async () => {
    const sandbox = await createSandbox({ name: "demo", ttlSeconds: 600 });
    expect(sandbox.server).toBe(`${BASE}/sandboxes/${sandbox.id}`);
    const config = parseYaml(sandbox.kubeconfig);
    expect(config["current-context"]).toBe("demo");
    expect(config.clusters[0].cluster.server).toBe(sandbox.server);
    expect(config.users[0].user.token).toBe(sandbox.token);

    const listed = (await (await call("/v1/sandboxes", { headers: ADMIN })).json()) as { items: { id: string }[] };
    expect(listed.items.map((s) => s.id)).toContain(sandbox.id);
    const kc = await call(`/v1/sandboxes/${sandbox.id}/kubeconfig`, { headers: ADMIN });
    expect(new TextDecoder().decode(await kc.arrayBuffer())).toBe(sandbox.kubeconfig);
  });

  it("names the field of bad input", async () => {
    const bad = async (spec: unknown, field: string, status = 422) => {
      const res = await call("/v1/sandboxes", { method: "POST", headers: ADMIN, body: JSON.stringify(spec) });
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field);
    };
    await bad({ ttlSeconds: -5 }, "ttlSeconds");
    await bad({ kubernetesVersion: "1.12" }, "kubernetesVersion");
    await bad({ nodes: [{ name: "n", cpu: "lots" }] }, "nodes[0].cpu");
    await bad({ nodes: [{ name: "Bad_Name" }] }, "nodes[0].name");
    await bad({ colour: "blue" }, "colour", 400);
    const res = await call("/v1/sandboxes", { method: "POST", headers: ADMIN, body: "{not json" });
    expect(res.status).toBe(400);
  });

  it("answers 404 for an unknown sandbox", async () => {
    expect((await call("/v1/sandboxes/sbx-nope", { headers: ADMIN })).status).toBe(404);
    expect((await call("/v1/sandboxes/sbx-nope", { method: "DELETE", headers: ADMIN })).status).toBe(404);
  });

  it("deletes every row of a sandbox from D1", async () => {
    const sandbox = await createSandbox();
    expect((await countRows(sandbox.id)).objects).toBeGreaterThan(10);
    const res = await call(`/v1/sandboxes/${sandbox.id}`, { method: "DELETE", headers: ADMIN });
    expect(res.status).toBe(200);
    expect(await countRows(sandbox.id)).toEqual({ sandboxes: 0, revisions: 0, objects: 0 });
    expect((await sandbox.kube("/api/v1/namespaces")).status).toBe(401);
  });

  it("is deleted by its own alarm once past its TTL", async () => {
    const sandbox = await createSandbox({ ttlSeconds: 60 });
    const stub = env.SANDBOX.get(env.SANDBOX.idFromName(sandbox.id));
    // The alarm is armed for the expiry; move the expiry into the past and let it fire now.
    await env.DB.prepare("UPDATE sandboxes SET expires_at = ? WHERE id = ?").bind(Date.now() - 1000, sandbox.id).run();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await countRows(sandbox.id)).toEqual({ sandboxes: 0, revisions: 0, objects: 0 });
    expect((await call(`/v1/sandboxes/${sandbox.id}`, { headers: ADMIN })).status).toBe(404);
    expect((await sandbox.kube("/api/v1/namespaces")).status).toBe(401);
  });

  it("changes the TTL", async () => {
    const sandbox = await createSandbox();
    const res = await call(`/v1/sandboxes/${sandbox.id}`, { method: "PATCH", headers: ADMIN, body: JSON.stringify({ ttlSeconds: 120 }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { expiresAt: string };
    expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(100_000);
    expect(Date.parse(body.expiresAt) - Date.now()).toBeLessThanOrEqual(120_000);
  });
});

describe("Kubernetes API of a sandbox", () => {
  it("authenticates the sandbox token and nothing else", async () => {
    const a = await createSandbox();
    const b = await createSandbox();
    expect((await a.kube("/api/v1/namespaces")).status).toBe(200);
    const foreign = await call(`/sandboxes/${a.id}/api/v1/namespaces`, { headers: { authorization: `Bearer ${b.token}` } });
    expect(foreign.status).toBe(401);
    expect(await foreign.json()).toMatchObject({ kind: "Status", reason: "Unauthorized", code: 401 });
    expect((await call(`/sandboxes/${a.id}/api/v1/namespaces`)).status).toBe(401);
  });

  it("loads a cold sandbox only for its own token: a foreign one gets 401 before any of its objects is read", async () => {
    const a = await createSandbox();
    const b = await createSandbox();
    const stub = env.SANDBOX.get(env.SANDBOX.idFromName(a.id));
    await evictDurableObject(stub);
    const foreign = await call(`/sandboxes/${a.id}/api/v1/namespaces`, { headers: { authorization: `Bearer ${b.token}` } });
    expect(foreign.status).toBe(401);
    const loaded = (instance: unknown) => (instance as { sandbox: unknown }).sandbox !== null;
    expect(await runInDurableObject(stub, loaded)).toBe(false);
    expect((await a.kube("/api/v1/namespaces")).status).toBe(200);
    expect(await runInDurableObject(stub, loaded)).toBe(true);
  });

  it("starts like a kubeadm cluster", async () => {
    const sandbox = await createSandbox({ kubernetesVersion: "1.31" });
    const version = (await (await sandbox.kube("/version")).json()) as { gitVersion: string };
    expect(version.gitVersion).toMatch(/^v1\.31\.\d+$/);
    const ns = (await (await sandbox.kube("/api/v1/namespaces")).json()) as { items: { metadata: { name: string } }[] };
    expect(ns.items.map((n) => n.metadata.name).sort()).toEqual(["default", "kube-flannel", "kube-node-lease", "kube-public", "kube-system"]);
    const svc = (await (await sandbox.kube("/api/v1/namespaces/default/services/kubernetes")).json()) as { spec: { clusterIP: string } };
    expect(svc.spec.clusterIP).toBe("10.96.0.1");
    const nodes = (await (await sandbox.kube("/api/v1/nodes")).json()) as { items: { metadata: { name: string }; spec: { taints?: unknown[]; podCIDR: string } }[] };
    expect(nodes.items.map((n) => n.metadata.name)).toEqual(["control-plane", "worker-1", "worker-2"]);
    expect(nodes.items[0].spec.taints).toEqual([{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }]);
    expect(new Set(nodes.items.map((n) => n.spec.podCIDR)).size).toBe(3);
    const sas = (await (await sandbox.kube("/api/v1/serviceaccounts")).json()) as { items: { metadata: { namespace: string; name: string } }[] };
    expect(sas.items.filter((sa) => sa.metadata.name === "default").map((sa) => sa.metadata.namespace).sort()).toEqual([
      "default",
      "kube-flannel",
      "kube-node-lease",
      "kube-public",
      "kube-system",
    ]);
    const dns = (await (await sandbox.kube("/api/v1/namespaces/kube-system/services/kube-dns")).json()) as { spec: { clusterIP: string } };
    expect(dns.spec.clusterIP).toBe("10.96.0.10");
  });

  it("starts bare with addons: false", async () => {
    const sandbox = await createSandbox({ addons: false });
    const ns = (await (await sandbox.kube("/api/v1/namespaces")).json()) as { items: { metadata: { name: string } }[] };
    expect(ns.items.map((n) => n.metadata.name).sort()).toEqual(["default", "kube-node-lease", "kube-public", "kube-system"]);
    const pods = (await (await sandbox.kube("/api/v1/pods")).json()) as { items: unknown[] };
    expect(pods.items).toEqual([]);
  });

  it("keeps its objects across an eviction of the Durable Object (cold start from D1)", async () => {
    const sandbox = await createSandbox();
    const created = await sandbox.kube("/api/v1/namespaces/default/configmaps", {
      method: "POST",
      body: JSON.stringify({ metadata: { name: "survivor" }, data: { a: "1" } }),
    });
    expect(created.status).toBe(201);
    const { metadata } = (await created.json()) as { metadata: { resourceVersion: string; uid: string } };
    await evictDurableObject(env.SANDBOX.get(env.SANDBOX.idFromName(sandbox.id)));
    const res = await sandbox.kube("/api/v1/namespaces/default/configmaps/survivor");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ data: { a: "1" }, metadata: { uid: metadata.uid, resourceVersion: metadata.resourceVersion } });
  });

  it("finishes a namespace deletion from its control loop, driven by the Durable Object's alarm", async () => {
    const sandbox = await createSandbox();
    await sandbox.kube("/api/v1/namespaces", { method: "POST", body: JSON.stringify({ metadata: { name: "doomed" } }) });
    await sandbox.kube("/api/v1/namespaces/doomed/configmaps", { method: "POST", body: JSON.stringify({ metadata: { name: "inside" } }) });
    const del = await sandbox.kube("/api/v1/namespaces/doomed", { method: "DELETE" });
    expect(await del.json()).toMatchObject({ status: { phase: "Terminating" } });
    const stub = env.SANDBOX.get(env.SANDBOX.idFromName(sandbox.id));
    // The loop asked for an alarm; run it now if it has not fired on its own yet.
    await runDurableObjectAlarm(stub);
    let status = 0;
    for (let i = 0; i < 100 && status !== 404; i++) {
      status = (await sandbox.kube("/api/v1/namespaces/doomed")).status;
      if (status !== 404) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe(404);
    expect(await (await sandbox.kube("/api/v1/namespaces/doomed/configmaps")).json()).toMatchObject({ items: [] });
    // Its work done, the sandbox is woken only for its nodes' heartbeats (every 10 s while used).
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(Date.now() + 10_000);
  });

  it("clock:advance makes simulated time pass at once: a `sleep 600` pod completes", async () => {
    const sandbox = await createSandbox({ speed: 100 });
    const pod = { metadata: { name: "sleeper" }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox", command: ["sh", "-c", "sleep 600"] }] } };
    expect((await sandbox.kube("/api/v1/namespaces/default/pods", { method: "POST", body: JSON.stringify(pod) })).status).toBe(201);
    const phase = async () => ((await (await sandbox.kube("/api/v1/namespaces/default/pods/sleeper")).json()) as { status: { phase: string } }).status.phase;
    const waitFor = async (want: string, ms: number) => {
      let seen = "";
      for (const end = Date.now() + ms; Date.now() < end && seen !== want; ) {
        seen = await phase();
        if (seen !== want) await new Promise((r) => setTimeout(r, 20));
      }
      return seen;
    };
    expect(await waitFor("Running", 3000)).toBe("Running");
    // At speed 100, 600 simulated seconds would take 6 real seconds; advancing makes them pass now.
    const res = await call(`/v1/sandboxes/${sandbox.id}/clock:advance`, { method: "POST", headers: ADMIN, body: JSON.stringify({ seconds: 600 }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ advancedSeconds: 600 });
    expect(await waitFor("Succeeded", 1500)).toBe("Succeeded");
    const bad = await call(`/v1/sandboxes/${sandbox.id}/clock:advance`, { method: "POST", headers: ADMIN, body: JSON.stringify({ seconds: -1 }) });
    expect(bad.status).toBe(422);
  });

  it("streams watch events, one JSON object per line", async () => {
    const sandbox = await createSandbox();
    const list = (await (await sandbox.kube("/api/v1/namespaces/default/configmaps")).json()) as { metadata: { resourceVersion: string } };
    const watch = await sandbox.kube(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.metadata.resourceVersion}`);
    expect(watch.status).toBe(200);
    expect(watch.headers.get("content-type")).toBe("application/json");
    const reader = watch.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (const name of ["w1", "w2"]) {
      await sandbox.kube("/api/v1/namespaces/default/configmaps", { method: "POST", body: JSON.stringify({ metadata: { name } }) });
    }
    await sandbox.kube("/api/v1/namespaces/default/configmaps/w1", { method: "DELETE" });
    let text = "";
    while (text.split("\n").length < 4) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    await reader.cancel();
    const events = text.trim().split("\n").map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string; resourceVersion: string } } });
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED w1", "ADDED w2", "DELETED w1"]);
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
  });

  it("rejects bodies over 3 MiB with 413 and keeps serving", async () => {
    const sandbox = await createSandbox();
    const big = JSON.stringify({ metadata: { name: "big" }, data: { x: "a".repeat(3 * 1024 * 1024 + 10) } });
    const res = await sandbox.kube("/api/v1/namespaces/default/configmaps", { method: "POST", body: big });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ kind: "Status", reason: "RequestEntityTooLarge", code: 413 });
    const object = JSON.stringify({ metadata: { name: "big" }, data: { x: "a".repeat(1024 * 1024 + 10) } });
    const tooLarge = await sandbox.kube("/api/v1/namespaces/default/configmaps", { method: "POST", body: object });
    expect([413, 422]).toContain(tooLarge.status);
    expect((await sandbox.kube("/api/v1/namespaces/default/configmaps/big")).status).toBe(404);
  });
});
