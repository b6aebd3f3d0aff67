/**
 * Event-webhook benchmarks (issue 6), against the `wrangler dev` that bench/run.mjs started:
 *
 * - change → receiver latency: a client writes ConfigMaps one at a time; a receiver on
 *   127.0.0.1 notes when each message arrives (p50/p99 of write-sent → message-received);
 * - fan-out rate: a 1,000-replica Deployment rolls out (~2,000 changes/s for a few seconds)
 *   while five endpoints subscribe to every change; reported: messages delivered per endpoint per
 *   second from the first to the last, and whether every endpoint got all of them;
 * - API cost of fan-out: 8 clients write ConfigMaps for 10 s (as fast as the harness allows)
 *   while a ninth reads one object in a loop; the read p99 with five subscribed endpoints is
 *   compared with the same load without subscribers.
 */
import { createServer } from "node:http";

/** A webhook receiver on 127.0.0.1: calls `onMessage(body, arrivalMs)` and answers 204. */
async function receiver(onMessage) {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const at = performance.now();
      onMessage(JSON.parse(Buffer.concat(chunks).toString("utf8")), at);
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, close: () => new Promise((resolve) => server.close(resolve)) };
}

export function webhookBenchmarks({ admin, newSandbox, settled, quantile, median }) {
  /** Write → receiver, one write at a time. */
  async function latency() {
    const sb = await settled(await newSandbox());
    const sent = new Map();
    const samples = [];
    const hook = await receiver((body, at) => {
      const start = sent.get(body.data?.object?.metadata?.name);
      if (start !== undefined && body.type === "resource.added") samples.push(at - start);
    });
    await admin("POST", `/v1/sandboxes/${sb.id}/webhooks`, { url: hook.url, filter: { resources: [{ kind: "ConfigMap" }] } });
    for (let i = 0; i < 300; i++) {
      const name = `l-${i}`;
      sent.set(name, performance.now());
      await (await sb.kube("POST", "/api/v1/namespaces/default/configmaps", { metadata: { name }, data: { i: String(i) } })).arrayBuffer();
    }
    const deadline = Date.now() + 10_000;
    while (samples.length < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await hook.close();
    await admin("DELETE", `/v1/sandboxes/${sb.id}`);
    return { p50: median(samples), p99: quantile(samples, 0.99), n: samples.length };
  }

  /** GET latencies sampled one after another until `done()`. */
  async function probeApi(sb, done) {
    const samples = [];
    await (await sb.kube("POST", "/api/v1/namespaces/default/configmaps", { metadata: { name: "probe" }, data: { a: "1" } })).arrayBuffer();
    while (!done()) {
      const t = performance.now();
      await (await sb.kube("GET", "/api/v1/namespaces/default/configmaps/probe")).arrayBuffer();
      samples.push(performance.now() - t);
    }
    return samples;
  }

  /** A 1,000-replica rollout with `endpoints` receivers subscribed to every change. */
  async function rollout(endpoints) {
    const sb = await newSandbox({ addons: false, speed: 1000, nodes: [{ name: "control-plane", roles: ["control-plane"] }, { name: "worker", count: 100, cpu: "32", memory: "128Gi" }] });
    const received = Array.from({ length: endpoints }, () => ({ n: 0, first: Infinity, last: 0 }));
    const hooks = await Promise.all(
      received.map((r) =>
        receiver((_body, at) => {
          r.n++;
          r.first = Math.min(r.first, at);
          r.last = Math.max(r.last, at);
        }),
      ),
    );
    for (const hook of hooks) await admin("POST", `/v1/sandboxes/${sb.id}/webhooks`, { url: hook.url });
    const started = performance.now();
    let available = false;
    const replicas = 1000;
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "big" },
      spec: { replicas, selector: { matchLabels: { app: "big" } }, template: { metadata: { labels: { app: "big" } }, spec: { containers: [{ name: "c", image: "nginx:1.27" }] } } },
    };
    await (await sb.kube("POST", "/apis/apps/v1/namespaces/default/deployments", deployment)).arrayBuffer();
    const deadline = Date.now() + 120_000;
    while (!available && Date.now() < deadline) {
      const d = await (await sb.kube("GET", "/apis/apps/v1/namespaces/default/deployments/big")).json();
      available = d.status?.availableReplicas === replicas;
      if (!available) await new Promise((r) => setTimeout(r, 100));
    }
    const rolloutSeconds = (performance.now() - started) / 1000;
    // Delivered: the receivers went quiet (nothing for 2 s) with the same count each.
    const drainDeadline = Date.now() + 120_000;
    while (endpoints && Date.now() < drainDeadline) {
      const quiet = received.every((r) => performance.now() - r.last > 2000);
      if (quiet && received.every((r) => r.n === received[0].n)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.all(hooks.map((h) => h.close()));
    await admin("DELETE", `/v1/sandboxes/${sb.id}`);
    const rates = received.map((r) => (r.n > 1 ? r.n / ((r.last - r.first) / 1000) : 0));
    return {
      rolloutSeconds,
      messagesPerEndpoint: endpoints ? Math.min(...received.map((r) => r.n)) : 0,
      allDelivered: endpoints ? received.every((r) => r.n === received[0].n) : true,
      deliveredPerEndpointPerSecond: endpoints ? Math.min(...rates) : 0,
      drainSeconds: endpoints ? (Math.max(...received.map((r) => r.last)) - started) / 1000 : 0,
    };
  }

  /** Steady writes for 10 s, with `endpoints` receivers subscribed to every change: the read p99 meanwhile. */
  async function steady(endpoints) {
    const sb = await settled(await newSandbox());
    let received = 0;
    const hooks = await Promise.all(Array.from({ length: endpoints }, () => receiver(() => received++)));
    for (const hook of hooks) await admin("POST", `/v1/sandboxes/${sb.id}/webhooks`, { url: hook.url });
    let stop = false;
    const probing = probeApi(sb, () => stop);
    let written = 0;
    const started = performance.now();
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; performance.now() - started < 10_000; i++) {
        await (await sb.kube("POST", "/api/v1/namespaces/default/configmaps", { metadata: { name: `s-${w}-${i}` }, data: { i: String(i) } })).arrayBuffer();
        written++;
      }
    });
    await Promise.all(writers);
    stop = true;
    const samples = await probing;
    const seconds = (performance.now() - started) / 1000;
    await Promise.all(hooks.map((h) => h.close()));
    await admin("DELETE", `/v1/sandboxes/${sb.id}`);
    return { readP99: quantile(samples, 0.99), readP50: median(samples), writesPerSecond: written / seconds, deliveredPerSecond: received / seconds };
  }

  return { latency, fanOut: () => rollout(5), steadyWithout: () => steady(0), steadyWith: () => steady(5) };
}
