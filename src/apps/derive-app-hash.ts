import { createHmac } from 'node:crypto';

/**
 * The HASH for an IFRAME app on one portal: 32 lowercase hex characters of HMAC-SHA256(secret,
 * `${domain}\n${code}`). Spec, HASH_ERROR: "We recommend using unique hashes for each IFRAME and each
 * installation" -- so it differs per portal and per app, and is reproducible from the secret without storing
 * it. The domain is lower-cased (host names are case-insensitive).
 */
export function deriveAppHash(secret: string, domain: string, code: string): string {
  if (secret === '') throw new RangeError('deriveAppHash: the secret must not be empty');
  return createHmac('sha256', secret).update(`${domain.toLowerCase()}\n${code}`).digest('hex').slice(0, 32);
}
