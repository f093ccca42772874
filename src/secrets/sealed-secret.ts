/**
 * The stored form of an encrypted value: `v1:<kid>:<iv>:<tag>:<ct>`, each part base64url. `v1` is AES-256-GCM
 * with a 12-byte random IV and a 16-byte tag, the additional authenticated data being `v1:<kid>` (so the key id
 * cannot be swapped without the tag failing).
 */
export interface SealedSecret {
  version: 'v1';
  kid: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

export const SEALED_PREFIX = 'v1:';
const PART = /^[A-Za-z0-9_-]*$/;

/** The authenticated header of a sealed value (also its AAD). */
export function sealedHeader(kid: string): string {
  return `${SEALED_PREFIX}${kid}`;
}

export function formatSealedSecret(sealed: Omit<SealedSecret, 'version'>): string {
  return [
    sealedHeader(sealed.kid),
    sealed.iv.toString('base64url'),
    sealed.tag.toString('base64url'),
    sealed.ciphertext.toString('base64url'),
  ].join(':');
}

/** True when a stored text claims to be sealed (starts with `v1:`); a plaintext token or URL never does. */
export function looksSealed(stored: string): boolean {
  return stored.startsWith(SEALED_PREFIX);
}

/** Parses the stored form; undefined when it is not well-formed (wrong part count, sizes or alphabet). */
export function parseSealedSecret(stored: string): SealedSecret | undefined {
  const parts = stored.split(':');
  if (parts.length !== 5 || parts[0] !== 'v1') return undefined;
  const [, kid, iv, tag, ct] = parts as [string, string, string, string, string];
  if (kid === '' || ![kid, iv, tag, ct].every((part) => PART.test(part))) return undefined;
  const sealed: SealedSecret = {
    version: 'v1',
    kid,
    iv: Buffer.from(iv, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
    ciphertext: Buffer.from(ct, 'base64url'),
  };
  if (sealed.iv.length !== 12 || sealed.tag.length !== 16) return undefined;
  return sealed;
}
