import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { StatusError } from "../../src/apiserver/status";
import { applyStrategicMergePatch } from "../../src/apiserver/patch/strategic-merge-patch";
import { patchMeta } from "../../src/apiserver/patch/patch-metadata";

function statusOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return { code: e.code, reason: e.reason, message: e.message };
    throw e;
  }
  throw new Error("expected a StatusError");
}

const container = (name: string, extra: Record<string, unknown> = {}) => ({ name, image: `${name}:1`, ...extra });

const deployment = (podSpec: Record<string, unknown>, spec: Record<string, unknown> = {}) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default", labels: { app: "web" }, annotations: { keep: "me" } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: "web" } },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
    template: { metadata: { labels: { app: "web" } }, spec: podSpec },
    ...spec,
  },
});

const pod = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "default", ...metadata } as Record<string, unknown>,
  spec,
});

const podSpecOf = (d: unknown) => (d as { spec: { template: { spec: Record<string, unknown> } } }).spec.template.spec;
const names = (list: unknown) => (list as { name: string }[]).map((c) => c.name);

describe("strategic merge patch: what kubectl sends", () => {
  it("kubectl apply after removing a container and an env var (kubectl-wire §8.2)", () => {
    const live = deployment({
      containers: [
        container("main", { image: "nginx:1.25", env: [{ name: "A", value: "1" }, { name: "B", value: "2" }] }),
        container("side"),
      ],
    });
    const lastApplied = '{"apiVersion":"apps/v1","kind":"Deployment"}\n';
    const patch = {
      metadata: { annotations: { "kubectl.kubernetes.io/last-applied-configuration": lastApplied } },
      spec: {
        replicas: 2,
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "main" }],
            containers: [
              { "$setElementOrder/env": [{ name: "A" }], env: [{ $patch: "delete", name: "B" }], image: "nginx:1.26", name: "main" },
              { $patch: "delete", name: "side" },
            ],
          },
        },
      },
    };
    const out = applyStrategicMergePatch(live, patch, "Deployment", "apps") as ReturnType<typeof deployment>;
    expect(out.spec.replicas).toBe(2);
    expect(out.metadata.annotations).toEqual({ keep: "me", "kubectl.kubernetes.io/last-applied-configuration": lastApplied });
    expect(podSpecOf(out).containers).toEqual([{ name: "main", image: "nginx:1.26", env: [{ name: "A", value: "1" }] }]);
    expect(JSON.stringify(out)).not.toContain("$");
  });

  // Upstream's order, including its quirk: the item added where one was deleted lands in the freed
  // live slot (after "logger") because Go's slices share the live list's backing array.
  it("kubectl apply keeps server-only containers in their live place and orders the manifest's by $setElementOrder", () => {
    const live = deployment({ containers: [container("injected"), container("main"), container("side"), container("logger")] });
    const patch = {
      spec: {
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "main" }, { name: "added" }],
            containers: [{ name: "added", image: "added:1" }, { $patch: "delete", name: "side" }],
          },
        },
      },
    };
    const out = applyStrategicMergePatch(live, patch, "Deployment", "apps");
    expect(names(podSpecOf(out).containers)).toEqual(["injected", "main", "logger", "added"]);
  });

  it("kubectl apply adding a container places it after the manifest's previous one", () => {
    const live = deployment({ containers: [container("injected"), container("main"), container("logger")] });
    const patch = {
      spec: { template: { spec: { "$setElementOrder/containers": [{ name: "main" }, { name: "added" }], containers: [{ name: "added", image: "added:1" }] } } },
    };
    const out = applyStrategicMergePatch(live, patch, "Deployment", "apps");
    expect(names(podSpecOf(out).containers)).toEqual(["injected", "main", "added", "logger"]);
  });

  it("kubectl apply reorders env vars with $setElementOrder alone", () => {
    const env = [{ name: "A", value: "1" }, { name: "B", value: "2" }, { name: "C", value: "3" }];
    const live = deployment({ containers: [container("main", { env })] });
    const patch = {
      spec: {
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "main" }],
            containers: [{ "$setElementOrder/env": [{ name: "C" }, { name: "A" }, { name: "B" }], name: "main" }],
          },
        },
      },
    };
    const out = applyStrategicMergePatch(live, patch, "Deployment", "apps");
    expect(names((podSpecOf(out).containers as { env: unknown }[])[0].env)).toEqual(["C", "A", "B"]);
  });

  it("kubectl set image changes one container's image and nothing else", () => {
    const live = deployment({ containers: [container("main", { image: "nginx:1.26", ports: [{ containerPort: 80 }] }), container("side")] });
    const patch = {
      spec: {
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "main" }, { name: "side" }],
            containers: [{ image: "nginx:1.28", name: "main" }],
          },
        },
      },
    };
    const out = applyStrategicMergePatch(live, patch, "Deployment", "apps");
    expect(podSpecOf(out).containers).toEqual([
      { name: "main", image: "nginx:1.28", ports: [{ containerPort: 80 }] },
      { name: "side", image: "side:1" },
    ]);
  });

  it("kubectl rollout restart adds the restartedAt annotation to the pod template", () => {
    const live = deployment({ containers: [container("main")] });
    const patch = { spec: { template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": "2026-11-22T03:00:04Z" } } } } };
    const out = applyStrategicMergePatch(live, patch, "Deployment", "apps") as ReturnType<typeof deployment>;
    expect(out.spec.template.metadata).toEqual({
      labels: { app: "web" },
      annotations: { "kubectl.kubernetes.io/restartedAt": "2026-11-22T03:00:04Z" },
    });
    expect(podSpecOf(out)).toEqual({ containers: [container("main")] });
  });

  it.each<[string, unknown, Record<string, unknown>]>([
    ["cordon sets spec.unschedulable", { spec: { unschedulable: true } }, { podCIDR: "10.0.0.0/24", unschedulable: true }],
    ["uncordon removes it with null", { spec: { unschedulable: null } }, { podCIDR: "10.0.0.0/24" }],
  ])("%s", (_name, patch, spec) => {
    const node = { apiVersion: "v1", kind: "Node", metadata: { name: "node1" }, spec: { podCIDR: "10.0.0.0/24", unschedulable: true } };
    expect((applyStrategicMergePatch(node, patch, "Node", "") as typeof node).spec).toEqual(spec);
  });

  it("kubectl apply switching the deployment strategy clears rollingUpdate with $retainKeys", () => {
    const live = deployment({ containers: [container("main")] });
    const out = applyStrategicMergePatch(live, { spec: { strategy: { $retainKeys: ["type"], type: "Recreate" } } }, "Deployment", "apps");
    expect((out as ReturnType<typeof deployment>).spec.strategy).toEqual({ type: "Recreate" });
  });

  it("a volume switching from emptyDir to configMap drops emptyDir ($retainKeys)", () => {
    const live = deployment({ containers: [container("main")], volumes: [{ name: "data", emptyDir: {} }, { name: "tmp", emptyDir: {} }] });
    const patch = {
      spec: {
        template: {
          spec: {
            "$setElementOrder/volumes": [{ name: "data" }, { name: "tmp" }],
            volumes: [{ $retainKeys: ["configMap", "name"], configMap: { name: "cfg" }, name: "data" }],
          },
        },
      },
    };
    expect(podSpecOf(applyStrategicMergePatch(live, patch, "Deployment", "apps")).volumes).toEqual([
      { name: "data", configMap: { name: "cfg" } },
      { name: "tmp", emptyDir: {} },
    ]);
  });
});

