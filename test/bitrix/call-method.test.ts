import { describe, expect, it } from 'vitest';
import {
  AmbiguousError,
  AuthError,
  type BitrixError,
  PermanentError,
  RateLimitedError,
  TransientError,
} from '../../src/bitrix/bitrix-error.js';
import { createRestClient, type RestClientOptions } from '../../src/bitrix/call-method.js';
import type { PortalTarget } from '../../src/bitrix/portal-target.js';
import { expectRedactedFailure } from './expect-redacted-failure.js';
import { freePort, sendJson, type TestServer, testServers } from './start-test-server.js';

const TOKEN = 'AccessT0ken-4f9c2e';
const WEBHOOK_CODE = 'wh00kc0de7x';
const SECRETS = [TOKEN, WEBHOOK_CODE];

const serve = testServers();

function client(overrides: Partial<RestClientOptions> = {}) {
  return createRestClient({ timeoutMs: 2000, allowHttp: true, allowHosts: ['127.0.0.1'], ...overrides });
}

function oauth(server: TestServer): PortalTarget {
  return { kind: 'oauth', restUrl: `${server.url}/rest/`, accessToken: TOKEN };
}

function webhook(server: TestServer, clientId?: string): PortalTarget {
  const webhookUrl = `${server.url}/rest/1/${WEBHOOK_CODE}/`;
  return clientId === undefined ? { kind: 'webhook', webhookUrl } : { kind: 'webhook', webhookUrl, clientId };
}

/** Runs the call, expects a BitrixError, and checks no secret leaks through any way it can be printed. */
function failure(promise: Promise<unknown>): Promise<BitrixError> {
  return expectRedactedFailure(promise, SECRETS);
}

const PARAMS = { BOT_ID: 62, CODE: 'echo', LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Echo' }] };

describe('createRestClient().call — success', () => {
  it('POSTs JSON with auth to <restUrl><method>.json and returns result and time', async () => {
    const server = await serve((_request, res) =>
      sendJson(res, 200, {
        result: 17,
        time: {
          start: 1,
          finish: 2,
          duration: 1,
          processing: 0.5,
          operating: 1.25,
          operating_reset_at: 1_700_000_600,
        },
      }),
    );
    const answer = await client({ userAgent: 'rollout-test/1' }).call<number>(
      oauth(server),
      'imbot.app.register',
      PARAMS,
    );

    expect(answer).toEqual({
      result: 17,
      time: { operating: 1.25, operatingResetAt: 1_700_000_600_000 },
      httpStatus: 200,
    });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/rest/imbot.app.register.json');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['user-agent']).toBe('rollout-test/1');
    expect(request?.body).toBe(
      '{"BOT_ID":62,"CODE":"echo","LANG":[{"LANGUAGE_ID":"en","TITLE":"Echo"}],"auth":"AccessT0ken-4f9c2e"}',
    );
  });

  it('adds the missing slash to restUrl', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, { result: true }));
    await client().call(
      { kind: 'oauth', restUrl: `${server.url}/rest`, accessToken: TOKEN },
      'user.current',
      {},
    );
    expect(server.requests[0]?.url).toBe('/rest/user.current.json');
  });

  it('POSTs to <webhookUrl><method>.json with CLIENT_ID and without auth', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, { result: 5 }));
    const answer = await client().call(webhook(server, 'app.64f0c1'), 'imbot.app.register', { BOT_ID: 62 });
    expect(answer.result).toBe(5);
    expect(answer.time).toBeUndefined();
    expect(server.requests[0]?.url).toBe(`/rest/1/${WEBHOOK_CODE}/imbot.app.register.json`);
    expect(server.requests[0]?.headers['content-type']).toBe('application/json');
    expect(server.requests[0]?.body).toBe('{"BOT_ID":62,"CLIENT_ID":"app.64f0c1"}');
  });

  it('sends no CLIENT_ID for a plain webhook', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, { result: true }));
    await client().call(webhook(server), 'imbot.app.unregister', { APP_ID: 9 });
    expect(server.requests[0]?.body).toBe('{"APP_ID":9}');
  });

  it('keeps the connection alive between calls', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, { result: true }));
    const rest = client();
    await rest.call(oauth(server), 'user.current', {});
    // undici puts the socket back in its pool a moment after the body was read.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await rest.call(oauth(server), 'user.current', {});
    expect(server.requests.map((request) => request.connection)).toEqual([1, 1]);
  });

  it('uses the injected fetch', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, { result: 'ok' }));
    const seen: string[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      seen.push(String(input));
      return fetch(input, init);
    };
    await client({ fetch: recordingFetch }).call(oauth(server), 'app.info', {});
    expect(seen).toEqual([`${server.url}/rest/app.info.json`]);
  });

  it('accepts a null result and ignores a malformed time block', async () => {
    const server = await serve((_request, res) =>
      sendJson(res, 200, { result: null, time: { operating: 'lots' } }),
    );
    const answer = await client().call(oauth(server), 'app.info', {});
    expect(answer).toEqual({ result: null, time: {}, httpStatus: 200 });
  });
});

