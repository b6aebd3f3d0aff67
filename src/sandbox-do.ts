import { DurableObject } from "cloudflare:workers";
import { publicPaths } from "./apiserver/app";
import { errors, toResponse } from "./apiserver/status";
import type { Env } from "./env";
import { sandboxToken, tokenSecret, verifySandboxToken } from "./management/credentials";
import { tokenAuthenticator } from "./auth/authenticator";
import { loadSigningKey, type SigningKey } from "./auth/tokens/signing-key";
import { issueUserToken, verifyToken } from "./auth/tokens/tokens";
import { getOrNull } from "./controlplane/controllers/workloads";
import { SandboxRecords } from "./management/records";
import { ADMIN_OWNER } from "./management/http";
import { quotasOf, RateLimiter } from "./management/quotas";
import { Tenants } from "./management/tenants";
import type { SandboxClockState } from "./controlplane/clock";
import { randomIds, systemClock } from "./registry/clock";
import type { UserInfo } from "./registry/types";
import { Sandbox, type SandboxRecord, type SandboxStats } from "./sandbox/sandbox";
import { addNodes, putStaticPod, removeNode, setKubeletRunning, type AddNodesResult, type NodeDrillResult, type StaticPodResult } from "./sandbox/drills";
import { StaticPodManifests, type StaticPodManifest } from "./controlplane/kubelet/static-pods";
import type { NodePoolSpec } from "./sandbox/spec";
import { createD1Backend, deleteSandboxRows } from "./storage/d1";
import { allowsLoopbackHttp } from "./env";
import { WebhookEndpoints } from "./webhooks/endpoints";
import { lastOutboxSeq, WebhookService } from "./webhooks/service";
import type { DeliveryRecord } from "./webhooks/dispatcher";
import type { DeliverySummary } from "./webhooks/delivery-log";

/** The sandbox admin, as kubeadm's admin.conf user. */

const SANDBOX_ID_KEY = "sandbox-id";
const CLOCK_KEY = "clock";
/** Static pod manifests, one key per node and file (the nodes' manifest directories). */
const MANIFEST_PREFIX = "manifest/";
/** The expiry (epoch ms) a `sandbox.expiring` message was sent for. */
const EXPIRING_NOTICE_KEY = "expiring-notice";
/** How long before its expiry a sandbox tells its webhooks it is expiring. */
const EXPIRING_NOTICE_MS = 5 * 60_000;
/** How often (ms) a request reads the stored alarm back to check nothing dropped it. */
const ALARM_CHECK_MS = 10_000;

/** How lifecycle messages name their sandbox. */
const lifecycleSubject = (record: SandboxRecord) => ({ id: record.id, name: record.name, owner: record.owner });

/**
 * One sandbox. The class only wires: the Kubernetes API to `Sandbox`, lifecycle calls from the
 * management plane, and the expiry alarm.
 */
export class SandboxCluster extends DurableObject<Env> {
  /** The alarm time this object last set (null: none known), and when it last read it back. */
  private armedAt: number | null = null;
  private alarmCheckedAt = 0;
  /** Wall ms this object took to load its sandbox from D1 when it last started (null: not loaded; a fresh sandbox is built, not loaded). */
  private loadMs: number | null = null;
  private sandbox: Promise<Sandbox | null> | null = null;
  private signingKeyCache: Promise<SigningKey> | null = null;
  /** The event webhooks of the loaded sandbox (null: none loaded). */
  private webhooks: WebhookService | null = null;
  /** The expiry `sandbox.expiring` was last sent for (loaded with the sandbox). */
  private expiringNoticeFor: number | null = null;

  /** Called once by the management plane after it recorded the sandbox: writes the fresh cluster. */
  async initialize(record: SandboxRecord): Promise<void> {
    await this.ctx.storage.put(SANDBOX_ID_KEY, record.id);
    const opening = this.assemble(record).then(async (sandbox) => {
      await sandbox.bootstrap();
      return sandbox;
    });
    this.sandbox = opening.catch(() => null);
    const sandbox = await opening;
    await this.webhooks?.lifecycle("sandbox.created", { sandbox: lifecycleSubject(record) });
    await this.armAlarm(record.expiresAt, this.nextWakeAt(sandbox));
  }

