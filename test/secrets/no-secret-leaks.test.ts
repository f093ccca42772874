import type { Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/create-logger.js';
import { countPairs, isSettled } from '../../src/ops/pair-counts.js';
import { createRolloutWorker } from '../../src/pipeline/create-rollout-worker.js';
import { enqueueRollout } from '../../src/pipeline/enqueue-rollout.js';
import { type PairJob, pairJobId } from '../../src/pipeline/pair-job.js';
import type { PairOutcome } from '../../src/pipeline/pair-outcome.js';
import { portalsFileSchema } from '../../src/portals/portal-entry-schema.js';
import { connectRedis } from '../../src/redis/connect-redis.js';
import type { RedisClient } from '../../src/redis/redis-client.js';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.js';
import type { PortalFileEntry } from '../../src/simulator/simulator-types.js';
import { type Harness, iframeApp, jsApp, startHarness } from '../pipeline/support/pipeline-harness.js';
import { waitFor } from '../support/wait-for.js';

const SEALED = /^v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/;
const CLIENT_SECRET = 'sim-client-secret';

let harness: Harness | undefined;
let runtime: Runtime | undefined;
let worker: Worker<PairJob, PairOutcome> | undefined;
let connection: RedisClient | undefined;
afterEach(async () => {
  await worker?.close(true);
  await connection?.quit();
  await runtime?.close();
  await harness?.close();
  worker = undefined;
  connection = undefined;
  runtime = undefined;
  harness = undefined;
});

/** Every credential value a portals file carries: tokens and the webhook code (the secret part of its URL). */
function credentialsOf(entries: readonly PortalFileEntry[]): string[] {
  return entries.flatMap((entry) => {
    if (entry.auth.type === 'oauth') return [entry.auth.accessToken, entry.auth.refreshToken];
    const code = /\/rest\/\d+\/([^/]+)\//.exec(entry.auth.url)?.[1];
    return code === undefined ? [entry.auth.url] : [code, entry.auth.url];
  });
}

/** Every value stored under the prefix, whatever the key type (what `redis-cli --scan` + GET/HGETALL... shows). */
async function dumpPrefix(redis: RedisClient, prefix: string): Promise<{ keys: string[]; text: string }> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const parts: string[] = [];
  for (const key of keys) {
    const type = await redis.type(key);
    parts.push(key);
    if (type === 'string') parts.push((await redis.get(key)) ?? '');
    else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
    else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
    else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
    else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, 0, -1, 'WITHSCORES')));
    else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    else parts.push(`(${type})`);
  }
  return { keys, text: parts.join('\n') };
}

