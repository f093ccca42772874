import { afterEach, describe, expect, it } from 'vitest';
import { sendAppEvent } from '../../src/simulator/send-app-event.js';
import { captureLogger } from '../api/support/capture-logger.js';
import { jsApp } from '../pipeline/support/pipeline-harness.js';
import { useOwnedResources } from '../support/own-resources.js';
import { type SourceReply, startTokenSource, type TokenSourceServer } from '../support/start-token-source.js';
import { waitFor } from '../support/wait-for.js';
import { type IntakeHarness, startIntakeHarness } from './support/intake-harness.js';

/**
 * Issue 18 item 4, docs/install-events.md "With a token source": the application's backend owns the tokens, so
 * an install is verified by asking the source for the portal (it must know the domain and, when it says one,
 * the same member_id), and the portal is stored with `source` auth: the event's tokens are never refreshed or
 * stored here.
 */
const own = useOwnedResources();
let h: IntakeHarness | undefined;
afterEach(async () => {
  await h?.closeAll();
  h = undefined;
});

const SECRET = 'source-secret-0123456789';
const APPS = [jsApp('echo'), jsApp('help', '/help me')];
const SEEDS = [{ domain: 'known.sim.test' }, { domain: 'fresh.sim.test', botId: 321 }];

type Answer = (domain: string) => SourceReply | undefined;

/** A token source backed by the simulator: the portal's current pair, as the backend holding it would answer. */
async function withSource(
  answer: Answer = () => undefined,
  logger = captureLogger().logger,
): Promise<{ harness: IntakeHarness; source: TokenSourceServer }> {
  let harness: IntakeHarness | undefined;
  const source = await startTokenSource(own, (request) => {
    const domain = request.domain ?? '';
    const given = answer(domain);
    if (given !== undefined) return given;
    const portal = harness?.sim.portal(domain);
    if (portal === undefined) return { status: 404, body: { error: 'not_found' } };
    return {
      status: 200,
      body: {
        access_token: portal.currentAccessToken,
        expires_in: 3600,
        member_id: portal.memberId,
        client_endpoint: `${harness?.sim.url}/portal/${domain}/rest/`,
      },
    };
  });
  harness = await startIntakeHarness(
    { portals: SEEDS },
    { tokens: { source: { url: source.url, secret: SECRET } } },
    { logger },
  );
  return { harness, source };
}

describe('install events with a token source', () => {
  it('stores the portal with source auth after the source vouches for it, queues its apps; no OAuth refresh', async () => {
    const capture = captureLogger();
    const { harness, source } = await withSource(undefined, capture.logger);
    h = harness;
    const rollout = await h.rollout(
      APPS,
      h
        .portals()
        .filter((p) => p.domain === 'known.sim.test')
        .map((p) => ({ ...p, auth: { type: 'source' as const } })),
    );
    h.startWorker(4);
    await h.settle(rollout.pairs);
    const event = h.sim.appEvent('fresh.sim.test', 'install');
    const carried = event['auth'] as { access_token: string; refresh_token: string };
    const delivered = await sendAppEvent(h.eventsUrl, event);
    expect(delivered).toMatchObject({
      status: 200,
      body: { ok: true, portal: 'created', apps: ['echo', 'help'], queued: 2 },
    });
    expect(source.requests.some((r) => r.domain === 'fresh.sim.test')).toBe(true);
    const stored = await h.runtime.portals.get('fresh.sim.test');
    expect(stored).toMatchObject({
      auth: { type: 'source' },
      memberId: h.sim.portal('fresh.sim.test').memberId,
    });
    const raw = JSON.stringify(await h.rawPortal('fresh.sim.test'));
    expect(raw).not.toContain(carried.refresh_token);
    expect(raw).not.toContain(carried.access_token);
    await waitFor(
      async () => {
        for (const app of APPS) {
          expect((await h?.runtime.results.get('fresh.sim.test', app.CODE))?.state).toBe('registered');
        }
      },
      { timeoutMs: 20_000, message: 'the new portal apps registered with the source token' },
    );
    // The event's refresh token was never spent here: the backend that owns it still can.
    expect(h.sim.stats().refreshes).toBe(0);
    // Nothing logged carries the event's tokens, the source's token or its secret.
    const logged = capture.lines();
    expect(logged).toContain('install event: portal stored');
    for (const secret of [carried.access_token, carried.refresh_token, SECRET])
      expect(logged).not.toContain(secret);
  });

  it('refuses 403 an install for a domain the source does not know; nothing stored, nothing refreshed', async () => {
    const { harness } = await withSource((domain) =>
      domain === 'fresh.sim.test' ? { status: 404, body: { error: 'not_found' } } : undefined,
    );
    h = harness;
    const answer = await h.sim.sendAppEvent(h.eventsUrl, 'fresh.sim.test', 'install');
    expect(answer).toMatchObject({ status: 403, body: { error: 'token_not_verified' } });
    expect((answer.body as { message: string }).message).toContain('does not know');
    expect(await h.rawPortal('fresh.sim.test')).toEqual({});
    expect(h.sim.stats().refreshes).toBe(0);
  });

  it('refuses 403 an install when the source answers another member_id; nothing stored', async () => {
    const { harness } = await withSource((domain) =>
      domain === 'fresh.sim.test'
        ? { status: 200, body: { access_token: 'tok', expires_in: 3600, member_id: 'someone-else' } }
        : undefined,
    );
    h = harness;
    const answer = await h.sim.sendAppEvent(h.eventsUrl, 'fresh.sim.test', 'install');
    expect(answer).toMatchObject({ status: 403, body: { error: 'token_not_verified' } });
    expect((answer.body as { message: string }).message).toContain('member_id');
    expect(await h.rawPortal('fresh.sim.test')).toEqual({});
  });

  it('answers 503 with Retry-After when the source fails (500); nothing stored', async () => {
    const { harness } = await withSource(() => ({ status: 500, body: { error: 'down' } }));
    h = harness;
    const answer = await h.api.inject({
      method: 'POST',
      url: '/bitrix24/events',
      payload: h.sim.appEvent('fresh.sim.test', 'install'),
    });
    expect(answer.statusCode).toBe(503);
    expect(answer.json()).toMatchObject({ error: 'portal_unavailable' });
    expect(answer.headers['retry-after']).toBe('30');
    expect(await h.rawPortal('fresh.sim.test')).toEqual({});
  });
});
