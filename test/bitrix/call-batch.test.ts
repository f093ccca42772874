import { describe, expect, it } from 'vitest';
import {
  AmbiguousError,
  AuthError,
  BitrixError,
  PermanentError,
  RateLimitedError,
  TransientError,
} from '../../src/bitrix/bitrix-error.js';
import {
  type BatchAnswer,
  type BatchCommand,
  batchCommandBytes,
  batchCommandProblem,
  callBatch,
  MAX_BATCH_COMMANDS,
} from '../../src/bitrix/call-batch.js';
import { createRestClient } from '../../src/bitrix/call-method.js';
import type { PortalTarget } from '../../src/bitrix/portal-target.js';
import { createRestTransport } from '../../src/bitrix/rest-transport.js';
import { expectRedactedFailure } from './expect-redacted-failure.js';
import { sendJson, type TestServer, testServers } from './start-test-server.js';

const TOKEN = 'AccessT0ken-4f9c2e';
const WEBHOOK_CODE = 'wh00kc0de7x';
const HASH = 'f00dfeedf00dfeedf00dfeedf00dfeed';
const LONG_HASH = `b16b00b5b16b00b5b16b00b5b16b00b5${'9'.repeat(8)}`;
const SECRETS = [TOKEN, WEBHOOK_CODE, HASH, LONG_HASH, LONG_HASH.slice(0, 32)];

const serve = testServers();

const rest = (timeoutMs = 2000) =>
  createRestClient({ timeoutMs, allowHttp: true, allowHosts: ['127.0.0.1'] });

function oauth(server: TestServer): PortalTarget {
  return { kind: 'oauth', restUrl: `${server.url}/rest/`, accessToken: TOKEN };
}

function webhook(server: TestServer, clientId?: string): PortalTarget {
  const webhookUrl = `${server.url}/rest/1/${WEBHOOK_CODE}/`;
  return clientId === undefined ? { kind: 'webhook', webhookUrl } : { kind: 'webhook', webhookUrl, clientId };
}

/** Every way an error or an answer can be printed: none may show a secret. */
function expectNoSecret(value: unknown): void {
  const texts =
    value instanceof Error
      ? [value.message, String(value), JSON.stringify(value), (value as BitrixError).description ?? '']
      : [
          JSON.stringify(value, (_key, item: unknown) =>
            item instanceof Error ? { ...item, message: item.message } : item,
          ),
        ];
  for (const text of texts) for (const secret of SECRETS) expect(text).not.toContain(secret);
}

function failure(promise: Promise<unknown>): Promise<BitrixError> {
  return expectRedactedFailure(promise, SECRETS);
}

