import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { configErrorOf } from '../support/config-error-of.js';

const SOURCE_SECRET = 'source-secret-0123456789';
const HANDOUT_SECRET = 'handout-secret-0123456789abcdef0123';

describe('token arrangement configuration', () => {
  it('reads the token source and the handout secret from the environment', () => {
    const config = loadConfig({
      ROLLOUT_TOKEN_SOURCE_URL: 'https://backend.example.com/b24/tokens',
      ROLLOUT_TOKEN_SOURCE_SECRET: SOURCE_SECRET,
      ROLLOUT_TOKEN_HANDOUT_SECRET: HANDOUT_SECRET,
    });
    expect(config.tokens.source).toEqual({
      url: 'https://backend.example.com/b24/tokens',
      secret: SOURCE_SECRET,
      timeoutMs: 10_000,
    });
    expect(config.tokens.handout).toEqual({ secret: HANDOUT_SECRET, ratePerMinute: 120 });
  });

  it('leaves both off by default', () => {
    const config = loadConfig({});
    expect(config.tokens.source.url).toBeUndefined();
    expect(config.tokens.handout.secret).toBeUndefined();
  });

  it('refuses a source URL without its secret, naming the missing variable', () => {
    const message = configErrorOf(() =>
      loadConfig({ ROLLOUT_TOKEN_SOURCE_URL: 'https://backend.example.com/b24/tokens' }),
    ).message;
    expect(message).toContain('tokens.source.secret (ROLLOUT_TOKEN_SOURCE_SECRET)');
    expect(message).toContain('is required with tokens.source.url');
  });

  it('refuses a source secret without its URL', () => {
    const message = configErrorOf(() => loadConfig({ ROLLOUT_TOKEN_SOURCE_SECRET: SOURCE_SECRET })).message;
    expect(message).toContain('tokens.source.url (ROLLOUT_TOKEN_SOURCE_URL)');
  });

  it('refuses short secrets and never echoes them', () => {
    const message = configErrorOf(() =>
      loadConfig({
        ROLLOUT_TOKEN_SOURCE_URL: 'https://backend.example.com/b24/tokens',
        ROLLOUT_TOKEN_SOURCE_SECRET: 'short-secret',
        ROLLOUT_TOKEN_HANDOUT_SECRET: 'a-secret-of-31-characters-long!',
      }),
    ).message;
    expect(message).toContain(
      'tokens.source.secret (ROLLOUT_TOKEN_SOURCE_SECRET): must be at least 16 characters',
    );
    expect(message).toContain(
      'tokens.handout.secret (ROLLOUT_TOKEN_HANDOUT_SECRET): must be at least 32 characters',
    );
    expect(message).not.toContain('short-secret');
    expect(message).not.toContain('a-secret-of-31');
  });

  it('refuses an http:// source unless ROLLOUT_ALLOW_HTTP is on', () => {
    const env = {
      ROLLOUT_TOKEN_SOURCE_URL: 'http://10.0.0.5:8080/tokens',
      ROLLOUT_TOKEN_SOURCE_SECRET: SOURCE_SECRET,
    };
    expect(configErrorOf(() => loadConfig(env)).message).toContain('http:// is refused');
    // A private address is fine: the source is operator configuration, not portal input.
    expect(loadConfig({ ...env, ROLLOUT_ALLOW_HTTP: '1' }).tokens.source.url).toBe(
      'http://10.0.0.5:8080/tokens',
    );
  });
});
