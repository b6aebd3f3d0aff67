import { describe, expect, it } from "vitest";
import { applyDefaults, prune, structuralErrors, validateValue, type Schema } from "../../src/apiextensions/schema";
import { ruleCompileErrors, validateRules } from "../../src/apiextensions/cel";
import { findResults, parseJsonPath, printerTable } from "../../src/apiextensions/printer";
import { fieldErrorBody } from "../../src/apiserver/status";
import type { KObject } from "../../src/registry/types";

const rendered = (errs: ReturnType<typeof validateValue>) => errs.map((e) => `${e.field}: ${fieldErrorBody(e)}`);

describe("structural schema", () => {
  const schema: Schema = {
    type: "object",
    properties: {
      spec: {
        type: "object",
        properties: {
          items: { type: "array", maxItems: 2, items: { type: "object", properties: { name: { type: "string" }, weight: { type: "integer", default: 1 } } } },
          template: { type: "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true },
          note: { type: "string", nullable: true },
          mode: { type: "string", default: "auto" },
          when: { type: "string", format: "date-time" },
          labels: { type: "object", additionalProperties: { type: "string" } },
        },
      },
    },
  };

  it("prunes unknown fields inside list items and keeps maps, embedded resources and the object's own fields", () => {
    const obj = {
      apiVersion: "x/v1",
      kind: "X",
      metadata: { name: "a", labels: { l: "v" } },
      spec: { items: [{ name: "a", junk: 1 }], labels: { any: "thing" }, template: { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {} }, junk: true },
    };
    prune(obj, schema, true);
    expect(obj).toEqual({
      apiVersion: "x/v1",
      kind: "X",
      metadata: { name: "a", labels: { l: "v" } },
      spec: { items: [{ name: "a" }], labels: { any: "thing" }, template: { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {} } },
    });
  });

  it("defaults missing fields, list items and non-nullable nulls; keeps nulls where nullable", () => {
    const obj = { spec: { items: [{ name: "a" }], mode: null, note: null } };
    applyDefaults(obj, schema);
    expect(obj.spec).toEqual({ items: [{ name: "a", weight: 1 }], mode: "auto", note: null });
  });

  it("reports item counts, formats and embedded resources as upstream", () => {
    const errs = validateValue({ spec: { items: [{}, {}, {}], when: "yesterday", template: { metadata: {} } } }, schema, "", true);
    expect(rendered(errs)).toEqual([
      "spec.items: Too many: 3: must have at most 2 items",
      'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
      "spec.template.apiVersion: Required value: must not be empty",
      "spec.template.kind: Required value: must not be empty",
    ]);
  });

  it("finds non-structural schemas", () => {
    expect(rendered(structuralErrors({ type: "object", properties: { spec: { properties: { a: { type: "array" } } } } }, "s"))).toEqual([
      "s.properties[spec].type: Required value: must not be empty for specified object fields",
      "s.properties[spec].properties[a].items: Required value: must be specified",
    ]);
  });
});

describe("CEL rules", () => {
  const schema: Schema = {
    type: "object",
    properties: {
      ports: {
        type: "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
        items: {
          type: "object",
          "x-kubernetes-validations": [{ rule: "self.port >= oldSelf.port", messageExpression: "'port of ' + self.name + ' may only grow'" }],
          properties: { name: { type: "string" }, port: { type: "integer" } },
        },
      },
      name: { type: "string", "x-kubernetes-validations": [{ rule: "self.startsWith('a')", reason: "FieldValueForbidden" }] },
    },
  };

  it("correlates list-map items for transition rules and words messages as upstream", () => {
    const old = { ports: [{ name: "http", port: 80 }] };
    const next = { ports: [{ name: "new", port: 1 }, { name: "http", port: 79 }], name: "bob" };
    expect(rendered(validateRules(next, old, schema, "spec"))).toEqual([
      'spec.ports[1]: Invalid value: "object": port of http may only grow',
      "spec.name: Forbidden: failed rule: self.startsWith('a')",
    ]);
    expect(validateRules(next, undefined, schema, "spec").map((e) => e.field)).toEqual(["spec.name"]);
  });

  it("reports rules that do not compile", () => {
    const errs = ruleCompileErrors({ type: "object", "x-kubernetes-validations": [{ rule: "self.a ==" }] }, "root");
    expect(errs[0].field).toBe("root.x-kubernetes-validations[0].rule");
    expect(errs[0].detail).toMatch(/^compilation failed: /);
  });
});

describe("printer columns", () => {
  const obj = {
    apiVersion: "x/v1",
    kind: "X",
    metadata: { name: "a", creationTimestamp: "2026-01-02T03:04:05Z" },
    spec: { list: [{ n: 1 }, { n: 2 }], flag: true },
    status: { conditions: [{ type: "Synced", status: "False" }, { type: "Ready", status: "True", message: "ok" }] },
  } as KObject;

  it("evaluates the simple JSONPath upstream accepts", () => {
    expect(findResults(obj, parseJsonPath(".spec.list[*].n"))).toEqual([1, 2]);
    expect(findResults(obj, parseJsonPath(".spec.list[-1].n"))).toEqual([2]);
    expect(findResults(obj, parseJsonPath('{.status.conditions[?(@.type == "Ready")].message}'))).toEqual(["ok"]);
    expect(() => parseJsonPath(".spec..x")).toThrow();
  });

  it("types cells as the column says: first result, null when missing or mistyped", () => {
    const table = printerTable([
      { name: "First", type: "integer", jsonPath: ".spec.list[*].n" },
      { name: "Flag", type: "boolean", jsonPath: ".spec.flag" },
      { name: "Wrong", type: "integer", jsonPath: ".spec.flag" },
      { name: "Missing", type: "string", jsonPath: ".spec.none" },
      { name: "List", type: "string", jsonPath: ".spec.list" },
    ]);
    expect(table.cells(obj, new Date())).toEqual([1, true, null, null, '[{"n":1},{"n":2}]']);
  });
});

describe("type errors", () => {
  it("still check the enum, as upstream", () => {
    const schema: Schema = { type: "object", properties: { n: { type: "integer", enum: [1, 2] } } };
    expect(rendered(validateValue({ n: "x" }, schema, "field"))).toEqual([
      'field.n: Invalid value: "string": field.n in body must be of type integer: "string"',
      'field.n: Unsupported value: "x": supported values: "1", "2"',
    ]);
  });
});
