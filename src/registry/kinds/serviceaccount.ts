/**
 * core/v1 ServiceAccount: secret references are trimmed to their names on every write
 * (upstream's cleanSecretReferences), `kubectl get sa` columns. Metadata-only validation.
 */
import type { KindStrategy, KObject } from "../types";
import { ageCell } from "./service";

function cleanSecretReferences(sa: KObject): void {
  if (!Array.isArray(sa.secrets)) return;
  sa.secrets = sa.secrets.map((ref: { name?: unknown } | null) => {
    const name = ref && typeof ref === "object" ? ref.name : undefined;
    return name ? { name } : {};
  });
}

export const serviceAccountStrategy: KindStrategy = {
  group: "",
  version: "v1",
  kind: "ServiceAccount",
  resource: "serviceaccounts",
  singular: "serviceaccount",
  namespaced: true,
  shortNames: ["sa"],
  subresources: { extra: [{ name: "token", group: "authentication.k8s.io", version: "v1", kind: "TokenRequest", verbs: ["create"] }] },

  prepareForCreate: (sa) => cleanSecretReferences(sa),
  prepareForUpdate: (sa) => cleanSecretReferences(sa),

  table: {
    columns: [
      { name: "Secrets", type: "string", description: "The number of secrets listed in the service account.", priority: 0 },
      { name: "Age", type: "string", description: "Time since the object was created.", priority: 0 },
    ],
    cells: (sa, now) => [Array.isArray(sa.secrets) ? sa.secrets.length : 0, ageCell(sa.metadata.creationTimestamp, now)],
  },
};
