/**
 * One running sandbox: its storage, registry and Kubernetes API, assembled from parts passed in
 * (backend, clock, ids), so the same assembly runs in the Durable Object and in plain Node tests.
 */
import { StaticPodManifests } from "../controlplane/kubelet/static-pods";
import { loadSigningKey, type SigningKey } from "../auth/tokens/signing-key";
import { authorizerFor } from "../auth/rbac-objects";
import { namespaceAdmission } from "../admission/namespace-admission";
import { admissionWebhooks } from "../admission/webhooks/dispatcher";
import { admitNodeRestriction } from "../admission/node-restriction";
import { ADMISSION_GROUP, MUTATING_RESOURCE, VALIDATING_RESOURCE } from "../registry/kinds/admissionregistration";
import { ConfigurationCache } from "../admission/webhooks/configurations";
import { getOrNull } from "../controlplane/controllers/workloads";
import { ApiServer } from "../apiserver/app";
import { errors } from "../apiserver/status";
import { type Clock, type Ids } from "../registry/clock";
import { SandboxClock, type SandboxClockState } from "../controlplane/clock";
import { ControlPlane } from "../controlplane/control-plane";
import { defineEstablishedCrds } from "../apiextensions/custom-resource";
import { Registry } from "../registry/registry";
import { defaultLimits, type NamespacePhase, type RegistryDeps, type StoreLimits } from "../registry/store";
import { builtinKinds } from "../registry/kinds";
import { selectEverything } from "../registry/selection";
import type { KObject, UserInfo } from "../registry/types";
import type { Backend, KeyValue } from "../storage/backend";
import { createAllocator } from "./allocator";
import type { ResourceObject } from "./addons";
import { bootstrapObjects } from "./bootstrap";
import type { SandboxSpec } from "./spec";

/** What the management plane records about a sandbox. */
export interface SandboxRecord {
  id: string;
  name: string;
  owner: string;
  createdAt: number;
  expiresAt: number | null;
  kubernetesVersion: string;
  speed: number;
  spec: SandboxSpec;
  tokenGeneration: number;
}

/** Watches open at once in a sandbox, unless its deps say otherwise. */
export const DEFAULT_MAX_WATCHES = 256;

export interface SandboxDeps {
  backend: RegistryDeps["backend"];
  clock: Clock;
  ids: Ids;
  limits?: Partial<StoreLimits>;
  /** Checks a bearer token presented to the Kubernetes API. */
  authenticate(token: string): Promise<UserInfo | null>;
  /** Counters of the persistence layer (D1 commits and statements), when it has any. */
  storageStats?(): { commits: number; statements: number; writes: number };
  /** Most concurrently open watches. */
  maxWatches?: number;
  /** Most requests served at once, watches aside (default 200). */
  maxInFlight?: number;
  /** See ApiServerOptions.admitRequest (default: no rate limit). */
  admitRequest?(): number;
  /** The sandbox clock as last persisted (after an advance); a fresh clock at the record's speed otherwise. */
  clockState?: SandboxClockState;
  /**
   * Asked to run `controlPlane.runDue()` at a real epoch time (null: nothing due). The Durable
   * Object sets its alarm; without it the sandbox uses a timer.
   */
  wake?(realTimeMs: number | null): void;
  /** The nodes' static pod manifests as last persisted (default: none, kept in memory). */
  staticPods?: StaticPodManifests;
  /** The sandbox's token signing key (default: one made for this instance, kept in memory). */
  signingKey?(): Promise<SigningKey>;
  /** How admission webhooks are called (default: the global fetch). */
  fetch?: typeof fetch;
  /** Local development: admission webhooks may be plain http to loopback (default: no). */
  allowLoopbackHttp?: boolean;
}

export interface SandboxStats {
  storage: { revision: number; keys: number; bytes: number; commits: number; statements: number; writes: number };
  openWatches: number;
}

