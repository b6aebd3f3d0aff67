/**
 * The body of an `application/apply-patch+yaml` request: YAML (JSON is YAML) holding one object,
 * decoded as kube-apiserver does (sigs.k8s.io/yaml: YAML 1.1 scalars, a repeated key keeps the
 * last value; field validation reports duplicates separately).
 */
import { parse } from "yaml";
import type { KObject } from "../../registry/types";
import { errors } from "../status";
import { isPlainObject } from "./fieldpath";

export function decodeApplyPatch(body: Uint8Array | string): KObject {
  const text = typeof body === "string" ? body : new TextDecoder().decode(body);
  let value: unknown;
  try {
    value = parse(text, { version: "1.1", uniqueKeys: false });
  } catch (e) {
    throw errors.badRequest(`error decoding YAML: ${(e as Error).message}`);
  }
  if (!isPlainObject(value)) throw errors.badRequest("error decoding YAML: the apply patch must be a YAML object");
  return value as KObject;
}
