/**
 * Resources that are not stored: computed on read (metrics.k8s.io) or answered on create (access
 * and identity reviews). Their definitions join discovery; `serveVirtual` answers their requests.
 * (Placeholder until the module lands: none.)
 */
import type { KindDefinition } from "../../registry/types";
import type { ResourceRequest } from "../request-info";
import type { ResourceContext } from "../resource-handler";

export const virtualDefinitions: KindDefinition[] = [];

/** The response for a request to a virtual resource, or null when the request is for a stored one. */
export async function serveVirtual(_info: ResourceRequest, _request: Request, _ctx: ResourceContext): Promise<Response | null> {
  return null;
}
