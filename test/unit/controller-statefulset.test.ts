import { describe, expect, it } from "vitest";
import { systemUser } from "../../src/sandbox/sandbox";
import { selectEverything } from "../../src/registry/selection";
import { formatTime } from "../../src/registry/clock";
import type { KObject } from "../../src/registry/types";
import {
  claimOwnerRefs,
  parentAndOrdinal,
  statefulSetKeyForPod,
  statefulSetKeysForPod,
  statefulSetReconciler,
  volumeBinderReconciler,
} from "../../src/controlplane/controllers/statefulset";
import { garbageCollectorReconciler, ownerKey } from "../../src/controlplane/controllers/garbage-collector";
import { quietSandbox } from "./support/cluster";

// A sandbox whose own control plane never runs: the test drives the StatefulSet controller and
// the volume binder, and plays scheduler and kubelet (bind, Running/Ready, finish terminating).
async function world() {
  const { clock, registry } = await quietSandbox();
  const deps = { registry, user: systemUser, now: () => clock.now() };
  const ssc = statefulSetReconciler(deps);
  const binder = volumeBinderReconciler(deps);
  const pods = registry.resource("", "pods");
  const sets = registry.resource("apps", "statefulsets");
  const claims = registry.resource("", "persistentvolumeclaims");
  const events = registry.resource("", "events");
  const revisions = registry.resource("apps", "controllerrevisions");
  const node = registry.resource("", "nodes").list("", { selection: selectEverything }).items[0].metadata.name!;
  const user = { user: systemUser };
  const list = (store: typeof pods) => store.list("default", { selection: selectEverything }).items;
  const gc = garbageCollectorReconciler({ registry, user: systemUser });
  const w = {
    clock,
    gc: (owner: KObject) => gc(ownerKey(owner)),
    pods,
    sets,
    claims,
    ssc,
    binder,
    sync: (name = "web") => ssc(`default/${name}`),
    pod: (name: string) => pods.get("default", name),
    set: (name = "web") => sets.get("default", name),
    claim: (name: string) => claims.get("default", name),
    /** Live (not terminating) pod names, in ordinal order. */
    podNames: () =>
      list(pods)
        .filter((p) => !p.metadata.deletionTimestamp)
        .map((p) => p.metadata.name!)
        .sort((a, b) => parentAndOrdinal(a)[1] - parentAndOrdinal(b)[1]),
    claimNames: () => list(claims).map((c) => c.metadata.name!).sort(),
    events: (reason: string) =>
      list(events)
        .filter((e) => e.reason === reason && e.involvedObject.kind === "StatefulSet")
        .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
        .map((e) => e.message as string),
    snapshot: () =>
      [...list(pods), ...list(sets), ...list(claims), ...list(events), ...list(revisions)].map((o) => `${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`).sort().join(),
    /** Scheduler + kubelet for one pod: bound to a node, Running and Ready. */
    async makeReady(name: string) {
      const p = w.pod(name);
      if (!p.spec.nodeName) await pods.patch("default", name, (c) => ({ ...c, spec: { ...c.spec, nodeName: node } }), { user: systemUser, subresource: "binding" });
      const t = formatTime(clock.now());
      await pods.patch("default", name, (c) => ({ ...c, status: { phase: "Running", podIP: "10.244.1.9", conditions: [{ type: "Ready", status: "True", lastTransitionTime: t }] } }), {
        user: systemUser,
        subresource: "status",
      });
    },
    async setPhase(name: string, phase: string) {
      await pods.patch("default", name, (c) => ({ ...c, status: { ...c.status, phase, conditions: [] } }), { user: systemUser, subresource: "status" });
    },
    /** The kubelet finishing every terminating pod. */
    async finishTerminating() {
      for (const p of list(pods)) if (p.metadata.deletionTimestamp) await pods.delete("default", p.metadata.name!, { user: systemUser, gracePeriodSeconds: 0 });
    },
    async bindClaims() {
      for (const c of list(claims)) await binder(`default/${c.metadata.name}`);
    },
    /** Alternates the controller with binder, scheduler and kubelet until nothing changes. */
    async settle(name = "web", rounds = 40) {
      for (let i = 0; i < rounds; i++) {
        const before = w.snapshot();
        await w.sync(name);
        await w.bindClaims();
        await w.finishTerminating();
        for (const p of list(pods)) if (!p.metadata.deletionTimestamp && p.status?.phase !== "Running") await w.makeReady(p.metadata.name!);
        if (w.snapshot() === before) return;
      }
      throw new Error("did not settle");
    },
    create: (set: KObject) => sets.create("default", set, user),
    update: (mutate: (s: KObject) => void, name = "web") =>
      sets.patch(
        "default",
        name,
        (c) => {
          mutate(c);
          return c;
        },
        user,
      ),
  };
  return w;
}

