/**
 * Field paths and field sets, as sigs.k8s.io/structured-merge-diff (fieldpath) defines them, and
 * their `FieldsV1` JSON form as stored in `metadata.managedFields[].fieldsV1`.
 *
 * A path element is one of:
 * - `f:<name>`  a field of an object (struct field or map key),
 * - `k:{...}`   an item of an associative list, named by its key fields (keys sorted by name),
 * - `v:<json>`  an item of a set (a list of primitives), named by its value,
 * - `i:<n>`     an item of a list by position (only for lists with no other identity).
 *
 * A set holds paths. A node that is itself in the set and also has descendants in the set is
 * written with a `".": {}` entry; everything else is nested objects ending in `{}`. Entries are
 * written in upstream's element order: fields (by name) before keys before values before indexes.
 */

export type PathElement =
  | { readonly field: string }
  | { readonly key: readonly (readonly [string, unknown])[] }
  | { readonly value: unknown }
  | { readonly index: number };

export type Path = readonly PathElement[];

/** JSON as Go's encoding/json writes it: like JSON.stringify, plus `<`, `>`, `&`, U+2028/9 escaped. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The JSON object of a key with its fields in name order (the order upstream keeps keys in). */
function keyObjectJson(key: readonly (readonly [string, unknown])[]): string {
  return `{${key.map(([name, value]) => `${goJson(name)}:${goJson(value)}`).join(",")}}`;
}

export function serializePathElement(pe: PathElement): string {
  if ("field" in pe) return `f:${pe.field}`;
  if ("key" in pe) return `k:${keyObjectJson(pe.key)}`;
  if ("value" in pe) return `v:${goJson(pe.value)}`;
  return `i:${pe.index}`;
}

/** Parses one FieldsV1 member name; throws on anything upstream would not accept. */
export function parsePathElement(text: string): PathElement {
  const body = text.slice(2);
  switch (text.slice(0, 2)) {
    case "f:":
      return { field: body };
    case "k:": {
      const parsed: unknown = JSON.parse(body);
      if (!isPlainObject(parsed)) throw new Error(`invalid key: ${text}`);
      return keyElement(Object.entries(parsed));
    }
    case "v:":
      return { value: JSON.parse(body) as unknown };
    case "i:": {
      const index = Number(body);
      if (!Number.isInteger(index) || index < 0) throw new Error(`invalid index: ${text}`);
      return { index };
    }
    default:
      throw new Error(`unknown path element type: ${text}`);
  }
}

