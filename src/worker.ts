import type { Env } from "./env";
export { SandboxCluster } from "./sandbox-do";

export default {
  async fetch(_request: Request, _env: Env): Promise<Response> {
    return new Response("sandkube", { status: 200 });
  },
} satisfies ExportedHandler<Env>;