describe("strategic merge patch: maps", () => {
  const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg", labels: { tier: "web", app: "x" } }, data: { a: "1", b: "2" } };

  it.each<[string, unknown, unknown]>([
    ["a label is removed with null", { metadata: { labels: { tier: null } } }, { ...cm, metadata: { name: "cfg", labels: { app: "x" } } }],
    ["data merges key by key", { data: { b: "changed", c: "3" } }, { ...cm, data: { a: "1", b: "changed", c: "3" } }],
    ["$patch: replace on a map replaces it", { metadata: { labels: { $patch: "replace", new: "1" } } }, {
      ...cm,
      metadata: { name: "cfg", labels: { new: "1" } },
    }],
    ["$patch: delete on a map empties it", { data: { $patch: "delete" } }, { ...cm, data: {} }],
    ["a null for a missing key changes nothing", { data: { nope: null } }, cm],
    ["a new map is written without its nulls", { metadata: { annotations: { a: "1", b: null } } }, {
      ...cm,
      metadata: { ...cm.metadata, annotations: { a: "1" } },
    }],
    ["a scalar replaces a map and back", { data: "x" }, { ...cm, data: "x" }],
  ])("%s", (_name, patch, expected) => {
    expect(applyStrategicMergePatch(cm, patch, "ConfigMap", "")).toEqual(expected);
  });
});

