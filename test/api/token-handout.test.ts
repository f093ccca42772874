import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { HANDOUT_DENIED_PER_MINUTE } from '../../src/api/handout-throttle.js';
import { createRuntime } from '../../src/runtime/create-runtime.js';
import type { SimPortalSeed } from '../../src/simulator/start-simulator.js';
import { staleTokenHash } from '../../src/tokens/hand-out-token.js';
import { createTokenSourceClient, sourceStaleHash } from '../../src/tokens/token-source-client.js';
import { TokenSourceError } from '../../src/tokens/token-source-error.js';
import { type Harness, startHarness } from '../pipeline/support/pipeline-harness.js';
import { useOwnedResources } from '../support/own-resources.js';
import { installLeakCheck, uniquePrefix } from '../support/redis.js';
import { captureLogger } from './support/capture-logger.js';

installLeakCheck();
const own = useOwnedResources();

const SECRET = 'handout-secret-0123456789abcdef-0123456789';
const API_TOKEN = 'handout-api-token-0123456789abcdef';
const FRESH = 'fresh.sim.test';
const EXPIRED = 'expired.sim.test';
const HOOK = 'hook.sim.test';
const REVOKED = 'revoked.sim.test';
const GONE = 'gone.sim.test';
const SEEDS: SimPortalSeed[] = [
  { domain: FRESH },
  { domain: EXPIRED, accessTokenExpired: true },
  { domain: HOOK, auth: 'webhook' },
  { domain: REVOKED, accessTokenExpired: true },
  { domain: GONE },
];

interface Setup {
  h: Harness;
  api: FastifyInstance;
}

/** The simulator's portals imported into a fresh prefix, and `serve`'s API with the handout on (unless `secret: undefined`). */
async function setUp(
  options: {
    secret?: string | undefined;
    ratePerMinute?: number;
    logger?: Logger;
    now?: () => number;
    token?: string | undefined;
    config?: Record<string, unknown>;
  } = {},
): Promise<Setup> {
  const secret = 'secret' in options ? options.secret : SECRET;
  const h = own(
    uniquePrefix('handout-harness'),
    await startHarness(
      { portals: SEEDS },
      {
        tokens: { handout: { ratePerMinute: options.ratePerMinute ?? 1000, ...(secret ? { secret } : {}) } },
        ...options.config,
      },
    ),
    (harness) => harness.close(),
  );
  await h.runtime.portals.importPortals(h.portals());
  const api = own(
    uniquePrefix('handout-api'),
    await buildApi(h.runtime, {
      host: '127.0.0.1',
      token: 'token' in options ? options.token : API_TOKEN,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.now ? { now: options.now } : {}),
    }),
    (app) => app.close(),
  );
  return { h, api };
}

function handout(
  api: FastifyInstance,
  url: string,
  options: { secret?: string | undefined; remoteAddress?: string; headers?: Record<string, string> } = {},
) {
  const secret = 'secret' in options ? options.secret : SECRET;
  return api.inject({
    method: 'GET',
    url,
    headers: { ...(secret === undefined ? {} : { authorization: `Bearer ${secret}` }), ...options.headers },
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  });
}

async function storedAccessToken(h: Harness, domain: string): Promise<string> {
  const portal = await h.runtime.portals.get(domain);
  if (portal?.auth.type !== 'oauth') throw new Error(`${domain} is not a stored OAuth portal`);
  return portal.auth.accessToken;
}

async function storedRefreshToken(h: Harness, domain: string): Promise<string> {
  const portal = await h.runtime.portals.get(domain);
  if (portal?.auth.type !== 'oauth') throw new Error(`${domain} is not a stored OAuth portal`);
  return portal.auth.refreshToken;
}

