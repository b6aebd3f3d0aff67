/**
 * Server-side field validation (`?fieldValidation=`) and pruning of unknown fields, checked the
 * way kubectl sees them: the status and message of a refused write, the `Warning` headers of an
 * accepted one (kubectl prints `Warning: unknown field "spec.foo"`), and what is stored.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  builtinSchema,
  checkObjectBody,
  walkUnknownFields,
  yamlDuplicateError,
  type ValidationTarget,
} from "../../src/apiserver/field-validation";
import { findDuplicateKeys } from "../../src/apiserver/json-duplicates";
import { cluster, configMap, contentType, deployment, paths, pod, runLoop, type Cluster } from "./support/cluster";

let c: Cluster;
beforeEach(async () => {
  c = await cluster();
});
afterEach(async () => {
  await c?.closeWatches();
});

/** The warnings of a response as kubectl parses them from `Warning: 299 - "…"` headers. */
function warnings(headers: Headers): string[] {
  const raw = headers.get("warning");
  if (!raw) return [];
  return [...raw.matchAll(/299 - ("(?:[^"\\]|\\.)*")/g)].map((m) => JSON.parse(m[1]) as string);
}

function podWithExtras() {
  const p = pod("web") as any;
  p.spec.foo = 1;
  p.spec.containers[0].bar = "x";
  return p;
}

describe("fieldValidation parameter", () => {
  it("rejects a value other than Ignore, Warn or Strict with upstream's 422 on the options kind", async () => {
    const res = await c.post(`${paths.configmaps()}?fieldValidation=strict`, configMap("cfg"));
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe("Invalid");
    expect(res.body.message).toBe(
      'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"',
    );
    const patch = await c.patch(`${paths.cm("cfg")}?fieldValidation=Loud`, { data: {} });
    expect(patch.status).toBe(422);
    expect(patch.body.message).toMatch(/^PatchOptions\.meta\.k8s\.io "" is invalid: fieldValidation: Unsupported value: "Loud"/);
  });
});

describe("create and update", () => {
  it("Warn (the default) accepts the object, warns once per unknown field and stores none of them", async () => {
    const res = await c.post(paths.pods(), podWithExtras());
    expect(res.status).toBe(201);
    expect(warnings(res.headers)).toEqual(['unknown field "spec.containers[0].bar"', 'unknown field "spec.foo"']);
    expect(res.headers.get("warning")).toContain('299 - "unknown field \\"spec.foo\\""');
    const stored = (await c.get(paths.pod("web"))).body;
    expect(stored.spec.foo).toBeUndefined();
    expect(stored.spec.containers[0].bar).toBeUndefined();
    expect(stored.spec.containers[0].image).toBe("nginx:1.27");
  });

  it("Strict refuses with 400 and upstream's strict decoding message, and stores nothing", async () => {
    const res = await c.post(`${paths.pods()}?fieldValidation=Strict`, podWithExtras());
    expect(res.status).toBe(400);
    expect(res.body.reason).toBe("BadRequest");
    expect(res.body.message).toBe(
      'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].bar", unknown field "spec.foo"',
    );
    expect((await c.get(paths.pod("web"))).status).toBe(404);
  });

  it("Ignore accepts silently but still drops the unknown fields", async () => {
    const res = await c.post(`${paths.pods()}?fieldValidation=Ignore`, podWithExtras());
    expect(res.status).toBe(201);
    expect(res.headers.get("warning")).toBeNull();
    expect(res.body.spec.foo).toBeUndefined();
  });

  it("names the body's group version in the Strict message and checks updates the same way", async () => {
    const d = deployment("web") as any;
    expect((await c.post(paths.deployments(), d)).status).toBe(201);
    const current = (await c.get(paths.deploy("web"))).body;
    current.spec.template.spec.containers[0].imagePullPolicyy = "Always";
    const strict = await c.put(`${paths.deploy("web")}?fieldValidation=Strict`, current);
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.containers[0].imagePullPolicyy"',
    );
    const warn = await c.put(paths.deploy("web"), current);
    expect(warn.status).toBe(200);
    expect(warnings(warn.headers)).toEqual(['unknown field "spec.template.spec.containers[0].imagePullPolicyy"']);
    expect(warn.body.spec.template.spec.containers[0].imagePullPolicyy).toBeUndefined();
  });

  it("sends a non-ASCII field name in the warning as UTF-8, once however often it repeats", async () => {
    const body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"},"données":1,"données":2}';
    const res = await c.post(paths.configmaps(), body);
    expect(res.status).toBe(201);
    const raw = res.headers.get("warning")!;
    expect(new TextDecoder().decode(Uint8Array.from(raw, (ch) => ch.charCodeAt(0)))).toBe('299 - "unknown field \\"données\\""');
  });

  it("knows the fields of inlined structs (a volume's source) and keeps opaque values whole", async () => {
    const p = pod("vol") as any;
    p.spec.volumes = [{ name: "cfg", configMap: { name: "cfg", items: [{ key: "a", path: "a" }] }, bogus: true }];
    p.spec.containers[0].resources = { limits: { cpu: "500m", memory: "64Mi" } };
    p.spec.containers[0].ports = [{ containerPort: 80 }];
    p.spec.containers[0].livenessProbe = { tcpSocket: { port: "http" }, periodSeconds: 5 };
    const res = await c.post(paths.pods(), p);
    expect(res.status).toBe(201);
    expect(warnings(res.headers)).toEqual(['unknown field "spec.volumes[0].bogus"']);
    expect(res.body.spec.volumes[0].configMap.items).toEqual([{ key: "a", path: "a" }]);
  });

  it("reports a repeated JSON key as a duplicate field with its path; the last value wins", async () => {
    const body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"app":"x","app":"y"},"name":"cfg"},"data":{"k":"1"}}';
    const strict = await c.post(`${paths.configmaps()}?fieldValidation=Strict`, body);
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "metadata.labels.app", duplicate field "metadata.name"',
    );
    const warn = await c.post(paths.configmaps(), body);
    expect(warn.status).toBe(201);
    expect(warnings(warn.headers)).toEqual(['duplicate field "metadata.labels.app"', 'duplicate field "metadata.name"']);
    expect(warn.body.metadata.name).toBe("cfg");
    expect(warn.body.metadata.labels).toEqual({ app: "y" });
  });

  it("reports repeated YAML keys by line, one warning per line, and as one YAML error under Strict", async () => {
    const body = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: cfg", "data:", "  a: '1'", "  a: '2'", "extra: true", ""].join("\n");
    const warn = await c.post(paths.configmaps(), body, { contentType: contentType.yaml });
    expect(warn.status).toBe(201);
    expect(warnings(warn.headers)).toEqual(['line 7: key "a" already set in map', 'unknown field "extra"']);
    expect(warn.body.data).toEqual({ a: "2" });
    expect(warn.body.extra).toBeUndefined();

    const strict = await c.post(`${paths.configmaps()}?fieldValidation=Strict`, body.replace("name: cfg", "name: cfg2"), {
      contentType: contentType.yaml,
    });
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: error converting YAML to JSON: yaml: unmarshal errors:\n  line 7: key "a" already set in map, unknown field "extra"',
    );
  });

  it("checks the status subresource's updates too", async () => {
    expect((await c.post(paths.deployments(), deployment("web"))).status).toBe(201);
    const current = (await c.get(paths.deploy("web"))).body;
    current.status = { replicas: 0, shiny: true };
    const res = await c.put(`${paths.deploy("web")}/status`, current);
    expect(res.status).toBe(200);
    expect(warnings(res.headers)).toEqual(['unknown field "status.shiny"']);
  });
});

