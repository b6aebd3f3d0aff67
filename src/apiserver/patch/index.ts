/**
 * Chooses the patch algorithm from the request's Content-Type and turns the body into a function
 * from the current object to the desired one.
 */
import type { KindStrategy, KObject } from "../../registry/types";
import type { PatchFunction } from "../../registry/store";
import { parseJson } from "../body";
import { mediaType } from "../negotiate";
import { errors } from "../status";
import { applyJsonPatch, decodeJsonPatch } from "./json-patch";
import { applyMergePatch } from "./merge-patch";
import { applyStrategicMergePatch } from "./strategic-merge-patch";

/** What a patch needs to know of the patched kind. */
export type PatchTarget = string | Readonly<Pick<KindStrategy, "kind"> & Partial<Pick<KindStrategy, "openApiSchema">>>;

export const patchContentTypes = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
];

/**
 * Custom resources (kinds that bring their own OpenAPI schema) have no strategic merge metadata:
 * upstream refuses that patch type, naming the types it takes (apply patches are served before this).
 */
const customResourcePatchContentTypes = patchContentTypes.filter((t) => t !== "application/strategic-merge-patch+json");
const customResourceAdvertised = [...customResourcePatchContentTypes, "application/apply-patch+yaml"];

/** `target`: the patched kind's strategy, or just its kind name (built-in kinds, Scale). */
export function patchFunction(contentType: string | null, body: Uint8Array, target: PatchTarget): PatchFunction {
  const type = mediaType(contentType);
  const kind = typeof target === "string" ? target : target.kind;
  const custom = typeof target !== "string" && target.openApiSchema !== undefined;
  if (!(custom ? customResourcePatchContentTypes : patchContentTypes).includes(type)) {
    throw errors.unsupportedMediaType(type, custom ? customResourceAdvertised : patchContentTypes);
  }
  const patch = parseJson(body, kind);
  switch (type) {
    case "application/json-patch+json": {
      const { ops } = decodeJsonPatch(patch);
      return (current) => applyJsonPatch(current, ops) as KObject;
    }
    case "application/merge-patch+json":
      return (current) => applyMergePatch(current, patch) as KObject;
    default:
      return (current) => applyStrategicMergePatch(current, patch, kind) as KObject;
  }
}