describe('createRestClient().call — Bitrix24 errors', () => {
  it.each([
    ['QUERY_LIMIT_EXCEEDED', 503, RateLimitedError, 'rate_limited'],
    ['OVERLOAD_LIMIT', 503, RateLimitedError, 'rate_limited'],
    ['expired_token', 401, AuthError, 'auth'],
    ['NO_AUTH_FOUND', 401, AuthError, 'auth'],
    ['INVALID_CREDENTIALS', 403, AuthError, 'auth'],
    ['PORTAL_DELETED', 500, PermanentError, 'permanent'],
    ['PORTAL_DELETED', 403, PermanentError, 'permanent'],
    ['portal_deleted', 403, PermanentError, 'permanent'],
    ['BOT_ID_ERROR', 400, PermanentError, 'permanent'],
    ['IFRAME_HTTPS', 400, PermanentError, 'permanent'],
    ['ACCESS_DENIED', 403, PermanentError, 'permanent'],
    ['INTERNAL_SERVER_ERROR', 500, TransientError, 'transient'],
    ['WRONG_REQUEST', 400, TransientError, 'transient'],
    ['SOMETHING_NEW', 503, TransientError, 'transient'],
    ['SOMETHING_NEW', 404, PermanentError, 'permanent'],
  ] as const)('turns %s at HTTP %s into %o (%s)', async (code, status, type, errorClass) => {
    const server = await serve((_request, res) =>
      sendJson(res, status, { error: code, error_description: `says ${code}` }),
    );
    const error = await failure(client().call(oauth(server), 'imbot.app.register', PARAMS));
    expect(error).toBeInstanceOf(type);
    expect(error.errorClass).toBe(errorClass);
    expect(error.code).toBe(code);
    expect(error.description).toBe(`says ${code}`);
    expect(error.httpStatus).toBe(status);
    expect(error.method).toBe('imbot.app.register');
  });

  it('reads rate-limit details: query limit and the OPERATION_TIME_LIMIT reset time in ms', async () => {
    const server = await serve((request, res) =>
      request.url.includes('slow')
        ? sendJson(res, 429, {
            error: 'OPERATION_TIME_LIMIT',
            error_description: 'Method is blocked due to operation time limit.',
            time: { operating: 481.2, operating_reset_at: 1_700_000_123 },
          })
        : sendJson(res, 503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }),
    );
    const blocked = await failure(client().call(oauth(server), 'slow.method', {}));
    expect(blocked).toBeInstanceOf(RateLimitedError);
    expect((blocked as RateLimitedError).limit).toBe('operation_time');
    expect((blocked as RateLimitedError).retryAt).toBe(1_700_000_123_000);

    const limited = await failure(client().call(oauth(server), 'imbot.app.register', {}));
    expect((limited as RateLimitedError).limit).toBe('query_limit');
    expect((limited as RateLimitedError).retryAt).toBeUndefined();
  });

  it('treats HTTP 200 with an error body as that error', async () => {
    const server = await serve((_request, res) =>
      sendJson(res, 200, {
        error: 'expired_token',
        error_description: 'The access token provided has expired.',
      }),
    );
    const error = await failure(client().call(oauth(server), 'imbot.app.register', {}));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).reason).toBe('expired_token');
    expect(error.httpStatus).toBe(200);
  });

  it.each([
    ['an OAuth', 'INVALID_CREDENTIALS', 403, 'invalid_credentials'],
    ['an OAuth', 'NO_AUTH_FOUND', 401, 'invalid_token'],
    ['a webhook', 'INVALID_CREDENTIALS', 403, 'invalid_credentials'],
    ['a webhook', 'NO_AUTH_FOUND', 401, 'invalid_credentials'],
  ] as const)(
    'tells from %s call refused with %s whether a refresh can help (reason %s)',
    async (kind, code, status, reason) => {
      const server = await serve((_request, res) =>
        sendJson(res, status, { error: code, error_description: 'Invalid request credentials' }),
      );
      const target = kind === 'an OAuth' ? oauth(server) : webhook(server, 'app.64f0c1');
      const error = await failure(client().call(target, 'imbot.app.register', PARAMS));
      expect(error).toBeInstanceOf(AuthError);
      expect(error.errorClass).toBe('auth');
      expect((error as AuthError).reason).toBe(reason);
    },
  );

  it("keeps the request's HASH (top level and in FIELDS, also cut to 32 characters) out of every error", async () => {
    const registerHash = 'f3a9c1d27b8e4f60a5d2c9e1b7f04a3d1122'; // 36 characters: register stores the first 32
    const updateHash = '9b1e7c4d2a6f8e0c3b5d7a9f1e2c4b6d';
    // WRONG_REQUEST dumps every field as the server stored it (docs/bitrix24.md, "What the server checks on register").
    const server = await serve((request, res) => {
      const body = JSON.parse(request.body) as { HASH?: string; FIELDS?: { HASH?: string } };
      const hash = body.HASH ?? body.FIELDS?.HASH ?? '';
      sendJson(res, 400, {
        error: 'WRONG_REQUEST',
        error_description: `Array ( [HASH] => ${hash.slice(0, 32)} [IFRAME] => https://a.example/? ) request ${request.body} hash=${hash}`,
      });
    });
    const register = await failure(
      client().call(oauth(server), 'imbot.app.register', {
        ...PARAMS,
        IFRAME: 'https://a.example/',
        HASH: registerHash,
      }),
    );
    const update = await failure(
      client().call(webhook(server, 'app.1'), 'imbot.app.update', {
        APP_ID: 5,
        FIELDS: { HASH: updateHash },
      }),
    );
    for (const error of [register, update]) {
      expect(error.code).toBe('WRONG_REQUEST');
      expect(error.description).toContain('[HASH] => ***');
      for (const text of [error.message, error.description, String(error), JSON.stringify(error)]) {
        for (const secret of [registerHash, registerHash.slice(0, 32), updateHash])
          expect(text).not.toContain(secret);
      }
    }
    expect(register.description).toContain('[IFRAME] => https://a.example/?');
  });

  it('keeps an error description that echoes the token out of every message', async () => {
    const server = await serve((request, res) =>
      sendJson(res, 400, {
        error: 'WRONG_REQUEST',
        error_description: `cannot use ${request.body} (auth=${TOKEN})`,
      }),
    );
    const error = await failure(client().call(oauth(server), 'imbot.app.register', {}));
    expect(error.description).toContain('"auth":"***"');
  });
});

