// Webhook signatures: `X-Montu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`,
// one `v1=` per secret in use (two during a rollover). Receivers check it with the client
// package's verifyWebhookSignature (client/src/webhooks.ts).
import { createHmac, randomBytes } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Montu-Signature';

/** A new signing secret: 32 random bytes, prefixed so it is recognisable in a receiver's settings. */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function signatureHeader(secrets: readonly string[], body: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  return [`t=${t}`, ...secrets.map((secret) => `v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`)].join(',');
}
