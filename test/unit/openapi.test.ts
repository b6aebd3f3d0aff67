/**
 * The OpenAPI documents, generated from the schema source of truth: structurally valid (every
 * `$ref` resolves), carrying what kubectl reads (GVK extensions, patch and list extensions,
 * fieldValidation on PATCH, descriptions for explain), served with kube-openapi's hash and cache
 * semantics, and a v2 protobuf that decodes back to the JSON document.
 */
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OpenApiDocuments } from "../../src/apiserver/openapi";
import { builtinKinds } from "../../src/registry/kinds";
import type { KindStrategy } from "../../src/registry/types";
import { cluster, SERVER } from "./support/cluster";

type Schema = Record<string, any>;

/** A custom kind that brings its own schema, as a CRD colleague's strategies will. */
const cronTab = {
  group: "stable.example.com",
  version: "v1",
  kind: "CronTab",
  resource: "crontabs",
  listKind: "CronTabList",
  singular: "crontab",
  namespaced: true,
  openApiSchema: {
    type: "object",
    description: "A CronTab runs an image on a schedule.",
    properties: {
      spec: {
        type: "object",
        description: "What to run and when.",
        properties: {
          cronSpec: { type: "string", description: "The schedule, in cron syntax." },
          replicas: { type: "integer", minimum: 1, nullable: true },
          port: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] },
        },
      },
    },
  },
} as unknown as KindStrategy;

const docs = new OpenApiDocuments([...builtinKinds, cronTab], "v1.33.1");
const v3 = (path: string): Schema => JSON.parse(docs.v3Document(path)!.body as string);
const v2 = (): Schema => JSON.parse(docs.v2Json().body as string);

/** Every `$ref` in `node`. */
function refsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) refsIn(n, out);
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

/** Follows `$ref` / single `allOf` to the schema a property means. */
function resolve(schemas: Record<string, Schema>, s: Schema, prefix: string): Schema {
  if (s.$ref) return resolve(schemas, schemas[s.$ref.slice(prefix.length)], prefix);
  if (s.allOf?.length === 1) return { ...resolve(schemas, s.allOf[0], prefix), ...s, allOf: undefined };
  return s;
}

/** The property at a dotted path (array items are stepped through). */
function propertyAt(schemas: Record<string, Schema>, root: string, path: string, prefix: string): Schema {
  let s: Schema = schemas[root];
  for (const seg of path.split(".")) {
    s = resolve(schemas, s, prefix);
    if (s.type === "array") s = resolve(schemas, s.items, prefix);
    expect(s.properties, `${root} ${path} at ${seg}`).toBeDefined();
    s = s.properties[seg];
    expect(s, `${root} ${path} at ${seg}`).toBeDefined();
  }
  return s;
}

