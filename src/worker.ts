/**
 * Worker entry: routes `/v1/…` to the management API and `/sandboxes/{id}/…` to the sandbox's
 * Durable Object. Nothing else happens here.
 */
import { Hono } from "hono";
import type { Env } from "./env";
import { managementApp } from "./management/app";

export { SandboxCluster } from "./sandbox-do";

const app = new Hono<{ Bindings: Env }>();

app.get("/", (c) =>
  c.json({ name: "sandkube", description: "Disposable Kubernetes clusters in milliseconds", api: "/v1/sandboxes" }),
);

app.route("/v1", managementApp());

app.all("/sandboxes/:id/*", (c) => {
  const id = c.req.param("id");
  return c.env.SANDBOX.get(c.env.SANDBOX.idFromName(id)).fetch(c.req.raw);
});
app.all("/sandboxes/:id", (c) => {
  const id = c.req.param("id");
  return c.env.SANDBOX.get(c.env.SANDBOX.idFromName(id)).fetch(c.req.raw);
});

app.notFound((c) => c.json({ error: { status: 404, reason: "NotFound", message: "not found" } }, 404));

export default app satisfies ExportedHandler<Env>;
