/**
 * Resources that are not stored: computed on read (metrics.k8s.io) or answered on create (access
 * and identity reviews). Their definitions join discovery; `serveVirtual` answers their requests.
 */
import { buildSelection, selectEverything } from "../../registry/selection";
import type { KindDefinition, KObject } from "../../registry/types";
import type { ResourceRequest } from "../request-info";
import type { ResourceContext } from "../resource-handler";
import { errors, StatusError } from "../status";
import { metricsDefinitions, metricsList, metricsResources, nodeMetrics, podMetrics } from "./metrics";
import { authorizerFor } from "../../auth/rbac-objects";
import { methodNotAllowed, reviewAnswers, reviewDefinitions, serveReview } from "./reviews";

export const virtualDefinitions: KindDefinition[] = [...reviewDefinitions, ...metricsDefinitions];

const json = (body: unknown) => new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });

/** The response for a request to a virtual resource, or null when the request is for a stored one. */
export async function serveVirtual(info: ResourceRequest, request: Request, ctx: ResourceContext): Promise<Response | null> {
  const definition = virtualDefinitions.find((d) => d.group === info.group && d.version === info.version && d.resource === info.resource);
  if (!definition) return null;
  if (info.subresource || (!definition.namespaced && info.namespace)) {
    await request.body?.cancel();
    throw errors.pathNotFound();
  }
  const now = new Date(ctx.clock.now());
  const answer = reviewAnswers[`${definition.group}/${definition.resource}`];
  if (answer) {
    const reviewContext = { now, authorizer: authorizerFor(ctx.registry), authenticate: ctx.authenticate };
    return serveReview(answer, definition, info.verb, info.namespace, request, ctx.user, reviewContext);
  }
  await request.body?.cancel();
  if (info.verb !== "get" && info.verb !== "list") throw methodNotAllowed();
  return json(info.resource === "nodes" ? readNodeMetrics(info, request, ctx, now.getTime()) : readPodMetrics(info, request, ctx, now.getTime()));
}

/** Pods by node name, for node usage. */
function podsByNode(ctx: ResourceContext): Map<string, KObject[]> {
  const byNode = new Map<string, KObject[]>();
  for (const pod of ctx.registry.resource("", "pods").list("", { selection: selectEverything }).items) {
    const node = pod.spec?.nodeName;
    if (!node) continue;
    if (!byNode.has(node)) byNode.set(node, []);
    byNode.get(node)!.push(pod);
  }
  return byNode;
}

/** The nodes or pods a metrics request is about: the named one, or those its label and field selectors pick, as metrics-server reads them. */
function selected(info: ResourceRequest, request: Request, ctx: ResourceContext, resource: "nodes" | "pods"): KObject[] {
  const store = ctx.registry.resource("", resource);
  const query = new URL(request.url).searchParams;
  if (info.verb === "get") {
    try {
      return [store.get(info.namespace, info.name)];
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) return [];
      throw e;
    }
  }
  return store.list(info.namespace, { selection: buildSelection(store.strategy, query.get("labelSelector"), query.get("fieldSelector")) }).items;
}

function readNodeMetrics(info: ResourceRequest, request: Request, ctx: ResourceContext, nowMs: number): KObject {
  const pods = podsByNode(ctx);
  const items = selected(info, request, ctx, "nodes")
    .map((node) => nodeMetrics(node, pods.get(node.metadata.name ?? "") ?? [], nowMs))
    .filter((m): m is KObject => m !== null);
  if (info.verb === "list") return metricsList("NodeMetrics", items);
  if (!items[0]) throw errors.notFound(metricsResources.nodes, info.name);
  return items[0];
}

function readPodMetrics(info: ResourceRequest, request: Request, ctx: ResourceContext, nowMs: number): KObject {
  const items = selected(info, request, ctx, "pods")
    .map((pod) => podMetrics(pod, nowMs))
    .filter((m): m is KObject => m !== null);
  if (info.verb === "list") return metricsList("PodMetrics", items);
  if (!items[0]) throw errors.notFound(metricsResources.pods, `${info.namespace}/${info.name}`);
  return items[0];
}