/** The kubernetes.io docs' `web` StatefulSet: nginx behind headless service `nginx`, a `www` claim per pod. */
function web(opts: { replicas?: number; image?: string; podManagementPolicy?: string; updateStrategy?: unknown; retention?: unknown; claims?: boolean; start?: number } = {}): KObject {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "web" },
    spec: {
      serviceName: "nginx",
      replicas: opts.replicas ?? 3,
      selector: { matchLabels: { app: "nginx" } },
      ...(opts.podManagementPolicy ? { podManagementPolicy: opts.podManagementPolicy } : {}),
      ...(opts.updateStrategy ? { updateStrategy: opts.updateStrategy } : {}),
      ...(opts.retention ? { persistentVolumeClaimRetentionPolicy: opts.retention } : {}),
      ...(opts.start !== undefined ? { ordinals: { start: opts.start } } : {}),
      template: {
        metadata: { labels: { app: "nginx" } },
        spec: { containers: [{ name: "nginx", image: opts.image ?? "registry.k8s.io/nginx-slim:0.24", volumeMounts: [{ name: "www", mountPath: "/usr/share/nginx/html" }] }] },
      },
      volumeClaimTemplates:
        opts.claims === false ? [] : [{ metadata: { name: "www" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
    },
  };
}

describe("StatefulSet controller: OrderedReady", () => {
  it("creates web-0, web-1, web-2 one at a time, each only once the previous is Running and Ready", async () => {
    const w = await world();
    await w.create(web());
    await w.sync();
    expect(w.podNames()).toEqual(["web-0"]);
    await w.sync();
    expect(w.podNames()).toEqual(["web-0"]);

    await w.makeReady("web-0");
    await w.sync();
    expect(w.podNames()).toEqual(["web-0", "web-1"]);
    await w.setPhase("web-1", "Pending");
    await w.sync();
    expect(w.podNames()).toEqual(["web-0", "web-1"]);

    await w.makeReady("web-1");
    await w.sync();
    expect(w.podNames()).toEqual(["web-0", "web-1", "web-2"]);
    expect(w.events("SuccessfulCreate")).toEqual([
      "create Claim www-web-0 Pod web-0 in StatefulSet web success",
      "create Pod web-0 in StatefulSet web successful",
      "create Claim www-web-1 Pod web-1 in StatefulSet web success",
      "create Pod web-1 in StatefulSet web successful",
      "create Claim www-web-2 Pod web-2 in StatefulSet web success",
      "create Pod web-2 in StatefulSet web successful",
    ]);
  });

  it("gives each pod its stable identity, revision label, and a volume on its own claim", async () => {
    const w = await world();
    const set = await w.create(web());
    await w.sync();
    const pod = w.pod("web-0");
    expect(pod.metadata.generateName).toBe("web-");
    expect(pod.metadata.labels).toEqual({
      app: "nginx",
      "statefulset.kubernetes.io/pod-name": "web-0",
      "apps.kubernetes.io/pod-index": "0",
      "controller-revision-hash": w.set().status.updateRevision,
    });
    expect(w.set().status.updateRevision).toMatch(/^web-[0-9a-z]+$/);
    expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: "apps/v1", kind: "StatefulSet", name: "web", uid: set.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(pod.spec.hostname).toBe("web-0");
    expect(pod.spec.subdomain).toBe("nginx");
    expect(pod.spec.volumes[0]).toEqual({ name: "www", persistentVolumeClaim: { claimName: "www-web-0" } });

    const claim = w.claim("www-web-0");
    expect(claim.metadata.labels).toEqual({ app: "nginx" });
    expect(claim.metadata.ownerReferences).toBeUndefined();
    expect(claim.spec).toMatchObject({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "standard" });
  });

  it("numbers pods from spec.ordinals.start", async () => {
    const w = await world();
    await w.create(web({ replicas: 2, start: 5 }));
    await w.settle();
    expect(w.podNames()).toEqual(["web-5", "web-6"]);
    expect(w.claimNames()).toEqual(["www-web-5", "www-web-6"]);
  });

  it("scales down from the highest ordinal, one pod at a time, keeping the claims (Retain)", async () => {
    const w = await world();
    await w.create(web());
    await w.settle();
    await w.update((s) => (s.spec.replicas = 1));

    await w.sync();
    expect(w.podNames()).toEqual(["web-0", "web-1"]);
    expect(w.pod("web-2").metadata.deletionTimestamp).toBeDefined();
    await w.sync();
    expect(w.pod("web-1").metadata.deletionTimestamp).toBeUndefined();

    await w.finishTerminating();
    await w.sync();
    expect(w.podNames()).toEqual(["web-0"]);
    expect(w.events("SuccessfulDelete")).toEqual(["delete Pod web-2 in StatefulSet web successful", "delete Pod web-1 in StatefulSet web successful"]);
    expect(w.claimNames()).toEqual(["www-web-0", "www-web-1", "www-web-2"]);

    // Scaling back up reuses the kept claims.
    await w.update((s) => (s.spec.replicas = 3));
    await w.settle();
    expect(w.podNames()).toEqual(["web-0", "web-1", "web-2"]);
    expect(w.events("SuccessfulCreate").filter((m) => m.startsWith("create Claim"))).toHaveLength(3);
  });

  it("does not scale down while another pod is unhealthy", async () => {
    const w = await world();
    await w.create(web());
    await w.settle();
    await w.setPhase("web-0", "Pending");
    await w.update((s) => (s.spec.replicas = 2));
    await w.sync();
    expect(w.podNames()).toEqual(["web-0", "web-1", "web-2"]);
  });

  it("replaces a deleted pod under the same name, and a failed one after deleting it", async () => {
    const w = await world();
    await w.create(web());
    await w.settle();
    const oldUid = w.pod("web-1").metadata.uid;
    await w.pods.delete("default", "web-1", { user: systemUser, gracePeriodSeconds: 0 });
    await w.sync();
    expect(w.podNames()).toEqual(["web-0", "web-1", "web-2"]);
    expect(w.pod("web-1").metadata.uid).not.toBe(oldUid);
    expect(w.pod("web-1").spec.volumes[0].persistentVolumeClaim.claimName).toBe("www-web-1");
    await w.settle();

    await w.setPhase("web-2", "Failed");
    const failedUid = w.pod("web-2").metadata.uid;
    await w.sync();
    await w.finishTerminating();
    await w.sync();
    expect(w.podNames()).toEqual(["web-0", "web-1", "web-2"]);
    expect(w.pod("web-2").metadata.uid).not.toBe(failedUid);
  });

  it("recreates a missing claim for a pending pod", async () => {
    const w = await world();
    await w.create(web({ replicas: 1 }));
    await w.sync();
    await w.claims.delete("default", "www-web-0", { user: systemUser });
    await w.sync();
    expect(w.claimNames()).toEqual(["www-web-0"]);
  });
});

describe("StatefulSet controller: Parallel", () => {
  it("creates every pod at once and deletes every extra pod at once", async () => {
    const w = await world();
    await w.create(web({ podManagementPolicy: "Parallel" }));
    await w.sync();
    expect(w.podNames()).toEqual(["web-0", "web-1", "web-2"]);
    expect(w.claimNames()).toEqual(["www-web-0", "www-web-1", "www-web-2"]);

    await w.update((s) => (s.spec.replicas = 0));
    await w.sync();
    expect(w.podNames()).toEqual([]);
  });
});

describe("StatefulSet controller: updates", () => {
  it("rolls out a new template from the highest ordinal, one pod at a time, waiting for each to be ready", async () => {
    const w = await world();
    await w.create(web());
    await w.settle();
    const oldRevision = w.set().status.currentRevision;
    await w.update((s) => (s.spec.template.spec.containers[0].image = "registry.k8s.io/nginx-slim:0.27"));

    await w.sync();
    const newRevision = w.set().status.updateRevision;
    expect(newRevision).not.toBe(oldRevision);
    expect(w.pod("web-2").metadata.deletionTimestamp).toBeDefined();
    expect(w.pod("web-1").metadata.deletionTimestamp).toBeUndefined();
    expect(w.set().status).toMatchObject({ currentRevision: oldRevision, updateRevision: newRevision, currentReplicas: 2 });

    await w.finishTerminating();
    await w.sync();
    expect(w.pod("web-2").spec.containers[0].image).toBe("registry.k8s.io/nginx-slim:0.27");
    expect(w.pod("web-2").metadata.labels!["controller-revision-hash"]).toBe(newRevision);
    await w.sync();
    expect(w.pod("web-1").metadata.deletionTimestamp).toBeUndefined();

    await w.settle();
    expect(w.podNames().map((n) => w.pod(n).spec.containers[0].image)).toEqual(Array(3).fill("registry.k8s.io/nginx-slim:0.27"));
    expect(w.events("SuccessfulDelete")).toEqual([
      "delete Pod web-2 in StatefulSet web successful",
      "delete Pod web-1 in StatefulSet web successful",
      "delete Pod web-0 in StatefulSet web successful",
    ]);
    expect(w.set().status).toMatchObject({ currentRevision: newRevision, updateRevision: newRevision, currentReplicas: 3, updatedReplicas: 3 });
  });

  it("leaves pods below rollingUpdate.partition at the current revision", async () => {
    const w = await world();
    await w.create(web({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } }));
    await w.settle();
    const oldRevision = w.set().status.currentRevision;
    await w.update((s) => (s.spec.template.spec.containers[0].image = "registry.k8s.io/nginx-slim:0.27"));
    await w.settle();
    expect(w.podNames().map((n) => w.pod(n).spec.containers[0].image)).toEqual([
      "registry.k8s.io/nginx-slim:0.24",
      "registry.k8s.io/nginx-slim:0.24",
      "registry.k8s.io/nginx-slim:0.27",
    ]);
    expect(w.set().status).toMatchObject({ currentRevision: oldRevision, currentReplicas: 2, updatedReplicas: 1 });
  });

  it("with OnDelete, replaces only the pods someone deletes", async () => {
    const w = await world();
    await w.create(web({ updateStrategy: { type: "OnDelete" } }));
    await w.settle();
    await w.update((s) => (s.spec.template.spec.containers[0].image = "registry.k8s.io/nginx-slim:0.27"));
    await w.settle();
    expect(w.podNames().map((n) => w.pod(n).spec.containers[0].image)).toEqual(Array(3).fill("registry.k8s.io/nginx-slim:0.24"));

    await w.pods.delete("default", "web-0", { user: systemUser, gracePeriodSeconds: 0 });
    await w.settle();
    expect(w.pod("web-0").spec.containers[0].image).toBe("registry.k8s.io/nginx-slim:0.27");
    expect(w.set().status).toMatchObject({ currentReplicas: 2, updatedReplicas: 1 });
  });
});

