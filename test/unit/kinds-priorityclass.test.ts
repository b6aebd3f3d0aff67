/**
 * scheduling.k8s.io/v1 PriorityClass as `kubectl` meets it: the two system classes every cluster
 * has, defaulting, upstream's validation and admission errors, and `kubectl get pc`.
 */
import { describe, expect, it } from "vitest";
import { StatusError } from "../../src/apiserver/status";
import { systemUser } from "../../src/sandbox/sandbox";
import type { KObject } from "../../src/registry/types";
import { accept, cluster, quietSandbox } from "./support/cluster";

const user = { user: systemUser };

async function store() {
  const { registry } = await quietSandbox();
  return registry.resource("scheduling.k8s.io", "priorityclasses");
}

function pc(name: string, value: number, body: Record<string, unknown> = {}): KObject {
  return { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name }, value, ...body };
}

/** The status code and message a failing write answers with. */
async function failure(write: Promise<unknown>): Promise<[number, string]> {
  try {
    await write;
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    return [(e as StatusError).code, (e as StatusError).message];
  }
  throw new Error("write succeeded");
}

describe("PriorityClass kind", () => {
  it("every sandbox starts with the two system classes, as kube-apiserver creates them", async () => {
    const pcs = await store();
    const critical = pcs.get("", "system-cluster-critical");
    expect(critical).toMatchObject({
      value: 2000000000,
      description: "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
      preemptionPolicy: "PreemptLowerPriority",
    });
    expect(critical.globalDefault).toBeFalsy();
    expect(pcs.get("", "system-node-critical")).toMatchObject({
      value: 2000001000,
      description: "Used for system critical pods that must not be moved from their current node.",
    });
  });

  it("defaults preemptionPolicy to PreemptLowerPriority and keeps Never", async () => {
    const pcs = await store();
    expect((await pcs.create("", pc("high", 1000), user)).preemptionPolicy).toBe("PreemptLowerPriority");
    expect((await pcs.create("", pc("polite", 1000, { preemptionPolicy: "Never" }), user)).preemptionPolicy).toBe("Never");
    expect(await failure(pcs.create("", pc("odd", 1, { preemptionPolicy: "Sometimes" }), user))).toEqual([
      422,
      'PriorityClass.scheduling.k8s.io "odd" is invalid: preemptionPolicy: Unsupported value: "Sometimes": supported values: "Never", "PreemptLowerPriority"',
    ]);
  });

  it("caps user values at one billion and reserves the system- prefix", async () => {
    const pcs = await store();
    expect(await pcs.create("", pc("max", 1000000000), user)).toMatchObject({ value: 1000000000 });
    expect(await failure(pcs.create("", pc("too-high", 1000000001), user))).toEqual([
      422,
      'PriorityClass.scheduling.k8s.io "too-high" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000',
    ]);
    expect(await failure(pcs.create("", pc("system-mine", 10), user))).toEqual([
      422,
      "PriorityClass.scheduling.k8s.io \"system-mine\" is invalid: metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
    ]);
  });

  it("allows one global default only", async () => {
    const pcs = await store();
    await pcs.create("", pc("standard", 100, { globalDefault: true }), user);
    expect(await failure(pcs.create("", pc("other", 200, { globalDefault: true }), user))).toEqual([
      403,
      'priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass standard is already marked as default. Only one default can exist',
    ]);
    await pcs.create("", pc("other", 200), user);
    expect((await failure(pcs.patch("", "other", (o) => ({ ...o, globalDefault: true }), user)))[0]).toBe(403);
    // The default itself may be updated.
    const described = await pcs.patch("", "standard", (o) => ({ ...o, description: "the usual" }), user);
    expect(described.description).toBe("the usual");
  });

  it("keeps value and preemptionPolicy immutable, with upstream's messages", async () => {
    const pcs = await store();
    await pcs.create("", pc("high", 1000), user);
    expect(await failure(pcs.patch("", "high", (o) => ({ ...o, value: 2000 }), user))).toEqual([
      422,
      'PriorityClass.scheduling.k8s.io "high" is invalid: value: Forbidden: may not be changed in an update.',
    ]);
    expect(await failure(pcs.patch("", "high", (o) => ({ ...o, preemptionPolicy: "Never" }), user))).toEqual([
      422,
      'PriorityClass.scheduling.k8s.io "high" is invalid: preemptionPolicy: Invalid value: "Never": field is immutable',
    ]);
  });

  it("kubectl get pc: NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY, served under the short name's group", async () => {
    const c = await cluster();
    await c.post("/apis/scheduling.k8s.io/v1/priorityclasses", pc("batch", 100, { globalDefault: true, preemptionPolicy: "Never" }));
    const res = await c.get("/apis/scheduling.k8s.io/v1/priorityclasses", { headers: { accept: accept.table } });
    expect(res.status).toBe(200);
    expect(res.body.columnDefinitions.map((d: { name: string }) => d.name)).toEqual(["Name", "Value", "Global-Default", "Age", "PreemptionPolicy"]);
    const rows = Object.fromEntries(res.body.rows.map((r: { cells: unknown[] }) => [r.cells[0], r.cells]));
    expect(rows["batch"]).toEqual(["batch", 100, true, "0s", "Never"]);
    expect(rows["system-node-critical"]).toEqual(["system-node-critical", 2000001000, false, "0s", "PreemptLowerPriority"]);
    const resources = await c.get("/apis/scheduling.k8s.io/v1");
    expect(resources.body.resources).toContainEqual(expect.objectContaining({ name: "priorityclasses", namespaced: false, kind: "PriorityClass", shortNames: ["pc"] }));
  });
});
