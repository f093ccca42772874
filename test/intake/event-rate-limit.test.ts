import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { type IntakeHarness, startIntakeHarness } from './support/intake-harness.js';

/** docs/install-events.md, "Rate limit": a fixed window per source address, shared through Redis. */
let h: IntakeHarness | undefined;
const apis: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apis.splice(0).map((api) => api.close()));
  await h?.closeAll();
  h = undefined;
});

const FORM = { 'content-type': 'application/x-www-form-urlencoded', host: '127.0.0.1' };
/** A clock stopped mid-window: the test never crosses a window's end. */
const NOW = Date.UTC(2026, 0, 1, 12, 0, 30);

async function api(harness: IntakeHarness, trustProxy?: boolean): Promise<FastifyInstance> {
  const app = await buildApi(harness.runtime, {
    host: '127.0.0.1',
    token: undefined,
    now: () => NOW,
    ...(trustProxy === undefined ? {} : { trustProxy }),
  });
  apis.push(app);
  return app;
}

function post(app: FastifyInstance, remoteAddress: string, forwardedFor?: string) {
  return app.inject({
    method: 'POST',
    url: '/bitrix24/events',
    headers: forwardedFor === undefined ? FORM : { ...FORM, 'x-forwarded-for': forwardedFor },
    payload: 'event=ONAPPINSTALL&auth%5Bdomain%5D=x.example.com',
    remoteAddress,
  });
}

describe('application events rate limit', () => {
  it('refuses 429 with Retry-After past the limit of one source, and counts each source apart', async () => {
    h = await startIntakeHarness({ portals: 1 }, { events: { ratePerMinute: 3 } });
    const app = await api(h);
    for (let i = 0; i < 3; i++) expect((await post(app, '203.0.113.7')).statusCode).toBe(400);
    const limited = await post(app, '203.0.113.7');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('30'); // the window ends at 12:01:00
    expect(limited.json()).toMatchObject({ error: 'rate_limited' });
    // Another source still gets through.
    expect((await post(app, '198.51.100.9')).statusCode).toBe(400);
  });

  it('holds across API instances: the count is in Redis', async () => {
    h = await startIntakeHarness({ portals: 1 }, { events: { ratePerMinute: 2 } });
    const first = await api(h);
    const second = await api(h);
    expect((await post(first, '203.0.113.8')).statusCode).toBe(400);
    expect((await post(second, '203.0.113.8')).statusCode).toBe(400);
    expect((await post(first, '203.0.113.8')).statusCode).toBe(429);
  });

  it('with ROLLOUT_TRUST_PROXY=1 counts the address the proxy saw, not a spoofed left-most X-Forwarded-For entry', async () => {
    h = await startIntakeHarness({ portals: 1 }, { events: { ratePerMinute: 3 } });
    const app = await api(h, true);
    // nginx's $proxy_add_x_forwarded_for keeps what the client sent on the left and appends the client's address.
    const viaProxy = (spoofed: string, client: string) => post(app, '10.0.0.2', `${spoofed}, ${client}`);
    for (let i = 0; i < 3; i++) expect((await viaProxy(`198.18.0.${i}`, '203.0.113.7')).statusCode).toBe(400);
    const limited = await viaProxy('198.18.0.99', '203.0.113.7');
    expect(limited.statusCode).toBe(429);
    // Another client behind the same proxy still gets through.
    expect((await viaProxy('203.0.113.7', '198.51.100.9')).statusCode).toBe(400);
  });
});
