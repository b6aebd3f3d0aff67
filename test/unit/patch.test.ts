import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { StatusError } from "../../src/apiserver/status";
import {
  applyJsonPatch,
  decodeJsonPatch,
  tryApplyJsonPatch,
  type JsonPatchOperation,
} from "../../src/apiserver/patch/json-patch";
import { applyMergePatch, createMergePatch, mergePatch } from "../../src/apiserver/patch/merge-patch";

function statusOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return { code: e.code, reason: e.reason, message: e.message, details: e.details };
    throw e;
  }
  throw new Error("expected a StatusError");
}

const base = () => ({
  metadata: { name: "cfg", labels: { a: "1" } },
  data: { x: "1", "a/b": "slash", "m~n": "tilde" },
  list: ["a", "b", "c"],
});

describe("JSON patch: operations", () => {
  it.each<[string, JsonPatchOperation[], unknown]>([
    ["add a member", [{ op: "add", path: "/data/y", value: "2" }], { x: "1", "a/b": "slash", "m~n": "tilde", y: "2" }],
    ["add replaces an existing member", [{ op: "add", path: "/data/x", value: "9" }], { x: "9", "a/b": "slash", "m~n": "tilde" }],
    ["replace a member", [{ op: "replace", path: "/data/x", value: "9" }], { x: "9", "a/b": "slash", "m~n": "tilde" }],
    ["replace of a missing member adds it (as kube-apiserver)", [{ op: "replace", path: "/data/new", value: "n" }], {
      x: "1",
      "a/b": "slash",
      "m~n": "tilde",
      new: "n",
    }],
    ["remove a member", [{ op: "remove", path: "/data/x" }], { "a/b": "slash", "m~n": "tilde" }],
    ["~1 escapes /", [{ op: "remove", path: "/data/a~1b" }], { x: "1", "m~n": "tilde" }],
    ["~0 escapes ~", [{ op: "replace", path: "/data/m~0n", value: "T" }], { x: "1", "a/b": "slash", "m~n": "T" }],
    ["copy", [{ op: "copy", from: "/data/x", path: "/data/z" }], { x: "1", "a/b": "slash", "m~n": "tilde", z: "1" }],
    ["move", [{ op: "move", from: "/data/x", path: "/data/w" }], { "a/b": "slash", "m~n": "tilde", w: "1" }],
    ["add without value writes null", [{ op: "add", path: "/data/n" }], { x: "1", "a/b": "slash", "m~n": "tilde", n: null }],
  ])("%s", (_name, ops, data) => {
    expect(applyJsonPatch(base(), ops).data).toEqual(data);
  });

  it.each<[string, JsonPatchOperation[], string[]]>([
    ["append with -", [{ op: "add", path: "/list/-", value: "d" }], ["a", "b", "c", "d"]],
    ["insert at an index", [{ op: "add", path: "/list/1", value: "x" }], ["a", "x", "b", "c"]],
    ["insert at the end index", [{ op: "add", path: "/list/3", value: "d" }], ["a", "b", "c", "d"]],
    ["negative index on add appends at -1", [{ op: "add", path: "/list/-1", value: "d" }], ["a", "b", "c", "d"]],
    ["remove by index", [{ op: "remove", path: "/list/0" }], ["b", "c"]],
    ["remove the last with -1", [{ op: "remove", path: "/list/-1" }], ["a", "b"]],
    ["replace by index", [{ op: "replace", path: "/list/2", value: "z" }], ["a", "b", "z"]],
    ["move within an array", [{ op: "move", from: "/list/0", path: "/list/2" }], ["b", "c", "a"]],
    ["copy within an array", [{ op: "copy", from: "/list/0", path: "/list/-" }], ["a", "b", "c", "a"]],
    ["leading zeros are accepted", [{ op: "remove", path: "/list/01" }], ["a", "c"]],
  ])("%s", (_name, ops, list) => {
    expect(applyJsonPatch(base(), ops).list).toEqual(list);
  });

  it("applies operations in order, all or nothing", () => {
    const doc = base();
    const out = applyJsonPatch(doc, [
      { op: "test", path: "/metadata/labels/a", value: "1" },
      { op: "replace", path: "/metadata/labels/a", value: "2" },
      { op: "test", path: "/metadata/labels/a", value: "2" },
    ]);
    expect(out.metadata.labels).toEqual({ a: "2" });
    expect(() => applyJsonPatch(doc, [{ op: "replace", path: "/data/x", value: "2" }, { op: "remove", path: "/nope" }])).toThrow(StatusError);
    expect(doc).toEqual(base());
  });

  it("replace at the root swaps the document", () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: "replace", path: "", value: { b: 2 } }])).toEqual({ b: 2 });
  });

  it("test compares structurally", () => {
    expect(() => applyJsonPatch(base(), [{ op: "test", path: "/metadata", value: { labels: { a: "1" }, name: "cfg" } }])).not.toThrow();
    expect(() => applyJsonPatch(base(), [{ op: "test", path: "/list", value: ["a", "b"] }])).toThrow();
    expect(() => applyJsonPatch(base(), [{ op: "test", path: "/missing", value: null }])).not.toThrow();
  });

  it("copy from a missing member copies null", () => {
    expect(applyJsonPatch({ a: {} }, [{ op: "copy", from: "/a/nope", path: "/b" }])).toEqual({ a: {}, b: null });
  });

  it("does not write through __proto__", () => {
    const out = applyJsonPatch({}, [{ op: "add", path: "/__proto__", value: { polluted: true } }]) as Record<string, unknown>;
    expect(Object.prototype.hasOwnProperty.call(out, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});

describe("JSON patch: failures are kube-apiserver's generic 422", () => {
  const generic = {
    code: 422,
    reason: "Invalid",
    message: "the server rejected our request due to an error in our request",
    details: {},
  };

  it.each<[string, JsonPatchOperation[], string]>([
    ["failed test", [{ op: "test", path: "/data/x", value: "2" }], "testing value /data/x failed: test failed"],
    ["remove a missing member", [{ op: "remove", path: "/data/nope" }], "error in remove for path: '/data/nope': Unable to remove nonexistent key: nope: missing value"],
    ["add under a missing parent", [{ op: "add", path: "/spec/replicas", value: 1 }], 'add operation does not apply: doc is missing path: "/spec/replicas": missing value'],
    ["index past the end", [{ op: "add", path: "/list/5", value: "x" }], "error in add for path: '/list/5': Unable to access invalid index: 5: invalid index referenced"],
    ["replace past the end", [{ op: "replace", path: "/list/3", value: "x" }], "replace operation does not apply: doc is missing key: /list/3: missing value"],
    ["non-numeric index", [{ op: "remove", path: "/list/x" }], "error in remove for path: '/list/x': strconv.Atoi: parsing \"x\": invalid syntax"],
    ["unknown op", [{ op: "frobnicate", path: "/x" }], "Unexpected kind: frobnicate"],
    ["missing op", [{ path: "/x" }], "Unexpected kind: unknown"],
    ["missing path", [{ op: "add", value: 1 }], "add operation failed to decode path: missing value"],
    ["move from a missing member", [{ op: "move", from: "/data/nope", path: "/data/y" }], "error in move for path: 'nope': Unable to remove nonexistent key: nope: missing value"],
    ["add at the root", [{ op: "add", path: "", value: {} }], 'add operation does not apply: doc is missing path: "": missing value'],
    ["traverse through a string", [{ op: "add", path: "/metadata/name/x", value: 1 }], 'add operation does not apply: doc is missing path: "/metadata/name/x": missing value'],
  ])("%s", (_name, ops, libraryMessage) => {
    expect(statusOf(() => applyJsonPatch(base(), ops))).toEqual(generic);
    expect(tryApplyJsonPatch(base(), ops)).toEqual({ ok: false, error: libraryMessage });
  });

  it("rejects a null operation", () => {
    expect(statusOf(() => applyJsonPatch(base(), [null]))).toEqual(generic);
  });
});

describe("JSON patch: decoding the body", () => {
  it("accepts an array of operations and null", () => {
    expect(decodeJsonPatch([{ op: "add", path: "/a", value: 1 }]).ops).toHaveLength(1);
    expect(decodeJsonPatch(null)).toEqual({ ops: [], strictErrors: [] });
  });

  it.each<[unknown, string]>([
    [{ op: "add" }, "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"],
    ["x", "error decoding patch: json: cannot unmarshal string into Go value of type []handlers.jsonPatchOp"],
    [["x"], "error decoding patch: json: cannot unmarshal string into Go value of type handlers.jsonPatchOp"],
    [[{ op: 1 }], "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string"],
  ])("Warn (default): %j → 400", (body, message) => {
    expect(statusOf(() => decodeJsonPatch(body))).toMatchObject({ code: 400, reason: "BadRequest", message });
  });

  it("Ignore reports the library's decoding error", () => {
    expect(statusOf(() => decodeJsonPatch({ op: "add" }, "Ignore")).message).toBe(
      "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
    );
  });

  it("returns unknown members as strict errors", () => {
    expect(decodeJsonPatch([{ op: "add", path: "/a", value: 1, extra: true }]).strictErrors).toEqual(['json patch unknown field "[0].extra"']);
    expect(decodeJsonPatch([{ op: "add", path: "/a", value: 1, extra: true }], "Ignore").strictErrors).toEqual([]);
  });

  it("limits a patch to 10000 operations (413)", () => {
    const ops = Array.from({ length: 10001 }, () => ({ op: "test", path: "/a", value: 1 }));
    expect(statusOf(() => decodeJsonPatch(ops))).toMatchObject({
      code: 413,
      reason: "RequestEntityTooLarge",
      message: "The allowed maximum operations in a JSON patch is 10000, got 10001",
    });
  });
});

// ---- property tests ----

const jsonLeaf = fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean());
const { tree: jsonNoNulls } = fc.letrec<{ tree: unknown }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small" },
    jsonLeaf,
    fc.array(tie("tree"), { maxLength: 3 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }), tie("tree"), { maxKeys: 4 }),
  ),
}));
const jsonObject = fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }), jsonNoNulls, { maxKeys: 5 });

