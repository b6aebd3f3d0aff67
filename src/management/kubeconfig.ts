import { stringify } from "yaml";

export interface KubeconfigInput {
  /** Context, cluster and user are named after the sandbox. */
  name: string;
  server: string;
  token: string;
}

function isLocal(server: string): boolean {
  const host = new URL(server).hostname;
  return host === "127.0.0.1" || host === "localhost" || host === "[::1]";
}

/** A kubeconfig that kubectl uses as is; local servers use a self-signed certificate, so TLS verification is skipped there. */
export function kubeconfig({ name, server, token }: KubeconfigInput): string {
  const cluster: Record<string, unknown> = { server };
  if (isLocal(server)) cluster["insecure-skip-tls-verify"] = true;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster }],
    users: [{ name: `${name}-admin`, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: "default" } }],
    "current-context": name,
    preferences: {},
  });
}
