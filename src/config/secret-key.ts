import { createHash } from 'node:crypto';

/** An AES-256 key with its key id (the id goes into every value it seals; the key never leaves the process). */
export interface SecretKey {
  /** 8 base64url characters derived from the key (SHA-256), so old and new keys are told apart without config. */
  readonly kid: string;
  readonly bytes: Buffer;
}

export type SecretKeyDecoding = { ok: true; key: SecretKey } | { ok: false; problem: string };

const KEY_BYTES = 32;
const HEX = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]{43}=?$/;
const BASE64URL = /^[A-Za-z0-9_-]{43}=?$/;
const HOW =
  'must be 32 random bytes written as base64 (44 characters) or hex (64 characters), e.g. the output of `openssl rand -base64 32`';

/** The key id of a key: the first 8 base64url characters of SHA-256("imbot-rollout/kid/v1\n" + key). */
export function keyIdOf(bytes: Uint8Array): string {
  return createHash('sha256').update('imbot-rollout/kid/v1\n').update(bytes).digest('base64url').slice(0, 8);
}

/**
 * Decodes `ROLLOUT_SECRET_KEY`-style text: 64 hex characters, or 32 bytes as base64 / base64url (padding
 * optional). Hex is tried first (a 64-character hex text is also valid base64, but of 48 bytes). The problem
 * text never repeats the value; it only gives its length.
 */
export function decodeSecretKey(raw: string): SecretKeyDecoding {
  const text = raw.trim();
  let bytes: Buffer | undefined;
  if (HEX.test(text)) bytes = Buffer.from(text, 'hex');
  else if (BASE64.test(text)) bytes = Buffer.from(text, 'base64');
  else if (BASE64URL.test(text)) bytes = Buffer.from(text, 'base64url');
  if (bytes === undefined || bytes.length !== KEY_BYTES) {
    return { ok: false, problem: `${HOW}; the value given has ${text.length} characters` };
  }
  if (bytes.every((b) => b === bytes[0])) {
    return { ok: false, problem: `${HOW}; got one byte repeated 32 times, which is not a random key` };
  }
  return { ok: true, key: { kid: keyIdOf(bytes), bytes } };
}

/**
 * `ROLLOUT_SECRET_KEY_PREVIOUS`: one key or several separated by commas (oldest last is fine; order does not
 * matter, values are matched by key id). Empty items are ignored.
 */
export function splitKeyList(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
