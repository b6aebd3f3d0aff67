/**
 * pods/exec and pods/attach: the streaming subresources kubectl reaches over WebSocket.
 * (Placeholder until the exec module lands: answers as a server without the subresource.)
 */
import type { ResourceRequest } from "../request-info";
import type { ResourceContext } from "../resource-handler";
import type { ResourceStore } from "../../registry/store";
import { errors } from "../status";

export async function servePodStream(_store: ResourceStore, _info: ResourceRequest, request: Request, _ctx: ResourceContext): Promise<Response> {
  await request.body?.cancel();
  throw errors.pathNotFound();
}
