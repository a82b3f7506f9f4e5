// Checking a webhook delivery's signature on the receiving side. Montu signs the raw body:
// `X-Montu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, with one `v1=`
// per secret in use (two during a rollover). Verify the bytes as received, before parsing them.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface VerifyOptions {
  /** Oldest (or furthest in the future) timestamp accepted, in seconds: a replayed delivery is refused. Default 300. */
  toleranceSeconds?: number;
  /** The time to check against (tests); default now. */
  now?: Date;
}

/**
 * True when `header` (the X-Montu-Signature value) carries a timestamp within the tolerance and a
 * `v1` signature of `rawBody` made with `secret`. Never throws for a malformed header: it is false.
 */
export function verifyWebhookSignature(secret: string, header: string | null | undefined, rawBody: string | Uint8Array, options: VerifyOptions = {}): boolean {
  if (!secret || !header) return false;
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamps = parts.filter(([key]) => key === 't').map(([, value]) => value ?? '');
  const [t] = timestamps;
  if (timestamps.length !== 1 || !t || !/^\d{1,12}$/.test(t)) return false;
  const nowSeconds = (options.now ?? new Date()).getTime() / 1000;
  if (Math.abs(nowSeconds - Number(t)) > (options.toleranceSeconds ?? 300)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
  return parts
    .filter(([key, value]) => key === 'v1' && value && /^[0-9a-f]{64}$/i.test(value))
    .some(([, value]) => timingSafeEqual(Buffer.from(value!, 'hex'), expected));
}
