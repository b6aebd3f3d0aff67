/**
 * Encodes a Swagger 2.0 document (plain JSON, as `/openapi/v2` serves it) as a gnostic
 * `openapi_v2.Document` protobuf — the form kubectl 1.27/1.28 require.
 *
 * Field numbers are gnostic-models' openapiv2/OpenAPIv2.proto. Covered: the document's swagger,
 * info, paths and definitions; operations with parameters (body, query, path) and responses;
 * schemas with every keyword gnostic has. Values gnostic carries as `Any` (vendor extensions,
 * enum, default, example) go as YAML text; JSON is YAML, so they are written as JSON.
 * Keywords gnostic has no field for (oneOf, anyOf, nullable…) are dropped.
 */
import { BinaryWriter } from "@bufbuild/protobuf/wire";

type Json = Record<string, unknown>;

/** Appends a length-delimited field. */
function message(w: BinaryWriter, field: number, build: (w: BinaryWriter) => void): void {
  w.uint32((field << 3) | 2).fork();
  build(w);
  w.join();
}

function str(w: BinaryWriter, field: number, value: unknown): void {
  if (typeof value === "string" && value !== "") w.uint32((field << 3) | 2).string(value);
}

function bool(w: BinaryWriter, field: number, value: unknown): void {
  if (value === true) w.uint32(field << 3).bool(true);
}

function int64(w: BinaryWriter, field: number, value: unknown): void {
  if (typeof value === "number") w.uint32(field << 3).int64(value);
}

function double(w: BinaryWriter, field: number, value: unknown): void {
  if (typeof value === "number") w.uint32((field << 3) | 1).double(value);
}

function strings(w: BinaryWriter, field: number, value: unknown): void {
  if (Array.isArray(value)) for (const v of value) str(w, field, v);
}

/** gnostic Any{yaml = 2}. */
function any(w: BinaryWriter, field: number, value: unknown): void {
  message(w, field, (a) => a.uint32((2 << 3) | 2).string(JSON.stringify(value)));
}

/** NamedAny{name = 1, value = 2} for every `x-` key. */
function vendorExtensions(w: BinaryWriter, field: number, o: Json): void {
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith("x-")) continue;
    message(w, field, (n) => {
      str(n, 1, k);
      any(n, 2, v);
    });
  }
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function schema(w: BinaryWriter, s: Json): void {
  str(w, 1, s.$ref);
  str(w, 2, s.format);
  str(w, 3, s.title);
  str(w, 4, s.description);
  if (s.default !== undefined) any(w, 5, s.default);
  double(w, 6, s.multipleOf);
  double(w, 7, s.maximum);
  bool(w, 8, s.exclusiveMaximum);
  double(w, 9, s.minimum);
  bool(w, 10, s.exclusiveMinimum);
  int64(w, 11, s.maxLength);
  int64(w, 12, s.minLength);
  str(w, 13, s.pattern);
  int64(w, 14, s.maxItems);
  int64(w, 15, s.minItems);
  bool(w, 16, s.uniqueItems);
  int64(w, 17, s.maxProperties);
  int64(w, 18, s.minProperties);
  strings(w, 19, s.required);
  if (Array.isArray(s.enum)) for (const v of s.enum) any(w, 20, v);
  if (isObject(s.additionalProperties)) message(w, 21, (a) => message(a, 1, (x) => schema(x, s.additionalProperties as Json)));
  else if (typeof s.additionalProperties === "boolean") message(w, 21, (a) => a.uint32(2 << 3).bool(s.additionalProperties as boolean));
  if (s.type !== undefined) message(w, 22, (t) => strings(t, 1, Array.isArray(s.type) ? s.type : [s.type]));
  if (s.items !== undefined) {
    const items = Array.isArray(s.items) ? s.items : [s.items];
    message(w, 23, (i) => {
      for (const item of items) message(i, 1, (x) => schema(x, item as Json));
    });
  }
  if (Array.isArray(s.allOf)) for (const sub of s.allOf) message(w, 24, (x) => schema(x, sub as Json));
  if (isObject(s.properties)) message(w, 25, (p) => namedSchemas(p, 1, s.properties as Json));
  str(w, 26, s.discriminator);
  bool(w, 27, s.readOnly);
  if (s.example !== undefined) any(w, 30, s.example);
  vendorExtensions(w, 31, s);
}

