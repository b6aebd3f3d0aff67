/** `npm start`: sandkube on https://127.0.0.1:8787 (PORT overrides) with local D1 state under .wrangler/. */
import { localAdminKey, startDevServer } from "./dev-server.mjs";

const port = Number(process.env.PORT ?? 8787);
const server = await startDevServer({ port, inherit: true });
const key = localAdminKey();
console.log(`
sandkube is serving ${server.url}
  admin API key: ${key}

Create a sandbox and point kubectl at it:
  curl -sk -X POST ${server.url}/v1/sandboxes -H 'Authorization: Bearer ${key}' -H 'Accept: application/yaml' > sandbox.kubeconfig
  export KUBECONFIG=$PWD/sandbox.kubeconfig
  kubectl get nodes -o wide
`);
const stop = () => {
  server.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
