/**
 * Service ClusterIPs from 10.96.0.0/12 and NodePorts from 30000-32767.
 *
 * An address is taken when a durable Service holds it or when it was handed out recently (a
 * reservation): a create whose write is still in flight is not yet visible among the Services,
 * and its address must not be handed out twice. Reservations outlive any commit, then lapse.
 */
import type { AddressAllocator } from "../registry/types";

const SERVICE_CIDR_BASE = ipToNumber("10.96.0.0");
const SERVICE_CIDR_SIZE = 1 << 20; // /12
const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;
const RESERVATION_MS = 60_000;

export function ipToNumber(ip: string): number {
  return ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

export interface AllocatedAddresses {
  /** Cluster IPs and node ports currently held by durable Services. */
  serviceIPs(): Iterable<string>;
  nodePorts(): Iterable<number>;
}

/** Values handed out recently, each forgotten after RESERVATION_MS. */
class Reservations<T> {
  private readonly until = new Map<T, number>();

  constructor(private readonly now: () => number) {}

  has(value: T): boolean {
    const expiry = this.until.get(value);
    if (expiry === undefined) return false;
    if (expiry > this.now()) return true;
    this.until.delete(value);
    return false;
  }

  add(value: T): void {
    this.until.set(value, this.now() + RESERVATION_MS);
  }
}

export function createAllocator(inUse: AllocatedAddresses, now: () => number): AddressAllocator {
  const reservedIPs = new Reservations<string>(now);
  const reservedPorts = new Reservations<number>(now);
  // .0 is the network address; .1 belongs to the kubernetes Service (requested explicitly).
  let ipCursor = 2;
  let portCursor = 0;
  return {
    allocateServiceIP(requested) {
      const used = new Set(inUse.serviceIPs());
      const taken = (ip: string) => used.has(ip) || reservedIPs.has(ip);
      if (requested) {
        const n = ipToNumber(requested) - SERVICE_CIDR_BASE;
        if (!/^\d+\.\d+\.\d+\.\d+$/.test(requested) || n < 1 || n >= SERVICE_CIDR_SIZE - 1) {
          return { error: `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is 10.96.0.0/12` };
        }
        if (taken(requested)) return { error: `failed to allocate IP ${requested}: provided IP is already allocated` };
        reservedIPs.add(requested);
        return { ip: requested };
      }
      for (let tries = 0; tries < SERVICE_CIDR_SIZE; tries++) {
        const candidate = numberToIp(SERVICE_CIDR_BASE + ipCursor);
        ipCursor = ipCursor + 1 >= SERVICE_CIDR_SIZE - 1 ? 2 : ipCursor + 1;
        if (!taken(candidate)) {
          reservedIPs.add(candidate);
          return { ip: candidate };
        }
      }
      return { error: "range is full" };
    },
    allocateNodePort(requested) {
      const used = new Set(inUse.nodePorts());
      const taken = (port: number) => used.has(port) || reservedPorts.has(port);
      if (requested !== undefined) {
        if (requested < NODE_PORT_MIN || requested > NODE_PORT_MAX) {
          return { error: `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}` };
        }
        if (taken(requested)) return { error: "provided port is already allocated" };
        reservedPorts.add(requested);
        return { port: requested };
      }
      const span = NODE_PORT_MAX - NODE_PORT_MIN + 1;
      for (let tries = 0; tries < span; tries++) {
        const candidate = NODE_PORT_MIN + portCursor;
        portCursor = (portCursor + 1) % span;
        if (!taken(candidate)) {
          reservedPorts.add(candidate);
          return { port: candidate };
        }
      }
      return { error: "range is full" };
    },
  };
}
