/**
 * API discovery documents, derived from the registered kinds: legacy (`/api`, `/apis`,
 * `/api/v1`, `/apis/{g}/{v}`) and aggregated (apidiscovery.k8s.io v2 and v2beta1).
 */
import type { KindStrategy } from "../registry/types";

const allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const subresourceVerbs = ["get", "patch", "update"];

/** kube-apiserver's order of API groups in `/apis`; unknown groups follow alphabetically. */
const groupOrder = [
  "apiregistration.k8s.io",
  "apps",
  "events.k8s.io",
  "authentication.k8s.io",
  "authorization.k8s.io",
  "autoscaling",
  "batch",
  "certificates.k8s.io",
  "networking.k8s.io",
  "policy",
  "rbac.authorization.k8s.io",
  "storage.k8s.io",
  "admissionregistration.k8s.io",
  "apiextensions.k8s.io",
  "scheduling.k8s.io",
  "coordination.k8s.io",
  "node.k8s.io",
  "discovery.k8s.io",
  "flowcontrol.apiserver.k8s.io",
];

interface GroupVersion {
  group: string;
  version: string;
  kinds: KindStrategy[];
}

/** Group versions in upstream order, core first. */
export function groupVersions(kinds: readonly KindStrategy[]): GroupVersion[] {
  const map = new Map<string, GroupVersion>();
  for (const k of kinds) {
    const id = `${k.group}/${k.version}`;
    if (!map.has(id)) map.set(id, { group: k.group, version: k.version, kinds: [] });
    map.get(id)!.kinds.push(k);
  }
  const rank = (g: string) => (g === "" ? -1 : groupOrder.indexOf(g) === -1 ? groupOrder.length : groupOrder.indexOf(g));
  return [...map.values()].sort((a, b) => rank(a.group) - rank(b.group) || a.group.localeCompare(b.group) || compareVersions(b.version, a.version));
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first. */
function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    return [Number(m[1]), m[2] === "beta" ? 1 : m[2] === "alpha" ? 0 : 2, Number(m[3] ?? 0)];
  };
  const [a1, a2, a3] = parse(a);
  const [b1, b2, b3] = parse(b);
  return a2 - b2 || a1 - b1 || a3 - b3;
}

export function apiVersions(serverAddress: string) {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

function groupEntry(name: string, versions: GroupVersion[]) {
  const list = versions.map((gv) => ({ groupVersion: `${name}/${gv.version}`, version: gv.version }));
  return { name, versions: list, preferredVersion: list[0] };
}

export function apiGroupList(kinds: readonly KindStrategy[]) {
  const byGroup = new Map<string, GroupVersion[]>();
  for (const gv of groupVersions(kinds)) {
    if (gv.group === "") continue;
    if (!byGroup.has(gv.group)) byGroup.set(gv.group, []);
    byGroup.get(gv.group)!.push(gv);
  }
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: [...byGroup.entries()].map(([name, versions]) => groupEntry(name, versions)),
  };
}

export function apiGroup(kinds: readonly KindStrategy[], group: string) {
  const versions = groupVersions(kinds).filter((gv) => gv.group === group);
  if (versions.length === 0) return null;
  return { kind: "APIGroup", apiVersion: "v1", ...groupEntry(group, versions) };
}

function verbsOf(k: KindStrategy): string[] {
  return k.verbs ?? allVerbs;
}

export function apiResourceList(kinds: readonly KindStrategy[], group: string, version: string) {
  const gv = groupVersions(kinds).find((g) => g.group === group && g.version === version);
  if (!gv) return null;
  const resources: Record<string, unknown>[] = [];
  for (const k of [...gv.kinds].sort((a, b) => a.resource.localeCompare(b.resource))) {
    const entry: Record<string, unknown> = {
      name: k.resource,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: verbsOf(k),
    };
    if (k.shortNames?.length) entry.shortNames = k.shortNames;
    if (k.categories?.length) entry.categories = k.categories;
    resources.push(entry);
    for (const sub of subresourcesOf(k)) {
      const subEntry: Record<string, unknown> = { name: `${k.resource}/${sub.subresource}`, singularName: "", namespaced: k.namespaced, kind: sub.responseKind.kind, verbs: sub.verbs };
      if (sub.responseKind.group !== group || sub.responseKind.version !== version) {
        subEntry.group = sub.responseKind.group;
        subEntry.version = sub.responseKind.version;
      }
      resources.push(subEntry);
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: group ? `${group}/${version}` : version, resources };
}

interface DiscoverySubresource {
  subresource: string;
  responseKind: { group: string; version: string; kind: string };
  verbs: string[];
}

function subresourcesOf(k: KindStrategy): DiscoverySubresource[] {
  const subs: DiscoverySubresource[] = [];
  const self = { group: k.group, version: k.version, kind: k.kind };
  if (k.subresources?.scale) subs.push({ subresource: "scale", responseKind: { group: "autoscaling", version: "v1", kind: "Scale" }, verbs: subresourceVerbs });
  if (k.subresources?.status) subs.push({ subresource: "status", responseKind: self, verbs: subresourceVerbs });
  for (const extra of k.subresources?.extra ?? []) {
    subs.push({ subresource: extra.name, responseKind: { group: extra.group, version: extra.version, kind: extra.kind }, verbs: extra.verbs });
  }
  return subs.sort((a, b) => a.subresource.localeCompare(b.subresource));
}

/** apidiscovery.k8s.io APIGroupDiscoveryList for `/api` (core only) or `/apis` (every other group). */
export function aggregatedDiscovery(kinds: readonly KindStrategy[], scope: "api" | "apis", version: "v2" | "v2beta1") {
  const byGroup = new Map<string, GroupVersion[]>();
  for (const gv of groupVersions(kinds)) {
    if ((scope === "api") !== (gv.group === "")) continue;
    if (!byGroup.has(gv.group)) byGroup.set(gv.group, []);
    byGroup.get(gv.group)!.push(gv);
  }
  const items = [...byGroup.entries()].map(([group, versions]) => ({
    metadata: group ? { name: group, creationTimestamp: null } : { creationTimestamp: null },
    versions: versions.map((gv) => ({
      version: gv.version,
      resources: [...gv.kinds]
        .sort((a, b) => a.resource.localeCompare(b.resource))
        .map((k) => {
          const resource: Record<string, unknown> = {
            resource: k.resource,
            responseKind: { group: k.group, version: k.version, kind: k.kind },
            scope: k.namespaced ? "Namespaced" : "Cluster",
            singularResource: k.singular,
            verbs: verbsOf(k),
          };
          if (k.shortNames?.length) resource.shortNames = k.shortNames;
          if (k.categories?.length) resource.categories = k.categories;
          const subs = subresourcesOf(k);
          if (subs.length) resource.subresources = subs;
          return resource;
        }),
      freshness: "Current",
    })),
  }));
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items,
  };
}

export function aggregatedContentType(version: "v2" | "v2beta1"): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}
