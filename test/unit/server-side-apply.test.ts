import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { StatusError } from "../../src/apiserver/status";
import type { KObject } from "../../src/registry/types";
import {
  builtinListTypes,
  decodeApplyPatch,
  defaultFieldManager,
  FieldSet,
  lastAppliedAnnotation,
  listTypesFromSchema,
  serverSideApply,
  trackUpdate,
  validateWriteOptions,
  withManagedFields,
  type ApplyOptions,
  type ManagedFieldsEntry,
} from "../../src/apiserver/apply";

const T0 = "2026-01-01T00:00:00Z";
const T1 = "2026-01-01T00:01:00Z";
const T2 = "2026-01-01T00:02:00Z";

const deploymentTypes = builtinListTypes("Deployment", "apps");
const configMapTypes = builtinListTypes("ConfigMap", "");

function apply(current: KObject | null, applied: KObject, manager: string, extra: Partial<ApplyOptions> = {}): KObject {
  const listTypes = applied.kind === "Deployment" ? deploymentTypes : configMapTypes;
  return serverSideApply(current, applied, { manager, force: false, now: T0, listTypes, ...extra });
}

/** A non-apply write by `manager` (create when `old` is null), with managedFields tracked. */
function update(old: KObject | null, updated: KObject, manager: string, now = T0, subresource?: string): KObject {
  const listTypes = updated.kind === "Deployment" ? deploymentTypes : configMapTypes;
  return withManagedFields(updated, trackUpdate(old, updated, { manager, now, listTypes, subresource }));
}

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error("expected a StatusError");
}

const managers = (obj: KObject) => (obj.metadata.managedFields as ManagedFieldsEntry[] | undefined) ?? [];
const entryOf = (obj: KObject, manager: string) => managers(obj).find((m) => m.manager === manager);
const owns = (obj: KObject, manager: string, ...path: string[]) => {
  const fields = entryOf(obj, manager)?.fieldsV1;
  return fields !== undefined && FieldSet.fromFieldsV1(fields).has(path.map(toElement));
};
function toElement(s: string) {
  if (s.startsWith("k:")) return { key: Object.entries(JSON.parse(s.slice(2)) as Record<string, unknown>) };
  return { field: s };
}

function deployment(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): KObject {
  return { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default", ...metadata }, spec };
}

const container = (name: string, image: string, extra: Record<string, unknown> = {}) => ({ name, image, ...extra });
const podTemplate = (...containers: unknown[]) => ({ metadata: { labels: { app: "web" } }, spec: { containers } });

function configMap(data: Record<string, string>, labels?: Record<string, string>): KObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg", namespace: "default", ...(labels ? { labels } : {}) }, data };
}