  async setExpiry(expiresAt: number | null): Promise<void> {
    const sandbox = await this.sandbox;
    if (sandbox) sandbox.record.expiresAt = expiresAt;
    await this.armAlarm(expiresAt, sandbox ? this.nextWakeAt(sandbox) : null);
  }

  /** Storage and watch figures of the sandbox, and how long this object took to load it (for operators and benchmarks). */
  async stats(): Promise<(SandboxStats & { loadMs: number | null }) | null> {
    const id = await this.ctx.storage.get<string>(SANDBOX_ID_KEY);
    const sandbox = id ? await this.open(id) : null;
    return sandbox ? { ...sandbox.stats(), loadMs: this.loadMs } : null;
  }

  /** The scheduler's last cycle for a pod: per-node filter verdicts and scores (null if none). */
  async schedulingDiagnostics(namespace: string, pod: string): Promise<unknown> {
    const id = await this.ctx.storage.get<string>(SANDBOX_ID_KEY);
    const sandbox = id ? await this.open(id) : null;
    return sandbox?.controlPlane.schedulingDiagnostics.get(`${namespace}/${pod}`) ?? null;
  }

  /** `clock:advance`: simulated time jumps forward; what falls due runs at once. Null for an unknown sandbox. */
  async advanceClock(simulatedMs: number): Promise<{ simulatedTime: string } | null> {
    const id = await this.ctx.storage.get<string>(SANDBOX_ID_KEY);
    const sandbox = id ? await this.open(id) : null;
    if (!sandbox) return null;
    sandbox.controlPlane.advance(simulatedMs);
    await this.ctx.storage.put(CLOCK_KEY, sandbox.clock.toState());
    return { simulatedTime: new Date(sandbox.clock.simulatedNow()).toISOString() };
  }

  /** Stops or starts a node's simulated kubelet (`:fail` / `:recover`). Null for an unknown sandbox or node. */
  async setKubeletRunning(node: string, running: boolean): Promise<NodeDrillResult | null> {
    const sandbox = await this.current();
    return sandbox && setKubeletRunning(sandbox.registry, node, running, Date.now());
  }

  /** Adds a pool of nodes; null for an unknown sandbox. */
  async addNodes(pool: NodePoolSpec): Promise<AddNodesResult | null> {
    const sandbox = await this.current();
    return sandbox && addNodes(sandbox.registry, sandbox.record, pool, Date.now());
  }

  /** Removes a node; null for an unknown sandbox, false for an unknown node. */
  async removeNode(node: string): Promise<boolean | null> {
    const sandbox = await this.current();
    return sandbox && removeNode(sandbox.registry, node);
  }

  /** Writes a static pod manifest on a node; null for an unknown sandbox. */
  async putStaticPod(node: string, file: string, manifest: unknown): Promise<StaticPodResult | null> {
    const sandbox = await this.current();
    return sandbox && putStaticPod(sandbox, node, file, manifest, Date.now());
  }

  /** Removes a static pod manifest; null for an unknown sandbox, false when there was none. */
  async removeStaticPod(node: string, file: string): Promise<boolean | null> {
    const sandbox = await this.current();
    return sandbox && sandbox.staticPods.remove(node, file);
  }

  /** `history:compact`: the revision log is compacted at the current revision. Null for an unknown sandbox. */
  async compactHistory(): Promise<{ compactedRevision: number } | null> {
    const sandbox = await this.current();
    return sandbox && sandbox.compactHistory();
  }

  /** A token for a user of the sandbox (`POST /v1/sandboxes/{id}/users`). Null for an unknown sandbox. */
  async issueUserToken(name: string, groups: string[], ttlSeconds: number | null): Promise<string | null> {
    const sandbox = await this.current();
    if (!sandbox) return null;
    const user = { name, groups, generation: sandbox.record.tokenGeneration, ttlSeconds };
    return issueUserToken(await this.signingKey(sandbox.record.id), user, Date.now());
  }

  /**
   * The sandbox's token generation changed in D1 (`token:rotate`): the loaded sandbox is dropped,
   * so the next request loads it with the new admin token and refuses the old tokens.
   */
  async tokensRotated(): Promise<void> {
    this.forget();
  }

  /** The endpoints of the sandbox (or of its tenant) changed in D1: deliver to what is there now. */
  async webhooksChanged(): Promise<void> {
    const sandbox = await this.current();
    if (sandbox && this.webhooks) this.webhooks.reload(await this.endpointStore().forSandbox(sandbox.record.id, sandbox.record.owner));
  }

