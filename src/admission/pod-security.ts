/**
 * Pod Security Admission (k8s.io/pod-security-admission): the baseline and restricted checks of
 * the Pod Security Standards ("latest"), evaluated on a pod spec, with upstream's wording. The
 * namespace labels `pod-security.kubernetes.io/{enforce,warn,audit}` choose the levels.
 */
import type { KObject } from "../registry/types";

export type Level = "privileged" | "baseline" | "restricted";

type Container = { name: string; ports?: { hostPort?: number }[]; securityContext?: Record<string, any> };

/** One failed check: its id (checks report in id order, as upstream), reason and detail. */
interface Failure {
  id: string;
  reason: string;
  detail: string;
}

const BASELINE_CAPABILITIES = new Set(["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]);
const RESTRICTED_VOLUMES = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);

const quoted = (names: string[]) => names.map((n) => JSON.stringify(n)).join(", ");
/** `container "a"` or `containers "a", "b"`. */
const containersPhrase = (names: string[]) => `${names.length === 1 ? "container" : "containers"} ${quoted(names)}`;

function allContainers(spec: Record<string, any>): Container[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])] as Container[];
}

function baselineChecks(spec: Record<string, any>, containers: Container[]): Failure[] {
  const failures: Failure[] = [];
  const nonDefaultCaps = containers.flatMap((c) => ((c.securityContext?.capabilities?.add ?? []) as string[]).filter((cap) => !BASELINE_CAPABILITIES.has(cap)).map((cap) => [c.name, cap] as const));
  if (nonDefaultCaps.length) {
    const byContainer = [...new Set(nonDefaultCaps.map(([c]) => c))];
    const caps = [...new Set(nonDefaultCaps.map(([, cap]) => cap))];
    failures.push({ id: "capabilities_baseline", reason: "non-default capabilities", detail: `${containersPhrase(byContainer)} must not include ${quoted(caps)} in securityContext.capabilities.add` });
  }
  const hostNamespaces = (["hostNetwork", "hostPID", "hostIPC"] as const).filter((f) => spec[f] === true).map((f) => `${f}=true`);
  if (hostNamespaces.length) failures.push({ id: "hostNamespaces", reason: "host namespaces", detail: hostNamespaces.join(", ") });
  const hostPaths = ((spec.volumes ?? []) as { name: string; hostPath?: unknown }[]).filter((v) => v.hostPath).map((v) => v.name);
  if (hostPaths.length) failures.push({ id: "hostPathVolumes", reason: "hostPath volumes", detail: `${hostPaths.length === 1 ? "volume" : "volumes"} ${quoted(hostPaths)}` });
  const hostPorts = containers.flatMap((c) => (c.ports ?? []).filter((p) => p.hostPort).map((p) => [c.name, p.hostPort!] as const));
  if (hostPorts.length) {
    const names = [...new Set(hostPorts.map(([c]) => c))];
    failures.push({ id: "hostPorts", reason: "hostPort", detail: `${containersPhrase(names)} ${names.length === 1 ? "uses" : "use"} ${hostPorts.length === 1 ? "hostPort" : "hostPorts"} ${hostPorts.map(([, p]) => p).join(", ")}` });
  }
  const privileged = containers.filter((c) => c.securityContext?.privileged === true).map((c) => c.name);
  if (privileged.length) failures.push({ id: "privileged", reason: "privileged", detail: `${containersPhrase(privileged)} must not set securityContext.privileged=true` });
  return failures;
}