describe("FieldsV1 encoding matches kube-apiserver", () => {
  it("an applied deployment: containers keyed by name, the item itself marked with '.'", () => {
    // Reconstructed from kubernetes/kubernetes test/integration/apiserver/apply/apply_test.go
    // (TestApplyConvertsManagedFieldsVersion): the sidecar_controller's applied configuration and
    // the exact fieldsV1 bytes the apiserver stores for it.
    const applied = deployment(
      { template: { spec: { containers: [container("sidecar", "sidecar:latest")] } } },
      { labels: { sidecar_version: "release" } },
    );
    const out = apply(null, applied, "sidecar_controller");
    expect(JSON.stringify(entryOf(out, "sidecar_controller")?.fieldsV1)).toBe(
      `{"f:metadata":{"f:labels":{"f:sidecar_version":{}}},"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"sidecar\\"}":{".":{},"f:image":{},"f:name":{}}}}}}}`,
    );
  });

  it("apply then two merge patches by one updater: the ConfigMap's managedFields as upstream stores them", () => {
    // Reconstructed from apply_test.go TestApplyManagedFields: the Apply entry first, the updater's
    // entries (its two patches) merged into one Update entry carrying the later time, and the key
    // the updater changed taken from the applier.
    let cm = apply(null, configMap({ key: "value" }, { "test-label": "test" }), "apply_test");
    cm = update(cm, { ...cm, data: { ...cm.data, "new-key": "value" } }, "updater", T1);
    cm = update(cm, { ...cm, data: { ...cm.data, key: "new value" } }, "updater", T2);
    expect(cm.metadata.managedFields).toEqual([
      { manager: "apply_test", operation: "Apply", apiVersion: "v1", time: T0, fieldsType: "FieldsV1", fieldsV1: { "f:metadata": { "f:labels": { "f:test-label": {} } } } },
      { manager: "updater", operation: "Update", apiVersion: "v1", time: T2, fieldsType: "FieldsV1", fieldsV1: { "f:data": { "f:key": {}, "f:new-key": {} } } },
    ]);
    expect(cm.data).toEqual({ key: "new value", "new-key": "value" });
  });

  it("an apply that sets only name and namespace records no managedFields (apply_test.go TestApplyRemovesEmptyManagedFields)", () => {
    const applied: KObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "test-cm", namespace: "default" } };
    const created = apply(null, applied, "apply_test");
    expect(created.metadata.managedFields).toBeUndefined();
    expect(apply(created, applied, "apply_test").metadata.managedFields).toBeUndefined();
  });

  it("a create records new objects and list items with '.', ports keyed by containerPort and protocol in name order", () => {
    const created = update(
      null,
      deployment({ replicas: 1, template: podTemplate(container("nginx", "nginx", { ports: [{ containerPort: 80, protocol: "TCP" }] })) }, { labels: { app: "web" } }),
      "kubectl-create",
    );
    expect(entryOf(created, "kubectl-create")).toEqual({
      manager: "kubectl-create",
      operation: "Update",
      apiVersion: "apps/v1",
      time: T0,
      fieldsType: "FieldsV1",
      fieldsV1: {
        "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
        "f:spec": {
          "f:replicas": {},
          "f:template": {
            ".": {},
            "f:metadata": { ".": {}, "f:labels": { ".": {}, "f:app": {} } },
            "f:spec": {
              ".": {},
              "f:containers": {
                ".": {},
                'k:{"name":"nginx"}': {
                  ".": {},
                  "f:image": {},
                  "f:name": {},
                  "f:ports": { ".": {}, 'k:{"containerPort":80,"protocol":"TCP"}': { ".": {}, "f:containerPort": {}, "f:protocol": {} } },
                },
              },
            },
          },
        },
      },
    });
  });

  it("decodes and re-encodes FieldsV1 unchanged, ordering fields before keys before values", () => {
    const fields = { "f:metadata": { "f:finalizers": { ".": {}, 'v:"a"': {} } }, "f:spec": { "f:ports": { 'k:{"port":80,"protocol":"TCP"}': { ".": {}, "f:port": {} } } } };
    expect(FieldSet.fromFieldsV1(fields).toFieldsV1()).toEqual(fields);
    const reordered = { "f:spec": {}, 'k:{"name":"a"}': {}, "f:a": {} };
    expect(Object.keys(FieldSet.fromFieldsV1(reordered).toFieldsV1())).toEqual(["f:a", "f:spec", 'k:{"name":"a"}']);
  });
});