describe('secrets never leak', () => {
  it('a real rollout at LOG_LEVEL=trace logs, queues and stores no token, refresh token, client secret or webhook code', async () => {
    harness = await startHarness(
      {
        portals: 12,
        webhookShare: 0.25,
        expiredShare: 0.5,
        faults: { http500Rate: 0.1, nonJsonRate: 0.1 },
        seed: 4242,
      },
      { logLevel: 'trace' },
    );
    const { sim, config } = harness;
    const initial = sim.portalsFile();
    const oauth = initial.filter((p) => p.auth.type === 'oauth');
    // A revoked refresh token (invalid_grant -> needs_reauth) and a token rejected mid-run: the error paths log too.
    const [revoked, rejected] = oauth.map((p) => p.domain);
    if (revoked) {
      sim.control.revokeRefreshToken(revoked);
      sim.control.expireAccessToken(revoked);
    }
    if (rejected) sim.control.expireAccessToken(rejected);

    const lines: string[] = [];
    const logger = createLogger({
      level: 'trace',
      destination: {
        write(line: string) {
          lines.push(line);
        },
      },
    });
    runtime = createRuntime({ config, logger });
    const portals = portalsFileSchema({ allowHttp: true, allowHosts: ['127.0.0.1'] }).parse(initial);
    const summary = await enqueueRollout(
      { apps: [jsApp('leak-js'), iframeApp('leak-frame')], portals },
      runtime,
    );

    // Jobs as bull-board shows them, before the worker starts (all waiting) and while it runs (delayed retries):
    // finished jobs are removed, so they are sampled on the way.
    const queue = runtime.queue;
    const seenJobs = new Map<string, unknown[]>();
    const sampleJobs = async (): Promise<void> => {
      // By the deterministic job ids, whatever state (waiting, prioritized, delayed, ...) each job is in.
      const jobs = await Promise.all(summary.pairs.map((p) => queue.getJob(pairJobId(p.domain, p.code))));
      for (const job of jobs) {
        if (!job) continue;
        seenJobs.set(`${job.id}:${seenJobs.size}`, [
          job.data,
          job.returnvalue,
          job.failedReason,
          job.stacktrace,
          job.opts,
        ]);
      }
    };
    await sampleJobs();
    expect(seenJobs.size).toBe(summary.pairs.length);

    connection = connectRedis(config, logger, 'leak-test-worker');
    worker = createRolloutWorker(runtime, { connection, concurrency: 6 });
    // Samples the jobs while it waits: a secret in a job's data would show between two samples.
    const results = runtime.results;
    const counts = await waitFor(
      async () => {
        await sampleJobs();
        const now = await countPairs(results, summary.pairs);
        if (!isSettled(now)) throw new Error(`not settled yet: ${JSON.stringify(now)}`);
        return now;
      },
      { timeoutMs: 20_000, intervalMs: 50, message: 'the rollout to settle' },
    );
    expect(counts.pending).toBe(0);
    expect(counts.registered).toBeGreaterThan(0);
    expect(counts.needs_reauth).toBeGreaterThan(0);
    expect(sim.stats().refreshes).toBeGreaterThan(0);

    // Every credential that existed during the run: the imported ones and the ones refreshes handed out.
    const secrets = new Set<string>([...credentialsOf(initial), CLIENT_SECRET, config.secrets.key ?? '']);
    for (const { domain } of oauth) {
      const view = sim.portal(domain);
      if (view.currentAccessToken) secrets.add(view.currentAccessToken);
      if (view.currentRefreshToken) secrets.add(view.currentRefreshToken);
    }
    secrets.delete('');
    expect(secrets.size).toBeGreaterThan(initial.length * 2);

    // 1. Logs: trace level, so every line the code writes is here.
    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(20);
    expect(logger.level).toBe('trace');
    expect(log).toContain('"level":20'); // debug lines are in too
    expect(log).toContain('attempt failed');
    for (const secret of secrets)
      expect(log.includes(secret), `log contains a secret (${secret.slice(0, 4)}…)`).toBe(false);

    // 2. Job data is only domain + code; nothing bull-board shows of a job carries a secret.
    await sampleJobs();
    expect(seenJobs.size).toBeGreaterThan(summary.pairs.length);
    for (const [id, [data, ...rest]] of seenJobs) {
      expect(Object.keys(data as object).sort(), id).toEqual(['code', 'domain']);
      const shown = JSON.stringify([data, ...rest]);
      for (const secret of secrets) expect(shown.includes(secret), `job ${id}`).toBe(false);
    }

    // 3. Redis: no plaintext credential under the prefix; the portal hashes hold sealed values.
    const dump = await dumpPrefix(runtime.redis, config.prefix);
    expect(dump.keys.length).toBeGreaterThan(summary.pairs.length);
    for (const secret of secrets)
      expect(dump.text.includes(secret), `redis holds a secret (${secret.slice(0, 4)}…)`).toBe(false);
    for (const { domain, auth } of initial) {
      const raw = await runtime.redis.hgetall(runtime.keys.portal(domain));
      if (auth.type === 'oauth') {
        expect(raw['accessToken']).toMatch(SEALED);
        expect(raw['refreshToken']).toMatch(SEALED);
      } else expect(raw['webhookUrl']).toMatch(SEALED);
    }
  }, 30_000);
});