  /** `control-plane:restart`: this object resets as after a crash; the next call loads the sandbox from D1 again. */
  async restart(): Promise<void> {
    this.ctx.abort("control-plane:restart");
  }

  /** `…/webhooks/{id}:test`; null for an unknown sandbox or endpoint. */
  async webhookPing(endpointId: string): Promise<{ id: string } | null> {
    return (await this.loadedWebhooks())?.ping(endpointId) ?? null;
  }

  /** `…/webhooks/{id}/deliveries`; null for an unknown sandbox or endpoint. */
  async webhookDeliveries(endpointId: string, limit: number): Promise<DeliverySummary[] | null> {
    return (await this.loadedWebhooks())?.deliveries(endpointId, limit) ?? null;
  }

  /** `…/deliveries/{id}:redeliver`; null for an unknown sandbox, endpoint or message. */
  async webhookRedeliver(endpointId: string, messageId: string): Promise<DeliveryRecord | null> {
    return (await this.loadedWebhooks())?.redeliver(endpointId, messageId) ?? null;
  }

  /** The webhooks of the sandbox this object holds (loading it), or null for an unknown sandbox. */
  private async loadedWebhooks(): Promise<WebhookService | null> {
    return (await this.current()) ? this.webhooks : null;
  }

  /** The sandbox this object holds, counted as in use (a management drill is use). */
  private async current(): Promise<Sandbox | null> {
    const id = await this.ctx.storage.get<string>(SANDBOX_ID_KEY);
    const sandbox = id ? await this.open(id) : null;
    sandbox?.controlPlane.observe();
    return sandbox;
  }

  /** Removes every row of the sandbox from D1 and forgets it. */
  async destroy(): Promise<void> {
    const id = await this.ctx.storage.get<string>(SANDBOX_ID_KEY);
    const sandbox = id ? await this.open(id).catch(() => null) : null;
    if (sandbox) await this.webhooks?.deliverFinal("sandbox.deleted", { sandbox: lifecycleSubject(sandbox.record) });
    this.forget();
    this.sandbox = Promise.resolve(null);
    if (id) await deleteSandboxRows(this.env.DB, id);
    this.armedAt = null;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  /** One alarm serves expiry and the control loop: it fires at whichever comes first. */
  override async alarm(): Promise<void> {
    this.armedAt = null; // it fired: nothing is armed until the loop or a request arms it again
    try {
      const id = await this.ctx.storage.get<string>(SANDBOX_ID_KEY);
      if (!id) return;
      const record = await new SandboxRecords(this.env.DB).get(id, Date.now());
      if (!record) return await this.destroy();
      const sandbox = await this.open(id);
      // Running the loop re-arms the alarm through `wake`; arm for expiry in case nothing is due.
      if (sandbox) {
        this.webhooks?.wake();
        await this.noticeExpiry(sandbox);
        await sandbox.controlPlane.runDue();
        await this.armAlarm(record.expiresAt, this.nextWakeAt(sandbox));
      } else {
        await this.armAlarm(record.expiresAt, null);
      }
    } catch (e) {
      // A throwing alarm is retried only a few times; re-arm instead so nothing is ever lost.
      console.error("sandbox alarm failed", e);
      await this.ctx.storage.setAlarm(Date.now() + 60_000);
    }
  }

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const match = /^\/sandboxes\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (!match) return toResponse(errors.pathNotFound());
    const sandbox = (await this.admitsBeforeLoad(match[1], request, match[2] ?? "/")) ? await this.open(match[1]) : null;
    if (!sandbox) {
      await request.body?.cancel();
      return toResponse(errors.unauthorized());
    }
    sandbox.controlPlane.observe();
    const response = await sandbox.api.handle(request, match[2] ?? "/");
    await this.alarmWatchdog(sandbox);
    return response;
  }

  /**
   * A cold sandbox is loaded from D1 only for a request that carries its admin token (checked
   * against the sandbox's one-row record), a token signed with its key, or asks for a public path: a wrong or foreign
   * credential never makes this object read the sandbox's objects, and gets the same 401 as an
   * unknown sandbox. Once loaded, the API server authenticates every request itself.
   */
  private async admitsBeforeLoad(id: string, request: Request, path: string): Promise<boolean> {
    if (this.sandbox || publicPaths.has(path.replace(/\/+$/, "") || "/")) return true;
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
    if (!token) return false;
    const record = await new SandboxRecords(this.env.DB).get(id, Date.now());
    if (record === null) return false;
    if (await verifySandboxToken(this.env.TOKEN_SECRET, record.id, record.tokenGeneration, token)) return true;
    return (await verifyToken(await this.signingKey(record.id), token, Date.now())) !== null;
  }