describe('createRestClient().call — unusable answers', () => {
  it('turns an HTML 502 page into INVALID_RESPONSE with the status and the first 200 characters', async () => {
    const page = `<html><head><title>502 Bad Gateway</title></head><body>${'x'.repeat(500)} ${TOKEN}</body></html>`;
    const server = await serve((_request, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(page);
    });
    const error = await failure(client().call(oauth(server), 'imbot.app.register', {}));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.httpStatus).toBe(502);
    expect(error.description).toBe(`HTTP 502 answer is not JSON: ${page.slice(0, 200)}…`);
  });

  it('turns truncated JSON into INVALID_RESPONSE', async () => {
    const server = await serve((_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"result": {"APP_ID": 4');
    });
    const error = await failure(client().call(oauth(server), 'imbot.app.register', {}));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.description).toBe('HTTP 200 answer is not JSON: {"result": {"APP_ID": 4');
  });

  it('turns a JSON answer without result into INVALID_RESPONSE', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, { time: { operating: 0 } }));
    const error = await failure(client().call(oauth(server), 'imbot.app.register', {}));
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.errorClass).toBe('transient');
  });

  it('turns a JSON array and an empty body into INVALID_RESPONSE', async () => {
    const server = await serve((request, res) => {
      if (request.url.includes('array')) sendJson(res, 200, [1]);
      else res.end();
    });
    expect((await failure(client().call(oauth(server), 'array.method', {}))).code).toBe('INVALID_RESPONSE');
    const empty = await failure(client().call(oauth(server), 'empty.method', {}));
    expect(empty.code).toBe('INVALID_RESPONSE');
    expect(empty.description).toBe('HTTP 200 answer is not JSON: (empty body)');
  });

  it('names an unknown JSON error body HTTP_<status> and classifies it by status', async () => {
    const server = await serve((request, res) =>
      sendJson(res, request.url.includes('gone') ? 410 : 504, { message: 'oops' }),
    );
    const gateway = await failure(client().call(oauth(server), 'x.gateway', {}));
    expect(gateway).toBeInstanceOf(TransientError);
    expect(gateway.code).toBe('HTTP_504');
    const gone = await failure(client().call(oauth(server), 'x.gone', {}));
    expect(gone).toBeInstanceOf(PermanentError);
    expect(gone.code).toBe('HTTP_410');
  });

  it.each([
    ['with Content-Length', true],
    ['chunked', false],
  ])('refuses a body over 1 MiB (%s) with INVALID_RESPONSE', async (_label, declared) => {
    const huge = `{"result":"${'a'.repeat(2 * 1024 * 1024)}"}`;
    const server = await serve((_request, res) => {
      res.writeHead(200, declared ? { 'content-length': Buffer.byteLength(huge) } : {});
      res.end(huge);
    });
    const rest = client();
    const error = await failure(rest.call(oauth(server), 'imbot.app.register', {}));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.description).toBe('HTTP 200 answer larger than 1048576 bytes');
  });

  it('applies a smaller maxResponseBytes', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, { result: 'x'.repeat(200) }));
    const error = await failure(client({ maxResponseBytes: 100 }).call(oauth(server), 'a.b', {}));
    expect(error.code).toBe('INVALID_RESPONSE');
  });

  it('does not follow a redirect (the token would go along) and reports it as permanent', async () => {
    const server = await serve((_request, res) => {
      res.writeHead(301, {
        location: `https://moved.example/rest/1/${WEBHOOK_CODE}/imbot.app.register.json`,
      });
      res.end();
    });
    const error = await failure(client().call(webhook(server), 'imbot.app.register', {}));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.code).toBe('HTTP_301');
    expect(error.description).toContain('https://moved.example/rest/1/***/');
    expect(server.requests).toHaveLength(1);
  });
});

