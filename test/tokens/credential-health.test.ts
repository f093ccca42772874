import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { loadConfig } from '../../src/config/load-config.js';
import { readCredentialPage, readCredentialSummary } from '../../src/ops/read-credential-health.js';
import type { PortalEntry } from '../../src/portals/portal-entry-schema.js';
import { createRuntime } from '../../src/runtime/create-runtime.js';
import { buildCredentialIndex } from '../../src/store/build-credential-index.js';
import { ACCESS_TOKEN_LIFETIME_MS } from '../../src/store/credential-index.js';
import { installLeakCheck, testRedisEnv, testRedisTarget } from '../support/redis.js';
import { runCli } from '../support/run-cli.js';
import { DAY_MS, makeStale } from './support/keep-alive-env.js';
import { CLIENT_ID, CLIENT_SECRET, type TokenEnv, useTokenEnvs } from './support/token-env.js';

installLeakCheck();
const startTokenEnv = useTokenEnvs();

const OLD = 'old.sim.test';
const PARKED = 'parked.sim.test';
const FRESH = 'fresh.sim.test';

/** OLD issued 40 days ago (due), PARKED 10 days ago then refused, FRESH issued now. */
async function fleet(): Promise<TokenEnv> {
  const env = await startTokenEnv([{ domain: OLD }, { domain: PARKED }, { domain: FRESH }]);
  await makeStale(env, OLD, 40);
  await makeStale(env, PARKED, 10);
  await env.store.markNeedsReauth(PARKED, 'invalid_grant: The refresh token is invalid');
  return env;
}

function cliEnv(env: TokenEnv): Record<string, string> {
  return {
    ...testRedisEnv(),
    ROLLOUT_PREFIX: env.prefix,
    ROLLOUT_INSECURE_PLAINTEXT_SECRETS: '1',
  };
}

