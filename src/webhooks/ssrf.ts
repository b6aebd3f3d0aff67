/**
 * The URL guard for webhook endpoints, applied at registration and again before every send: https
 * only (plain http only to loopback when local development allows it), no userinfo, and no host
 * that is — in any spelling — a private, loopback, link-local, CGNAT, unspecified, multicast,
 * reserved or cloud-metadata address, or a name that stays inside the machine (`localhost`,
 * `*.internal`). Redirects are never followed when sending, so a checked URL is the one called.
 */

export interface GuardOptions {
  /** Local development: `http://127.0.0.1:port/…` and `http://localhost:…` are allowed. */
  allowLoopbackHttp?: boolean;
}

export type GuardResult = { ok: true; url: URL } | { ok: false; reason: string };

const refuse = (reason: string): GuardResult => ({ ok: false, reason });

/** IPv4 ranges no webhook may reach: [first octets as a 32-bit prefix, prefix length, name]. */
const BLOCKED_V4: [number, number, string][] = [
  [0x00000000, 8, "unspecified"],
  [0x0a000000, 8, "private"],
  [0x64400000, 10, "carrier-grade NAT"],
  [0x7f000000, 8, "loopback"],
  [0xa9fe0000, 16, "link-local (cloud metadata)"],
  [0xac100000, 12, "private"],
  [0xc0000000, 24, "IETF protocol assignments"],
  [0xc0000200, 24, "documentation"],
  [0xc0a80000, 16, "private"],
  [0xc6120000, 15, "benchmarking"],
  [0xc6336400, 24, "documentation"],
  [0xcb007100, 24, "documentation"],
  [0xe0000000, 4, "multicast"],
  [0xf0000000, 4, "reserved"],
];

const BLOCKED_NAMES = [/^localhost$/, /\.localhost$/, /\.internal$/, /^metadata$/, /\.local$/];

/** A 32-bit IPv4 address from a WHATWG-normalized host (the URL parser already turned decimal, octal, hex and short forms into dotted quads). */
function parseV4(host: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return null;
  return ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
}

function blockedV4(address: number): string | null {
  for (const [prefix, length, name] of BLOCKED_V4) {
    const mask = length === 0 ? 0 : (~0 << (32 - length)) >>> 0;
    if ((address & mask) >>> 0 === prefix) return name;
  }
  return address === 0xffffffff ? "broadcast" : null;
}

/** The 8 groups of a bracketed IPv6 host as normalized by the URL parser (`[::ffff:7f00:1]`). */
function parseV6(host: string): number[] | null {
  if (!host.startsWith("[") || !host.endsWith("]")) return null;
  const text = host.slice(1, -1);
  const [head, tail] = text.includes("::") ? text.split("::") : [text, null];
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const front = parse(head!);
  const back = tail === null ? [] : parse(tail);
  const groups = tail === null ? front : [...front, ...Array(8 - front.length - back.length).fill(0), ...back];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

function blockedV6(g: number[]): string | null {
  const embeddedV4 = (hi: number, lo: number) => blockedV4(((hi << 16) | lo) >>> 0);
  if (g.every((x) => x === 0)) return "unspecified";
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return "loopback";
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return embeddedV4(g[6]!, g[7]!) ?? "IPv4-mapped";
  if (g.slice(0, 6).every((x) => x === 0)) return "IPv4-compatible";
  if (g[0] === 0x64 && g[1] === 0xff9b) return "NAT64";
  if (g[0] === 0x2002) return "6to4";
  if ((g[0]! & 0xfe00) === 0xfc00) return "unique local";
  if ((g[0]! & 0xffc0) === 0xfe80) return "link-local";
  if ((g[0]! & 0xff00) === 0xff00) return "multicast";
  if (g[0] === 0x2001 && g[1] === 0xdb8) return "documentation";
  return null;
}

const isLoopbackHost = (host: string) => host === "localhost" || host === "[::1]" || (parseV4(host) ?? 0) >>> 24 === 127;

/** Checks a webhook URL; the answer names why a URL is refused. */
export function guardWebhookUrl(raw: string, options: GuardOptions = {}): GuardResult {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse("not a valid URL");
  }
  if (url.username || url.password) return refuse("URLs with user information are not allowed");
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (url.protocol === "http:") {
    if (options.allowLoopbackHttp && isLoopbackHost(host)) return { ok: true, url };
    return refuse("only https URLs are allowed");
  }
  if (url.protocol !== "https:") return refuse(`the ${url.protocol.replace(":", "")} scheme is not allowed: use https`);
  if (host === "") return refuse("the URL has no host");
  const v4 = parseV4(host);
  if (v4 !== null) {
    const blocked = blockedV4(v4);
    return blocked ? refuse(`the address ${host} is ${blocked}`) : { ok: true, url };
  }
  const v6 = parseV6(host);
  if (v6 !== null) {
    const blocked = blockedV6(v6);
    return blocked ? refuse(`the address ${host} is ${blocked}`) : { ok: true, url };
  }
  if (BLOCKED_NAMES.some((pattern) => pattern.test(host))) return refuse(`the host ${host} is internal`);
  if (!host.includes(".")) return refuse(`the host ${host} is not a public domain name`);
  return { ok: true, url };
}