describe("patch", () => {
  beforeEach(async () => {
    expect((await c.post(paths.deployments(), deployment("web"))).status).toBe(201);
  });

  it("merge patch: Warn applies the known part, warns about the rest and stores none of it", async () => {
    const res = await c.patch(paths.deploy("web"), { metadata: { labels: { team: "a" } }, spec: { paused: true, foo: 1 } }, contentType.merge);
    expect(res.status).toBe(200);
    expect(warnings(res.headers)).toEqual(['unknown field "spec.foo"']);
    expect(res.body.spec.paused).toBe(true);
    expect((await c.get(paths.deploy("web"))).body.spec.foo).toBeUndefined();
  });

  it("merge patch: Strict is a 422 on field patch naming the problems, and nothing changes", async () => {
    const before = (await c.get(paths.deploy("web"))).body.metadata.resourceVersion;
    const res = await c.patch(`${paths.deploy("web")}?fieldValidation=Strict`, { spec: { paused: true, foo: 1 } }, contentType.merge);
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe("Invalid");
    expect(res.body.message).toMatch(/^ "" is invalid: patch: Invalid value: "\{.*\}": strict decoding error: unknown field "spec\.foo"$/);
    expect(res.body.details.causes[0].field).toBe("patch");
    expect((await c.get(paths.deploy("web"))).body.metadata.resourceVersion).toBe(before);
  });

  it("strategic merge patch: Strict prints the patch as Go's %+v map, with repeated keys of the body first", async () => {
    const res = await c.patch(
      `${paths.deploy("web")}?fieldValidation=Strict`,
      '{"spec":{"replicas":2,"replicas":3,"template":{"spec":{"containers":[{"name":"main","colour":"red"}]}}}}',
      contentType.strategic,
    );
    expect(res.status).toBe(422);
    expect(res.body.message).toBe(
      ' "" is invalid: patch: Invalid value: "map[spec:map[replicas:3 template:map[spec:map[containers:[map[colour:red name:main]]]]]]": ' +
        'strict decoding error: duplicate field "spec.replicas", unknown field "spec.template.spec.containers[0].colour"',
    );
  });

  it("JSON patch: unknown members of an operation are warned about with the json patch prefix", async () => {
    const res = await c.patch(paths.deploy("web"), [{ op: "replace", path: "/spec/replicas", value: 2, note: "x" }], contentType.jsonPatch);
    expect(res.status).toBe(200);
    expect(warnings(res.headers)).toEqual(['json patch unknown field "[0].note"']);
    expect(res.body.spec.replicas).toBe(2);
  });

  it("JSON patch: an added unknown field is pruned from what is stored", async () => {
    const res = await c.patch(`${paths.deploy("web")}?fieldValidation=Ignore`, [{ op: "add", path: "/spec/whatever", value: { a: 1 } }], contentType.jsonPatch);
    expect(res.status).toBe(200);
    expect(res.headers.get("warning")).toBeNull();
    expect(res.body.spec.whatever).toBeUndefined();
  });
});

