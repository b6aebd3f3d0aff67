/**
 * Admission by the namespace's policies, as a kubectl user meets it: LimitRange defaults and
 * bounds on pods, ResourceQuota limits on object counts and compute (upstream's messages), and the
 * quota's status kept by its controller.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cluster, deployment, paths, pod, runLoop, type Cluster } from "./support/cluster";

let c: Cluster;
beforeEach(async () => {
  c = await cluster();
});
afterEach(async () => {
  await c?.closeWatches();
});

const limitRange = (limits: unknown[]) => ({ apiVersion: "v1", kind: "LimitRange", metadata: { name: "limits" }, spec: { limits } });
const quota = (name: string, hard: Record<string, string>) => ({ apiVersion: "v1", kind: "ResourceQuota", metadata: { name }, spec: { hard } });
const withResources = (name: string, resources: Record<string, unknown>) => {
  const p = pod(name);
  (p.spec.containers[0] as Record<string, unknown>).resources = resources;
  return p;
};

describe("LimitRanger", () => {
  it("gives containers the namespace's default limits and requests, and says so", async () => {
    expect((await c.post("/api/v1/namespaces/default/limitranges", limitRange([{ type: "Container", default: { cpu: "500m", memory: "256Mi" }, defaultRequest: { cpu: "100m" } }]))).status).toBe(201);
    const created = await c.post(paths.pods(), pod("web"));
    expect(created.status, created.text).toBe(201);
    expect(created.body.spec.containers[0].resources).toEqual({ limits: { cpu: "500m", memory: "256Mi" }, requests: { cpu: "100m", memory: "256Mi" } });
    expect(created.body.metadata.annotations["kubernetes.io/limit-ranger"]).toBe("LimitRanger plugin set: cpu, memory request for container main; cpu, memory limit for container main");
    expect(created.body.status.qosClass).toBe("Burstable");
  });

  it("refuses containers outside the namespace's bounds", async () => {
    await c.post("/api/v1/namespaces/default/limitranges", limitRange([{ type: "Container", max: { cpu: "1" }, min: { memory: "64Mi" } }]));
    const res = await c.post(paths.pods(), withResources("big", { limits: { cpu: "2", memory: "32Mi" }, requests: { memory: "32Mi" } }));
    expect(res.status).toBe(403);
    expect(res.body.message).toBe('pods "big" is forbidden: [minimum memory usage per Container is 64Mi, but request is 32Mi, maximum cpu usage per Container is 1, but limit is 2]');
  });
});

describe("ResourceQuota", () => {
  it("refuses the pod that would exceed a count, as upstream words it, and tracks usage in status", async () => {
    expect((await c.post("/api/v1/namespaces/default/resourcequotas", quota("pods", { pods: "2" }))).status).toBe(201);
    expect((await c.post(paths.pods(), pod("p1"))).status).toBe(201);
    expect((await c.post(paths.pods(), pod("p2"))).status).toBe(201);
    const third = await c.post(paths.pods(), pod("p3"));
    expect(third.status).toBe(403);
    expect(third.body.message).toBe('pods "p3" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2');
    await runLoop(c.sandbox, c.clock, 1_000);
    expect((await c.get("/api/v1/namespaces/default/resourcequotas/pods")).body.status).toEqual({ hard: { pods: "2" }, used: { pods: "2" } });
  });

  it("counts objects of any kind by count/<resource>.<group>", async () => {
    await c.post("/api/v1/namespaces/default/resourcequotas", quota("deployments", { "count/deployments.apps": "1" }));
    expect((await c.post(paths.deployments(), deployment("one"))).status).toBe(201);
    expect((await c.post(paths.deployments(), deployment("two"))).body.message).toBe(
      'deployments.apps "two" is forbidden: exceeded quota: deployments, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1',
    );
  });

  it("requires compute requests when a quota limits them, then counts them", async () => {
    await c.post("/api/v1/namespaces/default/resourcequotas", quota("compute", { "requests.cpu": "1" }));
    const bare = await c.post(paths.pods(), pod("bare"));
    expect(bare.status).toBe(403);
    expect(bare.body.message).toBe('pods "bare" is forbidden: failed quota: compute: must specify requests.cpu for: main');
    expect((await c.post(paths.pods(), withResources("a", { requests: { cpu: "600m" } }))).status).toBe(201);
    expect((await c.post(paths.pods(), withResources("b", { requests: { cpu: "600m" } }))).body.message).toBe(
      'pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1',
    );
  });
});

describe("ResourceQuota on updates", () => {
  it("charges what an update adds: a Service turned into a NodePort, and not what stays the same", async () => {
    await c.post("/api/v1/namespaces/default/resourcequotas", quota("ports", { "services.nodeports": "1" }));
    const service = { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80 }, { name: "https", port: 443 }] } };
    expect((await c.post("/api/v1/namespaces/default/services", service)).status).toBe(201);
    const nodePorts = await c.patch("/api/v1/namespaces/default/services/web", { spec: { type: "NodePort" } });
    expect(nodePorts.status).toBe(403);
    expect(nodePorts.body.message).toBe('services "web" is forbidden: exceeded quota: ports, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1');
    // Changes that add nothing counted pass, even in a namespace at its limit.
    expect((await c.patch("/api/v1/namespaces/default/services/web", { metadata: { labels: { tier: "front" } } })).status).toBe(200);
  });
});

describe("Pod Security Admission", () => {
  const labelled = async (name: string, labels: Record<string, string>) => {
    expect((await c.post("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } })).status).toBe(201);
  };
  const privileged = (name: string) => {
    const p = pod(name);
    (p.spec.containers[0] as Record<string, unknown>).securityContext = { privileged: true };
    return p;
  };

  it("refuses a privileged pod in a restricted namespace with upstream's message", async () => {
    await labelled("locked", { "pod-security.kubernetes.io/enforce": "restricted" });
    const res = await c.post(paths.pods("locked"), privileged("root"));
    expect(res.status).toBe(403);
    expect(res.body.message).toBe(
      'pods "root" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "main" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "main" must set securityContext.capabilities.drop=["ALL"]), privileged (container "main" must not set securityContext.privileged=true), ' +
        'runAsNonRoot != true (pod or container "main" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "main" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
    const compliant = pod("fine", { namespace: "locked" });
    compliant.spec = {
      ...compliant.spec,
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      containers: [{ name: "main", image: "nginx:1.27", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
    } as typeof compliant.spec;
    expect((await c.post(paths.pods("locked"), compliant)).status).toBe(201);
  });

  it("warns in a warn=baseline namespace and admits; warns about workloads' templates", async () => {
    await labelled("open", { "pod-security.kubernetes.io/warn": "baseline" });
    const res = await c.post(paths.pods("open"), privileged("root"));
    expect(res.status).toBe(201);
    expect(res.headers.get("warning")).toBe('299 - "would violate PodSecurity \\"baseline:latest\\": privileged (container \\"main\\" must not set securityContext.privileged=true)"');
    await labelled("locked2", { "pod-security.kubernetes.io/enforce": "baseline" });
    const d = deployment("web", { namespace: "locked2" });
    (d.spec.template.spec as { hostNetwork?: boolean }).hostNetwork = true;
    const created = await c.post(paths.deployments("locked2"), d);
    expect(created.status).toBe(201);
    expect(created.headers.get("warning")).toContain('would violate PodSecurity \\"baseline:latest\\": host namespaces (hostNetwork=true)');
  });
});

describe("Pod Security on namespace labels", () => {
  const privileged = (name: string, namespace: string) => {
    const p = pod(name, { namespace });
    (p.spec.containers[0] as Record<string, unknown>).securityContext = { privileged: true };
    return p;
  };
  const label = (namespace: string, labels: Record<string, string>, query = "") =>
    c.patch(`/api/v1/namespaces/${namespace}${query}`, { metadata: { labels } });

  it("refuses labels that name no level or version, as Pod Security admission does", async () => {
    const created = await c.post("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "typo", labels: { "pod-security.kubernetes.io/enforce": "strict" } } });
    expect(created.status).toBe(422);
    expect(created.body.message).toBe('Namespace "typo" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted');
    expect((await c.post("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "fine" } })).status).toBe(201);
    const version = await label("fine", { "pod-security.kubernetes.io/warn": "baseline", "pod-security.kubernetes.io/warn-version": "1.30" });
    expect(version.status).toBe(422);
    expect(version.body.message).toContain('metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "1.30": must be "latest" or "v1.x"');
  });

  it("warns, as upstream, which existing pods a new enforce level would refuse, grouped by reasons", async () => {
    expect((await c.post("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "lab" } })).status).toBe(201);
    for (const name of ["root-b", "root-a"]) expect((await c.post(paths.pods("lab"), privileged(name, "lab"))).status).toBe(201);
    expect((await c.post(paths.pods("lab"), pod("plain", { namespace: "lab" }))).status).toBe(201);
    const dryRun = await label("lab", { "pod-security.kubernetes.io/enforce": "baseline" }, "?dryRun=All");
    expect(dryRun.status).toBe(200);
    expect(dryRun.headers.get("warning")).toBe(
      '299 - "existing pods in namespace \\"lab\\" violate the new PodSecurity enforce level \\"baseline:latest\\"", 299 - "root-a (and 1 other pod): privileged"',
    );
    const pinned = await label("lab", { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.30" });
    expect(pinned.headers.get("warning")).toContain('violate the new PodSecurity enforce level \\"restricted:v1.30\\"');
    expect(pinned.headers.get("warning")).toContain('"plain: allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile"');
    // Setting the same level again warns about nothing; the pods themselves keep running.
    expect((await label("lab", { team: "x" })).headers.get("warning")).toBeNull();
    const refused = await c.post(paths.pods("lab"), privileged("new", "lab"));
    expect(refused.body.message).toContain('violates PodSecurity "restricted:v1.30"');
  });
});

describe("ServiceAccount admission", () => {
  it("names the default account and mounts its token, CA and namespace in every container", async () => {
    const created = (await c.post(paths.pods(), pod("web"))).body;
    expect(created.spec.serviceAccountName).toBe("default");
    const volume = created.spec.volumes.find((v: { name: string }) => v.name.startsWith("kube-api-access-"));
    expect(volume.name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(volume.projected.sources.map((s: object) => Object.keys(s)[0])).toEqual(["serviceAccountToken", "configMap", "downwardAPI"]);
    expect(created.spec.containers[0].volumeMounts).toEqual([{ name: volume.name, readOnly: true, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" }]);
  });

  it("mounts nothing when the pod or its account opts out", async () => {
    const optOut = pod("quiet");
    (optOut.spec as Record<string, unknown>).automountServiceAccountToken = false;
    expect((await c.post(paths.pods(), optOut)).body.spec.volumes ?? []).toEqual([]);
    await c.post("/api/v1/namespaces/default/serviceaccounts", { metadata: { name: "robot" }, automountServiceAccountToken: false });
    const robot = pod("robot-pod");
    (robot.spec as Record<string, unknown>).serviceAccountName = "robot";
    expect((await c.post(paths.pods(), robot)).body.spec.volumes ?? []).toEqual([]);
  });
});