/** A signing key made on first use and kept only in this instance's memory (tests, in-process sandboxes). */
function inMemorySigningKey(sandboxId: string): () => Promise<SigningKey> {
  const cells = new Map<string, unknown>();
  const storage = { get: async <T>(key: string) => cells.get(key) as T | undefined, put: async <T>(key: string, value: T) => void cells.set(key, value) };
  let key: Promise<SigningKey> | null = null;
  return () => (key ??= loadSigningKey(storage, "in-memory", sandboxId));
}

/** The identity of the sandbox's own control plane when it writes through the registry. */
export const systemUser: UserInfo = { username: "system:apiserver", groups: ["system:masters"] };

export class Sandbox {
  readonly registry: Registry;
  readonly api: ApiServer;
  readonly controlPlane: ControlPlane;
  /** The manifest directories of the nodes: their static pods show as mirror pods. */
  readonly staticPods: StaticPodManifests;
  /** Wall-clock timestamps, and the schedule that speed and clock:advance move; persist `clock.toState()`. */
  readonly clock: SandboxClock;
  private openWatches = 0;
  /** The key the sandbox signs its tokens with. */
  readonly signingKey: () => Promise<SigningKey>;

  constructor(readonly record: SandboxRecord, private readonly deps: SandboxDeps) {
    let webhookConfigurations: Record<typeof VALIDATING_RESOURCE | typeof MUTATING_RESOURCE, ConfigurationCache> | undefined;
    const services = () => this.registry.resource("", "services").list("", { selection: { matches: () => true } }).items;
    this.registry = new Registry(builtinKinds, {
      backend: deps.backend,
      clock: deps.clock,
      ids: deps.ids,
      limits: { ...defaultLimits, ...deps.limits },
      allocator: createAllocator({
        serviceIPs: () => services().flatMap((s) => (s.spec?.clusterIPs ?? [s.spec?.clusterIP]).filter((ip: unknown) => typeof ip === "string" && ip !== "None")),
        nodePorts: () => services().flatMap((s) => (s.spec?.ports ?? []).map((p: { nodePort?: number }) => p.nodePort).filter((p: unknown) => typeof p === "number")),
      }, () => deps.clock.now()),
      namespacePhase: (ns) => this.namespacePhase(ns),
      listClusterObjects: (group, resource) => this.registry.resource(group, resource).list("", { selection: selectEverything }).items,
      authorizer: () => authorizerFor(this.registry),
      admission: namespaceAdmission({
        list: (group, resource, ns) => this.registry.find(group, resource)?.list(ns, { selection: selectEverything }).items ?? [],
        namespace: (name) => getOrNull(this.registry.resource("", "namespaces"), "", name),
      }),
      restrict: (attrs) =>
        admitNodeRestriction(attrs.user, attrs, {
          pod: (namespace, name) => getOrNull(this.registry.resource("", "pods"), namespace, name),
          node: (name) => getOrNull(this.registry.resource("", "nodes"), "", name),
        }),
      webhooks: admissionWebhooks({
        configurations: (resource) => (webhookConfigurations ??= this.watchWebhookConfigurations())[resource].current,
        namespaceLabels: (name) => getOrNull(this.registry.resource("", "namespaces"), "", name)?.metadata.labels,
        fetch: deps.fetch ?? ((input, init) => fetch(input, init)),
        allowLoopbackHttp: deps.allowLoopbackHttp ?? false,
        uid: () => deps.ids.uid(),
      }),
    });
    this.signingKey = deps.signingKey ?? inMemorySigningKey(record.id);
    // Custom resources of CRDs already stored (a sandbox loaded from its backend) are served again.
    defineEstablishedCrds(this.registry);
    this.api = new ApiServer({
      registry: this.registry,
      clock: deps.clock,
      kubernetesVersion: record.kubernetesVersion,
      authenticate: deps.authenticate,
      openWatch: () => this.openWatch(),
      speed: () => this.clock.speed,
      signingKey: this.signingKey,
      maxInFlight: deps.maxInFlight,
      admitRequest: deps.admitRequest,
    });
    this.clock = deps.clockState ? SandboxClock.fromState(deps.clock, deps.clockState) : SandboxClock.start(deps.clock, record.speed);
    this.staticPods = deps.staticPods ?? new StaticPodManifests();
    this.controlPlane = new ControlPlane({
      staticPods: this.staticPods,
      registry: this.registry,
      clock: this.clock,
      user: systemUser,
      kubernetesVersion: record.kubernetesVersion,
      wake: (at) => (deps.wake ?? this.wakeByTimer)(at),
      signingKey: this.signingKey,
    });
  }

