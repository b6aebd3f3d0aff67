import { describe, expect, it } from "vitest";
import { systemUser } from "../../src/sandbox/sandbox";
import { selectEverything } from "../../src/registry/selection";
import { formatTime } from "../../src/registry/clock";
import type { KObject } from "../../src/registry/types";
import { StatusError } from "../../src/apiserver/status";
import { patchFunction } from "../../src/apiserver/patch";
import {
  CONTROLLER_REVISION_HASH,
  controllerRevisionName,
  fnv32,
  goJson,
  hashControllerRevision,
  nextRevision,
  sortRevisions,
  templateOf,
  templatePatch,
} from "../../src/controlplane/controllers/history";
import { controllerCell } from "../../src/registry/kinds/controllerrevision";
import { daemonSetHash, daemonSetKeysForRevision, daemonSetReconciler, targetNodeName } from "../../src/controlplane/controllers/daemonset";
import { statefulSetReconciler } from "../../src/controlplane/controllers/statefulset";
import { garbageCollectorReconciler, ownerKey } from "../../src/controlplane/controllers/garbage-collector";
import { quietSandbox } from "./support/cluster";

const user = { user: systemUser };

/** What `kubectl rollout undo` sends: the revision's data as a strategic-merge patch of the parent. */
function undoPatch(revision: KObject, kind: string) {
  return patchFunction("application/strategic-merge-patch+json", new TextEncoder().encode(JSON.stringify(revision.data)), kind);
}

// A sandbox whose own control plane never runs: the test drives the DaemonSet / StatefulSet
// controllers and the garbage collector by hand, and plays scheduler and kubelet.
async function world() {
  const { clock, registry } = await quietSandbox();
  const deps = { registry, user: systemUser, now: () => clock.now() };
  const dsc = daemonSetReconciler(deps);
  const ssc = statefulSetReconciler(deps);
  const gc = garbageCollectorReconciler({ registry, user: systemUser });
  const pods = registry.resource("", "pods");
  const dss = registry.resource("apps", "daemonsets");
  const sets = registry.resource("apps", "statefulsets");
  const revisions = registry.resource("apps", "controllerrevisions");
  const node = registry.resource("", "nodes").list("", { selection: selectEverything }).items[0].metadata.name!;
  const list = (store: typeof pods) => store.list("default", { selection: selectEverything }).items;
  const w = {
    clock,
    pods,
    dss,
    sets,
    revisions,
    gc: (owner: KObject) => gc(ownerKey(owner)),
    /** The revisions, oldest first: `name@revision`. */
    history: () => sortRevisions(list(revisions)).map((r) => `${r.metadata.name}@${r.revision}`),
    revision: (n: number) => list(revisions).find((r) => r.revision === n)!,
    revisionVersions: () => list(revisions).map((r) => `${r.metadata.name}@${r.metadata.resourceVersion}`).sort().join(),
    live: () => list(pods).filter((p) => !p.metadata.deletionTimestamp),
    hashes: () => [...new Set(w.live().map((p) => p.metadata.labels![CONTROLLER_REVISION_HASH]))],
    images: () => w.live().map((p) => `${p.metadata.name}=${p.spec.containers[0].image}`).sort(),
    snapshot: () => [...list(pods), ...list(dss), ...list(sets), ...list(revisions)].map((o) => `${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`).sort().join(),
    /** Scheduler + kubelet: bind, Running and Ready; terminating pods finish. */
    async run() {
      for (const p of list(pods)) {
        if (p.metadata.deletionTimestamp) {
          await pods.delete("default", p.metadata.name!, { user: systemUser, gracePeriodSeconds: 0 });
          continue;
        }
        if (!p.spec.nodeName) {
          await pods.patch("default", p.metadata.name!, (c) => ({ ...c, spec: { ...c.spec, nodeName: targetNodeName(c) ?? node } }), { user: systemUser, subresource: "binding" });
        }
        if (p.status?.phase !== "Running") {
          const t = formatTime(clock.now());
          await pods.patch("default", p.metadata.name!, (c) => ({ ...c, status: { phase: "Running", podIP: "10.244.1.9", conditions: [{ type: "Ready", status: "True", lastTransitionTime: t }] } }), {
            user: systemUser,
            subresource: "status",
          });
        }
      }
    },
    async settle(reconcile: () => Promise<unknown>, rounds = 40) {
      for (let i = 0; i < rounds; i++) {
        const before = w.snapshot();
        await reconcile();
        await w.run();
        if (w.snapshot() === before) return;
      }
      throw new Error("did not settle");
    },
    settleDs: () => w.settle(() => dsc("default/agent")),
    settleSts: () => w.settle(() => ssc("default/web")),
    dsc: () => dsc("default/agent"),
    ssc: () => ssc("default/web"),
    setImage: (store: typeof pods, name: string, image: string) =>
      store.patch(
        "default",
        name,
        (c) => {
          c.spec.template.spec.containers[0].image = image;
          return c;
        },
        user,
      ),
  };
  return w;
}

