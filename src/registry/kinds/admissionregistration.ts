/**
 * admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration and
 * MutatingWebhookConfiguration: upstream's defaults (failurePolicy Fail, matchPolicy Equivalent,
 * empty selectors, timeoutSeconds 10, scope "*", reinvocationPolicy Never), the validation
 * kube-apiserver applies to them, and the `kubectl get` columns. src/admission/webhooks/ calls
 * them.
 */
import { field, type FieldError } from "../../apiserver/status";
import { guardWebhookUrl } from "../../webhooks/ssrf";
import { compile } from "../../apiextensions/cel";
import { isQualifiedName } from "../../apiserver/names";
import { validateLabelSelector } from "../../apiserver/selectors/labels";
import type { KindStrategy, KObject } from "../types";
import { ageCell } from "./service";

export const ADMISSION_GROUP = "admissionregistration.k8s.io";
export const VALIDATING_RESOURCE = "validatingwebhookconfigurations";
export const MUTATING_RESOURCE = "mutatingwebhookconfigurations";

const FAILURE_POLICIES = ["Fail", "Ignore"];
const MATCH_POLICIES = ["Exact", "Equivalent"];
const SIDE_EFFECTS = ["None", "NoneOnDryRun"];
const REINVOCATION_POLICIES = ["Never", "IfNeeded"];
const OPERATIONS = ["*", "CREATE", "UPDATE", "DELETE", "CONNECT"];
const SCOPES = ["*", "Cluster", "Namespaced"];
const REVIEW_VERSIONS = ["v1", "v1beta1"];
/** A webhook's name is a fully qualified domain name with at least three segments. */
const QUALIFIED_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?){2,}$/;

function setDefaults(config: KObject, mutating: boolean): void {
  for (const webhook of config.webhooks ?? []) {
    webhook.failurePolicy ??= "Fail";
    webhook.matchPolicy ??= "Equivalent";
    webhook.namespaceSelector ??= {};
    webhook.objectSelector ??= {};
    webhook.timeoutSeconds ??= 10;
    if (mutating) webhook.reinvocationPolicy ??= "Never";
    for (const rule of webhook.rules ?? []) rule.scope ??= "*";
    if (webhook.clientConfig?.service) webhook.clientConfig.service.port ??= 443;
  }
}

function oneOf(errs: FieldError[], path: string, value: unknown, supported: string[], required = true): void {
  if (value === undefined || value === null) {
    if (required) errs.push(field.required(path, ""));
  } else if (!supported.includes(value as string)) {
    errs.push(field.notSupported(path, value, supported));
  }
}

function validateClientConfig(errs: FieldError[], path: string, clientConfig: any): void {
  const hasUrl = typeof clientConfig?.url === "string";
  const hasService = clientConfig?.service != null;
  if (hasUrl === hasService) {
    errs.push(field.required(path, "exactly one of url or service is required"));
    return;
  }
  if (hasUrl) {
    let url: URL | null = null;
    try {
      url = new URL(clientConfig.url);
    } catch {
      errs.push(field.invalid(`${path}.url`, clientConfig.url, "host must be specified"));
      return;
    }
    // Plain http only where the sandbox lets webhooks reach loopback (local development); checked again at call time.
    const local = url.protocol === "http:" && guardWebhookUrl(clientConfig.url, { allowLoopbackHttp: true }).ok;
    if (url.protocol !== "https:" && !local) errs.push(field.invalid(`${path}.url`, clientConfig.url, "'https' is the only allowed URL scheme"));
    if (url.username || url.password) errs.push(field.invalid(`${path}.url`, clientConfig.url, "user information is not permitted in the URL"));
    if (url.hash) errs.push(field.invalid(`${path}.url`, clientConfig.url, "fragments are not permitted in the URL"));
    if (url.search) errs.push(field.invalid(`${path}.url`, clientConfig.url, "query parameters are not permitted in the URL"));
  } else {
    const service = clientConfig.service;
    if (!service.name) errs.push(field.required(`${path}.service.name`, "service name is required"));
    if (!service.namespace) errs.push(field.required(`${path}.service.namespace`, "service namespace is required"));
    if (service.port !== undefined && !(Number.isInteger(service.port) && service.port >= 1 && service.port <= 65535)) {
      errs.push(field.invalid(`${path}.service.port`, service.port, "port is not valid: must be between 1 and 65535, inclusive"));
    }
  }
}

