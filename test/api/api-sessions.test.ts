import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { apiTokenProblem } from '../../src/api/api-token-problem.js';

import { buildApi, UnsafeBindError } from '../../src/api/build-api.js';
import type { Config } from '../../src/config/config-schema.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.js';
import { configErrorOf } from '../support/config-error-of.js';
import { keysMatching } from '../support/keys-matching.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';
import { runCli } from '../support/run-cli.js';

const REPEATED_WORD =
  'repeats a word (the words between "-", "_", "." and other separators must all differ, ignoring case): a placeholder is not a secret';
const PLACEHOLDER_WORD =
  'contains a placeholder word ("changeme", "password", "example", "placeholder", "replaceme"): a placeholder is not a secret';
const REPEATED_RUNS =
  'is mostly repeated runs (at least 3 in 4 of its 3-character runs must differ): a pattern is not a secret';

const TOKEN = 'sessions-token-0123456789';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

let runtime: Runtime | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  await runtime?.close();
  runtime = undefined;
});

/** A runtime on a fresh prefix, its Redis connection ready (the API answers 503 until it is). */
async function newRuntime(overrides: Record<string, unknown> = {}): Promise<Runtime> {
  const config: Config = loadConfig(
    {},
    { redisUrl: testRedisUrl(), prefix: uniquePrefix('api'), logLevel: 'silent', ...overrides },
  );
  runtime = createRuntime({ config, logger: pino({ level: 'silent' }) });
  await runtime.redis.ping();
  return runtime;
}

async function logIn(api: FastifyInstance, headers: Record<string, string> = {}) {
  const res = await api.inject({
    method: 'POST',
    url: '/login',
    headers: { ...FORM, ...headers },
    payload: `token=${encodeURIComponent(TOKEN)}`,
  });
  expect(res.statusCode).toBe(303);
  const setCookie = String(res.headers['set-cookie']);
  return { setCookie, cookie: setCookie.split(';')[0] as string };
}

