/**
 * core/v1 ConfigMap: upstream's ValidateConfigMap / ValidateConfigMapUpdate (key syntax, keys
 * shared by data and binaryData, the 1 MiB total, immutable ConfigMaps) and `kubectl get cm`.
 * `binaryData` values are base64 and, like Secret data, fail JSON decoding (400) when they are not.
 */
import { field, type FieldError } from "../../apiserver/status";
import { utf8Length } from "../../apiserver/names";
import type { KindStrategy, KObject } from "../types";
import { ageCell } from "./service";
import { configMapKeyErrors, decodeBytesMap, decodeStringMap, maxSecretSize, sameBytesMaps } from "./secret";

function decodeConfigMap(cm: KObject): void {
  const data = decodeStringMap(cm, "data");
  if (data) cm.data = data;
  decodeBytesMap(cm, "binaryData");
}

function binaryOf(cm: KObject): Map<string, Uint8Array> {
  try {
    return decodeBytesMap(cm, "binaryData");
  } catch {
    return new Map();
  }
}

export function validateConfigMap(cm: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const data: Record<string, unknown> = cm.data && typeof cm.data === "object" ? cm.data : {};
  const binary = binaryOf(cm);
  let total = 0;
  for (const [key, value] of Object.entries(data)) {
    errs.push(...configMapKeyErrors(key).map((m) => field.invalid(`data[${key}]`, key, m)));
    if (binary.has(key)) errs.push(field.invalid(`data[${key}]`, key, "duplicate of key present in binaryData"));
    total += utf8Length(typeof value === "string" ? value : "");
  }
  for (const [key, bytes] of binary) {
    errs.push(...configMapKeyErrors(key).map((m) => field.invalid(`binaryData[${key}]`, key, m)));
    total += bytes.length;
  }
  // Upstream reports the size on the empty path, rendered `[]`.
  if (total > maxSecretSize) errs.push(field.tooLong("[]", maxSecretSize));
  return errs;
}

function sameStrings(a: unknown, b: unknown): boolean {
  const x = (a ?? {}) as Record<string, string>;
  const y = (b ?? {}) as Record<string, string>;
  const kx = Object.keys(x);
  return kx.length === Object.keys(y).length && kx.every((k) => k in y && x[k] === y[k]);
}

export function validateConfigMapUpdate(cm: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  if (old.immutable === true) {
    const msg = "field is immutable when `immutable` is set";
    if (cm.immutable !== true) errs.push(field.forbidden("immutable", msg));
    if (!sameStrings(cm.data, old.data)) errs.push(field.forbidden("data", msg));
    if (!sameBytesMaps(binaryOf(cm), binaryOf(old))) errs.push(field.forbidden("binaryData", msg));
  }
  return errs;
}

export const configMapStrategy: KindStrategy = {
  group: "",
  version: "v1",
  kind: "ConfigMap",
  resource: "configmaps",
  singular: "configmap",
  namespaced: true,
  shortNames: ["cm"],

  prepareForCreate: (cm) => decodeConfigMap(cm),
  prepareForUpdate: (cm) => decodeConfigMap(cm),
  validate: validateConfigMap,
  validateUpdate: validateConfigMapUpdate,

  table: {
    columns: [
      { name: "Data", type: "string", description: "The number of keys in data and binaryData.", priority: 0 },
      { name: "Age", type: "string", description: "Time since the object was created.", priority: 0 },
    ],
    cells: (cm, now) => [
      Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length,
      ageCell(cm.metadata.creationTimestamp, now),
    ],
  },
};
