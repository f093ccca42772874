import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { keyIdOf } from '../../src/config/secret-key.js';
import { plaintextSecretCodec } from '../../src/secrets/plaintext-secret-codec.js';
import { requireSecretKey } from '../../src/secrets/require-secret-key.js';
import { keyringCodecFromConfig, secretCodecFromConfig } from '../../src/secrets/secret-codec-from-config.js';
import { configErrorOf } from '../support/config-error-of.js';

describe('secret key configuration', () => {
  it('has no key and no plaintext opt-out by default', () => {
    expect(loadConfig({}).secrets).toEqual({ insecurePlaintext: false });
  });

  it('reads ROLLOUT_SECRET_KEY, ROLLOUT_SECRET_KEY_PREVIOUS (comma-separated) and the plaintext opt-out', () => {
    const current = randomBytes(32);
    const old1 = randomBytes(32);
    const old2 = randomBytes(32);
    const config = loadConfig({
      ROLLOUT_SECRET_KEY: current.toString('base64'),
      ROLLOUT_SECRET_KEY_PREVIOUS: `${old1.toString('hex')}, ${old2.toString('base64url')}`,
      ROLLOUT_INSECURE_PLAINTEXT_SECRETS: '1',
    });
    expect(config.secrets.insecurePlaintext).toBe(true);
    const codec = keyringCodecFromConfig(config.secrets);
    expect(codec?.currentKid).toBe(keyIdOf(current));
    // A key wins over the opt-out: values are sealed.
    expect(secretCodecFromConfig(config.secrets)).not.toBe(plaintextSecretCodec);
    expect(codec?.open(codec.seal('t'))).toBe('t');
  });

  it('refuses a malformed ROLLOUT_SECRET_KEY with the variable named and the value not repeated', () => {
    const bad = 'not-a-key-but-a-password-someone-typed';
    const error = configErrorOf(() => loadConfig({ ROLLOUT_SECRET_KEY: bad }));
    expect(error.message).toContain('secrets.key (ROLLOUT_SECRET_KEY)');
    expect(error.message).toContain('32 random bytes');
    expect(error.message).not.toContain(bad);
  });

  it('refuses a malformed key in ROLLOUT_SECRET_KEY_PREVIOUS, saying which one', () => {
    const good = randomBytes(32).toString('base64');
    const error = configErrorOf(() =>
      loadConfig({ ROLLOUT_SECRET_KEY: good, ROLLOUT_SECRET_KEY_PREVIOUS: `${good},abc` }),
    );
    expect(error.message).toContain('secrets.previousKey (ROLLOUT_SECRET_KEY_PREVIOUS): key 2 of 2');
    expect(error.message).not.toContain(good);
  });

  it('refuses an unclear ROLLOUT_INSECURE_PLAINTEXT_SECRETS value', () => {
    const error = configErrorOf(() => loadConfig({ ROLLOUT_INSECURE_PLAINTEXT_SECRETS: 'maybe' }));
    expect(error.message).toContain('ROLLOUT_INSECURE_PLAINTEXT_SECRETS');
  });

  it('requireSecretKey refuses without a key, and passes with a key or the explicit opt-out', () => {
    const error = configErrorOf(() => requireSecretKey(loadConfig({}), 'the worker'));
    expect(error.message).toMatch(/^ROLLOUT_SECRET_KEY is not set: the worker /);
    expect(error.message).toContain('ROLLOUT_INSECURE_PLAINTEXT_SECRETS=1');
    expect(() =>
      requireSecretKey(loadConfig({ ROLLOUT_SECRET_KEY: randomBytes(32).toString('hex') }), 'the worker'),
    ).not.toThrow();
    expect(() =>
      requireSecretKey(loadConfig({ ROLLOUT_INSECURE_PLAINTEXT_SECRETS: '1' }), 'the worker'),
    ).not.toThrow();
    expect(secretCodecFromConfig(loadConfig({ ROLLOUT_INSECURE_PLAINTEXT_SECRETS: '1' }).secrets)).toBe(
      plaintextSecretCodec,
    );
  });
});