describe("kubectl apply --server-side", () => {
  const web = () => deployment({ replicas: 2, selector: { matchLabels: { app: "web" } }, template: podTemplate(container("nginx", "nginx:1.27")) }, { labels: { app: "web", tier: "front" } });

  it("creates a missing object owned by the applier", () => {
    const out = apply(null, web(), "kubectl");
    expect(out.spec.replicas).toBe(2);
    expect(managers(out)).toHaveLength(1);
    expect(entryOf(out, "kubectl")).toMatchObject({ operation: "Apply", apiVersion: "apps/v1", time: T0 });
    // A label selector is atomic: owned whole.
    expect(entryOf(out, "kubectl")?.fieldsV1).toMatchObject({ "f:spec": { "f:selector": {} } });
  });

  it("applying the same configuration again changes nothing, not even the time", () => {
    const once = apply(null, web(), "kubectl");
    const twice = serverSideApply(once, web(), { manager: "kubectl", force: false, now: T2, listTypes: deploymentTypes });
    expect(twice).toEqual(once);
  });

  it("a label dropped from the configuration is removed from the object", () => {
    const once = apply(null, web(), "kubectl");
    const next = web();
    next.metadata.labels = { app: "web" };
    const out = apply(once, next, "kubectl");
    expect(out.metadata.labels).toEqual({ app: "web" });
    expect(owns(out, "kubectl", "metadata", "labels", "tier")).toBe(false);
  });

  it("a label someone else also owns stays when the applier drops it", () => {
    const once = apply(null, web(), "kubectl");
    const labelled = update(once, { ...once, metadata: { ...once.metadata, labels: { ...once.metadata.labels, tier: "front", owner: "ops" } } }, "kubectl-label");
    // kubectl-label set only `owner` (tier was unchanged), so tier is kubectl's alone and goes.
    const next = web();
    next.metadata.labels = { app: "web" };
    expect(apply(labelled, next, "kubectl").metadata.labels).toEqual({ app: "web", owner: "ops" });
  });

  it("a conflicting replicas change is refused with upstream's message and one cause per field", () => {
    const created = update(null, deployment({ replicas: 3, template: podTemplate(container("nginx", "nginx")) }), "kubectl-client-side-apply");
    const err = statusOf(() => apply(created, deployment({ replicas: 5 }), "other"));
    expect(err.code).toBe(409);
    expect(err.reason).toBe("Conflict");
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    expect(err.details).toEqual({ causes: [{ reason: "FieldManagerConflict", message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: ".spec.replicas" }] });
  });

  it("several conflicts are listed per manager", () => {
    const created = update(null, deployment({ replicas: 3, template: podTemplate(container("nginx", "nginx")) }), "kubectl-create");
    const err = statusOf(() => apply(created, deployment({ replicas: 5, template: { spec: { containers: [container("nginx", "nginx:2")] } } }), "ci"));
    expect(err.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "kubectl-create" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image',
    );
    expect(err.details?.causes?.map((c) => c.field)).toEqual([".spec.replicas", '.spec.template.spec.containers[name="nginx"].image']);
  });

  it("a conflict with another applier names it without an apiVersion", () => {
    const a = apply(null, deployment({ replicas: 3 }), "team-a");
    expect(statusOf(() => apply(a, deployment({ replicas: 4 }), "team-b")).message).toBe('Apply failed with 1 conflict: conflict with "team-a": .spec.replicas');
  });

  it("--force-conflicts takes the field over", () => {
    const a = apply(null, deployment({ replicas: 3, paused: false }), "team-a");
    const b = apply(a, deployment({ replicas: 4 }), "team-b", { force: true });
    expect(b.spec.replicas).toBe(4);
    expect(owns(b, "team-b", "spec", "replicas")).toBe(true);
    expect(owns(b, "team-a", "spec", "replicas")).toBe(false);
    expect(owns(b, "team-a", "spec", "paused")).toBe(true);
    // team-a no longer owns replicas, so dropping it from its configuration leaves it alone.
    expect(apply(b, deployment({ paused: false }), "team-a").spec.replicas).toBe(4);
  });

  it("equal values are shared, and the field stays while either manager still applies it", () => {
    const a = apply(null, deployment({ replicas: 3 }), "team-a");
    const both = apply(a, deployment({ replicas: 3 }), "team-b");
    expect(owns(both, "team-a", "spec", "replicas")).toBe(true);
    expect(owns(both, "team-b", "spec", "replicas")).toBe(true);
    const aLeft = apply(both, deployment({ paused: true }), "team-a");
    expect(aLeft.spec.replicas).toBe(3);
    expect(apply(aLeft, deployment({}), "team-b").spec.replicas).toBeUndefined();
  });

  it("containers applied by two managers merge by name; each removes only its own", () => {
    const a = apply(null, deployment({ template: podTemplate(container("app", "app:1")) }), "team-a");
    const both = apply(a, deployment({ template: { spec: { containers: [container("sidecar", "proxy:1")] } } }), "team-b");
    expect(both.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(["app", "sidecar"]);
    expect(owns(both, "team-b", "spec", "template", "spec", "containers", 'k:{"name":"sidecar"}')).toBe(true);
    const bGone = apply(both, deployment({}), "team-b");
    expect(bGone.spec.template.spec.containers).toEqual([container("app", "app:1")]);
  });

  it("an object made by kubectl create can be applied with its values, and conflicts on a change", () => {
    const created = update(null, deployment({ replicas: 1, template: podTemplate(container("nginx", "nginx")) }), "kubectl-create");
    const same = apply(created, deployment({ replicas: 1, template: podTemplate(container("nginx", "nginx")) }), "kubectl");
    expect(owns(same, "kubectl-create", "spec", "replicas")).toBe(true);
    expect(owns(same, "kubectl", "spec", "replicas")).toBe(true);
    expect(managers(same).map((m) => m.operation)).toEqual(["Apply", "Update"]);
    const err = statusOf(() => apply(same, deployment({ replicas: 1, template: podTemplate(container("nginx", "nginx:2")) }), "kubectl"));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-create" using apps/v1: .spec.template.spec.containers[name="nginx"].image');
  });

  it("refuses a body with managedFields or another apiVersion", () => {
    const created = apply(null, deployment({ replicas: 1 }), "kubectl");
    expect(statusOf(() => apply(created, deployment({ replicas: 1 }, { managedFields: [] }), "kubectl")).message).toBe("metadata.managedFields must be nil");
    const other = { ...deployment({ replicas: 1 }), apiVersion: "apps/v1beta1" };
    const err = statusOf(() => apply(created, other, "kubectl"));
    expect([err.code, err.message]).toEqual([400, "Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1"]);
  });

  it("an item of an associative list without its key is refused as upstream", () => {
    const err = statusOf(() => apply(null, deployment({ template: { spec: { containers: [{ image: "x" }] } } }), "kubectl"));
    expect(err.code).toBe(500);
    expect(err.message).toBe(
      'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)',
    );
  });
});

describe("removal respects list types", () => {
  const pod = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): KObject => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "default", ...metadata },
    spec,
  });
  const podTypes = builtinListTypes("Pod", "");
  const applyPod = (current: KObject | null, applied: KObject, manager: string) => serverSideApply(current, applied, { manager, force: false, now: T0, listTypes: podTypes });

  it("an associative list loses the items the applier dropped, and keeps the others'", () => {
    const a = applyPod(null, pod({ containers: [container("app", "app", { env: [{ name: "A", value: "1" }, { name: "B", value: "2" }] })] }), "team-a");
    const b = applyPod(a, pod({ containers: [{ name: "app", env: [{ name: "C", value: "3" }] }] }), "team-b");
    const out = applyPod(b, pod({ containers: [container("app", "app", { env: [{ name: "A", value: "1" }] })] }), "team-a");
    expect(out.spec.containers[0].env).toEqual([{ name: "A", value: "1" }, { name: "C", value: "3" }]);
  });

  it("ports default their protocol in the key, so the same port with UDP is another item", () => {
    const a = applyPod(null, pod({ containers: [container("dns", "dns", { ports: [{ containerPort: 53 }, { containerPort: 53, protocol: "UDP" }] })] }), "team-a");
    expect(owns(a, "team-a", "spec", "containers", 'k:{"name":"dns"}', "ports", 'k:{"containerPort":53,"protocol":"TCP"}')).toBe(true);
    const out = applyPod(a, pod({ containers: [container("dns", "dns", { ports: [{ containerPort: 53, protocol: "UDP" }] })] }), "team-a");
    expect(out.spec.containers[0].ports).toEqual([{ containerPort: 53, protocol: "UDP" }]);
  });

  it("a set loses the values the applier dropped, and keeps the others'", () => {
    const a = applyPod(null, pod({}, { finalizers: ["a.io/x", "a.io/y"] }), "team-a");
    const b = applyPod(a, pod({}, { finalizers: ["b.io/z"] }), "team-b");
    expect(b.metadata.finalizers).toEqual(["a.io/x", "a.io/y", "b.io/z"]);
    expect(applyPod(b, pod({}, { finalizers: ["a.io/y"] }), "team-a").metadata.finalizers).toEqual(["a.io/y", "b.io/z"]);
  });

  it("an atomic list is replaced whole, and a change by another manager conflicts", () => {
    const a = applyPod(null, pod({ containers: [container("app", "app", { args: ["--a", "--b"] })] }), "team-a");
    expect(owns(a, "team-a", "spec", "containers", 'k:{"name":"app"}', "args")).toBe(true);
    expect(applyPod(a, pod({ containers: [container("app", "app", { args: ["--c"] })] }), "team-a").spec.containers[0].args).toEqual(["--c"]);
    const err = statusOf(() => applyPod(a, pod({ containers: [{ name: "app", args: ["--a"] }] }), "team-b"));
    expect(err.message).toContain('.spec.containers[name="app"].args');
  });
});

