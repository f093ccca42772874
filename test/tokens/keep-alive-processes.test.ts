import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { KeepAliveTick } from '../../src/tokens/keep-alive-loop.js';
import { installLeakCheck, testRedisEnv } from '../support/redis.js';
import { type CliProcess, spawnCli } from '../support/run-cli.js';
import { waitFor } from '../support/wait-for.js';
import { makeStale } from './support/keep-alive-env.js';
import { CLIENT_ID, CLIENT_SECRET, type TokenEnv, useTokenEnvs } from './support/token-env.js';

installLeakCheck();
const startTokenEnv = useTokenEnvs();

const WORKER = fileURLToPath(new URL('./fixtures/keep-alive-worker.ts', import.meta.url));
const STALE = ['stale-1.sim.test', 'stale-2.sim.test', 'stale-3.sim.test'];
const FRESH = 'fresh.sim.test';

interface KeepAliveProcess {
  child: CliProcess['child'];
  ticks: KeepAliveTick[];
  stopped: Promise<void>;
}

/** Starts the fixture process and resolves once it printed `ready`; its tick lines are collected in `ticks`. */
async function startProcess(owner: TokenEnv): Promise<KeepAliveProcess> {
  const cli = spawnCli(
    [],
    {
      ...testRedisEnv(),
      PREFIX: owner.prefix,
      OAUTH_URL: owner.sim.oauthUrl,
      CLIENT_ID,
      CLIENT_SECRET,
      INTERVAL_MS: '40',
    },
    { entry: WORKER, stdin: true },
  );
  owner.adopt(`keep-alive:${cli.pid}`, cli, (c) => c.stop());
  const ticks: KeepAliveTick[] = [];
  let ready!: () => void;
  let stopped!: () => void;
  const isReady = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const isStopped = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  createInterface({ input: cli.child.stdout }).on('line', (line) => {
    if (line === 'ready') ready();
    else if (line === 'stopped') stopped();
    else ticks.push(JSON.parse(line) as KeepAliveTick);
  });
  cli.child.once('exit', (code) => {
    if (code !== 0) ready();
  });
  await isReady;
  if (cli.child.exitCode !== null) throw new Error(`keep-alive process did not start: ${cli.stderr()}`);
  return { child: cli.child, ticks, stopped: isStopped };
}

describe('token keep-alive across worker processes', () => {
  it('three worker processes refresh each portal older than the age exactly once and store the new pairs', async () => {
    const env = await startTokenEnv([...STALE.map((domain) => ({ domain })), { domain: FRESH }]);
    for (const domain of STALE) await makeStale(env, domain, 45);
    const processes = await Promise.all([1, 2, 3].map(() => startProcess(env)));

    for (const p of processes) p.child.stdin?.write('go\n');
    await waitFor(
      async () => {
        for (const domain of STALE) {
          expect(await env.storedAccessToken(domain)).toBe(env.sim.portal(domain).currentAccessToken);
          expect(env.sim.portal(domain).refreshes).toBe(1);
        }
      },
      { timeoutMs: 20_000, message: 'every stale portal refreshed and its new pair stored' },
    );
    // Every process keeps ticking after the refreshes: none of them may refresh again.
    const seen = processes.map((p) => p.ticks.length);
    await waitFor(() => processes.every((p, i) => p.ticks.length >= (seen[i] ?? 0) + 5), {
      timeoutMs: 20_000,
      message: 'five more ticks in every process',
    });
    for (const p of processes) p.child.stdin?.write('stop\n');
    await Promise.all(processes.map((p) => p.stopped));

    for (const domain of STALE) expect(env.sim.portal(domain).refreshes).toBe(1);
    expect(env.sim.portal(FRESH).refreshes).toBe(0);
    expect(env.sim.stats().invalidGrants).toBe(0);
    const claims = processes.flatMap((p) => p.ticks.flatMap((t) => t.claimed));
    expect(claims.sort()).toEqual([...STALE].sort());
    const refreshed = processes.flatMap((p) => p.ticks.flatMap((t) => t.refreshed));
    expect(refreshed.sort()).toEqual([...STALE].sort());
    for (const domain of STALE) {
      const stored = await env.store.get(domain);
      expect(stored?.auth).toMatchObject({
        type: 'oauth',
        accessToken: env.sim.portal(domain).currentAccessToken,
        refreshToken: env.sim.portal(domain).currentRefreshToken,
      });
    }
  });
});
