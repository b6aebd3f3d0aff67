/**
 * Tenant API keys: `skk_` + 43 base64url characters (32 random bytes) + 8 hex characters of the
 * CRC-32 of those 43. The checksum lets a mistyped or forged key be refused without a lookup;
 * only the key's SHA-256 digest is ever stored.
 */
const PREFIX = "skk_";
const BODY_LENGTH = 43;
const WELL_FORMED = new RegExp(`^${PREFIX}([A-Za-z0-9_-]{${BODY_LENGTH}})([0-9a-f]{8})$`);

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(text: string): string {
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return ((crc ^ 0xffffffff) >>> 0).toString(16).padStart(8, "0");
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function newTenantKey(): string {
  const body = base64url(crypto.getRandomValues(new Uint8Array(32)));
  return `${PREFIX}${body}${crc32(body)}`;
}

/** Prefix, length, alphabet and checksum are right (says nothing about whether the key exists). */
export function isWellFormedTenantKey(key: string): boolean {
  const match = WELL_FORMED.exec(key);
  return match !== null && crc32(match[1]!) === match[2];
}

/** Hex SHA-256 of a key: what is stored and looked up. */
export async function keyDigest(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The start of a key, shown in listings so keys can be told apart. */
export function displayPrefix(key: string): string {
  return key.slice(0, PREFIX.length + 8);
}