function daemonSet(opts: { revisionHistoryLimit?: number } = {}): KObject {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "agent", annotations: { "kubernetes.io/change-cause": "first" } },
    spec: {
      selector: { matchLabels: { app: "agent" } },
      ...(opts.revisionHistoryLimit !== undefined ? { revisionHistoryLimit: opts.revisionHistoryLimit } : {}),
      template: { metadata: { labels: { app: "agent" } }, spec: { containers: [{ name: "main", image: "busybox:1.36" }] } },
    },
  };
}

function statefulSet(opts: { replicas?: number; partition?: number; revisionHistoryLimit?: number } = {}): KObject {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "web" },
    spec: {
      replicas: opts.replicas ?? 3,
      serviceName: "nginx",
      selector: { matchLabels: { app: "nginx" } },
      ...(opts.partition !== undefined ? { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: opts.partition } } } : {}),
      ...(opts.revisionHistoryLimit !== undefined ? { revisionHistoryLimit: opts.revisionHistoryLimit } : {}),
      template: { metadata: { labels: { app: "nginx" } }, spec: { containers: [{ name: "nginx", image: "nginx:1.25" }] } },
    },
  };
}

describe("revision encoding (pure)", () => {
  it("encodes data as Go's json.Marshal of a map: sorted keys, HTML characters escaped", () => {
    expect(goJson({ b: 1, a: { d: [true, null], c: "x<y>&z" } })).toBe('{"a":{"c":"x\\u003cy\\u003e\\u0026z","d":[true,null]},"b":1}');
  });

  it("hashes with FNV-1 (not 1a) and the collision count as decimal text", () => {
    expect(fnv32("")).toBe(0x811c9dc5);
    expect(fnv32("a")).toBe(0x050c5d7e);
    expect(fnv32("foobar")).toBe(0x31f0b262);
    const data = { spec: { template: { $patch: "replace" } } };
    expect(hashControllerRevision(data, 0)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(hashControllerRevision(data, 1)).not.toBe(hashControllerRevision(data, 0));
    expect(hashControllerRevision(data, 0)).not.toBe(hashControllerRevision(data));
  });

  it("names a revision <parent>-<hash>, the parent's name cut to 223 characters", () => {
    expect(controllerRevisionName("web", "abc")).toBe("web-abc");
    expect(controllerRevisionName("x".repeat(300), "abc")).toBe(`${"x".repeat(223)}-abc`);
  });

  it("stores the template as a replacing patch with Go's null creationTimestamp, and restores it", () => {
    const ds = daemonSet();
    const patch = templatePatch(ds);
    expect(patch).toEqual({
      spec: { template: { $patch: "replace", metadata: { creationTimestamp: null, labels: { app: "agent" } }, spec: { containers: [{ name: "main", image: "busybox:1.36" }] } } },
    });
    expect(JSON.stringify(patch)).toBe(goJson(patch));
    expect(templateOf({ apiVersion: "apps/v1", kind: "ControllerRevision", metadata: {}, data: patch })).toEqual(ds.spec.template);
  });

  it("orders revisions by number and finds the next one", () => {
    const rev = (name: string, revision: number): KObject => ({ apiVersion: "apps/v1", kind: "ControllerRevision", metadata: { name }, revision });
    expect(sortRevisions([rev("c", 3), rev("a", 1), rev("b", 2)]).map((r) => r.metadata.name)).toEqual(["a", "b", "c"]);
    expect(nextRevision([])).toBe(1);
    expect(nextRevision([rev("a", 1), rev("c", 7)])).toBe(8);
  });

  it("maps a revision event to its DaemonSet, or an orphan to the DaemonSets selecting it", () => {
    const owned: KObject = {
      apiVersion: "apps/v1",
      kind: "ControllerRevision",
      metadata: { name: "agent-x", namespace: "kube-system", ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "agent", uid: "u", controller: true }] },
    };
    const candidates = [{ ...daemonSet(), metadata: { name: "agent", namespace: "kube-system" } }];
    expect(daemonSetKeysForRevision(owned, [])).toEqual(["kube-system/agent"]);
    const orphan: KObject = { ...owned, metadata: { name: "agent-y", namespace: "kube-system", labels: { app: "agent" } } };
    expect(daemonSetKeysForRevision(orphan, candidates)).toEqual(["kube-system/agent"]);
    expect(daemonSetKeysForRevision({ ...orphan, metadata: { ...orphan.metadata, labels: { app: "other" } } }, candidates)).toEqual([]);
    expect(controllerCell(owned.metadata.ownerReferences![0])).toBe("daemonset.apps/agent");
    expect(controllerCell(undefined)).toBe("<none>");
  });
});

