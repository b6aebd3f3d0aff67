/**
 * Controller history (k8s.io/kubernetes pkg/controller/history and the revision helpers of
 * pkg/controller/daemon/update.go and pkg/controller/statefulset/stateful_set_utils.go): the
 * apps/v1 ControllerRevisions a DaemonSet or StatefulSet keeps of its pod templates, which
 * `kubectl rollout history` lists (by the parent's selector, then by controller uid) and
 * `kubectl rollout undo` applies back as a strategic-merge patch.
 *
 * A revision's `data` is the parent's template as a patch, `{"spec":{"template":{…,
 * "$patch":"replace"}}}`, with the template's `metadata.creationTimestamp: null` as Go's encoder
 * writes it. Two revisions are equal when their data encode to the same bytes under Go's
 * json.Marshal of a decoded map ({@link goJson}: sorted keys, HTML-escaped strings) — the bytes
 * upstream hashes (FNV-1 32, then the collision count as decimal text) for a StatefulSet revision's
 * name `<parent>-<hash>` and compares with bytes.Equal. The revision carries the template's labels
 * plus `controller-revision-hash`, the parent's annotations and a controller reference to the
 * parent, so the garbage collector deletes it with the parent.
 *
 * Watch events → keys: a ControllerRevision event enqueues DaemonSets (daemonset.ts,
 * daemonSetKeysForRevision); as upstream, the StatefulSet controller does not watch revisions.
 */
import { StatusError } from "../../apiserver/status";
import type { Registry } from "../../registry/registry";
import type { ResourceStore } from "../../registry/store";
import { selectEverything } from "../../registry/selection";
import type { KObject, UserInfo } from "../../registry/types";
import { safeEncodeString } from "./deployment";
import { claimPods } from "./replicaset";
import { adoptAndRelease, clone, getOrNull, isConflictOrNotFound, newControllerRef } from "./workloads";

/** ControllerRevisionHashLabel (apps.DefaultDaemonSetUniqueLabelKey / StatefulSetRevisionLabel). */
export const CONTROLLER_REVISION_HASH = "controller-revision-hash";
/** The default of `spec.revisionHistoryLimit` for DaemonSets and StatefulSets. */
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/* eslint-disable @typescript-eslint/no-explicit-any */

// ---- encoding and hashing -------------------------------------------------------------------

const goEscapes: Record<string, string> = { "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029" };

