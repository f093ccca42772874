import { describe, expect, it } from 'vitest';
import { encodePhpQuery } from '../../src/bitrix/encode-php-query.js';
import {
  type Answer,
  callOAuth,
  callWebhook,
  entryOf,
  jsApp,
  manualClock,
  postForm,
  postJson,
  useSimulators,
} from './support/sim-test-kit.js';

const start = useSimulators();
const A = 'a.sim.test';
const HOOK = 'hook.sim.test';
const BOT = 4;

/** `method?query` as a batch command line, the query PHP-encoded. */
const line = (method: string, params: Record<string, unknown> = {}) => {
  const query = encodePhpQuery(params);
  return query === '' ? method : `${method}?${query}`;
};

interface BatchJson {
  result: Record<string, unknown> | unknown[];
  result_error: Record<string, { error: string; error_description: string }> | unknown[];
  result_total: unknown;
  result_next: unknown;
  result_time: Record<string, Record<string, unknown>> | unknown[];
}

function batchOf(answer: Answer): BatchJson {
  expect(answer.status).toBe(200);
  return answer.json.result as BatchJson;
}

const TIME_KEYS = [
  'start',
  'finish',
  'duration',
  'processing',
  'date_start',
  'date_finish',
  'operating',
  'operating_reset_at',
];

describe('batch: the answer', () => {
  it('answers as the docs show: result, result_error, result_total, result_next, result_time, plus time', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT }] });
    const answer = await callOAuth(sim, A, 'batch', {
      halt: 0,
      cmd: {
        reg: line('imbot.app.register', jsApp(BOT)),
        bad: line('imbot.app.register', jsApp(999, 'x')),
      },
    });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.json)).toEqual(['result', 'time']);
    expect(Object.keys(answer.json.time as object)).toEqual(TIME_KEYS);
    const batch = batchOf(answer);
    expect(Object.keys(batch)).toEqual([
      'result',
      'result_error',
      'result_total',
      'result_next',
      'result_time',
    ]);
    expect(batch.result).toEqual({ reg: 1 });
    expect(batch.result_error).toEqual({
      bad: { error: 'BOT_ID_ERROR', error_description: 'Bot not found' },
    });
    // Empty maps are PHP's empty arrays: JSON [].
    expect(batch.result_total).toEqual([]);
    expect(batch.result_next).toEqual([]);
    expect(Object.keys(batch.result_time)).toEqual(['reg']);
    expect(Object.keys((batch.result_time as Record<string, object>)['reg'] ?? {})).toEqual(TIME_KEYS);
  });

  it('prints every map as [] when nothing ran, and runs nothing without cmd', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT }] });
    const batch = batchOf(await callOAuth(sim, A, 'batch', { halt: 1 }));
    expect(batch).toEqual({
      result: [],
      result_error: [],
      result_total: [],
      result_next: [],
      result_time: [],
    });
  });

  it('reads a form-encoded body (each command encoded twice) as the same batch, through a webhook too', async () => {
    const sim = await start({
      portals: [
        { domain: A, botId: BOT },
        { domain: HOOK, botId: BOT, auth: 'webhook', clientId: 'hook-app' },
      ],
    });
    const token = sim.portal(A).currentAccessToken ?? '';
    const form = encodePhpQuery({
      auth: token,
      halt: 1,
      cmd: { reg: line('imbot.app.register', jsApp(BOT)), time: 'server.time' },
    });
    const answer = await postForm(`${sim.url}/portal/${A}/rest/batch.json`, form);
    expect(batchOf(answer).result).toMatchObject({ reg: 1, time: expect.any(String) });

    const hook = entryOf(sim, HOOK);
    if (hook.auth.type !== 'webhook') throw new Error('expected a webhook portal');
    const hookForm = encodePhpQuery({
      cmd: { reg: line('imbot.app.register', { ...jsApp(BOT), CLIENT_ID: 'hook-app' }) },
    });
    const hooked = await postForm(`${hook.auth.url}batch.json`, hookForm);
    expect(batchOf(hooked).result).toEqual({ reg: 2 });
  });

  it('answers a JSON list of commands with lists, and reads HALT and CMD in any case', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT }] });
    const answer = await callOAuth(sim, A, 'batch', {
      HALT: '0',
      CMD: ['server.time', line('imbot.app.register', jsApp(BOT))],
    });
    const batch = batchOf(answer);
    expect(batch.result).toEqual([expect.any(String), 1]);
    expect(batch.result_error).toEqual([]);
  });
});

