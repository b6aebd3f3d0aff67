/**
 * discovery.k8s.io/v1 EndpointSlice: port defaulting, upstream's ValidateEndpointSlice /
 * ValidateEndpointSliceUpdate (pkg/apis/discovery/validation) and the `kubectl get endpointslices`
 * columns (ADDRESSTYPE, PORTS, ENDPOINTS: three values then `+ N more...`, `<unset>` when empty).
 *
 * As the v1 registry strategy: `deprecatedTopology` written through v1 is dropped (unless the
 * endpoints are unchanged), the generation starts at 1 and grows when anything outside metadata
 * or the labels change, and empty `endpoints` / `ports` read back as `null`, the way an empty list
 * comes back from etcd (both fields are always present: neither is `omitempty`).
 */
import { field, type FieldError } from "../../apiserver/status";
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from "../../apiserver/names";
import { isDeepEqual } from "../store";
import type { KindStrategy, KObject } from "../types";
import { ageCell, invalidEach, parseIPSloppy, supportedProtocols, validateNonSpecialIP } from "./service";

/* eslint-disable @typescript-eslint/no-explicit-any */

export const ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"];
/** Upstream's maxEndpoints, maxAddresses (per endpoint), maxPorts and maxZoneHints / maxNodeHints. */
export const MAX_ENDPOINTS = 1000;
export const MAX_ADDRESSES = 100;
export const MAX_PORTS = 20000;
const MAX_HINTS = 8;

const listOf = (v: unknown): any[] => (Array.isArray(v) ? v : []);

/** field.TooMany: `Too many: 1001: must have at most 1000 items`. */
function tooMany(path: string, actual: number, max: number): FieldError {
  return { type: "FieldValueTooMany", field: path, detail: `${actual}: must have at most ${max} ${max === 1 ? "item" : "items"}` };
}

/** SetDefaults_EndpointPort (name "" and protocol TCP, in upstream's field order), and nil lists for empty ones. */
function defaultEndpointSlice(slice: KObject): void {
  if (Array.isArray(slice.ports)) {
    slice.ports = slice.ports.map((p: any) => {
      if (!p || typeof p !== "object") return p;
      const { name, protocol, port, appProtocol, ...rest } = p;
      return { name: name ?? "", protocol: protocol ?? "TCP", ...(port !== undefined ? { port } : {}), ...(appProtocol !== undefined ? { appProtocol } : {}), ...rest };
    });
  }
  if (listOf(slice.endpoints).length === 0) slice.endpoints = null;
  if (listOf(slice.ports).length === 0) slice.ports = null;
}

/** dropTopologyOnV1: writes through v1 clear `deprecatedTopology`, unless the endpoints did not change. */
function dropDeprecatedTopology(slice: KObject, old: KObject | null): void {
  if (old && isDeepEqual(old.endpoints ?? null, slice.endpoints ?? null)) return;
  for (const ep of listOf(slice.endpoints)) if (ep && typeof ep === "object") delete ep.deprecatedTopology;
}

/** IsValidIPv4Address / IsValidIPv6Address, then ValidateEndpointIP (no special addresses). */
function validateIPAddress(path: string, address: string, family: "IPv4" | "IPv6"): FieldError[] {
  const ip = parseIPSloppy(address);
  const errs: FieldError[] = [];
  if (!ip || ip.v4 !== (family === "IPv4")) errs.push(field.invalid(path, address, `must be a valid ${family} address`));
  errs.push(...validateNonSpecialIP(path, address));
  return errs;
}

/** validation.IsFullyQualifiedDomainName. */
function validateFQDN(path: string, address: string): FieldError[] {
  if (address.length === 0) return [field.required(path, "")];
  const name = address.endsWith(".") ? address.slice(0, -1) : address;
  const subdomain = isDNS1123Subdomain(name);
  if (subdomain.length) return [field.invalid(path, name, subdomain.join(","))];
  const labels = name.split(".");
  if (labels.length < 2) return [field.invalid(path, name, "should be a domain with at least two segments separated by dots")];
  for (const label of labels) {
    const errs = isDNS1123Label(label);
    if (errs.length) return [field.invalid(path, label, errs.join(","))];
  }
  return [];
}

function validateHints(hints: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const check = (key: "forZones" | "forNodes", nameErrors: (name: string) => string[]) => {
    const list = listOf(hints?.[key]);
    if (list.length > MAX_HINTS) return void errs.push(tooMany(`${path}.${key}`, list.length, MAX_HINTS));
    const seen = new Set<string>();
    list.forEach((hint, i) => {
      const p = `${path}.${key}[${i}].name`;
      const name = String(hint?.name ?? "");
      if (seen.has(name)) errs.push(field.duplicate(p, name));
      seen.add(name);
      errs.push(...invalidEach(p, name, nameErrors(name)));
    });
  };
  check("forZones", isValidLabelValue);
  check("forNodes", isDNS1123Subdomain);
  return errs;
}

