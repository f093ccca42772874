import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { type Harness, jsApp, startHarness } from '../pipeline/support/pipeline-harness.js';
import { captureLogger } from './support/capture-logger.js';
import { collectSecrets, leakedSecrets } from './support/collect-secrets.js';

const TOKEN = 'api-token-0123456789abcdef';
const BEARER = { authorization: `Bearer ${TOKEN}` };
const STATUS_ROW_KEYS = [
  'appId',
  'attempts',
  'code',
  'hash',
  'lastError',
  'portal',
  'state',
  'updatedAt',
].sort();

let harness: Harness;
let app: FastifyInstance;
const log = captureLogger();

/**
 * One finished rollout of 2 apps on 6 portals: 3 healthy (one starts with an expired token, one uses a
 * webhook), one with a wrong botId (fails at once), one whose refresh token is revoked (parked), one whose
 * answers are always dropped after the work (failed after its attempts: CONNECTION_RESET).
 */
beforeAll(async () => {
  harness = await startHarness(
    {
      portals: [
        { domain: 'alpha.sim.test', accessTokenExpired: true },
        { domain: 'bravo.sim.test' },
        { domain: 'charlie.sim.test', auth: 'webhook' },
        { domain: 'badbot.sim.test' },
        { domain: 'revoked.sim.test', accessTokenExpired: true },
        { domain: 'dropped.sim.test', faults: { dropAfterWorkRate: 1 } },
      ],
    },
    { retry: { maxAttempts: 3, baseDelayMs: 30, maxDelayMs: 100, jitter: 0.2 } },
  );
  harness.sim.control.revokeRefreshToken('revoked.sim.test');
  harness.startWorker();
  const portals = harness
    .portals()
    .map((p) => (p.domain === 'badbot.sim.test' ? { ...p, botId: (p.botId ?? 0) + 1000 } : p));
  const summary = await harness.rollout([jsApp('echo'), jsApp('help')], portals);
  const counts = await harness.settle(summary.pairs);
  expect(counts).toMatchObject({ total: 12, registered: 6, failed: 4, needs_reauth: 2, pending: 0 });
  app = await buildApi(harness.runtime, { host: '127.0.0.1', token: TOKEN, logger: log.logger });
});

afterAll(async () => {
  await app?.close();
  await harness?.close();
});

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await app.inject({ method: 'GET', url, headers: BEARER });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

interface PortalJson {
  portal: string;
  states: Record<string, number>;
  pairs: { portal: string; code: string; state: string; lastError: { code: string } | null }[];
}