/** A list where `*` stands for everything may not also name anything else. */
function wildcardAlone(errs: FieldError[], path: string, list: unknown[], what: string): void {
  if (list.includes("*") && list.length > 1) errs.push(field.invalid(path, list, `if '*' is present, must not specify other ${what}`));
}

/** Upstream's resource list rules: `*∕*` alone; `*` with no other plain resource; `r/*` without `r/x`; no `*∕x` beside `r/x`. */
function validateResources(errs: FieldError[], path: string, resources: string[]): void {
  if (resources.includes("*/*") && resources.length > 1) errs.push(field.invalid(path, resources, "if '*/*' is present, must not specify other resources"));
  const plain = resources.filter((r) => !r.includes("/"));
  if (plain.includes("*") && plain.length > 1) errs.push(field.invalid(path, resources, "if '*' is present, must not specify other resources without subresources"));
  resources.forEach((r, i) => {
    if (r === "") errs.push(field.required(`${path}[${i}]`, "resource name may not be empty"));
    const [resource, sub] = r.split("/");
    if (sub !== undefined && sub !== "*" && resources.includes(`${resource}/*`)) errs.push(field.invalid(`${path}[${i}]`, r, `if '${resource}/*' is present, must not specify ${r}`));
    if (sub !== undefined && resource !== "*" && resources.includes(`*/${sub}`)) errs.push(field.invalid(`${path}[${i}]`, r, `if '*/${sub}' is present, must not specify ${r}`));
  });
}

function validateRule(errs: FieldError[], path: string, rule: any): void {
  for (const key of ["operations", "apiGroups", "apiVersions", "resources"] as const) {
    if (!Array.isArray(rule?.[key]) || rule[key].length === 0) errs.push(field.required(`${path}.${key}`, ""));
  }
  (rule?.operations ?? []).forEach((op: unknown, i: number) => oneOf(errs, `${path}.operations[${i}]`, op, OPERATIONS));
  wildcardAlone(errs, `${path}.operations`, rule?.operations ?? [], "operations");
  wildcardAlone(errs, `${path}.apiGroups`, rule?.apiGroups ?? [], "API groups");
  wildcardAlone(errs, `${path}.apiVersions`, rule?.apiVersions ?? [], "API versions");
  (rule?.apiVersions ?? []).forEach((v: unknown, i: number) => {
    if (v === "") errs.push(field.required(`${path}.apiVersions[${i}]`, "version must not be empty"));
  });
  validateResources(errs, `${path}.resources`, rule?.resources ?? []);
  oneOf(errs, `${path}.scope`, rule?.scope, SCOPES);
}

const MAX_MATCH_CONDITIONS = 64;

function validateMatchConditions(errs: FieldError[], path: string, conditions: any[]): void {
  if (conditions.length > MAX_MATCH_CONDITIONS) errs.push(field.invalid(path, conditions.length, `must have at most ${MAX_MATCH_CONDITIONS} items`));
  const names = new Set<string>();
  conditions.forEach((condition, j) => {
    const at = `${path}[${j}]`;
    if (!condition?.name) errs.push(field.required(`${at}.name`, ""));
    else {
      for (const problem of isQualifiedName(condition.name)) errs.push(field.invalid(`${at}.name`, condition.name, problem));
      if (names.has(condition.name)) errs.push(field.duplicate(`${at}.name`, condition.name));
      names.add(condition.name);
    }
    if (typeof condition?.expression !== "string" || condition.expression.trim() === "") {
      errs.push(field.required(`${at}.expression`, ""));
    } else {
      try {
        compile(condition.expression);
      } catch (e) {
        errs.push(field.invalid(`${at}.expression`, condition.expression, `compilation failed: ${String((e as Error).message ?? e).split("\n")[0]}`));
      }
    }
  });
}

