import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretKey } from '../config/secret-key.js';
import {
  formatSealedSecret,
  looksSealed,
  parseSealedSecret,
  type SealedSecret,
  sealedHeader,
} from './sealed-secret.js';
import type { SecretCodec } from './secret-codec.js';
import { SecretOpenError } from './secret-open-error.js';

/** A codec that seals with one current key and opens values sealed with it or with any previous key. */
export interface KeyringSecretCodec extends SecretCodec {
  /** Key id of the key new values are sealed with. */
  readonly currentKid: string;
  /** Key ids of every key this codec opens: the current one and the previous ones. */
  readonly kids: readonly string[];
  /** True when a stored value is not sealed with the current key (plaintext, or an older key): rotate it. */
  needsReseal(stored: string): boolean;
}

const IV_BYTES = 12;

/**
 * AES-256-GCM secrets at rest: every `seal` draws a fresh random 12-byte IV and stores
 * `v1:<kid>:<iv>:<tag>:<ct>` (see sealed-secret.ts). `open` picks the key by its id among `current` and
 * `previous` (rotation: ROLLOUT_SECRET_KEY_PREVIOUS). A value without the `v1:` prefix was stored before
 * encryption was turned on and is returned as is; the store seals it on its next write. The empty string
 * stands for "no value" in the portal hash and stays empty.
 */
export function createKeyringSecretCodec(options: {
  current: SecretKey;
  previous?: readonly SecretKey[];
}): KeyringSecretCodec {
  const { current } = options;
  const keys = new Map<string, SecretKey>();
  for (const key of options.previous ?? []) keys.set(key.kid, key);
  keys.set(current.kid, current);

  function decrypt(sealed: SealedSecret): string {
    const key = keys.get(sealed.kid);
    if (key === undefined) {
      throw new SecretOpenError(
        'unknown_key',
        `a stored secret is sealed with key id ${sealed.kid}, which is neither ROLLOUT_SECRET_KEY (key id ` +
          `${current.kid}) nor in ROLLOUT_SECRET_KEY_PREVIOUS; set the key it was sealed with as ROLLOUT_SECRET_KEY_PREVIOUS`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.bytes, sealed.iv);
      decipher.setAAD(Buffer.from(sealedHeader(sealed.kid)));
      decipher.setAuthTag(sealed.tag);
      return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new SecretOpenError(
        'tampered',
        `a stored secret sealed with key id ${sealed.kid} fails authentication: it was changed in Redis or ` +
          'written with another key of the same id',
        { cause: error },
      );
    }
  }

  return {
    currentKid: current.kid,
    kids: [...keys.keys()],
    seal(plain: string): string {
      if (plain === '') return '';
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.bytes, iv);
      cipher.setAAD(Buffer.from(sealedHeader(current.kid)));
      const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return formatSealedSecret({ kid: current.kid, iv, tag: cipher.getAuthTag(), ciphertext });
    },
    open(stored: string): string {
      if (!looksSealed(stored)) return stored;
      const sealed = parseSealedSecret(stored);
      if (sealed === undefined) {
        throw new SecretOpenError(
          'malformed',
          'a stored secret starts with "v1:" but is not a well-formed sealed value',
        );
      }
      return decrypt(sealed);
    },
    needsReseal(stored: string): boolean {
      if (stored === '') return false;
      return parseSealedSecret(stored)?.kid !== current.kid;
    },
  };
}
