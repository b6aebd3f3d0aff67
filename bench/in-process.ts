/**
 * The API server's own cost, without HTTP or D1: 16 concurrent clients creating ConfigMaps and
 * reading one back through `Sandbox.api.handle`, on the memory backend, in this Node process.
 * Printed as one JSON line for bench/run.mjs.
 */
import { randomIds, systemClock } from "../src/registry/clock";
import { Sandbox, type SandboxRecord } from "../src/sandbox/sandbox";
import { defaultNodePools } from "../src/sandbox/spec";
import { createMemoryBackend } from "../src/storage/memory";

const record: SandboxRecord = {
  id: "sbx-bench",
  name: "bench",
  owner: "admin",
  createdAt: Date.now(),
  expiresAt: null,
  kubernetesVersion: "1.32",
  speed: 1,
  spec: { name: "bench", ttlSeconds: null, kubernetesVersion: "1.32", speed: 1, nodes: defaultNodePools(), addons: false },
  tokenGeneration: 1,
};
const admin = { username: "admin", groups: ["system:masters"] };
const sandbox = new Sandbox(record, {
  backend: createMemoryBackend(),
  clock: systemClock,
  ids: randomIds,
  authenticate: async (token) => (token === "t" ? admin : null),
});
await sandbox.bootstrap();

const base = "https://bench.local/sandboxes/sbx-bench";
const headers = { authorization: "Bearer t", "content-type": "application/json" };
const create = (i: number) =>
  sandbox.api.handle(
    new Request(`${base}/api/v1/namespaces/default/configmaps`, {
      method: "POST",
      headers,
      body: JSON.stringify({ metadata: { name: `cm-${i}`, labels: { bench: "yes" } }, data: { index: String(i), payload: "x".repeat(200) } }),
    }),
    "/api/v1/namespaces/default/configmaps",
  );

const total = 20_000;
let next = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (next < total) {
      const res = await create(next++);
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  }),
);
const createsPerSecond = total / ((performance.now() - t0) / 1000);

const gets: number[] = [];
for (let i = 0; i < 2000; i++) {
  const t = performance.now();
  const res = await sandbox.api.handle(new Request(`${base}/api/v1/namespaces/default/configmaps/cm-7`, { headers }), "/api/v1/namespaces/default/configmaps/cm-7");
  await res.arrayBuffer();
  gets.push(performance.now() - t);
}
gets.sort((a, b) => a - b);
console.log(JSON.stringify({ createsPerSecond, getP50: gets[1000], getP99: gets[1980] }));