const REGISTER: BatchCommand = {
  key: 'reg',
  method: 'imbot.app.register',
  params: { BOT_ID: 62, CODE: 'echo', HIDDEN: true, LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Echo bot' }] },
};
const UPDATE: BatchCommand = {
  key: 'upd',
  method: 'imbot.app.update',
  params: { APP_ID: '$result[reg]', FIELDS: { HASH, IFRAME_WIDTH: 350 } },
};

/** A batch answer as the server prints it (docs/bitrix24.md, "Batch"). */
function batchBody(parts: Partial<Record<'result' | 'result_error' | 'result_time', unknown>>) {
  return {
    result: {
      result: parts.result ?? [],
      result_error: parts.result_error ?? [],
      result_total: [],
      result_next: [],
      result_time: parts.result_time ?? [],
    },
    time: { start: 1, finish: 2, operating: 0.5, operating_reset_at: 1_700_000_600 },
  };
}

describe('callBatch — the request', () => {
  it('POSTs one JSON request to <restUrl>batch.json: cmd[key] = method?query (PHP-encoded), halt, auth', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, batchBody({})));
    await rest().callBatch(oauth(server), [REGISTER, UPDATE], { halt: true });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.url).toBe('/rest/batch.json');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      halt: 1,
      cmd: {
        reg: 'imbot.app.register?BOT_ID=62&CODE=echo&HIDDEN=1&LANG%5B0%5D%5BLANGUAGE_ID%5D=en&LANG%5B0%5D%5BTITLE%5D=Echo%20bot',
        upd: `imbot.app.update?APP_ID=%24result%5Breg%5D&FIELDS%5BHASH%5D=${HASH}&FIELDS%5BIFRAME_WIDTH%5D=350`,
      },
      auth: TOKEN,
    });
  });

  it('sends halt 0 and a command without parameters as the bare method', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, batchBody({})));
    await rest().callBatch(oauth(server), [{ key: 't', method: 'server.time', params: {} }], { halt: false });
    expect(JSON.parse(server.requests[0]?.body ?? '')).toMatchObject({ halt: 0, cmd: { t: 'server.time' } });
  });

  it('posts to <webhookUrl>batch.json with CLIENT_ID in every command and in the batch, no auth', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, batchBody({})));
    await rest().callBatch(
      webhook(server, 'app.64f0c1'),
      [REGISTER, { key: 'del', method: 'imbot.app.unregister', params: { APP_ID: 9, CLIENT_ID: 'other' } }],
      { halt: false },
    );
    expect(server.requests[0]?.url).toBe(`/rest/1/${WEBHOOK_CODE}/batch.json`);
    const body = JSON.parse(server.requests[0]?.body ?? '');
    expect(body).not.toHaveProperty('auth');
    expect(body.CLIENT_ID).toBe('app.64f0c1');
    expect(body.cmd.reg).toMatch(/&CLIENT_ID=app.64f0c1$/);
    expect(body.cmd.del).toBe('imbot.app.unregister?APP_ID=9&CLIENT_ID=app.64f0c1');
  });

  it('sends no CLIENT_ID for a plain webhook', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, batchBody({})));
    await rest().callBatch(webhook(server), [REGISTER], { halt: false });
    expect(server.requests[0]?.body).not.toContain('CLIENT_ID');
  });

  it('batchCommandBytes is what each command adds to the body; the envelope stays small', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, batchBody({})));
    for (const target of [oauth(server), webhook(server, 'app.64f0c1')]) {
      const commands = [
        REGISTER,
        UPDATE,
        { key: 'x', method: 'server.time', params: { TITLE: 'Ünïcode €' } },
      ];
      await callBatch(
        createRestTransport({ timeoutMs: 2000, allowHttp: true, allowHosts: ['127.0.0.1'] }),
        target,
        commands,
        {
          halt: true,
        },
      );
      const body = server.requests.at(-1)?.body ?? '';
      const parsed = JSON.parse(body);
      const envelope = Buffer.byteLength(JSON.stringify({ ...parsed, cmd: {} }));
      const commandBytes = commands.reduce((sum, command) => sum + batchCommandBytes(target, command), 0);
      expect(Buffer.byteLength(body)).toBe(envelope + commandBytes - 1);
      expect(envelope).toBeLessThan(300);
    }
  });
});