describe('token handout (GET /api/tokens)', () => {
  it('answers the stored token on both spellings with its expiry, client_endpoint, member_id and domain, and never the refresh token', async () => {
    const { h, api } = await setUp();
    const stored = await h.runtime.portals.get(FRESH);
    if (stored?.auth.type !== 'oauth') throw new Error('expected an OAuth portal');

    const byPath = await handout(api, `/api/tokens/${FRESH}`);
    const byQuery = await handout(api, `/api/tokens?domain=${FRESH}`);

    for (const answer of [byPath, byQuery]) {
      expect(answer.statusCode).toBe(200);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(answer.headers['cache-control']).toBe('no-store');
      const body = answer.json() as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(
        [
          'access_token',
          'client_endpoint',
          'domain',
          'expires',
          'expires_at',
          'expires_in',
          'member_id',
        ].sort(),
      );
      expect(body).toMatchObject({
        access_token: stored.auth.accessToken,
        expires: Math.floor(stored.auth.expiresAt / 1000),
        expires_at: new Date(stored.auth.expiresAt).toISOString(),
        client_endpoint: stored.restUrl,
        member_id: h.sim.portal(FRESH).memberId,
        domain: FRESH,
      });
      expect(body['expires_in']).toBeGreaterThan(0);
      expect(body['expires_in']).toBeLessThanOrEqual(3600);
      expect(answer.body).not.toContain(stored.auth.refreshToken);
      expect(answer.body).not.toContain('refresh');
    }
    expect(h.sim.stats().refreshes).toBe(0);
  });

  it('hands out a token that works on the portal', async () => {
    const { api } = await setUp();
    const body = (await handout(api, `/api/tokens/${EXPIRED}`)).json() as Record<string, string>;

    const call = await fetch(`${body['client_endpoint']}server.time.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth: body['access_token'] }),
    });

    expect(call.status).toBe(200);
    expect(((await call.json()) as { result?: unknown }).result).toEqual(expect.any(String));
  });

  it('refreshes a due token once through the single flight, however many ask at once', async () => {
    const { h, api } = await setUp();
    const before = await storedAccessToken(h, EXPIRED);

    const answers = await Promise.all(
      Array.from({ length: 4 }, () => handout(api, `/api/tokens/${EXPIRED}`)),
    );

    expect(h.sim.stats().refreshes).toBe(1);
    const handed = new Set(answers.map((a) => (a.json() as { access_token: string }).access_token));
    expect([...handed]).toEqual([await storedAccessToken(h, EXPIRED)]);
    expect(handed.has(before)).toBe(false);
    expect(h.sim.portal(EXPIRED).currentAccessToken).toBe(await storedAccessToken(h, EXPIRED));
  });

  it('refreshes a refused token once for two concurrent forced requests to two serve processes, and answers a newer stored token without refreshing', async () => {
    const { h, api } = await setUp();
    // A second `serve` process: its own runtime (Redis connection, token manager) on the same Redis prefix.
    const otherRuntime = own(
      uniquePrefix('handout-runtime'),
      createRuntime({ config: h.config, logger: pino({ level: 'silent' }) }),
      (runtime) => runtime.close(),
    );
    const otherApi = own(
      uniquePrefix('handout-api-2'),
      await buildApi(otherRuntime, { host: '127.0.0.1', token: API_TOKEN }),
      (app) => app.close(),
    );
    const refused = await storedAccessToken(h, FRESH);
    const url = `/api/tokens?domain=${FRESH}&force_refresh=1&stale=${staleTokenHash(refused)}`;

    const [first, second] = await Promise.all([handout(api, url), handout(otherApi, url)]);

    expect(h.sim.stats().refreshes).toBe(1);
    const newer = await storedAccessToken(h, FRESH);
    expect(newer).not.toBe(refused);
    expect(first?.json()).toMatchObject({ access_token: newer });
    expect(second?.json()).toMatchObject({ access_token: newer });

    // A third borrower still holding the refused token: the stored one is newer already, no refresh.
    const late = await handout(
      api,
      `/api/tokens/${FRESH}?force_refresh=1&stale=${staleTokenHash(refused).toUpperCase()}`,
    );
    expect(late.json()).toMatchObject({ access_token: newer });
    expect(h.sim.stats().refreshes).toBe(1);
  });

  it('answers 404 with the reason: unknown portal, webhook only, needs re-auth after a refused refresh, uninstalled', async () => {
    const { h, api } = await setUp();
    h.sim.control.revokeRefreshToken(REVOKED);
    await h.runtime.portals.markUninstalled(GONE, 'ONAPPUNINSTALL: the application was removed');

    const answers = {
      unknown: await handout(api, '/api/tokens/nowhere.sim.test'),
      hook: await handout(api, `/api/tokens/${HOOK}`),
      revoked: await handout(api, `/api/tokens/${REVOKED}`),
      parked: await handout(api, `/api/tokens/${REVOKED}`),
      gone: await handout(api, `/api/tokens/${GONE}`),
    };

    for (const answer of Object.values(answers)) expect(answer.statusCode).toBe(404);
    expect(answers.unknown.json()).toMatchObject({
      error: 'unknown_portal',
      message: expect.stringContaining('nowhere.sim.test'),
    });
    expect(answers.hook.json()).toMatchObject({ error: 'webhook_only' });
    expect(answers.revoked.json()).toMatchObject({
      error: 'needs_reauth',
      message: expect.stringContaining('REFRESH_TOKEN_REUSED'),
    });
    expect(answers.parked.json()).toMatchObject({ error: 'needs_reauth' });
    expect(answers.gone.json()).toMatchObject({ error: 'uninstalled' });
    // The refused refresh was tried once; the parked portal is not tried again.
    expect(h.sim.stats().invalidGrants).toBe(1);
    expect((await h.runtime.portals.get(REVOKED))?.state).toBe('needs_reauth');
  });

  it('answers 400 naming the field for a malformed stale, a force_refresh without stale, a bad domain or an unknown parameter', async () => {
    const { h, api } = await setUp();
    const cases: [string, string][] = [
      [`/api/tokens/${FRESH}?force_refresh=1&stale=abc`, 'query.stale'],
      [`/api/tokens/${FRESH}?force_refresh=1&stale=${'g'.repeat(64)}`, 'query.stale'],
      [`/api/tokens/${FRESH}?force_refresh=1`, 'query.stale'],
      [`/api/tokens/${FRESH}?stale=${'a'.repeat(64)}`, 'query.force_refresh'],
      [`/api/tokens/${FRESH}?force_refresh=yes&stale=${'a'.repeat(64)}`, 'query.force_refresh'],
      [`/api/tokens/${FRESH}?forceRefresh=1`, 'query.forceRefresh'],
      ['/api/tokens?force_refresh=0', 'query.domain'],
      ['/api/tokens?domain=https%3A%2F%2Fx.sim.test%2F', 'query.domain'],
      ['/api/tokens/a_b.sim.test', 'params.domain'],
    ];
    for (const [url, field] of cases) {
      const answer = await handout(api, url);
      expect(answer.statusCode, url).toBe(400);
      expect(
        (answer.json() as { issues: { field: string }[] }).issues.map((i) => i.field),
        url,
      ).toContain(field);
    }
    expect(h.sim.stats().refreshes).toBe(0);
  });

  it('answers 503 with Retry-After when the OAuth server cannot refresh a due token, and keeps the portal active', async () => {
    const { h, api } = await setUp({
      // Nothing listens on port 1: every refresh fails to connect (transient, after the refresh's own retries).
      config: {
        b24: {
          clientId: 'sim-client-id',
          clientSecret: 'sim-client-secret',
          oauthUrl: 'http://127.0.0.1:1/oauth/token/',
        },
      },
    });

    const answer = await handout(api, `/api/tokens/${EXPIRED}`);

    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    expect(answer.json()).toMatchObject({ error: 'unavailable' });
    expect(answer.body).not.toContain('access_token');
    expect((await h.runtime.portals.get(EXPIRED))?.state).toBe('active');
  });

  it('is authenticated by the handout secret alone: the API token and a login session are refused', async () => {
    const { api } = await setUp();
    const login = await api.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${encodeURIComponent(API_TOKEN)}`,
    });
    expect(login.statusCode).toBe(303);
    const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
    // The session works elsewhere...
    expect((await api.inject({ method: 'GET', url: '/api/progress', headers: { cookie } })).statusCode).toBe(
      200,
    );

    const refused = [
      await handout(api, `/api/tokens/${FRESH}`, { secret: API_TOKEN }),
      await handout(api, `/api/tokens/${FRESH}`, { secret: undefined, headers: { cookie } }),
      await handout(api, `/api/tokens?domain=${FRESH}`, { secret: undefined }),
      await handout(api, `/api/tokens/${FRESH}`, { secret: `${SECRET}x` }),
      await handout(api, `/api/tokens/${FRESH}`, {
        secret: undefined,
        headers: { authorization: `Basic ${SECRET}` },
      }),
    ];
    for (const answer of refused) {
      expect(answer.statusCode).toBe(401);
      expect(answer.json()).toMatchObject({ error: 'unauthorized' });
      expect(answer.body).not.toContain('access_token');
    }
    expect((await handout(api, `/api/tokens/${FRESH}`)).statusCode).toBe(200);
  });

  it('works without an API token on a loopback API, still only with its secret', async () => {
    const { api } = await setUp({ token: undefined });
    expect((await handout(api, `/api/tokens/${FRESH}`, { secret: undefined })).statusCode).toBe(401);
    expect((await handout(api, `/api/tokens/${FRESH}`)).statusCode).toBe(200);
  });

  it('is not served without ROLLOUT_TOKEN_HANDOUT_SECRET', async () => {
    const { api } = await setUp({ secret: undefined, token: undefined });
    for (const url of [`/api/tokens/${FRESH}`, `/api/tokens?domain=${FRESH}`]) {
      const answer = await handout(api, url);
      expect(answer.statusCode).toBe(404);
      expect(answer.json()).toMatchObject({ error: 'not_found' });
    }
  });

  it('refuses every request from an address after too many wrong secrets, the right one too; other addresses pass', async () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 30); // mid-window: the test never crosses a window's end
    const { api } = await setUp({ now: () => now });
    const attacker = '203.0.113.7';
    for (let i = 0; i < HANDOUT_DENIED_PER_MINUTE; i++) {
      const wrong = await handout(api, `/api/tokens/${FRESH}`, {
        secret: `wrong-${i}`,
        remoteAddress: attacker,
      });
      expect(wrong.statusCode).toBe(401);
    }

    const blocked = await handout(api, `/api/tokens/${FRESH}`, { remoteAddress: attacker });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toBe('30');
    expect(blocked.json()).toMatchObject({ error: 'rate_limited' });
    expect((await handout(api, `/api/tokens/${FRESH}`, { remoteAddress: '198.51.100.9' })).statusCode).toBe(
      200,
    );
  });

  it('limits each portal to ratePerMinute across serve processes, answering 429 with Retry-After; other portals pass', async () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 45);
    const { h, api } = await setUp({ ratePerMinute: 2, now: () => now });
    expect((await handout(api, `/api/tokens/${FRESH}`)).statusCode).toBe(200);
    expect((await handout(api, `/api/tokens?domain=${FRESH}`)).statusCode).toBe(200);

    const limited = await handout(api, `/api/tokens/${FRESH}`);

    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('15');
    expect(limited.json()).toMatchObject({ error: 'rate_limited', message: expect.stringContaining(FRESH) });
    expect((await handout(api, `/api/tokens/${EXPIRED}`)).statusCode).toBe(200);
    // Counted in Redis: another `serve` process on the same Redis refuses the portal too.
    const other = own(
      uniquePrefix('handout-api-2'),
      await buildApi(h.runtime, { host: '127.0.0.1', token: API_TOKEN, now: () => now }),
      (app) => app.close(),
    );
    expect((await handout(other, `/api/tokens/${FRESH}`)).statusCode).toBe(429);
  });

  it('counts each outcome in imbot_rollout_token_handouts_total and logs without any token or secret', async () => {
    const capture = captureLogger();
    const { h, api } = await setUp({ logger: capture.logger });
    const importedRefresh = await storedRefreshToken(h, EXPIRED);
    const importedAccess = await storedAccessToken(h, EXPIRED);

    await handout(api, `/api/tokens/${FRESH}`); // ok
    await handout(api, `/api/tokens/${EXPIRED}`); // refreshed
    await handout(
      api,
      `/api/tokens/${EXPIRED}?force_refresh=1&stale=${staleTokenHash(await storedAccessToken(h, EXPIRED))}`,
    ); // refreshed
    await handout(api, '/api/tokens/nowhere.sim.test'); // not_found
    await handout(api, `/api/tokens/${FRESH}`, { secret: 'not-the-secret' }); // unauthorized
    await handout(api, `/api/tokens/${FRESH}?stale=zz`); // bad_request

    const metrics = await api.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    const counted = (outcome: string) =>
      Number(
        new RegExp(`imbot_rollout_token_handouts_total\\{outcome="${outcome}"\\} (\\d+)`).exec(
          metrics.body,
        )?.[1],
      );
    expect(counted('ok')).toBe(1);
    expect(counted('refreshed')).toBe(2);
    expect(counted('not_found')).toBe(1);
    expect(counted('unauthorized')).toBe(1);
    expect(counted('bad_request')).toBe(1);
    expect(counted('rate_limited')).toBe(0);
    expect(counted('error')).toBe(0);

    const lines = capture
      .lines()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const handedOut = lines.filter((line) => line['msg'] === 'token handed out');
    expect(handedOut).toHaveLength(3);
    expect(handedOut[0]).toMatchObject({
      component: 'token-handout',
      domain: FRESH,
      outcome: 'ok',
      forced: false,
    });
    expect(handedOut[2]).toMatchObject({ domain: EXPIRED, outcome: 'refreshed', forced: true });
    expect(lines.some((line) => line['msg'] === 'token handout: wrong or missing secret')).toBe(true);
    expect(lines.some((line) => line['msg'] === 'token handout: no token for this portal')).toBe(true);

    const secrets = [
      SECRET,
      API_TOKEN,
      'not-the-secret',
      importedRefresh,
      importedAccess,
      await storedAccessToken(h, FRESH),
      await storedRefreshToken(h, FRESH),
      await storedAccessToken(h, EXPIRED),
      await storedRefreshToken(h, EXPIRED),
      staleTokenHash(importedAccess),
    ];
    for (const secret of secrets) expect(capture.lines()).not.toContain(secret);
  });
});

