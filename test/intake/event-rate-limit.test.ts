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

async function api(harness: IntakeHarness): Promise<FastifyInstance> {
  const app = await buildApi(harness.runtime, { host: '127.0.0.1', token: undefined, now: () => NOW });
  apis.push(app);
  return app;
}

function post(app: FastifyInstance, remoteAddress: string) {
  return app.inject({
    method: 'POST',
    url: '/bitrix24/events',
    headers: FORM,
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
});
