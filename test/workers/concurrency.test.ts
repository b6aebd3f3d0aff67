/**
 * Optimistic concurrency through the whole stack (Worker → Durable Object → D1): concurrent
 * read-modify-write never loses an update, and watchers see every revision once, in order,
 * including across a reconnect from their last resourceVersion.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const BASE = "https://sandkube.test";

async function sandbox() {
  const res = await exports.default.fetch(
    new Request(`${BASE}/v1/sandboxes`, { method: "POST", headers: { authorization: "Bearer sandkube-local-admin" }, body: "{}" }),
  );
  const { id, token } = (await res.json()) as { id: string; token: string };
  return (path: string, init: RequestInit = {}) =>
    exports.default.fetch(
      new Request(`${BASE}/sandboxes/${id}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers ?? {}) },
      }),
    );
}

interface Event {
  type: string;
  object: { data?: { count?: string }; metadata: { resourceVersion: string } };
}

/** Reads watch events until `enough` returns true or no event arrives for `idleMs`, then closes the stream. */
async function readEvents(res: Response, enough: (events: Event[]) => boolean, idleMs = 3000): Promise<Event[]> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: Event[] = [];
  let buffer = "";
  while (!enough(events)) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const idle = new Promise<{ done: true; value: undefined }>((resolve) => (timer = setTimeout(() => resolve({ done: true, value: undefined }), idleMs)));
    const { value, done } = await Promise.race([reader.read(), idle]);
    clearTimeout(timer);
    if (done) break;
    buffer += value;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      events.push(JSON.parse(buffer.slice(0, nl)));
      buffer = buffer.slice(nl + 1);
    }
  }
  reader.cancel().catch(() => {});
  return events;
}

describe("concurrent read-modify-write", () => {
  it("16 clients end with a count equal to their successful updates, and a watcher sees each once, in order", { timeout: 60_000 }, async () => {
    const kube = await sandbox();
    const cm = "/api/v1/namespaces/default/configmaps";
    const created = await kube(cm, { method: "POST", body: JSON.stringify({ metadata: { name: "counter" }, data: { count: "0" } }) });
    const startRv = ((await created.json()) as Event["object"]).metadata.resourceVersion;

    // First watcher: from the creation revision; it leaves half-way and reconnects from its last RV.
    const firstWatch = kube(`${cm}?watch=true&fieldSelector=metadata.name%3Dcounter&resourceVersion=${startRv}`);

    let successes = 0;
    let conflicts = 0;
    const perClient = 5;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let done = 0; done < perClient; ) {
          const current = (await (await kube(`${cm}/counter`)).json()) as Event["object"];
          const next = { ...current, data: { count: String(Number(current.data!.count) + 1) } };
          const res = await kube(`${cm}/counter`, { method: "PUT", body: JSON.stringify(next) });
          if (res.status === 200) {
            await res.arrayBuffer();
            successes++;
            done++;
          } else {
            expect(res.status).toBe(409);
            expect(((await res.json()) as { reason: string }).reason).toBe("Conflict");
            conflicts++;
          }
        }
      }),
    );
    const final = (await (await kube(`${cm}/counter`)).json()) as Event["object"];
    expect(successes).toBe(16 * perClient);
    expect(Number(final.data!.count)).toBe(successes);
    expect(conflicts).toBeGreaterThan(0);

    const half = Math.floor(successes / 2);
    const firstPart = await readEvents(await firstWatch, (e) => e.length >= half);
    const lastSeen = firstPart[firstPart.length - 1].object.metadata.resourceVersion;
    const rest = await readEvents(
      await kube(`${cm}?watch=true&fieldSelector=metadata.name%3Dcounter&resourceVersion=${lastSeen}`),
      (e) => firstPart.length + e.length >= successes,
    );
    const events = [...firstPart, ...rest];
    expect(events.every((e) => e.type === "MODIFIED")).toBe(true);
    expect(events.map((e) => Number(e.object.data!.count))).toEqual(Array.from({ length: successes }, (_, i) => i + 1));
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs.every((rv, i) => i === 0 || rv > rvs[i - 1])).toBe(true);
    expect(rvs[rvs.length - 1]).toBe(Number(final.metadata.resourceVersion));
  });
});
