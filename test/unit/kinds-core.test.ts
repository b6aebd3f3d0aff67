/**
 * Core kinds as a user meets them: what a minimal object becomes, which errors come back (with
 * upstream's paths and wording) and what `kubectl get` shows.
 */
import { describe, expect, it } from "vitest";
import { invalid, StatusError, type FieldError } from "../../src/apiserver/status";
import type { AddressAllocator, KindStrategy, KObject, StrategyContext } from "../../src/registry/types";
import { configMapStrategy } from "../../src/registry/kinds/configmap";
import { endpointsStrategy } from "../../src/registry/kinds/endpoints";
import { coreToEventsV1, eventStrategy, eventsV1Strategy, eventsV1ToCore } from "../../src/registry/kinds/event";
import { leaseStrategy } from "../../src/registry/kinds/lease";
import { limitRangeStrategy } from "../../src/registry/kinds/limitrange";
import { resourceQuotaStrategy } from "../../src/registry/kinds/resourcequota";
import { namespaceStrategy } from "../../src/registry/kinds/namespace";
import { nodeStrategy } from "../../src/registry/kinds/node";
import { secretStrategy } from "../../src/registry/kinds/secret";
import { serviceAccountStrategy } from "../../src/registry/kinds/serviceaccount";
import { serviceStrategy } from "../../src/registry/kinds/service";

