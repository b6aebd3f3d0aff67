/**
 * The generic registry: one implementation of every verb for every kind, in the fixed order of
 * kube-apiserver's generic store. A kind only contributes its strategy.
 *
 * Objects are stored in their storage form with `metadata.resourceVersion` left out; reads add it
 * from the key's modRevision, so a stored value never needs rewriting to learn its revision.
 */
import {
  AlreadyExistsError,
  ConflictError,
  ExpiredError,
  NotFoundError,
  type Backend,
  type KeyValue,
  type WatchEvent,
} from "../storage/backend";
import { errors, invalid, StatusError, type FieldError, type Status } from "../apiserver/status";
import type { Admission } from "../admission/namespace-admission";
import type { AdmissionAttributes, WebhookAdmission } from "../admission/webhooks/dispatcher";
import type { Authorizer } from "../auth/authorizer";
import type { Clock, Ids } from "./clock";
import { formatTime } from "./clock";
import { continueExpiredMessage, decodeContinue, encodeContinue } from "./continue-token";
import { apiVersionOf, listPrefix, objectKey } from "./keys";
import { validateObjectMeta, validateObjectMetaUpdate } from "./object-meta";
import type { Selection } from "./selection";
import type { AddressAllocator, KindStrategy, KObject, StrategyContext, UserInfo } from "./types";

/**
 * A private, mutable copy of JSON data (every stored object and request body is JSON): several
 * times faster than structuredClone for the nested plain objects the registry copies on each write.
 */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export interface StoreLimits {
  /** Largest encoded object accepted (bytes). */
  maxObjectBytes: number;
  /** Most live objects in the sandbox. */
  maxObjects: number;
  /** Most encoded bytes in the sandbox. */
  maxTotalBytes: number;
}

export const defaultLimits: StoreLimits = { maxObjectBytes: 1024 * 1024, maxObjects: 50_000, maxTotalBytes: 64 * 1024 * 1024 };

/** What a namespaced write needs to know about its namespace (NamespaceLifecycle). */
export type NamespacePhase = "Active" | "Terminating" | "Missing";

export interface RegistryDeps {
  backend: Backend & {
    getStaged?<V>(key: string): KeyValue<V> | null;
    /** Resolves once the key's staged write is durable or aborted. */
    settled?(key: string): Promise<void>;
    /** Live keys counting writes not yet durable (so concurrent creates cannot overshoot a quota). */
    readonly stagedKeys?: number;
  };
  clock: Clock;
  ids: Ids;
  allocator: AddressAllocator;
  limits: StoreLimits;
  namespacePhase(namespace: string): NamespacePhase;
  /** See {@link StrategyContext.listClusterObjects}. */
  listClusterObjects(group: string, resource: string): KObject[];
  /** See {@link StrategyContext.authorizer}. */
  authorizer?(): Authorizer;
  /** Admission of new namespaced objects by the namespace's policies (LimitRange, ResourceQuota). */
  admission?: Admission;
  /** The user's admission webhooks (ValidatingWebhookConfiguration, MutatingWebhookConfiguration). */
  webhooks?: WebhookAdmission;
  /** Admission by who writes (NodeRestriction): the reason a write is forbidden, or null. */
  restrict?(attrs: AdmissionAttributes): string | null;
}

export interface WriteOptions {
  user: UserInfo;
  dryRun?: boolean;
  /** "" for the main resource, "status", or an internal subresource (e.g. "binding") that writes spec and status. */
  subresource?: string;
  /**
   * Records the write in `next.metadata.managedFields` (`old` null on create), after defaulting
   * and validation. API requests pass one; the control loop's own writes are not tracked.
   */
  trackManagedFields?(old: KObject | null, next: KObject): void;
  /** Collects the admission warnings of the write (returned as `Warning:` headers). */
  warnings?: string[];
}

export type PatchType = "json" | "merge" | "strategic" | "apply";
export type PatchFunction = (current: KObject) => KObject;

