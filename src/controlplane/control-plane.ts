/**
 * The control plane of one sandbox: the runtime queue, the controllers it drives, and the watches
 * that feed it. Controllers are reconcilers over the registry, writing through it with a system
 * identity like any client.
 *
 * The control plane never sleeps or sets timers itself: whenever the earliest due time may have
 * changed it calls `wake(realTimeMs | null)`, and its host runs `runDue()` at that time (the
 * Durable Object with its alarm; tests with a timer). An idle control plane asks for nothing.
 */
import { storageResource } from "../registry/keys";
import type { Registry } from "../registry/registry";
import { selectEverything } from "../registry/selection";
import type { ObjectEvent, ResourceStore } from "../registry/store";
import type { KObject, UserInfo } from "../registry/types";
import type { SandboxClock } from "./clock";
import { garbageCollectorReconciler, needsCollection, ownerKey, ownerKeysOf } from "./controllers/garbage-collector";
import { deploymentKeyForPod, deploymentKeysForReplicaSet, deploymentReconciler } from "./controllers/deployment";
import { cronJobKeyForJob, cronJobReconciler } from "./controllers/cronjob";
import { disruptionKeysForPod, disruptionReconciler, staleDisruptionKeyForPod, staleDisruptionReconciler } from "./controllers/disruption";
import { daemonSetKeysForPod, daemonSetKeysForRevision, daemonSetReconciler } from "./controllers/daemonset";
import { endpointsReconciler, serviceKeysForPod } from "./controllers/endpoints";
import { endpointSliceReconciler, serviceKeyForEndpointSlice } from "./controllers/endpointslice";
import { jobKeyForPod, jobReconciler } from "./controllers/job";
import { statefulSetKeysForPod, statefulSetReconciler, volumeBinderReconciler } from "./controllers/statefulset";
import { replicaSetKeysForPod, replicaSetReconciler } from "./controllers/replicaset";
import { needsScheduling, schedulerReconciler, type SchedulerDeps } from "./controllers/scheduler";
import { kubeletReconciler, needsKubelet } from "./kubelet";
import { heartbeatReconciler, isKubeletStopped } from "./kubelet/heartbeat";
import { CONFIG_MIRROR, staticPodReconciler, StaticPodManifests } from "./kubelet/static-pods";
import { controllerOf, getOrNull } from "./controllers/workloads";
import { nodeLifecycleReconciler, nodeMonitorGraceMs, podGCReconciler, taintEvictionReconciler } from "./controllers/node-lifecycle";
import { finalizeNamespace } from "./namespace-finalizer";
import { eventExpiresAtMs, eventTTLReconciler } from "./events";
import { serviceAccountReconciler } from "./controllers/serviceaccounts";
import { clusterRoleAggregationReconciler } from "./controllers/clusterrole-aggregation";
import { isAggregated } from "../auth/aggregation";
import { isServiceAccountTokenSecret, SERVICE_ACCOUNT_NAME_ANNOTATION, serviceAccountTokenReconciler } from "./controllers/serviceaccount-tokens";
import type { SigningKey } from "../auth/tokens/signing-key";
import { rootCAReconciler } from "./controllers/root-ca";
import { quotaKeysOf, resourceQuotaReconciler } from "./controllers/resourcequota";
import { conflictingCrdKeys, crdReconciler } from "./controllers/crd";
import { SchedulerCache } from "./scheduler";
import { alarmTimeFor, RuntimeQueue, type EnqueueOptions, type Reconciler, type RunResult } from "./runtime";

export interface ControlPlaneOptions {
  registry: Registry;
  clock: SandboxClock;
  /** The identity controllers write with. */
  user: UserInfo;
  /** Asked to run `runDue()` at this real epoch time (null: nothing is due, stop asking). */
  wake(realTimeMs: number | null): void;
  /** The sandbox's Kubernetes minor version (`"1.32"`): picks version-dependent defaults. */
  kubernetesVersion: string;
  /** The nodes' static pod manifests (default: none). */
  staticPods?: StaticPodManifests;
  /** The sandbox's token signing key (for legacy ServiceAccount token Secrets). */
  signingKey(): Promise<SigningKey>;
}

