import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { portalsFileSchema } from '../../src/portals/portal-entry-schema.js';
import { createSourceHealth } from '../../src/tokens/source-health.js';
import { createTokenSourceClient, sourceStaleHash } from '../../src/tokens/token-source-client.js';
import { TokenSourceError } from '../../src/tokens/token-source-error.js';
import { useOwnedResources } from '../support/own-resources.js';
import { installLeakCheck } from '../support/redis.js';
import { startSimBackedSource } from '../support/start-sim-backed-source.js';
import type { SourceReply, SourceRequest } from '../support/start-token-source.js';
import { accessTokenOf, CLIENT_ID, CLIENT_SECRET, type TokenEnv, useTokenEnvs } from './support/token-env.js';

installLeakCheck();
const own = useOwnedResources();
const startTokenEnv = useTokenEnvs();

const SECRET = 'source-secret-0123456789';
const DOMAIN = 'borrowed.sim.test';
const OTHER = 'borrowed-too.sim.test';

/** The simulator's portals imported as source portals (nothing of their OAuth pair is stored). */
async function asSourcePortals(env: TokenEnv): Promise<void> {
  const entries = portalsFileSchema({ allowHttp: true, allowHosts: ['127.0.0.1'], tokenSource: true }).parse(
    env.sim.portalsFile().map((entry) => ({ ...entry, auth: { type: 'source' } })),
  );
  await env.store.importPortals(entries);
}

function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines, text: () => JSON.stringify(lines) };
}

