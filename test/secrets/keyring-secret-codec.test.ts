import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeSecretKey, keyIdOf, type SecretKey } from '../../src/config/secret-key.js';
import { createKeyringSecretCodec } from '../../src/secrets/keyring-secret-codec.js';
import { plaintextSecretCodec } from '../../src/secrets/plaintext-secret-codec.js';
import { parseSealedSecret } from '../../src/secrets/sealed-secret.js';
import { SecretOpenError } from '../../src/secrets/secret-open-error.js';

function newKey(): SecretKey {
  const bytes = randomBytes(32);
  return { kid: keyIdOf(bytes), bytes };
}

function openError(fn: () => unknown): SecretOpenError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SecretOpenError) return error;
    throw error;
  }
  throw new Error('expected a SecretOpenError');
}

const TOKEN = 'access-token-5f0c2a9e7d1b4c3a';
const SEALED_FORM = /^v1:[A-Za-z0-9_-]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/;

describe('decodeSecretKey', () => {
  it('accepts 32 bytes as base64, base64 without padding, base64url and hex, with the same key id', () => {
    const bytes = randomBytes(32);
    const forms = [
      bytes.toString('base64'),
      bytes.toString('base64').replace(/=+$/, ''),
      bytes.toString('base64url'),
      bytes.toString('hex'),
      ` ${bytes.toString('hex').toUpperCase()}\n`,
    ];
    for (const form of forms) {
      const decoded = decodeSecretKey(form);
      expect(decoded.ok, form).toBe(true);
      if (decoded.ok) {
        expect(decoded.key.bytes.equals(bytes)).toBe(true);
        expect(decoded.key.kid).toBe(keyIdOf(bytes));
      }
    }
  });

  it('refuses wrong lengths and non-random keys without repeating the value', () => {
    const cases = [
      randomBytes(16).toString('base64'),
      randomBytes(31).toString('hex'),
      randomBytes(33).toString('base64'),
      'correct horse battery staple correct horse!',
      Buffer.alloc(32).toString('base64'),
      '',
    ];
    for (const raw of cases) {
      const decoded = decodeSecretKey(raw);
      expect(decoded.ok, raw).toBe(false);
      if (!decoded.ok) {
        expect(decoded.problem).toMatch(/32 random bytes .* base64 .* hex/);
        if (raw.length > 3) expect(decoded.problem).not.toContain(raw);
      }
    }
  });
});

describe('keyring secret codec (AES-256-GCM)', () => {
  it('seals to v1:<kid>:<iv>:<tag>:<ct> and opens to the same text', () => {
    const key = newKey();
    const codec = createKeyringSecretCodec({ current: key });
    const sealed = codec.seal(TOKEN);
    expect(sealed).toMatch(SEALED_FORM);
    expect(sealed).not.toContain(TOKEN);
    expect(sealed.split(':')[1]).toBe(key.kid);
    expect(codec.open(sealed)).toBe(TOKEN);
    expect(codec.currentKid).toBe(key.kid);
  });

  it('draws a fresh 12-byte IV per value: the same text never seals to the same form', () => {
    const codec = createKeyringSecretCodec({ current: newKey() });
    const sealed = Array.from({ length: 50 }, () => codec.seal(TOKEN));
    expect(new Set(sealed).size).toBe(50);
    const ivs = sealed.map((s) => parseSealedSecret(s)?.iv.toString('hex'));
    expect(new Set(ivs).size).toBe(50);
    for (const s of sealed) expect(parseSealedSecret(s)?.iv).toHaveLength(12);
  });

  it('round-trips any text, including unicode and long webhook URLs', () => {
    const codec = createKeyringSecretCodec({ current: newKey() });
    const texts = ['x', 'https://a.bitrix24.com/rest/1/abcdef0123456789/', 'ключ ✓ 🔑', 'a'.repeat(10_000)];
    for (const text of texts) expect(codec.open(codec.seal(text))).toBe(text);
  });

  it('keeps the empty string (no value) empty', () => {
    const codec = createKeyringSecretCodec({ current: newKey() });
    expect(codec.seal('')).toBe('');
    expect(codec.open('')).toBe('');
    expect(codec.needsReseal('')).toBe(false);
  });

  it('opens values sealed with a previous key and says they need re-sealing', () => {
    const old = newKey();
    const current = newKey();
    const sealedOld = createKeyringSecretCodec({ current: old }).seal(TOKEN);
    const rotated = createKeyringSecretCodec({ current, previous: [old] });
    expect(rotated.open(sealedOld)).toBe(TOKEN);
    expect(rotated.needsReseal(sealedOld)).toBe(true);
    expect(rotated.needsReseal(rotated.seal(TOKEN))).toBe(false);
  });

  it('reads a plaintext value from before encryption as is, and marks it for re-sealing', () => {
    const codec = createKeyringSecretCodec({ current: newKey() });
    expect(codec.open(TOKEN)).toBe(TOKEN);
    expect(codec.needsReseal(TOKEN)).toBe(true);
  });

  it('refuses a value sealed with an unknown key, naming key ids only', () => {
    const stranger = newKey();
    const current = newKey();
    const sealed = createKeyringSecretCodec({ current: stranger }).seal(TOKEN);
    const error = openError(() => createKeyringSecretCodec({ current }).open(sealed));
    expect(error.reason).toBe('unknown_key');
    expect(error.message).toContain(stranger.kid);
    expect(error.message).toContain('ROLLOUT_SECRET_KEY_PREVIOUS');
    expect(error.message).not.toContain(sealed);
  });

  it('detects a value changed in Redis (ciphertext, tag, or a swapped key id)', () => {
    const key = newKey();
    const codec = createKeyringSecretCodec({ current: key });
    const [v, kid, iv, tag, ct] = codec.seal(TOKEN).split(':') as [string, string, string, string, string];
    const flip = (part: string): string => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      return bytes.toString('base64url');
    };
    for (const changed of [
      [v, kid, iv, tag, flip(ct)],
      [v, kid, iv, flip(tag), ct],
      [v, kid, flip(iv), tag, ct],
    ]) {
      expect(openError(() => codec.open(changed.join(':'))).reason).toBe('tampered');
    }
    expect(openError(() => codec.open(`v1:${kid}:${iv}:${tag}`)).reason).toBe('malformed');
    expect(openError(() => codec.open('v1:')).reason).toBe('malformed');
  });

  it('without a key, stores plaintext and refuses to use a sealed value as a token', () => {
    const sealed = createKeyringSecretCodec({ current: newKey() }).seal(TOKEN);
    expect(plaintextSecretCodec.seal(TOKEN)).toBe(TOKEN);
    expect(plaintextSecretCodec.open(TOKEN)).toBe(TOKEN);
    const error = openError(() => plaintextSecretCodec.open(sealed));
    expect(error.reason).toBe('no_key');
    expect(error.message).toContain('ROLLOUT_SECRET_KEY is not set');
  });
});