/**
 * Controllers whose work only matters while somebody uses the sandbox (node heartbeats, event
 * expiry): they run whenever the loop runs, but wake it only while it is observed, so an idle
 * sandbox sets no alarm. (An Event past its hour is deleted when the sandbox is next used.)
 */
const BACKGROUND = new Set(["heartbeat", "eventttl"]);
/**
 * Reconciles run at once (never two of the same item): their writes share D1 group commits
 * instead of each waiting a round trip for the one before.
 */
const RECONCILE_CONCURRENCY = 64;
/** How long (real ms) after the last request a sandbox counts as observed. */
export const OBSERVED_FOR_MS = 5 * 60_000;

/** How long (simulated) a namespace waits before checking again for contents held by finalizers. */
const NAMESPACE_RECHECK_MS = 1_000;

export class ControlPlane {
  private readonly queue: RuntimeQueue;
  private readonly background: RuntimeQueue;
  private readonly reconcilers: Record<string, Reconciler>;
  private observedUntil = 0;
  private lastWake: number | null | undefined = undefined;
  /** The scheduler's last cycle per pod (`namespace/name`): filter verdicts and scores per node. */
  readonly schedulingDiagnostics: SchedulerDeps["diagnostics"] = new Map();
  /** Nodes and the pods bound to them, from the watches: the scheduler's cache and a by-node index. */
  private readonly schedulerCache = new SchedulerCache();
  private readonly staticPods: StaticPodManifests;

  constructor(private readonly options: ControlPlaneOptions) {
    const onError = (failure: unknown) => console.error("controller failed", failure);
    this.queue = new RuntimeQueue({ clock: options.clock, onError, concurrency: RECONCILE_CONCURRENCY });
    this.background = new RuntimeQueue({ clock: options.clock, onError });
    const { registry, user, clock } = options;
    this.staticPods = options.staticPods ?? new StaticPodManifests();
    this.staticPods.onChange = (node) => this.enqueue("staticpods", node);
    const podsOn = (node: string) => this.schedulerCache.podsOn(node);
    /** What most controllers take: the registry, the identity they write with, and time. */
    const base = { registry, user, now: () => clock.now(), speed: () => clock.speed };
    this.reconcilers = {
      namespace: async (name) => {
        const result = await finalizeNamespace(registry, name, user);
        return result === "waiting" ? { requeueAfterMs: NAMESPACE_RECHECK_MS } : undefined;
      },
      scheduler: schedulerReconciler({ ...base, diagnostics: this.schedulingDiagnostics, cache: this.schedulerCache }),
      kubelet: kubeletReconciler({ registry, user, clock, podsOn }),
      heartbeat: heartbeatReconciler({ registry, user, clock }),
      staticpods: staticPodReconciler({ registry, user, clock, podsOn, manifests: this.staticPods }),
      replicaset: replicaSetReconciler(base),
      deployment: deploymentReconciler(base),
      job: jobReconciler(base),
      cronjob: cronJobReconciler({ ...base, simulatedNow: () => clock.simulatedNow() }),
      daemonset: daemonSetReconciler(base),
      statefulset: statefulSetReconciler(base),
      volumebinder: volumeBinderReconciler(base),
      gc: garbageCollectorReconciler(base),
      endpoints: endpointsReconciler(base),
      endpointslice: endpointSliceReconciler(base),
      nodelifecycle: nodeLifecycleReconciler({ registry, user, clock, podsOn, graceMs: nodeMonitorGraceMs(options.kubernetesVersion) }),
      tainteviction: taintEvictionReconciler({ registry, user, clock, podsOn }),
      podgc: podGCReconciler({ registry, user, clock, podsOn }),
      serviceaccounts: serviceAccountReconciler(base),
      serviceaccounttokens: serviceAccountTokenReconciler({ registry, user, signingKey: options.signingKey }),
      rootca: rootCAReconciler(base),
      eventttl: eventTTLReconciler(base),
      disruption: disruptionReconciler(base),
      staledisruption: staleDisruptionReconciler(base),
      resourcequota: resourceQuotaReconciler(base),
      crd: crdReconciler(base),
      clusterroleaggregation: clusterRoleAggregationReconciler(base),
    };
    this.watchNamespaces();
    this.watchScheduling();
    this.watchWorkloads();
    this.watchOwners();
    this.watchServices();
    this.watchNodes();
    this.watchCrds();
    this.watchClusterRoles();
  }

