/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-id` (the same on
 * every retry of a delivery), `webhook-timestamp` (seconds), and `webhook-signature`
 * `v1,<base64 HMAC-SHA256>` — two of them, space-separated, while a secret is being rotated.
 */
import { Webhook } from "standardwebhooks";

const SECRET_PREFIX = "whsec_";

/** A new signing secret: `whsec_` + 24 random bytes in base64, as the specification shows them. */
export function newSigningSecret(): string {
  return SECRET_PREFIX + btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24))));
}

/** Signers by secret (a signer decodes its secret once). */
const signers = new Map<string, Webhook>();
function signer(secret: string): Webhook {
  let webhook = signers.get(secret);
  if (!webhook) {
    if (signers.size >= 1000) signers.clear();
    signers.set(secret, (webhook = new Webhook(secret)));
  }
  return webhook;
}

/** The headers of one delivery attempt, signed with every current secret (the newest first). */
export function signedHeaders(secrets: readonly string[], deliveryId: string, timestampMs: number, body: string): Record<string, string> {
  const timestamp = new Date(Math.floor(timestampMs / 1000) * 1000);
  const signatures = secrets.map((secret) => signer(secret).sign(deliveryId, timestamp, body));
  return {
    "content-type": "application/json",
    "webhook-id": deliveryId,
    "webhook-timestamp": String(Math.floor(timestampMs / 1000)),
    "webhook-signature": signatures.join(" "),
  };
}