describe("the validator", () => {
  const target = (apiVersion: string, kind: string, directive: ValidationTarget["directive"] = "Warn"): ValidationTarget => ({
    directive,
    schema: builtinSchema(apiVersion, kind),
    kind,
    apiVersion,
  });
  const json = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

  it("looks into maps of structs and lists of lists of structs, printing paths as the decoder does", () => {
    const cm = { apiVersion: "v1", kind: "Secret", metadata: { name: "s", annotations: { a: "b" }, managedFields: [{ manager: "m", fieldsV1: { "f:x": {} }, odd: 1 }] } };
    const found: string[] = [];
    walkUnknownFields(cm, builtinSchema("v1", "Secret")!, false, (p) => found.push(p));
    expect(found).toEqual(["metadata.managedFields[0].odd"]);

    const node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "n" },
      status: { capacity: { cpu: "4" }, images: [{ names: ["a"], sizeBytes: 1, tag: "x" }], unknown: {} },
    };
    const out: string[] = [];
    walkUnknownFields(node, builtinSchema("v1", "Node")!, true, (p) => out.push(p));
    expect(out).toEqual(["status.images[0].tag", "status.unknown"]);
    expect(node.status).toEqual({ capacity: { cpu: "4" }, images: [{ names: ["a"], sizeBytes: 1 }] });
  });

  it("accepts anything inside RawExtension, FieldsV1 and IntOrString values", () => {
    const rev = { apiVersion: "apps/v1", kind: "ControllerRevision", metadata: { name: "r" }, revision: 1, data: { spec: { anything: { goes: [1] } } } };
    expect(checkObjectBody(rev, json(rev), "application/json", target("apps/v1", "ControllerRevision"))).toEqual([]);
    expect(rev.data.spec.anything).toEqual({ goes: [1] });
  });

  it("skips kinds without a schema (custom resources plug in their own lookup)", () => {
    const cr = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { size: 3 } };
    const t = target("example.com/v1", "Widget", "Strict");
    expect(t.schema).toBeUndefined();
    expect(checkObjectBody(cr, json(cr), "application/json", t)).toEqual([]);
    expect(cr.spec.size).toBe(3);
  });

  it("does not report repeats inside opaque values, nor repeated unknown fields more than once", () => {
    const text =
      '{"apiVersion":"apps/v1","kind":"ControllerRevision","metadata":{"name":"r"},"revision":1,"data":{"a":1,"a":2},"zz":1,"zz":2}';
    const obj = JSON.parse(text);
    expect(checkObjectBody(obj, new TextEncoder().encode(text), "application/json", target("apps/v1", "ControllerRevision"))).toEqual([
      'unknown field "zz"',
    ]);
  });
});

