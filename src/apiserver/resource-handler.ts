/**
 * Serves one resource request (get, list, watch, create, update, patch, delete,
 * deletecollection and the status/scale/binding subresources) against the registry.
 */
import type { Clock } from "../registry/clock";
import type { Registry } from "../registry/registry";
import { buildSelection } from "../registry/selection";
import { parseResourceVersion, type DeleteOptions, type ListResult, type ResourceStore, type WriteOptions } from "../registry/store";
import type { KObject, UserInfo } from "../registry/types";
import { decodeObject, parseJson, readBody } from "./body";
import { checkedPatchFunction, decodeCheckedObject, withWarnings } from "./field-validation";
import { responseShape, type ResponseShape } from "./negotiate";
import { patchFunction } from "./patch";
import { parseQueryBool, parseQueryInt64 } from "./query";
import type { ResourceRequest } from "./request-info";
import { applyScale, toScale } from "./scale";
import { errors, field, invalid, StatusError, type FieldError } from "./status";
import { escapeFieldValue, parseFieldSelector } from "./selectors/fields";
import { parseIncludeObject, partialObjectMetadata, toTable } from "./table";
import { watchResponse } from "./watch";
import { applyBinding, validateBinding } from "../registry/kinds/pod";
import { servePodLog } from "./pod-log";
import { servePodEviction } from "./eviction";
import { servePodStream } from "./exec";
import type { SigningKey } from "../auth/tokens/signing-key";
import { serveTokenRequest } from "../auth/tokens/token-request";
import { applyPatchContentType } from "./apply";
import { managedWrite, serveApply } from "./field-management";
import { mediaType } from "./negotiate";

export interface ResourceContext {
  registry: Registry;
  clock: Clock;
  user: UserInfo;
  /** Registers an open watch; returns a release function, or throws 429 when the sandbox has too many. */
  openWatch(): () => void;
  /** How many times faster than real time the sandbox's simulated durations pass (default 1). */
  speed?(): number;
  /** The sandbox's token signing key (TokenRequest). */
  signingKey(): Promise<SigningKey>;
  /** Who a bearer token is (TokenReview); null when it is not valid. */
  authenticate(token: string): Promise<UserInfo | null>;
}

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export async function serveResource(info: ResourceRequest, request: Request, ctx: ResourceContext): Promise<Response> {
  const store = ctx.registry.lookup(info.group, info.version, info.resource);
  if (!store) {
    await request.body?.cancel();
    throw errors.pathNotFound();
  }
  if (store.strategy.namespaced === false && info.namespace) throw errors.pathNotFound();
  const url = new URL(request.url);
  const query = url.searchParams;
  const accept = request.headers.get("accept");

  if (info.subresource) return serveSubresource(store, info, request, ctx);

  const dryRun = isDryRun(query.getAll("dryRun"));
  const writeOptions: WriteOptions = { user: ctx.user, dryRun };
  const shape = responseShape(accept, info.verb === "list" || info.verb === "watch");
  const now = () => new Date(ctx.clock.now());
  const render = (obj: KObject, status = 200) => respondObject(store, obj, shape, query, now(), status);

  switch (info.verb) {
    case "get":
      return render(store.get(info.namespace, info.name));

    case "list": {
      validateListOptions(query, false);
      const result = store.list(info.namespace, {
        selection: buildSelection(store.strategy, query.get("labelSelector"), query.get("fieldSelector")),
        limit: parseQueryInt64(query.get("limit")),
        continueToken: query.get("continue") || undefined,
        resourceVersion: query.get("resourceVersion") ?? undefined,
        resourceVersionMatch: query.get("resourceVersionMatch") ?? undefined,
      });
      return respondList(store, result, shape, query, now());
    }

    case "watch":
      return serveWatch(store, info, query, shape, ctx);

    case "create": {
      const options = managedWrite(store, request, query, "CreateOptions", writeOptions, () => ctx.clock.now());
      const body = decodeCheckedObject(await readBody(request), request.headers.get("content-type"), query, "CreateOptions", store);
      const created = await store.create(info.namespace, body.object, { ...options, warnings: body.warnings });
      return withWarnings(render(created, 201), body.warnings);
    }

    case "update": {
      const options = managedWrite(store, request, query, "UpdateOptions", writeOptions, () => ctx.clock.now());
      const body = decodeCheckedObject(await readBody(request), request.headers.get("content-type"), query, "UpdateOptions", store);
      // A PUT that creates (kinds that allow create on update) answers 201, as upstream.
      const existed = !store.strategy.allowCreateOnUpdate || exists(store, info.namespace, info.name);
      return withWarnings(render(await store.update(info.namespace, info.name, body.object, { ...options, warnings: body.warnings }), existed ? 200 : 201), body.warnings);
    }

    case "patch": {
      if (mediaType(request.headers.get("content-type")) === applyPatchContentType) {
        const applied = await serveApply(store, info.namespace, info.name, await readBody(request), query, writeOptions, () => ctx.clock.now());
        return render(applied.object, applied.created ? 201 : 200);
      }
      const options = managedWrite(store, request, query, "PatchOptions", writeOptions, () => ctx.clock.now());
      const patch = checkedPatchFunction(await readBody(request), request.headers.get("content-type"), query, store);
      return withWarnings(render(await store.patch(info.namespace, info.name, patch.patch, { ...options, warnings: patch.warnings })), patch.warnings);
    }

    case "delete": {
      const options = await deleteOptions(request, query, ctx.user);
      const result = await store.delete(info.namespace, info.name, options);
      if (!result.deleted || store.strategy.returnDeletedObject) return render(result.object);
      return json(deletedStatus(store, info.name, result.object.metadata.uid));
    }

    case "deletecollection": {
      const options = await deleteOptions(request, query, ctx.user);
      const deleted = await store.deleteCollection(
        info.namespace,
        { selection: buildSelection(store.strategy, query.get("labelSelector"), query.get("fieldSelector")) },
        options,
      );
      return respondList(store, { items: deleted, resourceVersion: String(store.revision) }, "object", query, now());
    }
  }
}