describe("StatefulSet controller: status", () => {
  it("reports the fields kubectl rollout status reads, and a settled pass writes nothing", async () => {
    const w = await world();
    await w.create(web());
    await w.sync();
    expect(w.set().status).toMatchObject({ replicas: 1, availableReplicas: 0, updatedReplicas: 1, currentReplicas: 1, observedGeneration: 1, collisionCount: 0 });
    expect(w.set().status.readyReplicas).toBeUndefined();

    await w.settle();
    const status = w.set().status;
    expect(status).toEqual({
      observedGeneration: 1,
      replicas: 3,
      readyReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      currentRevision: status.updateRevision,
      updateRevision: status.updateRevision,
      collisionCount: 0,
      availableReplicas: 3,
    });

    const before = w.snapshot();
    await w.sync();
    await w.bindClaims();
    expect(w.snapshot()).toBe(before);
  });

  it("counts a pod available only after minReadySeconds, and asks to be called back then", async () => {
    const w = await world();
    await w.create({ ...web({ replicas: 1 }), spec: { ...web({ replicas: 1 }).spec, minReadySeconds: 10 } });
    await w.sync();
    await w.makeReady("web-0");
    const result = await w.sync();
    expect(w.set().status).toMatchObject({ readyReplicas: 1, availableReplicas: 0 });
    expect(result).toEqual({ requeueAfterMs: 10_001 });
    w.clock.advance(10_001);
    await w.sync();
    expect(w.set().status.availableReplicas).toBe(1);
  });
});

