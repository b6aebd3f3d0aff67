/**
 * Calling admission webhooks as kube-apiserver does (admission.k8s.io/v1 AdmissionReview):
 * mutating webhooks one after another (configurations by name, webhooks in order), each seeing
 * the previous one's result, JSONPatch responses applied, `reinvocationPolicy: IfNeeded` webhooks
 * called once more when a later one changed the object; validating webhooks all at once. A
 * denial answers with the webhook's status and upstream's wording; a webhook that cannot be
 * called fails the request (`failurePolicy: Fail`) or is skipped (`Ignore`). Webhooks are
 * reached by `clientConfig.url` only: no pod serves a `service` reference in a sandbox.
 */
import { errors, StatusError, type StatusReason } from "../../apiserver/status";
import { tryApplyJsonPatch, type JsonPatchOperation } from "../../apiserver/patch/json-patch";
import { MUTATING_RESOURCE, VALIDATING_RESOURCE } from "../../registry/kinds/admissionregistration";
import type { KObject } from "../../registry/types";
import { guardWebhookUrl } from "../../webhooks/ssrf";
import { conditionsMatch, webhookMatches, type AdmissionAttributes, type Webhook } from "./matching";

export type { AdmissionAttributes } from "./matching";

export interface AdmissionWebhookDeps {
  /** The stored configurations of one kind (called on every write: keep it cheap). */
  configurations(resource: typeof VALIDATING_RESOURCE | typeof MUTATING_RESOURCE): readonly KObject[];
  /** The labels of a namespace (undefined: none, or no such namespace). */
  namespaceLabels(name: string): Record<string, string> | undefined;
  fetch: typeof fetch;
  allowLoopbackHttp: boolean;
  uid(): string;
}

export interface WebhookAdmission {
  /** Whether any webhook configuration exists: when none does, writes need not wait for anything. */
  active(): boolean;
  /** Runs the mutating webhooks; returns the object to go on with. */
  mutate(attrs: AdmissionAttributes, warnings?: string[]): Promise<KObject | null>;
  /** Runs the validating webhooks; throws the first denial or failure. */
  validate(attrs: AdmissionAttributes, warnings?: string[]): Promise<void>;
}

/** A webhook that could not be called, or answered something unusable. */
class CallError extends Error {}

interface ReviewResponse {
  allowed: boolean;
  status?: { code?: number; message?: string; reason?: string };
  patch?: string;
  patchType?: string;
  warnings?: string[];
}

function webhooksOf(configs: readonly KObject[]): Webhook[] {
  return [...configs]
    .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0))
    .flatMap((config) => (config.webhooks ?? []).map((spec: Record<string, any>) => ({ configuration: config.metadata.name!, spec })));
}

function review(uid: string, attrs: AdmissionAttributes, object: KObject | null) {
  const optionsKind = attrs.operation === "CREATE" ? "CreateOptions" : attrs.operation === "UPDATE" ? "UpdateOptions" : "DeleteOptions";
  const kind = { group: attrs.group, version: attrs.version, kind: attrs.kind };
  const resource = { group: attrs.group, version: attrs.version, resource: attrs.resource };
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind,
      resource,
      ...(attrs.subresource ? { subResource: attrs.subresource, requestSubResource: attrs.subresource } : {}),
      requestKind: kind,
      requestResource: resource,
      name: attrs.name,
      ...(attrs.namespaced ? { namespace: attrs.namespace } : {}),
      operation: attrs.operation,
      userInfo: { username: attrs.user.username, ...(attrs.user.uid ? { uid: attrs.user.uid } : {}), groups: attrs.user.groups ?? [] },
      object,
      oldObject: attrs.oldObject,
      dryRun: attrs.dryRun,
      options: { apiVersion: "meta.k8s.io/v1", kind: optionsKind, ...(attrs.dryRun ? { dryRun: ["All"] } : {}) },
    },
  };
}

/** The refusal a webhook answered, as upstream words it (code outside 400–599 → 400). */
function denial(name: string, status: ReviewResponse["status"]): StatusError {
  const code = status?.code !== undefined && status.code >= 400 && status.code <= 599 ? status.code : 400;
  const explanation = status?.message ? `: ${status.message}` : status?.reason ? `: ${status.reason}` : " without explanation";
  return new StatusError(code, (status?.reason ?? "") as StatusReason, `admission webhook "${name}" denied the request${explanation}`);
}

const callFailure = (name: string, error: unknown) => new StatusError(500, "InternalError", `Internal error occurred: failed calling webhook "${name}": ${(error as Error).message}`);