  /** Any ClusterRole change sends every aggregated ClusterRole to the aggregation controller. */
  private watchClusterRoles(): void {
    const clusterRoles = this.options.registry.resource("rbac.authorization.k8s.io", "clusterroles");
    const enqueueAggregated = () => {
      for (const role of clusterRoles.list("", { selection: selectEverything }).items) {
        if (isAggregated(role)) this.enqueue("clusterroleaggregation", role.metadata.name!);
      }
    };
    enqueueAggregated();
    this.follow(clusterRoles, clusterRoles.revision, enqueueAggregated);
  }

  enqueue(controller: string, key: string, options?: EnqueueOptions): void {
    (BACKGROUND.has(controller) ? this.background : this.queue).enqueue(controller, key, options);
    this.requestWake();
  }

  /** Posts the mirror pods of every node's static pod manifests now (a fresh sandbox's bootstrap). */
  async syncStaticPods(): Promise<void> {
    for (const node of this.staticPods.nodes()) await this.reconcilers.staticpods(node);
  }

  /** Somebody uses the sandbox (a request came in): background work runs on schedule for a while. */
  observe(): void {
    const wasObserved = this.observed();
    this.observedUntil = this.options.clock.now() + OBSERVED_FOR_MS;
    if (!wasObserved) this.requestWake();
  }

  private observed(): boolean {
    return this.options.clock.now() < this.observedUntil;
  }

  /**
   * Runs what is due now (within a budget), then asks to be woken for the rest. Never throws.
   * Background work runs first: a heartbeat due is in before any controller judges its age.
   */
  async runDue(): Promise<RunResult> {
    await this.background.runDue(this.options.clock.scheduleNow(), this.reconcilers);
    const result = await this.queue.runDue(this.options.clock.scheduleNow(), this.reconcilers);
    this.lastWake = undefined;
    this.requestWake();
    return result;
  }

  /**
   * Makes `simulatedMs` of simulated time pass at once (`clock:advance`): whatever falls due in
   * that time runs at the next wake-up, which is asked for now.
   */
  advance(simulatedMs: number): void {
    this.options.clock.advance(simulatedMs);
    this.lastWake = undefined;
    this.requestWake();
  }

  /**
   * Feeds a controller from a store's changes after `afterRevision`. A mapping error is logged and
   * the watch goes on: the storage engine drops a watcher whose callback throws.
   */
  private follow(store: ResourceStore, afterRevision: number, onEvent: (event: ObjectEvent) => void): void {
    store.watch("", afterRevision, selectEverything, (event) => {
      try {
        onEvent(event);
      } catch (e) {
        console.error(`control plane: handling a ${store.strategy.kind} event failed`, e);
      }
    });
  }

  /** The real time the next run is wanted at, or null when idle. */
  nextWakeAt(): number | null {
    const work = this.queue.nextDueAt();
    const background = this.observed() ? this.background.nextDueAt() : null;
    const due = work === null ? background : background === null ? work : Math.min(work, background);
    return alarmTimeFor(due, this.options.clock);
  }

