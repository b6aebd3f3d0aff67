import { describe, expect, it } from "vitest";
import { systemUser } from "../../src/sandbox/sandbox";
import { selectEverything } from "../../src/registry/selection";
import type { KObject } from "../../src/registry/types";
import { StatusError } from "../../src/apiserver/status";
import { crdReconciler } from "../../src/controlplane/controllers/crd";
import { defineEstablishedCrds } from "../../src/apiextensions/custom-resource";
import { patchFunction } from "../../src/apiserver/patch";
import { toTable } from "../../src/apiserver/table";
import { quietSandbox, runLoop } from "./support/cluster";

const user = { user: systemUser };

function widgetCrd(): KObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "widgets", kind: "Widget", shortNames: ["wd"], categories: ["all"] },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas", labelSelectorPath: ".status.selector" },
          },
          additionalPrinterColumns: [
            { name: "Size", type: "string", jsonPath: ".spec.size" },
            { name: "Replicas", type: "integer", jsonPath: ".spec.replicas" },
            { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
            { name: "Color", type: "string", priority: 1, jsonPath: ".spec.color" },
          ],
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                // As cert-manager's CRDs declare it: the object's metadata stays whole all the same.
                metadata: { type: "object" },
                spec: {
                  type: "object",
                  required: ["size"],
                  "x-kubernetes-validations": [
                    { rule: "self.replicas <= self.maxReplicas", message: "replicas must not exceed maxReplicas" },
                    { rule: "self.size == oldSelf.size", message: "size is immutable" },
                  ],
                  properties: {
                    size: { type: "string", enum: ["small", "medium", "large"] },
                    replicas: { type: "integer", minimum: 0, default: 1 },
                    maxReplicas: { type: "integer", default: 10 },
                    color: { type: "string", pattern: "^[a-z]+$", maxLength: 10 },
                    port: { "x-kubernetes-int-or-string": true },
                    extra: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
                  },
                },
                status: {
                  type: "object",
                  properties: {
                    replicas: { type: "integer" },
                    selector: { type: "string" },
                    conditions: { type: "array", items: { type: "object", properties: { type: { type: "string" }, status: { type: "string" } } } },
                  },
                },
              },
            },
          },
        },
        { name: "v1beta1", served: true, storage: false, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } },
      ],
    },
  };
}

const widget = (name: string, spec: Record<string, unknown>): KObject => ({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name }, spec });

async function world() {
  const { clock, registry } = await quietSandbox();
  const crds = registry.resource("apiextensions.k8s.io", "customresourcedefinitions");
  const reconcile = crdReconciler({ registry, user: systemUser, now: () => clock.now() });
  return {
    clock,
    registry,
    crds,
    reconcile,
    widgets: () => registry.lookup("example.com", "v1", "widgets")!,
    /** Creates the Widget CRD and lets the controller establish it. */
    async established(crd = widgetCrd()) {
      await crds.create("", crd, user);
      await reconcile(crd.metadata.name!);
      return crds.get("", crd.metadata.name!);
    },
  };
}

async function invalidMessage(write: Promise<unknown>): Promise<string> {
  try {
    await write;
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    expect((e as StatusError).code).toBe(422);
    return (e as StatusError).message;
  }
  throw new Error("write was accepted");
}

describe("CustomResourceDefinition kind", () => {
  it("defaults names and conversion, resets status to the storage version, starts at generation 1", async () => {
    const { crds } = await world();
    const created = await crds.create("", { ...widgetCrd(), status: { storedVersions: ["v9"] } }, user);
    expect(created.spec.names.singular).toBe("widget");
    expect(created.spec.names.listKind).toBe("WidgetList");
    expect(created.spec.conversion).toEqual({ strategy: "None" });
    expect(created.status).toEqual({ acceptedNames: { plural: "", kind: "" }, storedVersions: ["v1"] });
    expect(created.metadata.generation).toBe(1);
  });

  it("refuses CRDs upstream refuses, with upstream's messages", async () => {
    const { crds } = await world();
    const misnamed = { ...widgetCrd(), metadata: { name: "gadgets.example.com" } };
    expect(await invalidMessage(crds.create("", misnamed, user))).toBe(
      'CustomResourceDefinition.apiextensions.k8s.io "gadgets.example.com" is invalid: metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group',
    );
    const twoStorage = widgetCrd();
    twoStorage.spec.versions[1].storage = true;
    expect(await invalidMessage(crds.create("", twoStorage, user))).toContain("spec.versions: Invalid value: ");
    expect(await invalidMessage(crds.create("", twoStorage, user))).toContain("must have exactly one version marked as storage version");
    const noSchema = widgetCrd();
    delete noSchema.spec.versions[1].schema;
    expect(await invalidMessage(crds.create("", noSchema, user))).toContain("spec.versions[1].schema.openAPIV3Schema: Required value: schemas are required");
    const untyped = widgetCrd();
    delete untyped.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.size.type;
    expect(await invalidMessage(crds.create("", untyped, user))).toContain(
      "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[size].type: Required value: must not be empty for specified object fields",
    );
    const dotless = { ...widgetCrd(), metadata: { name: "widgets.example" }, spec: { ...widgetCrd().spec, group: "example" } };
    expect(await invalidMessage(crds.create("", dotless, user))).toContain('spec.group: Invalid value: "example": should be a domain with at least one dot');
    const badRule = widgetCrd();
    badRule.spec.versions[0].schema.openAPIV3Schema.properties.spec["x-kubernetes-validations"][0].rule = "self.replicas <=";
    expect(await invalidMessage(crds.create("", badRule, user))).toContain("x-kubernetes-validations[0].rule: Invalid value: \"self.replicas <=\": compilation failed");
  });
});