describe('HTTP API on a finished rollout (real Redis + simulator)', () => {
  it('answers /healthz without a token after checking Redis', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', redis: 'ok' });
  });

  it('GET /api/progress counts pairs by result state and jobs by queue state', async () => {
    const { status, body } = await getJson('/api/progress');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      settled: 12,
      counts: { total: 12, pending: 0, registered: 6, failed: 4, needs_reauth: 2, unregistered: 0 },
      queue: { waiting: 0, active: 0, delayed: 0, prioritized: 0 },
    });
    expect(Date.parse(String(body['at']))).toBeGreaterThan(0);
  });

  it('GET /api/portals groups the status rows by portal, filters by state/code/search and pages', async () => {
    const all = await getJson('/api/portals');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ total: 6, pairs: 12, offset: 0, limit: 50 });
    const portals = all.body['portals'] as PortalJson[];
    expect(portals.map((p) => p.portal)).toEqual([
      'alpha.sim.test',
      'badbot.sim.test',
      'bravo.sim.test',
      'charlie.sim.test',
      'dropped.sim.test',
      'revoked.sim.test',
    ]);
    const badbot = portals[1];
    expect(badbot?.states).toMatchObject({ failed: 2, registered: 0 });
    expect(badbot?.pairs.map((p) => [p.code, p.state, p.lastError?.code])).toEqual([
      ['echo', 'failed', 'BOT_ID_ERROR'],
      ['help', 'failed', 'BOT_ID_ERROR'],
    ]);
    for (const pair of portals.flatMap((p) => p.pairs))
      expect(Object.keys(pair).sort()).toEqual(STATUS_ROW_KEYS);
    expect(portals.find((p) => p.portal === 'dropped.sim.test')?.states).toMatchObject({ failed: 2 });

    const failed = await getJson('/api/portals?state=failed');
    expect((failed.body['portals'] as PortalJson[]).map((p) => p.portal)).toEqual([
      'badbot.sim.test',
      'dropped.sim.test',
    ]);
    const twoStates = await getJson('/api/portals?state=needs_reauth&state=registered&code=echo');
    expect(twoStates.body).toMatchObject({ total: 4, pairs: 4 });
    const searched = await getJson('/api/portals?search=BRAV');
    expect((searched.body['portals'] as PortalJson[]).map((p) => p.portal)).toEqual(['bravo.sim.test']);
    const page = await getJson('/api/portals?offset=2&limit=2');
    expect(page.body).toMatchObject({ total: 6, offset: 2, limit: 2 });
    expect((page.body['portals'] as PortalJson[]).map((p) => p.portal)).toEqual([
      'bravo.sim.test',
      'charlie.sim.test',
    ]);
  });

  it('GET /api/portals/:domain and /api/pairs/:domain/:code give one portal and one pair with its history', async () => {
    const portal = await getJson('/api/portals/BADBOT.sim.test');
    expect(portal.status).toBe(200);
    expect(portal.body).toMatchObject({ portal: 'badbot.sim.test', states: { failed: 2 } });

    const pair = await getJson('/api/pairs/badbot.sim.test/echo');
    expect(pair.status).toBe(200);
    expect(pair.body['pair']).toMatchObject({
      portal: 'badbot.sim.test',
      code: 'echo',
      state: 'failed',
      attempts: 1,
    });
    // The same history entry as /api/attention and `failed --json` print: times as ISO strings.
    expect(pair.body['history']).toEqual([
      expect.objectContaining({
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        op: 'register',
        outcome: 'failed',
        code: 'BOT_ID_ERROR',
      }),
    ]);

    expect((await getJson('/api/portals/unknown.sim.test')).status).toBe(404);
    const missing = await getJson('/api/pairs/alpha.sim.test/nope');
    expect(missing.status).toBe(404);
    expect(missing.body['message']).toContain('alpha.sim.test');
  });

  it('GET /api/attention lists failed and needs_reauth pairs with their attempt history', async () => {
    const { status, body } = await getJson('/api/attention');
    expect(status).toBe(200);
    expect(body).toMatchObject({ counts: { failed: 4, needs_reauth: 2 }, total: 6, limit: 100 });
    const pairs = body['pairs'] as {
      portal: string;
      code: string;
      reasons: string[];
      history: { outcome: string; at: string }[];
    }[];
    // Failed first, then needs_reauth: the reasons are the pairs' states.
    expect(pairs.map((p) => p.reasons)).toEqual([
      ...Array.from({ length: 4 }, () => ['failed']),
      ['needs_reauth'],
      ['needs_reauth'],
    ]);
    const dropped = pairs.filter((p) => p.portal === 'dropped.sim.test');
    expect(dropped.map((p) => p.reasons)).toEqual([['failed'], ['failed']]);
    for (const p of dropped) {
      expect(p.history.map((h) => h.outcome)).toContain('failed');
      expect(p.history.length).toBeLessThanOrEqual(5);
      // The times as `failed --json` prints them: ISO strings.
      for (const h of p.history) expect(h.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    const reauth = await getJson('/api/attention?only=needs_reauth&history=0');
    const portalsAndHistory = (answer: { body: Record<string, unknown> }) =>
      (answer.body['pairs'] as { portal: string; history: unknown[] }[]).map((p) => [p.portal, p.history]);
    expect(portalsAndHistory(reauth)).toEqual([
      ['revoked.sim.test', []],
      ['revoked.sim.test', []],
    ]);
    // `only=parked`, the word taken before, still answers: a deprecated alias of needs_reauth.
    expect(portalsAndHistory(await getJson('/api/attention?only=parked&history=0'))).toEqual(
      portalsAndHistory(reauth),
    );
    const limited = await getJson('/api/attention?limit=1');
    expect(limited.body).toMatchObject({ total: 6, limit: 1 });
    expect(limited.body['pairs']).toHaveLength(1);
  });

  it.each([
    ['GET', '/api/portals?limit=0', 'query.limit', 'from 1 to 500'],
    ['GET', '/api/portals?limit=abc', 'query.limit', 'whole number'],
    ['GET', '/api/portals?offset=-1', 'query.offset', 'from 0'],
    ['GET', '/api/portals?state=done', 'query.state', 'unknown state "done"'],
    ['GET', '/api/portals?code=bad%20code', 'query.code', 'app CODE'],
    ['GET', '/api/portals?color=red', 'query.color', 'not a known field'],
    ['GET', '/api/attention?only=everything', 'query.only', 'must be one of failed, needs_reauth'],
    ['GET', '/api/portals/not_a_host!', 'params.domain', 'portal host name'],
    ['GET', '/api/pairs/alpha.sim.test/bad$code', 'params.code', 'app CODE'],
    ['POST', '/api/pairs/https%3A%2F%2Fx/echo/retry', 'params.domain', 'portal host name'],
    ['GET', '/?state=bogus', 'query.state', 'must be one of'],
  ])('answers 400 naming the field: %s %s', async (method, url, field, message) => {
    const res = await app.inject({ method: method as 'GET' | 'POST', url, headers: BEARER });
    expect(res.statusCode).toBe(400);
    const body = res.json() as {
      error: string;
      message: string;
      issues: { field: string; message: string }[];
    };
    expect(body.error).toBe('bad_request');
    expect(body.issues).toEqual(
      expect.arrayContaining([{ field, message: expect.stringContaining(message) as unknown as string }]),
    );
    expect(body.message).toContain(field);
  });

  it('answers 400 for a bad POST body, naming the field', async () => {
    const wrongType = await app.inject({
      method: 'POST',
      url: '/api/retry-failed',
      headers: BEARER,
      payload: { portal: 42, extra: true },
    });
    expect(wrongType.statusCode).toBe(400);
    const fields = (wrongType.json() as { issues: { field: string }[] }).issues.map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['body.portal', 'body.extra']));
    const notJson = await app.inject({
      method: 'POST',
      url: '/api/retry-failed',
      headers: { ...BEARER, 'content-type': 'application/json' },
      payload: '{oops',
    });
    expect(notJson.statusCode).toBe(400);
    expect((notJson.json() as { error: string }).error).toBe('bad_request');
  });

  it('serves bull-board under /queues for the rollout queue', async () => {
    const page = await app.inject({ method: 'GET', url: '/queues', headers: BEARER });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<base href="/queues/"');
    const queues = await getJson('/queues/api/queues');
    expect(queues.status).toBe(200);
    expect(JSON.stringify(queues.body)).toContain('"name":"rollout"');
  });

  it('serves the dashboard with progress, what needs attention and the portal table', async () => {
    const res = await app.inject({ method: 'GET', url: '/', headers: { ...BEARER, accept: 'text/html' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['content-security-policy']).toMatch(/script-src 'nonce-[^']+'/);
    expect(res.body).toContain('id="n-registered">6<');
    expect(res.body).toContain('id="n-failed">4<');
    expect(res.body).toContain('BOT_ID_ERROR');
    expect(res.body).toContain('data-portal="badbot.sim.test" data-code="echo">Retry</button>');
    expect(res.body).toContain('1–6 of 6 portals · 12 pairs');
  });
});