describe("strategic merge patch: lists", () => {
  it("$patch: replace on a list makes the patch's items the whole list", () => {
    const live = pod({ containers: [container("a"), container("b")] });
    const out = applyStrategicMergePatch(live, { spec: { containers: [{ $patch: "replace" }, { name: "only", image: "x" }] } }, "Pod");
    expect((out as ReturnType<typeof pod>).spec.containers).toEqual([{ name: "only", image: "x" }]);
  });

  it("$patch: delete removes a list item by its merge key", () => {
    const live = pod({ containers: [container("a"), container("b"), container("c")] });
    const out = applyStrategicMergePatch(live, { spec: { containers: [{ $patch: "delete", name: "b" }] } }, "Pod");
    expect(names((out as ReturnType<typeof pod>).spec.containers)).toEqual(["a", "c"]);
  });

  it("container ports merge by containerPort", () => {
    const live = pod({ containers: [container("main", { ports: [{ containerPort: 80, name: "http" }, { containerPort: 443, name: "https" }] })] });
    const patch = { spec: { containers: [{ name: "main", ports: [{ containerPort: 80, name: "web" }, { containerPort: 9090 }] }] } };
    const out = applyStrategicMergePatch(live, patch, "Pod") as ReturnType<typeof pod>;
    expect((out.spec.containers as { ports: unknown }[])[0].ports).toEqual([
      { containerPort: 80, name: "web" },
      { containerPort: 9090 },
      { containerPort: 443, name: "https" },
    ]);
  });

  it("service ports merge by port", () => {
    const svc = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web" },
      spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }] },
    };
    const out = applyStrategicMergePatch(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }, { name: "m", port: 9100 }] } }, "Service", "");
    expect((out as typeof svc).spec.ports).toEqual([
      { name: "http", port: 80, targetPort: 9090, protocol: "TCP" },
      { name: "m", port: 9100 },
    ]);
  });

  it("env merges by name and volumeMounts by mountPath", () => {
    const live = pod({
      containers: [container("main", { env: [{ name: "A", value: "1" }], volumeMounts: [{ name: "v", mountPath: "/data" }] })],
    });
    const patch = {
      spec: { containers: [{ name: "main", env: [{ name: "A", value: "2" }], volumeMounts: [{ name: "w", mountPath: "/data", readOnly: true }] }] },
    };
    const c = ((applyStrategicMergePatch(live, patch, "Pod") as ReturnType<typeof pod>).spec.containers as Record<string, unknown>[])[0];
    expect(c.env).toEqual([{ name: "A", value: "2" }]);
    expect(c.volumeMounts).toEqual([{ name: "w", mountPath: "/data", readOnly: true }]);
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>]>([
    ["args are replaced entirely", { args: ["--a", "--b"] }, { args: ["--c"] }, { args: ["--c"] }],
    ["command is replaced entirely", { command: ["sh", "-c", "x"] }, { command: ["bash"] }, { command: ["bash"] }],
  ])("a list without merge strategy: %s", (_name, before, change, after) => {
    const live = pod({ containers: [container("main", before)] });
    const out = applyStrategicMergePatch(live, { spec: { containers: [{ name: "main", ...change }] } }, "Pod") as ReturnType<typeof pod>;
    expect(out.spec.containers).toEqual([container("main", after)]);
  });

  it("tolerations (no patch strategy upstream) are replaced, not merged", () => {
    const live = pod({ containers: [container("main")], tolerations: [{ key: "a", operator: "Exists" }] });
    const out = applyStrategicMergePatch(live, { spec: { tolerations: [{ key: "b", operator: "Exists" }] } }, "Pod") as ReturnType<typeof pod>;
    expect(out.spec.tolerations).toEqual([{ key: "b", operator: "Exists" }]);
  });

  it("finalizers merge as a set", () => {
    const live = pod({ containers: [] }, { finalizers: ["a", "b"] });
    const out = applyStrategicMergePatch(live, { metadata: { finalizers: ["b", "c"] } }, "Pod") as ReturnType<typeof pod>;
    expect(out.metadata.finalizers).toEqual(["a", "b", "c"]);
  });

  it("$deleteFromPrimitiveList/finalizers removes finalizers", () => {
    const live = pod({ containers: [] }, { finalizers: ["a", "b", "c"] });
    const patch = { metadata: { "$setElementOrder/finalizers": ["a", "c"], "$deleteFromPrimitiveList/finalizers": ["b"] } };
    const out = applyStrategicMergePatch(live, patch, "Pod") as ReturnType<typeof pod>;
    expect(out.metadata.finalizers).toEqual(["a", "c"]);
    expect(Object.keys(out.metadata)).not.toContain("$deleteFromPrimitiveList/finalizers");
  });

  it("ownerReferences merge by uid", () => {
    const live = pod({ containers: [] }, { ownerReferences: [{ uid: "1", name: "rs-a", kind: "ReplicaSet" }] });
    const out = applyStrategicMergePatch(live, { metadata: { ownerReferences: [{ uid: "2", name: "rs-b", kind: "ReplicaSet" }] } }, "Pod");
    expect(names((out as { metadata: { ownerReferences: unknown } }).metadata.ownerReferences)).toEqual(["rs-b", "rs-a"]);
  });

  it("node status conditions merge by type", () => {
    const node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "n" },
      status: { conditions: [{ type: "MemoryPressure", status: "False" }, { type: "Ready", status: "True" }] },
    };
    const out = applyStrategicMergePatch(node, { status: { conditions: [{ type: "Ready", status: "False", reason: "KubeletDown" }] } }, "Node");
    expect((out as typeof node).status.conditions).toEqual([
      { type: "MemoryPressure", status: "False" },
      { type: "Ready", status: "False", reason: "KubeletDown" },
    ]);
  });

  it("a CronJob's job template containers merge by name", () => {
    const cj = {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "c" },
      spec: { schedule: "* * * * *", jobTemplate: { spec: { template: { spec: { containers: [container("a"), container("b")] } } } } },
    };
    const patch = { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "b", image: "b:2" }] } } } } } };
    const out = applyStrategicMergePatch(cj, patch, "CronJob", "batch") as typeof cj;
    expect(out.spec.jobTemplate.spec.template.spec.containers).toEqual([container("a"), { name: "b", image: "b:2" }]);
  });
});