/** Go's json.Marshal of a decoded JSON value: object keys sorted, `<`, `>`, `&`, U+2028/9 escaped. */
export function goJson(v: unknown): string {
  const encode = (x: unknown): string => {
    if (Array.isArray(x)) return `[${x.map(encode).join(",")}]`;
    if (x && typeof x === "object") {
      const o = x as Record<string, unknown>;
      const keys = Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${keys.map((k) => `${JSON.stringify(k)}:${encode(o[k])}`).join(",")}}`;
    }
    return JSON.stringify(x ?? null);
  };
  return encode(v).replace(/[<>&\u2028\u2029]/g, (c) => goEscapes[c]!);
}

/** hash/fnv New32 (FNV-1, multiply then xor) over the UTF-8 bytes of `text`. */
export function fnv32(text: string, hash = 0x811c9dc5): number {
  for (const byte of new TextEncoder().encode(text)) {
    hash = Math.imul(hash, 0x01000193) >>> 0;
    hash ^= byte;
  }
  return hash >>> 0;
}

/** HashControllerRevision: FNV-1 of the data's bytes, then of the probe (collision count) in decimal. */
export function hashControllerRevision(data: unknown, probe?: number): string {
  let h = fnv32(goJson(data));
  if (probe !== undefined && probe !== null) h = fnv32(String(probe), h);
  return safeEncodeString(String(h));
}

/** ControllerRevisionName: `<prefix>-<hash>`, the prefix cut to 223 characters. */
export function controllerRevisionName(prefix: string, hash: string): string {
  return `${prefix.slice(0, 223)}-${hash}`;
}

// ---- revision data ----------------------------------------------------------------------------

/**
 * getPatch: the parent's template as a replacing strategic-merge patch, its keys in Go's order
 * (sorted), so the bytes served are the ones kubectl's rollback compares with its own encoding.
 */
export function templatePatch(parent: KObject): Record<string, unknown> {
  const template = clone(parent.spec?.template ?? {});
  template.metadata = { ...(template.metadata ?? {}), creationTimestamp: template.metadata?.creationTimestamp ?? null };
  return sortedKeys({ spec: { template: { ...template, $patch: "replace" } } }) as Record<string, unknown>;
}

/** A JSON value rebuilt with every object's keys inserted in sorted order. */
function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (!v || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) if (o[k] !== undefined) out[k] = sortedKeys(o[k]);
  return out;
}

/** The template a revision restores (ApplyRevision's spec.template), without the patch directive and Go's null timestamp. */
export function templateOf(revision: KObject): Record<string, any> {
  const template = clone(revision.data?.spec?.template ?? {});
  delete template.$patch;
  if (template.metadata?.creationTimestamp === null) delete template.metadata.creationTimestamp;
  if (template.metadata && Object.keys(template.metadata).length === 0) delete template.metadata;
  return template;
}

/** Whether a revision snapshots the parent's current template (the daemon controller's Match). */
export function matchesTemplate(parent: KObject, revision: KObject): boolean {
  return goJson(templatePatch(parent)) === goJson(revision.data);
}

/** EqualRevision: same data bytes. */
export function equalRevision(a: KObject, b: KObject): boolean {
  return goJson(a.data) === goJson(b.data);
}

export const revisionNumber = (revision: KObject): number => (typeof revision.revision === "number" ? revision.revision : 0);

/** SortControllerRevisions: by revision number, then creation, then name (oldest first). */
export function sortRevisions(revisions: readonly KObject[]): KObject[] {
  const created = (r: KObject) => String(r.metadata.creationTimestamp ?? "");
  const name = (r: KObject) => String(r.metadata.name);
  return [...revisions].sort(
    (a, b) => revisionNumber(a) - revisionNumber(b) || (created(a) < created(b) ? -1 : created(a) > created(b) ? 1 : 0) || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0),
  );
}

/** The number after the highest one (1 for an empty history). */
export function nextRevision(revisions: readonly KObject[]): number {
  return revisions.reduce((max, r) => Math.max(max, revisionNumber(r)), 0) + 1;
}

/** `spec.revisionHistoryLimit`, defaulted. */
export function revisionHistoryLimit(parent: KObject): number {
  const limit = parent.spec?.revisionHistoryLimit;
  return typeof limit === "number" && limit >= 0 ? limit : DEFAULT_REVISION_HISTORY_LIMIT;
}

/**
 * A new revision of the parent's template (history.NewControllerRevision): labelled with the
 * template's labels and the hash, annotated with the parent's annotations, controlled by the
 * parent (`kind`), named `<parent>-<hash>` unless `hash` is given (the DaemonSet names its
 * revisions by its template hash).
 */
export function newControllerRevision(parent: KObject, kind: string, revision: number, opts: { hash?: string; collisionCount?: number } = {}): KObject {
  const data = templatePatch(parent);
  const hash = opts.hash ?? hashControllerRevision(data, opts.collisionCount ?? 0);
  const typed = { ...parent, apiVersion: "apps/v1", kind };
  const metadata: KObject["metadata"] = {
    name: controllerRevisionName(String(parent.metadata.name), hash),
    namespace: parent.metadata.namespace,
    labels: { ...(parent.spec?.template?.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH]: hash },
    ownerReferences: [newControllerRef(typed)],
  };
  if (parent.metadata.annotations && Object.keys(parent.metadata.annotations).length) metadata.annotations = clone(parent.metadata.annotations);
  return { apiVersion: "apps/v1", kind: "ControllerRevision", metadata, data, revision };
}

// ---- the history store ----------------------------------------------------------------------

const isAlreadyExists = (e: unknown): boolean => e instanceof StatusError && e.reason === "AlreadyExists";

/** realHistory: the revision writes both controllers make, as `user`. */
export function controllerHistory(registry: Registry, user: UserInfo) {
  const store: ResourceStore = registry.resource("apps", "controllerrevisions");
  return {
    store,

    /**
     * ClaimControllerRevisions: the parent's revisions after adopting matching orphans and
     * releasing owned ones that stopped matching its selector.
     */
    async claim(parent: KObject, kind: string): Promise<KObject[]> {
      const all = store.list(parent.metadata.namespace!, { selection: selectEverything }).items;
      return adoptAndRelease(store, { ...parent, apiVersion: "apps/v1", kind }, claimPods(parent, all), user);
    },

    /**
     * CreateControllerRevision: creates the revision; when its name is taken by a revision with
     * other data, bumps `collisionCount.value` and tries the next name. An existing equal revision
     * is answered as is.
     */
    async create(parent: KObject, revision: KObject, collisionCount: { value: number }): Promise<KObject> {
      for (;;) {
        const candidate = clone(revision);
        candidate.metadata.name = controllerRevisionName(String(parent.metadata.name), hashControllerRevision(revision.data, collisionCount.value));
        try {
          return await store.create(parent.metadata.namespace!, candidate, { user });
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
          const existing = getOrNull(store, parent.metadata.namespace!, candidate.metadata.name!);
          if (existing && equalRevision(existing, candidate)) return existing;
          collisionCount.value++;
        }
      }
    },

    /** UpdateControllerRevision: gives the revision a new number (nothing is written when it has it). */
    async renumber(revision: KObject, to: number): Promise<KObject> {
      if (revisionNumber(revision) === to) return revision;
      return store.patch(
        revision.metadata.namespace!,
        revision.metadata.name!,
        (current) => {
          current.revision = to;
          return current;
        },
        { user },
      );
    },

    /** Adds missing labels (the daemon controller's hash label on revisions made by older controllers). */
    async label(revision: KObject, labels: Record<string, string>): Promise<KObject> {
      if (Object.entries(labels).every(([k, v]) => revision.metadata.labels?.[k] === v)) return revision;
      return store.patch(
        revision.metadata.namespace!,
        revision.metadata.name!,
        (current) => {
          current.metadata.labels = { ...(current.metadata.labels ?? {}), ...labels };
          return current;
        },
        { user },
      );
    },

    /** DeleteControllerRevision (gone already is fine). */
    async delete(revision: KObject): Promise<void> {
      try {
        await store.delete(revision.metadata.namespace!, revision.metadata.name!, { user, preconditions: { uid: revision.metadata.uid } });
      } catch (e) {
        if (!isConflictOrNotFound(e)) throw e;
      }
    },
  };
}

export type ControllerHistory = ReturnType<typeof controllerHistory>;