describe('createRestClient().call — transport failures', () => {
  it('turns a server that never answers into AmbiguousError TIMEOUT', async () => {
    const server = await serve(() => undefined);
    const started = Date.now();
    const error = await failure(client({ timeoutMs: 300 }).call(oauth(server), 'imbot.app.register', PARAMS));
    expect(error).toBeInstanceOf(AmbiguousError);
    expect(error.code).toBe('TIMEOUT');
    expect(error.httpStatus).toBeUndefined();
    expect(error.description).toContain('no complete answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });

  it('turns a body that stalls past the timeout into AmbiguousError TIMEOUT', async () => {
    const server = await serve((_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"result":');
    });
    const error = await failure(client({ timeoutMs: 300 }).call(oauth(server), 'imbot.app.register', {}));
    expect(error).toBeInstanceOf(AmbiguousError);
    expect(error.code).toBe('TIMEOUT');
  });

  it('turns a connection closed after the request was read into AmbiguousError CONNECTION_RESET; the next call works', async () => {
    const server = await serve((_request, res, req) => {
      if (server.requests.length === 2) req.socket.destroy();
      else sendJson(res, 200, { result: server.requests.length });
    });
    const rest = client();
    const pause = () => new Promise((resolve) => setTimeout(resolve, 50));
    expect((await rest.call(oauth(server), 'imbot.app.register', PARAMS)).result).toBe(1);
    await pause();
    const error = await failure(rest.call(oauth(server), 'imbot.app.register', PARAMS));
    expect(error).toBeInstanceOf(AmbiguousError);
    expect(error.code).toBe('CONNECTION_RESET');
    expect(error.httpStatus).toBeUndefined();
    expect(error.cause).toBeInstanceOf(Error);
    await pause();
    expect((await rest.call(oauth(server), 'imbot.app.register', PARAMS)).result).toBe(3);
    // The kept-alive connection carried call 2 and died with it; call 3 came on a fresh one.
    expect(server.requests.map((request) => request.connection)).toEqual([1, 1, 2]);
  });

  it('turns a connection closed half-way through the body into AmbiguousError CONNECTION_RESET', async () => {
    const server = await serve((_request, res, req) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"result":');
      setTimeout(() => req.socket.destroy(), 20);
    });
    const error = await failure(client().call(oauth(server), 'imbot.app.register', {}));
    expect(error).toBeInstanceOf(AmbiguousError);
    expect(error.code).toBe('CONNECTION_RESET');
    expect(error.description).toContain('while reading the answer');
  });

  it('turns a refused connection into TransientError NETWORK_ERROR', async () => {
    const port = await freePort();
    const target: PortalTarget = {
      kind: 'webhook',
      webhookUrl: `http://127.0.0.1:${port}/rest/1/${WEBHOOK_CODE}/`,
    };
    const error = await failure(client().call(target, 'imbot.app.register', {}));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.description).toContain('ECONNREFUSED');
    expect(error.httpStatus).toBeUndefined();
  });
});

describe('createRestClient().call — refused before sending', () => {
  it('refuses an http:// portal unless allowHttp, without sending anything', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, { result: 1 }));
    const error = await failure(client({ allowHttp: false }).call(webhook(server), 'imbot.app.register', {}));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.code).toBe('INSECURE_URL');
    expect(server.requests).toHaveLength(0);
    expect((await client({ allowHttp: true }).call(webhook(server), 'imbot.app.register', {})).result).toBe(
      1,
    );
  });

  it('refuses a method name that is not one', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, { result: 1 }));
    for (const method of ['../admin', 'imbot.app.register?x=1', '', 'a..b']) {
      const error = await failure(client().call(oauth(server), method, {}));
      expect(error).toBeInstanceOf(PermanentError);
      expect(error.code).toBe('INVALID_CALL');
    }
    expect(server.requests).toHaveLength(0);
  });

  it('refuses params that cannot be serialised and a URL that is not one', async () => {
    const circular: { self?: unknown } = {};
    circular.self = circular;
    const server = await serve((_request, res) => sendJson(res, 200, { result: 1 }));
    expect((await failure(client().call(oauth(server), 'a.b', circular))).code).toBe('INVALID_CALL');
    const bad: PortalTarget = { kind: 'oauth', restUrl: 'not a url', accessToken: TOKEN };
    expect((await failure(client().call(bad, 'a.b', {}))).code).toBe('INVALID_CALL');
    expect(server.requests).toHaveLength(0);
  });

  it('rejects a non-positive timeout at construction', () => {
    expect(() => createRestClient({ timeoutMs: 0, allowHttp: false })).toThrow(RangeError);
  });
});
