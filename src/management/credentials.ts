/**
 * Credentials of the management API and of sandboxes.
 *
 * A sandbox token is derived, never stored: HMAC-SHA256(TOKEN_SECRET, "sandbox:<id>:<generation>"),
 * so a kubeconfig can be re-issued at any time and rotation only bumps the generation.
 */

export const LOCAL_ADMIN_KEY = "sandkube-local-admin";
const LOCAL_TOKEN_SECRET = "sandkube-local-token-secret";
const TOKEN_PREFIX = "skt_";

const encoder = new TextEncoder();

function base64url(bytes: ArrayBuffer): string {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function hmac(secret: string, message: string): Promise<ArrayBuffer> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", key, encoder.encode(message));
}

/** The secret tokens and signing keys derive from: the Worker's TOKEN_SECRET, or the local default. */
export function tokenSecret(configured: string | undefined): string {
  return configured || LOCAL_TOKEN_SECRET;
}

export async function sandboxToken(secret: string | undefined, sandboxId: string, generation: number): Promise<string> {
  return TOKEN_PREFIX + base64url(await hmac(secret || LOCAL_TOKEN_SECRET, `sandbox:${sandboxId}:${generation}`));
}

/** Constant-time comparison of two strings (length differences are not secret). */
export function timingSafeEqual(a: string, b: string): boolean {
  const ab = encoder.encode(a);
  const bb = encoder.encode(b);
  if (ab.byteLength !== bb.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < ab.byteLength; i++) diff |= ab[i] ^ bb[i];
  return diff === 0;
}

export async function verifySandboxToken(secret: string | undefined, sandboxId: string, generation: number, presented: string): Promise<boolean> {
  if (!presented.startsWith(TOKEN_PREFIX)) return false;
  return timingSafeEqual(await sandboxToken(secret, sandboxId, generation), presented);
}

export function isAdminKey(configured: string | undefined, presented: string): boolean {
  return timingSafeEqual(configured || LOCAL_ADMIN_KEY, presented);
}
