/**
 * The OpenAPI documents of a sandbox, generated from the schema source of truth (src/schema) for
 * built-in kinds and from `strategy.openApiSchema` for kinds that bring their own (custom resources):
 *
 * - `/openapi/v3`: an index of group-versions whose URLs carry `?hash=<etag>`, and one document per
 *   group-version with components.schemas and paths. Every PATCH operation advertises the
 *   `fieldValidation` query parameter, so kubectl leaves validation to the server.
 * - `/openapi/v2`: one Swagger 2.0 document with every definition and path, as JSON or as gnostic
 *   protobuf (kubectl 1.27/1.28 fetch it before apply/create/explain and read only protobuf).
 *
 * {@link OpenApiDocuments} builds each document on first use and keeps it; the server keeps one
 * instance per registry generation.
 */
import { createHash } from "node:crypto";
import type { KindStrategy } from "../registry/types";
import { encodeSwaggerDocument } from "../schema/gnostic";
import { kindMessageName } from "../schema/model";
import { builtinDefinitions, definitionName, objectMetaDefinition, refPrefix, type Dialect, type JsonSchema } from "../schema/openapi";
import { groupVersions } from "./discovery";

/** The media type of the protobuf v2 document in responses (Go's mime parser rejects the `@` form). */
export const openApiV2ContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/** Whether an Accept header asks for the protobuf v2 document (kubectl sends the `@v1.0` form). */
export function wantsOpenApiV2Protobuf(accept: string | null): boolean {
  return /application\/com\.github\.proto-openapi\.spec\.v2[@.]v1\.0\+protobuf/.test(accept ?? "");
}

export interface ServedDocument {
  readonly body: string | Uint8Array;
  /** Unquoted entity tag: the uppercase hex SHA-512 of the body, as kube-openapi computes it. */
  readonly etag: string;
}

type Kind = Pick<KindStrategy, "group" | "version" | "kind" | "resource" | "namespaced" | "openApiSchema">;

const PATCH_DEFINITION = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
const LIST_META_DEFINITION = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";

function etagOf(body: string | Uint8Array): string {
  return createHash("sha512").update(body).digest("hex").toUpperCase();
}

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** The definition name of a custom kind, as apiextensions-apiserver names it: reversed group, version, kind. */
export function customDefinitionName(k: Pick<Kind, "group" | "version" | "kind">): string {
  return `${k.group.split(".").reverse().join(".")}.${k.version}.${k.kind}`;
}

/** The definition names of a kind and its list, or undefined when nothing describes the kind. */
function kindDefinitionNames(k: Kind): { kind: string; list?: string; message?: string; listMessage?: string } {
  if (k.openApiSchema) return { kind: customDefinitionName(k), list: `${customDefinitionName(k)}List` };
  const message = kindMessageName(k.kind, k.group, k.version);
  if (message) {
    const listMessage = kindMessageName(`${k.kind}List`, k.group, k.version);
    return { kind: definitionName(message), message, ...(listMessage ? { list: definitionName(listMessage), listMessage } : {}) };
  }
  return { kind: customDefinitionName({ ...k, group: k.group || "core" }) };
}

const gvkOf = (k: Pick<Kind, "group" | "version">, kind: string) => ({ group: k.group, kind, version: k.version });

/** The schema of a custom kind: its own schema with apiVersion, kind, metadata and the GVK extension. */
function customKindSchema(k: Kind, dialect: Dialect): JsonSchema {
  const own = dialect === "v2" ? toV2Schema(k.openApiSchema!) : structuredClone(k.openApiSchema!);
  const properties = { ...((own.properties as Record<string, JsonSchema> | undefined) ?? {}) };
  properties.apiVersion ??= { type: "string", description: "The versioned schema of this representation of an object." };
  properties.kind ??= { type: "string", description: "The REST resource this object represents." };
  properties.metadata = { $ref: `${refPrefix(dialect)}${objectMetaDefinition}` };
  return { ...own, type: "object", properties, "x-kubernetes-group-version-kind": [gvkOf(k, k.kind)] };
}

