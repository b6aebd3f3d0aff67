/**
 * The environment of a process in a container, as the kubelet (makeEnvironmentVariables) and the
 * runtime build it:
 *
 * - `PATH` from the image and `HOSTNAME` from the runtime come first, `HOME` last.
 * - `envFrom` ConfigMaps and Secrets (with their `prefix`), then `env` in order: literal values
 *   with `$(VAR)` expansion against what is defined before them and the service variables,
 *   `valueFrom` fieldRef (downward API), resourceFieldRef, configMapKeyRef and secretKeyRef.
 *   A missing optional source adds nothing.
 * - The service variables (pkg/kubelet/envvars): for every Service with a cluster IP in the pod's
 *   namespace when `enableServiceLinks` is not false, and always for `default/kubernetes`:
 *   `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT`, `<NAME>_SERVICE_PORT_<PORTNAME>` and the
 *   docker-link variables `<NAME>_PORT`, `<NAME>_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]`.
 *   Variables the container defines itself win.
 */
import type { KObject } from "../../registry/types";
import { parseQuantity, scaledValue } from "../../registry/kinds/quantity";

/** What an exec reads from the cluster (read once, at the start). */
export interface ClusterView {
  /** Services of every namespace. */
  services: KObject[];
  /** Pods of every namespace. */
  pods: KObject[];
  /** ConfigMaps of the pod's namespace. */
  configMaps: KObject[];
  /** Secrets of the pod's namespace. */
  secrets: KObject[];
}

export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: { prefix?: string; configMapRef?: { name: string; optional?: boolean }; secretRef?: { name: string; optional?: boolean } }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  stdin?: boolean;
  tty?: boolean;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    resourceFieldRef?: { resource: string; divisor?: string; containerName?: string };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
  };
}

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** Where the kubelet finds the master services' variables (always injected). */
const MASTER_SERVICE = { namespace: "default", name: "kubernetes" };

export const byName = (items: KObject[], name: string) => items.find((o) => o.metadata.name === name);

/** base64 `data` and plain `stringData`-free values of a Secret, decoded. */
export function secretData(secret: KObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries<string>(secret.data ?? {})) out[k] = decodeBase64(v);
  return out;
}

export function configMapData(cm: KObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries<string>(cm.data ?? {})) out[k] = v;
  for (const [k, v] of Object.entries<string>(cm.binaryData ?? {})) out[k] = decodeBase64(v);
  return out;
}

function decodeBase64(text: string): string {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(text), (c) => c.charCodeAt(0)));
  } catch {
    return "";
  }
}

/** The hostname the pod's containers see: `spec.hostname` or the pod name, at most 63 characters. */
export function podHostname(pod: KObject): string {
  return String(pod.spec?.hostname || pod.metadata.name).slice(0, 63);
}

const envName = (name: string) => name.toUpperCase().replace(/-/g, "_");
const isServiceIPSet = (svc: KObject) => !!svc.spec?.clusterIP && svc.spec.clusterIP !== "None";

/** pkg/kubelet/envvars FromServices: the variables of each service, in the given order. */
export function serviceEnv(services: KObject[]): [string, string][] {
  const out: [string, string][] = [];
  for (const svc of services) {
    if (!isServiceIPSet(svc)) continue;
    const name = envName(String(svc.metadata.name));
    const ip: string = svc.spec.clusterIP;
    const ports: { name?: string; port: number; protocol?: string }[] = svc.spec.ports ?? [];
    if (!ports.length) continue;
    out.push([`${name}_SERVICE_HOST`, ip], [`${name}_SERVICE_PORT`, String(ports[0]!.port)]);
    for (const p of ports) if (p.name) out.push([`${name}_SERVICE_PORT_${envName(p.name)}`, String(p.port)]);
    ports.forEach((p, i) => {
      const proto = (p.protocol ?? "TCP").toLowerCase();
      const url = `${proto}://${ip}:${p.port}`;
      const prefix = `${name}_PORT_${p.port}_${proto.toUpperCase()}`;
      if (i === 0) out.push([`${name}_PORT`, url]);
      out.push([prefix, url], [`${prefix}_PROTO`, proto], [`${prefix}_PORT`, String(p.port)], [`${prefix}_ADDR`, ip]);
    });
  }
  return out;
}

/** The services whose variables a pod gets (getServiceEnvVarMap), sorted by name. */
function linkedServices(pod: KObject, services: KObject[]): KObject[] {
  const ns = pod.metadata.namespace;
  const links = pod.spec?.enableServiceLinks !== false;
  const chosen = new Map<string, KObject>();
  for (const svc of services) {
    const name = String(svc.metadata.name);
    const namespace = svc.metadata.namespace;
    if (namespace === MASTER_SERVICE.namespace && name === MASTER_SERVICE.name) {
      if (!chosen.has(name)) chosen.set(name, svc);
    } else if (namespace === ns && links) chosen.set(name, svc);
  }
  return [...chosen.values()].sort((a, b) => (String(a.metadata.name) < String(b.metadata.name) ? -1 : 1));
}