  private requestWake(): void {
    const at = this.nextWakeAt();
    if (at === this.lastWake) return;
    this.lastWake = at;
    this.options.wake(at);
  }

  /**
   * Pending pods go to the scheduler and bound ones to their node's kubelet; when a node changes or a pod goes away (room may have
   * appeared), every pending pod is tried again, as upstream moves unschedulable pods back.
   */
  private watchScheduling(): void {
    const { registry } = this.options;
    const pods = registry.resource("", "pods");
    const nodes = registry.resource("", "nodes");
    const cache = this.schedulerCache;
    const key = (pod: { metadata: { namespace?: string; name?: string } }) => `${pod.metadata.namespace}/${pod.metadata.name}`;
    const retryUnschedulable = () => {
      for (const k of cache.unschedulable) this.enqueue("scheduler", k);
    };
    const podList = pods.list("", { selection: selectEverything });
    const nodeList = nodes.list("", { selection: selectEverything });
    for (const node of nodeList.items) cache.setNode(node);
    for (const pod of podList.items) {
      cache.setPod(pod);
      if (needsScheduling(pod)) this.enqueue("scheduler", key(pod));
      if (needsKubelet(pod)) this.enqueue("kubelet", key(pod));
    }
    this.follow(pods, Number(podList.resourceVersion), (event) => {
      if (event.type === "DELETED") {
        cache.removePod(key(event.object));
        cache.unschedulable.delete(key(event.object));
        return retryUnschedulable();
      }
      const counted = cache.counts(key(event.object));
      cache.setPod(event.object);
      if (needsScheduling(event.object)) this.enqueue("scheduler", key(event.object));
      if (needsKubelet(event.object)) this.enqueue("kubelet", key(event.object));
      // A pod that stops using its node's resources makes room, as upstream's AssignedPodDelete.
      if (counted && !cache.counts(key(event.object))) retryUnschedulable();
    });
    this.follow(nodes, Number(nodeList.resourceVersion), (event) => {
      if (event.type === "DELETED") cache.removeNode(event.object.metadata.name!);
      else cache.setNode(event.object);
      retryUnschedulable();
    });
  }

