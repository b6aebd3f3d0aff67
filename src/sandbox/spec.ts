/**
 * The creation spec of a sandbox (`POST /v1/sandboxes`): validation with errors that name the
 * field, and the defaults of a kubeadm-like cluster.
 */
import { defaultVersion, supportedVersions } from "../apiserver/version";

export interface NodeTaint {
  key: string;
  value?: string;
  effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

export interface NodePoolSpec {
  name: string;
  count: number;
  roles: string[];
  cpu: string;
  memory: string;
  pods: number;
  labels: Record<string, string>;
  taints: NodeTaint[];
}

export interface SandboxSpec {
  name: string;
  ttlSeconds: number | null;
  kubernetesVersion: string;
  speed: number;
  nodes: NodePoolSpec[];
  /**
   * The kubeadm add-ons (control-plane mirror pods, CoreDNS, kube-proxy, flannel…). Parsing
   * always sets it (default true); a spec built without it gets them too.
   */
  addons?: boolean;
}

export class SpecError extends Error {
  constructor(readonly field: string, message: string, readonly status: 400 | 422 = 422) {
    super(message);
  }
}

export const DEFAULT_TTL_SECONDS = 3600;
export const MAX_TTL_SECONDS = 7 * 24 * 3600;
export const MAX_NODES = 5000;

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const quantity = /^([+-]?[0-9.]+)([eE][+-]?[0-9]+|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const labelKey = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function defaultNodePools(): NodePoolSpec[] {
  return [
    { name: "control-plane", count: 1, roles: ["control-plane"], cpu: "4", memory: "8Gi", pods: 110, labels: {}, taints: [] },
    { name: "worker", count: 2, roles: [], cpu: "4", memory: "8Gi", pods: 110, labels: {}, taints: [] },
  ];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function allowOnly(obj: Record<string, unknown>, allowed: string[], prefix: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new SpecError(`${prefix}${key}`, `unknown field "${prefix}${key}"`, 400);
  }
}

export function parseSandboxSpec(body: unknown, makeName: () => string): SandboxSpec {
  if (body === undefined || body === null) body = {};
  if (!isObject(body)) throw new SpecError("", "the request body must be a JSON object", 400);
  allowOnly(body, ["name", "ttlSeconds", "kubernetesVersion", "speed", "nodes", "addons"], "");

  const name = body.name ?? makeName();
  if (typeof name !== "string" || name.length > 63 || !dns1123Label.test(name)) {
    throw new SpecError("name", "name must be a lowercase RFC 1123 label: at most 63 characters, a-z, 0-9 and '-', starting and ending with an alphanumeric character");
  }

  let ttlSeconds: number | null = DEFAULT_TTL_SECONDS;
  if (body.ttlSeconds !== undefined) {
    if (body.ttlSeconds === null) ttlSeconds = null;
    else ttlSeconds = parseTtl(body.ttlSeconds);
  }

  const kubernetesVersion = body.kubernetesVersion ?? defaultVersion;
  if (typeof kubernetesVersion !== "string" || !supportedVersions.includes(kubernetesVersion.replace(/^v/, ""))) {
    throw new SpecError("kubernetesVersion", `kubernetesVersion must be one of ${supportedVersions.join(", ")}`);
  }

  const speed = body.speed ?? 1;
  if (typeof speed !== "number" || !Number.isFinite(speed) || speed < 0.1 || speed > 10000) {
    throw new SpecError("speed", "speed must be a number between 0.1 and 10000");
  }

  const nodes = body.nodes === undefined ? defaultNodePools() : parseNodePools(body.nodes);

  const addons = body.addons ?? true;
  if (typeof addons !== "boolean") throw new SpecError("addons", "addons must be a boolean");
  return { name, ttlSeconds, kubernetesVersion: kubernetesVersion.replace(/^v/, ""), speed, nodes, addons };
}

export function parseTtl(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 60 || value > MAX_TTL_SECONDS) {
    throw new SpecError("ttlSeconds", `ttlSeconds must be an integer between 60 and ${MAX_TTL_SECONDS}`);
  }
  return value;
}

function parseNodePools(value: unknown): NodePoolSpec[] {
  if (!Array.isArray(value) || value.length === 0) throw new SpecError("nodes", "nodes must be a non-empty array");
  const pools = value.map((pool, i) => parseNodePool(pool, `nodes[${i}]`));
  const total = pools.reduce((n, p) => n + p.count, 0);
  if (total > MAX_NODES) throw new SpecError("nodes", `a sandbox has at most ${MAX_NODES} nodes, ${total} were requested`);
  const names = new Set<string>();
  pools.forEach((pool, i) => {
    for (const n of nodeNames(pool)) {
      if (names.has(n)) throw new SpecError(`nodes[${i}].name`, `node name "${n}" is used twice`);
      names.add(n);
    }
  });
  return pools;
}

/** Validates one node pool; `path` prefixes the fields errors name (`nodes[0]`, or "" for a bare pool). */
export function parseNodePool(value: unknown, path: string): NodePoolSpec {
  if (!isObject(value)) throw new SpecError(path, `${path || "the request body"} must be an object`);
  const prefix = path ? `${path}.` : "";
  allowOnly(value, ["name", "count", "roles", "cpu", "memory", "pods", "labels", "taints"], prefix);
  const { name, count = 1, roles = [], cpu = "4", memory = "8Gi", pods = 110, labels = {}, taints = [] } = value;
  if (typeof name !== "string" || name.length > 50 || !dns1123Label.test(name)) {
    throw new SpecError(`${prefix}name`, `${prefix}name must be a lowercase RFC 1123 label of at most 50 characters`);
  }
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1) throw new SpecError(`${prefix}count`, `${prefix}count must be a positive integer`);
  if (!Array.isArray(roles) || roles.some((r) => typeof r !== "string" || !dns1123Label.test(r))) {
    throw new SpecError(`${prefix}roles`, `${prefix}roles must be a list of role names such as "control-plane" or "worker"`);
  }
  for (const [field, q] of [["cpu", cpu], ["memory", memory]] as const) {
    if (typeof q !== "string" || !quantity.test(q)) throw new SpecError(`${prefix}${field}`, `${prefix}${field} must be a Kubernetes quantity such as "4" or "8Gi"`);
  }
  if (typeof pods !== "number" || !Number.isInteger(pods) || pods < 1 || pods > 10000) {
    throw new SpecError(`${prefix}pods`, `${prefix}pods must be an integer between 1 and 10000`);
  }
  if (!isObject(labels) || Object.entries(labels).some(([k, v]) => !labelKey.test(k) || typeof v !== "string" || v.length > 63 || !labelValue.test(v))) {
    throw new SpecError(`${prefix}labels`, `${prefix}labels must map valid label keys to valid label values`);
  }
  if (!Array.isArray(taints)) throw new SpecError(`${prefix}taints`, `${prefix}taints must be an array`);
  const parsedTaints = taints.map((t, j) => {
    const where = `${prefix}taints[${j}]`;
    if (!isObject(t) || typeof t.key !== "string" || !labelKey.test(t.key)) throw new SpecError(`${where}.key`, `${where}.key must be a valid label key`);
    if (!["NoSchedule", "PreferNoSchedule", "NoExecute"].includes(t.effect as string)) {
      throw new SpecError(`${where}.effect`, `${where}.effect must be one of NoSchedule, PreferNoSchedule, NoExecute`);
    }
    if (t.value !== undefined && (typeof t.value !== "string" || !labelValue.test(t.value))) throw new SpecError(`${where}.value`, `${where}.value must be a valid label value`);
    return { key: t.key, value: t.value as string | undefined, effect: t.effect as NodeTaint["effect"] };
  });
  return { name, count, roles: roles as string[], cpu: cpu as string, memory: memory as string, pods, labels: labels as Record<string, string>, taints: parsedTaints };
}

/** Node names of a pool: the pool name itself, or `<name>-1…<name>-N` when count > 1. */
export function nodeNames(pool: NodePoolSpec): string[] {
  if (pool.count === 1) return [pool.name];
  return Array.from({ length: pool.count }, (_, i) => `${pool.name}-${i + 1}`);
}
