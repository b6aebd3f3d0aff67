/**
 * `kubectl get` columns of custom resources from a CRD version's additionalPrinterColumns: the
 * simple JSONPath upstream accepts there (`.spec.replicas`, `.items[0].name`, `.list[*].x`,
 * `.status.conditions[?(@.type=="Ready")].status`), and each cell typed as the column says.
 */
import type { KObject, TableColumn, TableConvention } from "../registry/types";

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** Upstream's column when a version defines none. */
const ageColumn: PrinterColumn = {
  name: "Age",
  type: "date",
  jsonPath: ".metadata.creationTimestamp",
  description:
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
};

type Step =
  | { kind: "field"; name: string }
  | { kind: "index"; index: number }
  | { kind: "all" }
  | { kind: "filter"; path: Step[]; op: "==" | "!="; literal: unknown };

/** Parses a printer-column JSONPath; throws on anything outside the supported subset. */
export function parseJsonPath(expression: string): Step[] {
  let text = expression.trim();
  if (text.startsWith("{") && text.endsWith("}")) text = text.slice(1, -1).trim();
  if (text.startsWith("$")) text = text.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === ".") {
      const m = /^\.([A-Za-z0-9_-]+)/.exec(text.slice(i));
      if (!m) throw new Error(`unexpected ${JSON.stringify(text.slice(i))} in ${expression}`);
      steps.push({ kind: "field", name: m[1] });
      i += m[0].length;
      continue;
    }
    if (text[i] === "[") {
      const end = matchingBracket(text, i);
      const inner = text.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === "*") steps.push({ kind: "all" });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: "index", index: Number(inner) });
      else if (/^'[^']*'$|^"[^"]*"$/.test(inner)) steps.push({ kind: "field", name: inner.slice(1, -1) });
      else steps.push(parseFilter(inner, expression));
      continue;
    }
    throw new Error(`unexpected ${JSON.stringify(text.slice(i))} in ${expression}`);
  }
  return steps;
}

function matchingBracket(text: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let j = open; j < text.length; j++) {
    const c = text[j];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "[") depth++;
    else if (c === "]" && --depth === 0) return j;
  }
  throw new Error(`unterminated [ in ${text}`);
}

function parseFilter(inner: string, expression: string): Step {
  const m = /^\?\(\s*@((?:\.[A-Za-z0-9_-]+)+)\s*(==|!=)\s*(.+?)\s*\)$/.exec(inner);
  if (!m) throw new Error(`unsupported filter [${inner}] in ${expression}`);
  const raw = m[3];
  const literal = /^'.*'$/.test(raw) ? raw.slice(1, -1) : JSON.parse(raw);
  return { kind: "filter", path: parseJsonPath(m[1]), op: m[2] as "==" | "!=", literal };
}

/** Every value the path finds in `root`, in document order. */
export function findResults(root: unknown, steps: Step[]): unknown[] {
  let current: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const value of current) {
      if (step.kind === "field") {
        if (value && typeof value === "object" && !Array.isArray(value) && step.name in value) next.push((value as Record<string, unknown>)[step.name]);
      } else if (step.kind === "index") {
        if (Array.isArray(value)) {
          const item = value[step.index < 0 ? value.length + step.index : step.index];
          if (item !== undefined) next.push(item);
        }
      } else if (step.kind === "all") {
        if (Array.isArray(value)) next.push(...value);
        else if (value && typeof value === "object") next.push(...Object.values(value));
      } else if (Array.isArray(value)) {
        for (const item of value) {
          const [found] = findResults(item, step.path);
          const equal = found !== undefined && String(found) === String(step.literal);
          if (step.op === "==" ? equal : !equal) next.push(item);
        }
      }
    }
    current = next;
  }
  return current;
}

/** A found value as the column's type shows it; null (`<none>`) when it does not fit. */
function cell(type: string, value: unknown): unknown {
  switch (type) {
    case "string":
      return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value) ? value : null;
    case "number":
      return typeof value === "number" ? value : null;
    case "boolean":
      return typeof value === "boolean" ? value : null;
    case "date":
      return typeof value === "string" && !Number.isNaN(Date.parse(value)) ? value : null;
    default:
      return null;
  }
}

/** The Table convention of a CRD version: its printer columns, or upstream's Age column when it has none. */
export function printerTable(columns: PrinterColumn[] | undefined): TableConvention {
  const chosen = columns?.length ? columns : [ageColumn];
  const compiled = chosen.map((c) => {
    let steps: Step[] | null;
    try {
      steps = parseJsonPath(c.jsonPath);
    } catch {
      steps = null;
    }
    return { column: c, steps };
  });
  return {
    columns: chosen.map(
      (c): TableColumn => ({
        name: c.name,
        type: c.type as TableColumn["type"],
        ...(c.format ? { format: c.format } : {}),
        description: c.description ?? "",
        priority: c.priority ?? 0,
      }),
    ),
    cells: (obj: KObject) =>
      compiled.map(({ column, steps }) => {
        const [first] = steps ? findResults(obj, steps) : [];
        return first === undefined || first === null ? null : cell(column.type, first);
      }),
  };
}