describe('batch: running the commands', () => {
  it.each([
    ['absent', undefined, false],
    ['"0"', '0', false],
    ['""', '', false],
    ['1', 1, true],
    ['"Y"', 'Y', true],
    ['true', true, true],
  ])('halt %s -> stops at the first failure: %s', async (_name, halt, stops) => {
    const sim = await start({ portals: [{ domain: A, botId: BOT }] });
    const cmd = {
      bad: line('imbot.app.unregister', { APP_ID: 42 }),
      after: line('imbot.app.register', jsApp(BOT)),
    };
    const batch = batchOf(await callOAuth(sim, A, 'batch', halt === undefined ? { cmd } : { halt, cmd }));
    expect(Object.keys(batch.result_error)).toEqual(['bad']);
    expect(batch.result).toEqual(stops ? [] : { after: 1 });
    expect(sim.portal(A).apps).toHaveLength(stops ? 0 : 1);
  });

  it('runs the first 50 commands and answers each further one ERROR_BATCH_LENGTH_EXCEEDED', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT }] });
    const cmd = Object.fromEntries(Array.from({ length: 53 }, (_, i) => [`t${i}`, 'server.time']));
    const batch = batchOf(await callOAuth(sim, A, 'batch', { cmd }));
    expect(Object.keys(batch.result)).toHaveLength(50);
    expect(batch.result_error).toEqual({
      t50: { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' },
      t51: { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' },
      t52: { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' },
    });
    expect(sim.stats().commands).toBe(50);
    const halted = batchOf(await callOAuth(sim, A, 'batch', { halt: 1, cmd }));
    expect(Object.keys(halted.result_error)).toEqual(['t50']);
  });

  it('refuses a batch in the batch and file methods, answers an unknown method, skips a non-string entry', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT }] });
    const batch = batchOf(
      await callOAuth(sim, A, 'batch', {
        cmd: {
          inner: line('batch', { cmd: { t: 'server.time' } }),
          upper: 'BATCH',
          file: 'download?token=x',
          nope: 'no.such.method',
          odd: { method: 'server.time' },
          time: 'SERVER.TIME',
        },
      }),
    );
    const notAllowed = {
      error: 'ERROR_BATCH_METHOD_NOT_ALLOWED',
      error_description: 'Method is not allowed for batch usage',
    };
    expect(batch.result_error).toEqual({
      inner: notAllowed,
      upper: notAllowed,
      file: notAllowed,
      nope: { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' },
    });
    expect(batch.result).toEqual({ time: expect.any(String) });
    expect(sim.stats().callsByMethod).toEqual({ batch: 1, 'no.such.method': 1, 'server.time': 1 });
  });

  it('resolves $result[key] and $result[key][FIELD] as the server does, also inside a text', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT }] });
    const batch = batchOf(
      await callOAuth(sim, A, 'batch', {
        halt: 1,
        cmd: {
          bots: 'imbot.bot.list',
          reg: line('imbot.app.register', { ...jsApp(BOT), BOT_ID: `$result[bots][${BOT}][ID]` }),
          upd: line('imbot.app.update', {
            APP_ID: '$result[reg]',
            FIELDS: {
              IFRAME_WIDTH: '$result[reg]00',
              LANG: [{ LANGUAGE_ID: 'en', TITLE: 'App #$result[reg]' }],
            },
          }),
        },
      }),
    );
    expect(batch.result).toMatchObject({ reg: 1, upd: true });
    expect(sim.portal(A).apps[0]?.fields).toMatchObject({
      BOT_ID: BOT,
      IFRAME_WIDTH: 250, // "$result[reg]00" eats the "00": "1", raised to the minimum
      LANG: [{ LANGUAGE_ID: 'en', TITLE: 'App #1' }],
    });
  });

  it('the trap: a reference to a failed command is the WHOLE result map; as APP_ID it ends the request in a 500', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT }] });
    const answer = await callOAuth(sim, A, 'batch', {
      cmd: {
        kept: line('imbot.app.register', jsApp(BOT, 'kept')),
        bad: line('imbot.app.register', jsApp(999, 'lost')),
        hide: line('imbot.app.update', { APP_ID: '$result[bad]', FIELDS: { HIDDEN: 'Y' } }),
        never: line('imbot.app.register', jsApp(BOT, 'never')),
      },
    });
    expect(answer.status).toBe(500);
    expect(answer.contentType).toContain('text/html');
    expect(answer.text).toBe(
      'A error occurred during execution of this script. You can turn on extended error reporting in .settings.php file.',
    );
    // What ran before stays done; what came after never ran.
    expect(sim.portal(A).apps.map((app) => [app.code, app.fields.HIDDEN])).toEqual([['kept', 'N']]);
    expect(sim.stats()).toMatchObject({ calls: 1, commands: 3, registrations: 1, updates: 0 });
  });

  it('the trap through register: BOT_ID becomes intval(array) = 1, a bot that is not there', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT }] });
    const batch = batchOf(
      await callOAuth(sim, A, 'batch', {
        cmd: {
          ok: 'server.time',
          bad: line('imbot.app.unregister', { APP_ID: 42 }),
          reg: line('imbot.app.register', { ...jsApp(BOT), BOT_ID: '$result[bad]' }),
        },
      }),
    );
    expect(batch.result_error).toMatchObject({ reg: { error: 'BOT_ID_ERROR' } });
  });

  it('runs each command with the batch caller: a webhook command needs its own CLIENT_ID', async () => {
    const sim = await start({
      portals: [{ domain: HOOK, botId: BOT, auth: 'webhook', clientId: 'hook-app' }],
    });
    const answer = await callWebhook(sim, HOOK, 'batch', {
      cmd: {
        bare: line('imbot.app.register', jsApp(BOT, 'bare')),
        own: line('imbot.app.register', { ...jsApp(BOT, 'own'), CLIENT_ID: 'hook-app' }),
        other: line('imbot.app.register', { ...jsApp(BOT, 'other'), CLIENT_ID: 'someone-else' }),
      },
    });
    const batch = batchOf(answer);
    expect(batch.result).toEqual({ own: 1 });
    expect(batch.result_error).toEqual({
      bare: { error: 'ACCESS_DENIED', error_description: 'Client ID not specified' },
      other: { error: 'APP_ID_ERROR', error_description: 'Bot was installed by another rest application' },
    });
  });

  it('answers a blocked method per command, and a blocked batch as a whole (429)', async () => {
    const clock = manualClock();
    const sim = await start({ portals: [{ domain: A, botId: BOT }], now: clock.now });
    const resetAt = Math.floor(clock.now() / 1000) + 600;
    sim.control.setOperationTimeLimit(A, 'imbot.app.register', resetAt);
    const batch = batchOf(
      await callOAuth(sim, A, 'batch', {
        cmd: { reg: line('imbot.app.register', jsApp(BOT)), t: 'server.time' },
      }),
    );
    expect(batch.result_error).toEqual({
      reg: {
        error: 'OPERATION_TIME_LIMIT',
        error_description: 'Method is blocked due to operation time limit.',
      },
    });
    expect(batch.result).toEqual({ t: expect.any(String) });
    sim.control.setOperationTimeLimit(A, 'batch', resetAt);
    const blocked = await callOAuth(sim, A, 'batch', { cmd: { t: 'server.time' } });
    expect(blocked.status).toBe(429);
    expect(blocked.json.error).toBe('OPERATION_TIME_LIMIT');
  });
});

