import { stringify } from "yaml";

export interface KubeconfigInput {
  /** Context and cluster are named after the sandbox. */
  name: string;
  server: string;
  token: string;
  /** The kubeconfig user's name; default `<name>-admin`. */
  user?: string;
}

function isLocal(server: string): boolean {
  const host = new URL(server).hostname;
  return host === "127.0.0.1" || host === "localhost" || host === "[::1]";
}

/** A kubeconfig that kubectl uses as is; local servers use a self-signed certificate, so TLS verification is skipped there. */
export function kubeconfig({ name, server, token, user = `${name}-admin` }: KubeconfigInput): string {
  const cluster: Record<string, unknown> = { server };
  if (isLocal(server)) cluster["insecure-skip-tls-verify"] = true;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name, context: { cluster: name, user, namespace: "default" } }],
    "current-context": name,
    preferences: {},
  });
}