describe("OpenAPI v3 documents", () => {
  const index = JSON.parse(docs.v3Index().body as string) as { paths: Record<string, { serverRelativeURL: string }> };

  it("index every group-version, with the hash of the document's current content", () => {
    expect(Object.keys(index.paths)).toEqual(expect.arrayContaining(["api/v1", "apis/apps/v1", "apis/batch/v1", "apis/stable.example.com/v1"]));
    for (const [gv, { serverRelativeURL }] of Object.entries(index.paths)) {
      expect(serverRelativeURL).toBe(`/openapi/v3/${gv}?hash=${docs.v3Document(gv)!.etag}`);
      expect(docs.v3Document(gv)!.etag).toMatch(/^[0-9A-F]{128}$/);
    }
  });

  it("resolve every $ref inside their own document", () => {
    for (const gv of Object.keys(index.paths)) {
      const doc = v3(gv);
      for (const ref of refsIn(doc)) {
        expect(ref.startsWith("#/components/schemas/"), ref).toBe(true);
        expect(doc.components.schemas[ref.slice("#/components/schemas/".length)], `${gv}: ${ref}`).toBeDefined();
      }
    }
  });

  it("give Deployment containers their merge key and list-map keys, as kubectl's strategic merge reads them", () => {
    const schemas = v3("apis/apps/v1").components.schemas;
    const p = "#/components/schemas/";
    const containers = propertyAt(schemas, "io.k8s.api.apps.v1.Deployment", "spec.template.spec.containers", p);
    expect(containers).toMatchObject({
      type: "array",
      "x-kubernetes-patch-merge-key": "name",
      "x-kubernetes-patch-strategy": "merge",
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["name"],
    });
    expect(propertyAt(schemas, "io.k8s.api.apps.v1.Deployment", "spec.template.spec.containers.ports", p)).toMatchObject({
      "x-kubernetes-patch-merge-key": "containerPort",
      "x-kubernetes-list-map-keys": ["containerPort", "protocol"],
    });
    expect(propertyAt(schemas, "io.k8s.api.apps.v1.Deployment", "spec.strategy", p)["x-kubernetes-patch-strategy"]).toBe("retainKeys");
    expect(propertyAt(schemas, "io.k8s.api.apps.v1.Deployment", "metadata.finalizers", p)).toMatchObject({ "x-kubernetes-list-type": "set" });
    expect(propertyAt(schemas, "io.k8s.api.apps.v1.Deployment", "status.conditions", p)).toMatchObject({ "x-kubernetes-list-map-keys": ["type"] });
  });

  it("mark kinds with x-kubernetes-group-version-kind, and describe them and their fields", () => {
    const schemas = v3("apis/apps/v1").components.schemas;
    const deployment = schemas["io.k8s.api.apps.v1.Deployment"];
    expect(deployment["x-kubernetes-group-version-kind"]).toEqual([{ group: "apps", kind: "Deployment", version: "v1" }]);
    expect(deployment.description).toMatch(/Deployment/);
    expect(Object.keys(deployment.properties)).toEqual(["apiVersion", "kind", "metadata", "spec", "status"]);
    expect(schemas["io.k8s.api.apps.v1.DeploymentSpec"].required).toEqual(["selector", "template"]);
    const strategyType = propertyAt(schemas, "io.k8s.api.apps.v1.Deployment", "spec.strategy.type", "#/components/schemas/");
    expect(strategyType).toMatchObject({ type: "string", enum: ["Recreate", "RollingUpdate"] });
    expect(strategyType.description).toContain('Possible enum values:\n - `"Recreate"`');
  });

  it("publish int-or-string, quantity and time as upstream does in v3", () => {
    const schemas = v3("apis/apps/v1").components.schemas;
    expect(schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]).toMatchObject({ format: "int-or-string", oneOf: [{ type: "integer" }, { type: "string" }] });
    expect(schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"]).toMatchObject({ oneOf: [{ type: "string" }, { type: "number" }] });
    expect(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]).toMatchObject({ type: "string", format: "date-time" });
    const maxSurge = schemas["io.k8s.api.apps.v1.RollingUpdateDeployment"].properties.maxSurge;
    expect(maxSurge.allOf).toEqual([{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString" }]);
  });

  it("advertise fieldValidation on every PATCH, and strategic merge patch for built-in kinds only", () => {
    const deployments = v3("apis/apps/v1").paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"].patch;
    expect(deployments["x-kubernetes-group-version-kind"]).toEqual({ group: "apps", kind: "Deployment", version: "v1" });
    expect(deployments.parameters.map((p: Schema) => p.name)).toEqual(["dryRun", "fieldManager", "fieldValidation", "force"]);
    expect(Object.keys(deployments.requestBody.content)).toContain("application/strategic-merge-patch+json");
    const crontabs = v3("apis/stable.example.com/v1").paths["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"].patch;
    expect(crontabs.parameters.map((p: Schema) => p.name)).toContain("fieldValidation");
    expect(Object.keys(crontabs.requestBody.content)).not.toContain("application/strategic-merge-patch+json");
  });

  it("carry a custom kind's own schema with metadata, apiVersion, kind and its GVK", () => {
    const schemas = v3("apis/stable.example.com/v1").components.schemas;
    const crontab = schemas["com.example.stable.v1.CronTab"];
    expect(crontab["x-kubernetes-group-version-kind"]).toEqual([{ group: "stable.example.com", kind: "CronTab", version: "v1" }]);
    expect(crontab.properties.metadata).toEqual({ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" });
    expect(crontab.properties.spec.properties.cronSpec.description).toBe("The schedule, in cron syntax.");
    expect(schemas["com.example.stable.v1.CronTabList"]["x-kubernetes-group-version-kind"]).toEqual([{ group: "stable.example.com", kind: "CronTabList", version: "v1" }]);
    expect(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]).toBeDefined();
  });

  it("are built once and kept: asking again returns the same document", () => {
    expect(docs.v3Document("apis/apps/v1")).toBe(docs.v3Document("apis/apps/v1"));
    expect(docs.v2Protobuf()).toBe(docs.v2Protobuf());
  });
});

describe("OpenAPI v2 document", () => {
  const doc = v2();

  it("resolves every $ref among its definitions and has every kind's paths", () => {
    for (const ref of refsIn(doc)) {
      expect(ref.startsWith("#/definitions/"), ref).toBe(true);
      expect(doc.definitions[ref.slice("#/definitions/".length)], ref).toBeDefined();
    }
    expect(doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"].patch.parameters.map((p: Schema) => p.name)).toContain("fieldValidation");
    expect(doc.definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]).toMatchObject({ type: "string", format: "int-or-string" });
    const maxSurge = doc.definitions["io.k8s.api.apps.v1.RollingUpdateDeployment"].properties.maxSurge;
    expect(maxSurge.$ref).toBe("#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString");
  });

  it("drops the v3-only keywords of custom schemas", () => {
    const spec = doc.definitions["com.example.stable.v1.CronTab"].properties.spec.properties;
    expect(spec.replicas).toEqual({ type: "integer", minimum: 1 });
    expect(spec.port).toEqual({ "x-kubernetes-int-or-string": true });
  });

  it("encodes as gnostic protobuf that decodes back to the same document", () => {
    const decoded = decodeDocument(docs.v2Protobuf().body as Uint8Array);
    expect(decoded.swagger).toBe("2.0");
    expect(decoded.info).toEqual({ title: "Kubernetes", version: "v1.33.1" });
    expect(decoded.definitions).toEqual(doc.definitions);
    expect(decoded.paths).toEqual(doc.paths);
  });
});

describe("OpenAPI over HTTP", () => {
  let c: Awaited<ReturnType<typeof cluster>>;
  beforeEach(async () => {
    c = await cluster();
  });
  afterEach(async () => {
    await c.closeWatches();
  });

  /** GET through the sandbox's handler; `prefix` is the path the sandbox is mounted under. */
  const getVia = (path: string, headers: Record<string, string> = {}, prefix = "") =>
    c.sandbox.api.handle(c.request("GET", `${prefix}${path}`, undefined, { headers }), new URL(`${SERVER}${path}`).pathname);

  it("serves /openapi/v2 as protobuf to kubectl's Accept and as JSON otherwise", async () => {
    const pb = await getVia("/openapi/v2?timeout=32s", { accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf" });
    expect(pb.headers.get("content-type")).toBe("application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
    expect(decodeDocument(new Uint8Array(await pb.arrayBuffer())).definitions["io.k8s.api.core.v1.Pod"]).toBeDefined();
    const json = await getVia("/openapi/v2", { accept: "application/json" });
    expect(json.headers.get("content-type")).toBe("application/json");
    expect(((await json.json()) as Schema).definitions["io.k8s.api.core.v1.PodSpec"].properties.containers["x-kubernetes-patch-merge-key"]).toBe("name");
  });

  it("answers the current hash with immutable caching, a stale one with a 301 that keeps the sandbox prefix", async () => {
    const index = (await c.get("/openapi/v3")).body as { paths: Record<string, { serverRelativeURL: string }> };
    const url = index.paths["apis/apps/v1"].serverRelativeURL;
    const current = await getVia(url);
    expect(current.status).toBe(200);
    expect(current.headers.get("cache-control")).toBe("public, immutable");
    expect(current.headers.get("expires")).toBeTruthy();
    const etag = current.headers.get("etag")!;
    expect(etag).toBe(`"${url.split("hash=")[1]}"`);

    const stale = await getVia("/openapi/v3/apis/apps/v1?hash=0BAD", {}, "/k8s/sbx-1");
    expect(stale.status).toBe(301);
    expect(stale.headers.get("location")).toBe(`/k8s/sbx-1${url}`);

    const revalidated = await getVia(url, { "if-none-match": etag });
    expect(revalidated.status).toBe(304);

    const noHash = await getVia("/openapi/v3/apis/apps/v1");
    expect(noHash.status).toBe(200);
    expect(noHash.headers.get("cache-control")).toBeNull();
  });

  it("rebuilds the documents when the served kinds change, and only then", async () => {
    const before = (await c.get("/openapi/v3")).body as { paths: Record<string, unknown> };
    expect(before.paths["apis/stable.example.com/v1"]).toBeUndefined();
    const again = (await c.get("/openapi/v3")).body;
    expect(again).toEqual(before);
    c.sandbox.registry.define(cronTab);
    const after = (await c.get("/openapi/v3")).body as { paths: Record<string, { serverRelativeURL: string }> };
    const doc = (await c.get(after.paths["apis/stable.example.com/v1"].serverRelativeURL)).body as Schema;
    expect(doc.components.schemas["com.example.stable.v1.CronTab"].description).toBe("A CronTab runs an image on a schedule.");
    const v2doc = (await (await getVia("/openapi/v2", { accept: "application/json" })).json()) as Schema;
    expect(v2doc.definitions["com.example.stable.v1.CronTab"]).toBeDefined();
  });
});

// --- a gnostic openapi_v2.Document decoder for the fields the encoder writes (OpenAPIv2.proto numbers) ---

type Fields = Map<number, Array<Uint8Array | number | bigint>>;

function fieldsOf(bytes: Uint8Array): Fields {
  const r = new BinaryReader(bytes);
  const out: Fields = new Map();
  while (r.pos < r.len) {
    const [no, wire] = r.tag();
    const v = wire === 2 ? r.bytes() : wire === 0 ? r.uint64() : wire === 1 ? r.double() : r.skip(wire);
    if (!out.has(no)) out.set(no, []);
    out.get(no)!.push(v as Uint8Array | number | bigint);
  }
  return out;
}

const text = (b: unknown) => new TextDecoder().decode(b as Uint8Array);
const one = (f: Fields, n: number) => f.get(n)?.[0];
const many = (f: Fields, n: number) => f.get(n) ?? [];
const yamlOf = (b: unknown) => JSON.parse(text(one(fieldsOf(b as Uint8Array), 2)));

function putExtensions(out: Schema, f: Fields, n: number) {
  for (const e of many(f, n)) {
    const named = fieldsOf(e as Uint8Array);
    out[text(one(named, 1))] = yamlOf(one(named, 2));
  }
}

function decodeSchema(bytes: Uint8Array): Schema {
  const f = fieldsOf(bytes);
  const s: Schema = {};
  const strs: Array<[number, string]> = [[1, "$ref"], [2, "format"], [3, "title"], [4, "description"], [13, "pattern"]];
  for (const [n, k] of strs) if (f.has(n)) s[k] = text(one(f, n));
  if (f.has(5)) s.default = yamlOf(one(f, 5));
  if (f.has(7)) s.maximum = one(f, 7);
  if (f.has(9)) s.minimum = one(f, 9);
  if (f.has(16)) s.uniqueItems = true;
  if (f.has(19)) s.required = many(f, 19).map(text);
  if (f.has(20)) s.enum = many(f, 20).map(yamlOf);
  if (f.has(21)) {
    const ap = fieldsOf(one(f, 21) as Uint8Array);
    s.additionalProperties = ap.has(1) ? decodeSchema(one(ap, 1) as Uint8Array) : Boolean(one(ap, 2));
  }
  if (f.has(22)) s.type = text(one(fieldsOf(one(f, 22) as Uint8Array), 1));
  if (f.has(23)) s.items = decodeSchema(one(fieldsOf(one(f, 23) as Uint8Array), 1) as Uint8Array);
  if (f.has(24)) s.allOf = many(f, 24).map((b) => decodeSchema(b as Uint8Array));
  if (f.has(25)) s.properties = namedSchemas(one(f, 25) as Uint8Array);
  putExtensions(s, f, 31);
  return sortKeys(s);
}

function namedSchemas(bytes: Uint8Array): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  for (const e of many(fieldsOf(bytes), 1)) {
    const named = fieldsOf(e as Uint8Array);
    out[text(one(named, 1))] = decodeSchema(one(named, 2) as Uint8Array);
  }
  return out;
}

function decodeParameter(bytes: Uint8Array): Schema {
  const param = fieldsOf(one(fieldsOf(bytes), 1) as Uint8Array);
  if (param.has(1)) {
    const b = fieldsOf(one(param, 1) as Uint8Array);
    return { name: text(one(b, 2)), in: text(one(b, 3)), required: true, schema: decodeSchema(one(b, 5) as Uint8Array) };
  }
  const nonBody = fieldsOf(one(param, 2) as Uint8Array);
  if (nonBody.has(4)) {
    const p = fieldsOf(one(nonBody, 4) as Uint8Array);
    return { name: text(one(p, 4)), in: text(one(p, 2)), required: true, type: text(one(p, 5)), description: text(one(p, 3)) };
  }
  const q = fieldsOf(one(nonBody, 3) as Uint8Array);
  return { name: text(one(q, 4)), in: text(one(q, 2)), description: text(one(q, 3)), type: text(one(q, 6)), uniqueItems: q.has(20) };
}

function decodeOperation(bytes: Uint8Array): Schema {
  const f = fieldsOf(bytes);
  const op: Schema = {
    consumes: many(f, 7).map(text),
    produces: many(f, 6).map(text),
    schemes: many(f, 10).map(text),
    operationId: text(one(f, 5)),
    parameters: many(f, 8).map((b) => decodeParameter(b as Uint8Array)),
    responses: {},
  };
  for (const r of many(fieldsOf(one(f, 9) as Uint8Array), 1)) {
    const named = fieldsOf(r as Uint8Array);
    const response = fieldsOf(one(fieldsOf(one(named, 2) as Uint8Array), 1) as Uint8Array);
    op.responses[text(one(named, 1))] = {
      description: text(one(response, 1)),
      ...(response.has(2) ? { schema: decodeSchema(one(fieldsOf(one(response, 2) as Uint8Array), 1) as Uint8Array) } : {}),
    };
  }
  putExtensions(op, f, 13);
  return op;
}

function decodeDocument(bytes: Uint8Array): Schema {
  const f = fieldsOf(bytes);
  const info = fieldsOf(one(f, 2) as Uint8Array);
  const paths: Schema = {};
  for (const p of many(fieldsOf(one(f, 8) as Uint8Array), 2)) {
    const named = fieldsOf(p as Uint8Array);
    const item = fieldsOf(one(named, 2) as Uint8Array);
    const out: Schema = { parameters: many(item, 9).map((b) => decodeParameter(b as Uint8Array)) };
    for (const [verb, n] of [["get", 2], ["put", 3], ["post", 4], ["delete", 5], ["patch", 8]] as const) {
      if (item.has(n)) out[verb] = decodeOperation(one(item, n) as Uint8Array);
    }
    paths[text(one(named, 1))] = out;
  }
  return {
    swagger: text(one(f, 1)),
    info: { title: text(one(info, 1)), version: text(one(info, 2)) },
    paths,
    definitions: f.has(9) ? namedSchemas(one(f, 9) as Uint8Array) : {},
  };
}

function sortKeys(s: Schema): Schema {
  return Object.fromEntries(Object.entries(s).sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe("enums", () => {
  it("constrain the items of a list, not the list", () => {
    const schemas = v3("api/v1").components.schemas;
    const accessModes = schemas["io.k8s.api.core.v1.PersistentVolumeClaimSpec"].properties.accessModes;
    expect(accessModes.enum).toBeUndefined();
    expect(accessModes.items.enum).toEqual(expect.arrayContaining(["ReadWriteOnce", "ReadOnlyMany"]));
  });
});
