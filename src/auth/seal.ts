/**
 * Secrets at rest: AES-GCM under a key derived (HKDF-SHA-256) from the Worker secret, a salt
 * naming what is sealed (a sandbox id, a table) and a purpose, so a copy of the storage alone
 * reveals nothing and keys for different purposes never coincide.
 */

export async function sealingKey(secret: string, salt: string, purpose: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new TextEncoder().encode(salt), info: new TextEncoder().encode(purpose) },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** `v1.<iv>.<ciphertext>` (base64): text that can sit in a D1 column. */
export async function sealText(key: CryptoKey, plain: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(plain)));
  return `v1.${toBase64(iv)}.${toBase64(ciphertext)}`;
}

/** The plaintext of {@link sealText}'s output; throws when it was sealed under another key or altered. */
export async function unsealText(key: CryptoKey, sealed: string): Promise<string> {
  const [version, iv, ciphertext] = sealed.split(".");
  if (version !== "v1" || !iv || !ciphertext) throw new Error("not a sealed value");
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(iv) }, key, fromBase64(ciphertext));
  return new TextDecoder().decode(plain);
}
