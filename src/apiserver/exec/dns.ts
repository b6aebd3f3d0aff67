/**
 * Name resolution inside a pod, as CoreDNS (kubeadm's Corefile: `kubernetes cluster.local
 * in-addr.arpa ip6.arpa { pods insecure }`) answers from the cluster's objects, through the pod's
 * resolv.conf search list:
 *
 * - `<svc>.<ns>.svc.cluster.local` → the Service's ClusterIP; a headless Service → the IPs of its
 *   ready pods (all matching pods with `publishNotReadyAddresses`); ExternalName → a CNAME.
 * - `<hostname>.<subdomain>.<ns>.svc.cluster.local` → a pod with that hostname and subdomain, when
 *   the subdomain names a headless Service of its namespace (StatefulSet pods).
 * - `<a-b-c-d>.<ns>.pod.cluster.local` → a.b.c.d (`pods insecure` answers any such name).
 * - `<d.c.b.a>.in-addr.arpa` of a ClusterIP → the Service's name (PTR).
 * - Anything else is NXDOMAIN: the simulated cluster has no upstream resolver.
 *
 * A name with fewer dots than `ndots` is tried with each search domain first, then as is; a name
 * ending in `.` only as is.
 */
import type { KObject } from "../../registry/types";
import { isPodReady, selectorMatchesLabels } from "../../controlplane/controllers/workloads";
import type { ClusterView } from "./environment";
import { CLUSTER_DOMAIN, type ResolvConf } from "./files";

export interface Answer {
  /** The fully qualified name that answered. */
  name: string;
  addresses: string[];
  /** The target of an ExternalName Service. */
  cname?: string;
}

const SUFFIX = `.${CLUSTER_DOMAIN}`;
const IPV4 = /^(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})$/;

/** The answer for one fully qualified name (no trailing dot), or null for NXDOMAIN. */
export function lookupFqdn(fqdn: string, view: ClusterView): Answer | null {
  const name = fqdn.toLowerCase();
  if (name.endsWith(".in-addr.arpa")) return reverse(name, view);
  if (!name.endsWith(SUFFIX)) return null;
  const labels = name.slice(0, -SUFFIX.length).split(".");
  if (labels.length === 3 && labels[2] === "pod") {
    const m = IPV4.exec(labels[0]!);
    return m && m.slice(1).every((o) => Number(o) <= 255) ? { name, addresses: [m.slice(1).join(".")] } : null;
  }
  if (labels.length === 3 && labels[2] === "svc") {
    const svc = findService(view, labels[1]!, labels[0]!);
    return svc ? serviceAnswer(name, svc, view) : null;
  }
  if (labels.length === 4 && labels[3] === "svc") {
    const [host, subdomain, ns] = labels as [string, string, string];
    const svc = findService(view, ns, subdomain);
    if (!svc || svc.spec?.clusterIP !== "None") return null;
    const pod = view.pods.find(
      (p) => p.metadata.namespace === ns && p.spec?.hostname === host && p.spec?.subdomain === subdomain && p.status?.podIP && publishes(svc, p),
    );
    return pod ? { name, addresses: [pod.status.podIP] } : null;
  }
  return null;
}

const findService = (view: ClusterView, ns: string, name: string) =>
  view.services.find((s) => s.metadata.namespace === ns && s.metadata.name === name);

const publishes = (svc: KObject, pod: KObject) => svc.spec?.publishNotReadyAddresses === true || isPodReady(pod);

function serviceAnswer(name: string, svc: KObject, view: ClusterView): Answer {
  if (svc.spec?.type === "ExternalName") return { name, addresses: [], cname: svc.spec.externalName };
  if (svc.spec?.clusterIP && svc.spec.clusterIP !== "None") return { name, addresses: [svc.spec.clusterIP] };
  const selector = svc.spec?.selector;
  const pods = selector
    ? view.pods.filter(
        (p) =>
          p.metadata.namespace === svc.metadata.namespace &&
          !p.metadata.deletionTimestamp &&
          p.status?.podIP &&
          selectorMatchesLabels({ matchLabels: selector }, p.metadata.labels) &&
          publishes(svc, p),
      )
    : [];
  return { name, addresses: [...new Set(pods.map((p) => String(p.status.podIP)))].sort(compareIPs) };
}