function validateEndpoints(slice: KObject): FieldError[] {
  const endpoints = listOf(slice.endpoints);
  if (endpoints.length > MAX_ENDPOINTS) return [tooMany("endpoints", endpoints.length, MAX_ENDPOINTS)];
  const errs: FieldError[] = [];
  endpoints.forEach((ep, i) => {
    const path = `endpoints[${i}]`;
    const addresses = listOf(ep?.addresses);
    if (addresses.length === 0) errs.push(field.required(`${path}.addresses`, "must contain at least 1 address"));
    else if (addresses.length > MAX_ADDRESSES) errs.push(tooMany(`${path}.addresses`, addresses.length, MAX_ADDRESSES));
    addresses.forEach((a, j) => {
      const p = `${path}.addresses[${j}]`;
      const address = String(a ?? "");
      // Unknown address types are reported once, on the slice, and their addresses left alone.
      if (slice.addressType === "IPv4" || slice.addressType === "IPv6") errs.push(...validateIPAddress(p, address, slice.addressType));
      else if (slice.addressType === "FQDN") errs.push(...validateFQDN(p, address));
    });
    if (ep?.nodeName != null) errs.push(...invalidEach(`${path}.nodeName`, ep.nodeName, isDNS1123Subdomain(String(ep.nodeName))));
    if (ep?.hostname != null) errs.push(...invalidEach(`${path}.hostname`, ep.hostname, isDNS1123Label(String(ep.hostname))));
    if (ep?.hints != null) errs.push(...validateHints(ep.hints, `${path}.hints`));
  });
  return errs;
}

function validatePorts(slice: KObject): FieldError[] {
  const ports = listOf(slice.ports);
  if (ports.length > MAX_PORTS) return [tooMany("ports", ports.length, MAX_PORTS)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const path = `ports[${i}]`;
    const name = String(port?.name ?? "");
    if (name) errs.push(...invalidEach(`${path}.name`, name, isDNS1123Label(name)));
    if (names.has(name)) errs.push(field.duplicate(`${path}.name`, name));
    names.add(name);
    if (port?.protocol == null) errs.push(field.required(`${path}.protocol`, ""));
    else if (!supportedProtocols.includes(port.protocol)) errs.push(field.notSupported(`${path}.protocol`, port.protocol, supportedProtocols));
    if (port?.appProtocol != null) errs.push(...invalidEach(`${path}.appProtocol`, port.appProtocol, isQualifiedName(String(port.appProtocol))));
  });
  return errs;
}

/** ValidateEndpointSlice (the object-meta checks are the generic store's). */
export function validateEndpointSlice(slice: KObject): FieldError[] {
  const errs: FieldError[] = [];
  if (!slice.addressType) errs.push(field.required("addressType", ""));
  else if (!ADDRESS_TYPES.includes(slice.addressType)) errs.push(field.notSupported("addressType", slice.addressType, ADDRESS_TYPES));
  errs.push(...validateEndpoints(slice), ...validatePorts(slice));
  return errs;
}

/** ValidateEndpointSliceUpdate's extra check: the address type is immutable. */
export function validateEndpointSliceUpdate(slice: KObject, old: KObject): FieldError[] {
  return slice.addressType === old.addressType ? [] : [field.invalid("addressType", slice.addressType ?? "", "field is immutable")];
}

/** listWithMoreString: the first three values, `+ N more...` beyond, `<unset>` for none. */
function listWithMore(values: string[], max = 3): string {
  if (values.length > max) return `${values.slice(0, max).join(",")} + ${values.length - max} more...`;
  return values.length ? values.join(",") : "<unset>";
}

/** formatDiscoveryPorts: each port's number (or its name, or `*`). */
export function formatSlicePorts(slice: KObject): string {
  return listWithMore(listOf(slice.ports).map((p) => (p?.port != null ? String(p.port) : p?.name != null ? String(p.name) : "*")));
}

/** formatDiscoveryEndpoints: every address of every endpoint. */
export function formatSliceEndpoints(slice: KObject): string {
  return listWithMore(listOf(slice.endpoints).flatMap((ep) => listOf(ep?.addresses).map(String)));
}

export const endpointSliceStrategy: KindStrategy = {
  group: "discovery.k8s.io",
  version: "v1",
  kind: "EndpointSlice",
  resource: "endpointslices",
  singular: "endpointslice",
  namespaced: true,
  tracksGeneration: true,

  prepareForCreate(slice) {
    dropDeprecatedTopology(slice, null);
    defaultEndpointSlice(slice);
  },
  prepareForUpdate(slice, old) {
    dropDeprecatedTopology(slice, old);
    defaultEndpointSlice(slice);
    // Upstream also counts a label change as a new generation.
    if (!isDeepEqual(slice.metadata.labels ?? {}, old.metadata.labels ?? {})) slice.metadata.generation = (old.metadata.generation ?? 1) + 1;
  },
  validate: validateEndpointSlice,
  validateUpdate: validateEndpointSliceUpdate,

  table: {
    columns: [
      { name: "AddressType", type: "string", description: "The type of address carried by this EndpointSlice: IPv4, IPv6 or FQDN.", priority: 0 },
      { name: "Ports", type: "string", description: "The network ports exposed by each endpoint in this slice.", priority: 0 },
      { name: "Endpoints", type: "string", description: "The addresses of the endpoints in this slice.", priority: 0 },
      { name: "Age", type: "string", description: "Time since the object was created.", priority: 0 },
    ],
    cells: (slice, now) => [String(slice.addressType ?? ""), formatSlicePorts(slice), formatSliceEndpoints(slice), ageCell(slice.metadata.creationTimestamp, now)],
  },
};