describe('API token strength', () => {
  it.each([
    ['16 spaces', ' '.repeat(16), 'contains whitespace or control characters'],
    ['one repeated letter', 'a'.repeat(16), 'has only 1 different characters (at least 10 are needed)'],
    ['three letters repeated', 'abc'.repeat(8), 'has only 3 different characters (at least 10 are needed)'],
    [
      'nine distinct, long',
      '123456789'.repeat(3),
      'has only 9 different characters (at least 10 are needed)',
    ],
    ['15 characters', 'Ab3$efGh1jkLmn0', 'is shorter than 16 characters'],
    ['a space inside', 'abcdefgh ijklmnopq', 'contains whitespace or control characters'],
    ['a line break at the end', 'abcdefghijklmnopq\n', 'contains whitespace or control characters'],
    ['a tab', 'abcdefgh\tijklmnopq', 'contains whitespace or control characters'],
    ['an escape character', 'abcdefgh\u001bijklmnopq', 'contains whitespace or control characters'],
    ['a repeated word (issue 19)', 'changeme-changeme-please', REPEATED_WORD],
    ['a repeated word, any case', 'Rollout_Secret.rollout-2026x', REPEATED_WORD],
    ['a placeholder word', 'please-changeme-now-0123456789', PLACEHOLDER_WORD],
    ['a repeated run', 'abcdefghijabcdefghij', REPEATED_RUNS],
    ['a passphrase of different words', 'correct-horse-battery-staple', undefined],
    ['16 distinct', 'abcdefghijklmnop', undefined],
    ['openssl rand -base64 32', 'q8Jx1R0m+Qk3dW9/0bTnYc2V5pLr7sZa4uEh6GfNiKo=', undefined],
    ['openssl rand -hex 32', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', undefined],
  ])('%s', (_name, token, problem) => {
    expect(apiTokenProblem(token)).toBe(problem);
  });

  it.each([' '.repeat(16), 'a'.repeat(16), 'abcabcabcabcabca'])(
    'buildApi refuses the weak token %j with a hint, without quoting it',
    async (token) => {
      const error = await buildApi(await newRuntime(), { host: '127.0.0.1', token }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsafeBindError);
      const message = (error as Error).message;
      expect(message).toMatch(/^ROLLOUT_API_TOKEN (contains whitespace|has only \d+ different characters)/);
      expect(message).toContain('make one with `openssl rand -base64 32`');
      expect(message).not.toContain(token);
    },
  );

  it('`serve` with a weak token exits 2 with one line and the hint, before listening', async () => {
    const { code, stdout, stderr } = await runCli(['serve', '--host', '0.0.0.0', '--port', '0'], {
      REDIS_URL: testRedisUrl(),
      ROLLOUT_PREFIX: uniquePrefix('cli'),
      ROLLOUT_API_TOKEN: 'aaaaaaaaaaaaaaaa',
    });
    expect(code).toBe(2);
    expect(stderr).toBe(
      'imbot-rollout: ROLLOUT_API_TOKEN has only 1 different characters (at least 10 are needed): ' +
        'make one with `openssl rand -base64 32`\n',
    );
    expect(stdout).toBe('');
  });
});

describe('login sessions', () => {
  it('are kept in Redis and revoked by logout: the old cookie then gets 401, other sessions live on', async () => {
    const rt = await newRuntime();
    app = await buildApi(rt, { host: '127.0.0.1', token: TOKEN });
    const first = await logIn(app);
    const second = await logIn(app);
    expect(first.cookie).not.toBe(second.cookie);
    expect(first.setCookie).not.toContain(TOKEN);
    const sessionKeys = () => keysMatching(rt.redis, rt.keys.apiSession('*'));
    expect(await sessionKeys()).toHaveLength(2);
    const get = (cookie: string) => app?.inject({ method: 'GET', url: '/api/progress', headers: { cookie } });
    expect((await get(first.cookie))?.statusCode).toBe(200);

    const logout = await app.inject({ method: 'POST', url: '/logout', headers: { cookie: first.cookie } });
    expect(logout.statusCode).toBe(303);
    expect(logout.headers.location).toBe('/login');
    expect(String(logout.headers['set-cookie'])).toMatch(/imbot_rollout_session=;.*Expires=Thu, 01 Jan 1970/);
    // A copy of the cookie kept after logout (another tab, a stolen copy) no longer works.
    expect((await get(first.cookie))?.statusCode).toBe(401);
    const page = await app.inject({
      method: 'GET',
      url: '/',
      headers: { cookie: first.cookie, accept: 'text/html' },
    });
    expect(page.statusCode).toBe(302);
    expect(page.headers.location).toBe('/login?next=%2F');
    expect((await get(second.cookie))?.statusCode).toBe(200);
    expect(await sessionKeys()).toHaveLength(1);
    // Redis keeps a hash of the session id, never the cookie's id itself.
    const [key] = await sessionKeys();
    expect(key).not.toContain(second.cookie.split('=')[1]?.split('.')[0]);
    expect(Number(await rt.redis.pttl(String(key)))).toBeGreaterThan(11 * 60 * 60 * 1000);
  });

  it('refuse a forged or altered cookie, and one signed for another token', async () => {
    const rt = await newRuntime();
    app = await buildApi(rt, { host: '127.0.0.1', token: TOKEN });
    const { cookie } = await logIn(app);
    const [name, value = ''] = cookie.split('=');
    const [id = '', signature = ''] = value.split('.');
    const flip = (s: string) => `${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
    for (const forged of [`${flip(id)}.${signature}`, `${id}.${flip(signature)}`, id, `${id}.`, 'x.y']) {
      const res = await app.inject({
        method: 'GET',
        url: '/api/progress',
        headers: { cookie: `${name}=${forged}` },
      });
      expect(res.statusCode, forged).toBe(401);
    }
    await app.close();
    // The same Redis session under a new token: the HMAC no longer matches.
    app = await buildApi(rt, { host: '127.0.0.1', token: 'another-token-0123456789' });
    expect((await app.inject({ method: 'GET', url: '/api/progress', headers: { cookie } })).statusCode).toBe(
      401,
    );
  });
});

describe('behind a TLS proxy (trustProxy)', () => {
  it('reads ROLLOUT_TRUST_PROXY as a flag or a list of proxy addresses, and refuses anything else', () => {
    expect(loadConfig({}).api.trustProxy).toBe(false);
    expect(loadConfig({ ROLLOUT_TRUST_PROXY: '1' }).api.trustProxy).toBe(true);
    expect(loadConfig({ ROLLOUT_TRUST_PROXY: 'off' }).api.trustProxy).toBe(false);
    expect(loadConfig({ ROLLOUT_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1' }).api.trustProxy).toBe(
      '127.0.0.1, 10.0.0.0/8,::1',
    );
    for (const bad of ['proxy.example.com', '10.0.0.0/33', '127.0.0.1/8/1', '2']) {
      expect(configErrorOf(() => loadConfig({ ROLLOUT_TRUST_PROXY: bad })).message, bad).toContain(
        'api.trustProxy (ROLLOUT_TRUST_PROXY)',
      );
    }
  });

  it.each([
    [false, { 'x-forwarded-proto': 'https' }, false],
    ['127.0.0.1', {}, false],
    ['127.0.0.1', { 'x-forwarded-proto': 'https' }, true],
    ['10.9.9.9', { 'x-forwarded-proto': 'https' }, false], // not from the trusted proxy
    [true, { 'x-forwarded-proto': 'https' }, true],
  ] as const)('trustProxy %j with %j: Secure cookie %s', async (trustProxy, headers, secure) => {
    app = await buildApi(await newRuntime(), { host: '127.0.0.1', token: TOKEN, trustProxy });
    const { setCookie } = await logIn(app, headers);
    expect(setCookie.includes('; Secure'), setCookie).toBe(secure);
    expect(setCookie).toContain('HttpOnly');
  });

  it('takes the trust setting from the config, and judges same-origin writes by the forwarded host', async () => {
    app = await buildApi(
      await newRuntime({ api: { port: 3000, host: '127.0.0.1', trustProxy: '127.0.0.1' } }),
      {
        host: '127.0.0.1',
        token: TOKEN,
      },
    );
    const { setCookie, cookie } = await logIn(app, { 'x-forwarded-proto': 'https' });
    expect(setCookie).toContain('; Secure');
    // The browser is on https://rollout.example.com; the proxy reaches us as 127.0.0.1:3000.
    const post = (headers: Record<string, string>) =>
      app?.inject({
        method: 'POST',
        url: '/api/retry-failed',
        headers: {
          cookie,
          host: '127.0.0.1:3000',
          origin: 'https://rollout.example.com',
          'content-type': 'application/json',
          ...headers,
        },
        payload: '{}',
      });
    expect((await post({ 'x-forwarded-host': 'rollout.example.com' }))?.statusCode).not.toBe(403);
    expect((await post({}))?.statusCode).toBe(403);
    expect((await post({ 'x-forwarded-host': 'evil.example' }))?.statusCode).toBe(403);
  });
});