describe('batch: one request', () => {
  it('counts one call, one bucket token and one request time; commands and callsByMethod count what ran', async () => {
    const clock = manualClock();
    const sim = await start({
      portals: [{ domain: A, botId: BOT }],
      bucket: { burst: 2, drainPerSecond: 1 },
      now: clock.now,
    });
    const cmd = {
      r1: line('imbot.app.register', jsApp(BOT, 'one')),
      r2: line('imbot.app.register', jsApp(BOT, 'two')),
      u1: line('imbot.app.update', { APP_ID: '$result[r1]', FIELDS: { HIDDEN: 'Y' } }),
    };
    expect((await callOAuth(sim, A, 'batch', { cmd })).status).toBe(200);
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(200);
    const refused = await callOAuth(sim, A, 'batch', { cmd });
    expect(refused.status).toBe(503);
    expect(refused.json.error).toBe('QUERY_LIMIT_EXCEEDED');
    expect(sim.stats()).toMatchObject({
      calls: 3,
      batches: 2,
      commands: 4,
      queryLimitExceeded: 1,
      callsByMethod: { batch: 2, 'imbot.app.register': 2, 'imbot.app.update': 1, 'server.time': 1 },
    });
    expect(sim.portal(A)).toMatchObject({ calls: 3, batches: 2, commands: 4 });
    expect(sim.portal(A).requestTimes).toEqual([clock.now(), clock.now(), clock.now()]);
    sim.control.resetStats();
    expect(sim.stats()).toMatchObject({ calls: 0, batches: 0, commands: 0, callsByMethod: {} });
    expect(sim.portal(A)).toMatchObject({ calls: 0, batches: 0, commands: 0 });
  });

  it('checks the credentials once for the whole batch', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT }] });
    const answer = await postJson(`${sim.url}/portal/${A}/rest/batch.json`, { cmd: { t: 'server.time' } });
    expect(answer.status).toBe(401);
    expect(answer.json.error).toBe('NO_AUTH_FOUND');
    expect(sim.stats()).toMatchObject({ calls: 1, batches: 1, commands: 0 });
  });

  it('applies faults to the batch as a whole: a 500 runs nothing, a dropped answer comes after every command', async () => {
    const sim = await start({ portals: [{ domain: A, botId: BOT, faults: { http500Rate: 1 } }] });
    const cmd = {
      r1: line('imbot.app.register', jsApp(BOT, 'one')),
      r2: line('imbot.app.register', jsApp(BOT, 'two')),
    };
    expect((await callOAuth(sim, A, 'batch', { cmd })).status).toBe(500);
    expect(sim.portal(A).apps).toEqual([]);
    sim.control.setFaults(A, { queryLimitRate: 1 });
    expect((await callOAuth(sim, A, 'batch', { cmd })).json.error).toBe('QUERY_LIMIT_EXCEEDED');
    expect(sim.portal(A).apps).toEqual([]);
    sim.control.setFaults(A, { dropAfterWorkRate: 1 });
    await expect(callOAuth(sim, A, 'batch', { cmd })).rejects.toThrow();
    expect(sim.portal(A).apps.map((app) => app.code)).toEqual(['one', 'two']);
    expect(sim.stats().injected).toMatchObject({ http500: 1, queryLimit: 1, dropped: 1 });
  });
});