describe("managedFields of other writes", () => {
  it("an update takes over the fields it changes; an entry left empty disappears", () => {
    const a = apply(null, configMap({ k: "1" }), "team-a");
    const edited = update(a, { ...a, data: { k: "2" } }, "kubectl-edit", T1);
    expect(managers(edited).map((m) => m.manager)).toEqual(["kubectl-edit"]);
    expect(entryOf(edited, "kubectl-edit")).toMatchObject({ operation: "Update", apiVersion: "v1", time: T1, fieldsV1: { "f:data": { "f:k": {} } } });
  });

  it("a removed field leaves every manager's set", () => {
    const a = apply(null, configMap({ k: "1", j: "2" }), "team-a");
    const out = update(a, { ...a, data: { j: "2" } }, "kubectl-edit", T1);
    expect(owns(out, "team-a", "data", "k")).toBe(false);
    expect(owns(out, "team-a", "data", "j")).toBe(true);
    expect(entryOf(out, "kubectl-edit")).toBeUndefined();
  });

  it("an update that changes nothing records nothing (a no-op write is a fixed point)", () => {
    const a = apply(null, configMap({ k: "1" }), "team-a");
    expect(update(a, structuredClone(a), "kubectl-edit", T2)).toEqual(a);
  });

  it("managedFields sent by the client replace the stored ones; [] keeps them; [{}] clears them", () => {
    const a = apply(null, configMap({ k: "1" }), "team-a");
    const rewritten: ManagedFieldsEntry[] = [{ manager: "someone", operation: "Apply", apiVersion: "v1", time: T1, fieldsType: "FieldsV1", fieldsV1: { "f:data": { "f:k": {} } } }];
    expect(update(a, { ...a, metadata: { ...a.metadata, managedFields: rewritten } }, "patcher").metadata.managedFields).toEqual(rewritten);
    expect(update(a, { ...a, metadata: { ...a.metadata, managedFields: [] } }, "patcher").metadata.managedFields).toEqual(a.metadata.managedFields);
    expect(update(a, { ...a, metadata: { ...a.metadata, managedFields: [{}] } }, "patcher").metadata.managedFields).toBeUndefined();
  });

  it("keeps at most 10 Update entries, merging the oldest into ancient-changes", () => {
    let cm = configMap({});
    cm = update(null, cm, "creator", "2026-01-01T00:00:00Z");
    for (let i = 0; i < 11; i++) cm = update(cm, { ...cm, data: { ...cm.data, [`k${i}`]: "v" } }, `writer-${i}`, `2026-01-01T00:${String(i + 1).padStart(2, "0")}:00Z`);
    const names = managers(cm).map((m) => m.manager);
    expect(names).toHaveLength(10);
    expect(names[0]).toBe("ancient-changes");
    expect(entryOf(cm, "ancient-changes")).toMatchObject({ time: "2026-01-01T00:02:00Z", fieldsV1: { "f:data": { "f:k0": {}, "f:k1": {} } } });
    expect(names.slice(1)).toEqual(["writer-2", "writer-3", "writer-4", "writer-5", "writer-6", "writer-7", "writer-8", "writer-9", "writer-10"]);
  });

  it("status writes are recorded with subresource status and cannot rewrite managedFields", () => {
    const d = apply(null, deployment({ replicas: 1 }), "kubectl");
    const withStatus = { ...d, status: { replicas: 1 }, metadata: { ...d.metadata, managedFields: [{}] } };
    const out = update(d, withStatus, "kube-controller-manager", T1, "status");
    expect(entryOf(out, "kube-controller-manager")).toEqual({
      manager: "kube-controller-manager",
      operation: "Update",
      apiVersion: "apps/v1",
      time: T1,
      fieldsType: "FieldsV1",
      fieldsV1: { "f:status": { ".": {}, "f:replicas": {} } },
      subresource: "status",
    });
    expect(entryOf(out, "kubectl")).toBeDefined();
  });
});