describe('callBatch — refused before sending', () => {
  const many = (count: number): BatchCommand[] =>
    Array.from({ length: count }, (_, i) => ({ key: `c${i}`, method: 'server.time', params: {} }));

  it.each([
    ['more than 50 commands', many(MAX_BATCH_COMMANDS + 1), /at most 50 commands, got 51/],
    ['no command', [], /at least one command/],
    ['a repeated key', [REGISTER, { ...REGISTER }], /"reg" is used twice/],
    ['a numeric key', [{ ...REGISTER, key: '1' }], /key "1" must be a letter/],
    ['a key with brackets', [{ ...REGISTER, key: 'a]b' }], /must be a letter/],
    [
      'a method name that is not one',
      [{ ...REGISTER, method: 'imbot.app.register?x=1' }],
      /is not a method name/,
    ],
    ['a batch in the batch', [{ ...REGISTER, method: 'BATCH' }], /cannot contain a batch/],
    [
      'a reference to a later command',
      [UPDATE, REGISTER],
      /refers to "reg", which is not an earlier command/,
    ],
    [
      'a reference to an unknown command',
      [REGISTER, { ...UPDATE, params: { APP_ID: '$result[nope]' } }],
      /"nope"/,
    ],
    [
      'a reference inside a longer text',
      [REGISTER, { ...UPDATE, params: { APP_ID: 'id $result[reg]' } }],
      /would rewrite \(\$result\[reg\]\)/,
    ],
    [
      'text the server would rewrite, in any case and any state name',
      [{ ...REGISTER, params: { LANG: [{ TITLE: 'Costs $TOTAL[x] now' }] } }],
      /commands\[0\]\.params\.LANG\.0\.TITLE: .*\$TOTAL\[x\]/,
    ],
  ])('refuses %s with a RangeError and sends nothing', async (_name, commands, message) => {
    const server = await serve((_request, res) => sendJson(res, 200, batchBody({})));
    const sent = rest().callBatch(oauth(server), commands, { halt: true });
    await expect(sent).rejects.toThrow(RangeError);
    await expect(rest().callBatch(oauth(server), commands, { halt: true })).rejects.toThrow(message);
    expect(server.requests).toHaveLength(0);
  });

  it('accepts exactly 50 commands and references with field steps', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, batchBody({})));
    await rest().callBatch(oauth(server), many(MAX_BATCH_COMMANDS), { halt: false });
    await rest().callBatch(
      oauth(server),
      [REGISTER, { ...UPDATE, params: { APP_ID: '$result[reg][ID]', FIELDS: { TITLE: 'a $ sign' } } }],
      { halt: true },
    );
    expect(server.requests).toHaveLength(2);
  });

  it('batchCommandProblem tells beforehand what callBatch would refuse', () => {
    expect(batchCommandProblem(UPDATE, ['reg'])).toBeUndefined();
    expect(batchCommandProblem(UPDATE, [])).toMatch(/refers to "reg", which is not an earlier command/);
    const text = { ...REGISTER, params: { LANG: [{ TITLE: 'see $result[x] here' }] } };
    expect(batchCommandProblem(text, [])).toMatch(
      /params\.LANG\.0\.TITLE: .*send this command as a single call/,
    );
    expect(batchCommandProblem(REGISTER, [])).toBeUndefined();
  });

  it('refuses parameters PHP could not carry with a TypeError', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, batchBody({})));
    await expect(
      rest().callBatch(oauth(server), [{ ...REGISTER, params: { BOT_ID: Number.NaN } }], { halt: true }),
    ).rejects.toThrow(TypeError);
    expect(server.requests).toHaveLength(0);
  });
});

