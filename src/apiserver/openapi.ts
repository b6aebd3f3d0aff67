/**
 * OpenAPI documents, enough for kubectl: v2 as gnostic protobuf (kubectl 1.27/1.28 fetch it before
 * every apply/create and cannot read JSON), v3 as an index plus one document per group-version
 * whose PATCH operations advertise `fieldValidation`, so kubectl leaves validation to the server.
 * Full per-field schemas come from the schema source of truth (a later step).
 */
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import type { KindStrategy } from "../registry/types";
import { groupVersions } from "./discovery";

export const openApiV2ContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/** gnostic openapi_v2.Document{swagger: "2.0", info: {title, version}, paths: {}}. */
export function openApiV2Protobuf(gitVersion: string): Uint8Array {
  const info = new BinaryWriter().uint32((1 << 3) | 2).string("Kubernetes").uint32((2 << 3) | 2).string(gitVersion).finish();
  return new BinaryWriter()
    .uint32((1 << 3) | 2)
    .string("2.0")
    .uint32((2 << 3) | 2)
    .bytes(info)
    .uint32((8 << 3) | 2)
    .bytes(new Uint8Array())
    .finish();
}

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** The upstream schema name, e.g. io.k8s.api.apps.v1.Deployment. */
export function schemaName(k: Pick<KindStrategy, "group" | "version" | "kind">): string {
  const short = k.group === "" ? "core" : k.group.split(".")[0];
  return `io.k8s.api.${short}.${k.version}.${k.kind}`;
}

function hashOf(text: string): string {
  // FNV-1a 64-bit, hex: stable across isolates, only used to tag document versions.
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).toUpperCase().padStart(16, "0");
}

const queryParameter = (name: string, description: string) => ({ name, in: "query", description, schema: { type: "string", uniqueItems: true } });

const writeParameters = [
  queryParameter("dryRun", "When present, indicates that modifications should not be persisted."),
  queryParameter("fieldManager", "A name associated with the actor or entity that is making these changes."),
  queryParameter("fieldValidation", "How the server treats unknown or duplicate fields: Ignore, Warn or Strict."),
];

function operationsFor(k: KindStrategy) {
  const gvk = { group: k.group, version: k.version, kind: k.kind };
  const ref = { $ref: `#/components/schemas/${schemaName(k)}` };
  const body = { content: { "*/*": { schema: ref } }, required: true };
  const response = { "200": { description: "OK", content: { "application/json": { schema: ref } } } };
  const op = (action: string, extra: Record<string, unknown> = {}) => ({
    operationId: `${action}${k.kind}`,
    "x-kubernetes-action": action,
    "x-kubernetes-group-version-kind": gvk,
    responses: response,
    ...extra,
  });
  return {
    get: op("get"),
    put: op("put", { parameters: writeParameters, requestBody: body }),
    patch: op("patch", {
      parameters: [...writeParameters, queryParameter("force", "Force is going to \"force\" Apply requests.")],
      // Strategic merge patch is served, but not advertised here: kubectl computes its patches
      // from OpenAPI v3 only when listed, and these schemas carry no per-field patch metadata yet,
      // so kubectl uses the merge metadata compiled into it instead.
      requestBody: {
        content: {
          "application/json-patch+json": { schema: { type: "object" } },
          "application/merge-patch+json": { schema: { type: "object" } },
          "application/apply-patch+yaml": { schema: { type: "object" } },
        },
        required: true,
      },
    }),
    delete: op("delete", { parameters: [writeParameters[0]] }),
  };
}

function schemaFor(k: KindStrategy) {
  return {
    description: `${k.kind} (${k.group || "core"}/${k.version}).`,
    type: "object",
    properties: {
      apiVersion: { type: "string", description: "The versioned schema of this representation of an object." },
      kind: { type: "string", description: "The REST resource this object represents." },
      metadata: { type: "object", description: "Standard object metadata.", "x-kubernetes-preserve-unknown-fields": true },
      spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
      status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    },
    "x-kubernetes-group-version-kind": [{ group: k.group, version: k.version, kind: k.kind }],
  };
}

export interface OpenApiV3 {
  /** `/openapi/v3` */
  index: unknown;
  /** `api/v1`, `apis/apps/v1` → document JSON text. */
  documents: Map<string, string>;
}

export function buildOpenApiV3(kinds: readonly KindStrategy[], gitVersion: string): OpenApiV3 {
  const documents = new Map<string, string>();
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of groupVersions(kinds)) {
    const docPaths: Record<string, unknown> = {};
    const schemas: Record<string, unknown> = {};
    for (const k of gv.kinds) {
      const base = `/${gvPath(k.group, k.version)}${k.namespaced ? "/namespaces/{namespace}" : ""}/${k.resource}/{name}`;
      docPaths[base] = operationsFor(k);
      schemas[schemaName(k)] = schemaFor(k);
    }
    const doc = JSON.stringify({
      openapi: "3.0.0",
      info: { title: "Kubernetes", version: gitVersion },
      paths: docPaths,
      components: { schemas },
    });
    const path = gvPath(gv.group, gv.version);
    documents.set(path, doc);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hashOf(doc)}` };
  }
  return { index: { paths }, documents };
}