function compareIPs(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

function reverse(name: string, view: ClusterView): Answer | null {
  const ip = name.slice(0, -".in-addr.arpa".length).split(".").reverse().join(".");
  const svc = view.services.find((s) => s.spec?.clusterIP === ip);
  return svc ? { name, addresses: [], cname: `${svc.metadata.name}.${svc.metadata.namespace}.svc${SUFFIX}` } : null;
}

/** The names the resolver tries for `name`, in order. */
export function candidates(name: string, conf: ResolvConf): string[] {
  if (name.endsWith(".")) return [name.slice(0, -1)];
  const ndots = Number(conf.options.find((o) => o.startsWith("ndots:"))?.slice(6) ?? 1);
  const searched = conf.searches.map((s) => `${name}.${s}`);
  const dots = name.split(".").length - 1;
  return dots >= ndots ? [name, ...searched] : [...searched, name];
}

/** The first answer through the search list, or null (NXDOMAIN). */
export function resolve(name: string, conf: ResolvConf, view: ClusterView): Answer | null {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return { name, addresses: [name] };
  for (const candidate of candidates(name, conf)) {
    const answer = lookupFqdn(candidate, view);
    if (answer) return answer;
  }
  return null;
}

export interface Output {
  stdout: string;
  code: number;
}

/** busybox `nslookup NAME [SERVER]`. */
export function nslookup(args: string[], conf: ResolvConf, view: ClusterView): Output {
  const names = args.filter((a) => !a.startsWith("-"));
  const name = names[0];
  if (!name) return { stdout: "BusyBox v1.36.1 multi-call binary.\n\nUsage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n", code: 1 };
  const server = names[1] ?? conf.nameservers[0] ?? "127.0.0.1";
  let out = `Server:\t\t${server}\nAddress:\t${server}:53\n\n`;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) {
    const ptr = `${name.split(".").reverse().join(".")}.in-addr.arpa`;
    const answer = lookupFqdn(ptr, view);
    if (!answer) return { stdout: `${out}** server can't find ${ptr}: NXDOMAIN\n\n`, code: 1 };
    return { stdout: `${out}${ptr}\tname = ${answer.cname}\n\n`, code: 0 };
  }
  const answer = resolve(name, conf, view);
  if (!answer) return { stdout: `${out}** server can't find ${name}: NXDOMAIN\n\n`, code: 1 };
  if (answer.cname) return { stdout: `${out}${answer.name}\tcanonical name = ${answer.cname}\n\n`, code: 0 };
  if (!answer.addresses.length) return { stdout: `${out}*** Can't find ${answer.name}: No answer\n\n`, code: 1 };
  for (const ip of answer.addresses) out += `Name:\t${answer.name}\nAddress: ${ip}\n`;
  return { stdout: `${out}\n`, code: 0 };
}

/** `getent hosts NAME…`: `IP              FQDN` per address; exit 2 when a name is unknown. */
export function getentHosts(args: string[], conf: ResolvConf, view: ClusterView): Output {
  if (args[0] !== "hosts") return { stdout: args.length ? `Unknown database: ${args[0]}\n` : "", code: 1 };
  let out = "";
  let code = 0;
  for (const name of args.slice(1)) {
    const answer = resolve(name, conf, view);
    if (!answer?.addresses.length) {
      code = 2;
      continue;
    }
    for (const ip of answer.addresses) out += `${ip.padEnd(15)} ${answer.name}\n`;
  }
  return { stdout: out, code };
}

/** bind's `host NAME`. */
export function host(args: string[], conf: ResolvConf, view: ClusterView): Output {
  const name = args.find((a) => !a.startsWith("-"));
  if (!name) return { stdout: "Usage: host [-aCdilrTvVw] [-c class] [-N ndots] [-t type] [-W time]\n", code: 1 };
  const answer = resolve(name, conf, view);
  if (!answer) return { stdout: `Host ${name} not found: 3(NXDOMAIN)\n`, code: 1 };
  if (answer.cname) return { stdout: `${answer.name} is an alias for ${answer.cname}.\n`, code: 0 };
  return { stdout: answer.addresses.map((ip) => `${answer.name} has address ${ip}\n`).join(""), code: 0 };
}