describe('callBatch — the answer', () => {
  it('gives each command its result, its typed error, or notExecuted, with the times', async () => {
    const server = await serve((_request, res) =>
      sendJson(
        res,
        200,
        batchBody({
          result: { reg: 17 },
          result_error: {
            upd: {
              error: 'OPERATION_TIME_LIMIT',
              error_description: 'Method is blocked due to operation time limit.',
            },
            del: { error: 'CHAT_APP_ID_ERROR', error_description: 'App not found' },
            odd: 'SOME_NEW_CODE',
          },
          result_time: { reg: { start: 1, operating: 2.5, operating_reset_at: 1_700_000_000 } },
        }),
      ),
    );
    const commands: BatchCommand[] = [
      REGISTER,
      UPDATE,
      { key: 'del', method: 'imbot.app.unregister', params: { APP_ID: 5 } },
      { key: 'odd', method: 'server.time', params: {} },
      { key: 'late', method: 'server.time', params: {} },
    ];
    const answer = await rest().callBatch(oauth(server), commands, { halt: true });
    expect(Object.keys(answer.results)).toEqual(['reg', 'upd', 'del', 'odd', 'late']);
    expect(answer.results['reg']).toEqual({
      ok: true,
      result: 17,
      time: { operating: 2.5, operatingResetAt: 1_700_000_000_000 },
    });
    const upd = answer.results['upd'];
    expect(upd?.ok === false && upd.error).toBeInstanceOf(RateLimitedError);
    expect(upd?.error).toMatchObject({
      code: 'OPERATION_TIME_LIMIT',
      limit: 'operation_time',
      retryAt: undefined,
      method: 'imbot.app.update',
      httpStatus: 200,
    });
    expect(answer.results['del']?.error).toBeInstanceOf(PermanentError);
    expect(answer.results['del']?.error).toMatchObject({
      code: 'CHAT_APP_ID_ERROR',
      description: 'App not found',
    });
    // A code this client does not know, inside the batch's HTTP 200: permanent, as a 200 error of a single call.
    expect(answer.results['odd']?.error).toMatchObject({ code: 'SOME_NEW_CODE', errorClass: 'permanent' });
    expect(answer.results['late']).toEqual({ ok: false, notExecuted: true });
    expect(answer.time).toEqual({ operating: 0.5, operatingResetAt: 1_700_000_600_000 });
    expect(answer.httpStatus).toBe(200);
  });

  it('reads the empty maps PHP prints as [] and a result of null', async () => {
    const server = await serve((_request, res) =>
      sendJson(res, 200, batchBody({ result: { t: null }, result_error: [], result_time: [] })),
    );
    const answer: BatchAnswer = await rest().callBatch(
      oauth(server),
      [{ key: 't', method: 'server.time', params: {} }],
      { halt: false },
    );
    expect(answer.results['t']).toEqual({ ok: true, result: null, time: undefined });
  });

  it('types a refused command of a webhook as a single webhook call would be (no refresh can help)', async () => {
    const server = await serve((_request, res) =>
      sendJson(
        res,
        200,
        batchBody({ result_error: { reg: { error: 'NO_AUTH_FOUND', error_description: '' } } }),
      ),
    );
    const answer = await rest().callBatch(webhook(server), [REGISTER], { halt: true });
    expect(answer.results['reg']?.error).toBeInstanceOf(AuthError);
    expect(answer.results['reg']?.error).toMatchObject({ reason: 'invalid_credentials' });
  });

  it('marks a command error it cannot read INVALID_RESPONSE, and keeps the others', async () => {
    const server = await serve((_request, res) =>
      sendJson(res, 200, batchBody({ result: { upd: true }, result_error: { reg: { error: 'bad code!' } } })),
    );
    const answer = await rest().callBatch(oauth(server), [REGISTER, UPDATE], { halt: false });
    expect(answer.results['reg']?.error).toMatchObject({
      code: 'INVALID_RESPONSE',
      method: 'imbot.app.register',
    });
    expect(answer.results['upd']).toMatchObject({ ok: true, result: true });
  });

  it('refuses an answer without a result map with INVALID_RESPONSE, as an unusable single answer', async () => {
    const server = await serve((request, res) =>
      sendJson(res, 200, request.body.includes('"halt":1') ? { result: true } : { result: { result: 'x' } }),
    );
    for (const halt of [true, false]) {
      const error = await failure(rest().callBatch(oauth(server), [REGISTER], { halt }));
      expect(error).toBeInstanceOf(TransientError);
      expect(error).toMatchObject({ code: 'INVALID_RESPONSE', method: 'batch', httpStatus: 200 });
    }
  });
});