describe("volume binder", () => {
  it("binds a Pending standard claim at once, as kind's local-path provisioner, and then leaves it alone", async () => {
    const w = await world();
    await w.create(web({ replicas: 1 }));
    await w.sync();
    await w.bindClaims();
    const claim = w.claim("www-web-0");
    expect(claim.spec.volumeName).toBe(`pvc-${claim.metadata.uid}`);
    expect(claim.metadata.annotations).toEqual({
      "pv.kubernetes.io/bind-completed": "yes",
      "pv.kubernetes.io/bound-by-controller": "yes",
      "volume.beta.kubernetes.io/storage-provisioner": "rancher.io/local-path",
      "volume.kubernetes.io/storage-provisioner": "rancher.io/local-path",
    });
    expect(claim.status).toEqual({ phase: "Bound", accessModes: ["ReadWriteOnce"], capacity: { storage: "1Gi" } });

    const before = w.snapshot();
    await w.bindClaims();
    expect(w.snapshot()).toBe(before);
  });

  it("leaves a claim of another (absent) class Pending", async () => {
    const w = await world();
    await w.claims.create(
      "default",
      { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "fast" }, spec: { storageClassName: "fast", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
      { user: systemUser },
    );
    await w.bindClaims();
    expect(w.claim("fast").status.phase).toBe("Pending");
  });
});

describe("claim retention policy", () => {
  it("whenDeleted: Delete makes the set the claims' controller; whenScaled: Delete hands a scaled-down pod's claim to the pod", async () => {
    const w = await world();
    const set = await w.create(web({ retention: { whenDeleted: "Delete", whenScaled: "Delete" } }));
    await w.settle();
    const setRef = { apiVersion: "apps/v1", kind: "StatefulSet", name: "web", uid: set.metadata.uid, controller: true, blockOwnerDeletion: true };
    expect(w.claim("www-web-2").metadata.ownerReferences).toEqual([setRef]);

    await w.update((s) => (s.spec.replicas = 2));
    const web2 = w.pod("web-2");
    await w.sync();
    expect(w.claim("www-web-2").metadata.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Pod", name: "web-2", uid: web2.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(w.claim("www-web-1").metadata.ownerReferences).toEqual([setRef]);
  });

  it("leaves the garbage collector to delete pods and claims with the set (whenDeleted: Delete), or keep the claims (Retain)", async () => {
    for (const whenDeleted of ["Delete", "Retain"]) {
      const w = await world();
      const set = await w.create(web({ retention: { whenDeleted, whenScaled: "Retain" } }));
      await w.settle();
      await w.sets.delete("default", "web", { user: systemUser });
      await w.gc(set);
      await w.finishTerminating();
      expect(w.podNames()).toEqual([]);
      expect(w.claimNames()).toEqual(whenDeleted === "Delete" ? [] : ["www-web-0", "www-web-1", "www-web-2"]);
    }
  });

  it("waits for a scaled-down pod's claim to be collected before recreating that pod (whenScaled: Delete)", async () => {
    const w = await world();
    await w.create(web({ retention: { whenDeleted: "Retain", whenScaled: "Delete" } }));
    await w.settle();
    await w.update((s) => (s.spec.replicas = 2));
    await w.settle();
    expect(w.claim("www-web-2").metadata.ownerReferences?.[0]).toMatchObject({ kind: "Pod", name: "web-2" });

    // The pod is gone but the garbage collector has not deleted its claim yet.
    await w.update((s) => (s.spec.replicas = 3));
    expect(await w.sync()).toEqual({ requeueAfterMs: 1_000 });
    expect(w.podNames()).toEqual(["web-0", "web-1"]);

    await w.claims.delete("default", "www-web-2", { user: systemUser });
    await w.sync();
    expect(w.podNames()).toEqual(["web-0", "web-1", "web-2"]);
    expect(w.claim("www-web-2").metadata.ownerReferences).toBeUndefined();
  });

  it("computes owner references per policy (pure)", () => {
    const set: KObject = { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "web", uid: "s" }, spec: { replicas: 1, persistentVolumeClaimRetentionPolicy: { whenScaled: "Delete", whenDeleted: "Retain" } } };
    const pod = (name: string): KObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name, uid: `p-${name}` } });
    const claim: KObject = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "www-web-1", ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "x", uid: "x" }] } };
    expect(claimOwnerRefs(claim, set, pod("web-0")).map((r) => r.uid)).toEqual(["x"]);
    expect(claimOwnerRefs(claim, set, pod("web-1")).map((r) => r.uid)).toEqual(["x", "p-web-1"]);
  });
});

