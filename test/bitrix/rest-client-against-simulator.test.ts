import { afterEach, describe, expect, it } from 'vitest';
import {
  AmbiguousError,
  AuthError,
  type BitrixError,
  InvalidGrantError,
  PermanentError,
  RateLimitedError,
  TransientError,
} from '../../src/bitrix/bitrix-error.js';
import { createRestClient } from '../../src/bitrix/call-method.js';
import type { PortalTarget } from '../../src/bitrix/portal-target.js';
import { refreshAccessToken } from '../../src/bitrix/refresh-access-token.js';
import type { SimulatorHandle, SimulatorOptions } from '../../src/simulator/simulator-types.js';
import { startSimulator } from '../../src/simulator/start-simulator.js';
import { expectRedactedFailure } from './expect-redacted-failure.js';

const A = 'a.sim.test';
const BOT_ID = 62;
const CLIENT = { clientId: 'sim-client-id', clientSecret: 'sim-client-secret' };

const sims: SimulatorHandle[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((sim) => sim.stop()));
});

async function start(options: SimulatorOptions): Promise<SimulatorHandle> {
  const sim = await startSimulator(options);
  sims.push(sim);
  return sim;
}

const rest = (timeoutMs = 2000) =>
  createRestClient({ timeoutMs, allowHttp: true, allowHosts: ['127.0.0.1'] });

function entry(sim: SimulatorHandle, domain = A) {
  const found = sim.portalsFile().find((candidate) => candidate.domain === domain);
  if (found === undefined) throw new Error(`no portals-file entry for ${domain}`);
  return found;
}

/** The portal as the rollout sees it, from the simulator's portals file. */
function target(sim: SimulatorHandle, domain = A): PortalTarget {
  const { auth, restUrl } = entry(sim, domain);
  if (auth.type === 'oauth') return { kind: 'oauth', restUrl, accessToken: auth.accessToken };
  return auth.clientId === undefined
    ? { kind: 'webhook', webhookUrl: auth.url }
    : { kind: 'webhook', webhookUrl: auth.url, clientId: auth.clientId };
}

/** Every credential of every portal: none may show up in an error. */
function secretsOf(sim: SimulatorHandle): string[] {
  return sim
    .portalsFile()
    .flatMap(({ auth }) =>
      auth.type === 'oauth'
        ? [auth.accessToken, auth.refreshToken, CLIENT.clientSecret]
        : [/\/rest\/\d+\/([^/]+)/.exec(auth.url)?.[1] ?? 'missing-webhook-code'],
    );
}

function failure(sim: SimulatorHandle, promise: Promise<unknown>): Promise<BitrixError> {
  return expectRedactedFailure(promise, secretsOf(sim));
}

const JS_APP = {
  BOT_ID,
  CODE: 'echo',
  JS_METHOD: 'SEND',
  JS_PARAM: '/help',
  CONTEXT: 'BOT',
  LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Echobot BUTTON', DESCRIPTION: 'Send help command' }],
};