async function setup(
  override?: (request: SourceRequest) => SourceReply | undefined,
  seeds = [{ domain: DOMAIN }, { domain: OTHER }],
) {
  const env = await startTokenEnv(seeds);
  await asSourcePortals(env);
  const source = await startSimBackedSource(
    own,
    env.sim,
    { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    override,
  );
  const client = createTokenSourceClient({ url: source.url, secret: SECRET, timeoutMs: 2_000 });
  const logs = captureLogs();
  const manager = () => env.manager({ source: client, logger: logs.logger, waitPollMs: 10 });
  return { env, source, client, manager, logs };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('source portals: stored without tokens', () => {
  it('stores auth type source, no refresh token, and keeps the portal out of keep-alive', async () => {
    const { env } = await setup();
    const stored = await env.store.get(DOMAIN);
    expect(stored?.auth).toEqual({ type: 'source' });
    const raw = await env.redis.hgetall(env.keys.portal(DOMAIN));
    expect(raw['refreshToken']).toBe('');
    expect(raw['accessToken']).toBe('');
    expect(await env.redis.zscore(env.keys.keepAliveDue, DOMAIN)).toBeNull();
    expect(await env.redis.zscore(env.keys.credentialsByRefresh, DOMAIN)).toBeNull();
  });
});

describe('source portals: the token comes from the source, once across workers', () => {
  it('many callers on several workers: one request to the source, one cached token, no OAuth refresh', async () => {
    const { env, source, manager } = await setup();
    const managers = [manager(), manager(), manager()];
    const targets = await Promise.all(
      Array.from({ length: 12 }, (_, i) => managers[i % 3]?.targetFor(DOMAIN) ?? Promise.reject()),
    );
    const tokens = new Set(targets.map(accessTokenOf));
    expect(tokens.size).toBe(1);
    expect(source.requests.filter((r) => r.domain === DOMAIN)).toHaveLength(1);
    // The token only ever goes to the portal's own REST address.
    for (const { target } of targets) {
      expect(target).toMatchObject({ kind: 'oauth', restUrl: env.sim.portalsFile()[0]?.restUrl });
    }
    // Cached sealed-or-not under the portal's own tag; a later call asks nobody.
    expect(await env.redis.pttl(env.keys.sourceToken(DOMAIN))).toBeGreaterThan(0);
    await managers[0]?.targetFor(DOMAIN);
    expect(source.requests).toHaveLength(1);
    expect(env.sim.stats().refreshes).toBe(0);
  });

  it('after the portal refused a token: exactly one forced request with its hash, across workers', async () => {
    const { env, source, manager } = await setup();
    const managers = [manager(), manager()];
    const first = accessTokenOf(await (managers[0]?.targetFor(DOMAIN) ?? Promise.reject()));
    const results = await Promise.all(
      Array.from(
        { length: 8 },
        (_, i) => managers[i % 2]?.refreshAfterRejected(DOMAIN, first) ?? Promise.reject(),
      ),
    );
    const forced = source.requests.filter((r) => r.forceRefresh === '1');
    expect(forced).toHaveLength(1);
    expect(forced[0]?.stale).toBe(sourceStaleHash(first));
    const fresh = new Set(results.map(accessTokenOf));
    expect(fresh.size).toBe(1);
    expect(fresh.has(first)).toBe(false);
    expect(source.refreshes()).toBe(1);
    // The same refused token reported again later: no second forced request.
    await managers[1]?.refreshAfterRejected(DOMAIN, first);
    expect(source.requests.filter((r) => r.forceRefresh === '1')).toHaveLength(1);
    expect(env.sim.stats().invalidGrants).toBe(0);
  });

  it('a source that hands the refused token back: asked with force once, never again for that token', async () => {
    let handed = 0;
    const { source, manager } = await setup((request) =>
      request.domain === DOMAIN
        ? { status: 200, body: { access_token: 'always-the-same', expires_in: 3600, n: handed++ } }
        : undefined,
    );
    const m = manager();
    await m.targetFor(DOMAIN);
    for (let i = 0; i < 3; i++)
      expect(accessTokenOf(await m.refreshAfterRejected(DOMAIN, 'always-the-same'))).toBe('always-the-same');
    expect(source.requests.filter((r) => r.forceRefresh === '1')).toHaveLength(1);
    expect(source.requests).toHaveLength(2);
  });
});

describe('source portals: bad answers', () => {
  it('404: the portal is parked needs_reauth with the reason, the token never asked for again', async () => {
    const { env, source, manager } = await setup((r) => (r.domain === DOMAIN ? { status: 404 } : undefined));
    const error = await rejectionOf(manager().targetFor(DOMAIN));
    expect(error).toMatchObject({ name: 'ReauthRequiredError', code: 'TOKEN_SOURCE_NOT_KNOWN' });
    const stored = await env.store.get(DOMAIN);
    expect(stored?.state).toBe('needs_reauth');
    expect(stored?.stateReason).toContain('does not know this portal');
    await rejectionOf(manager().targetFor(DOMAIN));
    expect(source.requests).toHaveLength(1);
    // The other portal is unaffected, and the source's health stays ok.
    await manager().targetFor(OTHER);
    expect((await createSourceHealth({ redis: env.redis, keys: env.keys }).read())?.state).toBe('ok');
  });

  it('a re-import lifts the park of a source portal', async () => {
    let known = false;
    const { env, manager } = await setup((r) =>
      r.domain === DOMAIN && !known ? { status: 404 } : undefined,
    );
    await rejectionOf(manager().targetFor(DOMAIN));
    known = true;
    await asSourcePortals(env);
    expect((await env.store.get(DOMAIN))?.state).toBe('active');
    await manager().targetFor(DOMAIN);
  });

  it('401: one error logged, every source portal paused without further requests, health says refused', async () => {
    const { env, source, manager, logs } = await setup(() => ({ status: 401 }));
    const managers = [manager(), manager()];
    const errors = [];
    for (let i = 0; i < 4; i++)
      errors.push(await rejectionOf(managers[i % 2]?.targetFor(i % 2 ? OTHER : DOMAIN) ?? Promise.reject()));
    for (const error of errors) {
      expect(error).toBeInstanceOf(TokenSourceError);
      expect(error).toMatchObject({ failure: 'refused', code: 'TOKEN_SOURCE_REFUSED' });
      expect((error as TokenSourceError).retryAt).toBeGreaterThan(Date.now());
    }
    expect(source.requests).toHaveLength(1);
    const errorsLogged = logs.lines.filter((l) => l['level'] === 50);
    expect(errorsLogged).toHaveLength(1);
    expect(String(errorsLogged[0]?.['msg'])).toContain('ROLLOUT_TOKEN_SOURCE_SECRET');
    expect(logs.text()).not.toContain(SECRET);
    const health = await createSourceHealth({ redis: env.redis, keys: env.keys }).read();
    expect(health).toMatchObject({ state: 'refused', code: 'TOKEN_SOURCE_REFUSED' });
    // Nothing was parked: the pairs only wait.
    expect((await env.store.get(DOMAIN))?.state).toBe('active');
  });

  it('500: transient, failures in a row counted, nothing parked; the next good answer makes it ok', async () => {
    let failing = true;
    const { env, manager } = await setup(() => (failing ? { status: 500 } : undefined));
    const m = manager();
    const first = await rejectionOf(m.targetFor(DOMAIN));
    const second = await rejectionOf(m.targetFor(DOMAIN));
    expect(first).toMatchObject({ failure: 'unavailable', failures: 1 });
    expect(second).toMatchObject({ failure: 'unavailable', failures: 2 });
    const health = createSourceHealth({ redis: env.redis, keys: env.keys });
    expect(await health.read()).toMatchObject({ state: 'unavailable', failures: 2 });
    expect((await env.store.get(DOMAIN))?.state).toBe('active');
    failing = false;
    await m.targetFor(DOMAIN);
    expect(await health.read()).toMatchObject({ state: 'ok', failures: 0 });
  });

  it('a token for another member_id: refused, never cached or used, the portal parked with the reason', async () => {
    const { env, manager } = await setup((r) =>
      r.domain === DOMAIN
        ? {
            status: 200,
            body: { access_token: 'someone-elses', expires_in: 3600, member_id: 'another-member' },
          }
        : undefined,
    );
    const error = await rejectionOf(manager().targetFor(DOMAIN));
    expect(error).toMatchObject({ name: 'ReauthRequiredError', code: 'TOKEN_SOURCE_MISMATCH' });
    expect(await env.redis.exists(env.keys.sourceToken(DOMAIN))).toBe(0);
    const stored = await env.store.get(DOMAIN);
    expect(stored?.state).toBe('needs_reauth');
    expect(stored?.stateReason).toContain('member_id another-member');
  });

  it('a token whose client_endpoint is another host: refused the same way', async () => {
    const { env, manager } = await setup((r) =>
      r.domain === DOMAIN
        ? {
            status: 200,
            body: {
              access_token: 'x',
              expires_in: 3600,
              client_endpoint: 'https://elsewhere.example.com/rest/',
            },
          }
        : undefined,
    );
    expect(await rejectionOf(manager().targetFor(DOMAIN))).toMatchObject({ code: 'TOKEN_SOURCE_MISMATCH' });
    expect((await env.store.get(DOMAIN))?.stateReason).toContain('elsewhere.example.com');
  });

  it('never logs the token or the secret', async () => {
    const { manager, logs } = await setup();
    const token = accessTokenOf(await manager().targetFor(DOMAIN));
    await manager().refreshAfterRejected(DOMAIN, token);
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(logs.text()).not.toContain(token);
    expect(logs.text()).not.toContain(SECRET);
  });
});
