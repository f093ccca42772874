import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { z } from 'zod';
import { loadAppsFile } from '../../apps/load-apps-file.js';
import { loadConfig } from '../../config/load-config.js';
import { EXIT_CODES, UsageError } from '../../errors/operator-error.js';
import { formatZodIssues } from '../../input/format-zod-issues.js';
import { createLogger } from '../../log/create-logger.js';
import { ATTENTION_REASONS } from '../../ops/attention-row.js';
import { findPairs } from '../../ops/find-pairs.js';
import { formatTable } from '../../ops/format-table.js';
import { createRolloutWorker } from '../../pipeline/create-rollout-worker.js';
import { portalsFileSchema } from '../../portals/portal-entry-schema.js';
import { closeBullmq } from '../../redis/close-bullmq.js';
import { connectRedis } from '../../redis/connect-redis.js';
import { ensureRedis } from '../../redis/ensure-redis.js';
import { connectedDataNodes, type RedisClient } from '../../redis/redis-client.js';
import { createRuntime } from '../../runtime/create-runtime.js';
import { startSimulator } from '../../simulator/start-simulator.js';
import { advanceWavePlan } from '../../waves/advance-wave-plan.js';
import { enqueuePlainRollout } from '../../waves/enqueue-plain-rollout.js';
import { waveDeps } from '../../waves/wave-deps.js';
import { demoInstallEvents } from '../demo-install-events.js';
import { demoPlan } from '../demo-plan.js';
import { demoWaves } from '../demo-waves.js';
import { waitForRollout } from '../wait-for-rollout.js';

const EXAMPLE_APPS = fileURLToPath(new URL('../../../examples/apps.json', import.meta.url));

/**
 * Older versions of two example apps, already on some portals before the rollout (left by an earlier script):
 * register returns them (get-or-create), and the update that always follows brings them up to date.
 */
const OUTDATED_APPS = [
  {
    CODE: 'echo-help',
    JS_METHOD: 'PUT',
    JS_PARAM: '/help old',
    CONTEXT: 'ALL',
    LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Echobot help (old)', DESCRIPTION: 'An outdated version' }],
  },
  {
    CODE: 'echo-support',
    JS_METHOD: 'SUPPORT',
    JS_PARAM: '00000000000000000000000000000000',
    CONTEXT: 'ALL',
    LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Old support' }],
  },
];
/** Share of the simulated portals that already hold the outdated apps. */
const OUTDATED_SHARE = 0.05;