function restrictedChecks(spec: Record<string, any>, containers: Container[]): Failure[] {
  const failures: Failure[] = [];
  const escalating = containers.filter((c) => c.securityContext?.allowPrivilegeEscalation !== false).map((c) => c.name);
  if (escalating.length) failures.push({ id: "allowPrivilegeEscalation", reason: "allowPrivilegeEscalation != false", detail: `${containersPhrase(escalating)} must set securityContext.allowPrivilegeEscalation=false` });
  const notDropping = containers.filter((c) => !((c.securityContext?.capabilities?.drop ?? []) as string[]).includes("ALL")).map((c) => c.name);
  const adding = containers.flatMap((c) => ((c.securityContext?.capabilities?.add ?? []) as string[]).filter((cap) => cap !== "NET_BIND_SERVICE").map((cap) => [c.name, cap] as const));
  const capDetails: string[] = [];
  if (notDropping.length) capDetails.push(`${containersPhrase(notDropping)} must set securityContext.capabilities.drop=["ALL"]`);
  if (adding.length) capDetails.push(`${containersPhrase([...new Set(adding.map(([c]) => c))])} must not include ${quoted([...new Set(adding.map(([, cap]) => cap))])} in securityContext.capabilities.add`);
  if (capDetails.length) failures.push({ id: "capabilities_restricted", reason: "unrestricted capabilities", detail: capDetails.join("; ") });
  const restrictedVolumes = ((spec.volumes ?? []) as Record<string, unknown>[]).flatMap((v) => {
    const type = Object.keys(v).find((k) => k !== "name");
    return type && !RESTRICTED_VOLUMES.has(type) ? [[String(v.name), type] as const] : [];
  });
  if (restrictedVolumes.length) {
    const detail = restrictedVolumes.length === 1 ? `volume "${restrictedVolumes[0]![0]}" uses restricted volume type "${restrictedVolumes[0]![1]}"` : `volumes ${quoted(restrictedVolumes.map(([n]) => n))} use restricted volume types ${quoted([...new Set(restrictedVolumes.map(([, t]) => t))])}`;
    failures.push({ id: "restrictedVolumes", reason: "restricted volume types", detail });
  }
  const podNonRoot = spec.securityContext?.runAsNonRoot;
  const rootContainers = containers.filter((c) => c.securityContext?.runAsNonRoot !== true && !(podNonRoot === true && c.securityContext?.runAsNonRoot !== false)).map((c) => c.name);
  if (rootContainers.length) failures.push({ id: "runAsNonRoot", reason: "runAsNonRoot != true", detail: `pod or ${containersPhrase(rootContainers)} must set securityContext.runAsNonRoot=true` });
  const allowed = (t: unknown) => t === "RuntimeDefault" || t === "Localhost";
  const podSeccomp = spec.securityContext?.seccompProfile?.type;
  const noSeccomp = containers.filter((c) => !allowed(c.securityContext?.seccompProfile?.type ?? podSeccomp)).map((c) => c.name);
  if (noSeccomp.length) failures.push({ id: "seccompProfile_restricted", reason: "seccompProfile", detail: `pod or ${containersPhrase(noSeccomp)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` });
  return failures;
}

function failuresOf(spec: Record<string, any> | undefined, level: Level) {
  if (level === "privileged" || !spec) return [];
  const containers = allContainers(spec);
  const failures = [...baselineChecks(spec, containers), ...(level === "restricted" ? restrictedChecks(spec, containers) : [])];
  return failures.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Why a pod spec breaks `level` (empty when it meets it), in upstream's `reason (detail)` form. */
export function podSecurityViolations(spec: Record<string, any> | undefined, level: Level): string[] {
  return failuresOf(spec, level).map((f) => `${f.reason} (${f.detail})`);
}

const LEVELS: Level[] = ["privileged", "baseline", "restricted"];
const levelOf = (value: unknown): Level | null => (LEVELS.includes(value as Level) ? (value as Level) : null);

/** A namespace's level for one mode, with the version its `<mode>-version` label pins ("latest" unless a valid `v1.N`). */
export interface Policy {
  level: Level;
  version: string;
}

function policyOf(labels: Record<string, string>, mode: "enforce" | "warn" | "audit"): Policy | null {
  const level = levelOf(labels[`pod-security.kubernetes.io/${mode}`]);
  const version = labels[`pod-security.kubernetes.io/${mode}-version`];
  return level && { level, version: version && /^v1\.(0|[1-9]\d*)$/.test(version) ? version : "latest" };
}

/**
 * The enforce and warn policies a namespace's labels set (null: none). `audit` is accepted and
 * has no visible effect: a sandbox keeps no audit log.
 */
export function namespaceLevels(namespace: KObject | null): { enforce: Policy | null; warn: Policy | null } {
  const labels = namespace?.metadata.labels ?? {};
  return { enforce: policyOf(labels, "enforce"), warn: policyOf(labels, "warn") };
}

/** `violates PodSecurity "restricted:latest": …` (a refusal) or `would violate …` (a warning). */
export function violationMessage(policy: Policy, problems: string[], verb: "violates" | "would violate" = "violates"): string {
  return `${verb} PodSecurity "${policy.level}:${policy.version}": ${problems.join(", ")}`;
}

/**
 * The warnings of a namespace update that sets a new enforce policy its existing pods break, as
 * upstream words them: a headline, then one line per set of reasons, naming the first pod (by
 * name) and how many others share them.
 */
export function existingPodsWarnings(namespace: KObject, old: KObject, pods: readonly KObject[]): string[] {
  const next = namespaceLevels(namespace).enforce;
  const before = namespaceLevels(old).enforce;
  if (!next || (before && before.level === next.level && before.version === next.version)) return [];
  const byReasons = new Map<string, string[]>();
  for (const pod of [...pods].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1))) {
    const reasons = [...new Set(failuresOf(pod.spec, next.level).map((f) => f.reason))].join(", ");
    if (reasons) byReasons.set(reasons, [...(byReasons.get(reasons) ?? []), pod.metadata.name!]);
  }
  if (byReasons.size === 0) return [];
  const lines = [...byReasons].map(([reasons, names]) => {
    const others = names.length - 1;
    return `${names[0]}${others ? ` (and ${others} other pod${others === 1 ? "" : "s"})` : ""}: ${reasons}`;
  });
  return [`existing pods in namespace "${namespace.metadata.name}" violate the new PodSecurity enforce level "${next.level}:${next.version}"`, ...lines.sort()];
}
