import { afterEach, describe, expect, it } from 'vitest';
import {
  AmbiguousError,
  AuthError,
  type BitrixError,
  PermanentError,
  RateLimitedError,
  TransientError,
} from '../../src/bitrix/bitrix-error.js';
import type { BatchAnswer, BatchCommand } from '../../src/bitrix/call-batch.js';
import { createRestClient } from '../../src/bitrix/call-method.js';
import type { PortalTarget } from '../../src/bitrix/portal-target.js';
import type { SimulatorHandle, SimulatorOptions } from '../../src/simulator/simulator-types.js';
import { startSimulator } from '../../src/simulator/start-simulator.js';
import { expectRedactedFailure } from './expect-redacted-failure.js';

const A = 'a.sim.test';
const HOOK = 'hook.sim.test';
const BOT_ID = 62;

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

/** The portal as the rollout sees it, from the simulator's portals file. */
function target(sim: SimulatorHandle, domain = A, withClientId = true): PortalTarget {
  const found = sim.portalsFile().find((candidate) => candidate.domain === domain);
  if (found === undefined) throw new Error(`no portals-file entry for ${domain}`);
  const { auth, restUrl } = found;
  if (auth.type === 'oauth') return { kind: 'oauth', restUrl, accessToken: auth.accessToken };
  return withClientId
    ? { kind: 'webhook', webhookUrl: auth.url, clientId: auth.clientId }
    : { kind: 'webhook', webhookUrl: auth.url };
}

/** Every credential of every portal: none may show up in an error. */
function secretsOf(sim: SimulatorHandle): string[] {
  return sim
    .portalsFile()
    .flatMap(({ auth }) =>
      auth.type === 'oauth'
        ? [auth.accessToken, auth.refreshToken]
        : [/\/rest\/\d+\/([^/]+)/.exec(auth.url)?.[1] ?? 'missing-webhook-code'],
    );
}

function failure(sim: SimulatorHandle, promise: Promise<unknown>): Promise<BitrixError> {
  return expectRedactedFailure(promise, secretsOf(sim));
}

function jsApp(code: string, botId = BOT_ID): Record<string, unknown> {
  return {
    BOT_ID: botId,
    CODE: code,
    JS_METHOD: 'SEND',
    JS_PARAM: '/help',
    LANG: [{ LANGUAGE_ID: 'en', TITLE: `App ${code}` }],
  };
}

const register = (key: string, code: string, botId = BOT_ID): BatchCommand => ({
  key,
  method: 'imbot.app.register',
  params: jsApp(code, botId),
});
const hideVia = (key: string, appId: unknown): BatchCommand => ({
  key,
  method: 'imbot.app.update',
  params: { APP_ID: appId, FIELDS: { HIDDEN: 'Y' } },
});

function errorOf(answer: BatchAnswer, key: string): BitrixError {
  const entry = answer.results[key];
  if (entry?.ok !== false || entry.error === undefined)
    throw new Error(`${key} did not fail: ${JSON.stringify(entry)}`);
  return entry.error;
}