/** A key element with its fields sorted by name. */
export function keyElement(fields: readonly (readonly [string, unknown])[]): PathElement {
  return { key: [...fields].sort(([a], [b]) => compareStrings(a, b)) };
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function typeRank(v: unknown): number {
  if (typeof v === "number") return 0;
  if (typeof v === "string") return 1;
  if (typeof v === "boolean") return 2;
  if (Array.isArray(v)) return 3;
  if (v !== null && typeof v === "object") return 4;
  return 5; // null
}

/** Upstream's total order of values: numbers < strings < booleans < lists < maps < null. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === "number") return Math.sign(a - (b as number));
  if (typeof a === "string") return compareStrings(a, b as string);
  if (typeof a === "boolean") return Number(a) - Number(b);
  if (ra === 3 || ra === 4) return compareStrings(goJson(a), goJson(b));
  return 0;
}

const elementRank = (pe: PathElement): number => ("field" in pe ? 0 : "key" in pe ? 1 : "value" in pe ? 2 : 3);

export function comparePathElements(a: PathElement, b: PathElement): number {
  const ra = elementRank(a);
  const rb = elementRank(b);
  if (ra !== rb) return ra - rb;
  if ("field" in a) return compareStrings(a.field, (b as { field: string }).field);
  if ("key" in a) {
    const bk = (b as { key: readonly (readonly [string, unknown])[] }).key;
    for (let i = 0; ; i++) {
      if (i >= a.key.length || i >= bk.length) return a.key.length - bk.length;
      const byName = compareStrings(a.key[i][0], bk[i][0]);
      if (byName !== 0) return byName;
      const byValue = compareValues(a.key[i][1], bk[i][1]);
      if (byValue !== 0) return byValue;
    }
  }
  if ("value" in a) return compareValues(a.value, (b as { value: unknown }).value);
  return a.index - (b as { index: number }).index;
}

/** A value as upstream prints it inside a path: strings quoted, everything else bare. */
function valueText(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (typeof v === "object") return goJson(v);
  return String(v);
}

/** The path as upstream prints it in conflicts: `.spec.template.spec.containers[name="nginx"].image`. */
export function pathString(path: Path): string {
  return path
    .map((pe) => {
      if ("field" in pe) return `.${pe.field}`;
      if ("key" in pe) return `[${pe.key.map(([k, v]) => `${k}=${valueText(v)}`).join(",")}]`;
      if ("value" in pe) return `[=${valueText(pe.value)}]`;
      return `[${pe.index}]`;
    })
    .join("");
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

interface ChildNode {
  pe: PathElement;
  set: FieldSet;
}

/** An immutable-by-convention set of paths (a trie); operations return new sets. */
export class FieldSet {
  private readonly members = new Map<string, PathElement>();
  private readonly children = new Map<string, ChildNode>();

  static of(...paths: Path[]): FieldSet {
    const set = new FieldSet();
    for (const p of paths) set.insert(p);
    return set;
  }

  /** Adds a path (mutates; use while building a set). The empty path is ignored. */
  insert(path: Path): void {
    if (path.length === 0) return;
    const [head, ...rest] = path;
    const id = serializePathElement(head);
    if (rest.length === 0) {
      this.members.set(id, head);
      return;
    }
    let child = this.children.get(id);
    if (!child) {
      child = { pe: head, set: new FieldSet() };
      this.children.set(id, child);
    }
    child.set.insert(rest);
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    const id = serializePathElement(path[0]);
    if (path.length === 1) return this.members.has(id);
    return this.children.get(id)?.set.has(path.slice(1)) ?? false;
  }

  isEmpty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.set.isEmpty()) return false;
    return true;
  }

  /** The paths under `pe` (relative to it), empty when there are none. */
  childSet(pe: PathElement): FieldSet {
    return this.children.get(serializePathElement(pe))?.set ?? new FieldSet();
  }

  hasMember(pe: PathElement): boolean {
    return this.members.has(serializePathElement(pe));
  }

  union(other: FieldSet): FieldSet {
    const out = this.copy();
    for (const [id, pe] of other.members) out.members.set(id, pe);
    for (const [id, c] of other.children) {
      const mine = out.children.get(id);
      out.children.set(id, { pe: c.pe, set: mine ? mine.set.union(c.set) : c.set.copy() });
    }
    return out;
  }

  /** The paths of this set that are not in `other` (a member of `other` does not remove descendants). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) if (!other.members.has(id)) out.members.set(id, pe);
    for (const [id, c] of this.children) {
      const theirs = other.children.get(id);
      const rest = theirs ? c.set.difference(theirs.set) : c.set.copy();
      if (!rest.isEmpty()) out.children.set(id, { pe: c.pe, set: rest });
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) if (other.members.has(id)) out.members.set(id, pe);
    for (const [id, c] of this.children) {
      const theirs = other.children.get(id);
      if (!theirs) continue;
      const both = c.set.intersection(theirs.set);
      if (!both.isEmpty()) out.children.set(id, { pe: c.pe, set: both });
    }
    return out;
  }

  /** This set without the given paths and everything below them. */
  withoutSubtrees(prefixes: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) if (!prefixes.members.has(id)) out.members.set(id, pe);
    for (const [id, c] of this.children) {
      if (prefixes.members.has(id)) continue;
      const theirs = prefixes.children.get(id);
      const rest = theirs ? c.set.withoutSubtrees(theirs.set) : c.set.copy();
      if (!rest.isEmpty()) out.children.set(id, { pe: c.pe, set: rest });
    }
    return out;
  }

  /**
   * This set plus every object field on the way to its paths as a member (upstream's
   * EnsureNamedFieldsAreMembers), so that pruning can tell which ancestors a manager relies on.
   */
  withNamedFieldsAsMembers(): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) out.members.set(id, pe);
    for (const [id, c] of this.children) {
      if ("field" in c.pe) out.members.set(id, c.pe);
      out.children.set(id, { pe: c.pe, set: c.set.withNamedFieldsAsMembers() });
    }
    return out;
  }

  /** Every member path, in upstream's iteration order (members of a node, then its children). */
  paths(): Path[] {
    const out: Path[] = [];
    const walk = (set: FieldSet, prefix: Path): void => {
      for (const pe of sortedElements([...set.members.values()])) out.push([...prefix, pe]);
      for (const c of set.sortedChildren()) walk(c.set, [...prefix, c.pe]);
    };
    walk(this, []);
    return out;
  }

  equals(other: FieldSet): boolean {
    return JSON.stringify(this.toFieldsV1()) === JSON.stringify(other.toFieldsV1());
  }

  /** The FieldsV1 JSON object, keys in upstream's order. */
  toFieldsV1(): Record<string, unknown> {
    return this.fieldsV1Contents(false);
  }

  private fieldsV1Contents(includeSelf: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const childNodes = this.sortedChildren().filter((c) => !c.set.isEmpty());
    if (includeSelf && (this.members.size > 0 || childNodes.length > 0)) out["."] = {};
    const entries: { pe: PathElement; child?: FieldSet }[] = [];
    for (const pe of this.members.values()) entries.push({ pe });
    for (const c of childNodes) {
      const id = serializePathElement(c.pe);
      const existing = this.members.has(id) ? entries.find((e) => serializePathElement(e.pe) === id) : undefined;
      if (existing) existing.child = c.set;
      else entries.push({ pe: c.pe, child: c.set });
    }
    entries.sort((a, b) => comparePathElements(a.pe, b.pe));
    for (const e of entries) {
      const isMember = this.members.has(serializePathElement(e.pe));
      out[serializePathElement(e.pe)] = e.child ? e.child.fieldsV1Contents(isMember) : {};
    }
    return out;
  }

  /** Reads a FieldsV1 JSON object; throws on malformed input. */
  static fromFieldsV1(json: unknown): FieldSet {
    if (!isPlainObject(json)) throw new Error("FieldsV1 must be a JSON object");
    const set = new FieldSet();
    for (const [name, value] of Object.entries(json)) {
      if (name === ".") continue;
      if (!isPlainObject(value)) throw new Error(`FieldsV1 entry ${name} must be an object`);
      const pe = parsePathElement(name);
      const id = serializePathElement(pe);
      const entries = Object.keys(value);
      if (entries.length === 0 || Object.hasOwn(value, ".")) set.members.set(id, pe);
      if (entries.some((k) => k !== ".")) set.children.set(id, { pe, set: FieldSet.fromFieldsV1(value) });
    }
    return set;
  }

  private sortedChildren(): ChildNode[] {
    return [...this.children.values()].sort((a, b) => comparePathElements(a.pe, b.pe));
  }

  private copy(): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) out.members.set(id, pe);
    for (const [id, c] of this.children) out.children.set(id, { pe: c.pe, set: c.set.copy() });
    return out;
  }
}

function sortedElements(elements: PathElement[]): PathElement[] {
  return elements.sort(comparePathElements);
}