describe('credential index and health', () => {
  it('counts an imported pair from its issue time (expiry − 1 h), never later than the import', async () => {
    const env = await startTokenEnv([{ domain: OLD }, { domain: FRESH }]);
    const entries = env.sim.portalsFile() as PortalEntry[];
    const farFuture = Date.now() + 30 * DAY_MS;
    const expiresOld = Date.now() - 40 * DAY_MS;
    const before = Date.now();
    await env.store.importPortals(
      entries.map((e) =>
        e.auth.type !== 'oauth'
          ? e
          : {
              ...e,
              auth: {
                ...e.auth,
                expiresAt: new Date(e.domain === OLD ? expiresOld : farFuture).toISOString(),
              },
            },
      ),
      // Stated as issued 40 days ago: older than the stored pair (docs/operations.md, "Re-imports never go back in time").
      { replaceCredentials: true },
    );

    expect(Number(await env.redis.zscore(env.keys.credentialsByRefresh, OLD))).toBe(
      expiresOld - ACCESS_TOKEN_LIFETIME_MS,
    );
    const fresh = Number(await env.redis.zscore(env.keys.credentialsByRefresh, FRESH));
    expect(fresh).toBeGreaterThanOrEqual(before);
    expect(fresh).toBeLessThanOrEqual(Date.now());
  });

  it('indexes portals stored before the index existed once: OAuth listed, parked ones not due, webhooks left out', async () => {
    const env = await startTokenEnv([
      { domain: OLD },
      { domain: PARKED },
      { domain: 'hook.sim.test', auth: 'webhook' },
    ]);
    await makeStale(env, OLD, 40);
    await env.store.markNeedsReauth(PARKED, 'invalid_grant: refused');
    const scoreBefore = Number(await env.redis.zscore(env.keys.credentialsByRefresh, OLD));
    // As a version without the index would have left it.
    await env.redis.del(env.keys.credentialsByRefresh, env.keys.keepAliveDue, env.keys.credentialIndexBuilt);

    const options = { keepAliveAfterDays: 30, now: Date.now() };
    const before = await readCredentialSummary(env.redis, env.keys, options);
    const built = await buildCredentialIndex(env.redis, env.keys, Date.now);
    const again = await buildCredentialIndex(env.redis, env.keys, Date.now);
    const after = await readCredentialSummary(env.redis, env.keys, options);

    expect(built).toEqual({ indexed: 2, skipped: false });
    expect(again).toEqual({ indexed: 0, skipped: true });
    expect([before.indexBuilt, after.indexBuilt]).toEqual([false, true]);
    expect((await env.redis.zrange(env.keys.credentialsByRefresh, 0, -1)).sort()).toEqual([OLD, PARKED]);
    expect(await env.redis.zrange(env.keys.keepAliveDue, 0, -1)).toEqual([OLD]);
    expect(Number(await env.redis.zscore(env.keys.keepAliveDue, OLD))).toBe(scoreBefore);
  });

  it('summarises and pages credential health from the index, oldest first, with due and parked flags', async () => {
    const env = await fleet();
    const now = Date.now();

    const page = await readCredentialPage(env.redis, env.keys, {
      keepAliveAfterDays: 30,
      now,
      offset: 0,
      limit: 2,
    });
    const due = await readCredentialPage(env.redis, env.keys, {
      keepAliveAfterDays: 30,
      now,
      offset: 0,
      limit: 10,
      only: 'due',
    });

    expect(page.summary).toMatchObject({
      keepAliveAfterDays: 30,
      oauthPortals: 3,
      refreshedWithinAge: 2,
      dueForKeepAlive: 1,
      needsReauth: 1,
      oldest: { domain: OLD, ageDays: 40 },
    });
    expect(page.total).toBe(3);
    expect(page.portals.map((p) => [p.domain, p.state, p.due, p.ageDays])).toEqual([
      [OLD, 'active', true, 40],
      [PARKED, 'needs_reauth', false, 10],
    ]);
    expect(page.portals[1]?.reason).toMatch(/^invalid_grant/);
    expect(due.total).toBe(1);
    expect(due.portals.map((p) => p.domain)).toEqual([OLD]);
  });

  it('GET /api/credentials pages the health without a token in the answer; /metrics counts portals by health', async () => {
    const env = await fleet();
    const config = loadConfig(
      {},
      {
        ...testRedisTarget(),
        prefix: env.prefix,
        allowHttp: true,
        allowHosts: ['127.0.0.1'],
        logLevel: 'silent',
        b24: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, oauthUrl: env.sim.oauthUrl },
        secrets: { insecurePlaintext: true },
      },
    );
    const runtime = env.adopt('runtime', createRuntime({ config, logger: pino({ level: 'silent' }) }), (r) =>
      r.close(),
    );
    const app = env.adopt('api', await buildApi(runtime, { host: '127.0.0.1', token: undefined }), (a) =>
      a.close(),
    );

    const first = await app.inject({ method: 'GET', url: '/api/credentials?limit=1' });
    const second = await app.inject({ method: 'GET', url: '/api/credentials?limit=1&offset=1' });
    const due = await app.inject({ method: 'GET', url: '/api/credentials?only=due' });
    const bad = await app.inject({ method: 'GET', url: '/api/credentials?limit=0&only=old' });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    const dashboard = await app.inject({ method: 'GET', url: '/' });

    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      total: 3,
      offset: 0,
      limit: 1,
      portals: [{ domain: OLD, due: true }],
    });
    expect(second.json()).toMatchObject({ portals: [{ domain: PARKED, state: 'needs_reauth' }] });
    expect(due.json()).toMatchObject({ total: 1, portals: [{ domain: OLD }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('limit');
    expect(bad.body).toContain('only');
    for (const domain of [OLD, PARKED, FRESH]) {
      const view = env.sim.portal(domain);
      for (const body of [first.body, second.body, due.body]) {
        expect(body).not.toContain(view.currentAccessToken);
        expect(body).not.toContain(view.currentRefreshToken);
      }
    }
    expect(metrics.body).toContain('imbot_rollout_oauth_portals{health="due"} 1');
    expect(metrics.body).toContain('imbot_rollout_oauth_portals{health="needs_reauth"} 1');
    expect(metrics.body).toContain('imbot_rollout_oauth_portals{health="fresh"} 1');
    // The dashboard's credential panel, server-rendered (the script keeps it live from /api/credentials).
    expect(dashboard.statusCode).toBe(200);
    expect(dashboard.body).toContain('<section class="card" id="credentials"');
    expect(dashboard.body).toMatch(/id="cred-oauth">3</);
    expect(dashboard.body).toMatch(/id="cred-due">1</);
    expect(dashboard.body).toMatch(/id="cred-reauth">1</);
    expect(dashboard.body).toContain(`oldest last refresh`);
    expect(dashboard.body).toContain(`(${OLD}, 40 d;`);
  });

  it('`status` prints a credential summary line, `status --credentials` each portal with its flag', async () => {
    const env = await fleet();

    const summary = await runCli(['status'], cliEnv(env));
    const detail = await runCli(['status', '--credentials'], cliEnv(env));
    const json = await runCli(['status', '--credentials', '--json'], cliEnv(env));

    expect(summary.code).toBe(0);
    expect(summary.stdout).toContain(
      'credentials: 3 OAuth portals · 2 refreshed within 30 d · 1 due for keep-alive',
    );
    expect(summary.stdout).toContain('1 need re-auth');
    expect(summary.stdout).toContain(`(${OLD}, 40 d)`);
    // Portals stored by this version are indexed as they are stored: no note about older ones.
    expect(summary.stdout).not.toContain('stored before this version');
    expect(detail.code).toBe(0);
    const lines = detail.stdout.split('\n');
    expect(lines.find((l) => l.startsWith(OLD))).toContain('due for keep-alive');
    expect(lines.find((l) => l.startsWith(PARKED))).toContain('needs re-auth: invalid_grant');
    expect(lines.find((l) => l.startsWith(FRESH))).toMatch(/\bok\b/);
    const parsed = JSON.parse(json.stdout) as { summary: unknown; portals: { domain: string }[] };
    expect(parsed.portals.map((p) => p.domain)).toEqual([OLD, PARKED, FRESH]);
    expect(parsed.summary).toMatchObject({ oauthPortals: 3, dueForKeepAlive: 1, needsReauth: 1 });
  });
});