describe('APP_ID read as PHP reads an array key (update / unregister, single calls too)', () => {
  it.each([
    ['"1"', '1', true],
    ['1.9', 1.9, true],
    ['true', true, true],
    ['"01"', '01', false],
    ['" 1"', ' 1', false],
    ['null', null, false],
  ])('APP_ID %s finds app 1: %s', async (_name, appId, found) => {
    const sim = await start({ portals: [{ domain: A, botId: BOT }] });
    await callOAuth(sim, A, 'imbot.app.register', jsApp(BOT));
    const answer = await callOAuth(sim, A, 'imbot.app.update', { APP_ID: appId, FIELDS: { HIDDEN: 'Y' } });
    if (found) expect(answer.json.result).toBe(true);
    else expect(answer.json.error).toBe('CHAT_APP_ID_ERROR');
  });

  it.each([
    ['a list', [1]],
    ['an object', { ID: 1 }],
    ['an empty list', []],
  ])(
    'APP_ID as %s is a PHP TypeError nothing catches: HTTP 500 with the error page',
    async (_name, appId) => {
      const sim = await start({ portals: [{ domain: A, botId: BOT }] });
      await callOAuth(sim, A, 'imbot.app.register', jsApp(BOT));
      for (const method of ['imbot.app.update', 'imbot.app.unregister']) {
        const answer = await callOAuth(sim, A, method, { APP_ID: appId, FIELDS: { HIDDEN: 'Y' } });
        expect(answer.status).toBe(500);
        expect(answer.text).toContain('A error occurred during execution of this script.');
      }
      expect(sim.portal(A).apps).toHaveLength(1);
    },
  );
});