describe('callBatch — the whole request fails as a single call would', () => {
  it.each([
    [
      503,
      { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' },
      RateLimitedError,
      'rate_limited',
    ],
    [
      401,
      { error: 'expired_token', error_description: 'The access token provided has expired.' },
      AuthError,
      'auth',
    ],
    [
      500,
      { error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' },
      TransientError,
      'transient',
    ],
    [
      429,
      { error: 'OPERATION_TIME_LIMIT', error_description: 'batch blocked' },
      RateLimitedError,
      'rate_limited',
    ],
  ])('HTTP %i %o', async (status, body, type, errorClass) => {
    const server = await serve((_request, res) => sendJson(res, status, body));
    const error = await failure(rest().callBatch(oauth(server), [REGISTER, UPDATE], { halt: true }));
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ code: body.error, errorClass, httpStatus: status, method: 'batch' });
  });

  it('a webhook refused as a whole is AuthError invalid_credentials', async () => {
    const server = await serve((_request, res) =>
      sendJson(res, 401, { error: 'INVALID_CREDENTIALS', error_description: 'Invalid request credentials' }),
    );
    const error = await failure(rest().callBatch(webhook(server, 'app'), [REGISTER], { halt: true }));
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ reason: 'invalid_credentials' });
  });

  it('an HTML error page is TransientError INVALID_RESPONSE', async () => {
    const server = await serve((_request, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>502 Bad Gateway</html>');
    });
    const error = await failure(rest().callBatch(oauth(server), [REGISTER], { halt: true }));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE', httpStatus: 502 });
  });

  it('no answer in time is AmbiguousError TIMEOUT; a dropped connection AmbiguousError CONNECTION_RESET', async () => {
    const silent = await serve(() => undefined);
    const timeout = await failure(rest(300).callBatch(oauth(silent), [REGISTER], { halt: true }));
    expect(timeout).toBeInstanceOf(AmbiguousError);
    expect(timeout).toMatchObject({ code: 'TIMEOUT', method: 'batch' });
    const dropping = await serve((_request, _res, req) => req.socket.destroy());
    const dropped = await failure(rest().callBatch(oauth(dropping), [REGISTER], { halt: true }));
    expect(dropped).toBeInstanceOf(AmbiguousError);
    expect(dropped.code).toBe('CONNECTION_RESET');
  });
});

describe('callBatch — redaction', () => {
  const COMMANDS: BatchCommand[] = [
    { key: 'reg', method: 'imbot.app.register', params: { BOT_ID: 62, CODE: 'frame', HASH: LONG_HASH } },
    { key: 'upd', method: 'imbot.app.update', params: { APP_ID: 3, FIELDS: { HASH } } },
  ];
  /**
   * What a careless server would echo: the request itself, the URL it came to and every secret the caller sent
   * (the token in the body, the webhook code in the path), raw, cut or URL-encoded.
   */
  const echo = (request: { url: string; body: string }) =>
    `${request.body} ${request.url} ${request.url.includes(WEBHOOK_CODE) ? WEBHOOK_CODE : TOKEN} ${LONG_HASH.slice(0, 32)} ${encodeURIComponent(HASH)}`;

  it('keeps the token, the webhook code and every command HASH out of command errors', async () => {
    for (const kind of ['oauth', 'webhook'] as const) {
      const server = await serve((request, res) =>
        sendJson(
          res,
          200,
          batchBody({
            result_error: {
              reg: { error: 'WRONG_REQUEST', error_description: echo(request) },
              upd: { error: 'APP_ID_ERROR', error_description: echo(request) },
            },
          }),
        ),
      );
      const target = kind === 'oauth' ? oauth(server) : webhook(server, 'app');
      const answer = await rest().callBatch(target, COMMANDS, { halt: false });
      for (const key of ['reg', 'upd']) {
        const error = answer.results[key]?.error;
        expect(error).toBeInstanceOf(BitrixError);
        expectNoSecret(error);
        expect(error?.description).toContain('***');
      }
      expectNoSecret(answer);
    }
  });

  it('keeps them out of a whole-request error', async () => {
    const server = await serve((request, res) =>
      sendJson(res, 400, { error: 'INVALID_REQUEST', error_description: echo(request) }),
    );
    const error = await failure(rest().callBatch(oauth(server), COMMANDS, { halt: true }));
    expect(error.description).toContain('***');
  });
});