  /**
   * Alarms can be dropped after repeated failures or overwritten by a later `armAlarm`: a request
   * re-arms the alarm whenever work is due before it. Reading the alarm costs a storage call, so
   * a request trusts what this object last set unless that is later than the due work or has not
   * been checked for {@link ALARM_CHECK_MS}.
   */
  private async alarmWatchdog(sandbox: Sandbox): Promise<void> {
    const wakeAt = this.nextWakeAt(sandbox);
    if (wakeAt === null) return;
    const now = Date.now();
    if (this.armedAt !== null && this.armedAt <= wakeAt && now - this.alarmCheckedAt < ALARM_CHECK_MS) return;
    this.alarmCheckedAt = now;
    const alarm = await this.ctx.storage.getAlarm();
    this.armedAt = alarm;
    if (alarm === null || alarm > wakeAt) await this.armAlarm(sandbox.record.expiresAt, wakeAt);
  }

  private open(id: string): Promise<Sandbox | null> {
    this.sandbox ??= (async () => {
      const started = Date.now();
      const record = await new SandboxRecords(this.env.DB).get(id, Date.now());
      const sandbox = record ? await this.assemble(record) : null;
      this.loadMs = Date.now() - started;
      return sandbox;
    })().catch((e) => {
      this.sandbox = null;
      throw e;
    });
    return this.sandbox.then((s) => {
      if (s && s.record.expiresAt !== null && s.record.expiresAt <= Date.now()) return null;
      return s;
    });
  }

  private async assemble(record: SandboxRecord): Promise<Sandbox> {
    // A backend that finds D1 ahead of its memory refuses writes; forget it so the next request reloads.
    const clockState = await this.ctx.storage.get<SandboxClockState>(CLOCK_KEY);
    this.expiringNoticeFor = (await this.ctx.storage.get<number>(EXPIRING_NOTICE_KEY)) ?? null;
    let webhooks: WebhookService | null = null;
    let built: Sandbox | null = null;
    // The sandbox's objects, its webhook endpoints and its outbox position load together.
    const [backend, endpoints, lastSeq, tenant] = await Promise.all([
      createD1Backend(this.env.DB, record.id, {
        onStale: () => this.forget(),
        batchHook: { prepare: (batch) => webhooks?.prepare(batch) ?? null },
      }),
      this.endpointStore().forSandbox(record.id, record.owner),
      lastOutboxSeq(this.env.DB, record.id),
      record.owner === ADMIN_OWNER ? null : new Tenants(this.env.DB, () => "").get(record.owner),
    ]);
    // The tenant's quotas as they were when the sandbox loaded (the admin's sandboxes have the defaults and no rate limit).
    const quotas = tenant ? quotasOf(tenant.quotas) : null;
    const rate = quotas?.kubernetesRequestsPerSecond ?? null;
    const limiter = new RateLimiter();
    const adminToken = await sandboxToken(this.env.TOKEN_SECRET, record.id, record.tokenGeneration);
    const manifests = await this.ctx.storage.list<StaticPodManifest>({ prefix: MANIFEST_PREFIX });
    const storage = this.ctx.storage;
    const staticPods = new StaticPodManifests([...manifests.values()], {
      save: (m) => storage.put(`${MANIFEST_PREFIX}${m.node}/${m.file}`, m),
      remove: async (node, file) => void (await storage.delete(`${MANIFEST_PREFIX}${node}/${file}`)),
    });
    const signingKey = () => this.signingKey(record.id);
    const sandbox: Sandbox = new Sandbox(record, {
      backend,
      clockState,
      storageStats: () => backend.d1Stats,
      clock: systemClock,
      ids: randomIds,
      staticPods,
      signingKey,
      allowLoopbackHttp: allowsLoopbackHttp(this.env),
      admitRequest: rate === null ? undefined : () => limiter.take(record.id, rate),
      ...(quotas ? { limits: { maxObjects: quotas.objectsPerSandbox, maxTotalBytes: quotas.bytesPerSandbox }, maxWatches: quotas.watchesPerSandbox } : {}),
      authenticate: tokenAuthenticator({
        adminToken,
        generation: record.tokenGeneration,
        signingKey,
        lookup: (resource, namespace, name) => getOrNull(sandbox.registry.resource("", resource), namespace, name),
        now: Date.now,
      }),
      // The loop may ask for a wake-up while `sandbox` is still being built: then its own time is all there is.
      wake: (at) => (built ? this.wakeAt(built) : this.armAlarm(record.expiresAt, at).catch((e) => console.error("arming the sandbox alarm failed", e))),
    });
    built = sandbox;
    webhooks = WebhookService.start(
      {
        sandboxId: record.id,
        db: this.env.DB,
        sql: this.ctx.storage.sql,
        fetch: (input, init) => fetch(input, init),
        allowLoopbackHttp: allowsLoopbackHttp(this.env),
        scheduleNow: () => sandbox.clock.scheduleNow(),
        delayFor: (ms) => sandbox.clock.realDelayFor(ms),
        now: Date.now,
        revision: () => backend.revision,
        wakeAt: () => this.wakeAt(sandbox),
        disableEndpoint: (id, reason) => this.endpointStore().update(id, { disabledAt: Date.now(), disabledReason: reason }),
      },
      endpoints,
      lastSeq,
    );
    this.webhooks?.stop();
    this.webhooks = webhooks;
    return sandbox;
  }

