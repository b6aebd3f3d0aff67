/**
 * The whole control loop of a sandbox in plain Node: every controller wired as in the Durable
 * Object, driven by hand — run what is due, move the clock to the next due time, repeat.
 */
import { describe, expect, it } from "vitest";
import { systemUser } from "../../src/sandbox/sandbox";
import { selectEverything } from "../../src/registry/selection";
import type { KObject } from "../../src/registry/types";
import { quietSandbox } from "./support/cluster";

async function loop() {
  const { clock, sandbox, registry } = await quietSandbox();
  const cp = sandbox.controlPlane;
  return {
    registry,
    clock,
    create: (group: string, resource: string, obj: KObject) => registry.resource(group, resource).create(obj.metadata.namespace ?? "", obj, { user: systemUser }),
    list: (group: string, resource: string, ns = "default") => registry.resource(group, resource).list(ns, { selection: selectEverything }).items,
    /** Runs the loop until nothing is due within `horizonMs` of simulated time. */
    async run(horizonMs = 60_000) {
      const until = clock.now() + horizonMs;
      for (let i = 0; i < 10_000; i++) {
        const r = await cp.runDue();
        if (r.exhausted) continue;
        const next = cp.nextWakeAt();
        if (next === null || next > until) return;
        if (next > clock.now()) clock.set(next);
      }
      throw new Error("control loop did not go idle");
    },
  };
}

const labels = { app: "web" };
const deployment = (replicas: number): KObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default" },
  spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "nginx", image: "nginx", ports: [{ name: "http", containerPort: 80 }] }] } } },
});
const service: KObject = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "default" },
  spec: { selector: labels, ports: [{ port: 80, targetPort: "http" }] },
};

describe("the control loop", () => {
  it("lists a Deployment's ready pods in its Service's Endpoints", async () => {
    const l = await loop();
    await l.create("apps", "deployments", deployment(3));
    await l.create("", "services", service);
    await l.run();
    const pods = l.list("", "pods");
    expect(pods).toHaveLength(3);
    const [ep] = l.list("", "endpoints").filter((e) => e.metadata.name === "web");
    expect(ep.subsets).toHaveLength(1);
    expect(ep.subsets[0].addresses.map((a: { ip: string }) => a.ip).sort()).toEqual(pods.map((p) => p.status.podIP).sort());
    expect(ep.subsets[0].ports).toEqual([{ port: 80, protocol: "TCP" }]);
  });
});
