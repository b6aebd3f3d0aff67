/**
 * `x-kubernetes-validations`: CEL rules on a custom resource's schema nodes, evaluated with
 * @marcbachmann/cel-js (an interpreter; no code generation, so it runs under workerd). `self` is
 * the node's value; `oldSelf` its previous value on update (transition rules run only when one
 * exists). Kubernetes' CEL libraries (quantity, url, ip, format…) are not available.
 */
import { parse, type ParseResult } from "@marcbachmann/cel-js";
import { field, type FieldError } from "../apiserver/status";
import { childPath, indexPath, propertySchema, type Schema } from "./schema";

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
}

const programs = new Map<string, ParseResult>();
const MAX_CACHED_PROGRAMS = 1_000;

/** A compiled CEL expression (cached); call it with the variables. Throws on a syntax error. */
export function compile(expression: string): ParseResult {
  let program = programs.get(expression);
  if (!program) {
    program = parse(expression);
    if (programs.size >= MAX_CACHED_PROGRAMS) programs.clear();
    programs.set(expression, program);
  }
  return program;
}

const usesOldSelf = (expression: string) => /\boldSelf\b/.test(expression);

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0];
}

/** The rules of a schema and everything below it that do not compile, at their CRD field paths. */
export function ruleCompileErrors(schema: Schema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  ((schema["x-kubernetes-validations"] ?? []) as ValidationRule[]).forEach((r, i) => {
    const rulePath = `${path}.x-kubernetes-validations[${i}]`;
    if (typeof r?.rule !== "string" || r.rule === "") {
      errs.push(field.required(`${rulePath}.rule`, "rule is not specified"));
      return;
    }
    for (const [name, expression] of [["rule", r.rule], ["messageExpression", r.messageExpression]] as const) {
      if (typeof expression !== "string") continue;
      try {
        compile(expression);
      } catch (e) {
        errs.push(field.invalid(`${rulePath}.${name}`, expression, `compilation failed: ${firstLine(e)}`));
      }
    }
  });
  for (const [key, child] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) errs.push(...ruleCompileErrors(child, `${path}.properties[${key}]`));
  if (schema.items && typeof schema.items === "object") errs.push(...ruleCompileErrors(schema.items, `${path}.items`));
  if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
    errs.push(...ruleCompileErrors(schema.additionalProperties, `${path}.additionalProperties`));
  }
  return errs;
}

const rulesBelow = new WeakMap<Schema, boolean>();

/** True when a schema (or anything below it) carries CEL rules; remembered per schema object. */
export function hasRules(schema: Schema | undefined): boolean {
  if (!schema || typeof schema !== "object") return false;
  let found = rulesBelow.get(schema);
  if (found === undefined) {
    found =
      (Array.isArray(schema["x-kubernetes-validations"]) && schema["x-kubernetes-validations"].length > 0) ||
      Object.values((schema.properties ?? {}) as Record<string, Schema>).some(hasRules) ||
      hasRules(schema.items) ||
      hasRules(schema.additionalProperties);
    rulesBelow.set(schema, found);
  }
  return found;
}

/** A JSON value as CEL sees it: integers of integer fields become CEL ints. */
function toCel(value: unknown, schema: Schema | undefined): unknown {
  if (typeof value === "number") return schema?.type === "integer" && Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map((v) => toCel(v, schema?.items));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toCel(v, propertySchema(schema, k));
    return out;
  }
  return value;
}

/** The error type a rule's `reason` asks for (upstream fieldErrorForReason). */
function ruleError(path: string, schemaType: string, message: string, reason: string | undefined): FieldError {
  switch (reason) {
    case "FieldValueForbidden":
      return field.forbidden(path, message);
    case "FieldValueRequired":
      return field.required(path, message);
    case "FieldValueDuplicate":
      return { ...field.duplicate(path, schemaType), detail: message };
    default:
      return field.invalid(path, schemaType, message);
  }
}

/**
 * The failures of every rule on `value` and below. `old` is the previous value at the same place
 * (undefined on create or where it cannot be correlated): transition rules need it.
 */
export function validateRules(value: unknown, old: unknown, schema: Schema | undefined, path: string): FieldError[] {
  if (!schema || value === undefined || value === null || !hasRules(schema)) return [];
  const errs: FieldError[] = [];
  const rules = (schema["x-kubernetes-validations"] ?? []) as ValidationRule[];
  if (rules.length > 0) {
    const context: Record<string, unknown> = { self: toCel(value, schema) };
    if (old !== undefined && old !== null) context.oldSelf = toCel(old, schema);
    const schemaType = schema.type ?? (schema["x-kubernetes-int-or-string"] ? "integer-or-string" : "object");
    for (const r of rules) {
      if (usesOldSelf(r.rule) && !("oldSelf" in context)) continue;
      const at = r.fieldPath ? `${path}${r.fieldPath}` : path;
      let outcome: unknown;
      try {
        outcome = compile(r.rule)(context);
      } catch (e) {
        errs.push(field.invalid(at, schemaType, firstLine(e)));
        continue;
      }
      if (outcome !== true) errs.push(ruleError(at, schemaType, ruleMessage(r, context), r.reason));
    }
  }
  if (Array.isArray(value)) {
    const oldItems = correlatedItems(value, old, schema);
    value.forEach((item, i) => errs.push(...validateRules(item, oldItems[i], schema.items, indexPath(path, i))));
  } else if (typeof value === "object") {
    const oldObject = old && typeof old === "object" && !Array.isArray(old) ? (old as Record<string, unknown>) : {};
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      errs.push(...validateRules(child, oldObject[key], propertySchema(schema, key), childPath(path, key)));
    }
  }
  return errs;
}

/** The message of a failed rule: its messageExpression's string, its message, or `failed rule: <rule>`. */
function ruleMessage(r: ValidationRule, context: Record<string, unknown>): string {
  if (r.messageExpression) {
    try {
      const text = compile(r.messageExpression)(context);
      if (typeof text === "string" && text.trim() !== "") return text;
    } catch {
      // Upstream falls back to the static message when the expression fails.
    }
  }
  return r.message || `failed rule: ${r.rule}`;
}

/** Old items of a `x-kubernetes-list-type: map` list, matched by their map keys; other lists do not correlate. */
function correlatedItems(value: unknown[], old: unknown, schema: Schema): unknown[] {
  const keys = schema["x-kubernetes-list-map-keys"] as string[] | undefined;
  if (schema["x-kubernetes-list-type"] !== "map" || !keys?.length || !Array.isArray(old)) return [];
  const id = (item: unknown) => JSON.stringify(keys.map((k) => (item as Record<string, unknown>)?.[k]));
  const byId = new Map(old.map((item) => [id(item), item]));
  return value.map((item) => byId.get(id(item)));
}