  /**
   * Deployments, ReplicaSets, Jobs and the pods they own feed their controllers: each change
   * enqueues the object's own controller and its owner's.
   */
  private watchWorkloads(): void {
    const { registry } = this.options;
    const deployments = registry.resource("apps", "deployments");
    const replicaSets = registry.resource("apps", "replicasets");
    const pods = registry.resource("", "pods");
    const jobs = registry.resource("batch", "jobs");
    const daemonSets = registry.resource("apps", "daemonsets");
    const nodes = registry.resource("", "nodes");
    const all = (store: typeof pods, namespace: string) => store.list(namespace, { selection: selectEverything }).items;
    const key = (obj: { metadata: { namespace?: string; name?: string } }) => `${obj.metadata.namespace}/${obj.metadata.name}`;
    const enqueueAll = (controller: string, keys: Iterable<string | null>) => {
      for (const k of keys) if (k) this.enqueue(controller, k);
    };
    for (const d of all(deployments, "")) this.enqueue("deployment", key(d));
    for (const rs of all(replicaSets, "")) this.enqueue("replicaset", key(rs));
    const cronJobs = registry.resource("batch", "cronjobs");
    for (const job of all(jobs, "")) this.enqueue("job", key(job));
    for (const cj of all(cronJobs, "")) this.enqueue("cronjob", key(cj));
    this.follow(cronJobs, cronJobs.revision, (event) => this.enqueue("cronjob", key(event.object)));
    this.follow(jobs, jobs.revision, (event) => {
      this.enqueue("job", key(event.object));
      enqueueAll("cronjob", [cronJobKeyForJob(event.object)]);
    });
    for (const ds of all(daemonSets, "")) this.enqueue("daemonset", key(ds));
    this.follow(daemonSets, daemonSets.revision, (event) => this.enqueue("daemonset", key(event.object)));
    this.follow(nodes, nodes.revision, () => enqueueAll("daemonset", all(daemonSets, "").map(key)));
    const revisions = registry.resource("apps", "controllerrevisions");
    this.follow(revisions, revisions.revision, (event) =>
      enqueueAll("daemonset", daemonSetKeysForRevision(event.object, controllerOf(event.object) ? [] : all(daemonSets, event.object.metadata.namespace!))),
    );
    this.follow(deployments, deployments.revision, (event) => this.enqueue("deployment", key(event.object)));
    this.follow(replicaSets, replicaSets.revision, (event) => {
      this.enqueue("replicaset", key(event.object));
      enqueueAll("deployment", deploymentKeysForReplicaSet(event.object, all(deployments, event.object.metadata.namespace!)));
    });
    const statefulSets = registry.resource("apps", "statefulsets");
    const claims = registry.resource("", "persistentvolumeclaims");
    for (const sts of all(statefulSets, "")) this.enqueue("statefulset", key(sts));
    this.follow(statefulSets, statefulSets.revision, (event) => this.enqueue("statefulset", key(event.object)));
    for (const pvc of all(claims, "")) this.enqueue("volumebinder", key(pvc));
    this.follow(claims, claims.revision, (event) => {
      if (event.type !== "DELETED") this.enqueue("volumebinder", key(event.object));
    });
    const pdbs = registry.resource("policy", "poddisruptionbudgets");
    for (const pdb of all(pdbs, "")) this.enqueue("disruption", key(pdb));
    this.follow(pdbs, pdbs.revision, (event) => this.enqueue("disruption", key(event.object)));
    this.follow(pods, pods.revision, (event) => {
      const pod = event.object;
      const namespace = pod.metadata.namespace!;
      enqueueAll("disruption", disruptionKeysForPod(pod, all(pdbs, namespace)));
      if (event.type !== "DELETED") enqueueAll("staledisruption", [staleDisruptionKeyForPod(pod)]);
      // An owned pod names its controller; only an orphan is offered to every owner that selects it.
      const candidates = (store: typeof pods) => (controllerOf(pod) ? [] : all(store, namespace));
      enqueueAll("replicaset", replicaSetKeysForPod(pod, candidates(replicaSets)));
      enqueueAll("job", [jobKeyForPod(pod)]);
      enqueueAll("daemonset", daemonSetKeysForPod(pod, candidates(daemonSets)));
      enqueueAll("statefulset", statefulSetKeysForPod(pod, candidates(statefulSets)));
      if (event.type === "DELETED") enqueueAll("deployment", [deploymentKeyForPod(pod, all(replicaSets, namespace))]);
    });
  }

  /**
   * The garbage collector hears of every owner that goes or starts an orphan/foreground deletion,
   * and of every dependent that goes (its owners may be waiting in a foreground deletion).
   */
  /** Every storage resource, custom resources defined later included, feeds the garbage collector and the quota controller. */
  private watchOwners(): void {
    const seen = new Set<string>();
    const followOwners = (store: ResourceStore) => {
      const storage = storageResource(store.strategy);
      if (seen.has(storage)) return;
      seen.add(storage);
      this.follow(store, store.revision, (event) => {
        if (needsCollection(event)) this.enqueue("gc", ownerKey(event.object));
        if (event.type === "DELETED") for (const key of ownerKeysOf(event.object)) this.enqueue("gc", key);
        // The same feed keeps the namespace's ResourceQuotas' usage current.
        for (const key of quotaKeysOf(this.options.registry, event.object.metadata.namespace ?? "")) this.enqueue("resourcequota", key);
      });
    };
    for (const store of this.options.registry.stores()) followOwners(store);
    this.options.registry.onDefine(followOwners);
  }