export function admissionWebhooks(deps: AdmissionWebhookDeps): WebhookAdmission {
  async function call(webhook: Webhook, attrs: AdmissionAttributes, object: KObject | null, mutating: boolean): Promise<ReviewResponse> {
    const { clientConfig, timeoutSeconds = 10 } = webhook.spec;
    if (!clientConfig?.url) throw new CallError(`failed to call webhook: service references are not supported in sandkube (no pod serves ${clientConfig?.service?.namespace}/${clientConfig?.service?.name}): use clientConfig.url`);
    const guard = guardWebhookUrl(clientConfig.url, { allowLoopbackHttp: deps.allowLoopbackHttp });
    if (!guard.ok) throw new CallError(`failed to call webhook: the URL is not allowed: ${guard.reason}`);
    const uid = deps.uid();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutSeconds * 1000);
    const target = `${guard.url.href}${guard.url.search ? "&" : "?"}timeout=${timeoutSeconds}s`;
    let body: any;
    try {
      const response = await deps.fetch(target, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(review(uid, attrs, object)),
        redirect: "manual",
        signal: controller.signal,
      });
      const text = await response.text();
      if (response.status < 200 || response.status > 299) throw new CallError(`failed to call webhook: the server responded with status ${response.status}`);
      try {
        body = JSON.parse(text);
      } catch {
        throw new CallError("received invalid webhook response: the body is not JSON");
      }
    } catch (e) {
      if (e instanceof CallError) throw e;
      throw new CallError(controller.signal.aborted ? `failed to call webhook: Post "${target}": context deadline exceeded` : `failed to call webhook: Post "${target}": ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    const invalid = (why: string) => new CallError(`received invalid webhook response: ${why}`);
    if (body?.apiVersion !== "admission.k8s.io/v1" || body?.kind !== "AdmissionReview") throw invalid(`expected admission.k8s.io/v1 AdmissionReview, got ${body?.apiVersion}/${body?.kind}`);
    const answer = body.response as ReviewResponse | undefined;
    if (!answer) throw invalid("webhook response was absent");
    if ((answer as { uid?: string }).uid !== uid) throw invalid(`expected response.uid="${uid}", got "${(answer as { uid?: string }).uid ?? ""}"`);
    if (answer.patch && !answer.patchType) throw invalid("webhook returned response.patch but not response.patchType");
    if (answer.patchType && answer.patchType !== "JSONPatch") throw invalid(`webhook returned invalid response.patchType of "${answer.patchType}"`);
    if (!mutating && (answer.patch || answer.patchType)) throw invalid("validating webhook may not return response.patch or response.patchType");
    return answer;
  }

  /** The webhooks of a kind that take the request (matchConditions included). Condition errors follow the failure policy. */
  function candidates(resource: typeof VALIDATING_RESOURCE | typeof MUTATING_RESOURCE, attrs: AdmissionAttributes): Webhook[] {
    const configs = deps.configurations(resource);
    if (configs.length === 0) return [];
    const namespaceLabels = attrs.namespaced ? deps.namespaceLabels(attrs.namespace) : undefined;
    return webhooksOf(configs).filter((webhook) => {
      if (!webhookMatches(webhook, attrs, namespaceLabels)) return false;
      try {
        return conditionsMatch(webhook, attrs);
      } catch (e) {
        if (webhook.spec.failurePolicy === "Ignore") return false;
        // As upstream: a condition that cannot be evaluated refuses the request (403) under Fail.
        throw errors.forbidden({ group: attrs.group, resource: attrs.resource }, attrs.name, (e as Error).message);
      }
    });
  }

  /** One call under the webhook's failure policy: the answer, or null when a failure is ignored. */
  async function guarded(webhook: Webhook, attrs: AdmissionAttributes, object: KObject | null, mutating: boolean): Promise<ReviewResponse | null> {
    try {
      return await call(webhook, attrs, object, mutating);
    } catch (e) {
      if (!(e instanceof CallError)) throw e;
      if (webhook.spec.failurePolicy === "Ignore") return null;
      throw callFailure(webhook.spec.name, e);
    }
  }

  function applyPatch(webhook: Webhook, object: KObject | null, answer: ReviewResponse): KObject | null {
    if (!answer.patch) return object;
    if (!object) throw new StatusError(500, "InternalError", `Internal error occurred: admission webhook "${webhook.spec.name}" attempted to modify the object, which is not supported for this operation`);
    let ops: JsonPatchOperation[];
    try {
      ops = JSON.parse(atob(answer.patch)) as JsonPatchOperation[];
    } catch (e) {
      throw callFailure(webhook.spec.name, new Error(`received undecodable patch in webhook response: ${(e as Error).message}`));
    }
    const patched = tryApplyJsonPatch(object, ops);
    if (!patched.ok) throw new StatusError(500, "InternalError", `Internal error occurred: JSON patch from webhook "${webhook.spec.name}" failed: ${patched.error}`);
    return patched.doc;
  }

  return {
    active: () => deps.configurations(VALIDATING_RESOURCE).length > 0 || deps.configurations(MUTATING_RESOURCE).length > 0,

    async mutate(attrs, warnings) {
      const webhooks = candidates(MUTATING_RESOURCE, attrs);
      let object = attrs.object;
      /** The number of changes made when each webhook last ran. */
      let changes = 0;
      const ranAt = new Map<Webhook, number>();
      const run = async (webhook: Webhook) => {
        const answer = await guarded(webhook, attrs, object, true);
        ranAt.set(webhook, changes);
        if (!answer) return;
        warnings?.push(...(answer.warnings ?? []));
        if (!answer.allowed) throw denial(webhook.spec.name, answer.status);
        const next = applyPatch(webhook, object, answer);
        if (next !== object && JSON.stringify(next) !== JSON.stringify(object)) {
          object = next;
          changes++;
          ranAt.set(webhook, changes);
        }
      };
      for (const webhook of webhooks) await run(webhook);
      for (const webhook of webhooks) {
        if (webhook.spec.reinvocationPolicy === "IfNeeded" && (ranAt.get(webhook) ?? 0) < changes) await run(webhook);
      }
      return object;
    },

    async validate(attrs, warnings) {
      const webhooks = candidates(VALIDATING_RESOURCE, attrs);
      const answers = await Promise.all(webhooks.map(async (webhook) => [webhook, await guarded(webhook, attrs, attrs.object, false)] as const));
      for (const [webhook, answer] of answers) {
        if (!answer) continue;
        warnings?.push(...(answer.warnings ?? []));
        if (!answer.allowed) throw denial(webhook.spec.name, answer.status);
      }
    },
  };
}