const pointerToken = fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom("-", "0", "1", "-1", "~", "/"));
const pointer = fc.array(pointerToken, { maxLength: 3 }).map((ts) => ts.map((t) => "/" + t.replace(/~/g, "~0").replace(/\//g, "~1")).join(""));
const operation = fc.record(
  {
    op: fc.constantFrom("add", "remove", "replace", "move", "copy", "test"),
    path: pointer,
    from: pointer,
    value: jsonNoNulls,
  },
  { requiredKeys: ["op", "path"] },
) as fc.Arbitrary<JsonPatchOperation>;

describe("patch properties", () => {
  it("JSON patch never mutates its inputs, whatever happens", () => {
    fc.assert(
      fc.property(jsonObject, fc.array(operation, { maxLength: 5 }), (doc, ops) => {
        const docBefore = structuredClone(doc);
        const opsBefore = structuredClone(ops);
        const result = tryApplyJsonPatch(doc, ops);
        expect(doc).toEqual(docBefore);
        expect(ops).toEqual(opsBefore);
        if (result.ok) {
          // The result shares nothing with the inputs: mutating it leaves them intact.
          const out = result.doc as Record<string, unknown>;
          for (const k of Object.keys(out)) out[k] = "clobbered";
          expect(doc).toEqual(docBefore);
          expect(ops).toEqual(opsBefore);
        }
      }),
    );
  });

  it("add then remove of a new member is the identity", () => {
    fc.assert(
      fc.property(jsonObject, fc.string({ minLength: 1, maxLength: 5 }), jsonNoNulls, (doc, key, value) => {
        fc.pre(!Object.prototype.hasOwnProperty.call(doc, key));
        const path = "/" + key.replace(/~/g, "~0").replace(/\//g, "~1");
        const added = applyJsonPatch(doc, [{ op: "add", path, value }]);
        expect((added as Record<string, unknown>)[key]).toEqual(value);
        expect(applyJsonPatch(added, [{ op: "remove", path }])).toEqual(doc);
      }),
    );
  });

  it("merge patch of a document with its own diff yields the target", () => {
    fc.assert(
      fc.property(jsonObject, jsonObject, (original, modified) => {
        const patch = createMergePatch(original, modified);
        expect(applyMergePatch(original, patch)).toEqual(modified);
        expect(mergePatch(original, patch)).toEqual(modified);
      }),
    );
  });

  it("merge patch is idempotent and pure", () => {
    fc.assert(
      fc.property(jsonObject, jsonObject, (doc, patch) => {
        const docBefore = structuredClone(doc);
        const patchBefore = structuredClone(patch);
        const once = applyMergePatch(doc, patch);
        expect(applyMergePatch(once, patch)).toEqual(once);
        expect(doc).toEqual(docBefore);
        expect(patch).toEqual(patchBefore);
      }),
    );
  });
});

describe("merge patch", () => {
  it.each<[string, unknown, unknown, unknown]>([
    ["sets a member", { a: 1 }, { b: 2 }, { a: 1, b: 2 }],
    ["null deletes", { a: 1, b: 2 }, { a: null }, { b: 2 }],
    ["null of a missing member is a no-op", { a: 1 }, { z: null }, { a: 1 }],
    ["objects merge recursively", { m: { a: 1, b: 2 } }, { m: { b: 3, c: 4 } }, { m: { a: 1, b: 3, c: 4 } }],
    ["nested null deletes", { m: { a: 1, b: 2 } }, { m: { a: null } }, { m: { b: 2 } }],
    ["arrays replace", { l: [1, 2, 3] }, { l: [4] }, { l: [4] }],
    ["an object replaces a scalar", { a: 1 }, { a: { b: 1 } }, { a: { b: 1 } }],
    ["a scalar replaces an object", { a: { b: 1 } }, { a: 1 }, { a: 1 }],
    ["nulls in a new object are dropped", {}, { a: { b: null, c: 1 } }, { a: { c: 1 } }],
    ["empty patch is a no-op", { a: 1 }, {}, { a: 1 }],
  ])("%s", (_name, doc, patch, want) => {
    expect(applyMergePatch(doc, patch)).toEqual(want);
    expect(mergePatch(doc, patch)).toEqual(want);
  });

  it("prunes nulls inside objects within arrays written where no object was (kube-apiserver, not RFC 7386)", () => {
    expect(applyMergePatch({}, { a: [{ b: null, c: 1 }, null] })).toEqual({ a: [{ c: 1 }, null] });
    expect(mergePatch({}, { a: [{ b: null, c: 1 }, null] })).toEqual({ a: [{ b: null, c: 1 }, null] });
  });

  it.each<[unknown, string]>([
    [[1], "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}"],
    ["x", "error decoding patch: json: cannot unmarshal string into Go value of type map[string]interface {}"],
    [3, "error decoding patch: json: cannot unmarshal number into Go value of type map[string]interface {}"],
    [null, "Invalid JSON Patch"],
  ])("a %j patch is a 400", (patch, message) => {
    expect(statusOf(() => applyMergePatch({ a: 1 }, patch))).toMatchObject({ code: 400, reason: "BadRequest", message });
  });

  it("with fieldValidation=Ignore a scalar patch is 'Invalid JSON Patch'", () => {
    expect(statusOf(() => applyMergePatch({ a: 1 }, true, "Ignore")).message).toBe("Invalid JSON Patch");
  });

  it("does not write through __proto__", () => {
    const out = applyMergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(out, "__proto__")).toBe(true);
  });
});
