/**
 * Which admission webhooks a request goes to (upstream's generic webhook dispatcher): rules
 * (operations, groups, versions, resources with subresources and wildcards, scope),
 * matchPolicy, namespaceSelector, objectSelector and matchConditions (CEL over `object`,
 * `oldObject` and `request`). Requests on the webhook configurations themselves never go to a
 * webhook, so a broken webhook can always be removed.
 */
import { compile } from "../../apiextensions/cel";
import { labelSelectorAsSelector } from "../../apiserver/selectors/labels";
import type { KObject } from "../../registry/types";

export type Operation = "CREATE" | "UPDATE" | "DELETE";

/** What a webhook is asked about, before it becomes an AdmissionReview. */
export interface AdmissionAttributes {
  operation: Operation;
  group: string;
  version: string;
  kind: string;
  resource: string;
  subresource: string;
  namespaced: boolean;
  namespace: string;
  name: string;
  object: KObject | null;
  oldObject: KObject | null;
  user: { username: string; uid?: string; groups?: string[] };
  dryRun: boolean;
}

/** One webhook of a configuration, with what the request needs from its configuration. */
export interface Webhook {
  configuration: string;
  spec: Record<string, any>;
}

const EXEMPT_RESOURCES = new Set(["validatingwebhookconfigurations", "mutatingwebhookconfigurations", "validatingadmissionpolicies", "validatingadmissionpolicybindings"]);

const listMatches = (list: string[] | undefined, value: string) => (list ?? []).some((entry) => entry === "*" || entry === value);

function resourceMatches(patterns: string[] | undefined, resource: string, subresource: string): boolean {
  const full = subresource ? `${resource}/${subresource}` : resource;
  return (patterns ?? []).some((pattern) => {
    if (pattern === "*/*") return true;
    if (pattern === "*") return subresource === "";
    const [res, sub] = pattern.split("/");
    if (sub === undefined) return pattern === full;
    return (res === "*" || res === resource) && (sub === "*" || sub === subresource) && subresource !== "";
  });
}

function ruleMatches(rule: any, attrs: AdmissionAttributes, exactVersion: boolean): boolean {
  if (!listMatches(rule.operations, attrs.operation)) return false;
  if (!listMatches(rule.apiGroups, attrs.group)) return false;
  // Equivalent: a rule for another version of the same group/resource matches the one we serve.
  if (exactVersion && !listMatches(rule.apiVersions, attrs.version)) return false;
  if (!resourceMatches(rule.resources, attrs.resource, attrs.subresource)) return false;
  const scope = rule.scope ?? "*";
  return scope === "*" || (scope === "Namespaced") === attrs.namespaced;
}

const labelsOf = (o: KObject | null) => o?.metadata?.labels as Record<string, string> | undefined;

/**
 * Whether a webhook's rules and selectors take the request. `namespaceLabels` are the labels of
 * the request's namespace (for namespaced objects) — of the Namespace itself for a namespace.
 */
export function webhookMatches(webhook: Webhook, attrs: AdmissionAttributes, namespaceLabels: Record<string, string> | undefined): boolean {
  if (attrs.group === "admissionregistration.k8s.io" && EXEMPT_RESOURCES.has(attrs.resource)) return false;
  const spec = webhook.spec;
  const exact = spec.matchPolicy === "Exact";
  if (!(spec.rules ?? []).some((rule: unknown) => ruleMatches(rule, attrs, exact))) return false;
  const isNamespace = attrs.group === "" && attrs.resource === "namespaces";
  if (attrs.namespaced || isNamespace) {
    const labels = isNamespace ? (labelsOf(attrs.object) ?? labelsOf(attrs.oldObject)) : namespaceLabels;
    if (!labelSelectorAsSelector(spec.namespaceSelector ?? {}).matches(labels ?? {})) return false;
  }
  const objectSelector = labelSelectorAsSelector(spec.objectSelector ?? {});
  return objectSelector.matches(labelsOf(attrs.object) ?? {}) || objectSelector.matches(labelsOf(attrs.oldObject) ?? {});
}

/** The request as matchConditions see it (a subset of the AdmissionReview request). */
function celRequest(attrs: AdmissionAttributes) {
  return {
    kind: { group: attrs.group, version: attrs.version, kind: attrs.kind },
    resource: { group: attrs.group, version: attrs.version, resource: attrs.resource },
    subResource: attrs.subresource,
    name: attrs.name,
    namespace: attrs.namespace,
    operation: attrs.operation,
    userInfo: { username: attrs.user.username, groups: attrs.user.groups ?? [] },
    dryRun: attrs.dryRun,
  };
}

/** CEL numbers: JSON integers become CEL ints so comparisons with literals work. */
function toCel(value: unknown): unknown {
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  return value;
}

/**
 * Evaluates matchConditions as upstream: false when any is false (the webhook is skipped, even
 * if another failed to evaluate), true when all are true; otherwise the first evaluation error
 * is thrown with upstream's wording, and the caller applies the failure policy.
 */
export function conditionsMatch(webhook: Webhook, attrs: AdmissionAttributes): boolean {
  const conditions: { name: string; expression: string }[] = webhook.spec.matchConditions ?? [];
  if (conditions.length === 0) return true;
  const variables = { object: toCel(attrs.object), oldObject: toCel(attrs.oldObject), request: toCel(celRequest(attrs)) };
  let failure: Error | null = null;
  for (const condition of conditions) {
    let result: unknown;
    try {
      result = compile(condition.expression)(variables);
    } catch (e) {
      failure ??= new Error(`expression '${condition.expression}' resulted in error: ${String((e as Error).message ?? e).split("\n")[0]}`);
      continue;
    }
    if (result === false) return false;
    if (typeof result !== "boolean") failure ??= new Error(`expression '${condition.expression}' resulted in error: must evaluate to bool`);
  }
  if (failure) throw failure;
  return true;
}