describe("strategic merge patch: malformed patches", () => {
  const live = pod({ containers: [container("main"), container("side")], tolerations: [] }, { finalizers: ["a"] });

  it.each<[string, unknown, number, string]>([
    ["a list item without its merge key", { spec: { containers: [{ image: "nginx" }] } }, 400, "map: map[image:nginx] does not contain declared merge key: name"],
    ["a deletion without its merge key", { spec: { containers: [{ $patch: "delete" }] } }, 400, "map: map[$patch:delete] does not contain declared merge key: name"],
    ["an unknown $patch on a map", { spec: { $patch: "bogus" } }, 400, "unknown patch type: bogus in map: map[$patch:bogus]"],
    ["$patch: merge on a map", { spec: { $patch: "merge" } }, 400, "unknown patch type: merge in map: map[$patch:merge]"],
    ["$patch: merge in a list", { spec: { containers: [{ $patch: "merge", name: "x" }] } }, 400, "merging lists cannot yet be specified in the patch"],
    ["an unknown $patch in a list", { spec: { containers: [{ $patch: 1, name: "x" }] } }, 400, "unknown patch type: %!s(int64=1) in map: map[$patch:1 name:x]"],
    ["$retainKeys that is not a list", { spec: { $retainKeys: "containers" } }, 400, "invalid patch format of retainKeys"],
    ["a patched key missing from $retainKeys", { spec: { $retainKeys: ["volumes"], hostname: "h" } }, 400, "invalid patch format of retainKeys"],
    ["$setElementOrder without a field", { spec: { $setElementOrder: [] } }, 400, "invalid patch format of setElementOrder list"],
    ["$setElementOrder that is not a list", { spec: { "$setElementOrder/containers": {} } }, 400, "expected a []interface {}, but received a map[string]interface {}"],
    ["$setElementOrder items without the merge key", { spec: { "$setElementOrder/containers": [{ image: "x" }] } }, 400, "map: map[image:x] does not contain declared merge key: name"],
    ["$deleteFromPrimitiveList without a field", { metadata: { $deleteFromPrimitiveList: ["a"] } }, 400, "invalid patch format of primitive list"],
    ["mixed element types in a merged list", { metadata: { finalizers: [1] } }, 400, "list element types are not identical: [[a] [1]]"],
    ["a patch that is a list", [{ op: "add" }], 400, "json: cannot unmarshal array into Go value of type map[string]interface {}"],
    ["a patch that is a string", "x", 400, "json: cannot unmarshal string into Go value of type map[string]interface {}"],
  ])("%s", (_name, patch, code, message) => {
    expect(statusOf(() => applyStrategicMergePatch(live, patch, "Pod"))).toMatchObject({ code, message });
  });

  it("a $setElementOrder that contradicts the patch list's order", () => {
    const patch = { spec: { "$setElementOrder/containers": [{ name: "main" }, { name: "side" }], containers: [{ name: "side" }, { name: "main" }] } };
    const s = statusOf(() => applyStrategicMergePatch(live, patch, "Pod"));
    expect(s.code).toBe(400);
    expect(s.message).toBe(
      "The order in patch list:\n[map[name:side] map[name:main]]\n doesn't match $setElementOrder list:\n[map[name:main] map[name:side]]\n",
    );
  });

  it("a list of lists is a 422", () => {
    const noFinalizers = pod({ containers: [] }, { finalizers: [] });
    expect(statusOf(() => applyStrategicMergePatch(noFinalizers, { metadata: { finalizers: [["a"]] } }, "Pod"))).toEqual({
      code: 422,
      reason: "Invalid",
      message: "the server rejected our request due to an error in our request",
    });
  });

  it("a $patch directive on a map the object does not have drops the map silently, as upstream", () => {
    const out = applyStrategicMergePatch(live, { metadata: { labels: { $patch: "bogus", a: "1" } } }, "Pod");
    expect((out as ReturnType<typeof pod>).metadata).not.toHaveProperty("labels");
  });

  it("a null body is an empty patch", () => {
    expect(applyStrategicMergePatch(live, null, "Pod")).toEqual(live);
  });
});