  /** The admission webhook configurations, watched (made on the first write that asks for them). */
  private watchWebhookConfigurations() {
    return {
      [VALIDATING_RESOURCE]: new ConfigurationCache(this.registry.resource(ADMISSION_GROUP, VALIDATING_RESOURCE)),
      [MUTATING_RESOURCE]: new ConfigurationCache(this.registry.resource(ADMISSION_GROUP, MUTATING_RESOURCE)),
    };
  }

  /** Runs the control loop at the asked time with a timer, when the host gives no `wake`. */
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private readonly wakeByTimer = (at: number | null) => {
    clearTimeout(this.timer);
    if (at === null || this.closed) return;
    this.timer = setTimeout(() => void this.controlPlane.runDue(), Math.max(0, at - this.deps.clock.now()));
  };

  /** Stops a timer-driven control loop for good (a sandbox dropped by a test or benchmark). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  /**
   * Writes the objects of a fresh kubeadm-like cluster: namespaces, then what lives in them, then
   * kubeadm's static pod manifests, whose mirror pods are posted before this returns.
   */
  async bootstrap(): Promise<void> {
    const plan = bootstrapObjects(this.record.spec, this.record.id, this.deps.clock.now());
    const options = { user: systemUser };
    const createAll = (entries: ResourceObject[]) =>
      Promise.all(entries.map(({ group, resource, object }) => this.registry.resource(group, resource).create(object.metadata.namespace ?? "", object, options)));
    await createAll(plan.namespaces.map((object) => ({ group: "", resource: "namespaces", object })));
    await createAll(plan.objects);
    for (const manifest of plan.staticPods) await this.staticPods.put(manifest);
    await this.controlPlane.syncStaticPods();
  }

  /**
   * Compacts the revision log at the current revision, as etcd's compactor would: a later list or
   * watch from an older resourceVersion gets 410 Expired; open watches go on undisturbed.
   */
  async compactHistory(): Promise<{ compactedRevision: number }> {
    const revision = this.deps.backend.revision;
    await this.deps.backend.compact(revision);
    return { compactedRevision: revision };
  }

  stats(): SandboxStats {
    const { backend } = this.deps;
    const persisted = this.deps.storageStats?.() ?? { commits: 0, statements: 0, writes: 0 };
    return {
      storage: { revision: backend.revision, ...backend.stats, commits: persisted.commits, statements: persisted.statements, writes: persisted.writes },
      openWatches: this.openWatches,
    };
  }

  private namespacePhase(name: string): NamespacePhase {
    const store = this.registry.resource("", "namespaces");
    const backend = this.deps.backend;
    const key = store.key("", name);
    const kv = (backend.getStaged ? backend.getStaged<KObject>(key) : backend.get<KObject>(key));
    if (!kv) return "Missing";
    return kv.value.status?.phase === "Terminating" || kv.value.metadata.deletionTimestamp ? "Terminating" : "Active";
  }

  private openWatch(): () => void {
    const max = this.deps.maxWatches ?? DEFAULT_MAX_WATCHES;
    if (this.openWatches >= max) {
      throw errors.tooManyRequests(`too many open watches in this sandbox (limit ${max}); retry later`, 5);
    }
    this.openWatches++;
    let released = false;
    return () => {
      if (!released) this.openWatches--;
      released = true;
    };
  }
}