  /**
   * Every CRD (those stored before this control plane started too) is reconciled, and a CRD event
   * also reconciles the CRDs of its group whose names wait on a conflict.
   */
  private watchCrds(): void {
    const crds = this.options.registry.resource("apiextensions.k8s.io", "customresourcedefinitions");
    const { items, resourceVersion } = crds.list("", { selection: selectEverything });
    for (const crd of items) this.enqueue("crd", crd.metadata.name!);
    this.follow(crds, Number(resourceVersion), (event) => {
      this.enqueue("crd", event.object.metadata.name!);
      const all = crds.list("", { selection: selectEverything }).items;
      for (const name of conflictingCrdKeys(event.object, all)) this.enqueue("crd", name);
    });
  }

  /**
   * Services and the pods they select feed the Endpoints and EndpointSlice controllers; a deleted
   * Endpoints, and any change to a managed EndpointSlice, is reconciled again (what is deleted or
   * edited by hand comes back).
   */
  private watchServices(): void {
    const { registry } = this.options;
    const services = registry.resource("", "services");
    const pods = registry.resource("", "pods");
    const endpoints = registry.resource("", "endpoints");
    const slices = registry.resource("discovery.k8s.io", "endpointslices");
    const key = (obj: { metadata: { namespace?: string; name?: string } }) => `${obj.metadata.namespace}/${obj.metadata.name}`;
    const enqueueService = (k: string) => {
      this.enqueue("endpoints", k);
      this.enqueue("endpointslice", k);
    };
    const { items, resourceVersion } = services.list("", { selection: selectEverything });
    for (const svc of items) enqueueService(key(svc));
    this.follow(services, Number(resourceVersion), (event) => enqueueService(key(event.object)));
    this.follow(pods, pods.revision, (event) => {
      const candidates = services.list(event.object.metadata.namespace!, { selection: selectEverything }).items;
      for (const k of serviceKeysForPod(event.object, candidates)) enqueueService(k);
    });
    this.follow(endpoints, endpoints.revision, (event) => {
      if (event.type === "DELETED") this.enqueue("endpoints", key(event.object));
    });
    this.follow(slices, slices.revision, (event) => {
      const service = serviceKeyForEndpointSlice(event.object);
      if (service) this.enqueue("endpointslice", service);
    });
  }

  /**
   * Nodes feed their kubelet's heartbeat, the node lifecycle, taint eviction and pod GC; node
   * Leases the lifecycle; pods bound to a node that has NoExecute taints or is gone, taint
   * eviction or pod GC. A kubelet that starts again resumes its pods.
   */
  private watchNodes(): void {
    const { registry } = this.options;
    const nodes = registry.resource("", "nodes");
    const leases = registry.resource("coordination.k8s.io", "leases");
    const pods = registry.resource("", "pods");
    const stopped = new Set<string>();
    const onNode = (node: KObject, deleted: boolean) => {
      const name = node.metadata.name!;
      if (deleted) {
        stopped.delete(name);
        return this.enqueue("podgc", name);
      }
      this.enqueue("heartbeat", name);
      this.enqueue("nodelifecycle", name);
      this.enqueue("staticpods", name);
      if ((node.spec?.taints ?? []).some((t: { effect: string }) => t.effect === "NoExecute")) this.enqueue("tainteviction", name);
      if (isKubeletStopped(node)) stopped.add(name);
      else if (stopped.delete(name)) {
        for (const pod of pods.list("", { selection: selectEverything }).items) if (pod.spec?.nodeName === name && needsKubelet(pod)) this.enqueue("kubelet", `${pod.metadata.namespace}/${pod.metadata.name}`);
      }
    };
    const { items, resourceVersion } = nodes.list("", { selection: selectEverything });
    for (const node of items) onNode(node, false);
    this.follow(nodes, Number(resourceVersion), (event) => onNode(event.object, event.type === "DELETED"));
    this.follow(leases, leases.revision, (event) => {
      if (event.object.metadata.namespace === "kube-node-lease" && event.type !== "DELETED") this.enqueue("nodelifecycle", event.object.metadata.name!);
    });
    this.follow(pods, pods.revision, (event) => {
      const nodeName: string | undefined = event.object.spec?.nodeName;
      if (nodeName && event.object.metadata.annotations?.[CONFIG_MIRROR] !== undefined) this.enqueue("staticpods", nodeName);
      if (!nodeName || event.type === "DELETED") return;
      const node = getOrNull(nodes, "", nodeName);
      if (!node) this.enqueue("podgc", nodeName);
      else if ((node.spec?.taints ?? []).some((t: { effect: string }) => t.effect === "NoExecute")) this.enqueue("tainteviction", nodeName);
    });
  }