/**
 * The generic store's answer to an immediate delete: a Success Status with no code, whose
 * `details.kind` is the plural resource and whose `details.group` is omitted for the core group.
 */
function deletedStatus(store: ResourceStore, name: string, uid: string | undefined) {
  const { group, resource } = store.strategy;
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: { name, ...(group ? { group } : {}), kind: resource, uid } };
}

function exists(store: ResourceStore, namespace: string, name: string): boolean {
  try {
    store.get(namespace, name);
    return true;
  } catch (e) {
    if (e instanceof StatusError && e.code === 404) return false;
    throw e;
  }
}

function isDryRun(values: string[]): boolean {
  for (const v of values) {
    if (v !== "All") throw errors.badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}

/** DeleteOptions come in the body (kubectl) or the query string; the body wins where both are given. */
async function deleteOptions(request: Request, query: URLSearchParams, user: UserInfo): Promise<DeleteOptions> {
  const bytes = await readBody(request);
  const body = bytes.byteLength > 0 ? (parseJson(bytes, "DeleteOptions") as Record<string, unknown>) : {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw errors.badRequest("the body is not a DeleteOptions object");
  const dryRunValues = Array.isArray(body.dryRun) ? (body.dryRun as string[]) : query.getAll("dryRun");
  const grace = body.gracePeriodSeconds ?? parseQueryInt64(query.get("gracePeriodSeconds"));
  const policy = (body.propagationPolicy as string | undefined) ?? query.get("propagationPolicy") ?? undefined;
  if (policy !== undefined && !["Orphan", "Background", "Foreground"].includes(policy)) {
    throw errors.badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  const orphan = body.orphanDependents ?? (query.has("orphanDependents") ? parseQueryBool(query.get("orphanDependents")) : undefined);
  return {
    user,
    dryRun: isDryRun(dryRunValues),
    gracePeriodSeconds: typeof grace === "number" ? grace : undefined,
    propagationPolicy: policy as DeleteOptions["propagationPolicy"],
    orphanDependents: typeof orphan === "boolean" ? orphan : undefined,
    preconditions: body.preconditions as DeleteOptions["preconditions"],
  };
}

function respondObject(store: ResourceStore, obj: KObject, shape: ResponseShape, query: URLSearchParams, now: Date, status: number): Response {
  if (shape === "table") {
    // A one-object Table carries the object's resourceVersion, as upstream's table generators do.
    const listMeta = { resourceVersion: obj.metadata.resourceVersion };
    return json(toTable(store.strategy, [obj], { now, include: parseIncludeObject(query.get("includeObject")), withColumns: true, listMeta }), status);
  }
  if (shape === "metadata") return json(partialObjectMetadata(obj), status);
  return json(obj, status);
}

function respondList(store: ResourceStore, result: ListResult, shape: ResponseShape, query: URLSearchParams, now: Date): Response {
  const listMeta: Record<string, unknown> = { resourceVersion: result.resourceVersion };
  if (result.continueToken) listMeta.continue = result.continueToken;
  if (result.remainingItemCount) listMeta.remainingItemCount = result.remainingItemCount;
  if (shape === "table") {
    return json(toTable(store.strategy, result.items, { now, include: parseIncludeObject(query.get("includeObject")), withColumns: true, listMeta }));
  }
  if (shape === "metadata") {
    return json({ kind: "PartialObjectMetadataList", apiVersion: "meta.k8s.io/v1", metadata: listMeta, items: result.items.map(partialObjectMetadata) });
  }
  return json({ kind: `${store.strategy.kind}List`, apiVersion: store.apiVersion, metadata: listMeta, items: result.items });
}

/**
 * A watch on an object's own path (`…/configmaps/x?watch=1`, `/api/v1/watch/…/x`) selects that
 * name, as upstream's ListResource does; a field selector may only repeat it.
 */
function namedFieldSelector(name: string, fieldSelector: string | null): string | null {
  if (!name) return fieldSelector;
  if (!fieldSelector || parseFieldSelector(fieldSelector).empty()) return `metadata.name=${escapeFieldValue(name)}`;
  if (parseFieldSelector(fieldSelector).requiresExactMatch("metadata.name") !== name) {
    throw errors.badRequest("fieldSelector metadata.name doesn't match requested name");
  }
  return fieldSelector;
}

/**
 * ValidateListOptions (k8s.io/apimachinery/pkg/apis/meta/internalversion/validation): 422 Invalid
 * `ListOptions.meta.k8s.io "" is invalid: …`. A watch-list client falls back to LIST+WATCH on it.
 */
function validateListOptions(query: URLSearchParams, isWatch: boolean): void {
  const match = query.get("resourceVersionMatch") ?? "";
  const resourceVersion = query.get("resourceVersion") ?? "";
  const hasContinue = (query.get("continue") ?? "") !== "";
  const hasSendInitialEvents = query.has("sendInitialEvents");
  const errs: FieldError[] = [];
  if (isWatch) {
    if (hasSendInitialEvents && match !== "NotOlderThan") {
      errs.push(field.forbidden("resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
    }
    if (match) {
      if (!hasSendInitialEvents) errs.push(field.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"));
      if (match !== "NotOlderThan") errs.push(field.notSupported("resourceVersionMatch", match, ["NotOlderThan"]));
      if (hasContinue) errs.push(field.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
    }
  } else {
    if (match) {
      if (!resourceVersion) errs.push(field.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided"));
      if (hasContinue) errs.push(field.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
      if (match !== "Exact" && match !== "NotOlderThan") errs.push(field.notSupported("resourceVersionMatch", match, ["Exact", "NotOlderThan", ""]));
      if (match === "Exact" && resourceVersion === "0") errs.push(field.forbidden("resourceVersionMatch", 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
    if (hasSendInitialEvents) errs.push(field.forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"));
  }
  if (errs.length) throw invalid("ListOptions", "meta.k8s.io", "", errs);
}

/** A server-chosen watch lifetime when the client names none: 30–60 minutes, as kube-apiserver. */
function defaultWatchSeconds(): number {
  return 1800 + Math.floor(Math.random() * 1800);
}

function serveWatch(store: ResourceStore, info: ResourceRequest, query: URLSearchParams, shape: ResponseShape, ctx: ResourceContext): Response {
  const selection = buildSelection(store.strategy, query.get("labelSelector"), namedFieldSelector(info.name, query.get("fieldSelector")));
  validateListOptions(query, true);
  const resourceVersion = query.get("resourceVersion") || undefined;
  if (resourceVersion !== undefined) parseResourceVersion(resourceVersion);
  // sendInitialEvents defaults to true for resourceVersion "" or "0" and to false otherwise; only
  // an explicit request (watch-list) ends the initial events with the annotated BOOKMARK.
  const explicitInitialEvents = query.has("sendInitialEvents");
  const sendInitialEvents = explicitInitialEvents ? parseQueryBool(query.get("sendInitialEvents")) : !resourceVersion || resourceVersion === "0";
  const allowBookmarks = parseQueryBool(query.get("allowWatchBookmarks"));
  const timeoutSeconds = parseQueryInt64(query.get("timeoutSeconds")) || defaultWatchSeconds();
  const include = parseIncludeObject(query.get("includeObject"));
  const release = ctx.openWatch();
  return watchResponse({
    store,
    namespace: info.namespace,
    selection,
    resourceVersion,
    sendInitialEvents,
    initialEventsEndBookmark: explicitInitialEvents && sendInitialEvents && allowBookmarks,
    allowBookmarks,
    timeoutSeconds,
    bookmarkIntervalMs: 10_000,
    encodeObject(object, first) {
      if (shape === "table") {
        const listMeta = { resourceVersion: object.metadata.resourceVersion };
        return toTable(store.strategy, [object], { now: new Date(ctx.clock.now()), include, withColumns: first, listMeta });
      }
      if (shape === "metadata") return partialObjectMetadata(object);
      return object;
    },
    onClose: release,
  });
}

async function serveSubresource(store: ResourceStore, info: ResourceRequest, request: Request, ctx: ResourceContext): Promise<Response> {
  const { strategy } = store;
  const query = new URL(request.url).searchParams;
  const writeOptions: WriteOptions = { user: ctx.user, dryRun: isDryRun(query.getAll("dryRun")) };
  const contentType = request.headers.get("content-type");
  const sub = info.subresource;
  const verb = info.verb;

  if (sub === "status" && strategy.subresources?.status) {
    const statusWrite = { ...writeOptions, subresource: "status" };
    const now = () => ctx.clock.now();
    if (verb === "get") return json(store.get(info.namespace, info.name));
    if (verb === "update") {
      const options = managedWrite(store, request, query, "UpdateOptions", statusWrite, now);
      const body = decodeCheckedObject(await readBody(request), contentType, query, "UpdateOptions", store);
      return withWarnings(json(await store.update(info.namespace, info.name, body.object, { ...options, warnings: body.warnings })), body.warnings);
    }
    if (verb === "patch" && mediaType(contentType) === applyPatchContentType) {
      const applied = await serveApply(store, info.namespace, info.name, await readBody(request), query, statusWrite, now);
      return json(applied.object, applied.created ? 201 : 200);
    }
    if (verb === "patch") {
      const options = managedWrite(store, request, query, "PatchOptions", statusWrite, now);
      const patch = checkedPatchFunction(await readBody(request), contentType, query, store);
      return withWarnings(json(await store.patch(info.namespace, info.name, patch.patch, { ...options, warnings: patch.warnings })), patch.warnings);
    }
  }

  const scalePaths = strategy.subresources?.scale;
  if (sub === "scale" && scalePaths) {
    if (verb === "get") return json(toScale(store.get(info.namespace, info.name), scalePaths));
    if (verb === "update" || verb === "patch") {
      const bytes = await readBody(request);
      const scaleChange =
        verb === "update"
          ? (current: KObject) => applyScale(current, decodeObject(bytes, contentType, "Scale") as KObject, scalePaths)
          : (current: KObject) => applyScale(current, patchFunction(contentType, bytes, "Scale")(toScale(current, scalePaths)), scalePaths);
      const updated = await store.patch(info.namespace, info.name, scaleChange, writeOptions);
      return json(toScale(updated, scalePaths));
    }
  }

  if (sub === "binding" && strategy.group === "" && strategy.resource === "pods" && verb === "create") {
    const binding = decodeObject(await readBody(request), contentType, "Binding") as KObject;
    await bindPod(store, info, binding, writeOptions, () => new Date(ctx.clock.now()));
    // BindingREST returns a bare Success Status; the create handler fills in code 201.
    return json({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 }, 201);
  }

  if (sub === "log" && strategy.group === "" && strategy.resource === "pods") return servePodLog(store, info, request, ctx);
  if (sub === "eviction" && strategy.group === "" && strategy.resource === "pods" && verb === "create") return servePodEviction(store, info, request, ctx);
  if ((sub === "exec" || sub === "attach") && strategy.group === "" && strategy.resource === "pods") return servePodStream(store, info, request, ctx);
  if (sub === "token" && strategy.group === "" && strategy.resource === "serviceaccounts" && verb === "create") {
    return serveTokenRequest(store, info.namespace, info.name, request, { registry: ctx.registry, signingKey: ctx.signingKey, now: () => ctx.clock.now() });
  }

  await request.body?.cancel();
  throw errors.pathNotFound();
}

/** pods/binding: assigns a node to a pod that has none (the scheduler's write). */
async function bindPod(store: ResourceStore, info: ResourceRequest, binding: KObject, options: WriteOptions, now: () => Date): Promise<void> {
  const name = binding?.metadata?.name || info.name;
  const fieldErrors = validateBinding(binding);
  if (fieldErrors.length) throw invalid("Binding", "", name, fieldErrors);
  await store.patch(info.namespace, name, (pod) => applyBinding(pod, binding, now()), { ...options, subresource: "binding" });
}
