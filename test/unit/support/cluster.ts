/**
 * A sandbox in plain Node for API tests: memory storage, a hand-driven clock, predictable ids and
 * a bearer token. `cluster()` returns request helpers that speak HTTP the way kubectl/client-go do
 * (Request objects in, parsed Responses out), so tests read as wire-level specs.
 */
import { Sandbox, type SandboxRecord } from "../../../src/sandbox/sandbox";
import { defaultNodePools, type SandboxSpec } from "../../../src/sandbox/spec";
import { createMemoryBackend, type MemoryBackend } from "../../../src/storage/memory";
import type { Clock, Ids } from "../../../src/registry/clock";
import type { StoreLimits } from "../../../src/registry/store";
import type { UserInfo } from "../../../src/registry/types";

export const TOKEN = "test-token";
export const SERVER = "https://sandkube.test";
/** 2026-01-02T03:04:05Z */
export const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

/** Accept headers exactly as kubectl sends them. */
export const accept = {
  table: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
  discoveryV2:
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
  discoveryV2beta1: "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
  metadata: "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json",
  metadataList: "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
};

export const contentType = {
  json: "application/json",
  yaml: "application/yaml",
  merge: "application/merge-patch+json",
  jsonPatch: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
};

/** A clock the test moves by hand. */
export function testClock(start = T0): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    set: (ms) => {
      now = ms;
    },
  };
}

/** UIDs `00000000-0000-4000-8000-000000000001`, … and generated names `<base>x0001`, …. */
export function testIds(): Ids {
  let uid = 0;
  let name = 0;
  return {
    uid: () => `00000000-0000-4000-8000-${String(++uid).padStart(12, "0")}`,
    generateName: (base) => `${base}x${String(++name).padStart(4, "0")}`,
  };
}

export interface ClusterOptions {
  limits?: Partial<StoreLimits>;
  maxWatches?: number;
  maxInFlight?: number;
  historyLimit?: number;
  kubernetesVersion?: string;
  /** Skip the kubeadm starting objects (no namespaces at all). */
  empty?: boolean;
  /** Also write the kubeadm add-ons (mirror pods, CoreDNS, kube-proxy, flannel…); off by default. */
  addons?: boolean;
  /** How admission webhooks are called (default: the global fetch). */
  fetch?: typeof fetch;
}

/** A parsed response: status, headers and the body (JSON when it parses, text otherwise). */
export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** Send no Authorization header. */
  anonymous?: boolean;
  token?: string;
}

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: any;
}

/** An open watch stream read event by event. */
export interface WatchStream {
  status: number;
  headers: Headers;
  /** The next event; rejects if none arrives within `timeoutMs`. */
  next(timeoutMs?: number): Promise<WatchEvent>;
  /** The next `n` events. */
  take(n: number, timeoutMs?: number): Promise<WatchEvent[]>;
  /** Resolves true when the server ends the stream within `timeoutMs` with no further event, false when an event arrives instead. */
  ended(timeoutMs?: number): Promise<boolean>;
  /** Events already received but not yet taken. */
  drain(): Promise<WatchEvent[]>;
  close(): Promise<void>;
}

export type Body = unknown;

