/**
 * core/v1 Endpoints: port protocol defaulting, upstream's ValidateEndpoints and the
 * `kubectl get endpoints` column (`10.244.1.5:80,10.244.2.3:80 + 1 more...`).
 */
import { field, type FieldError } from "../../apiserver/status";
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from "../../apiserver/names";
import type { KindStrategy, KObject } from "../types";
import { ageCell, invalidEach, portNumErrors, supportedProtocols, validateIP, validateNonSpecialIP } from "./service";

/* eslint-disable @typescript-eslint/no-explicit-any */

const subsetsOf = (ep: KObject): any[] => (Array.isArray(ep.subsets) ? ep.subsets : []);

/** SetDefaults_Endpoints: port protocol TCP. */
function defaultEndpoints(ep: KObject): void {
  for (const ss of subsetsOf(ep)) {
    for (const port of ss?.ports ?? []) if (port && !port.protocol) port.protocol = "TCP";
  }
}

function validateAddress(addr: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateIP(`${path}.ip`, addr?.ip ?? ""));
  if (addr?.hostname) errs.push(...invalidEach(`${path}.hostname`, addr.hostname, isDNS1123Label(addr.hostname)));
  if (addr?.nodeName != null) errs.push(...invalidEach(`${path}.nodeName`, addr.nodeName, isDNS1123Subdomain(String(addr.nodeName))));
  errs.push(...validateNonSpecialIP(`${path}.ip`, String(addr?.ip ?? "")));
  return errs;
}

function validatePort(port: any, requireName: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = port?.name ?? "";
  if (requireName && !name) errs.push(field.required(`${path}.name`));
  else if (name) errs.push(...invalidEach(`${path}.name`, name, isDNS1123Label(name)));
  errs.push(...invalidEach(`${path}.port`, port?.port ?? 0, portNumErrors(port?.port)));
  if (!port?.protocol) errs.push(field.required(`${path}.protocol`));
  else if (!supportedProtocols.includes(port.protocol)) errs.push(field.notSupported(`${path}.protocol`, port.protocol, supportedProtocols));
  if (port?.appProtocol != null) errs.push(...invalidEach(`${path}.appProtocol`, port.appProtocol, isQualifiedName(port.appProtocol)));
  return errs;
}

/** validateEndpointSubsets. */
export function validateEndpoints(ep: KObject): FieldError[] {
  const errs: FieldError[] = [];
  subsetsOf(ep).forEach((ss, i) => {
    const path = `subsets[${i}]`;
    const addresses: any[] = ss?.addresses ?? [];
    const notReady: any[] = ss?.notReadyAddresses ?? [];
    if (addresses.length === 0 && notReady.length === 0) {
      errs.push(field.required(path, "must specify `addresses` or `notReadyAddresses`"));
    }
    addresses.forEach((a, j) => errs.push(...validateAddress(a, `${path}.addresses[${j}]`)));
    notReady.forEach((a, j) => errs.push(...validateAddress(a, `${path}.notReadyAddresses[${j}]`)));
    const ports: any[] = ss?.ports ?? [];
    ports.forEach((p, j) => errs.push(...validatePort(p, ports.length > 1, `${path}.ports[${j}]`)));
  });
  return errs;
}

/** net.JoinHostPort: IPv6 hosts in brackets. */
function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** formatEndpoints: the first three ready addresses (with each port), then `+ N more...`. */
export function formatEndpoints(ep: KObject): string {
  const subsets = subsetsOf(ep);
  if (subsets.length === 0) return "<none>";
  const max = 3;
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses: any[] = ss?.addresses ?? [];
    const ports: any[] = ss?.ports ?? [];
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a?.ip ?? "");
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(a?.ip ?? "", port?.port ?? 0));
      }
    }
  }
  const joined = list.join(",");
  return more ? `${joined} + ${count - max} more...` : joined;
}

export const endpointsStrategy: KindStrategy = {
  group: "",
  version: "v1",
  kind: "Endpoints",
  resource: "endpoints",
  allowCreateOnUpdate: true,
  singular: "endpoints",
  namespaced: true,
  shortNames: ["ep"],

  prepareForCreate: (ep) => defaultEndpoints(ep),
  prepareForUpdate: (ep) => defaultEndpoints(ep),
  validate: validateEndpoints,

  table: {
    columns: [
      { name: "Endpoints", type: "string", description: "The addresses and ports of the service's backends.", priority: 0 },
      { name: "Age", type: "string", description: "Time since the object was created.", priority: 0 },
    ],
    cells: (ep, now) => [formatEndpoints(ep), ageCell(ep.metadata.creationTimestamp, now)],
  },
};

