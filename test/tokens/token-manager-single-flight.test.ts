import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createPortalStore, type StoredPortal } from '../../src/store/portal-store.js';
import { installLeakCheck, testRedisEnv } from '../support/redis.js';
import { type CliProcess, spawnCli } from '../support/run-cli.js';
import { accessTokenOf, CLIENT_ID, CLIENT_SECRET, type TokenEnv, useTokenEnvs } from './support/token-env.js';

installLeakCheck();
const startTokenEnv = useTokenEnvs();

const DOMAIN = 'single.sim.test';
const WORKER = fileURLToPath(new URL('./fixtures/refresh-worker.ts', import.meta.url));

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Starts the fixture worker and resolves once it printed `ready`; `result()` resolves with its JSON line. */
async function startWorker(
  owner: TokenEnv,
  env: Record<string, string>,
): Promise<{
  child: CliProcess['child'];
  result: Promise<{ hashes: string[] }>;
}> {
  const cli = spawnCli([], env, { entry: WORKER, stdin: true });
  owner.adopt(`worker:${cli.pid}`, cli, (c) => c.stop());
  const { child, stderr } = cli;
  const lines = createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.value !== 'ready') throw new Error(`worker did not start: ${stderr()}`);
  const result = (async () => {
    const next = await iterator.next();
    if (next.done) throw new Error(`worker ended without a result: ${stderr()}`);
    return JSON.parse(next.value) as { hashes: string[] };
  })();
  return { child, result };
}

describe('token manager: one refresh per expiry across workers', () => {
  it('50 concurrent rejections over 3 managers with their own connections refresh once, all get the new token', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN, accessTokenExpired: true }]);
    const rejected = await env.storedAccessToken(DOMAIN);
    const before = await env.store.get(DOMAIN);
    const managers = [env.manager(), env.manager(), env.manager()];

    // Staggered over ~30 ms, so callers arrive before, during and after the refresh.
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        await delay((i % 10) * 3);
        return managers[i % 3]?.refreshAfterRejected(DOMAIN, rejected);
      }),
    );

    expect(env.sim.portal(DOMAIN).refreshes).toBe(1);
    expect(env.sim.stats().invalidGrants).toBe(0);
    const current = env.sim.portal(DOMAIN);
    const tokens = new Set(results.map((r) => (r === undefined ? '' : accessTokenOf(r))));
    expect([...tokens]).toEqual([current.currentAccessToken]);
    const stored = await env.store.get(DOMAIN);
    expect(stored?.auth).toMatchObject({
      type: 'oauth',
      accessToken: current.currentAccessToken,
      refreshToken: current.currentRefreshToken,
    });
    expect(stored?.credVersion).toBe((before?.credVersion ?? 0) + 1);
    expect(await env.redis.exists(env.keys.refreshLock(DOMAIN))).toBe(0);
  });

  it('3 worker processes rejecting the same token at once refresh once and store the new pair', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN, accessTokenExpired: true }]);
    const rejected = await env.storedAccessToken(DOMAIN);
    const workers = await Promise.all(
      [1, 2, 3].map(() =>
        startWorker(env, {
          ...testRedisEnv(),
          PREFIX: env.prefix,
          DOMAIN,
          OAUTH_URL: env.sim.oauthUrl,
          CLIENT_ID,
          CLIENT_SECRET,
          REJECTED: rejected,
          CALLS: '17',
        }),
      ),
    );
    for (const worker of workers) worker.child.stdin?.write('go\n');
    const outputs = await Promise.all(workers.map((w) => w.result));
    await Promise.all(
      workers.map((w) =>
        w.child.exitCode === null ? new Promise((r) => w.child.once('exit', r)) : undefined,
      ),
    );

    expect(env.sim.portal(DOMAIN).refreshes).toBe(1);
    expect(env.sim.stats().invalidGrants).toBe(0);
    const current = env.sim.portal(DOMAIN);
    const hashes = new Set(outputs.flatMap((o) => o.hashes));
    expect(outputs.flatMap((o) => o.hashes)).toHaveLength(51);
    expect([...hashes]).toEqual([sha256(current.currentAccessToken ?? '')]);
    expect(await env.storedAccessToken(DOMAIN)).toBe(current.currentAccessToken);
    expect(workers.map((w) => w.child.exitCode)).toEqual([0, 0, 0]);
  });

  it('a worker that read the old token before another worker refreshed takes the lock but does not refresh again', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN, accessTokenExpired: true }]);
    const rejected = await env.storedAccessToken(DOMAIN);
    const snapshot = await env.store.get(DOMAIN);
    // B's first read returns what it saw before A's refresh; later reads are real.
    const store = createPortalStore({ redis: env.redis, keys: env.keys });
    let reads = 0;
    const lateStore = {
      ...store,
      get: async (domain: string): Promise<StoredPortal | undefined> =>
        reads++ === 0 ? snapshot : store.get(domain),
    };
    const a = env.manager();
    const b = env.manager({ portalStore: lateStore });

    const first = await a.refreshAfterRejected(DOMAIN, rejected);
    const late = await b.refreshAfterRejected(DOMAIN, rejected);

    expect(reads).toBeGreaterThan(1);
    expect(env.sim.portal(DOMAIN).refreshes).toBe(1);
    expect(env.sim.stats().invalidGrants).toBe(0);
    expect(accessTokenOf(late)).toBe(accessTokenOf(first));
  });
});