export async function cluster(options: ClusterOptions = {}) {
  const clock = testClock();
  const ids = testIds();
  const backend: MemoryBackend = createMemoryBackend({ historyLimit: options.historyLimit });
  const user: UserInfo = { username: "kubernetes-admin", groups: ["system:masters", "system:authenticated"] };
  const spec: SandboxSpec = {
    name: "test",
    ttlSeconds: 3600,
    kubernetesVersion: options.kubernetesVersion ?? "1.32",
    speed: 1,
    nodes: defaultNodePools(),
    addons: options.addons ?? false,
  };
  const record: SandboxRecord = {
    id: "sbx-test",
    name: spec.name,
    owner: "tester",
    createdAt: T0,
    expiresAt: null,
    kubernetesVersion: spec.kubernetesVersion,
    speed: 1,
    spec,
    tokenGeneration: 1,
  };
  const sandbox = new Sandbox(record, {
    backend,
    clock,
    ids,
    limits: options.limits,
    maxWatches: options.maxWatches,
    maxInFlight: options.maxInFlight,
    fetch: options.fetch,
    authenticate: async (token) => (token === TOKEN ? user : null),
  });
  if (!options.empty) await sandbox.bootstrap();

  const open: WatchStream[] = [];

  function request(method: string, path: string, body?: Body, opts: RequestOptions & { contentType?: string | null } = {}): Request {
    const headers: Record<string, string> = { ...opts.headers };
    if (!opts.anonymous) headers.authorization = `Bearer ${opts.token ?? TOKEN}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === "string" ? body : JSON.stringify(body);
      if (opts.contentType !== null && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
        headers["content-type"] = opts.contentType ?? contentType.json;
      }
    }
    // Bytes, not a string: the Fetch API would add `text/plain` to a string body, and kubectl's
    // `PUT …/scale` really sends no Content-Type at all.
    return new Request(`${SERVER}${path}`, { method, headers, body: payload === undefined ? undefined : new TextEncoder().encode(payload) });
  }

  async function send(method: string, path: string, body?: Body, opts: RequestOptions & { contentType?: string | null } = {}): Promise<Reply> {
    const req = request(method, path, body, opts);
    const res = await sandbox.api.handle(req, new URL(req.url).pathname);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  async function watch(path: string, opts: RequestOptions = {}): Promise<WatchStream> {
    const sep = path.includes("?") ? "&" : "?";
    const url = /[?&]watch=/.test(path) ? path : `${path}${sep}watch=true`;
    const req = request("GET", url, undefined, opts);
    const res = await sandbox.api.handle(req, new URL(req.url).pathname);
    const stream = readEvents(res);
    open.push(stream);
    return stream;
  }

  return {
    sandbox,
    backend,
    clock,
    ids,
    request,
    send,
    get: (path: string, opts?: RequestOptions) => send("GET", path, undefined, opts),
    post: (path: string, body: Body, opts?: RequestOptions & { contentType?: string | null }) => send("POST", path, body, opts),
    put: (path: string, body: Body, opts?: RequestOptions & { contentType?: string | null }) => send("PUT", path, body, opts),
    patch: (path: string, body: Body, type: string = contentType.merge, opts?: RequestOptions) => send("PATCH", path, body, { ...opts, contentType: type }),
    del: (path: string, body?: Body, opts?: RequestOptions) => send("DELETE", path, body, opts),
    watch,
    /** Cancels every watch this cluster opened (call in afterEach). */
    async closeWatches() {
      await Promise.all(open.splice(0).map((w) => w.close()));
    },
    /** Lets pending storage writes become durable. */
    settle: () => backend.whenIdle(),
  };
}

export type Cluster = Awaited<ReturnType<typeof cluster>>;

/** Parses a newline-delimited JSON watch body as it streams. */
export function readEvents(res: Response): WatchStream {
  const decoder = new TextDecoder();
  const queue: WatchEvent[] = [];
  let buffer = "";
  let done = !res.body;
  let waiter: (() => void) | null = null;
  const reader = res.body?.getReader();
  const wake = () => {
    const w = waiter;
    waiter = null;
    w?.();
  };
  const pump = async () => {
    if (!reader) return;
    try {
      for (;;) {
        const { done: finished, value } = await reader.read();
        if (finished) break;
        buffer += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line) queue.push(JSON.parse(line));
        }
        wake();
      }
    } catch {
      /* cancelled */
    }
    done = true;
    wake();
  };
  void pump();

  const waitFor = (timeoutMs: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        waiter = null;
        resolve();
      }, timeoutMs);
      waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const stream: WatchStream = {
    status: res.status,
    headers: res.headers,
    async next(timeoutMs = 1000) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length === 0) {
        if (done) throw new Error("watch ended with no further event");
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no watch event within ${timeoutMs} ms`);
        await waitFor(left);
      }
      return queue.shift()!;
    },
    async take(n, timeoutMs = 1000) {
      const out: WatchEvent[] = [];
      for (let i = 0; i < n; i++) out.push(await stream.next(timeoutMs));
      return out;
    },
    async ended(timeoutMs = 1000) {
      const deadline = Date.now() + timeoutMs;
      while (!done && queue.length === 0) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        await waitFor(left);
      }
      return queue.length === 0 && done;
    },
    async drain() {
      await new Promise((r) => setTimeout(r, 10));
      return queue.splice(0);
    },
    async close() {
      await reader?.cancel().catch(() => {});
    },
  };
  return stream;
}