describe("upgrade from client-side apply", () => {
  const manifest = () => deployment({ replicas: 2, template: podTemplate(container("nginx", "nginx")) });
  /** What `kubectl apply` (client-side) creates: the manifest plus its last-applied annotation, tracked as an Update. */
  function clientSideApplied(): KObject {
    const m = manifest();
    const annotated = { ...m, metadata: { ...m.metadata, annotations: { [lastAppliedAnnotation]: `${JSON.stringify(m)}\n` } } };
    return update(null, annotated, "kubectl-client-side-apply");
  }

  it("kubectl's managedFields rewrite (csaupgrade) is kept verbatim, then apply --server-side has no conflict", () => {
    const csa = clientSideApplied();
    const csaFields = FieldSet.fromFieldsV1(entryOf(csa, "kubectl-client-side-apply")!.fieldsV1);
    // client-go csaupgrade: the client-side-apply entry becomes kubectl's Apply entry, minus the annotation.
    const annotation = FieldSet.of([{ field: "metadata" }, { field: "annotations" }, { field: lastAppliedAnnotation }], [{ field: "metadata" }, { field: "annotations" }]);
    const upgraded: ManagedFieldsEntry[] = [
      { manager: "kubectl", operation: "Apply", apiVersion: "apps/v1", time: T0, fieldsType: "FieldsV1", fieldsV1: csaFields.difference(annotation).toFieldsV1() },
    ];
    const patched = update(csa, { ...csa, metadata: { ...csa.metadata, managedFields: upgraded } }, "kubectl", T1);
    expect(patched.metadata.managedFields).toEqual(upgraded);

    const next = manifest();
    next.spec.replicas = 4;
    const out = apply(patched, next, "kubectl");
    expect(out.spec.replicas).toBe(4);
    expect(managers(out).map((m) => m.manager)).toEqual(["kubectl"]);
    expect(JSON.parse(out.metadata.annotations![lastAppliedAnnotation])).toEqual(next);
  });

  it("without the rewrite (kubectl < 1.26), fields still matching the last-applied configuration do not conflict", () => {
    const next = manifest();
    next.spec.replicas = 4;
    const out = apply(clientSideApplied(), next, "kubectl");
    expect(out.spec.replicas).toBe(4);
    expect(owns(out, "kubectl", "spec", "replicas")).toBe(true);
    expect(owns(out, "kubectl-client-side-apply", "spec", "replicas")).toBe(false);
  });

  it("a field changed since the last client-side apply still conflicts", () => {
    const csa = clientSideApplied();
    const scaled = update(csa, { ...csa, spec: { ...csa.spec, replicas: 7 } }, "kubectl-scale");
    const next = manifest();
    next.spec.replicas = 4;
    expect(statusOf(() => apply(scaled, next, "kubectl")).message).toBe('Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas');
  });
});

