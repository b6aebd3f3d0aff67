/**
 * Worker entry: routes `/v1/…` to the management API and `/sandboxes/{id}/…` to the sandbox's
 * Durable Object. Nothing else happens here.
 */
import { Hono, type Context } from "hono";
import { MAX_BODY_BYTES } from "./apiserver/body";
import { errors, toResponse } from "./apiserver/status";
import type { Env } from "./env";
import { managementApp } from "./management/app";

export { SandboxCluster } from "./sandbox-do";

const app = new Hono<{ Bindings: Env }>();

app.get("/", (c) =>
  c.json({ name: "sandkube", description: "Disposable Kubernetes clusters in milliseconds", api: "/v1/sandboxes" }),
);

app.route("/v1", managementApp());

const toSandbox = async (c: Context<{ Bindings: Env }>) => {
  const request = c.req.raw;
  // A body declared larger than the limit is refused here, before it is streamed to the sandbox.
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) {
    await request.body?.cancel();
    return toResponse(errors.tooLarge(`Request entity too large: limit is ${MAX_BODY_BYTES}`));
  }
  const id = c.req.param("id")!;
  return c.env.SANDBOX.get(c.env.SANDBOX.idFromName(id)).fetch(request);
};
app.all("/sandboxes/:id/*", toSandbox);
app.all("/sandboxes/:id", toSandbox);

app.notFound((c) => c.json({ error: { status: 404, reason: "NotFound", message: "not found" } }, 404));

export default app satisfies ExportedHandler<Env>;
