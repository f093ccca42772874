import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { configErrorOf } from '../support/config-error-of.js';

describe('loadConfig', () => {
  it('resolves the defaults from config/default.json into a fully filled config', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      prefix: 'imbot-rollout',
      allowHttp: false,
      logLevel: 'info',
      b24: { oauthUrl: 'https://oauth.bitrix.info/oauth/token/' },
    });
    // Below the server's 2/s and 50 so other apps on the portal keep headroom.
    expect(config.portalRate.rate).toBeLessThan(2);
    expect(config.portalRate.burst).toBeLessThan(50);
  });

  it('applies every environment variable of the public contract', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://10.0.0.5:6380/2',
      REDIS_CLUSTER_NODES: '10.0.0.7:7000, 10.0.0.8:7000,rediss://user:pw@10.0.0.9:7000',
      ROLLOUT_PREFIX: 'rollout-blue',
      B24_CLIENT_ID: 'local.abc',
      B24_CLIENT_SECRET: 'secret-value',
      B24_OAUTH_URL: 'https://oauth.example.com/oauth/token/',
      ROLLOUT_ALLOW_HTTP: '1',
      LOG_LEVEL: 'debug',
      ROLLOUT_PORTAL_RATE: '4.5',
      ROLLOUT_PORTAL_BURST: '200',
      ROLLOUT_HASH_SECRET: 'a-long-enough-secret',
    });
    expect(config).toMatchObject({
      redisUrl: 'redis://10.0.0.5:6380/2',
      redisClusterNodes: ['10.0.0.7:7000', '10.0.0.8:7000', 'rediss://user:pw@10.0.0.9:7000'],
      prefix: 'rollout-blue',
      b24: {
        clientId: 'local.abc',
        clientSecret: 'secret-value',
        oauthUrl: 'https://oauth.example.com/oauth/token/',
      },
      allowHttp: true,
      logLevel: 'debug',
      portalRate: { rate: 4.5, burst: 200 },
      hashSecret: 'a-long-enough-secret',
    });
  });

  it.each([
    [{ REDIS_URL: 'localhost:6379' }, 'redisUrl (REDIS_URL): must be a redis:// or rediss:// URL'],
    [{ LOG_LEVEL: 'loud' }, 'logLevel (LOG_LEVEL)'],
    [{ ROLLOUT_PORTAL_RATE: 'fast' }, 'ROLLOUT_PORTAL_RATE="fast" is not a number'],
    [{ ROLLOUT_PORTAL_RATE: '-1' }, 'portalRate.rate (ROLLOUT_PORTAL_RATE)'],
    [{ ROLLOUT_PORTAL_BURST: '2.5' }, 'portalRate.burst (ROLLOUT_PORTAL_BURST)'],
    [{ ROLLOUT_ALLOW_HTTP: 'maybe' }, 'ROLLOUT_ALLOW_HTTP="maybe" is not allowed: use 1 (on) or 0 (off)'],
    [{ ROLLOUT_PREFIX: 'has space' }, 'prefix (ROLLOUT_PREFIX)'],
    [
      { ROLLOUT_PREFIX: '{rollout}' },
      'prefix (ROLLOUT_PREFIX): only letters, digits, "_", "." and "-" (no "{}"',
    ],
    [
      { REDIS_CLUSTER_NODES: '10.0.0.7:7000,10.0.0.8' },
      'redisClusterNodes (REDIS_CLUSTER_NODES): seed 10.0.0.8 has no port: write host:port, e.g. 10.0.0.8:6379',
    ],
    [
      { REDIS_CLUSTER_NODES: 'redis://:secret@10.0.0.7:7000/2' },
      'redisClusterNodes (REDIS_CLUSTER_NODES): seed 10.0.0.7:7000: a cluster has no database number',
    ],
    [{ ROLLOUT_HASH_SECRET: 'short' }, 'hashSecret (ROLLOUT_HASH_SECRET): must be at least 16 characters'],
  ])('refuses %o naming the key and what is allowed', (env, expected) => {
    expect(configErrorOf(() => loadConfig(env)).message).toContain(expected);
  });

  it('refuses an http:// OAuth URL unless ROLLOUT_ALLOW_HTTP=1', () => {
    const env = { B24_OAUTH_URL: 'http://127.0.0.1:8787/oauth/token/' };
    expect(configErrorOf(() => loadConfig(env)).message).toContain(
      'b24.oauthUrl (B24_OAUTH_URL): http:// is refused; use https:// or set ROLLOUT_ALLOW_HTTP=1',
    );
    expect(
      loadConfig({ ...env, ROLLOUT_ALLOW_HTTP: '1', ROLLOUT_ALLOW_HOSTS: '127.0.0.1' }).b24.oauthUrl,
    ).toBe('http://127.0.0.1:8787/oauth/token/');
  });

  it('reports every bad key at once', () => {
    const message = configErrorOf(() => loadConfig({ LOG_LEVEL: 'loud', REDIS_URL: 'nope' })).message;
    expect(message).toContain('LOG_LEVEL');
    expect(message).toContain('REDIS_URL');
  });

  it('layers the file named by ROLLOUT_CONFIG between the defaults and the environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ worker: { concurrency: 7 }, prefix: 'from-file' }));
    const config = loadConfig({ ROLLOUT_CONFIG: file, ROLLOUT_PREFIX: 'from-env' });
    expect(config.worker.concurrency).toBe(7);
    expect(config.worker.lockDurationMs).toBe(120_000);
    expect(config.prefix).toBe('from-env');
  });

  it('refuses unknown keys in a config file, naming them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ workers: 3 }));
    expect(configErrorOf(() => loadConfig({ ROLLOUT_CONFIG: file })).message).toMatch(/workers/);
  });
});