/** Kubernetes' `$(VAR)` expansion (`$$` escapes a `$`; an undefined variable stays as written). */
export function expandVars(text: string, lookup: (name: string) => string | undefined): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][\w.-]*)\)/g, (m, name: string | undefined) => (m === "$$" ? "$" : (lookup(name!) ?? m)));
}

/** The downward API value of a fieldRef, or undefined for a path the kubelet does not support. */
export function fieldRefValue(pod: KObject, fieldPath: string): string | undefined {
  const meta = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  const labelsAndAnnotations = pod.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> };
  if (meta) return labelsAndAnnotations[meta[1] as "labels"]?.[meta[2]!] ?? "";
  switch (fieldPath) {
    case "metadata.name":
      return pod.metadata.name;
    case "metadata.namespace":
      return pod.metadata.namespace;
    case "metadata.uid":
      return pod.metadata.uid;
    case "metadata.labels":
    case "metadata.annotations":
      return Object.entries(labelsAndAnnotations[fieldPath.slice(9) as "labels"] ?? {})
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join("\n");
    case "spec.nodeName":
      return pod.spec?.nodeName ?? "";
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "";
    case "status.hostIP":
      return pod.status?.hostIP ?? "";
    case "status.hostIPs":
      return (pod.status?.hostIPs ?? []).map((x: { ip: string }) => x.ip).join(",");
    case "status.podIP":
      return pod.status?.podIP ?? "";
    case "status.podIPs":
      return (pod.status?.podIPs ?? []).map((x: { ip: string }) => x.ip).join(",");
  }
  return undefined;
}

/** resourceFieldRef: a limit (or request) divided by the divisor, rounded up; no limit → the node's capacity stand-in. */
export function resourceFieldValue(pod: KObject, container: ContainerSpec, ref: { resource: string; divisor?: string; containerName?: string }): string {
  const target: ContainerSpec = (pod.spec?.containers ?? []).find((c: ContainerSpec) => c.name === (ref.containerName || container.name)) ?? container;
  const [kind, resource] = ref.resource.split(".") as [string, string];
  const raw = (kind === "limits" ? target.resources?.limits : target.resources?.requests)?.[resource];
  // Without a limit the kubelet reports the node's allocatable; the simulated nodes have 4 CPUs and 16Gi.
  const fallback = kind === "limits" ? (resource === "cpu" ? "4" : resource === "memory" ? "16Gi" : "0") : "0";
  const milli = scaledValue(parseQuantity(raw ?? fallback), -3);
  const divisorMilli = scaledValue(parseQuantity(ref.divisor || "1"), -3) || 1n;
  return String((milli + divisorMilli - 1n) / divisorMilli);
}

/**
 * The environment `env` prints in the container: image `PATH`, runtime `HOSTNAME`, the kubelet's
 * variables, `HOME`.
 */
export function containerEnv(pod: KObject, container: ContainerSpec, view: ClusterView): [string, string][] {
  const services = serviceEnv(linkedServices(pod, view.services));
  const serviceVars = new Map(services);
  const defined = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const data = from.configMapRef
      ? byName(view.configMaps, from.configMapRef.name)
      : from.secretRef
        ? byName(view.secrets, from.secretRef.name)
        : undefined;
    if (!data) continue;
    const values = from.configMapRef ? configMapData(data) : secretData(data);
    for (const [k, v] of Object.entries(values)) defined.set(`${from.prefix ?? ""}${k}`, v);
  }
  const lookup = (name: string) => defined.get(name) ?? serviceVars.get(name);
  for (const e of container.env ?? []) {
    const value = envValue(pod, container, e, view, lookup);
    if (value !== undefined) defined.set(e.name, value);
  }
  const env: [string, string][] = [["PATH", DEFAULT_PATH], ["HOSTNAME", podHostname(pod)]];
  for (const [k, v] of defined) if (k !== "PATH" && k !== "HOSTNAME" && k !== "HOME") env.push([k, v]);
  for (const [k, v] of services) if (!defined.has(k)) env.push([k, v]);
  if (defined.has("PATH")) env[0] = ["PATH", defined.get("PATH")!];
  env.push(["HOME", defined.get("HOME") ?? "/root"]);
  return env;
}

function envValue(pod: KObject, container: ContainerSpec, e: EnvVar, view: ClusterView, lookup: (name: string) => string | undefined): string | undefined {
  const from = e.valueFrom;
  if (!from) return expandVars(String(e.value ?? ""), lookup);
  if (from.fieldRef) return fieldRefValue(pod, from.fieldRef.fieldPath) ?? "";
  if (from.resourceFieldRef) return resourceFieldValue(pod, container, from.resourceFieldRef);
  if (from.configMapKeyRef) {
    const cm = byName(view.configMaps, from.configMapKeyRef.name);
    return cm ? configMapData(cm)[from.configMapKeyRef.key] : undefined;
  }
  if (from.secretKeyRef) {
    const secret = byName(view.secrets, from.secretKeyRef.name);
    return secret ? secretData(secret)[from.secretKeyRef.key] : undefined;
  }
  return undefined;
}