describe("adoption and event keys", () => {
  it("adopts a matching orphan pod named after the set instead of creating a second web-0", async () => {
    const w = await world();
    await w.pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "web-0", labels: { app: "nginx" } }, spec: { containers: [{ name: "nginx", image: "nginx" }] } }, { user: systemUser });
    const set = await w.create(web({ replicas: 1 }));
    await w.sync();
    expect(w.podNames()).toEqual(["web-0"]);
    expect(w.pod("web-0").metadata.ownerReferences?.[0].uid).toBe(set.metadata.uid);
    expect(statefulSetKeyForPod(w.pod("web-0"))).toBe("default/web");

    // Once it runs, it gets its identity labels; its volumes cannot change, its claim is created.
    await w.makeReady("web-0");
    await w.sync();
    expect(w.pod("web-0").metadata.labels).toMatchObject({ "statefulset.kubernetes.io/pod-name": "web-0", "apps.kubernetes.io/pod-index": "0" });
    expect(w.claimNames()).toEqual(["www-web-0"]);
    expect(w.events("SuccessfulUpdate")).toEqual(["update Pod web-0 in StatefulSet web successful"]);
    const before = w.snapshot();
    await w.sync();
    expect(w.snapshot()).toBe(before);
  });

  it("maps an orphan pod to the sets selecting it", async () => {
    const w = await world();
    const set = await w.create(web());
    const orphan: KObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "web-9", namespace: "default", labels: { app: "nginx" } }, spec: {} };
    expect(statefulSetKeyForPod(orphan)).toBeNull();
    expect(statefulSetKeysForPod(orphan, [set])).toEqual(["default/web"]);
  });
});