  /**
   * Namespaces feed the namespace finalizer (when Terminating), the ServiceAccount controller and
   * the root CA publisher; a deleted ServiceAccount or a changed `kube-root-ca.crt` brings its
   * namespace back to them. Token Secrets feed the legacy token controller, and so do their
   * account's deletions. Events feed their expiry.
   */
  private watchNamespaces(): void {
    const { registry } = this.options;
    const namespaces = registry.resource("", "namespaces");
    const serviceAccounts = registry.resource("", "serviceaccounts");
    const configMaps = registry.resource("", "configmaps");
    const events = registry.resource("", "events");
    const onNamespace = (ns: KObject) => {
      const name = ns.metadata.name!;
      if (ns.metadata.deletionTimestamp) return this.enqueue("namespace", name);
      this.enqueue("serviceaccounts", name);
      this.enqueue("rootca", name);
    };
    const { items, resourceVersion } = namespaces.list("", { selection: selectEverything });
    for (const ns of items) onNamespace(ns);
    this.follow(namespaces, Number(resourceVersion), (event) => {
      if (event.type !== "DELETED") onNamespace(event.object);
    });
    const secrets = registry.resource("", "secrets");
    const tokenSecretsOf = (namespace: string, account: string) =>
      secrets.list(namespace, { selection: selectEverything }).items.filter((s) => isServiceAccountTokenSecret(s) && s.metadata.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION] === account);
    const enqueueToken = (secret: KObject) => this.enqueue("serviceaccounttokens", `${secret.metadata.namespace}/${secret.metadata.name}`);
    this.follow(serviceAccounts, serviceAccounts.revision, (event) => {
      if (event.type !== "DELETED") return;
      const { namespace, name } = event.object.metadata;
      this.enqueue("serviceaccounts", namespace!);
      for (const secret of tokenSecretsOf(namespace!, name!)) enqueueToken(secret);
    });
    const storedSecrets = secrets.list("", { selection: selectEverything });
    for (const secret of storedSecrets.items.filter(isServiceAccountTokenSecret)) enqueueToken(secret);
    this.follow(secrets, Number(storedSecrets.resourceVersion), (event) => {
      if (event.type !== "DELETED" && isServiceAccountTokenSecret(event.object)) enqueueToken(event.object);
    });
    this.follow(configMaps, configMaps.revision, (event) => {
      if (event.object.metadata.name === "kube-root-ca.crt" && event.type !== "ADDED") this.enqueue("rootca", event.object.metadata.namespace!);
    });
    // A namespace's Events are looked at when the first of them expires (TTL in wall-clock time; the queue counts simulated time).
    const expire = (e: KObject) => {
      const { clock } = this.options;
      this.enqueue("eventttl", e.metadata.namespace!, { after: Math.max(0, eventExpiresAtMs(e) - clock.now()) * clock.speed });
    };
    const existing = events.list("", { selection: selectEverything });
    for (const e of existing.items) expire(e);
    this.follow(events, Number(existing.resourceVersion), (event) => {
      if (event.type === "ADDED") expire(event.object);
    });
  }

}