describe('/metrics after the rollout', () => {
  function sample(text: string, series: string): number {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    if (line === undefined) throw new Error(`no sample ${series} in\n${text}`);
    return Number(line.slice(series.length + 1));
  }

  it('exposes result and queue states, registrations, retries, 503s, refreshes and latency', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: BEARER });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    expect(sample(text, 'imbot_rollout_pairs{state="registered"}')).toBe(6);
    expect(sample(text, 'imbot_rollout_pairs{state="failed"}')).toBe(4);
    expect(sample(text, 'imbot_rollout_pairs{state="needs_reauth"}')).toBe(2);
    expect(sample(text, 'imbot_rollout_queue_jobs{state="waiting"}')).toBe(0);
    expect(sample(text, 'imbot_rollout_queue_depth')).toBe(0);
    expect(sample(text, 'imbot_rollout_queue_delayed')).toBe(0);
    // Three healthy portals x two apps: six register calls answered ok (the dropped ones got no answer).
    expect(sample(text, 'imbot_rollout_registrations_total')).toBe(6);
    expect(sample(text, 'imbot_rollout_rest_calls_total{method="imbot.app.register",outcome="ok"}')).toBe(6);
    expect(
      sample(text, 'imbot_rollout_rest_calls_total{method="imbot.app.register",outcome="BOT_ID_ERROR"}'),
    ).toBe(2);
    expect(sample(text, 'imbot_rollout_query_limit_exceeded_total')).toBe(0);
    expect(sample(text, 'imbot_rollout_token_refreshes_total')).toBe(1);
    const retries = text
      .split('\n')
      .filter((l) => l.startsWith('imbot_rollout_retries_total{'))
      .reduce((sum, l) => sum + Number(l.split(' ')[1]), 0);
    expect(retries).toBe(4); // 2 dropped pairs x (3 attempts - 1)
    const buckets = text
      .split('\n')
      .filter((l) => l.startsWith('imbot_rollout_rest_call_duration_seconds_bucket'))
      .map((l) => Number(l.split(' ')[1]));
    expect(buckets.length).toBeGreaterThan(5);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b)); // cumulative
    const count = sample(text, 'imbot_rollout_rest_call_duration_seconds_count');
    expect(sample(text, 'imbot_rollout_rest_call_duration_seconds_bucket{le="+Inf"}')).toBe(count);
    expect(count).toBeGreaterThanOrEqual(14);
    const sum = sample(text, 'imbot_rollout_rest_call_duration_seconds_sum');
    expect(sum).toBeGreaterThan(0);
    expect(sum / count).toBeLessThan(2); // seconds, not milliseconds
  });
});