describe("field manager names", () => {
  it.each([
    ["kubectl/v1.33.0 (linux/amd64) kubernetes/abc", "kubectl"],
    ["Go-http-client/1.1", "Go-http-client"],
    ["python\u0007-client/1", "python-client"],
    [null, ""],
    ["x".repeat(200), "x".repeat(128)],
  ])("User-Agent %j → %j", (ua, manager) => {
    expect(defaultFieldManager(ua)).toBe(manager);
  });

  it("apply requires a fieldManager, with upstream's 422", () => {
    const err = validateWriteOptions({ options: "PatchOptions", fieldManager: "", apply: true })!;
    expect([err.code, err.reason, err.message]).toEqual([422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch']);
    expect(err.details).toEqual({ group: "meta.k8s.io", kind: "PatchOptions", causes: [{ reason: "FieldValueRequired", message: "Required value: is required for apply patch", field: "fieldManager" }] });
  });

  it("refuses force on other patches, and long or unprintable managers", () => {
    expect(validateWriteOptions({ options: "PatchOptions", fieldManager: "x", forceGiven: true })?.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
    expect(validateWriteOptions({ options: "CreateOptions", fieldManager: "m".repeat(129) })?.message).toBe(
      'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes',
    );
    expect(validateWriteOptions({ options: "UpdateOptions", fieldManager: "a\tb" })?.message).toContain("invalid character U+0009 (at position 1)");
    expect(validateWriteOptions({ options: "PatchOptions", fieldManager: "kubectl", apply: true, forceGiven: true })).toBeUndefined();
  });
});

describe("the apply body", () => {
  it("is YAML (or JSON) holding one object; anything else is a 400", () => {
    expect(decodeApplyPatch("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  enabled: yes\n")).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cfg" },
      data: { enabled: true }, // YAML 1.1 scalars, as sigs.k8s.io/yaml reads them
    });
    expect(decodeApplyPatch(new TextEncoder().encode('{"kind":"ConfigMap"}'))).toEqual({ kind: "ConfigMap" });
    const err = statusOf(() => decodeApplyPatch("- a\n- b\n"));
    expect([err.code, err.reason]).toEqual([400, "BadRequest"]);
  });
});

describe("list types of custom resources", () => {
  const schema = {
    type: "object",
    properties: {
      spec: {
        type: "object",
        properties: {
          servers: { type: "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["host", "port"], items: { type: "object", properties: { host: { type: "string" }, port: { type: "integer", default: 80 } } } },
          tags: { type: "array", "x-kubernetes-list-type": "set", items: { type: "string" } },
          args: { type: "array", items: { type: "string" } },
          selector: { type: "object", "x-kubernetes-map-type": "atomic" },
        },
      },
    },
  };
  const types = listTypesFromSchema(schema);

  it("reads list types, map keys with their defaults, and atomic maps", () => {
    expect(types(["spec", "servers"])).toEqual({ type: "map", keys: ["host", "port"], keyDefaults: { port: 80 } });
    expect(types(["spec", "tags"])).toEqual({ type: "set" });
    expect(types(["spec", "args"])).toBeUndefined();
    expect(types(["spec", "selector"])).toEqual({ type: "atomic" });
  });

  it("an applied custom resource is owned item by item", () => {
    const cr: KObject = { apiVersion: "x.io/v1", kind: "Web", metadata: { name: "w" }, spec: { servers: [{ host: "a" }], tags: ["t"] } };
    const out = serverSideApply(null, cr, { manager: "m", force: false, now: T0, listTypes: types });
    expect(entryOf(out, "m")?.fieldsV1).toEqual({
      "f:spec": { "f:servers": { 'k:{"host":"a","port":80}': { ".": {}, "f:host": {} } }, "f:tags": { 'v:"t"': {} } },
    });
  });
});

describe("properties", () => {
  const label = fc.stringMatching(/^[a-z]{1,6}$/);
  const containers = fc.uniqueArray(
    fc.record({ name: label, image: label, args: fc.option(fc.array(label, { maxLength: 2 }), { nil: undefined }) }, { requiredKeys: ["name", "image"] }),
    { selector: (c) => c.name, maxLength: 3 },
  );
  const config = fc.record({
    labels: fc.dictionary(label, label, { maxKeys: 3 }),
    replicas: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
    containers,
  });
  const toDeployment = (c: { labels: Record<string, string>; replicas?: number; containers: unknown[] }) =>
    deployment({ ...(c.replicas === undefined ? {} : { replicas: c.replicas }), template: { spec: { containers: c.containers } } }, { labels: c.labels });

  it("applying the same configuration twice yields the object of applying it once", () => {
    fc.assert(
      fc.property(config, config, (first, second) => {
        const base = apply(null, toDeployment(first), "kubectl");
        const once = serverSideApply(base, toDeployment(second), { manager: "kubectl", force: false, now: T1, listTypes: deploymentTypes });
        const twice = serverSideApply(once, toDeployment(second), { manager: "kubectl", force: false, now: T2, listTypes: deploymentTypes });
        expect(twice).toEqual(once);
      }),
      { numRuns: 300 },
    );
  });

  it("re-applying is a no-op also when another manager's items share the lists", () => {
    fc.assert(
      fc.property(config, config, (mine, theirs) => {
        const base = apply(null, toDeployment(mine), "team-a");
        const once = serverSideApply(base, toDeployment(theirs), { manager: "team-b", force: true, now: T1, listTypes: deploymentTypes });
        const twice = serverSideApply(once, toDeployment(theirs), { manager: "team-b", force: false, now: T2, listTypes: deploymentTypes });
        expect(twice).toEqual(once);
      }),
      { numRuns: 300 },
    );
  });
});
