/**
 * Records core/v1 Events the way client-go's event recorder does, through the registry like any
 * client: named `<object>.<hex timestamp>`, with the reporting component as source.
 */
import { formatTime } from "../registry/clock";
import type { Registry } from "../registry/registry";
import type { KObject, UserInfo } from "../registry/types";

export interface EventSpec {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  /** The reporting component, e.g. `default-scheduler`, `kubelet`. */
  component: string;
  /** The reporting instance (node name for a kubelet), if any. */
  host?: string;
}

export async function recordEvent(registry: Registry, user: UserInfo, nowMs: number, involved: KObject, spec: EventSpec): Promise<void> {
  const namespace = involved.metadata.namespace || "default";
  const time = formatTime(nowMs);
  const event: KObject = {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${involved.metadata.name}.${(BigInt(nowMs) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000))).toString(16)}`, namespace },
    involvedObject: {
      kind: involved.kind,
      namespace: involved.metadata.namespace,
      name: involved.metadata.name,
      uid: involved.metadata.uid,
      apiVersion: involved.apiVersion,
      resourceVersion: involved.metadata.resourceVersion,
    },
    reason: spec.reason,
    message: spec.message,
    source: spec.host ? { component: spec.component, host: spec.host } : { component: spec.component },
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
    type: spec.type,
    reportingComponent: spec.component,
    reportingInstance: spec.host ?? "",
  };
  await registry.resource("", "events").create(namespace, event, { user });
}
