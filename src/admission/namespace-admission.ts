/**
 * The admission plugins that read the namespace's policy objects, in upstream order around the
 * strategy: ServiceAccount (account and token volume) and LimitRanger (defaults, bounds) mutate
 * and check a pod before it is prepared; Pod Security
 * and ResourceQuota check a namespaced object once it is valid. Both cost one empty prefix read when the
 * namespace has no LimitRange / ResourceQuota.
 */
import { errors } from "../apiserver/status";
import type { KindStrategy, KObject } from "../registry/types";
import { admitPodLimits } from "./limit-ranger";
import { admitServiceAccount } from "./service-account";
import { existingPodsWarnings, namespaceLevels, podSecurityViolations, violationMessage } from "./pod-security";
import { countedResource, quotaViolation, totalUsage, usageIncrease, usageOf, type Usage } from "./resource-quota";

export interface NamespaceObjects {
  list(group: string, resource: string, namespace: string): KObject[];
  /** The Namespace object, or null. */
  namespace(name: string): KObject | null;
}

export interface Admission {
  /** Before the strategy prepares a new object: may change it, or throw a 403. */
  mutate(obj: KObject, strategy: KindStrategy, namespace: string): void;
  /** After the new object is valid: throws a 403 when admitting it would break a policy; adds `Warning:`s to `warnings`. */
  validate(obj: KObject, strategy: KindStrategy, namespace: string, warnings?: string[]): void;
  /** After an update of any kind is valid: may add `Warning:`s (Pod Security on a namespace's new enforce level). */
  validateUpdate(obj: KObject, old: KObject, strategy: KindStrategy, warnings?: string[]): void;
}

/** The pod template of a workload (where Pod Security warns), or undefined. */
function podTemplateSpec(obj: KObject, strategy: KindStrategy): Record<string, any> | undefined {
  if (strategy.group === "apps" || (strategy.group === "batch" && strategy.resource === "jobs")) return obj.spec?.template?.spec;
  if (strategy.group === "batch" && strategy.resource === "cronjobs") return obj.spec?.jobTemplate?.spec?.template?.spec;
  return undefined;
}

/** Pod Security Admission: pods are refused at the enforce level and warned at the warn level; workloads' templates only warned. */
function admitPodSecurity(obj: KObject, strategy: KindStrategy, namespace: KObject | null, warnings: string[] | undefined): void {
  const { enforce, warn } = namespaceLevels(namespace);
  if (!enforce && !warn) return;
  const isPod = strategy.group === "" && strategy.resource === "pods";
  const spec = isPod ? obj.spec : podTemplateSpec(obj, strategy);
  if (!spec) return;
  if (enforce) {
    const problems = podSecurityViolations(spec, enforce.level);
    if (problems.length && isPod) throw errors.forbidden({ group: "", resource: "pods" }, obj.metadata.name ?? "", violationMessage(enforce, problems));
    if (problems.length) warnings?.push(violationMessage(enforce, problems, "would violate"));
  }
  if (warn && (warn.level !== enforce?.level || warn.version !== enforce.version)) {
    const problems = podSecurityViolations(spec, warn.level);
    if (problems.length) warnings?.push(violationMessage(warn, problems, "would violate"));
  }
}

const aggregate = (messages: string[]) => (messages.length === 1 ? messages[0]! : `[${messages.join(", ")}]`);

/** The namespace's usage of the resources `quotas` limit that `requested` touches. */
export function namespaceUsage(objects: Pick<NamespaceObjects, "list">, namespace: string, names: Iterable<string>): Usage {
  const resources = new Map<string, { group: string; resource: string }>();
  for (const name of names) {
    const counted = countedResource(name);
    if (counted) resources.set(`${counted.group}/${counted.resource}`, counted);
  }
  return totalUsage([...resources.values()].flatMap(({ group, resource }) => objects.list(group, resource, namespace).map((o) => usageOf(o, group, resource))));
}

export function namespaceAdmission(objects: NamespaceObjects): Admission {
  /** ResourceQuota: refuses (403) what would take a namespace's usage past a quota; a new pod must also name what the quotas limit. */
  function admitQuota(obj: KObject, strategy: KindStrategy, namespace: string, requested: Usage, isCreate: boolean): void {
    if (requested.size === 0) return;
    const quotas = objects.list("", "resourcequotas", namespace);
    if (quotas.length === 0) return;
    const isPod = strategy.group === "" && strategy.resource === "pods";
    const limited = quotas.filter((q) => Object.keys(q.spec?.hard ?? {}).some((name) => requested.has(name) || (isCreate && isPod && countedResource(name)?.resource === "pods")));
    if (limited.length === 0) return;
    const used = namespaceUsage(objects, namespace, limited.flatMap((q) => Object.keys(q.spec?.hard ?? {})));
    const problems = limited.map((q) => quotaViolation(q, requested, used, isCreate && isPod ? obj : undefined)).filter((p): p is string => p !== null);
    if (problems.length) throw errors.forbidden({ group: strategy.group, resource: strategy.resource }, obj.metadata.name ?? "", problems.join("; "));
  }

  return {
    mutate(obj, strategy, namespace) {
      if (strategy.group !== "" || strategy.resource !== "pods") return;
      admitServiceAccount(obj, (name) => objects.list("", "serviceaccounts", namespace).find((sa) => sa.metadata.name === name) ?? null);
      const problems = admitPodLimits(obj, objects.list("", "limitranges", namespace));
      if (problems.length) throw errors.forbidden({ group: "", resource: "pods" }, obj.metadata.name ?? "", aggregate(problems));
    },
    validateUpdate(obj, old, strategy, warnings) {
      if (strategy.group === "" && strategy.resource === "namespaces") {
        warnings?.push(...existingPodsWarnings(obj, old, objects.list("", "pods", obj.metadata.name!)));
      } else if (strategy.namespaced) {
        // An update is charged what it adds to the namespace's usage (a claim grown, a Service made a NodePort).
        const { group, resource } = strategy;
        admitQuota(obj, strategy, obj.metadata.namespace!, usageIncrease(usageOf(obj, group, resource), usageOf(old, group, resource)), false);
      }
    },
    validate(obj, strategy, namespace, warnings) {
      admitPodSecurity(obj, strategy, objects.namespace(namespace), warnings);
      admitQuota(obj, strategy, namespace, usageOf(obj, strategy.group, strategy.resource), true);
    },
  };
}
