/**
 * The files of a container that say something about the cluster, as the kubelet writes them:
 *
 * - `/etc/resolv.conf` by DNS policy: ClusterFirst (the default; ClusterFirstWithHostNet too)
 *   `search <ns>.svc.cluster.local svc.cluster.local cluster.local`, the kube-dns ClusterIP as
 *   nameserver and `options ndots:5`; `Default` the node's; `None` only `dnsConfig`. `dnsConfig`
 *   nameservers, searches and options are merged in.
 * - `/etc/hosts` as the kubelet manages it (localhost lines, the pod's IP with its FQDN when it has a
 *   subdomain, then `# Entries added by HostAliases.`), `/etc/hostname`.
 * - Mounted volumes at their mountPath: ConfigMap and Secret (every key, or `items` to their
 *   `path`), downwardAPI (fieldRef items), projected (those sources plus serviceAccountToken),
 *   `subPath` mounts of one file; emptyDir and others are empty directories.
 * - The service account's `token`, `ca.crt` and `namespace` under
 *   /var/run/secrets/kubernetes.io/serviceaccount unless automounting is off.
 */
import type { KObject } from "../../registry/types";
import { KUBE_DNS_SERVICE_IP } from "../../sandbox/addons";
import { byName, configMapData, fieldRefValue, podHostname, secretData, type ClusterView, type ContainerSpec } from "./environment";

export const CLUSTER_DOMAIN = "cluster.local";
const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
/** The nameserver of a simulated node's own resolv.conf (pods with dnsPolicy Default). */
const NODE_NAMESERVER = "172.18.0.1";

/** A container's files: path → content; directories are the paths' prefixes (and `dirs`). */
export interface FileSystem {
  files: Map<string, string>;
  /** Directories that exist even when empty (mount points). */
  dirs: Set<string>;
}

/** The kube-dns Service's ClusterIP (the nameserver pods use). */
export function clusterDnsIP(view: ClusterView): string {
  const svc = view.services.find((s) => s.metadata.namespace === "kube-system" && s.metadata.name === "kube-dns");
  return svc?.spec?.clusterIP ?? KUBE_DNS_SERVICE_IP;
}

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

