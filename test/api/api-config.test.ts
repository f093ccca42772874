import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors/operator-error.js';

describe('api config (ROLLOUT_API_TOKEN)', () => {
  it('binds 127.0.0.1:3000 without a token by default, with a read-only queue board, trusting no proxy', () => {
    expect(loadConfig({}).api).toEqual({
      port: 3000,
      host: '127.0.0.1',
      queueBoardWrite: false,
      trustProxy: false,
    });
  });

  it('takes the token from ROLLOUT_API_TOKEN', () => {
    expect(loadConfig({ ROLLOUT_API_TOKEN: 'a-long-enough-token-123' }).api.token).toBe(
      'a-long-enough-token-123',
    );
    expect(loadConfig({ ROLLOUT_API_TOKEN: '' }).api.token).toBeUndefined();
  });

  it('refuses a short token, naming the variable and never echoing the value', () => {
    let error: unknown;
    try {
      loadConfig({ ROLLOUT_API_TOKEN: 'short-s3cret' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(
      'api.token (ROLLOUT_API_TOKEN): must be at least 16 characters',
    );
    expect((error as Error).message).not.toContain('short-s3cret');
  });
});