/** A kind that neither the tables nor a schema describe: an object of any content. */
function opaqueKindSchema(k: Kind, dialect: Dialect): JsonSchema {
  return {
    type: "object",
    properties: {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { $ref: `${refPrefix(dialect)}${objectMetaDefinition}` },
    },
    ...(dialect === "v3" ? { "x-kubernetes-preserve-unknown-fields": true } : {}),
    "x-kubernetes-group-version-kind": [gvkOf(k, k.kind)],
  };
}

function listSchema(k: Kind, itemDefinition: string, dialect: Dialect): JsonSchema {
  return {
    description: `A list of ${k.kind} objects.`,
    type: "object",
    properties: {
      apiVersion: { type: "string" },
      items: { type: "array", items: { $ref: `${refPrefix(dialect)}${itemDefinition}` } },
      kind: { type: "string" },
      metadata: { $ref: `${refPrefix(dialect)}${LIST_META_DEFINITION}` },
    },
    required: ["items"],
    "x-kubernetes-group-version-kind": [gvkOf(k, `${k.kind}List`)],
  };
}

/** Keywords of OpenAPI v3 schemas that Swagger 2.0 (and gnostic) cannot carry. */
const v3Only = new Set(["oneOf", "anyOf", "not", "nullable", "x-kubernetes-validations"]);

/** A custom schema made fit for Swagger 2.0, as upstream publishes CRDs in v2 (v3-only keywords dropped). */
function toV2Schema(s: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(s)) {
    if (v3Only.has(k)) continue;
    if (k === "properties" && v && typeof v === "object") out[k] = Object.fromEntries(Object.entries(v).map(([n, p]) => [n, toV2Schema(p as JsonSchema)]));
    else if ((k === "items" || k === "additionalProperties") && v && typeof v === "object" && !Array.isArray(v)) out[k] = toV2Schema(v as JsonSchema);
    else if (k === "allOf" && Array.isArray(v)) out[k] = v.map((x) => toV2Schema(x as JsonSchema));
    else out[k] = v;
  }
  return out;
}