describe("patch metadata", () => {
  it.each<[string, string | undefined, string[], unknown]>([
    ["Deployment", "apps", ["spec", "template", "spec", "containers"], { strategy: "merge", mergeKey: "name" }],
    ["Deployment", undefined, ["spec", "template", "spec", "containers", "env"], { strategy: "merge", mergeKey: "name" }],
    ["StatefulSet", "apps", ["spec", "template", "spec", "volumes"], { strategy: "merge,retainKeys", mergeKey: "name" }],
    ["Deployment", "apps", ["spec", "strategy"], { strategy: "retainKeys" }],
    ["Pod", "", ["spec", "ephemeralContainers", "volumeDevices"], { strategy: "merge", mergeKey: "devicePath" }],
    ["Pod", "", ["spec", "topologySpreadConstraints"], { strategy: "merge", mergeKey: "topologyKey" }],
    ["Pod", "", ["spec", "tolerations"], undefined],
    ["Node", "", ["spec", "taints"], undefined],
    ["Endpoints", "", ["subsets", "addresses"], undefined],
    ["ConfigMap", "", ["metadata", "finalizers"], { strategy: "merge" }],
    ["Lease", "coordination.k8s.io", ["metadata", "ownerReferences"], { strategy: "merge", mergeKey: "uid" }],
    ["ServiceAccount", "", ["secrets"], { strategy: "merge", mergeKey: "name" }],
    ["Job", "batch", ["status", "conditions"], { strategy: "merge", mergeKey: "type" }],
    ["Pod", "", ["spec", "containers", "nope", "deeper"], undefined],
  ])("%s (%s) %j", (kind, group, path, expected) => {
    expect(patchMeta(kind, group, path)).toEqual(expected);
  });
});