// ---- object builders -------------------------------------------------------------------------

type Meta = { labels?: Record<string, string>; annotations?: Record<string, string>; namespace?: string; finalizers?: string[] };

export function configMap(name: string, data: Record<string, string> = { a: "1" }, meta: Meta = {}) {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...meta }, data };
}

export function pod(name: string, opts: Meta & { image?: string | null; nodeName?: string; containers?: unknown[] } = {}) {
  const { image = "nginx:1.27", nodeName, containers, ...meta } = opts;
  const container: Record<string, unknown> = { name: "main" };
  if (image !== null) container.image = image;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, ...meta },
    spec: { containers: containers ?? [container], ...(nodeName ? { nodeName } : {}) },
  };
}

export function deployment(name: string, opts: Meta & { replicas?: number; image?: string; app?: string } = {}) {
  const { replicas = 1, image = "nginx:1.27", app = name, ...meta } = opts;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, ...meta },
    spec: {
      replicas,
      selector: { matchLabels: { app } },
      template: { metadata: { labels: { app } }, spec: { containers: [{ name: "main", image }] } },
    },
  };
}

export function service(name: string, opts: { clusterIP?: string; port?: number } = {}) {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name },
    spec: { ...(opts.clusterIP ? { clusterIP: opts.clusterIP } : {}), selector: { app: name }, ports: [{ port: opts.port ?? 80 }] },
  };
}

export function coreEvent(name: string, involved: { kind: string; name: string; namespace?: string }) {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name },
    involvedObject: { apiVersion: "v1", namespace: "default", ...involved },
    reason: "Testing",
    message: "a test event",
    type: "Normal",
    source: { component: "tester" },
    count: 1,
    firstTimestamp: "2026-01-02T03:04:05Z",
    lastTimestamp: "2026-01-02T03:04:05Z",
  };
}

/** Paths, so tests say `cm("x")` rather than spelling URLs. */
export const paths = {
  configmaps: (ns = "default") => `/api/v1/namespaces/${ns}/configmaps`,
  cm: (name: string, ns = "default") => `/api/v1/namespaces/${ns}/configmaps/${name}`,
  pods: (ns = "default") => `/api/v1/namespaces/${ns}/pods`,
  pod: (name: string, ns = "default") => `/api/v1/namespaces/${ns}/pods/${name}`,
  deployments: (ns = "default") => `/apis/apps/v1/namespaces/${ns}/deployments`,
  deploy: (name: string, ns = "default") => `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
  services: (ns = "default") => `/api/v1/namespaces/${ns}/services`,
  events: (ns = "default") => `/api/v1/namespaces/${ns}/events`,
};

/**
 * A bootstrapped sandbox whose own control plane never runs (`wake` does nothing): controller
 * tests drive their reconciler by hand and play the other controllers themselves.
 */
export async function quietSandbox() {
  const clock = testClock();
  const spec: SandboxSpec = { name: "t", ttlSeconds: 3600, kubernetesVersion: "1.32", speed: 1, nodes: defaultNodePools(), addons: false };
  const record: SandboxRecord = { id: "sbx", name: "t", owner: "o", createdAt: T0, expiresAt: null, kubernetesVersion: "1.32", speed: 1, spec, tokenGeneration: 1 };
  const sandbox = new Sandbox(record, { backend: createMemoryBackend({}), clock, ids: testIds(), authenticate: async () => null, wake: () => {} });
  await sandbox.bootstrap();
  return { clock, sandbox, registry: sandbox.registry };
}

/**
 * Lets `horizonMs` of (test-clock) time pass for a sandbox whose loop is driven by hand: runs
 * the loop whenever it asks to be woken, moving the clock to each wake-up, then to the horizon.
 */
export async function runLoop(sandbox: Sandbox, clock: ReturnType<typeof testClock>, horizonMs = 60_000): Promise<void> {
  const cp = sandbox.controlPlane;
  const until = clock.now() + horizonMs;
  for (let i = 0; i < 10_000; i++) {
    const r = await cp.runDue();
    if (r.exhausted) continue;
    const next = cp.nextWakeAt();
    if (next === null || next > until) {
      clock.set(until);
      return;
    }
    if (next > clock.now()) clock.set(next);
  }
  throw new Error("control loop did not go idle");
}