describe('one contract: imbot-rollout borrowing from another imbot-rollout', () => {
  it("the token-source client takes serve's handout as its source: a token, then exactly one forced refresh", async () => {
    const { h, api } = await setUp();
    await api.listen({ host: '127.0.0.1', port: 0 });
    const address = api.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    // What a second deployment's ROLLOUT_TOKEN_SOURCE_URL / ROLLOUT_TOKEN_SOURCE_SECRET would be.
    const borrower = createTokenSourceClient({
      url: `http://127.0.0.1:${port}/api/tokens`,
      secret: SECRET,
      timeoutMs: 5_000,
    });

    const first = await borrower.fetchToken(FRESH);
    expect(first.accessToken).toBe(await storedAccessToken(h, FRESH));
    expect(first.memberId).toBe(h.sim.portal(FRESH).memberId);
    expect(first.clientEndpoint).toBe((await h.runtime.portals.get(FRESH))?.restUrl);
    expect(h.sim.stats().refreshes).toBe(0);

    // The borrower's portal refused that token: the forced request refreshes once, and the new token works.
    const forced = await borrower.fetchToken(FRESH, { staleHash: sourceStaleHash(first.accessToken) });
    expect(forced.accessToken).not.toBe(first.accessToken);
    expect(forced.accessToken).toBe(h.sim.portal(FRESH).currentAccessToken);
    expect(h.sim.stats().refreshes).toBe(1);
    // Asked again for the same refused token (another of its workers): the newer token, no second refresh.
    const again = await borrower.fetchToken(FRESH, { staleHash: sourceStaleHash(first.accessToken) });
    expect(again.accessToken).toBe(forced.accessToken);
    expect(h.sim.stats().refreshes).toBe(1);

    // An unknown portal is the contract's 404: the borrower parks it (not_known), it does not retry.
    const unknown = await borrower.fetchToken('nobody.sim.test').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(unknown).toBeInstanceOf(TokenSourceError);
    expect((unknown as TokenSourceError).failure).toBe('not_known');
  });
});
