/**
 * coordination.k8s.io/v1 Lease: upstream's ValidateLeaseSpec and `kubectl get leases` columns.
 * (Upstream does not validate holderIdentity; neither does this.)
 */
import { field, type FieldError } from "../../apiserver/status";
import { isQualifiedName } from "../../apiserver/names";
import type { KindStrategy, KObject } from "../types";
import { ageCell } from "./service";

const leaseStrategies = ["OldestEmulationVersion"];

export function validateLease(lease: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = lease.spec ?? {};
  if (spec.leaseDurationSeconds != null && !(spec.leaseDurationSeconds > 0)) {
    errs.push(field.invalid("spec.leaseDurationSeconds", spec.leaseDurationSeconds, "must be greater than 0"));
  }
  if (spec.leaseTransitions != null && spec.leaseTransitions < 0) {
    errs.push(field.invalid("spec.leaseTransitions", spec.leaseTransitions, "must be greater than or equal to 0"));
  }
  if (spec.strategy != null) {
    // Upstream appends "strategy" twice (spec.strategy.strategy); kept for fidelity.
    const path = "spec.strategy.strategy";
    const strategy = String(spec.strategy);
    if (strategy.split("/").length === 1) {
      if (!leaseStrategies.includes(strategy)) errs.push(field.notSupported(path, strategy, leaseStrategies));
    } else {
      errs.push(...isQualifiedName(strategy).map((m) => field.invalid(path, strategy, m)));
    }
  }
  if (spec.preferredHolder && !spec.strategy) {
    errs.push(field.forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"));
  }
  return errs;
}

export const leaseStrategy: KindStrategy = {
  group: "coordination.k8s.io",
  version: "v1",
  kind: "Lease",
  resource: "leases",
  allowCreateOnUpdate: true,
  singular: "lease",
  namespaced: true,

  validate: validateLease,

  table: {
    columns: [
      { name: "Holder", type: "string", description: "The identity of the current holder of the lease.", priority: 0 },
      { name: "Age", type: "string", description: "Time since the object was created.", priority: 0 },
    ],
    cells: (lease, now) => [lease.spec?.holderIdentity ?? "", ageCell(lease.metadata.creationTimestamp, now)],
  },
};