describe('callBatch against the simulator', () => {
  it('runs commands in order as single calls would: results, typed errors, one request', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID }] });
    const answer = await rest().callBatch(
      target(sim),
      [
        register('reg', 'echo'),
        hideVia('upd', '$result[reg]'),
        register('bad', 'other', 7),
        { key: 'del', method: 'imbot.app.unregister', params: { APP_ID: 999 } },
        { key: 'time', method: 'server.time', params: {} },
      ],
      { halt: false },
    );
    expect(answer.results['reg']).toMatchObject({ ok: true, result: 1 });
    expect(answer.results['reg']?.time).toEqual({ operating: 0, operatingResetAt: expect.any(Number) });
    expect(answer.results['upd']).toMatchObject({ ok: true, result: true });
    expect(errorOf(answer, 'bad')).toBeInstanceOf(PermanentError);
    expect(errorOf(answer, 'bad')).toMatchObject({ code: 'BOT_ID_ERROR', method: 'imbot.app.register' });
    expect(errorOf(answer, 'del')).toMatchObject({
      code: 'CHAT_APP_ID_ERROR',
      method: 'imbot.app.unregister',
    });
    expect(answer.results['time']).toMatchObject({ ok: true, result: expect.any(String) });
    expect(sim.portal(A).apps.map((app) => [app.code, app.fields.HIDDEN])).toEqual([['echo', 'Y']]);
    expect(sim.stats()).toMatchObject({
      calls: 1,
      batches: 1,
      commands: 5,
      callsByMethod: { batch: 1, 'imbot.app.register': 2, 'imbot.app.update': 1, 'imbot.app.unregister': 1 },
    });
    expect(sim.portal(A).requestTimes).toHaveLength(1);
  });

  it('stops at the first failure with halt: the rest is notExecuted and has no effect', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID }] });
    const answer = await rest().callBatch(
      target(sim),
      [
        register('one', 'one'),
        register('bad', 'bad', 7),
        hideVia('hide', '$result[bad]'),
        register('two', 'two'),
      ],
      { halt: true },
    );
    expect(answer.results['one']).toMatchObject({ ok: true, result: 1 });
    expect(errorOf(answer, 'bad').code).toBe('BOT_ID_ERROR');
    expect(answer.results['hide']).toEqual({ ok: false, notExecuted: true });
    expect(answer.results['two']).toEqual({ ok: false, notExecuted: true });
    expect(sim.portal(A).apps.map((app) => app.code)).toEqual(['one']);
    expect(sim.stats().commands).toBe(2);
  });

  it('resolves $result[key] to an earlier result: a new app (number) and an existing one (string id)', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID }] });
    const first = await rest().callBatch(
      target(sim),
      [register('reg', 'echo'), hideVia('upd', '$result[reg]')],
      {
        halt: true,
      },
    );
    expect(first.results['reg']).toMatchObject({ ok: true, result: 1 });
    // get-or-create: the second register answers the existing id as a string, which the update accepts too.
    const again = await rest().callBatch(
      target(sim),
      [
        register('reg', 'echo'),
        {
          key: 'upd',
          method: 'imbot.app.update',
          params: { APP_ID: '$result[reg]', FIELDS: { HIDDEN: 'N', IFRAME_WIDTH: 400 } },
        },
      ],
      { halt: true },
    );
    expect(again.results['reg']).toMatchObject({ ok: true, result: '1' });
    expect(again.results['upd']).toMatchObject({ ok: true, result: true });
    const [app] = sim.portal(A).apps;
    expect(app?.fields).toMatchObject({ HIDDEN: 'N', IFRAME_WIDTH: 400 });
    expect(app?.updates).toBe(2);
    expect(sim.stats().registerExisting).toBe(1);
  });

  it('reproduces the trap: without halt, a reference to a failed register kills the whole batch after work was done', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID }] });
    const careless = [register('ok', 'kept'), register('bad', 'lost', 7), hideVia('hide', '$result[bad]')];
    // The server puts the WHOLE result map in APP_ID; PHP 8 cannot use an array as a key (TypeError), nothing
    // catches it: HTTP 500 with a text page. The first register is done all the same.
    const error = await failure(sim, rest().callBatch(target(sim), careless, { halt: false }));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE', httpStatus: 500, method: 'batch' });
    expect(sim.portal(A).apps.map((app) => app.code)).toEqual(['kept']);
    // Retrying the same batch fails the same way, every time.
    await failure(sim, rest().callBatch(target(sim), careless, { halt: false }));
    expect(sim.stats()).toMatchObject({ calls: 2, registrations: 1, registerExisting: 1, updates: 0 });
    // With halt the same commands are safe: the reference is never resolved.
    const safe = await rest().callBatch(target(sim), careless, { halt: true });
    expect(safe.results['ok']).toMatchObject({ ok: true, result: '1' });
    expect(errorOf(safe, 'bad').code).toBe('BOT_ID_ERROR');
    expect(safe.results['hide']).toEqual({ ok: false, notExecuted: true });
  });

  it('a reference to an update (true) reaches app 1 of the portal: PHP reads the key true as 1', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID }] });
    await rest().callBatch(target(sim), [register('first', 'first'), register('second', 'second')], {
      halt: true,
    });
    const answer = await rest().callBatch(
      target(sim),
      [hideVia('upd', 2), { key: 'del', method: 'imbot.app.unregister', params: { APP_ID: '$result[upd]' } }],
      { halt: true },
    );
    expect(answer.results['del']).toMatchObject({ ok: true, result: true });
    expect(sim.portal(A).apps.map((app) => app.code)).toEqual(['second']);
  });

  it('sends the webhook CLIENT_ID with every command; without it each chat-app command is refused', async () => {
    const sim = await start({
      portals: [{ domain: HOOK, botId: BOT_ID, auth: 'webhook', clientId: 'hook-app' }],
    });
    const answer = await rest().callBatch(
      target(sim, HOOK),
      [register('reg', 'echo'), hideVia('upd', '$result[reg]')],
      {
        halt: true,
      },
    );
    expect(answer.results['upd']).toMatchObject({ ok: true, result: true });
    expect(sim.portal(HOOK).apps[0]).toMatchObject({
      ownerClientId: 'customhook-app',
      fields: { HIDDEN: 'Y' },
    });

    const bare = await rest().callBatch(
      target(sim, HOOK, false),
      [register('reg', 'other'), { key: 'time', method: 'server.time', params: {} }],
      { halt: false },
    );
    expect(errorOf(bare, 'reg')).toBeInstanceOf(PermanentError);
    expect(errorOf(bare, 'reg')).toMatchObject({
      code: 'ACCESS_DENIED',
      description: 'Client ID not specified',
    });
    expect(bare.results['time']).toMatchObject({ ok: true });
    expect(sim.portal(HOOK).apps).toHaveLength(1);
  });

  it("keeps the token and each command's HASH out of a WRONG_REQUEST that dumps every field", async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID }] });
    const hash = 'c0ffee11c0ffee22c0ffee33c0ffee44';
    const longHash = `${'d'.repeat(32)}eeee`;
    const tooLong = `https://apps.example.com/${'x'.repeat(300)}`; // over the 255-character IFRAME column
    const frame = (key: string, code: string, secret: string): BatchCommand => ({
      key,
      method: 'imbot.app.register',
      params: {
        BOT_ID,
        CODE: code,
        IFRAME: tooLong,
        HASH: secret,
        LANG: [{ LANGUAGE_ID: 'en', TITLE: 'P' }],
      },
    });
    const answer = await rest().callBatch(target(sim), [frame('a', 'pa', hash), frame('b', 'pb', longHash)], {
      halt: false,
    });
    for (const key of ['a', 'b']) {
      const error = errorOf(answer, key);
      expect(error.code).toBe('WRONG_REQUEST');
      expect(error.description).toContain('***');
      for (const text of [error.message, error.description, String(error), JSON.stringify(error)]) {
        for (const secret of [hash, longHash, longHash.slice(0, 32), ...secretsOf(sim)]) {
          expect(text).not.toContain(secret);
        }
      }
    }
  });

  it('answers OPERATION_TIME_LIMIT for a blocked method per command, and for a blocked batch as a whole', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID }] });
    const resetAt = Math.floor(Date.now() / 1000) + 600;
    sim.control.setOperationTimeLimit(A, 'imbot.app.update', resetAt);
    const answer = await rest().callBatch(
      target(sim),
      [register('reg', 'echo'), hideVia('upd', '$result[reg]')],
      {
        halt: false,
      },
    );
    expect(answer.results['reg']).toMatchObject({ ok: true });
    expect(errorOf(answer, 'upd')).toBeInstanceOf(RateLimitedError);
    expect(errorOf(answer, 'upd')).toMatchObject({ code: 'OPERATION_TIME_LIMIT', limit: 'operation_time' });

    sim.control.setOperationTimeLimit(A, 'batch', resetAt);
    const error = await failure(
      sim,
      rest().callBatch(target(sim), [register('reg', 'echo')], { halt: true }),
    );
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ code: 'OPERATION_TIME_LIMIT', httpStatus: 429, retryAt: resetAt * 1000 });
  });
});

