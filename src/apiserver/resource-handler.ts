/**
 * Serves one resource request (get, list, watch, create, update, patch, delete,
 * deletecollection and the status/scale/binding subresources) against the registry.
 */
import type { Clock } from "../registry/clock";
import type { Registry } from "../registry/registry";
import { buildSelection } from "../registry/selection";
import type { DeleteOptions, ListResult, ResourceStore, WriteOptions } from "../registry/store";
import type { KObject, UserInfo } from "../registry/types";
import { decodeObject, parseJson, readBody } from "./body";
import { responseShape, type ResponseShape } from "./negotiate";
import { patchFunction } from "./patch";
import { parseQueryBool, parseQueryInt64 } from "./query";
import type { ResourceRequest } from "./request-info";
import { applyScale, toScale } from "./scale";
import { errors, field, invalid, successStatus } from "./status";
import { parseIncludeObject, partialObjectMetadata, toTable } from "./table";
import { watchResponse } from "./watch";
import { applyBinding, validateBinding } from "../registry/kinds/pod";

export interface ResourceContext {
  registry: Registry;
  clock: Clock;
  user: UserInfo;
  /** Registers an open watch; returns a release function, or throws 429 when the sandbox has too many. */
  openWatch(): () => void;
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
      const body = decodeObject(await readBody(request), request.headers.get("content-type"), store.strategy.kind);
      return render(await store.create(info.namespace, body as KObject, writeOptions), 201);
    }

    case "update": {
      const body = decodeObject(await readBody(request), request.headers.get("content-type"), store.strategy.kind);
      return render(await store.update(info.namespace, info.name, body as KObject, writeOptions));
    }

    case "patch": {
      const patch = patchFunction(request.headers.get("content-type"), await readBody(request), store.strategy.kind);
      return render(await store.patch(info.namespace, info.name, patch, writeOptions));
    }

    case "delete": {
      const options = await deleteOptions(request, query, ctx.user);
      const result = await store.delete(info.namespace, info.name, options);
      if (!result.deleted || store.strategy.returnDeletedObject) return render(result.object);
      return json(successStatus({ name: info.name, group: store.strategy.group, kind: store.strategy.resource, uid: result.object.metadata.uid }));
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
    return json(toTable(store.strategy, [obj], { now, include: parseIncludeObject(query.get("includeObject")), withColumns: true }), status);
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

/** A server-chosen watch lifetime when the client names none: 30–60 minutes, as kube-apiserver. */
function defaultWatchSeconds(): number {
  return 1800 + Math.floor(Math.random() * 1800);
}

function serveWatch(store: ResourceStore, info: ResourceRequest, query: URLSearchParams, shape: ResponseShape, ctx: ResourceContext): Response {
  const selection = buildSelection(store.strategy, query.get("labelSelector"), query.get("fieldSelector"));
  const sendInitialEvents = parseQueryBool(query.get("sendInitialEvents"));
  const resourceVersionMatch = query.get("resourceVersionMatch");
  if (sendInitialEvents && resourceVersionMatch !== "NotOlderThan") {
    throw invalid("ListOptions", "meta.k8s.io", "", [
      field.forbidden("resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"),
    ]);
  }
  const allowBookmarks = parseQueryBool(query.get("allowWatchBookmarks"));
  const timeoutSeconds = parseQueryInt64(query.get("timeoutSeconds")) || defaultWatchSeconds();
  const include = parseIncludeObject(query.get("includeObject"));
  const release = ctx.openWatch();
  return watchResponse({
    store,
    namespace: info.namespace,
    selection,
    resourceVersion: query.get("resourceVersion") ?? undefined,
    sendInitialEvents,
    allowBookmarks,
    timeoutSeconds,
    bookmarkIntervalMs: 10_000,
    encodeObject(object, first) {
      if (shape === "table") return toTable(store.strategy, [object], { now: new Date(ctx.clock.now()), include, withColumns: first });
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
    const options = { ...writeOptions, subresource: "status" };
    if (verb === "get") return json(store.get(info.namespace, info.name));
    if (verb === "update") {
      const body = decodeObject(await readBody(request), contentType, strategy.kind) as KObject;
      return json(await store.update(info.namespace, info.name, body, options));
    }
    if (verb === "patch") {
      const patch = patchFunction(contentType, await readBody(request), strategy.kind);
      return json(await store.patch(info.namespace, info.name, patch, options));
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
    return json(successStatus({}), 201);
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