describe('access control with ROLLOUT_API_TOKEN set', () => {
  const protectedRoutes: ['GET' | 'POST', string][] = [
    ['GET', '/api/progress'],
    ['GET', '/api/portals'],
    ['GET', '/api/portals/alpha.sim.test'],
    ['GET', '/api/pairs/alpha.sim.test/echo'],
    ['GET', '/api/attention'],
    ['POST', '/api/pairs/badbot.sim.test/echo/retry'],
    ['POST', '/api/retry-failed'],
    ['GET', '/metrics'],
    ['GET', '/queues/api/queues'],
    ['GET', '/queues'],
    ['GET', '/'],
    ['GET', '/no-such-route'],
  ];

  it.each(protectedRoutes)('refuses %s %s without the token (401)', async (method, url) => {
    // Each route's wrong token from its own address: wrong tokens are throttled per address (auth-throttle.test.ts).
    const remoteAddress = `198.18.0.${protectedRoutes.findIndex(([m, u]) => m === method && u === url) + 1}`;
    for (const headers of [
      {},
      { authorization: 'Bearer wrong-token-0000000000' },
      { authorization: TOKEN },
    ]) {
      const res = await app.inject({ method, url, headers, remoteAddress });
      expect(res.statusCode, JSON.stringify(headers)).toBe(401);
      expect(res.headers['www-authenticate']).toContain('Bearer');
    }
  });

  it('sends a browser asking for a page to the login form', async () => {
    const res = await app.inject({ method: 'GET', url: '/?state=failed', headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/login?next=%2F%3Fstate%3Dfailed');
    const form = await app.inject({ method: 'GET', url: '/login?next=%2F%3Fstate%3Dfailed' });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('name="next" value="/?state=failed"');
  });

  it('accepts the Bearer token', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/progress', headers: BEARER });
    expect(res.statusCode).toBe(200);
  });

  it('logs in with the form: an HttpOnly SameSite=Strict cookie that works until logout', async () => {
    const wrong = await app.inject({
      method: 'POST',
      url: '/login',
      payload: `token=nope&next=${encodeURIComponent('/')}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('Wrong token.');
    expect(wrong.headers['set-cookie']).toBeUndefined();

    const login = await app.inject({
      method: 'POST',
      url: '/login',
      payload: `token=${encodeURIComponent(TOKEN)}&next=${encodeURIComponent('/?state=failed')}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe('/?state=failed');
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/^imbot_rollout_session=[^;]+;/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(';')[0] as string;

    for (const url of ['/api/progress', '/metrics', '/queues/api/queues']) {
      expect((await app.inject({ method: 'GET', url, headers: { cookie } })).statusCode, url).toBe(200);
    }
    const page = await app.inject({ method: 'GET', url: '/', headers: { cookie, accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Needs attention');
    expect(page.body).toContain('action="/logout"');

    // The cookie is `<session id>.<HMAC>`: change one character of the id.
    const tampered = cookie.replace(/=(.)/, (_m, c: string) => `=${c === 'A' ? 'B' : 'A'}`);
    expect(
      (await app.inject({ method: 'GET', url: '/api/progress', headers: { cookie: tampered } })).statusCode,
    ).toBe(401);
    const logout = await app.inject({ method: 'POST', url: '/logout', headers: { cookie } });
    expect(logout.statusCode).toBe(303);
    expect(String(logout.headers['set-cookie'])).toMatch(/imbot_rollout_session=;.*Expires=Thu, 01 Jan 1970/);
    // Revoked on the server: the same cookie, replayed, is refused.
    const replayed = await app.inject({ method: 'GET', url: '/api/progress', headers: { cookie } });
    expect(replayed.statusCode).toBe(401);
  });

  it('refuses a cross-origin POST even with a valid token or cookie', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/retry-failed',
      headers: { ...BEARER, origin: 'https://evil.example', 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(res.statusCode).toBe(403);
    const fetchSite = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${TOKEN}`,
    });
    expect(fetchSite.statusCode).toBe(403);
  });
});

describe('secrets', () => {
  it('never returns a token, refresh token, webhook code or secret in any response or log line', async () => {
    const secrets = collectSecrets(harness, [TOKEN]);
    expect(secrets.length).toBeGreaterThanOrEqual(10);
    const urls = [
      '/healthz',
      '/api/progress',
      '/api/portals',
      '/api/portals?limit=500&search=sim',
      ...harness.portals().map((p) => `/api/portals/${p.domain}`),
      ...harness.portals().flatMap((p) => [`/api/pairs/${p.domain}/echo`, `/api/pairs/${p.domain}/help`]),
      '/api/attention?history=50',
      '/metrics',
      '/',
      '/queues',
      '/queues/api/queues?activeQueue=rollout&status=latest&page=1&jobsPerPage=50',
      '/login',
      '/nothing-here',
    ];
    const seen: string[] = [];
    for (const url of urls) {
      for (const headers of [BEARER, {}]) {
        const res = await app.inject({ method: 'GET', url, headers: { ...headers, accept: 'text/html' } });
        seen.push(`${url} ${res.statusCode}\n${JSON.stringify(res.headers)}\n${res.body}`);
      }
    }
    const login = await app.inject({
      method: 'POST',
      url: '/login',
      payload: `token=${encodeURIComponent(TOKEN)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    seen.push(JSON.stringify(login.headers), login.body);
    const all = seen.join('\n');
    expect(all).toContain('badbot.sim.test'); // the responses did carry the results
    expect(leakedSecrets(all, secrets)).toEqual([]);
    expect(log.lines()).toContain('"component":"api"');
    expect(leakedSecrets(log.lines(), secrets)).toEqual([]);
  });
});
