/**
 * PersistentVolumeClaims as a user meets them over the wire: what a minimal claim becomes, the
 * errors upstream answers (paths and wording), which updates a claim accepts, and `kubectl get pvc`.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { accept, cluster, contentType, type Cluster } from "./support/cluster";

const pvcs = (ns = "default") => `/api/v1/namespaces/${ns}/persistentvolumeclaims`;
const pvcPath = (name: string, ns = "default") => `${pvcs(ns)}/${name}`;

function claim(name: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, ...spec },
  };
}

/** Binds a claim as the volume binder does (volumeName, then status). */
async function bind(c: Cluster, name: string, capacity = "1Gi") {
  const current = (await c.get(pvcPath(name))).body;
  await c.patch(pvcPath(name), { spec: { volumeName: `pvc-${current.metadata.uid}` } });
  await c.patch(`${pvcPath(name)}/status`, { status: { phase: "Bound", capacity: { storage: capacity }, accessModes: ["ReadWriteOnce"] } });
}

describe("PersistentVolumeClaim", () => {
  let c: Cluster;
  beforeEach(async () => {
    c = await cluster();
  });
  afterEach(async () => {
    await c.closeWatches();
  });

  it("is served at /api/v1 as persistentvolumeclaims (short name pvc) with a status subresource", async () => {
    const { body } = await c.get("/api/v1");
    const byName = new Map<string, any>(body.resources.map((r: { name: string }) => [r.name, r]));
    expect(byName.get("persistentvolumeclaims")).toMatchObject({ singularName: "persistentvolumeclaim", namespaced: true, kind: "PersistentVolumeClaim", shortNames: ["pvc"] });
    expect(byName.get("persistentvolumeclaims/status")).toMatchObject({ kind: "PersistentVolumeClaim", verbs: ["get", "patch", "update"] });
  });

  it("defaults a minimal claim: standard class, Filesystem mode, Pending, canonical quantities", async () => {
    const res = await c.post(pvcs(), claim("data", { resources: { requests: { storage: "1024Mi" } } }));
    expect(res.status).toBe(201);
    expect(res.body.spec).toEqual({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "standard", volumeMode: "Filesystem" });
    expect(res.body.status).toEqual({ phase: "Pending" });
  });

  it("keeps an explicit empty class (no class) and a class named by the beta annotation", async () => {
    const none = await c.post(pvcs(), claim("none", { storageClassName: "" }));
    expect(none.body.spec.storageClassName).toBe("");
    const annotated = await c.post(pvcs(), { ...claim("old"), metadata: { name: "old", annotations: { "volume.beta.kubernetes.io/storage-class": "fast" } } });
    expect(annotated.body.spec.storageClassName).toBeUndefined();
  });

  it("ignores a client-set status on create", async () => {
    const res = await c.post(pvcs(), { ...claim("data"), status: { phase: "Bound", capacity: { storage: "5Gi" } } });
    expect(res.body.status).toEqual({ phase: "Pending" });
  });

  it.each([
    [
      "no access modes and no storage request",
      { accessModes: [], resources: {} },
      'PersistentVolumeClaim "bad" is invalid: [spec.accessModes: Required value: at least 1 access mode is required, spec.resources[storage]: Required value]',
    ],
    [
      "an unknown access mode",
      { accessModes: ["ReadWriteSometimes"] },
      'PersistentVolumeClaim "bad" is invalid: spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
    ],
    [
      "ReadWriteOncePod with another mode",
      { accessModes: ["ReadWriteOncePod", "ReadWriteOnce"] },
      'PersistentVolumeClaim "bad" is invalid: spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes',
    ],
    ["a zero request", { resources: { requests: { storage: "0" } } }, 'PersistentVolumeClaim "bad" is invalid: spec.resources[storage]: Invalid value: "0": must be greater than zero'],
    ["an unknown volume mode", { volumeMode: "Raw" }, 'PersistentVolumeClaim "bad" is invalid: spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"'],
  ])("refuses %s (422, upstream wording)", async (_what, spec, message) => {
    const res = await c.post(pvcs(), claim("bad", spec));
    expect(res.status).toBe(422);
    expect(res.body.message).toBe(message);
  });

  it("refuses a storage request that is not a quantity as a decode error (400)", async () => {
    const res = await c.post(pvcs(), claim("bad", { resources: { requests: { storage: "lots" } } }));
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('PersistentVolumeClaim in version "v1" cannot be handled as a PersistentVolumeClaim');
  });

  it("refuses spec changes after creation, showing the changed field", async () => {
    await c.post(pvcs(), claim("data"));
    const res = await c.patch(pvcPath("data"), { spec: { storageClassName: "fast" } });
    expect(res.status).toBe(422);
    expect(res.body.message).toContain(
      'PersistentVolumeClaim "data" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
    );
    expect(res.body.message).toContain('- \tStorageClassName: &"standard",\n+ \tStorageClassName: &"fast",');
  });

  it("lets a Pending claim's size alone but a Bound claim grow; never below its capacity", async () => {
    await c.post(pvcs(), claim("data"));
    const pending = await c.patch(pvcPath("data"), { spec: { resources: { requests: { storage: "2Gi" } } } });
    expect(pending.status).toBe(422);

    await bind(c, "data");
    const grown = await c.patch(pvcPath("data"), { spec: { resources: { requests: { storage: "2Gi" } } } });
    expect(grown.status).toBe(200);
    expect(grown.body.spec.resources.requests.storage).toBe("2Gi");
    expect(grown.body.status.capacity).toEqual({ storage: "1Gi" });

    const shrunk = await c.patch(pvcPath("data"), { spec: { resources: { requests: { storage: "512Mi" } } } });
    expect(shrunk.status).toBe(422);
    expect(shrunk.body.message).toBe('PersistentVolumeClaim "data" is invalid: spec.resources.requests.storage: Forbidden: field can not be less than status.capacity');
  });

  it("accepts volumeName once, then keeps it", async () => {
    await c.post(pvcs(), claim("data"));
    expect((await c.patch(pvcPath("data"), { spec: { volumeName: "pv-1" } })).status).toBe(200);
    expect((await c.patch(pvcPath("data"), { spec: { volumeName: "pv-2" } })).status).toBe(422);
  });

  it("keeps status out of main-resource writes", async () => {
    await c.post(pvcs(), claim("data"));
    const res = await c.patch(pvcPath("data"), { status: { phase: "Bound" } }, contentType.merge);
    expect(res.status).toBe(200);
    expect(res.body.status.phase).toBe("Pending");
  });

  it("prints kubectl get pvc columns: capacity and access modes only once bound, VolumeMode in -o wide", async () => {
    await c.post(pvcs(), claim("pending"));
    await c.post(pvcs(), claim("bound", { accessModes: ["ReadWriteOnce", "ReadOnlyMany"] }));
    await bind(c, "bound", "1Gi");
    await c.patch(`${pvcPath("bound")}/status`, { status: { accessModes: ["ReadOnlyMany", "ReadWriteOnce"] } });
    const uid = (await c.get(pvcPath("bound"))).body.metadata.uid;
    const res = await c.get(pvcs(), { headers: { accept: accept.table } });
    expect(res.body.columnDefinitions.map((d: { name: string; priority: number }) => `${d.name}${d.priority ? "*" : ""}`)).toEqual([
      "Name",
      "Status",
      "Volume",
      "Capacity",
      "Access Modes",
      "StorageClass",
      "VolumeAttributesClass",
      "Age",
      "VolumeMode*",
    ]);
    const rows = new Map<string, unknown[]>(res.body.rows.map((r: { cells: unknown[] }) => [r.cells[0], r.cells]));
    expect(rows.get("pending")).toEqual(["pending", "Pending", "", "", "", "standard", "<unset>", "0s", "Filesystem"]);
    expect(rows.get("bound")).toEqual(["bound", "Bound", `pvc-${uid}`, "1Gi", "RWO,ROX", "standard", "<unset>", "0s", "Filesystem"]);
  });
});
