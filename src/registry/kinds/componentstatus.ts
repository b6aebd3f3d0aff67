/**
 * core/v1 ComponentStatus (`kubectl get componentstatuses`, `cs`): cluster-scoped and read-only
 * upstream (get and list only). The sandbox writes one object per control-plane component at
 * bootstrap; the table is upstream's NAME STATUS MESSAGE ERROR, read from the `Healthy` condition.
 */
import type { KindStrategy, KObject } from "../types";

interface ComponentCondition {
  type?: string;
  status?: string;
  message?: string;
  error?: string;
}

/** Upstream's printer: Healthy / Unhealthy from the `Healthy` condition, Unknown without one. */
export function componentStatusCells(cs: KObject): [string, string, string] {
  const healthy = ((cs.conditions ?? []) as ComponentCondition[]).find((c) => c.type === "Healthy");
  if (!healthy) return ["Unknown", "", ""];
  return [healthy.status === "True" ? "Healthy" : "Unhealthy", healthy.message ?? "", healthy.error ?? ""];
}

export const componentStatusStrategy: KindStrategy = {
  group: "",
  version: "v1",
  kind: "ComponentStatus",
  resource: "componentstatuses",
  singular: "componentstatus",
  namespaced: false,
  shortNames: ["cs"],
  verbs: ["get", "list"],

  table: {
    columns: [
      { name: "Status", type: "string", description: "Status of the component conditions", priority: 0 },
      { name: "Message", type: "string", description: "Message of the component conditions", priority: 0 },
      { name: "Error", type: "string", description: "Error of the component conditions", priority: 0 },
    ],
    cells: (cs) => componentStatusCells(cs),
  },
};
