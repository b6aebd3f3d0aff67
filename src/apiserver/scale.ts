/**
 * The `scale` subresource: an autoscaling/v1 Scale view of a kind's replica fields.
 */
import { labelSelectorToString } from "./selectors/labels";
import { errors, field, invalid } from "./status";
import type { KObject, ScalePaths } from "../registry/types";

function read(obj: KObject, path: string): unknown {
  return path.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), obj);
}

function write(obj: KObject, path: string, value: unknown): void {
  const keys = path.split(".");
  let o: Record<string, unknown> = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof o[k] !== "object" || o[k] === null) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]] = value;
}

export function toScale(obj: KObject, paths: ScalePaths): KObject {
  const selector = read(obj, paths.labelSelector);
  const status: Record<string, unknown> = { replicas: (read(obj, paths.statusReplicas) as number | undefined) ?? 0 };
  if (selector && typeof selector === "object") status.selector = labelSelectorToString(selector as never);
  // A custom resource's labelSelectorPath points at a selector already in string form.
  else if (typeof selector === "string") status.selector = selector;
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: (read(obj, paths.specReplicas) as number | undefined) ?? 0 },
    status,
  };
}

/** Applies a Scale's spec.replicas to the object; a Scale's resourceVersion is a precondition. */
export function applyScale(obj: KObject, scale: KObject, paths: ScalePaths): KObject {
  if (typeof scale !== "object" || scale === null || Array.isArray(scale)) throw errors.badRequest("the body is not a Scale object");
  const replicas = scale.spec?.replicas;
  if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 0)) {
    throw invalid("Scale", "autoscaling", obj.metadata.name ?? "", [field.invalid("spec.replicas", replicas, "must be greater than or equal to 0")]);
  }
  const next = structuredClone(obj);
  write(next, paths.specReplicas, replicas ?? 0);
  if (scale.metadata?.resourceVersion) next.metadata.resourceVersion = scale.metadata.resourceVersion;
  return next;
}
