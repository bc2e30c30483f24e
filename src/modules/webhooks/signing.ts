/**
 * Webhook signatures. Every delivery carries three headers:
 *
 * - `Kosh-Webhook-Id`: the event's id, the same on every retry (receivers deduplicate by it);
 * - `Kosh-Webhook-Timestamp`: when this attempt was signed, in unix seconds;
 * - `Kosh-Webhook-Signature`: `v1=<hex>`, where hex is HMAC-SHA256 keyed with the endpoint's secret
 *   (the whole `whsec_...` string as UTF-8 bytes) over `${timestamp}.${body}` (body: the exact bytes
 *   of the request body). While a rotated secret is still honoured, two signatures are sent,
 *   separated by a space (`v1=<new> v1=<old>`); a receiver accepts the delivery when any matches.
 *
 * Receivers should refuse timestamps older (or newer) than a few minutes, so that a captured
 * delivery cannot be replayed later.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_VERSION = 'v1';
export const HEADER_ID = 'kosh-webhook-id';
export const HEADER_TIMESTAMP = 'kosh-webhook-timestamp';
export const HEADER_SIGNATURE = 'kosh-webhook-signature';
/** The default replay window of verifyWebhookSignature. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new endpoint secret: `whsec_` and 32 random bytes in base64url (43 characters). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** The hex HMAC-SHA256 of `${timestamp}.${body}` under the secret. */
export function computeSignature(options: { secret: string; timestamp: number; body: string }): string {
  return createHmac('sha256', options.secret).update(`${options.timestamp}.${options.body}`, 'utf8').digest('hex');
}

/** The Kosh-Webhook-Signature header value for one or more secrets (current first). */
export function signatureHeader(options: { secrets: readonly string[]; timestamp: number; body: string }): string {
  return options.secrets.map((secret) => `${SIGNATURE_VERSION}=${computeSignature({ secret, timestamp: options.timestamp, body: options.body })}`).join(' ');
}

export type VerifyOutcome = { readonly valid: true } | { readonly valid: false; readonly reason: 'malformed' | 'timestamp_out_of_range' | 'no_matching_signature' };

/**
 * Verifies a delivery: the timestamp must be unix seconds within `toleranceSeconds` of `now`, and
 * one of the `v1=` signatures in the header must equal the HMAC of `${timestamp}.${body}` (compared
 * in constant time). `body` must be the raw request body, before any JSON parsing.
 */
export function verifyWebhookSignature(options: {
  secret: string;
  timestamp: string | number;
  body: string;
  signature: string;
  toleranceSeconds?: number;
  now?: Date;
}): VerifyOutcome {
  const timestampText = String(options.timestamp);
  if (!/^[0-9]{1,12}$/.test(timestampText)) return { valid: false, reason: 'malformed' };
  const timestamp = Number(timestampText);
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    return { valid: false, reason: 'timestamp_out_of_range' };
  }
  const candidates = options.signature
    .split(/[\s,]+/)
    .filter((part) => part.startsWith(`${SIGNATURE_VERSION}=`))
    .map((part) => part.slice(SIGNATURE_VERSION.length + 1))
    .filter((hex) => /^[0-9a-f]{64}$/.test(hex));
  if (candidates.length === 0) return { valid: false, reason: 'malformed' };
  const expected = Buffer.from(computeSignature({ secret: options.secret, timestamp, body: options.body }), 'hex');
  // Every candidate is compared (no early exit), each in constant time.
  let matched = false;
  for (const candidate of candidates) {
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) matched = true;
  }
  return matched ? { valid: true } : { valid: false, reason: 'no_matching_signature' };
}