describe("ControllerRevision kind", () => {
  const revision = (extra: Record<string, unknown>): KObject => ({ apiVersion: "apps/v1", kind: "ControllerRevision", metadata: { name: "r" }, ...extra });
  const fieldErrors = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      if (e instanceof StatusError) return e.message;
      throw e;
    }
    return "accepted";
  };

  it("requires data, refuses a negative revision, keeps data immutable but lets the revision be re-numbered", async () => {
    const { revisions } = await world();
    expect(await fieldErrors(revisions.create("default", revision({ revision: 1 }), user))).toContain("data: Required value: data is mandatory");
    expect(await fieldErrors(revisions.create("default", revision({ data: {}, revision: -1 }), user))).toContain("revision: Invalid value: -1: must be greater than or equal to 0");
    await revisions.create("default", revision({ data: { a: 1 }, revision: 1 }), user);
    const change = (mutate: (r: KObject) => void) =>
      revisions.patch(
        "default",
        "r",
        (c) => {
          mutate(c);
          return c;
        },
        user,
      );
    expect(await fieldErrors(change((r) => (r.data = { a: 2 })))).toContain("data: Invalid value");
    expect(await fieldErrors(change((r) => (r.revision = 5)))).toBe("accepted");
    expect(revisions.get("default", "r").revision).toBe(5);
  });
});

