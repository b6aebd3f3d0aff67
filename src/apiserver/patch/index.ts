/**
 * Chooses the patch algorithm from the request's Content-Type and turns the body into a function
 * from the current object to the desired one.
 */
import type { KObject } from "../../registry/types";
import type { PatchFunction } from "../../registry/store";
import { parseJson } from "../body";
import { mediaType } from "../negotiate";
import { errors } from "../status";
import { applyJsonPatch, decodeJsonPatch } from "./json-patch";
import { applyMergePatch } from "./merge-patch";
import { applyStrategicMergePatch } from "./strategic-merge-patch";

export const patchContentTypes = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
];

export function patchFunction(contentType: string | null, body: Uint8Array, kind: string): PatchFunction {
  const type = mediaType(contentType);
  if (!patchContentTypes.includes(type)) {
    throw errors.unsupportedMediaType(type, patchContentTypes);
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
