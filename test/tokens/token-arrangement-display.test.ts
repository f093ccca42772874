import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { loadConfig } from '../../src/config/load-config.js';
import { portalsFileSchema } from '../../src/portals/portal-entry-schema.js';
import { createRuntime } from '../../src/runtime/create-runtime.js';
import { createSourceHealth } from '../../src/tokens/source-health.js';
import { installLeakCheck, testRedisEnv, testRedisTarget } from '../support/redis.js';
import { runCli } from '../support/run-cli.js';
import { CLIENT_ID, CLIENT_SECRET, type TokenEnv, useTokenEnvs } from './support/token-env.js';

installLeakCheck();
const startTokenEnv = useTokenEnvs();

const SOURCE_URL = 'https://backend.example.com/b24/tokens';
const SOURCE_SECRET = 'source-secret-0123456789';
const HANDOUT_SECRET = 'handout-secret-0123456789abcdef0123';
const OWNED = ['owned-1.sim.test', 'owned-2.sim.test'];
const BORROWED = ['borrowed-1.sim.test', 'borrowed-2.sim.test', 'borrowed-3.sim.test'];

/** Two OAuth portals, three source portals, and a source that refused our secret. */
async function fleet(): Promise<TokenEnv> {
  const env = await startTokenEnv([...OWNED, ...BORROWED].map((domain) => ({ domain })));
  const borrowed = portalsFileSchema({ allowHttp: true, allowHosts: ['127.0.0.1'], tokenSource: true }).parse(
    env.sim
      .portalsFile()
      .filter((e) => BORROWED.includes(e.domain))
      .map((e) => ({ ...e, auth: { type: 'source' } })),
  );
  await env.store.importPortals(borrowed);
  await createSourceHealth({ redis: env.redis, keys: env.keys }).recordFailure('refused', {
    code: 'TOKEN_SOURCE_REFUSED',
    reason: 'the source refused our request (HTTP 401)',
    pausedUntil: Date.now() + 60_000,
  });
  return env;
}

const ENV = {
  ROLLOUT_TOKEN_SOURCE_URL: SOURCE_URL,
  ROLLOUT_TOKEN_SOURCE_SECRET: SOURCE_SECRET,
  ROLLOUT_TOKEN_HANDOUT_SECRET: HANDOUT_SECRET,
};

const EXPECTED = {
  owned: 2,
  handout: true,
  borrowed: 3,
  source: { configured: true, health: { state: 'refused', code: 'TOKEN_SOURCE_REFUSED' } },
};

describe('which token arrangement is in force', () => {
  it('`status` names owned and borrowed portals, the handout and the source refusing our secret', async () => {
    const env = await fleet();
    const run = await runCli(['status'], {
      ...testRedisEnv(),
      ROLLOUT_PREFIX: env.prefix,
      ROLLOUT_INSECURE_PLAINTEXT_SECRETS: '1',
      ...ENV,
    });
    expect(run.code).toBe(0);
    const line = run.stdout.split('\n').find((l) => l.startsWith('tokens: '));
    expect(line).toContain('2 owned (OAuth pair held and refreshed here)');
    expect(line).toContain('handout on (GET /api/tokens)');
    expect(line).toContain('3 borrowed from the token source');
    expect(line).toContain('token source REFUSED our secret since');
    expect(line).toContain('check ROLLOUT_TOKEN_SOURCE_SECRET');
    expect(run.stdout).not.toContain(SOURCE_SECRET);
    // The OAuth summary counts the owned portals only.
    expect(run.stdout).toContain('credentials: 2 OAuth portals');
  });

  it('`status --credentials --json` carries the arrangement in its summary; without a source it says so', async () => {
    const env = await fleet();
    const base = { ...testRedisEnv(), ROLLOUT_PREFIX: env.prefix, ROLLOUT_INSECURE_PLAINTEXT_SECRETS: '1' };
    const json = await runCli(['status', '--credentials', '--json'], { ...base, ...ENV });
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { summary: { arrangement: unknown } };
    expect(parsed.summary.arrangement).toMatchObject(EXPECTED);
    const text = await runCli(['status', '--credentials'], base);
    expect(text.stdout).toContain('handout off');
    expect(text.stdout).toContain(
      'no token source is configured (ROLLOUT_TOKEN_SOURCE_URL): these portals wait',
    );
  });

  it('GET /api/credentials and the dashboard show the arrangement', async () => {
    const env = await fleet();
    const config = loadConfig(ENV, {
      ...testRedisTarget(),
      prefix: env.prefix,
      allowHttp: true,
      allowHosts: ['127.0.0.1'],
      logLevel: 'silent',
      b24: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, oauthUrl: env.sim.oauthUrl },
      secrets: { insecurePlaintext: true },
    });
    const runtime = env.adopt('runtime', createRuntime({ config, logger: pino({ level: 'silent' }) }), (r) =>
      r.close(),
    );
    const app = env.adopt('api', await buildApi(runtime, { host: '127.0.0.1', token: undefined }), (a) =>
      a.close(),
    );
    const api = await app.inject({ method: 'GET', url: '/api/credentials?limit=1' });
    expect(api.statusCode).toBe(200);
    expect(api.json()).toMatchObject({ summary: { oauthPortals: 2, arrangement: EXPECTED } });
    expect(api.body).not.toContain(SOURCE_SECRET);

    const dashboard = await app.inject({ method: 'GET', url: '/' });
    expect(dashboard.body).toMatch(/id="cred-borrowed">3</);
    expect(dashboard.body).toContain(
      '2 owned (OAuth pair held here) · handout on · 3 borrowed · token source REFUSED our secret: borrowed portals paused',
    );
    expect(dashboard.body).not.toContain(HANDOUT_SECRET);
  });
});