describe("CRD controller", () => {
  it("accepts the names, establishes the CRD and serves every served version; a second pass writes nothing", async () => {
    const w = await world();
    const generationBefore = w.registry.generation;
    const crd = await w.established();
    const conditions = Object.fromEntries(crd.status.conditions.map((c: { type: string; status: string; reason: string; message: string }) => [c.type, [c.status, c.reason, c.message]]));
    expect(conditions).toEqual({
      NamesAccepted: ["True", "NoConflicts", "no conflicts found"],
      Established: ["True", "InitialNamesAccepted", "the initial names have been accepted"],
    });
    expect(crd.status.acceptedNames).toMatchObject({ plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList", shortNames: ["wd"] });
    const v1 = w.registry.lookup("example.com", "v1", "widgets")!.strategy;
    expect(v1).toMatchObject({ kind: "Widget", namespaced: true, shortNames: ["wd"], categories: ["all"], subresources: { status: true } });
    expect(v1.subresources?.scale).toEqual({ specReplicas: "spec.replicas", statusReplicas: "status.replicas", labelSelector: "status.selector" });
    expect(w.registry.lookup("example.com", "v1beta1", "widgets")).toBeDefined();
    expect(w.registry.generation).toBeGreaterThan(generationBefore);

    const generation = w.registry.generation;
    await w.reconcile("widgets.example.com");
    expect(w.crds.get("", "widgets.example.com").metadata.resourceVersion).toBe(crd.metadata.resourceVersion);
    expect(w.registry.generation).toBe(generation);
  });

  it("refuses names another CRD of the group accepted", async () => {
    const w = await world();
    await w.established();
    const gadgets = widgetCrd();
    gadgets.metadata.name = "gadgets.example.com";
    gadgets.spec.names = { plural: "gadgets", singular: "gadget", kind: "Widget" };
    const crd = await w.established(gadgets);
    const byType = Object.fromEntries(crd.status.conditions.map((c: { type: string }) => [c.type, c]));
    expect(byType.NamesAccepted).toMatchObject({ status: "False", reason: "KindConflict", message: '"Widget" is already in use' });
    expect(byType.Established).toMatchObject({ status: "False", reason: "NotAccepted", message: "not all names are accepted" });
    expect(w.registry.lookup("example.com", "v1", "gadgets")).toBeUndefined();
  });

  it("deletes every custom resource of a deleted CRD, then the kind and the CRD", async () => {
    const w = await world();
    await w.established();
    await w.widgets().create("default", widget("a", { size: "small" }), user);
    await w.widgets().create("kube-system", widget("b", { size: "large" }), user);

    const marked = await w.crds.delete("", "widgets.example.com", { user: systemUser });
    expect(marked.deleted).toBe(false);
    expect(marked.object.metadata.finalizers).toEqual(["customresourcecleanup.apiextensions.k8s.io"]);
    expect(marked.object.metadata.deletionTimestamp).toBeDefined();

    await w.reconcile("widgets.example.com");
    expect(w.registry.lookup("example.com", "v1", "widgets")).toBeUndefined();
    expect(() => w.crds.get("", "widgets.example.com")).toThrow(/not found/);
    expect(w.registry.resource("", "namespaces").list("", { selection: selectEverything }).items.length).toBeGreaterThan(0);
    // The instances are gone from storage too: a CRD of the same name starts empty.
    await w.established();
    expect(w.widgets().list("", { selection: selectEverything }).items).toEqual([]);
  });

  it("waits for custom resources held by finalizers, with Terminating True", async () => {
    const w = await world();
    await w.established();
    await w.widgets().create("default", { ...widget("held", { size: "small" }), metadata: { name: "held", finalizers: ["example.com/hold"] } }, user);
    await w.crds.delete("", "widgets.example.com", { user: systemUser });
    expect(await w.reconcile("widgets.example.com")).toEqual({ requeueAfterMs: 1000 });
    const terminating = w.crds.get("", "widgets.example.com").status.conditions.find((c: { type: string }) => c.type === "Terminating");
    expect(terminating).toMatchObject({ status: "True", reason: "InstanceDeletionInProgress", message: "CustomResource deletion is in progress" });
    expect(w.widgets().get("default", "held").metadata.deletionTimestamp).toBeDefined();
    await expect(w.widgets().create("default", widget("late", { size: "small" }), user)).rejects.toMatchObject({
      code: 405,
      message: "create not allowed while custom resource definition is terminating",
    });

    await w.widgets().patch("default", "held", (o) => ({ ...o, metadata: { ...o.metadata, finalizers: [] } }), user);
    expect(await w.reconcile("widgets.example.com")).toBeUndefined();
    expect(w.registry.lookup("example.com", "v1", "widgets")).toBeUndefined();
    expect(() => w.crds.get("", "widgets.example.com")).toThrow(/not found/);
  });

  it("never replaces a built-in resource", async () => {
    const w = await world();
    const leases = widgetCrd();
    leases.metadata.name = "leases.coordination.k8s.io";
    leases.spec.group = "coordination.k8s.io";
    leases.spec.names = { plural: "leases", kind: "Lease" };
    leases.spec.versions[0].name = "v1";
    await w.established(leases);
    expect("crd" in w.registry.lookup("coordination.k8s.io", "v1", "leases")!.strategy).toBe(false);
    await w.crds.delete("", "leases.coordination.k8s.io", { user: systemUser });
    await w.reconcile("leases.coordination.k8s.io");
    expect(w.registry.resource("coordination.k8s.io", "leases").list("", { selection: selectEverything }).items.length).toBeGreaterThan(0);
  });

  it("serves the kinds of stored established CRDs again after a load", async () => {
    const w = await world();
    await w.established();
    w.registry.remove("example.com", "widgets");
    expect(w.registry.lookup("example.com", "v1", "widgets")).toBeUndefined();
    defineEstablishedCrds(w.registry);
    expect(w.registry.lookup("example.com", "v1", "widgets")?.strategy.kind).toBe("Widget");
  });
});

describe("custom resources", () => {
  it("own their dependents: deleting a Widget garbage-collects the ConfigMap it owns", async () => {
    const { clock, sandbox, registry } = await quietSandbox();
    await registry.resource("apiextensions.k8s.io", "customresourcedefinitions").create("", widgetCrd(), user);
    await runLoop(sandbox, clock, 5_000);
    const widgets = registry.lookup("example.com", "v1", "widgets")!;
    const owner = await widgets.create("default", widget("w1", { size: "small" }), user);
    const configMaps = registry.resource("", "configmaps");
    const ownerReferences = [{ apiVersion: "example.com/v1", kind: "Widget", name: "w1", uid: owner.metadata.uid! }];
    await configMaps.create("default", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "w1-config", ownerReferences } }, user);
    await widgets.delete("default", "w1", user);
    await runLoop(sandbox, clock, 5_000);
    expect(() => configMaps.get("default", "w1-config")).toThrow(/not found/);
  });

  it("are defaulted and pruned on create; status is dropped and generation starts at 1", async () => {
    const w = await world();
    await w.established();
    const created = await w.widgets().create(
      "default",
      { ...widget("a", { size: "small", unknown: 1, extra: { anything: { goes: true } } }), status: { replicas: 3 }, stray: "x" },
      user,
    );
    expect(created.metadata).toMatchObject({ name: "a", namespace: "default" });
    expect(created.spec).toEqual({ size: "small", replicas: 1, maxReplicas: 10, extra: { anything: { goes: true } } });
    expect(created.status).toBeUndefined();
    expect(created.stray).toBeUndefined();
    expect(created.metadata.generation).toBe(1);
    expect(w.registry.lookup("example.com", "v1beta1", "widgets")!.get("default", "a").apiVersion).toBe("example.com/v1beta1");
  });

  it("are refused when invalid, with upstream's messages", async () => {
    const w = await world();
    await w.established();
    const create = (spec: Record<string, unknown>) => invalidMessage(w.widgets().create("default", widget("bad", spec), user));
    expect(await create({ size: "huge" })).toBe(
      'Widget.example.com "bad" is invalid: spec.size: Unsupported value: "huge": supported values: "small", "medium", "large"',
    );
    expect(await create({})).toContain("spec.size: Required value");
    expect(await create({ size: "small", replicas: -1 })).toContain("spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0");
    expect(await create({ size: "small", replicas: "two" })).toContain('spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"');
    expect(await create({ size: "small", color: "Red" })).toContain(`spec.color: Invalid value: "Red": spec.color in body should match '^[a-z]+$'`);
    expect(await create({ size: "small", color: "abcdefghijkl" })).toContain("spec.color: Too long: may not be more than 10 bytes");
    expect(await create({ size: "small", port: true })).toContain('spec.port in body must be of type integer,string: "boolean"');
    expect(await create({ size: "small", replicas: 20 })).toBe('Widget.example.com "bad" is invalid: spec: Invalid value: "object": replicas must not exceed maxReplicas');
    await w.widgets().create("default", widget("ok", { size: "small", port: "http" }), user);
    await w.widgets().create("default", widget("ok2", { size: "small", port: 8080 }), user);
  });

  it("runs transition rules on update only", async () => {
    const w = await world();
    await w.established();
    await w.widgets().create("default", widget("a", { size: "small" }), user);
    const message = await invalidMessage(w.widgets().patch("default", "a", (o) => ({ ...o, spec: { ...o.spec, size: "large" } }), user));
    expect(message).toBe('Widget.example.com "a" is invalid: spec: Invalid value: "object": size is immutable');
  });

  it("bump generation on spec changes only (status has its subresource)", async () => {
    const w = await world();
    await w.established();
    await w.widgets().create("default", widget("a", { size: "small" }), user);
    const scaled = await w.widgets().patch("default", "a", (o) => ({ ...o, spec: { ...o.spec, replicas: 2 } }), user);
    expect(scaled.metadata.generation).toBe(2);
    const withStatus = await w.widgets().patch("default", "a", (o) => ({ ...o, status: { replicas: 2, selector: "app=a" } }), { ...user, subresource: "status" });
    expect(withStatus.metadata.generation).toBe(2);
    expect(withStatus.status).toEqual({ replicas: 2, selector: "app=a" });
  });

  it("are defaulted on read after a default is added to the schema", async () => {
    const w = await world();
    await w.established();
    await w.widgets().create("default", widget("a", { size: "small" }), user);
    await w.crds.patch(
      "",
      "widgets.example.com",
      (crd) => {
        crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.color.default = "blue";
        return crd;
      },
      user,
    );
    await w.reconcile("widgets.example.com");
    expect(w.widgets().get("default", "a").spec.color).toBe("blue");
  });

  it("print their columns, <none> for missing values, Age when the version defines none", async () => {
    const w = await world();
    await w.established();
    await w.widgets().create("default", widget("a", { size: "small", color: "red" }), user);
    const a = await w.widgets().patch(
      "default",
      "a",
      (o) => ({ ...o, status: { conditions: [{ type: "Synced", status: "False" }, { type: "Ready", status: "True" }] } }),
      { ...user, subresource: "status" },
    );
    const table = toTable(w.widgets().strategy, [a], { now: new Date(), include: "None", withColumns: true });
    expect(table.columnDefinitions!.map((c) => [c.name, c.type, c.priority])).toEqual([
      ["Name", "string", 0],
      ["Size", "string", 0],
      ["Replicas", "integer", 0],
      ["Ready", "string", 0],
      ["Age", "date", 0],
      ["Color", "string", 1],
    ]);
    expect(table.rows[0].cells).toEqual(["a", "small", 1, "True", a.metadata.creationTimestamp, "red"]);

    const beta = w.registry.lookup("example.com", "v1beta1", "widgets")!;
    const betaTable = toTable(beta.strategy, [beta.get("default", "a")], { now: new Date(), include: "None", withColumns: true });
    expect(betaTable.columnDefinitions!.map((c) => c.name)).toEqual(["Name", "Age"]);
  });

  it("refuse strategic merge patch with 415, as upstream", async () => {
    const w = await world();
    await w.established();
    const body = new TextEncoder().encode("{}");
    expect(() => patchFunction("application/strategic-merge-patch+json", body, w.widgets().strategy)).toThrow(
      "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
    );
    expect(() => patchFunction("application/merge-patch+json", body, w.widgets().strategy)).not.toThrow();
    expect(() => patchFunction("application/strategic-merge-patch+json", body, w.registry.resource("apps", "deployments").strategy)).not.toThrow();
  });
});