  private endpointStore(): WebhookEndpoints {
    return new WebhookEndpoints(this.env.DB, tokenSecret(this.env.TOKEN_SECRET));
  }

  /** Drops the loaded sandbox (the next request loads it again) and stops its deliveries. */
  private forget(): void {
    this.sandbox = null;
    this.webhooks?.stop();
    this.webhooks = null;
  }

  /** The real time the sandbox next wants its alarm: the control loop's or the webhooks' next run, or the expiry notice. */
  private nextWakeAt(sandbox: Sandbox): number | null {
    const deliveries = this.webhooks?.nextWakeAt();
    const expiresAt = sandbox.record.expiresAt;
    const times = [
      sandbox.controlPlane.nextWakeAt(),
      deliveries == null ? null : sandbox.clock.realTimeAt(deliveries),
      expiresAt !== null && this.expiringNoticeFor !== expiresAt ? expiresAt - EXPIRING_NOTICE_MS : null,
    ].filter((t): t is number => t !== null);
    return times.length ? Math.min(...times) : null;
  }

  /** Sends `sandbox.expiring` once per expiry, {@link EXPIRING_NOTICE_MS} before it. */
  private async noticeExpiry(sandbox: Sandbox): Promise<void> {
    const { expiresAt } = sandbox.record;
    if (expiresAt === null || this.expiringNoticeFor === expiresAt || Date.now() < expiresAt - EXPIRING_NOTICE_MS) return;
    this.expiringNoticeFor = expiresAt;
    await this.ctx.storage.put(EXPIRING_NOTICE_KEY, expiresAt);
    await this.webhooks?.lifecycle("sandbox.expiring", { sandbox: { ...lifecycleSubject(sandbox.record), expiresAt: new Date(expiresAt).toISOString() } });
  }

  private wakeAt(sandbox: Sandbox): void {
    this.armAlarm(sandbox.record.expiresAt, this.nextWakeAt(sandbox)).catch((e) => console.error("arming the sandbox alarm failed", e));
  }

  /** The sandbox's token signing key, unsealed (or made) once per instance. */
  private signingKey(sandboxId: string): Promise<SigningKey> {
    this.signingKeyCache ??= loadSigningKey(this.ctx.storage, tokenSecret(this.env.TOKEN_SECRET), sandboxId).catch((e) => {
      this.signingKeyCache = null;
      throw e;
    });
    return this.signingKeyCache;
  }

  /** Sets the alarm to the earlier of the expiry and the control loop's next run, or clears it. */
  private async armAlarm(expiresAt: number | null, wakeAt: number | null): Promise<void> {
    const times = [expiresAt, wakeAt].filter((t): t is number => t !== null);
    const at = times.length === 0 ? null : Math.min(...times);
    if (at === this.armedAt && at !== null) return;
    this.armedAt = at;
    if (this.armedAt === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(this.armedAt);
  }
}