describe("strategic merge patch: properties", () => {
  const leaf = fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean(), fc.constant(null));
  const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
    tree: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.array(tie("tree"), { maxLength: 3 }),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }), tie("tree"), { maxKeys: 4 }),
    ),
  }));
  const object = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), tree, { maxKeys: 5 });
  const containerArb = fc.record({
    name: fc.constantFrom("a", "b", "c"),
    image: fc.string({ maxLength: 3 }),
    env: fc.array(fc.record({ name: fc.constantFrom("X", "Y"), value: fc.string({ maxLength: 2 }) }), { maxLength: 3 }),
  });
  const deploymentArb = fc.record({
    metadata: fc.record({ name: fc.constant("d"), labels: fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 })) }),
    spec: fc.record({ replicas: fc.nat(5), template: fc.record({ spec: fc.record({ containers: fc.array(containerArb, { maxLength: 3 }) }) }) }),
  });
  const patchArb = fc.oneof(
    object,
    fc.record({ spec: fc.record({ template: fc.record({ spec: fc.record({ containers: fc.array(fc.oneof(containerArb, fc.record({ $patch: fc.constantFrom("delete", "replace"), name: fc.constantFrom("a", "b") })), { maxLength: 3 }) }) }) }) }),
  );

  it("an empty patch returns a deep-equal copy and never mutates its input", () => {
    fc.assert(
      fc.property(fc.oneof(object, deploymentArb), fc.constantFrom("Pod", "Deployment", "ConfigMap", "Node"), (doc, kind) => {
        const before = structuredClone(doc);
        const out = applyStrategicMergePatch(doc, {}, kind);
        expect(out).toEqual(doc);
        expect(doc).toEqual(before);
        if (Object.keys(doc).length > 0) expect(out).not.toBe(doc);
      }),
    );
  });

  it("never mutates the object or the patch, whether it succeeds or fails", () => {
    fc.assert(
      fc.property(fc.oneof(object, deploymentArb), patchArb, (doc, patch) => {
        const docBefore = structuredClone(doc);
        const patchBefore = structuredClone(patch);
        try {
          const out = applyStrategicMergePatch(doc, patch, "Deployment", "apps");
          expect(JSON.stringify(out)).not.toMatch(/"\$(patch|retainKeys|setElementOrder\/|deleteFromPrimitiveList\/)/);
        } catch (e) {
          expect(e).toBeInstanceOf(StatusError);
        }
        expect(doc).toEqual(docBefore);
        expect(patch).toEqual(patchBefore);
      }),
    );
  });
});
