/**
 * Service ClusterIPs from 10.96.0.0/12 and NodePorts from 30000-32767. Allocation walks a cursor
 * forward and skips addresses in use, so concurrent creates never receive the same address.
 */
import type { AddressAllocator } from "../registry/types";

const SERVICE_CIDR_BASE = ipToNumber("10.96.0.0");
const SERVICE_CIDR_SIZE = 1 << 20; // /12
const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;

export function ipToNumber(ip: string): number {
  return ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

export interface AllocatedAddresses {
  /** Cluster IPs and node ports currently held by services. */
  serviceIPs(): Iterable<string>;
  nodePorts(): Iterable<number>;
}

export function createAllocator(inUse: AllocatedAddresses): AddressAllocator {
  // .0 is the network address, .1 belongs to the kubernetes Service (requested explicitly).
  let ipCursor = 2;
  let portCursor = 0;
  return {
    allocateServiceIP(requested) {
      const used = new Set(inUse.serviceIPs());
      if (requested) {
        const n = ipToNumber(requested) - SERVICE_CIDR_BASE;
        if (!/^\d+\.\d+\.\d+\.\d+$/.test(requested) || n < 1 || n >= SERVICE_CIDR_SIZE - 1) {
          return { error: `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is 10.96.0.0/12` };
        }
        if (used.has(requested)) return { error: `failed to allocate IP ${requested}: provided IP is already allocated` };
        return { ip: requested };
      }
      for (let tries = 0; tries < SERVICE_CIDR_SIZE; tries++) {
        const candidate = numberToIp(SERVICE_CIDR_BASE + ipCursor);
        ipCursor = ipCursor + 1 >= SERVICE_CIDR_SIZE - 1 ? 2 : ipCursor + 1;
        if (!used.has(candidate)) return { ip: candidate };
      }
      return { error: "range is full" };
    },
    allocateNodePort(requested) {
      const used = new Set(inUse.nodePorts());
      if (requested !== undefined) {
        if (requested < NODE_PORT_MIN || requested > NODE_PORT_MAX) {
          return { error: `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}` };
        }
        if (used.has(requested)) return { error: "provided port is already allocated" };
        return { port: requested };
      }
      const span = NODE_PORT_MAX - NODE_PORT_MIN + 1;
      for (let tries = 0; tries < span; tries++) {
        const candidate = NODE_PORT_MIN + portCursor;
        portCursor = (portCursor + 1) % span;
        if (!used.has(candidate)) return { port: candidate };
      }
      return { error: "range is full" };
    },
  };
}