/** repeated NamedSchema{name = 1, value = 2}. */
function namedSchemas(w: BinaryWriter, field: number, named: Json): void {
  for (const [name, value] of Object.entries(named)) {
    message(w, field, (n) => {
      str(n, 1, name);
      message(n, 2, (x) => schema(x, value as Json));
    });
  }
}

/** ParametersItem{parameter = 1: Parameter{body_parameter = 1 | non_body_parameter = 2}}. */
function parameter(w: BinaryWriter, p: Json): void {
  message(w, 1, (param) => {
    if (p.in === "body") {
      message(param, 1, (b) => {
        str(b, 1, p.description);
        str(b, 2, p.name);
        str(b, 3, p.in);
        bool(b, 4, p.required);
        if (isObject(p.schema)) message(b, 5, (x) => schema(x, p.schema as Json));
        vendorExtensions(b, 6, p);
      });
      return;
    }
    // NonBodyParameter{query_parameter_sub_schema = 3 | path_parameter_sub_schema = 4}
    message(param, 2, (nb) => {
      if (p.in === "path") {
        message(nb, 4, (q) => {
          bool(q, 1, p.required);
          str(q, 2, p.in);
          str(q, 3, p.description);
          str(q, 4, p.name);
          str(q, 5, p.type);
        });
      } else {
        message(nb, 3, (q) => {
          bool(q, 1, p.required);
          str(q, 2, p.in);
          str(q, 3, p.description);
          str(q, 4, p.name);
          str(q, 6, p.type);
          bool(q, 20, p.uniqueItems);
          vendorExtensions(q, 23, p);
        });
      }
    });
  });
}

function operation(w: BinaryWriter, op: Json): void {
  strings(w, 1, op.tags);
  str(w, 3, op.description);
  str(w, 5, op.operationId);
  strings(w, 6, op.produces);
  strings(w, 7, op.consumes);
  for (const p of (op.parameters as Json[] | undefined) ?? []) message(w, 8, (x) => parameter(x, p));
  if (isObject(op.responses)) {
    message(w, 9, (rs) => {
      for (const [code, response] of Object.entries(op.responses as Json)) {
        // NamedResponseValue{name = 1, value = 2: ResponseValue{response = 1: Response{description = 1, schema = 2: SchemaItem{schema = 1}}}}
        message(rs, 1, (named) => {
          str(named, 1, code);
          message(named, 2, (value) =>
            message(value, 1, (r) => {
              const body = response as Json;
              str(r, 1, body.description);
              if (isObject(body.schema)) message(r, 2, (item) => message(item, 1, (x) => schema(x, body.schema as Json)));
            }),
          );
        });
      }
    });
  }
  strings(w, 10, op.schemes);
  vendorExtensions(w, 13, op);
}

const pathItemOperations: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

/** The protobuf encoding of a Swagger 2.0 document. */
export function encodeSwaggerDocument(doc: Json): Uint8Array {
  const w = new BinaryWriter();
  str(w, 1, doc.swagger);
  if (isObject(doc.info)) {
    const info = doc.info;
    message(w, 2, (i) => {
      str(i, 1, info.title);
      str(i, 2, info.version);
      str(i, 3, info.description);
    });
  }
  message(w, 8, (paths) => {
    for (const [path, item] of Object.entries((doc.paths as Json | undefined) ?? {})) {
      // Paths{path = 2: NamedPathItem{name = 1, value = 2}}
      message(paths, 2, (named) => {
        str(named, 1, path);
        message(named, 2, (pi) => {
          const pathItem = item as Json;
          for (const [verb, field] of Object.entries(pathItemOperations)) {
            if (isObject(pathItem[verb])) message(pi, field, (x) => operation(x, pathItem[verb] as Json));
          }
          for (const p of (pathItem.parameters as Json[] | undefined) ?? []) message(pi, 9, (x) => parameter(x, p));
          vendorExtensions(pi, 10, pathItem);
        });
      });
    }
  });
  if (isObject(doc.definitions)) message(w, 9, (d) => namedSchemas(d, 1, doc.definitions as Json));
  vendorExtensions(w, 16, doc);
  return w.finish();
}