/** Every definition the kinds need, in one dialect. */
function definitionsFor(kinds: readonly Kind[], dialect: Dialect): Record<string, JsonSchema> {
  const messages = new Set<string>(["meta.ObjectMeta", "meta.ListMeta", "meta.Status"]);
  const own: Record<string, JsonSchema> = {
    [PATCH_DEFINITION]: { description: "The body of a PATCH request, in the format its Content-Type names.", type: "object" },
  };
  for (const k of kinds) {
    const names = kindDefinitionNames(k);
    if (names.message) {
      messages.add(names.message);
      if (names.listMessage) messages.add(names.listMessage);
    } else {
      own[names.kind] = k.openApiSchema ? customKindSchema(k, dialect) : opaqueKindSchema(k, dialect);
      if (names.list) own[names.list] = listSchema(k, names.kind, dialect);
    }
  }
  const all = { ...builtinDefinitions(messages, dialect), ...own };
  return Object.fromEntries(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** `rbac.authorization.k8s.io`, `v1` → `RbacAuthorizationV1`, as upstream's operation ids spell group-versions. */
function operationGroupVersion(group: string, version: string): string {
  const words = (group || "core").replace(/\.k8s\.io$/, "").split(/[.-]/);
  return [...words, version].map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("");
}

const queryParameter = (name: string, description: string) => ({ name, in: "query", description, type: "string", uniqueItems: true });

const dryRun = queryParameter("dryRun", "When present, modifications are not persisted. The only valid value is All.");
const fieldManager = queryParameter("fieldManager", "The name of the actor making these changes, recorded in managedFields.");
const fieldValidation = queryParameter(
  "fieldValidation",
  "How the server treats unknown and duplicate fields in the request: Ignore drops them, Warn drops them with a warning, Strict (the default of kubectl) rejects the request.",
);
const force = queryParameter("force", "For apply requests: take ownership of fields other managers own.");
const pretty = queryParameter("pretty", "If 'true', the output is pretty-printed.");

const patchTypes = ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"];

interface OperationSpec {
  verb: "get" | "put" | "post" | "patch" | "delete";
  action: string;
  operationId: string;
  gvkKind: string;
  parameters: Array<Record<string, unknown>>;
  /** The request body's definition; absent for no body. */
  body?: string;
  bodyTypes?: string[];
  response: string;
  created?: boolean;
}

function operationsOf(k: Kind): Array<{ path: string; ops: OperationSpec[]; pathParameters: string[] }> {
  const names = kindDefinitionNames(k);
  const gvName = operationGroupVersion(k.group, k.version);
  const scope = k.namespaced ? "Namespaced" : "";
  const base = `/${gvPath(k.group, k.version)}${k.namespaced ? "/namespaces/{namespace}" : ""}/${k.resource}`;
  const custom = !names.message;
  const id = (verb: string, suffix = "") => `${verb}${gvName}${scope}${k.kind}${suffix}`;
  const writes = [dryRun, fieldManager, fieldValidation];
  const scopeParams = k.namespaced ? ["namespace"] : [];
  const paths: Array<{ path: string; ops: OperationSpec[]; pathParameters: string[] }> = [
    {
      path: `${base}/{name}`,
      pathParameters: ["name", ...scopeParams],
      ops: [
        { verb: "get", action: "get", operationId: id("read"), gvkKind: k.kind, parameters: [pretty], response: names.kind },
        { verb: "put", action: "put", operationId: id("replace"), gvkKind: k.kind, parameters: writes, body: names.kind, response: names.kind },
        {
          verb: "patch",
          action: "patch",
          operationId: id("patch"),
          gvkKind: k.kind,
          parameters: [...writes, force],
          body: PATCH_DEFINITION,
          // Custom resources do not accept strategic merge patch (upstream answers 415).
          bodyTypes: custom ? patchTypes.filter((t) => !t.includes("strategic")) : patchTypes,
          response: names.kind,
        },
        { verb: "delete", action: "delete", operationId: id("delete"), gvkKind: k.kind, parameters: [dryRun], response: "io.k8s.apimachinery.pkg.apis.meta.v1.Status" },
      ],
    },
  ];
  if (names.list) {
    paths.push({
      path: base,
      pathParameters: scopeParams,
      ops: [
        { verb: "get", action: "list", operationId: id("list"), gvkKind: k.kind, parameters: [pretty], response: names.list },
        { verb: "post", action: "post", operationId: id("create"), gvkKind: k.kind, parameters: writes, body: names.kind, response: names.kind, created: true },
      ],
    });
  }
  return paths;
}

const pathParameter = (name: string) => ({ name, in: "path", required: true, type: "string", description: `The ${name} of the object.` });

function v3Parameter(p: Record<string, unknown>): Record<string, unknown> {
  const { type, uniqueItems, ...rest } = p;
  return { ...rest, schema: { type, ...(uniqueItems ? { uniqueItems } : {}) } };
}

function v3Paths(kinds: readonly Kind[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of kinds) {
    for (const { path, ops, pathParameters } of operationsOf(k)) {
      const item: Record<string, unknown> = { parameters: pathParameters.map((n) => v3Parameter(pathParameter(n))) };
      for (const op of ops) {
        const ref = (d: string) => ({ $ref: `${refPrefix("v3")}${d}` });
        const content = (types: string[], d: string) => Object.fromEntries(types.map((t) => [t, { schema: ref(d) }]));
        item[op.verb] = {
          operationId: op.operationId,
          parameters: op.parameters.map(v3Parameter),
          ...(op.body ? { requestBody: { content: content(op.bodyTypes ?? ["*/*"], op.body), required: true } } : {}),
          responses: {
            "200": { description: "OK", content: content(["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"], op.response) },
            ...(op.created ? { "201": { description: "Created", content: content(["application/json"], op.response) } } : {}),
            "401": { description: "Unauthorized" },
          },
          "x-kubernetes-action": op.action,
          "x-kubernetes-group-version-kind": gvkOf(k, op.gvkKind),
        };
      }
      out[path] = item;
    }
  }
  return out;
}

function v2Paths(kinds: readonly Kind[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of kinds) {
    for (const { path, ops, pathParameters } of operationsOf(k)) {
      const item: Record<string, unknown> = { parameters: pathParameters.map(pathParameter) };
      for (const op of ops) {
        const ref = (d: string) => ({ $ref: `${refPrefix("v2")}${d}` });
        item[op.verb] = {
          consumes: op.bodyTypes ?? ["*/*"],
          produces: ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"],
          schemes: ["https"],
          operationId: op.operationId,
          parameters: [...(op.body ? [{ name: "body", in: "body", required: true, schema: ref(op.body) }] : []), ...op.parameters],
          responses: {
            "200": { description: "OK", schema: ref(op.response) },
            ...(op.created ? { "201": { description: "Created", schema: ref(op.response) } } : {}),
            "401": { description: "Unauthorized" },
          },
          "x-kubernetes-action": op.action,
          "x-kubernetes-group-version-kind": gvkOf(k, op.gvkKind),
        };
      }
      out[path] = item;
    }
  }
  return out;
}

/** The OpenAPI documents of one set of served kinds; each is built on first use, then kept. */
export class OpenApiDocuments {
  private readonly byGroupVersion: Map<string, readonly Kind[]>;
  private readonly v3Cache = new Map<string, ServedDocument>();
  private v3IndexCache?: ServedDocument;
  private v2JsonCache?: ServedDocument;
  private v2ProtobufCache?: ServedDocument;

  constructor(
    kinds: readonly Kind[],
    private readonly gitVersion: string,
  ) {
    this.byGroupVersion = new Map(groupVersions(kinds as KindStrategy[]).map((gv) => [gvPath(gv.group, gv.version), gv.kinds]));
  }

  /** `/openapi/v3`: every group-version's document URL, with the hash of its current content. */
  v3Index(): ServedDocument {
    if (!this.v3IndexCache) {
      const paths: Record<string, { serverRelativeURL: string }> = {};
      for (const path of this.byGroupVersion.keys()) paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${this.v3Document(path)!.etag}` };
      const body = JSON.stringify({ paths });
      this.v3IndexCache = { body, etag: etagOf(body) };
    }
    return this.v3IndexCache;
  }

  /** The v3 document of a group-version path (`api/v1`, `apis/apps/v1`), or undefined. */
  v3Document(path: string): ServedDocument | undefined {
    const hit = this.v3Cache.get(path);
    if (hit) return hit;
    const kinds = this.byGroupVersion.get(path);
    if (!kinds) return undefined;
    const body = JSON.stringify({
      openapi: "3.0.0",
      info: { title: "Kubernetes", version: this.gitVersion },
      paths: v3Paths(kinds),
      components: { schemas: definitionsFor(kinds, "v3") },
    });
    const doc = { body, etag: etagOf(body) };
    this.v3Cache.set(path, doc);
    return doc;
  }

  /** The v2 document (every group-version) as JSON. */
  v2Json(): ServedDocument {
    if (!this.v2JsonCache) {
      const body = JSON.stringify(this.v2Document());
      this.v2JsonCache = { body, etag: etagOf(body) };
    }
    return this.v2JsonCache;
  }

  /** The v2 document as gnostic protobuf. */
  v2Protobuf(): ServedDocument {
    if (!this.v2ProtobufCache) {
      const body = encodeSwaggerDocument(JSON.parse(this.v2Json().body as string));
      this.v2ProtobufCache = { body, etag: etagOf(body) };
    }
    return this.v2ProtobufCache;
  }

  private v2Document(): Record<string, unknown> {
    const kinds = [...this.byGroupVersion.values()].flat();
    return {
      swagger: "2.0",
      info: { title: "Kubernetes", version: this.gitVersion },
      paths: v2Paths(kinds),
      definitions: definitionsFor(kinds, "v2"),
    };
  }
}