describe('callBatch against the simulator — the whole request fails as a single call would', () => {
  const COMMANDS = [register('reg', 'echo'), hideVia('upd', '$result[reg]')];

  it('expired token: AuthError expired_token, nothing done', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID, accessTokenExpired: true }] });
    const error = await failure(sim, rest().callBatch(target(sim), COMMANDS, { halt: true }));
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ reason: 'expired_token', httpStatus: 401, method: 'batch' });
    expect(sim.portal(A).apps).toEqual([]);
  });

  it('one bucket token per batch, whatever it carries: 503 QUERY_LIMIT_EXCEEDED once the bucket is full', async () => {
    const sim = await start({
      portals: [{ domain: A, botId: BOT_ID }],
      bucket: { burst: 2, drainPerSecond: 0.001 },
    });
    const many = Array.from({ length: 20 }, (_, i) => register(`r${i}`, `app${i}`));
    await rest().callBatch(target(sim), many.slice(0, 10), { halt: true });
    await rest().callBatch(target(sim), many.slice(10), { halt: true });
    expect(sim.portal(A).apps).toHaveLength(20);
    const error = await failure(sim, rest().callBatch(target(sim), COMMANDS, { halt: true }));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', limit: 'query_limit', httpStatus: 503 });
    expect(sim.stats()).toMatchObject({ calls: 3, commands: 20, queryLimitExceeded: 1 });
  });

  it('HTTP 500 and an HTML 502 page: TransientError, no command ran', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID, faults: { http500Rate: 1 } }] });
    const error = await failure(sim, rest().callBatch(target(sim), COMMANDS, { halt: true }));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', httpStatus: 500 });
    sim.control.setFaults(A, { nonJsonRate: 1 });
    const page = await failure(sim, rest().callBatch(target(sim), COMMANDS, { halt: true }));
    expect(page).toMatchObject({ code: 'INVALID_RESPONSE', httpStatus: 502 });
    expect(sim.portal(A).apps).toEqual([]);
    expect(sim.stats().commands).toBe(0);
  });

  it('a dropped answer: AmbiguousError CONNECTION_RESET, every command done', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT_ID, faults: { dropAfterWorkRate: 1 } }] });
    const error = await failure(sim, rest().callBatch(target(sim), COMMANDS, { halt: true }));
    expect(error).toBeInstanceOf(AmbiguousError);
    expect(error.code).toBe('CONNECTION_RESET');
    expect(sim.portal(A).apps[0]?.fields.HIDDEN).toBe('Y');
  });

  it('a slow answer: AmbiguousError TIMEOUT, every command done', async () => {
    const sim = await start({
      portals: [{ domain: A, botId: BOT_ID, faults: { slowRate: 1, slowMs: 1000 } }],
    });
    const error = await failure(sim, rest(200).callBatch(target(sim), COMMANDS, { halt: true }));
    expect(error).toBeInstanceOf(AmbiguousError);
    expect(error.code).toBe('TIMEOUT');
    expect(sim.portal(A).apps[0]?.fields.HIDDEN).toBe('Y');
  });
});