/** The kubelet's resolv.conf for the pod (pkg/kubelet/network/dns). */
export function resolvConf(pod: KObject, view: ClusterView): ResolvConf {
  const ns = pod.metadata.namespace;
  const policy = pod.spec?.dnsPolicy ?? "ClusterFirst";
  const clusterFirst = policy === "ClusterFirstWithHostNet" || (policy === "ClusterFirst" && !pod.spec?.hostNetwork);
  const conf: ResolvConf =
    policy === "None"
      ? { nameservers: [], searches: [], options: [] }
      : clusterFirst
        ? { nameservers: [clusterDnsIP(view)], searches: [`${ns}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN], options: ["ndots:5"] }
        : { nameservers: [NODE_NAMESERVER], searches: [], options: [] };
  const extra = pod.spec?.dnsConfig ?? {};
  conf.nameservers = [...new Set([...conf.nameservers, ...(extra.nameservers ?? [])])];
  conf.searches = [...new Set([...conf.searches, ...(extra.searches ?? [])])];
  for (const o of extra.options ?? []) {
    const text = o.value !== undefined ? `${o.name}:${o.value}` : o.name;
    const i = conf.options.findIndex((x) => x.split(":")[0] === o.name);
    if (i >= 0) conf.options[i] = text;
    else conf.options.push(text);
  }
  return conf;
}

export function formatResolvConf(conf: ResolvConf): string {
  let out = "";
  if (conf.searches.length) out += `search ${conf.searches.join(" ")}\n`;
  for (const n of conf.nameservers) out += `nameserver ${n}\n`;
  if (conf.options.length) out += `options ${conf.options.join(" ")}\n`;
  return out;
}

/** The kubelet-managed /etc/hosts. */
export function hostsFile(pod: KObject): string {
  const hostname = podHostname(pod);
  const subdomain: string | undefined = pod.spec?.subdomain;
  const ip: string = pod.status?.podIP ?? "";
  let out =
    "# Kubernetes-managed hosts file.\n" +
    "127.0.0.1\tlocalhost\n" +
    "::1\tlocalhost ip6-localhost ip6-loopback\n" +
    "fe00::0\tip6-localnet\n" +
    "fe00::0\tip6-mcastprefix\n" +
    "fe00::1\tip6-allnodes\n" +
    "fe00::2\tip6-allrouters\n";
  if (ip) out += subdomain ? `${ip}\t${hostname}.${subdomain}.${pod.metadata.namespace}.svc.${CLUSTER_DOMAIN}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  const aliases: { ip: string; hostnames?: string[] }[] = pod.spec?.hostAliases ?? [];
  if (aliases.length) {
    out += "\n# Entries added by HostAliases.\n";
    for (const a of aliases) out += `${a.ip}\t${(a.hostnames ?? []).join("\t")}\n`;
  }
  return out;
}

/** A stand-in bound service account token: a JWT-shaped string naming the pod's service account. */
function serviceAccountToken(pod: KObject): string {
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  const sa = pod.spec?.serviceAccountName || "default";
  const header = { alg: "RS256", kid: "sandkube" };
  const claims = {
    aud: ["https://kubernetes.default.svc.cluster.local"],
    iss: "https://kubernetes.default.svc.cluster.local",
    sub: `system:serviceaccount:${pod.metadata.namespace}:${sa}`,
    "kubernetes.io": { namespace: pod.metadata.namespace, pod: { name: pod.metadata.name, uid: pod.metadata.uid }, serviceaccount: { name: sa } },
  };
  return `${b64(header)}.${b64(claims)}.${b64({ sig: pod.metadata.uid })}`;
}

const CA_CERT = "-----BEGIN CERTIFICATE-----\nMIIDBTCCAe2gAwIBAgIIc2FuZGt1YmUwDQYJKoZIhvcNAQELBQAwFTETMBEGA1UE\nAxMKa3ViZXJuZXRlczAeFw0yNjAxMDEwMDAwMDBaFw0zNjAxMDEwMDAwMDBaMBUx\n-----END CERTIFICATE-----\n";

type VolumeSource = Record<string, any>;

/** The files a volume source puts under its mount (path relative to the mount → content). */
function volumeFiles(pod: KObject, source: VolumeSource, view: ClusterView): Map<string, string> {
  const out = new Map<string, string>();
  const keyed = (data: Record<string, string> | undefined, items?: { key: string; path: string }[]) => {
    if (!data) return;
    if (items?.length) for (const item of items) data[item.key] !== undefined && out.set(item.path, data[item.key]!);
    else for (const [k, v] of Object.entries(data)) out.set(k, v);
  };
  if (source.configMap) {
    const cm = byName(view.configMaps, source.configMap.name);
    keyed(cm && configMapData(cm), source.configMap.items);
  }
  if (source.secret) {
    const secret = byName(view.secrets, source.secret.secretName);
    keyed(secret && secretData(secret), source.secret.items);
  }
  if (source.downwardAPI) {
    for (const item of source.downwardAPI.items ?? []) {
      const value = item.fieldRef ? fieldRefValue(pod, item.fieldRef.fieldPath) : undefined;
      if (value !== undefined) out.set(item.path, value);
    }
  }
  if (source.projected) {
    for (const s of source.projected.sources ?? []) {
      if (s.serviceAccountToken) out.set(s.serviceAccountToken.path, serviceAccountToken(pod));
      else for (const [k, v] of volumeFiles(pod, s.secret ? { secret: { secretName: s.secret.name, items: s.secret.items } } : s, view)) out.set(k, v);
    }
  }
  return out;
}

const join = (dir: string, rel: string) => `${dir.replace(/\/+$/, "")}/${rel}`.replace(/\/+/g, "/");

/** Every file this simulation knows in the container. */
export function containerFiles(pod: KObject, container: ContainerSpec, view: ClusterView): FileSystem {
  const files = new Map<string, string>();
  const dirs = new Set<string>(["/", "/bin", "/dev", "/etc", "/home", "/lib", "/proc", "/root", "/sys", "/tmp", "/usr", "/var"]);
  files.set("/etc/resolv.conf", formatResolvConf(resolvConf(pod, view)));
  files.set("/etc/hosts", hostsFile(pod));
  files.set("/etc/hostname", `${podHostname(pod)}\n`);
  const automount = pod.spec?.automountServiceAccountToken ?? true;
  if (automount !== false) {
    files.set(`${SERVICE_ACCOUNT_DIR}/ca.crt`, CA_CERT);
    files.set(`${SERVICE_ACCOUNT_DIR}/namespace`, String(pod.metadata.namespace));
    files.set(`${SERVICE_ACCOUNT_DIR}/token`, serviceAccountToken(pod));
  }
  const volumes = new Map<string, VolumeSource>((pod.spec?.volumes ?? []).map((v: VolumeSource) => [v.name, v]));
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.get(mount.name);
    if (!volume) continue;
    const contents = volumeFiles(pod, volume, view);
    if (mount.subPath) {
      const content = contents.get(mount.subPath);
      if (content !== undefined) files.set(mount.mountPath, content);
      else dirs.add(mount.mountPath);
      continue;
    }
    dirs.add(mount.mountPath.replace(/\/+$/, "") || "/");
    for (const [rel, content] of contents) files.set(join(mount.mountPath, rel), content);
  }
  return { files, dirs };
}

/** `ls`: the entries directly in a directory, sorted; null when it is not one. */
export function listDirectory(fs: FileSystem, dir: string): string[] | null {
  const base = dir === "/" ? "/" : `${dir.replace(/\/+$/, "")}/`;
  const names = new Set<string>();
  let exists = fs.dirs.has(base === "/" ? "/" : base.slice(0, -1));
  for (const path of [...fs.files.keys(), ...fs.dirs]) {
    if (!path.startsWith(base) || path === base) continue;
    exists = true;
    names.add(path.slice(base.length).split("/")[0]!);
  }
  return exists ? [...names].filter(Boolean).sort() : null;
}