const optionsSchema = z.object({
  portals: z.coerce.number().int().min(1).max(20_000),
  workers: z.coerce.number().int().min(1).max(16),
  concurrency: z.coerce.number().int().min(1).max(500),
  keep: z.boolean(),
  waves: z.boolean(),
  plan: z.boolean(),
});

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'The main job on an embedded default: starts the portal simulator (some expired tokens, some webhooks, a few ' +
        'injected faults), uses the Redis at REDIS_URL or starts a private redis-server, runs workers and a rollout ' +
        'of examples/apps.json with a progress bar, and prints the summary. No real portal is touched.',
    )
    .option('--portals <n>', 'simulated portals', '300')
    .option('--workers <n>', 'worker instances in this process', '2')
    .option('--concurrency <n>', 'jobs at once per worker', '25')
    .option('--keep', 'keep the demo keys in Redis afterwards (to try `status` with ROLLOUT_PREFIX)', false)
    .option(
      '--waves',
      'version 1 at once, then version 2 in waves (5%,25%,100%) with deleted portals in wave 1: shows the plan ' +
        'halting with its reason, an install meanwhile getting the stable version 1, then the plan resumed ' +
        '(docs/waves.md)',
      false,
    )
    .option(
      '--plan',
      'show rollout --plan for a new version of one app (updates with field diffs, a recreate refused on one ' +
        'portal, blocked portals), then apply it and compare the plan with what the rollout did (docs/operations.md)',
      false,
    )
    .action(async (raw: Record<string, unknown>) => {
      const parsed = optionsSchema.safeParse(raw);
      if (!parsed.success) {
        const [problem] = formatZodIssues(parsed.error, '', { path: 'dotted' });
        throw new UsageError(`--${problem?.where.split('.')[0]}: ${problem?.message}`);
      }
      const options = parsed.data;
      const base = loadConfig(process.env);
      const redis = await ensureRedis(base.redisUrl);
      const simulator = await startSimulator({
        portals: options.portals,
        webhookShare: 0.2,
        expiredShare: 0.15,
        latencyMs: 5,
        faults: { http500Rate: 0.05, slowRate: 0.01, slowMs: 50 },
        preexisting: { share: OUTDATED_SHARE, apps: OUTDATED_APPS },
        seed: 7,
      });
      // Two portals that need an operator, so the summary shows how they are reported: one deleted (the pairs
      // fail at once with PORTAL_DELETED), one whose refresh token was revoked (parked as needs_reauth).
      const [deleted, revoked] = simulator.portalsFile().filter((p) => p.auth.type === 'oauth');
      if (deleted) simulator.control.deletePortal(deleted.domain);
      if (revoked) {
        simulator.control.revokeRefreshToken(revoked.domain);
        simulator.control.expireAccessToken(revoked.domain);
      }
      const prefix = `imbot-rollout-demo-${Date.now().toString(36)}`;
      const config = loadConfig(process.env, {
        redisUrl: redis.url,
        // The demo runs on one Redis (REDIS_URL or its own): REDIS_CLUSTER_NODES is not used.
        redisClusterNodes: [],
        prefix,
        allowHttp: true,
        // The simulator listens on 127.0.0.1: exempt it from the outbound rule (docs/security.md,
        // "Where credentials are sent: the outbound rule").
        allowHosts: ['127.0.0.1'],
        hashSecret: base.hashSecret ?? 'demo-hash-secret-not-for-production',
        // A random key per run: the demo's simulated tokens are sealed at rest like real ones.
        secrets: { key: randomBytes(32).toString('base64') },
        b24: { clientId: 'sim-client-id', clientSecret: 'sim-client-secret', oauthUrl: simulator.oauthUrl },
        retry: { ...base.retry, baseDelayMs: 200, maxDelayMs: 2_000 },
        // Portals added by install events name their bot by the simulator's bot CODE (docs/install-events.md).
        events: { ...base.events, botCode: 'simbot' },
        // The summary tells the story; set LOG_LEVEL to see the structured logs as well.
        logLevel: process.env['LOG_LEVEL'] ?? 'fatal',
      });
      const logger = createLogger({ level: config.logLevel });
      const runtime = createRuntime({ config, logger });
      const connections = Array.from({ length: options.workers }, (_, i) =>
        connectRedis(config, logger, `imbot-rollout-demo-worker-${i}`),
      );
      const workers = connections.map((connection) =>
        createRolloutWorker(runtime, { connection, concurrency: options.concurrency }),
      );
      try {
        process.stdout.write(
          `demo: ${options.portals} simulated portals at ${simulator.url}, Redis ${redis.started ? `started at ${redis.url}` : `at ${redis.url}`}, ` +
            `${options.workers} workers x ${options.concurrency}\n`,
        );
        const apps = await loadAppsFile(EXAMPLE_APPS, config.input);
        // Two OAuth portals are left out of the portals file: they add themselves later by install events.
        const installing = simulator
          .portalsFile()
          .filter(
            (p) => p.auth.type === 'oauth' && p.domain !== deleted?.domain && p.domain !== revoked?.domain,
          )
          .slice(-2)
          .map((p) => p.domain);
        const portals = portalsFileSchema({ allowHttp: true, allowHosts: config.allowHosts }).parse(
          simulator.portalsFile().filter((p) => !installing.includes(p.domain)),
        );
        if (options.plan) {
          process.exitCode = await demoPlan(runtime, apps, portals);
          return;
        }
        if (options.waves) {
          process.exitCode = await demoWaves(runtime, simulator, apps, portals, installing);
          return;
        }
        const started = Date.now();
        // A plain rollout, recorded as a one-wave plan: once done, its definitions are the stable ones, what the
        // install events below queue (docs/waves.md, "Stable definitions").
        const deps = waveDeps(runtime);
        const summary = await enqueuePlainRollout({ apps, portals, source: 'examples/apps.json' }, deps);
        process.stdout.write(
          `demo: queued ${summary.jobsAdded} jobs (${apps.length} apps x ${portals.length} portals)\n`,
        );
        const final = await waitForRollout(runtime.results, summary.pairs, { stream: process.stderr });
        const seconds = (Date.now() - started) / 1000;
        await advanceWavePlan(deps, summary.rolloutId);
        const installRows = await demoInstallEvents(runtime, simulator, installing);
        const stats = simulator.stats();
        const adopted = countAdopted(
          simulator,
          portals.map((p) => p.domain),
        );
        process.stdout.write(
          `\n${formatTable(
            ['WHAT', 'COUNT'],
            [
              ['pairs', String(final.total)],
              ['registered', String(final.registered)],
              ['failed', String(final.failed)],
              ['needs_reauth', String(final.needs_reauth)],
              [
                'apps found on the portal and brought up to date (adopted)',
                `${adopted.updated} of ${adopted.found}`,
              ],
              ['simulator: registers that returned an existing app', String(stats.registerExisting)],
              ['simulator: duplicate apps', String(stats.duplicates)],
              ['simulator: REST calls', String(stats.calls)],
              ['simulator: 503 QUERY_LIMIT_EXCEEDED', String(stats.queryLimitExceeded)],
              ['simulator: injected 500s', String(stats.injected.http500)],
              ['simulator: token refreshes', String(stats.refreshes)],
              ...installRows,
              ['seconds', seconds.toFixed(1)],
            ],
          )}\n`,
        );
        const attention = await findPairs(runtime.results, { states: ATTENTION_REASONS });
        if (attention.length > 0) {
          process.stdout.write(
            `\nneeds attention (as \`imbot-rollout failed\` lists it):\n${formatTable(
              ['PORTAL', 'CODE', 'STATE', 'LAST ERROR'],
              attention.map((r) => [
                r.portal,
                r.code,
                r.state,
                r.lastError ? `${r.lastError.code}: ${r.lastError.message}`.slice(0, 70) : '-',
              ]),
            )}\n`,
          );
        }
        if (options.keep)
          process.stdout.write(
            `demo: results kept; try: ROLLOUT_PREFIX=${prefix} REDIS_URL=${redis.url} imbot-rollout status\n`,
          );
        // The deliberately broken portals are expected to fail / need re-authorisation; anything else is not.
        const expectedBroken = new Set([deleted?.domain, revoked?.domain]);
        const unexpected = attention.filter((r) => !expectedBroken.has(r.portal));
        if (final.pending > 0 || unexpected.length > 0) process.exitCode = EXIT_CODES.failed;
      } finally {
        await Promise.all(workers.map((w, i) => closeBullmq(w, connections[i] ?? runtime.redis)));
        await Promise.all(connections.map((c) => c.quit()));
        if (!options.keep) await deleteKeys(runtime.redis, prefix);
        await runtime.close();
        await simulator.stop();
        if (redis.started && !options.keep) await redis.started.stop();
      }
    });
}

/** Deletes the demo's keys: SCAN on each node that holds data (every master of a Cluster), one key at a time. */
async function deleteKeys(redis: RedisClient, prefix: string): Promise<void> {
  for (const node of await connectedDataNodes(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      // One UNLINK per key: on a Cluster the keys of one node still lie in different slots.
      await Promise.all(keys.map((key) => node.unlink(key)));
    } while (cursor !== '0');
  }
}

/**
 * Outdated apps the portals held before the rollout (the simulator knows; the REST API does not say whether a
 * register created or found an app), and how many of them the rollout updated under their own APP_ID.
 */
function countAdopted(
  simulator: Awaited<ReturnType<typeof startSimulator>>,
  domains: readonly string[],
): { found: number; updated: number } {
  let found = 0;
  let updated = 0;
  for (const domain of domains) {
    for (const app of simulator.portal(domain).apps) {
      if (app.origin !== 'seed') continue;
      found++;
      if (app.updates > 0) updated++;
    }
  }
  return { found, updated };
}
