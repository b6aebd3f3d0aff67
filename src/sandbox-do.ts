import { DurableObject } from "cloudflare:workers";
import type { Env } from "./env";

/** One sandbox: the DO class only wires requests and alarms to the sandbox's modules. */
export class SandboxCluster extends DurableObject<Env> {
  override async fetch(_request: Request): Promise<Response> {
    return new Response("not yet", { status: 501 });
  }
}