export function validateWebhookConfiguration(config: KObject, mutating: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (config.webhooks ?? []).forEach((webhook: any, i: number) => {
    const path = `webhooks[${i}]`;
    if (!webhook.name) errs.push(field.required(`${path}.name`, ""));
    else if (!QUALIFIED_NAME.test(webhook.name)) errs.push(field.invalid(`${path}.name`, webhook.name, "should be a domain with at least three segments separated by dots"));
    else if (names.has(webhook.name)) errs.push(field.duplicate(`${path}.name`, webhook.name));
    names.add(webhook.name);
    validateClientConfig(errs, `${path}.clientConfig`, webhook.clientConfig);
    (webhook.rules ?? []).forEach((rule: unknown, j: number) => validateRule(errs, `${path}.rules[${j}]`, rule));
    oneOf(errs, `${path}.failurePolicy`, webhook.failurePolicy, FAILURE_POLICIES);
    oneOf(errs, `${path}.matchPolicy`, webhook.matchPolicy, MATCH_POLICIES);
    if (webhook.sideEffects == null) errs.push(field.required(`${path}.sideEffects`, `must specify one of ${SIDE_EFFECTS.join(", ")}`));
    else oneOf(errs, `${path}.sideEffects`, webhook.sideEffects, SIDE_EFFECTS);
    if (mutating) oneOf(errs, `${path}.reinvocationPolicy`, webhook.reinvocationPolicy, REINVOCATION_POLICIES);
    const versions = webhook.admissionReviewVersions;
    if (!Array.isArray(versions) || versions.length === 0) errs.push(field.required(`${path}.admissionReviewVersions`, "must specify one of v1, v1beta1"));
    else if (!versions.some((v: string) => REVIEW_VERSIONS.includes(v))) errs.push(field.invalid(`${path}.admissionReviewVersions`, versions, "must include at least one of v1, v1beta1"));
    else versions.forEach((v: string, j: number) => versions.indexOf(v) !== j && errs.push(field.invalid(`${path}.admissionReviewVersions[${j}]`, v, "duplicate version")));
    const timeout = webhook.timeoutSeconds;
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 30) errs.push(field.invalid(`${path}.timeoutSeconds`, timeout, "the timeout value must be between 1 and 30 seconds"));
    validateMatchConditions(errs, `${path}.matchConditions`, webhook.matchConditions ?? []);
    errs.push(...validateLabelSelector(webhook.namespaceSelector, `${path}.namespaceSelector`));
    errs.push(...validateLabelSelector(webhook.objectSelector, `${path}.objectSelector`));
  });
  return errs;
}

function webhookConfigurationStrategy(kind: string, resource: string, singular: string, mutating: boolean): KindStrategy {
  return {
    group: ADMISSION_GROUP,
    version: "v1",
    kind,
    resource,
    singular,
    namespaced: false,
    prepareForCreate: (config) => setDefaults(config, mutating),
    prepareForUpdate: (config) => setDefaults(config, mutating),
    validate: (config) => validateWebhookConfiguration(config, mutating),
    table: {
      columns: [
        { name: "Webhooks", type: "integer", description: "Webhooks indicates the number of webhooks registered in this configuration.", priority: 0 },
        { name: "Age", type: "string", description: "Time since the object was created.", priority: 0 },
      ],
      cells: (config, now) => [(config.webhooks ?? []).length, ageCell(config.metadata.creationTimestamp, now)],
    },
  };
}

export const validatingWebhookConfigurationStrategy = webhookConfigurationStrategy("ValidatingWebhookConfiguration", VALIDATING_RESOURCE, "validatingwebhookconfiguration", false);
export const mutatingWebhookConfigurationStrategy = webhookConfigurationStrategy("MutatingWebhookConfiguration", MUTATING_RESOURCE, "mutatingwebhookconfiguration", true);
