/**
 * A sandbox's token signing key (ES256). Created on first use and kept in the Durable Object's
 * storage only encrypted: AES-GCM under a key derived (HKDF-SHA-256) from the Worker secret and
 * the sandbox id, so a copy of the storage alone signs nothing.
 */
import { sealingKey } from "../seal";
import { exportJWK, generateKeyPair, importJWK, calculateJwkThumbprint, type JWK } from "jose";

export interface SigningKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public key as published in the sandbox's JWKS, with its `kid`. */
  publicJwk: JWK;
}

export interface SecretStorage {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
}

const STORAGE_KEY = "signing-key";
const ALG = "ES256";

interface SealedKey {
  iv: Uint8Array;
  ciphertext: ArrayBuffer;
}

const wrappingKey = (secret: string, sandboxId: string) => sealingKey(secret, sandboxId, "sandkube token signing key");

async function fromPrivateJwk(jwk: JWK): Promise<SigningKey> {
  const { d: _d, ...publicPart } = jwk;
  const kid = await calculateJwkThumbprint(publicPart);
  const publicJwk: JWK = { ...publicPart, kid, alg: ALG, use: "sig" };
  return {
    privateKey: (await importJWK(jwk, ALG)) as CryptoKey,
    publicKey: (await importJWK(publicPart, ALG)) as CryptoKey,
    publicJwk,
  };
}

/** The sandbox's key, unsealed from storage, or created and sealed there on first use. */
export async function loadSigningKey(storage: SecretStorage, secret: string, sandboxId: string): Promise<SigningKey> {
  const wrapping = await wrappingKey(secret, sandboxId);
  const sealed = await storage.get<SealedKey>(STORAGE_KEY);
  if (sealed) {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv }, wrapping, sealed.ciphertext);
    return fromPrivateJwk(JSON.parse(new TextDecoder().decode(plain)) as JWK);
  }
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, wrapping, new TextEncoder().encode(JSON.stringify(jwk)));
  await storage.put<SealedKey>(STORAGE_KEY, { iv, ciphertext });
  return fromPrivateJwk(jwk);
}