describe("DaemonSet history", () => {
  it("snapshots the template in a revision the pods' hash label names, owned by the DaemonSet", async () => {
    const w = await world();
    const ds = await w.dss.create("default", daemonSet(), user);
    await w.settleDs();
    const hash = daemonSetHash(ds);
    expect(w.history()).toEqual([`agent-${hash}@1`]);
    const rev = w.revision(1);
    expect(rev.metadata.labels).toEqual({ app: "agent", [CONTROLLER_REVISION_HASH]: hash });
    expect(rev.metadata.annotations).toMatchObject({ "kubernetes.io/change-cause": "first" });
    expect(rev.metadata.ownerReferences).toEqual([{ apiVersion: "apps/v1", kind: "DaemonSet", name: "agent", uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(rev.data).toEqual(templatePatch(w.dss.get("default", "agent")));
    expect(w.hashes()).toEqual([hash]);
  });

  it("numbers a new template's revision after the old one, and a rollout undo re-numbers the old revision to the newest", async () => {
    const w = await world();
    await w.dss.create("default", daemonSet(), user);
    await w.settleDs();
    const first = w.revision(1);
    await w.setImage(w.dss, "agent", "busybox:1.37");
    await w.settleDs();
    const second = w.revision(2);
    expect(w.history()).toEqual([`${first.metadata.name}@1`, `${second.metadata.name}@2`]);
    expect(w.hashes()).toEqual([second.metadata.labels![CONTROLLER_REVISION_HASH]]);

    // kubectl rollout undo ds/agent: the previous revision's data patched onto the DaemonSet.
    await w.dss.patch("default", "agent", undoPatch(first, "DaemonSet"), user);
    expect(w.dss.get("default", "agent").spec.template.spec.containers[0].image).toBe("busybox:1.36");
    await w.settleDs();
    expect(w.history()).toEqual([`${second.metadata.name}@2`, `${first.metadata.name}@3`]);
    expect(w.hashes()).toEqual([first.metadata.labels![CONTROLLER_REVISION_HASH]]);
    expect(w.images().every((i) => i.endsWith("=busybox:1.36"))).toBe(true);
  });

  it("writes nothing once the history is in place (no revision churn)", async () => {
    const w = await world();
    await w.dss.create("default", daemonSet(), user);
    await w.settleDs();
    await w.setImage(w.dss, "agent", "busybox:1.37");
    await w.settleDs();
    const before = w.snapshot();
    await w.dsc();
    await w.dsc();
    expect(w.snapshot()).toBe(before);
  });

  it("keeps at most revisionHistoryLimit old revisions, deleting the oldest", async () => {
    const w = await world();
    await w.dss.create("default", daemonSet({ revisionHistoryLimit: 1 }), user);
    await w.settleDs();
    for (const image of ["busybox:1.37", "busybox:1.38"]) {
      await w.setImage(w.dss, "agent", image);
      await w.settleDs();
    }
    expect(w.history().map((h) => h.split("@")[1])).toEqual(["2", "3"]);
  });

  it("adopts an orphan revision of the same template instead of creating another", async () => {
    const w = await world();
    const ds = await w.dss.create("default", daemonSet(), user);
    await w.revisions.create(
      "default",
      { apiVersion: "apps/v1", kind: "ControllerRevision", metadata: { name: "agent-old", labels: { app: "agent", [CONTROLLER_REVISION_HASH]: "old" } }, data: templatePatch(ds), revision: 4 },
      user,
    );
    await w.settleDs();
    expect(w.history()).toEqual(["agent-old@4"]);
    expect(w.revision(4).metadata.ownerReferences?.[0]?.uid).toBe(ds.metadata.uid);
    expect(w.hashes()).toEqual(["old"]);
  });

  it("resolves a name taken by other data by bumping status.collisionCount", async () => {
    const w = await world();
    const ds = await w.dss.create("default", daemonSet(), user);
    const taken = `agent-${daemonSetHash(ds)}`;
    await w.revisions.create("default", { apiVersion: "apps/v1", kind: "ControllerRevision", metadata: { name: taken }, data: { other: true }, revision: 1 }, user);
    await expect(w.dsc()).rejects.toThrow(/hash collision/);
    expect(w.dss.get("default", "agent").status.collisionCount).toBe(1);
    await w.settleDs();
    const mine = `agent-${daemonSetHash(w.dss.get("default", "agent"))}`;
    expect(mine).not.toBe(taken);
    expect(w.history().sort()).toEqual([`${taken}@1`, `${mine}@1`].sort());
  });

  it("lets the garbage collector delete the revisions with their DaemonSet", async () => {
    const w = await world();
    const ds = await w.dss.create("default", daemonSet(), user);
    await w.settleDs();
    expect(w.history()).toHaveLength(1);
    await w.dss.delete("default", "agent", user);
    await w.gc(ds);
    expect(w.history()).toEqual([]);
  });
});

describe("StatefulSet history", () => {
  it("names revisions after the hash of their data; status and pod labels carry the revision name", async () => {
    const w = await world();
    const set = await w.sets.create("default", statefulSet(), user);
    await w.settleSts();
    const expected = `web-${hashControllerRevision(templatePatch(w.sets.get("default", "web")), 0)}`;
    expect(w.history()).toEqual([`${expected}@1`]);
    const rev = w.revision(1);
    expect(rev.metadata.labels).toEqual({ app: "nginx", [CONTROLLER_REVISION_HASH]: expected.slice("web-".length) });
    expect(rev.metadata.ownerReferences?.[0]).toMatchObject({ kind: "StatefulSet", name: "web", uid: set.metadata.uid, controller: true });
    expect(w.sets.get("default", "web").status).toMatchObject({ currentRevision: expected, updateRevision: expected, collisionCount: 0 });
    expect(w.hashes()).toEqual([expected]);
  });

  it("moves past a revision name taken by other data, counting the collision in status", async () => {
    const w = await world();
    const set = await w.sets.create("default", statefulSet(), user);
    const taken = `web-${hashControllerRevision(templatePatch(set), 0)}`;
    await w.revisions.create("default", { apiVersion: "apps/v1", kind: "ControllerRevision", metadata: { name: taken }, data: { other: true }, revision: 1 }, user);
    await w.settleSts();
    const mine = `web-${hashControllerRevision(templatePatch(set), 1)}`;
    expect(w.sets.get("default", "web").status).toMatchObject({ collisionCount: 1, updateRevision: mine, currentRevision: mine });
    expect(w.hashes()).toEqual([mine]);
  });

  it("rolls out a new revision, and a rollout undo re-numbers the old one and rolls the pods back", async () => {
    const w = await world();
    await w.sets.create("default", statefulSet(), user);
    await w.settleSts();
    const first = w.revision(1);
    await w.setImage(w.sets, "web", "nginx:1.27");
    await w.settleSts();
    const second = w.revision(2);
    expect(w.sets.get("default", "web").status).toMatchObject({ currentRevision: second.metadata.name, updateRevision: second.metadata.name, updatedReplicas: 3 });

    await w.sets.patch("default", "web", undoPatch(first, "StatefulSet"), user);
    await w.settleSts();
    expect(w.history()).toEqual([`${second.metadata.name}@2`, `${first.metadata.name}@3`]);
    expect(w.sets.get("default", "web").status).toMatchObject({ currentRevision: first.metadata.name, updateRevision: first.metadata.name });
    expect(w.images()).toEqual(["web-0=nginx:1.25", "web-1=nginx:1.25", "web-2=nginx:1.25"]);

    const before = w.snapshot();
    await w.ssc();
    expect(w.snapshot()).toBe(before);
  });

  it("recreates a pod below the partition from the current revision's template", async () => {
    const w = await world();
    await w.sets.create("default", statefulSet({ partition: 2 }), user);
    await w.settleSts();
    await w.setImage(w.sets, "web", "nginx:1.27");
    await w.settleSts();
    expect(w.images()).toEqual(["web-0=nginx:1.25", "web-1=nginx:1.25", "web-2=nginx:1.27"]);
    await w.pods.delete("default", "web-0", { user: systemUser, gracePeriodSeconds: 0 });
    await w.settleSts();
    expect(w.images()).toEqual(["web-0=nginx:1.25", "web-1=nginx:1.25", "web-2=nginx:1.27"]);
    expect(w.pods.get("default", "web-0").metadata.labels![CONTROLLER_REVISION_HASH]).toBe(w.revision(1).metadata.name);
  });

  it("keeps revisions pods still use beyond the limit, and trims the unused oldest ones", async () => {
    const w = await world();
    await w.sets.create("default", statefulSet({ partition: 2, revisionHistoryLimit: 0 }), user);
    await w.settleSts();
    for (const image of ["nginx:1.26", "nginx:1.27"]) {
      await w.setImage(w.sets, "web", image);
      await w.settleSts();
    }
    // Revision 1 is current (web-0, web-1), 3 the update one (web-2); 2 is used by no pod.
    expect(w.history().map((h) => h.split("@")[1])).toEqual(["1", "3"]);
  });
});