const NOW = new Date("2025-06-01T12:00:00Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString().replace(".000Z", "Z");
const MIN = 60_000;

/** A fake allocator: sequential IPs from 10.96.0.10 and ports from 30080; some values "taken". */
function fakeAllocator(taken: { ips?: string[]; ports?: number[] } = {}): AddressAllocator & { ips: string[]; ports: number[] } {
  let nextIP = 10;
  let nextPort = 30080;
  const ips: string[] = [];
  const ports: number[] = [];
  return {
    ips,
    ports,
    allocateServiceIP(requested) {
      if (requested) {
        if (taken.ips?.includes(requested)) return { error: `failed to allocate IP ${requested}: provided IP is already allocated` };
        ips.push(requested);
        return { ip: requested };
      }
      const ip = `10.96.0.${nextIP++}`;
      ips.push(ip);
      return { ip };
    },
    allocateNodePort(requested) {
      if (requested !== undefined) {
        if (taken.ports?.includes(requested)) return { error: "provided port is already allocated" };
        ports.push(requested);
        return { port: requested };
      }
      ports.push(nextPort);
      return { port: nextPort++ };
    },
  };
}

function ctxWith(allocator: AddressAllocator = fakeAllocator()): StrategyContext {
  return { now: NOW, user: { username: "admin", groups: ["system:masters"] }, allocator };
}

function obj(kind: string, apiVersion: string, body: Record<string, unknown>, namespace = "default"): KObject {
  const { metadata, ...rest } = body as { metadata?: Record<string, unknown> };
  return { apiVersion, kind, metadata: { namespace, creationTimestamp: ago(5 * MIN), ...(metadata ?? {}) }, ...rest } as KObject;
}

/** Runs a create as the store does (prepare, then validate) and returns the object or the rendered 422/400. */
function create(strategy: KindStrategy, o: KObject, ctx = ctxWith()): { obj: KObject; message?: string; code?: number } {
  try {
    const prep = (strategy.prepareForCreate?.(o, ctx) ?? []) as FieldError[];
    const errs = [...prep, ...(strategy.validate?.(o) ?? [])];
    if (errs.length) return { obj: o, message: invalid(strategy.kind, strategy.group, o.metadata.name ?? "", errs).message, code: 422 };
    return { obj: o };
  } catch (e) {
    if (e instanceof StatusError) return { obj: o, message: e.message, code: e.code };
    throw e;
  }
}

function update(strategy: KindStrategy, next: KObject, old: KObject, ctx = ctxWith()): { obj: KObject; message?: string; code?: number } {
  try {
    // The store keeps the stored status on main-resource writes of kinds with a status subresource.
    if (strategy.subresources?.status) next.status = structuredClone(old.status);
    strategy.prepareForUpdate?.(next, old, ctx);
    const errs = [...(strategy.validate?.(next) ?? []), ...(strategy.validateUpdate?.(next, old) ?? [])];
    if (errs.length) return { obj: next, message: invalid(strategy.kind, strategy.group, next.metadata.name ?? "", errs).message, code: 422 };
    return { obj: next };
  } catch (e) {
    if (e instanceof StatusError) return { obj: next, message: e.message, code: e.code };
    throw e;
  }
}

const svc = (name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) =>
  obj("Service", "v1", { metadata: { name, ...metadata }, spec });

describe("Service", () => {
  it("defaults a minimal service and allocates its cluster IP", () => {
    const { obj: s, message } = create(serviceStrategy, svc("web", { selector: { app: "web" }, ports: [{ port: 80 }] }));
    expect(message).toBeUndefined();
    expect(s.spec).toEqual({
      selector: { app: "web" },
      ports: [{ port: 80, protocol: "TCP", targetPort: 80 }],
      type: "ClusterIP",
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
      ipFamilyPolicy: "SingleStack",
      ipFamilies: ["IPv4"],
      clusterIP: "10.96.0.10",
      clusterIPs: ["10.96.0.10"],
    });
    expect(s.status).toEqual({ loadBalancer: {} });
    expect(serviceStrategy.selectableFields!(s)).toEqual({ "spec.clusterIP": "10.96.0.10", "spec.type": "ClusterIP" });
  });

  const cases: { name: string; spec: Record<string, unknown>; ctx?: StrategyContext; expect: (r: ReturnType<typeof create>) => void }[] = [
    {
      name: "NodePort gets a node port, externalTrafficPolicy Cluster, and the 80:30080/TCP cell",
      spec: { type: "NodePort", selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
      expect: ({ obj: s, message }) => {
        expect(message).toBeUndefined();
        expect(s.spec.ports[0].nodePort).toBe(30080);
        expect(s.spec.externalTrafficPolicy).toBe("Cluster");
        expect(serviceStrategy.table!.cells(s, NOW)).toEqual(["NodePort", "10.96.0.10", "<none>", "80:30080/TCP", "5m", "app=web"]);
      },
    },
    {
      name: "LoadBalancer shows <pending> and keeps allocateLoadBalancerNodePorts",
      spec: { type: "LoadBalancer", ports: [{ name: "http", port: 80 }, { name: "https", port: 443 }] },
      expect: ({ obj: s, message }) => {
        expect(message).toBeUndefined();
        expect(s.spec.allocateLoadBalancerNodePorts).toBe(true);
        expect(serviceStrategy.table!.cells(s, NOW).slice(0, 4)).toEqual(["LoadBalancer", "10.96.0.10", "<pending>", "80:30080/TCP,443:30081/TCP"]);
      },
    },
    {
      name: "a requested cluster IP is honoured",
      spec: { clusterIP: "10.96.0.50", ports: [{ port: 80 }] },
      expect: ({ obj: s }) => expect(s.spec.clusterIPs).toEqual(["10.96.0.50"]),
    },
    {
      name: "a taken cluster IP is refused with upstream's message",
      spec: { clusterIP: "10.96.0.50", ports: [{ port: 80 }] },
      ctx: ctxWith(fakeAllocator({ ips: ["10.96.0.50"] })),
      expect: ({ message, code }) => {
        expect(code).toBe(422);
        expect(message).toBe('Service "web" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.50"]: failed to allocate IP 10.96.0.50: provided IP is already allocated');
      },
    },
    {
      name: "a taken node port is refused on its port's path",
      spec: { type: "NodePort", ports: [{ port: 80, nodePort: 30100 }] },
      ctx: ctxWith(fakeAllocator({ ports: [30100] })),
      expect: ({ message }) => expect(message).toBe('Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 30100: provided port is already allocated'),
    },
    {
      name: "headless with a selector gets no IP and stays single-stack",
      spec: { clusterIP: "None", selector: { app: "db" }, ports: [{ port: 5432 }] },
      expect: ({ obj: s, message }) => {
        expect(message).toBeUndefined();
        expect(s.spec.clusterIPs).toEqual(["None"]);
        expect(s.spec.ipFamilyPolicy).toBe("SingleStack");
        expect(serviceStrategy.table!.cells(s, NOW)[1]).toBe("None");
      },
    },
    {
      name: "headless without a selector defaults to RequireDualStack over both families, as upstream",
      spec: { clusterIP: "None" },
      expect: ({ obj: s, message }) => {
        expect(message).toBeUndefined();
        expect(s.spec.ipFamilyPolicy).toBe("RequireDualStack");
        expect(s.spec.ipFamilies).toEqual(["IPv4", "IPv6"]);
      },
    },
    {
      name: "ExternalName gets no cluster IP and shows its name as EXTERNAL-IP",
      spec: { type: "ExternalName", externalName: "db.example.com" },
      expect: ({ obj: s, message }) => {
        expect(message).toBeUndefined();
        expect(s.spec.clusterIP).toBeUndefined();
        expect(s.spec.ipFamilies).toBeUndefined();
        expect(serviceStrategy.table!.cells(s, NOW).slice(0, 4)).toEqual(["ExternalName", "<none>", "db.example.com", "<none>"]);
      },
    },
    {
      name: "ports are required for a normal service",
      spec: { selector: { app: "web" } },
      expect: ({ message }) => expect(message).toBe('Service "web" is invalid: spec.ports: Required value'),
    },
    {
      name: "several ports need unique names and valid protocols",
      spec: { ports: [{ port: 80 }, { name: "a", port: 81, protocol: "HTTP" }, { name: "a", port: 70000 }] },
      expect: ({ message }) =>
        expect(message).toBe(
          'Service "web" is invalid: [spec.ports[0].name: Required value, spec.ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP", ' +
            'spec.ports[2].name: Duplicate value: "a", spec.ports[2].port: Invalid value: 70000: must be between 1 and 65535, inclusive, ' +
            "spec.ports[2].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive]",
        ),
    },
    {
      name: "a bad selector label is reported on spec.selector",
      spec: { selector: { app: "-bad" }, ports: [{ port: 80 }] },
      expect: ({ message }) => expect(message).toContain('spec.selector: Invalid value: "-bad": a valid label must be an empty string'),
    },
    {
      name: "nodePort on a ClusterIP service is forbidden",
      spec: { ports: [{ port: 80, nodePort: 30001 }] },
      expect: ({ message }) => expect(message).toBe("Service \"web\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"),
    },
    {
      name: "RequireDualStack fails on this single-stack cluster",
      spec: { ipFamilyPolicy: "RequireDualStack", ports: [{ port: 80 }] },
      expect: ({ message }) =>
        expect(message).toBe('Service "web" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services'),
    },
  ];
  for (const c of cases) it(c.name, () => c.expect(create(serviceStrategy, svc("web", c.spec), c.ctx)));

  it("keeps allocated values when an update omits them, and refuses a changed cluster IP", () => {
    const { obj: stored } = create(serviceStrategy, svc("web", { type: "NodePort", ports: [{ port: 80 }] }));
    const again = update(serviceStrategy, svc("web", { type: "NodePort", ports: [{ port: 80 }] }), stored);
    expect(again.message).toBeUndefined();
    expect(again.obj.spec.clusterIP).toBe("10.96.0.10");
    expect(again.obj.spec.ports[0].nodePort).toBe(30080);

    const changed = update(serviceStrategy, svc("web", { type: "NodePort", clusterIP: "10.96.0.99", ports: [{ port: 80 }] }), stored);
    expect(changed.message).toBe('Service "web" is invalid: spec.clusterIPs[0]: Invalid value: ["10.96.0.99"]: may not change once set');
  });

  it("switching NodePort to ClusterIP drops the node ports it allocated", () => {
    const { obj: stored } = create(serviceStrategy, svc("web", { type: "NodePort", ports: [{ port: 80 }] }));
    const next = structuredClone(stored);
    next.spec.type = "ClusterIP";
    const r = update(serviceStrategy, next, stored);
    expect(r.message).toBeUndefined();
    expect(r.obj.spec.ports[0].nodePort).toBeUndefined();
    expect(r.obj.spec.externalTrafficPolicy).toBeUndefined();
  });
});

describe("Secret", () => {
  const secret = (body: Record<string, unknown>) => obj("Secret", "v1", { metadata: { name: "s" }, ...body });
  const cases: { name: string; body: Record<string, unknown>; expect: (r: ReturnType<typeof create>) => void }[] = [
    {
      name: "stringData is merged into data as base64 and dropped; type defaults to Opaque",
      body: { data: { a: "YQ==", b: "eA==" }, stringData: { b: "hello", c: "wörld" } },
      expect: ({ obj: s, message }) => {
        expect(message).toBeUndefined();
        expect(s.data).toEqual({ a: "YQ==", b: "aGVsbG8=", c: "d8O2cmxk" });
        expect(s.stringData).toBeUndefined();
        expect(s.type).toBe("Opaque");
        expect(secretStrategy.table!.cells(s, NOW)).toEqual(["Opaque", 3, "5m"]);
        expect(secretStrategy.selectableFields!(s)).toEqual({ type: "Opaque" });
      },
    },
    {
      name: "data that is not base64 fails decoding with 400, at Go's byte offset",
      body: { data: { a: "abc!" } },
      expect: ({ code, message }) => {
        expect(code).toBe(400);
        expect(message).toBe('Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3');
      },
    },
    {
      name: "unpadded base64 is refused too",
      body: { data: { a: "YWJ" } },
      expect: ({ message }) => expect(message).toBe('Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0'),
    },
    {
      name: "a TLS secret needs tls.crt and tls.key",
      body: { type: "kubernetes.io/tls", data: {} },
      expect: ({ message }) => expect(message).toBe('Secret "s" is invalid: [data[tls.crt]: Required value, data[tls.key]: Required value]'),
    },
    {
      name: "a dockerconfigjson secret must hold a JSON object",
      body: { type: "kubernetes.io/dockerconfigjson", stringData: { ".dockerconfigjson": "{auths:1}" } },
      expect: ({ message }) =>
        expect(message).toBe(
          'Secret "s" is invalid: data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character \'a\' looking for beginning of object key string',
        ),
    },
    {
      name: "a service-account token secret needs the service account annotation",
      body: { type: "kubernetes.io/service-account-token" },
      expect: ({ message }) => expect(message).toBe('Secret "s" is invalid: metadata.annotations[kubernetes.io/service-account.name]: Required value'),
    },
  ];
  for (const c of cases) it(c.name, () => c.expect(create(secretStrategy, secret(c.body))));

  it("type and immutable data cannot change", () => {
    const { obj: stored } = create(secretStrategy, secret({ immutable: true, stringData: { a: "1" } }));
    const r = update(secretStrategy, secret({ type: "kubernetes.io/basic-auth", immutable: true, stringData: { a: "2", username: "u" } }), stored);
    expect(r.message).toBe(
      'Secret "s" is invalid: [type: Invalid value: "kubernetes.io/basic-auth": field is immutable, data: Forbidden: field is immutable when `immutable` is set]',
    );
  });
});

describe("ConfigMap", () => {
  const cm = (body: Record<string, unknown>) => obj("ConfigMap", "v1", { metadata: { name: "cfg" }, ...body });
  const cases: { name: string; body: Record<string, unknown>; message?: string }[] = [
    {
      name: "keys must be config keys (upstream's exact message)",
      body: { data: { "bad key": "x" } },
      message:
        'ConfigMap "cfg" is invalid: data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, \'-\', \'_\' or \'.\' (e.g. \'key.name\',  or \'KEY_NAME\',  or \'key-name\', regex used for validation is \'[-._a-zA-Z0-9]+\')',
    },
    { name: "'..' prefixes are refused", body: { data: { "..a": "x" } }, message: 'ConfigMap "cfg" is invalid: data[..a]: Invalid value: "..a": must not start with \'..\'' },
    {
      name: "a key may not be in both data and binaryData",
      body: { data: { k: "x" }, binaryData: { k: "eA==" } },
      message: 'ConfigMap "cfg" is invalid: data[k]: Invalid value: "k": duplicate of key present in binaryData',
    },
    {
      name: "the total size is limited to 1 MiB",
      body: { data: { a: "x".repeat(600_000), b: "y".repeat(600_000) } },
      message: 'ConfigMap "cfg" is invalid: []: Too long: may not be more than 1048576 bytes',
    },
    { name: "binaryData must be base64", body: { binaryData: { k: "*" } }, message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data at input byte 0' },
    { name: "a valid ConfigMap passes", body: { data: { "app.properties": "a=b" }, binaryData: { "blob.bin": "AAEC" } } },
  ];
  for (const c of cases) it(c.name, () => expect(create(configMapStrategy, cm(c.body)).message).toBe(c.message));

  it("counts data and binaryData in the DATA column", () => {
    expect(configMapStrategy.table!.cells(cm({ data: { a: "1", b: "2" }, binaryData: { c: "AA==" } }), NOW)).toEqual([3, "5m"]);
  });

  it("an immutable ConfigMap keeps its data", () => {
    const stored = cm({ immutable: true, data: { a: "1" } });
    expect(update(configMapStrategy, cm({ immutable: true, data: { a: "2" } }), stored).message).toBe(
      'ConfigMap "cfg" is invalid: data: Forbidden: field is immutable when `immutable` is set',
    );
    expect(update(configMapStrategy, cm({ data: { a: "1" } }), stored).message).toBe(
      'ConfigMap "cfg" is invalid: immutable: Forbidden: field is immutable when `immutable` is set',
    );
  });
});

describe("LimitRange", () => {
  const lr = (limits: unknown[]) => obj("LimitRange", "v1", { metadata: { name: "lr" }, spec: { limits } });

  it("keeps min ≤ defaultRequest ≤ default ≤ max, with upstream's messages", () => {
    const message = create(limitRangeStrategy, lr([{ type: "Container", min: { cpu: "2" }, max: { cpu: "1" }, default: { cpu: "3" }, defaultRequest: { cpu: "500m" } }])).message;
    expect(message).toContain("spec.limits[0].min[cpu]: Invalid value: \"2\": min value 2 is greater than max value 1");
    expect(message).toContain("spec.limits[0].defaultRequest[cpu]: Invalid value: \"500m\": min value 2 is greater than default request value 500m");
    expect(message).toContain("spec.limits[0].default[cpu]: Invalid value: \"3\": default value 3 is greater than max value 1");
  });

  it("refuses defaults on Pod limits and ratios below 1", () => {
    const message = create(limitRangeStrategy, lr([{ type: "Pod", default: { cpu: "1" }, maxLimitRequestRatio: { memory: "500m" } }])).message;
    expect(message).toContain("spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'");
    expect(message).toContain('spec.limits[0].maxLimitRequestRatio[memory]: Invalid value: "500m": ratio 500m is less than 1');
  });

  it("accepts a valid range and canonicalizes its quantities", () => {
    const valid = lr([{ type: "Container", max: { memory: "1Gi" }, default: { memory: "512Mi" }, defaultRequest: { memory: "256Mi", cpu: "0.1" } }]);
    expect(create(limitRangeStrategy, valid).message).toBeUndefined();
  });
});

describe("ResourceQuota", () => {
  const quota = (spec: Record<string, unknown>, status?: Record<string, unknown>) =>
    obj("ResourceQuota", "v1", { metadata: { name: "q", creationTimestamp: ago(5 * MIN) }, spec, ...(status ? { status } : {}) });

  it("refuses negative limits and unknown scopes", () => {
    const message = create(resourceQuotaStrategy, quota({ hard: { pods: "-1" }, scopes: ["Sometimes"] })).message;
    expect(message).toContain('spec.hard[pods]: Invalid value: "-1": must be greater than or equal to 0');
    expect(message).toContain('spec.scopes: Invalid value: "Sometimes": unsupported scope');
  });

  it("shows used/hard per resource in REQUEST and LIMIT, as kubectl get quota", () => {
    const q = quota({ hard: { pods: "10", "requests.cpu": "2", "limits.memory": "1Gi" } }, { hard: { pods: "10", "requests.cpu": "2", "limits.memory": "1Gi" }, used: { pods: "3", "requests.cpu": "500m" } });
    expect(resourceQuotaStrategy.table!.cells(q, NOW)).toEqual(["5m", "pods: 3/10, requests.cpu: 500m/2", "limits.memory: 0/1Gi"]);
  });
});

describe("Event", () => {
  const v1Event = () =>
    obj("Event", "events.k8s.io/v1", {
      metadata: { name: "web-1.17a" },
      eventTime: "2025-06-01T11:50:00.000000Z",
      series: { count: 3, lastObservedTime: "2025-06-01T11:55:00.000000Z" },
      reportingController: "kubelet",
      reportingInstance: "node-1",
      action: "Pulling",
      reason: "Pulling",
      regarding: { kind: "Pod", namespace: "default", name: "web-1", apiVersion: "v1", fieldPath: "spec.containers{web}" },
      note: "Pulling image nginx ",
      type: "Normal",
    });

  it("round-trips events.k8s.io/v1 through the core/v1 storage form", () => {
    const e = v1Event();
    const { message } = create(eventsV1Strategy, e);
    expect(message).toBeUndefined();
    const stored = eventsV1Strategy.storage!.toStorage(e);
    expect(stored).toMatchObject({
      apiVersion: "v1",
      involvedObject: { kind: "Pod", name: "web-1" },
      message: "Pulling image nginx ",
      reportingComponent: "kubelet",
      reportingInstance: "node-1",
      source: {},
      firstTimestamp: null,
      lastTimestamp: null,
      series: { count: 3 },
    });
    expect(stored.count).toBeUndefined();
    expect(eventsV1Strategy.storage!.fromStorage(stored)).toEqual(e);
    expect(eventStrategy.storage!.fromStorage(stored)).toEqual(stored);
  });

  it("shows a legacy core event through events.k8s.io with deprecated* fields", () => {
    const core = obj("Event", "v1", {
      metadata: { name: "x" },
      involvedObject: { kind: "Node", name: "n1" },
      reason: "Starting",
      message: "Starting kubelet.",
      source: { component: "kubelet", host: "n1" },
      firstTimestamp: ago(10 * MIN),
      lastTimestamp: ago(5 * MIN),
      count: 2,
      type: "Normal",
    });
    expect(create(eventStrategy, core).message).toBeUndefined();
    const v1 = coreToEventsV1(core);
    expect(v1).toMatchObject({
      eventTime: null,
      regarding: { kind: "Node", name: "n1" },
      note: "Starting kubelet.",
      deprecatedSource: { component: "kubelet", host: "n1" },
      deprecatedCount: 2,
    });
    expect(v1.reportingController).toBeUndefined();
    expect(eventsV1ToCore(v1)).toEqual(core);
  });

  const validation: { name: string; strategy: KindStrategy; event: KObject; message?: string }[] = [
    {
      name: "core events must name the event's namespace",
      strategy: eventStrategy,
      event: obj("Event", "v1", { metadata: { name: "x" }, involvedObject: { kind: "Pod", name: "p", namespace: "other" } }),
      message: 'Event "x" is invalid: involvedObject.namespace: Invalid value: "other": does not match event.namespace',
    },
    {
      name: "events.k8s.io requires eventTime, a known type and the reporting fields",
      strategy: eventsV1Strategy,
      event: obj("Event", "events.k8s.io/v1", { metadata: { name: "x" }, regarding: { kind: "Pod", name: "p", namespace: "default" }, type: "Info" }),
      message: 'Event.events.k8s.io "x" is invalid: [eventTime: Required value, type: Invalid value: "": has invalid value: Info]',
    },
    {
      name: "new-style events need reportingController, reportingInstance, action and reason",
      strategy: eventsV1Strategy,
      event: obj("Event", "events.k8s.io/v1", { metadata: { name: "x" }, eventTime: "2025-06-01T11:50:00.000000Z", regarding: { namespace: "default" }, type: "Normal" }),
      message:
        'Event.events.k8s.io "x" is invalid: [reportingController: Required value, reportingController: Invalid value: "": name part must be non-empty, ' +
        "reportingController: Invalid value: \"\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), " +
        "reportingInstance: Required value, action: Required value, reason: Required value]",
    },
  ];
  for (const c of validation) it(c.name, () => expect(create(c.strategy, c.event).message).toBe(c.message));

  it("events.k8s.io updates may not change the note", () => {
    const old = v1Event();
    create(eventsV1Strategy, old);
    const next = structuredClone(old);
    next.note = "changed";
    expect(update(eventsV1Strategy, next, old).message).toBe('Event.events.k8s.io "web-1.17a" is invalid: message: Invalid value: "changed": field is immutable');
  });

  it("renders printEvent's cells: series count, kind/name target, source", () => {
    const e = v1Event();
    create(eventsV1Strategy, e);
    expect(eventsV1Strategy.table!.cells(e, NOW)).toEqual([
      "5m",
      "Normal",
      "Pulling",
      "pod/web-1",
      "spec.containers{web}",
      "kubelet, node-1",
      "Pulling image nginx",
      "10m",
      3,
      "web-1.17a",
    ]);
    const legacy = obj("Event", "v1", { metadata: { name: "y" }, involvedObject: { kind: "Node", name: "n1" }, firstTimestamp: ago(10 * MIN) });
    expect(eventStrategy.table!.cells(legacy, NOW).slice(0, 4)).toEqual(["10m", "", "", "node/n1"]);
    expect(eventStrategy.table!.cells(legacy, NOW)[8]).toBe(1);
  });

  it("selects on upstream's field names in each API", () => {
    const e = v1Event();
    expect(eventsV1Strategy.selectableFields!(e)).toMatchObject({ "regarding.kind": "Pod", "regarding.name": "web-1", reportingController: "kubelet", source: "kubelet" });
    expect(eventStrategy.selectableFields!(eventsV1ToCore(e))).toMatchObject({ "involvedObject.kind": "Pod", reportingComponent: "kubelet", type: "Normal" });
  });
});

describe("Node", () => {
  const node = (labels: Record<string, string>, spec: Record<string, unknown>, status: Record<string, unknown>) =>
    obj("Node", "v1", { metadata: { name: "n1", labels, creationTimestamp: ago(3 * 24 * 60 * MIN) }, spec, status }, undefined as unknown as string);

  const rows: { name: string; node: KObject; cells: unknown[] }[] = [
    {
      name: "ready control-plane node, cordoned",
      node: node(
        { "node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/worker": "" },
        { unschedulable: true },
        {
          conditions: [{ type: "Ready", status: "True" }],
          addresses: [{ type: "InternalIP", address: "172.18.0.2" }],
          nodeInfo: { kubeletVersion: "v1.33.1", osImage: "Debian GNU/Linux 12", kernelVersion: "6.1.0", containerRuntimeVersion: "containerd://2.0.0" },
        },
      ),
      cells: ["Ready,SchedulingDisabled", "control-plane,worker", "3d", "v1.33.1", "172.18.0.2", "<none>", "Debian GNU/Linux 12", "6.1.0", "containerd://2.0.0"],
    },
    {
      name: "a node without conditions or roles",
      node: node({}, {}, {}),
      cells: ["Unknown", "<none>", "3d", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"],
    },
    {
      name: "a NotReady node with the legacy role label",
      node: node({ "kubernetes.io/role": "edge" }, {}, { conditions: [{ type: "Ready", status: "False" }] }),
      cells: ["NotReady", "edge", "3d", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"],
    },
  ];
  for (const r of rows) it(`table: ${r.name}`, () => expect(nodeStrategy.table!.cells(r.node, NOW)).toEqual(r.cells));

  it("validates taints and pod CIDRs with upstream's paths", () => {
    const n = node({}, { podCIDR: "10.244.0.0/33", taints: [{ key: "dedicated", value: "gpu", effect: "Sometimes" }] }, {});
    expect(create(nodeStrategy, n).message).toBe(
      'Node "n1" is invalid: [metadata.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute", ' +
        'spec.podCIDRs[0]: Invalid value: "10.244.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)]',
    );
    expect(n.spec.podCIDRs).toEqual(["10.244.0.0/33"]);
  });

  it("defaults allocatable to capacity and selects on spec.unschedulable", () => {
    const n = node({}, {}, { capacity: { cpu: "4", memory: "8Gi", pods: "110" } });
    expect(create(nodeStrategy, n).message).toBeUndefined();
    expect(n.status.allocatable).toEqual({ cpu: "4", memory: "8Gi", pods: "110" });
    expect(nodeStrategy.selectableFields!(n)).toEqual({ "spec.unschedulable": "false" });
  });
});

describe("Namespace", () => {
  it("is Active with the kubernetes finalizer and the name label", () => {
    const ns = obj("Namespace", "v1", { metadata: { name: "team-a", labels: { "kubernetes.io/metadata.name": "spoofed" } } }, undefined as unknown as string);
    expect(create(namespaceStrategy, ns).message).toBeUndefined();
    expect(ns.spec).toEqual({ finalizers: ["kubernetes"] });
    expect(ns.status).toEqual({ phase: "Active" });
    expect(ns.metadata.labels).toEqual({ "kubernetes.io/metadata.name": "team-a" });
    expect(namespaceStrategy.table!.cells(ns, NOW)).toEqual(["Active", "5m"]);
    expect(namespaceStrategy.selectableFields!(ns)).toEqual({ "status.phase": "Active", name: "team-a" });
  });

  it("keeps the name label and spec finalizers on update", () => {
    const old = obj("Namespace", "v1", { metadata: { name: "team-a" } }, undefined as unknown as string);
    create(namespaceStrategy, old);
    const next = obj("Namespace", "v1", { metadata: { name: "team-a", labels: { x: "y" } }, spec: { finalizers: [] } }, undefined as unknown as string);
    expect(update(namespaceStrategy, next, old).message).toBeUndefined();
    expect(next.metadata.labels).toEqual({ x: "y", "kubernetes.io/metadata.name": "team-a" });
    expect(next.spec.finalizers).toEqual(["kubernetes"]);
  });

  it("refuses a finalizer that is neither standard nor qualified", () => {
    const ns = obj("Namespace", "v1", { metadata: { name: "x" }, spec: { finalizers: ["custom"] } }, undefined as unknown as string);
    expect(create(namespaceStrategy, ns).message).toBe('Namespace "x" is invalid: spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified');
  });
});

describe("Endpoints, ServiceAccount, Lease", () => {
  it("lists the first three endpoints and counts the rest", () => {
    const ep = obj("Endpoints", "v1", {
      metadata: { name: "web" },
      subsets: [{ addresses: [{ ip: "10.244.1.5" }, { ip: "10.244.2.3" }, { ip: "10.244.2.4" }, { ip: "10.244.3.9" }], ports: [{ port: 80 }] }],
    });
    expect(create(endpointsStrategy, ep).message).toBeUndefined();
    expect(ep.subsets[0].ports[0].protocol).toBe("TCP");
    expect(endpointsStrategy.table!.cells(ep, NOW)).toEqual(["10.244.1.5:80,10.244.2.3:80,10.244.2.4:80 + 1 more...", "5m"]);
    expect(endpointsStrategy.table!.cells(obj("Endpoints", "v1", { metadata: { name: "e" } }), NOW)[0]).toBe("<none>");
  });

  it("refuses loopback endpoint addresses", () => {
    const ep = obj("Endpoints", "v1", { metadata: { name: "web" }, subsets: [{ addresses: [{ ip: "127.0.0.1" }] }] });
    expect(create(endpointsStrategy, ep).message).toBe(
      'Endpoints "web" is invalid: subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    );
  });

  it("trims service account secret references to names", () => {
    const sa = obj("ServiceAccount", "v1", { metadata: { name: "builder" }, secrets: [{ name: "tok", namespace: "x", uid: "1" }] });
    create(serviceAccountStrategy, sa);
    expect(sa.secrets).toEqual([{ name: "tok" }]);
    expect(serviceAccountStrategy.table!.cells(sa, NOW)).toEqual([1, "5m"]);
  });

  it("requires a positive lease duration and shows the holder", () => {
    const lease = obj("Lease", "coordination.k8s.io/v1", { metadata: { name: "kube-scheduler" }, spec: { holderIdentity: "sched-1", leaseDurationSeconds: 0 } });
    expect(create(leaseStrategy, lease).message).toBe('Lease.coordination.k8s.io "kube-scheduler" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0');
    expect(leaseStrategy.table!.cells(lease, NOW)).toEqual(["sched-1", "5m"]);
  });
});