export interface DeleteOptions {
  user: UserInfo;
  dryRun?: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListOptions {
  selection: Selection;
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  items: KObject[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

export type ObjectEventType = "ADDED" | "MODIFIED" | "DELETED";
export interface ObjectEvent {
  type: ObjectEventType;
  object: KObject;
}

export type DeleteResult = { deleted: true; object: KObject } | { deleted: false; object: KObject };

const MAX_CONFLICT_RETRIES = 32;

export class ResourceStore {
  readonly gr: { group: string; resource: string };
  readonly apiVersion: string;

  constructor(readonly strategy: KindStrategy, private readonly deps: RegistryDeps) {
    this.gr = { group: strategy.group, resource: strategy.resource };
    this.apiVersion = apiVersionOf(strategy);
  }

  // ---- reads -------------------------------------------------------------------------------

  get(namespace: string, name: string): KObject {
    const kv = this.deps.backend.get<KObject>(this.key(namespace, name));
    if (!kv) throw errors.notFound(this.gr, name);
    return this.decode(kv);
  }

  list(namespace: string, options: ListOptions): ListResult {
    const backend = this.deps.backend;
    let revision: number | undefined;
    let startAfter: string | undefined;
    if (options.continueToken) {
      const point = decodeContinue(options.continueToken);
      // -1: the token an expired continue hands out, which continues at the latest state.
      revision = point.revision < 0 ? undefined : point.revision;
      startAfter = point.startAfter;
    } else if (options.resourceVersionMatch === "Exact" && options.resourceVersion) {
      revision = parseResourceVersion(options.resourceVersion);
    } else if (options.resourceVersion && options.resourceVersion !== "0") {
      const wanted = parseResourceVersion(options.resourceVersion);
      if (wanted > backend.revision) {
        throw new StatusError(504, "Timeout", `Too large resource version: ${wanted}, current: ${backend.revision}`, {
          causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
          retryAfterSeconds: 1,
        });
      }
    }
    let page;
    try {
      page = backend.list<KObject>({ prefix: listPrefix(this.strategy, namespace), revision, startAfter });
    } catch (e) {
      if (e instanceof ExpiredError) {
        if (startAfter !== undefined) throw new ExpiredContinueError(encodeContinue({ revision: -1, startAfter }));
        throw errors.expired(e.message);
      }
      throw e;
    }
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const items: KObject[] = [];
    let lastKey = "";
    let remaining = 0;
    for (const kv of page.items) {
      const obj = this.decode(kv);
      if (!options.selection.matches(obj, this.strategy)) continue;
      if (items.length < limit) {
        items.push(obj);
        lastKey = kv.key;
      } else remaining++;
    }
    const result: ListResult = { items, resourceVersion: String(page.revision) };
    if (remaining > 0) {
      result.continueToken = encodeContinue({ revision: page.revision, startAfter: lastKey });
      result.remainingItemCount = remaining;
    }
    return result;
  }

  // ---- create ------------------------------------------------------------------------------

  async create(namespace: string, body: KObject, options: WriteOptions): Promise<KObject> {
    const obj = this.checkBody(body);
    const meta = obj.metadata;
    if (this.strategy.namespaced) {
      if (meta.namespace && meta.namespace !== namespace) {
        throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      meta.namespace = namespace;
      this.admitNamespace(namespace, meta.name ?? meta.generateName ?? "");
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName) meta.name = this.deps.ids.generateName(meta.generateName);
    const now = this.deps.clock.now();
    meta.uid = this.deps.ids.uid();
    meta.creationTimestamp = formatTime(now);
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (this.strategy.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    if (this.strategy.subresources?.status && !this.strategy.keepsStatusOnCreate) delete obj.status;

    const ctx = this.context(options, now);
    const admission = this.strategy.namespaced ? this.deps.admission : undefined;
    admission?.mutate(obj, this.strategy, namespace);
    this.checkRestrictions(this.attributes("CREATE", namespace, meta.name ?? "", obj, null, options));
    const webhooks = this.activeWebhooks();
    if (webhooks) replaceContents(obj, await webhooks.mutate(this.attributes("CREATE", namespace, meta.name!, obj, null, options), options.warnings));
    const prepErrors = this.strategy.prepareForCreate?.(obj, ctx) ?? [];
    const fieldErrors = [...prepErrors, ...validateObjectMeta(obj, this.strategy), ...(this.strategy.validate?.(obj) ?? [])];
    if (fieldErrors.length) throw this.invalid(obj, fieldErrors);
    admission?.validate(obj, this.strategy, namespace, options.warnings);
    if (webhooks) await webhooks.validate(this.attributes("CREATE", namespace, obj.metadata.name!, obj, null, options), options.warnings);

    options.trackManagedFields?.(null, obj);
    const stored = this.toStorage(obj);
    this.checkSize(stored, meta.name!, true);
    if (options.dryRun) return obj;
    try {
      const kv = await this.deps.backend.create(this.key(namespace, meta.name!), stored);
      return this.decode(kv);
    } catch (e) {
      if (e instanceof AlreadyExistsError) throw errors.alreadyExists(this.gr, meta.name!);
      throw e;
    }
  }

  // ---- update and patch ----------------------------------------------------------------------

  /** PUT: replaces the object; a `metadata.resourceVersion` in the body is an optimistic-concurrency precondition. */
  async update(namespace: string, name: string, body: KObject, options: WriteOptions): Promise<KObject> {
    const desired = this.checkBody(body);
    if (desired.metadata.name && desired.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${desired.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (this.strategy.namespaced && desired.metadata.namespace && desired.metadata.namespace !== namespace) {
      throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    const precondition = desired.metadata.resourceVersion;
    if (this.strategy.allowCreateOnUpdate && !this.readLatest(this.key(namespace, name))) {
      if (precondition) throw errors.notFound(this.gr, name);
      return this.create(namespace, { ...desired, metadata: { ...desired.metadata, name } }, options);
    }
    return this.guaranteedUpdate(namespace, name, options, (current) => {
      if (precondition && precondition !== current.metadata.resourceVersion) throw errors.modified(this.gr, name);
      return cloneJson(desired);
    });
  }

  /**
   * Server-side apply: `apply` computes the object from the current one, or from null when there is
   * none, in which case the object is created. Retried when a concurrent create or delete intervenes.
   */
  async apply(namespace: string, name: string, apply: (current: KObject | null) => KObject, options: WriteOptions): Promise<{ object: KObject; created: boolean }> {
    const key = this.key(namespace, name);
    const racedWith = (e: unknown, code: number, attempt: number) => e instanceof StatusError && e.code === code && attempt < MAX_CONFLICT_RETRIES;
    for (let attempt = 0; ; attempt++) {
      // Through a subresource (status) only an existing object can be applied to: 404 otherwise.
      if (options.subresource) return { object: await this.patch(namespace, name, apply, options), created: false };
      if (this.readLatest(key)) {
        try {
          return { object: await this.patch(namespace, name, apply, options), created: false };
        } catch (e) {
          if (!racedWith(e, 404, attempt)) throw e; // deleted meanwhile: create it
          continue;
        }
      }
      try {
        return { object: await this.create(namespace, apply(null), options), created: true };
      } catch (e) {
        if (!racedWith(e, 409, attempt)) throw e; // created meanwhile: apply to it
      }
    }
  }

  /** PATCH: `patch` computes the desired object from the current one; retried on storage conflicts. */
  async patch(namespace: string, name: string, patch: PatchFunction, options: WriteOptions): Promise<KObject> {
    return this.guaranteedUpdate(namespace, name, options, (current) => {
      const patched = patch(current);
      const rv = patched.metadata?.resourceVersion;
      if (rv && rv !== current.metadata.resourceVersion) throw errors.modified(this.gr, name);
      return patched;
    });
  }

  private async guaranteedUpdate(
    namespace: string,
    name: string,
    options: WriteOptions,
    desiredFrom: (current: KObject) => KObject,
  ): Promise<KObject> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.readForUpdate(key);
      if (!kv) throw errors.notFound(this.gr, name);
      const current = this.decode(kv);
      let desired = this.checkBody(desiredFrom(cloneJson(current)));
      const webhooks = this.activeWebhooks();
      if (webhooks) desired = this.checkBody((await webhooks.mutate(this.attributes("UPDATE", namespace, name, desired, current, options), options.warnings)) ?? desired);
      const next = this.prepareUpdate(desired, current, options);
      this.checkRestrictions(this.attributes("UPDATE", namespace, name, next, current, options));
      this.deps.admission?.validateUpdate(next, current, this.strategy, options.warnings);
      options.trackManagedFields?.(current, next);
      if (webhooks) await webhooks.validate(this.attributes("UPDATE", namespace, name, next, current, options), options.warnings);
      if (options.dryRun) return next;
      if (isDeepEqual(stripVolatile(next), stripVolatile(current))) return current;
      try {
        if (next.metadata.deletionTimestamp && !this.deletionHeld(next)) {
          const removed = await this.deps.backend.delete<KObject>(key, { expectedModRevision: kv.modRevision });
          return this.decode(removed);
        }
        const stored = this.toStorage(next);
        this.checkSize(stored, name, false);
        const updated = await this.deps.backend.update(key, stored, { expectedModRevision: kv.modRevision });
        return this.decode(updated);
      } catch (e) {
        if (e instanceof ConflictError && attempt < MAX_CONFLICT_RETRIES) continue;
        if (e instanceof ConflictError) throw errors.modified(this.gr, name);
        if (e instanceof NotFoundError) throw errors.notFound(this.gr, name);
        throw e;
      }
    }
  }

  /** Applies the update rules shared by PUT and PATCH: immutable metadata, subresource scoping, strategy, validation. */
  private prepareUpdate(desired: KObject, current: KObject, options: WriteOptions): KObject {
    const subresource = options.subresource ?? "";
    let next: KObject;
    if (subresource === "status") {
      // Status writes change only status (upstream ResetObjectMetaForStatus), and annotations for kinds whose status strategy allows it.
      next = { ...cloneJson(current), status: desired.status };
      if (this.strategy.subresources?.status === "with-annotations") {
        if (desired.metadata.annotations) next.metadata.annotations = desired.metadata.annotations;
        else delete next.metadata.annotations;
      }
    } else {
      next = desired;
      // The main resource cannot change status; internal subresources (binding) write both.
      if (subresource === "" && this.strategy.subresources?.status) {
        if (current.status === undefined) delete next.status;
        else next.status = cloneJson(current.status);
      }
    }
    const meta = next.metadata;
    const old = current.metadata;
    meta.name = old.name;
    if (this.strategy.namespaced) meta.namespace = old.namespace;
    else delete meta.namespace;
    meta.creationTimestamp = old.creationTimestamp;
    if (old.deletionTimestamp) {
      meta.deletionTimestamp = old.deletionTimestamp;
      meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    meta.resourceVersion = old.resourceVersion;
    if (!meta.uid) meta.uid = old.uid;

    const ctx = this.context(options, this.deps.clock.now());
    const baseGeneration = old.generation ?? 1;
    // Clients cannot set the generation; a strategy may bump it (from this base) for more than
    // spec changes, e.g. a Deployment's annotations, which upstream copies to its ReplicaSets.
    if (this.strategy.tracksGeneration) meta.generation = baseGeneration;
    const prepErrors = subresource === "" ? (this.strategy.prepareForUpdate?.(next, current, ctx) ?? []) : [];
    // Generation is judged after defaulting, so a body that omits defaulted fields is no change.
    if (this.strategy.tracksGeneration) {
      const strategyBumped = subresource === "" && (next.metadata.generation ?? baseGeneration) > baseGeneration;
      const bump = subresource !== "status" && (strategyBumped || specChanged(next, current));
      next.metadata.generation = baseGeneration + (bump ? 1 : 0);
    } else delete next.metadata.generation;
    const fieldErrors = [
      ...prepErrors,
      ...validateObjectMetaUpdate(next, current, this.strategy),
      ...(this.strategy.validate?.(next) ?? []),
      ...(subresource === "" ? (this.strategy.validateUpdate?.(next, current) ?? []) : []),
    ];
    if (fieldErrors.length) throw this.invalid(next, fieldErrors);
    return next;
  }

  // ---- delete -------------------------------------------------------------------------------

  async delete(namespace: string, name: string, options: DeleteOptions): Promise<DeleteResult> {
    this.strategy.admitDelete?.(name);
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.readForUpdate(key);
      if (!kv) throw errors.notFound(this.gr, name);
      const current = this.decode(kv);
      const pre = options.preconditions;
      if (pre?.uid && pre.uid !== current.metadata.uid) {
        throw errors.conflict(this.gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
        throw errors.conflict(
          this.gr,
          name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
        );
      }
      this.checkRestrictions(this.attributes("DELETE", namespace, name, null, current, options));
      const webhooks = this.activeWebhooks();
      if (webhooks) {
        // Mutating webhooks are asked too (they may refuse, not change: there is no object to change).
        await webhooks.mutate(this.attributes("DELETE", namespace, name, null, current, options));
        await webhooks.validate(this.attributes("DELETE", namespace, name, null, current, options));
      }
      const finalizers = deletionFinalizers(current, options);
      const grace = this.gracePeriod(current, options.gracePeriodSeconds);
      try {
        if (finalizers.length > 0 || grace > 0 || this.strategy.holdsDeletion?.(current)) {
          // Deletion waits for the finalizers or the grace period; the object stays, marked.
          const marked = cloneJson(current);
          if (finalizers.length > 0) marked.metadata.finalizers = finalizers;
          this.strategy.prepareForDeletion?.(marked);
          if (!marked.metadata.deletionTimestamp || grace < (marked.metadata.deletionGracePeriodSeconds ?? 0)) {
            marked.metadata.deletionTimestamp = formatTime(this.deps.clock.now() + grace * 1000);
            marked.metadata.deletionGracePeriodSeconds = grace;
          }
          if (options.dryRun) return { deleted: false, object: marked };
          if (isDeepEqual(stripVolatile(marked), stripVolatile(current))) return { deleted: false, object: current };
          const updated = await this.deps.backend.update(key, this.toStorage(marked), { expectedModRevision: kv.modRevision });
          return { deleted: false, object: this.decode(updated) };
        }
        if (options.dryRun) return { deleted: true, object: current };
        const removed = await this.deps.backend.delete<KObject>(key, { expectedModRevision: kv.modRevision });
        return { deleted: true, object: this.decode(removed) };
      } catch (e) {
        if (e instanceof ConflictError && attempt < MAX_CONFLICT_RETRIES) continue;
        if (e instanceof NotFoundError) throw errors.notFound(this.gr, name);
        throw e;
      }
    }
  }

  async deleteCollection(namespace: string, listOptions: ListOptions, options: DeleteOptions): Promise<KObject[]> {
    const { items } = this.list(namespace, { ...listOptions, limit: 0, continueToken: undefined });
    const deleted: KObject[] = [];
    for (const item of items) {
      try {
        const result = await this.delete(item.metadata.namespace ?? "", item.metadata.name!, options);
        deleted.push(result.object);
      } catch (e) {
        if (e instanceof StatusError && e.code === 404) continue;
        throw e;
      }
    }
    return deleted;
  }

  // ---- watch --------------------------------------------------------------------------------

  /**
   * Streams changes after `afterRevision` (as ADDED/MODIFIED/DELETED of this kind's version),
   * filtered by the selection: an object that starts matching is ADDED, one that stops is DELETED.
   * Throws 410 Expired when the revision has been compacted.
   */
  watch(namespace: string, afterRevision: number, selection: Selection, onEvent: (event: ObjectEvent) => void): () => void {
    try {
      const watcher = this.deps.backend.watch<KObject>(
        { prefix: listPrefix(this.strategy, namespace), afterRevision },
        (event) => {
          const translated = this.translateEvent(event, selection);
          if (translated) onEvent(translated);
        },
      );
      return () => watcher.cancel();
    } catch (e) {
      if (e instanceof ExpiredError) throw errors.expired(e.message);
      throw e;
    }
  }

  private translateEvent(event: WatchEvent<KObject>, selection: Selection): ObjectEvent | null {
    const object = this.decode(event.kv);
    if (event.type === "DELETE") {
      return selection.matches(object, this.strategy) ? { type: "DELETED", object } : null;
    }
    const nowMatches = selection.matches(object, this.strategy);
    const prev = event.prevKv ? this.decode(event.prevKv) : null;
    const wasMatching = prev !== null && selection.matches(prev, this.strategy);
    if (nowMatches && wasMatching) return { type: "MODIFIED", object };
    if (nowMatches) return { type: "ADDED", object };
    if (wasMatching) return { type: "DELETED", object };
    return null;
  }

  // ---- helpers ------------------------------------------------------------------------------

  get revision(): number {
    return this.deps.backend.revision;
  }

  key(namespace: string, name: string): string {
    return objectKey(this.strategy, namespace, name);
  }

  /** True while finalizers (the object's or the kind's own) or a grace period keep a deleted object. */
  private deletionHeld(obj: KObject): boolean {
    return (
      (obj.metadata.finalizers?.length ?? 0) > 0 ||
      (obj.metadata.deletionGracePeriodSeconds ?? 0) > 0 ||
      (this.strategy.holdsDeletion?.(obj) ?? false)
    );
  }

  /**
   * The grace period a DELETE gives: the kind's (graceful kinds) — never longer than one already
   * running; 0 ends it. Kinds without graceful deletion always get 0.
   */
  private gracePeriod(obj: KObject, requested: number | undefined): number {
    if (!this.strategy.deletionGracePeriod) return 0;
    const grace = this.strategy.deletionGracePeriod(obj, requested);
    const running = obj.metadata.deletionTimestamp ? obj.metadata.deletionGracePeriodSeconds : undefined;
    return running !== undefined ? Math.min(grace, running) : grace;
  }

  private readLatest(key: string): KeyValue<KObject> | null {
    const backend = this.deps.backend;
    return backend.getStaged ? backend.getStaged<KObject>(key) : backend.get<KObject>(key);
  }

  /**
   * The durable value of a key for a read-modify-write, after any write of it still in flight:
   * clients decide from durable state, so a write in flight turns into one conflict, not a spin.
   */
  private async readForUpdate(key: string): Promise<KeyValue<KObject> | null> {
    await this.deps.backend.settled?.(key);
    return this.readLatest(key);
  }

  /** The object as clients see it: this kind's version, with its resourceVersion. */
  decode(kv: KeyValue<KObject>): KObject {
    const stored = kv.value;
    const versioned = this.strategy.storage ? this.strategy.storage.fromStorage(stored) : stored;
    return {
      ...versioned,
      apiVersion: this.apiVersion,
      kind: this.strategy.kind,
      metadata: { ...versioned.metadata, resourceVersion: String(kv.modRevision) },
    };
  }

  private toStorage(obj: KObject): KObject {
    const stored = this.strategy.storage ? this.strategy.storage.toStorage(obj) : obj;
    const { resourceVersion: _rv, ...metadata } = stored.metadata;
    return { ...stored, metadata };
  }

  /** A private, validated copy of a request body with the kind's apiVersion and kind. */
  private checkBody(body: unknown): KObject {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw errors.badRequest(`Object '${this.strategy.kind}' is not a valid object`);
    }
    const obj = cloneJson(body) as KObject;
    if (obj.apiVersion !== undefined && obj.apiVersion !== this.apiVersion) {
      throw errors.badRequest(
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${this.apiVersion})`,
      );
    }
    if (obj.kind !== undefined && obj.kind !== this.strategy.kind) {
      throw errors.badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${this.strategy.kind})`);
    }
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (typeof obj.metadata !== "object" || Array.isArray(obj.metadata)) {
      throw errors.badRequest(`${this.strategy.kind} in version "${this.strategy.version}" cannot be handled as a ${this.strategy.kind}: metadata must be an object`);
    }
    obj.apiVersion = this.apiVersion;
    obj.kind = this.strategy.kind;
    return obj;
  }

  private admitNamespace(namespace: string, name: string): void {
    const phase = this.deps.namespacePhase(namespace);
    if (phase === "Missing") throw errors.notFound({ group: "", resource: "namespaces" }, namespace);
    if (phase === "Terminating") {
      throw errors.forbidden(
        this.gr,
        name,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  private checkSize(stored: KObject, name: string, isCreate: boolean): void {
    const bytes = JSON.stringify(stored).length;
    const { limits, backend } = this.deps;
    if (bytes > limits.maxObjectBytes) {
      throw errors.tooLarge(`Request entity too large: the object is ${bytes} bytes, the limit is ${limits.maxObjectBytes}`);
    }
    const stats = backend.stats;
    const keys = backend.stagedKeys ?? stats.keys;
    if (isCreate && keys >= limits.maxObjects) {
      throw errors.forbidden(this.gr, name, `sandbox object quota exceeded: ${keys} objects stored, the limit is ${limits.maxObjects}`);
    }
    if (stats.bytes + bytes > limits.maxTotalBytes) {
      throw errors.forbidden(this.gr, name, `sandbox storage quota exceeded: ${stats.bytes} bytes stored, the limit is ${limits.maxTotalBytes}`);
    }
  }

  private checkRestrictions(attrs: AdmissionAttributes): void {
    const reason = this.deps.restrict?.(attrs);
    if (reason) throw errors.forbidden(this.gr, attrs.name, reason);
  }

  /** The admission webhooks, when any configuration exists (writes otherwise never wait for them). */
  private activeWebhooks(): WebhookAdmission | null {
    return this.deps.webhooks?.active() ? this.deps.webhooks : null;
  }

  private attributes(
    operation: AdmissionAttributes["operation"],
    namespace: string,
    name: string,
    object: KObject | null,
    oldObject: KObject | null,
    options: { user: UserInfo; dryRun?: boolean; subresource?: string },
  ): AdmissionAttributes {
    const { group, version, kind, resource, namespaced } = this.strategy;
    return { operation, group, version, kind, resource, subresource: options.subresource ?? "", namespaced, namespace: namespaced ? namespace : "", name, object, oldObject, user: options.user, dryRun: !!options.dryRun };
  }

  private context(options: WriteOptions, now: number): StrategyContext {
    return { now: new Date(now), user: options.user, allocator: this.deps.allocator, listClusterObjects: this.deps.listClusterObjects, authorizer: this.deps.authorizer?.() };
  }

  private invalid(obj: KObject, fieldErrors: FieldError[]): StatusError {
    return invalid(this.strategy.kind, this.strategy.group, obj.metadata.name ?? "", fieldErrors);
  }
}

/**
 * 410 Expired for a continue token whose snapshot is compacted. As upstream's etcd3 store
 * (handleCompactedErrorForPaging), the Status's list metadata carries a token that continues
 * after the same key at the latest state, which the message offers.
 */
class ExpiredContinueError extends StatusError {
  constructor(readonly continueToken: string) {
    super(410, "Expired", continueExpiredMessage);
  }

  override toStatus(): Status {
    return { ...super.toStatus(), metadata: { continue: this.continueToken } as unknown as Status["metadata"] };
  }
}

/** The finalizers a delete leaves on the object: its own, plus the propagation policy's. */
function deletionFinalizers(obj: KObject, options: DeleteOptions): string[] {
  const finalizers = [...(obj.metadata.finalizers ?? [])];
  const policy = options.propagationPolicy ?? (options.orphanDependents ? "Orphan" : undefined);
  const add = (f: string) => {
    if (!finalizers.includes(f)) finalizers.push(f);
  };
  if (!obj.metadata.deletionTimestamp) {
    if (policy === "Foreground") add("foregroundDeletion");
    if (policy === "Orphan") add("orphan");
  }
  return finalizers;
}

export function parseResourceVersion(rv: string): number {
  if (!/^\d+$/.test(rv)) throw errors.badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return Number(rv);
}

function stripVolatile(obj: KObject): KObject {
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** True when anything outside metadata and status differs. */
function specChanged(a: KObject, b: KObject): boolean {
  const strip = ({ metadata: _m, status: _s, ...rest }: KObject) => rest;
  return !isDeepEqual(strip(a), strip(b));
}

export function isDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => isDeepEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => isDeepEqual(ao[k], bo[k]));
}

/** Makes `target` hold exactly `source`'s members (a mutating webhook's result replaces the object in place). */
function replaceContents(target: KObject, source: KObject | null): void {
  if (!source || source === target) return;
  for (const key of Object.keys(target)) delete (target as Record<string, unknown>)[key];
  Object.assign(target, source);
}