describe("repeated-key scanners", () => {
  it("JSON: gives the path of the object holding each repeat, through arrays and escaped keys", () => {
    const text = '{"a":[{"x":1},{"x":1,"y":[],"x":2}],"b":{"c\\"q":1,"c\\"q":{"d":null}},"a":0}';
    expect(findDuplicateKeys(text)).toEqual([
      { parent: ["a", 1], key: "x" },
      { parent: ["b"], key: 'c"q' },
      { parent: [], key: "a" },
    ]);
    expect(findDuplicateKeys('{"a":1,"b":"a","c":["a","a"]}')).toEqual([]);
  });

  it("JSON: tracks objects with many keys", () => {
    const keys = Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`);
    expect(findDuplicateKeys(`{${keys.join(",")},"k39":0}`)).toEqual([{ parent: [], key: "k39" }]);
  });

  it("YAML: numbers the line where the repeated key's value starts, inner repeats first", () => {
    const text = ["a:", "  b: 1", "  b:", "    c: 1", "    c: 2", "a: 3", ""].join("\n");
    expect(yamlDuplicateError(text)).toBe(
      'error converting YAML to JSON: yaml: unmarshal errors:\n  line 5: key "c" already set in map\n  line 4: key "b" already set in map\n  line 6: key "a" already set in map',
    );
    expect(yamlDuplicateError("a: 1\nb: 2\n")).toBeUndefined();
  });
});

describe("real-world manifests", () => {
  const root = "/work/shared/fixtures/real-world";
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? files(p) : /\.ya?ml$/.test(f) ? [p] : [];
    });

  it("every built-in object in them passes Strict with no problem (no gaps in the schema tables)", () => {
    let checked = 0;
    const problems: string[] = [];
    for (const file of files(root)) {
      const text = readFileSync(file, "utf8");
      for (const doc of parseAllDocuments(text)) {
        const obj = doc.toJS() as { apiVersion?: string; kind?: string } | null;
        if (!obj?.apiVersion || !obj.kind) continue;
        const schema = builtinSchema(obj.apiVersion, obj.kind);
        if (!schema) continue;
        checked++;
        const docText = String(doc);
        const dup = yamlDuplicateError(docText);
        if (dup) problems.push(`${file}: ${dup}`);
        walkUnknownFields(obj, schema, false, (p) => problems.push(`${file} ${obj.kind}: unknown field ${p}`));
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(20);
  });
});

describe("custom resources", () => {
  const crd = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "gadgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "gadgets", kind: "Gadget" },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: { type: "object", properties: { size: { type: "integer" }, extra: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } },
              },
            },
          },
        },
      ],
    },
  };
  const gadget = (spec: Record<string, unknown>) => ({ apiVersion: "example.com/v1", kind: "Gadget", metadata: { name: "g" }, spec });

  it("are checked against their CRD's schema: Strict refuses unknown fields, Warn prunes them with a warning", async () => {
    expect((await c.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)).status).toBe(201);
    await runLoop(c.sandbox, c.clock, 5_000);
    const base = "/apis/example.com/v1/namespaces/default/gadgets";
    const strict = await c.post(`${base}?fieldValidation=Strict`, gadget({ size: 1, junk: true, extra: { anything: 1 } }));
    expect(strict.status).toBe(400);
    expect((strict.body as { message: string }).message).toMatch(/strict decoding error: unknown field "spec\.junk"$/);
    const warned = await c.post(`${base}?fieldValidation=Warn`, gadget({ size: 1, junk: true, extra: { anything: 1 } }));
    expect(warned.status).toBe(201);
    expect(warnings(warned.headers)).toEqual(['unknown field "spec.junk"']);
    expect((warned.body as { spec: unknown }).spec).toEqual({ size: 1, extra: { anything: 1 } });
  });
});