describe('REST client against the portal simulator', () => {
  it('registers a chat app over OAuth and reads APP_ID and the time block', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID }] });
    const answer = await rest().call<number>(target(sim), 'imbot.app.register', JS_APP);
    expect(answer.httpStatus).toBe(200);
    expect(answer.result).toBe(1);
    expect(answer.time?.operating).toEqual(expect.any(Number));
    expect(answer.time?.operatingResetAt).toBeGreaterThan(Date.now());
    expect(sim.portal(A).apps).toMatchObject([{ appId: 1, botId: BOT_ID, code: 'echo' }]);
  });

  it("registers over a webhook with the portal entry's clientId, for the application custom<CLIENT_ID>", async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID, auth: 'webhook' }] });
    const { auth } = entry(sim);
    if (auth.type !== 'webhook' || auth.clientId === undefined)
      throw new Error('expected a webhook with clientId');
    expect(auth.url).toMatch(/\/rest\/\d+\/[^/]+\/$/);
    const answer = await rest().call(
      { kind: 'webhook', webhookUrl: auth.url, clientId: auth.clientId },
      'imbot.app.register',
      JS_APP,
    );
    expect(answer.result).toBe(1);
    expect(sim.portal(A).apps[0]?.ownerClientId).toBe(`custom${auth.clientId}`);
  });

  it("keeps the request's HASH out of a WRONG_REQUEST whose description dumps every field", async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID }] });
    const hash = 'c0ffee11c0ffee22c0ffee33c0ffee44';
    const tooLong = `https://apps.example.com/${'x'.repeat(300)}`; // over the 255-character IFRAME column
    const error = await failure(
      sim,
      rest().call(target(sim), 'imbot.app.register', {
        BOT_ID: BOT_ID,
        CODE: 'panel',
        IFRAME: tooLong,
        HASH: hash,
        LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Panel' }],
      }),
    );
    expect(error.code).toBe('WRONG_REQUEST');
    expect(error.description).toContain('***');
    for (const text of [error.message, error.description, String(error), JSON.stringify(error)]) {
      expect(text).not.toContain(hash);
    }
  });

  it('gets ACCESS_DENIED "Client ID not specified" (permanent) for a webhook chat-app call without CLIENT_ID', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID, auth: 'webhook' }] });
    const error = await rest()
      .call({ kind: 'webhook', webhookUrl: entryUrl(sim) }, 'imbot.app.register', JS_APP)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).code).toBe('ACCESS_DENIED');
    expect((error as PermanentError).httpStatus).toBe(403);
    expect(sim.portal(A).apps).toEqual([]);
  });

  it('turns an expired access token into AuthError expired_token', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID, accessTokenExpired: true }] });
    const error = await failure(sim, rest().call(target(sim), 'imbot.app.register', JS_APP));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).reason).toBe('expired_token');
    expect(error.httpStatus).toBe(401);
    expect(sim.portal(A).apps).toHaveLength(0);
  });

  it('turns a full leaky bucket into RateLimitedError QUERY_LIMIT_EXCEEDED', async () => {
    const sim = await start({
      portals: [{ domain: A, botId: BOT_ID, bucket: { burst: 1, drainPerSecond: 0.01 } }],
    });
    const client = rest();
    await client.call(target(sim), 'imbot.app.register', JS_APP);
    const error = await failure(
      sim,
      client.call(target(sim), 'imbot.app.register', { ...JS_APP, CODE: 'two' }),
    );
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error.code).toBe('QUERY_LIMIT_EXCEEDED');
    expect(error.httpStatus).toBe(503);
    expect((error as RateLimitedError).limit).toBe('query_limit');
  });

  it('reads OPERATION_TIME_LIMIT with its reset time', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID }] });
    const resetAt = Math.floor(Date.now() / 1000) + 300;
    sim.control.setOperationTimeLimit(A, 'imbot.app.register', resetAt);
    const error = await failure(sim, rest().call(target(sim), 'imbot.app.register', JS_APP));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).limit).toBe('operation_time');
    expect((error as RateLimitedError).retryAt).toBe(resetAt * 1000);
  });

  it('turns PORTAL_DELETED (HTTP 500) into PermanentError', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID }] });
    sim.control.deletePortal(A);
    const error = await failure(sim, rest().call(target(sim), 'imbot.app.register', JS_APP));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.code).toBe('PORTAL_DELETED');
    expect(error.httpStatus).toBe(500);
  });

  it('turns a drop after the work into AmbiguousError — the app exists — and the next call works', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID, faults: { dropAfterWorkRate: 1 } }] });
    const client = rest();
    const error = await failure(sim, client.call(target(sim), 'imbot.app.register', JS_APP));
    expect(error).toBeInstanceOf(AmbiguousError);
    expect(error.code).toBe('CONNECTION_RESET');
    expect(sim.portal(A).apps).toHaveLength(1);

    sim.control.setFaults(A, { dropAfterWorkRate: 0 });
    const answer = await client.call(target(sim), 'imbot.app.register', { ...JS_APP, CODE: 'second' });
    expect(answer.result).toBe(2);
  });

  it('turns an answer slower than the timeout into AmbiguousError TIMEOUT — the app exists', async () => {
    const sim = await start({
      portals: [{ domain: A, botId: BOT_ID, faults: { slowRate: 1, slowMs: 1500 } }],
    });
    const error = await failure(sim, rest(300).call(target(sim), 'imbot.app.register', JS_APP));
    expect(error).toBeInstanceOf(AmbiguousError);
    expect(error.code).toBe('TIMEOUT');
    expect(sim.portal(A).apps).toHaveLength(1);
  });

  it('turns the HTML 502 page into TransientError INVALID_RESPONSE — no app', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID, faults: { nonJsonRate: 1 } }] });
    const error = await failure(sim, rest().call(target(sim), 'imbot.app.register', JS_APP));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.httpStatus).toBe(502);
    expect(error.description).toMatch(/^HTTP 502 answer is not JSON: </);
    expect(sim.portal(A).apps).toHaveLength(0);
  });

  it('refreshes the token pair, calls with the new token, and gets invalid_grant when the old refresh token is reused', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID, accessTokenExpired: true }] });
    const before = entry(sim);
    if (before.auth.type !== 'oauth') throw new Error('expected an OAuth portal');
    const oldRefresh = before.auth.refreshToken;
    const options = { timeoutMs: 2000, allowHttp: true, allowHosts: ['127.0.0.1'] };

    const tokens = await refreshAccessToken(
      { oauthUrl: sim.oauthUrl, ...CLIENT, refreshToken: oldRefresh },
      options,
    );
    expect(tokens.accessToken).toBe(sim.portal(A).currentAccessToken);
    expect(tokens.refreshToken).toBe(sim.portal(A).currentRefreshToken);
    expect(tokens.refreshToken).not.toBe(oldRefresh);
    expect(tokens.clientEndpoint).toBe(before.restUrl);
    expect(tokens.memberId).toBe(before.memberId);
    expect(tokens.expiresAt).toBeGreaterThan(Date.now());

    const answer = await rest().call(
      { kind: 'oauth', restUrl: tokens.clientEndpoint ?? before.restUrl, accessToken: tokens.accessToken },
      'imbot.app.register',
      JS_APP,
    );
    expect(answer.result).toBe(1);

    const error = await failure(
      sim,
      refreshAccessToken({ oauthUrl: sim.oauthUrl, ...CLIENT, refreshToken: oldRefresh }, options),
    );
    expect(error).toBeInstanceOf(InvalidGrantError);
    expect(error.errorClass).toBe('auth');
    expect(error.message).not.toContain(oldRefresh);
    expect(error.message).not.toContain(tokens.refreshToken);
  });
});

function entryUrl(sim: SimulatorHandle): string {
  const { auth } = entry(sim);
  if (auth.type !== 'webhook') throw new Error('expected a webhook portal');
  return auth.url;
}
