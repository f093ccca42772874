import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidGrantError } from '../../src/bitrix/bitrix-error.js';
import { refreshAccessToken } from '../../src/bitrix/refresh-access-token.js';
import { sendAppEvent } from '../../src/simulator/send-app-event.js';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/start-simulator.js';
import { captureLogger } from '../api/support/capture-logger.js';
import { sendJson, startTestServer } from '../bitrix/start-test-server.js';
import { type IntakeHarness, startIntakeHarness } from './support/intake-harness.js';

/**
 * docs/install-events.md, "Authentication": a first install is verified by refreshing its refresh token at the
 * OAuth server with our client id; the answer must be for the event's portal.
 */
let h: IntakeHarness | undefined;
let sim: SimulatorHandle | undefined;
afterEach(async () => {
  await h?.closeAll();
  h = undefined;
  await sim?.stop();
  sim = undefined;
});

/** A local port nothing listens on (the OAuth server unreachable). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const injectEvent = (harness: IntakeHarness, event: Record<string, unknown>) =>
  harness.api.inject({ method: 'POST', url: '/bitrix24/events', payload: event });

describe('install verification with the OAuth server', () => {
  it('refuses 403 an install carrying our genuine token pair of another portal; nothing is stored', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'a.sim.test' }, { domain: 'b.sim.test' }] });
    const ofA = h.sim.appEvent('a.sim.test', 'install')['auth'] as Record<string, string>;
    const forB = h.sim.appEvent('b.sim.test', 'install');
    const forged = {
      ...forB,
      auth: {
        ...(forB['auth'] as object),
        access_token: ofA['access_token'],
        refresh_token: ofA['refresh_token'],
      },
    };
    expect(await sendAppEvent(h.eventsUrl, forged)).toMatchObject({
      status: 403,
      body: { error: 'token_not_verified' },
    });
    expect(await h.rawPortal('b.sim.test')).toEqual({});
    expect(await h.rawPortal('a.sim.test')).toEqual({});
    // The refresh itself succeeded (the pair is ours), but its member_id is a.sim.test's.
    expect(h.sim.stats().refreshes).toBe(1);
  });

  it('refuses 503 not_configured, naming the settings, when B24_CLIENT_ID / B24_CLIENT_SECRET are not set', async () => {
    const capture = captureLogger();
    h = await startIntakeHarness(
      { portals: [{ domain: 'a.sim.test' }] },
      { b24: { oauthUrl: 'http://127.0.0.1:9/oauth/token/' } },
      { logger: capture.logger },
    );
    const answer = await sendAppEvent(h.eventsUrl, h.sim.appEvent('a.sim.test', 'install'));
    expect(answer).toMatchObject({ status: 503, body: { error: 'not_configured' } });
    const message = (answer.body as { message: string }).message;
    expect(message).toContain('B24_CLIENT_ID');
    expect(message).toContain('B24_CLIENT_SECRET');
    expect(await h.rawPortal('a.sim.test')).toEqual({});
    expect(h.sim.stats().refreshes).toBe(0);
    expect(capture.lines()).toContain('"level":50');
    expect(capture.lines()).toContain('B24_CLIENT_ID');
  });

  it('answers 503 with Retry-After when the OAuth server cannot be reached; nothing is stored', async () => {
    const port = await closedPort();
    h = await startIntakeHarness(
      { portals: [{ domain: 'a.sim.test' }] },
      {
        b24: {
          clientId: 'sim-client-id',
          clientSecret: 'sim-client-secret',
          oauthUrl: `http://127.0.0.1:${port}/oauth/token/`,
        },
      },
    );
    const answer = await injectEvent(h, h.sim.appEvent('a.sim.test', 'install'));
    expect(answer.statusCode).toBe(503);
    expect(answer.json()).toMatchObject({ error: 'portal_unavailable' });
    expect(answer.headers['retry-after']).toBe('30');
    expect(await h.rawPortal('a.sim.test')).toEqual({});
  });
});

describe('install verification fails closed (issue 19 item 5)', () => {
  const ANSWERS: { what: string; fields: Record<string, unknown>; reason: string }[] = [
    { what: 'no member_id', fields: { client_endpoint: 'ENDPOINT' }, reason: 'member_id' },
    { what: 'no client_endpoint', fields: { member_id: 'MEMBER' }, reason: 'client_endpoint' },
    {
      what: 'a client_endpoint that is not a URL',
      fields: { member_id: 'MEMBER', client_endpoint: 'not a url' },
      reason: 'client_endpoint',
    },
    {
      what: 'an empty member_id',
      fields: { member_id: '', client_endpoint: 'ENDPOINT' },
      reason: 'member_id',
    },
  ];
  for (const { what, fields, reason } of ANSWERS) {
    it(`refuses 403 an install whose OAuth answer has ${what}, and logs why; nothing is stored`, async () => {
      const capture = captureLogger();
      let endpoint = '';
      let memberId = '';
      // Our OAuth server: it refreshes any token, but its answer lacks (or garbles) a field the check needs.
      const oauth = await startTestServer((_request, res) => {
        const answer: Record<string, unknown> = {
          access_token: 'fresh-access-token-0123456789',
          refresh_token: 'fresh-refresh-token-0123456789',
          expires_in: 3600,
        };
        for (const [key, value] of Object.entries(fields)) {
          answer[key] = value === 'ENDPOINT' ? endpoint : value === 'MEMBER' ? memberId : value;
        }
        sendJson(res, 200, answer);
      });
      h = await startIntakeHarness(
        { portals: [{ domain: 'a.sim.test' }] },
        {
          b24: {
            clientId: 'sim-client-id',
            clientSecret: 'sim-client-secret',
            oauthUrl: `${oauth.url}/oauth/token/`,
          },
        },
        { logger: capture.logger },
      );
      const event = h.sim.appEvent('a.sim.test', 'install');
      const auth = event['auth'] as { client_endpoint: string; member_id: string };
      endpoint = auth.client_endpoint;
      memberId = auth.member_id;
      expect(await sendAppEvent(h.eventsUrl, event)).toMatchObject({
        status: 403,
        body: { error: 'token_not_verified' },
      });
      expect(oauth.requests).toHaveLength(1);
      expect(await h.rawPortal('a.sim.test')).toEqual({});
      const refusal = capture
        .lines()
        .split('\n')
        .find((line) => line.includes('install event refused'));
      expect(refusal).toContain(reason);
      expect(refusal).not.toContain('fresh-access-token');
    });
  }
});

describe("the simulator's OAuth server", () => {
  const refresh = (handle: SimulatorHandle, refreshToken: string) =>
    refreshAccessToken(
      {
        oauthUrl: handle.oauthUrl,
        clientId: 'sim-client-id',
        clientSecret: 'sim-client-secret',
        refreshToken,
      },
      { timeoutMs: 2_000, allowHttp: true, allowHosts: ['127.0.0.1'] },
    );

  it('refuses a refresh token issued to another client id, and answers member_id and client_endpoint', async () => {
    sim = await startSimulator({ portals: [{ domain: 'a.sim.test' }] });
    const other = sim.issueOtherClientTokens('a.sim.test', 'app.other-vendor.client');
    await expect(refresh(sim, other.refreshToken)).rejects.toBeInstanceOf(InvalidGrantError);
    const own = sim.portal('a.sim.test');
    const refreshed = await refresh(sim, own.currentRefreshToken ?? '');
    expect(refreshed).toMatchObject({
      memberId: own.memberId,
      clientEndpoint: `${sim.url}/portal/a.sim.test/rest/`,
    });
    // The other application's pair is not the portal's: the portal's own pair is the refreshed one.
    expect(sim.portal('a.sim.test').currentRefreshToken).toBe(refreshed.refreshToken);
    expect(sim.stats()).toMatchObject({ refreshes: 1, invalidGrants: 1 });
  });
});
