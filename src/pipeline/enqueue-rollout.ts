import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { AppDefinition } from '../apps/app-definition-schema.js';
import { definitionHash } from '../apps/definition-hash.js';
import type { Config } from '../config/config-schema.js';
import { ConfigError } from '../errors/operator-error.js';
import { InputError } from '../input/input-error.js';
import type { PortalEntry } from '../portals/portal-entry-schema.js';
import type { RedisClient } from '../redis/redis-client.js';
import type { DefinitionStore } from '../store/definition-store.js';
import type { ImportSummary, PortalStore } from '../store/portal-store.js';
import type { RedisKeys } from '../store/redis-keys.js';
import type { RequestOutcome, ResultStore } from '../store/result-store.js';
import { addPairJobs } from './add-pair-jobs.js';
import { findInFlightConflicts, type RolloutRecord } from './find-in-flight-conflicts.js';
import { findRecreateChanges } from './find-recreate-changes.js';
import type { PairJob } from './pair-job.js';

export interface EnqueueDeps {
  config: Config;
  queue: Queue<PairJob>;
  results: ResultStore;
  definitions: DefinitionStore;
  portals: PortalStore;
  redis: RedisClient;
  keys: RedisKeys;
  logger: Logger;
}

export interface EnqueueRequest {
  /** Validated definitions; undefined re-queues what is stored for the portals (e.g. after new credentials). */
  apps: readonly AppDefinition[] | undefined;
  /** Validated portals; undefined uses every stored portal (or `domains`). */
  portals: readonly PortalEntry[] | undefined;
  /**
   * With `portals` undefined: only these stored portals (a wave of a plan, whose portals were all imported when
   * the plan was made: src/waves). Ignored when `portals` is given.
   */
  domains?: readonly string[];
  /**
   * This rollout's id (default: a new one). A wave of a plan passes `<planId>.w<k>`, so queueing the wave again
   * after a crash records the same id (src/waves/advance-wave-plan.ts).
   */
  rolloutId?: string;
  /**
   * Replace (unregister + register, a new APP_ID) the apps whose change update cannot apply: an icon change or
   * a JS <-> IFRAME switch. Without it such a rollout is refused whole.
   */
  recreate?: boolean;
  /**
   * Apply these definitions although another rollout is still applying other definitions of the same CODEs to
   * the same portals (the later one wins, on purpose). Without it such a rollout is refused whole, naming the other.
   */
  replace?: boolean;
  /** Where the definitions came from (e.g. the apps file), recorded to name this rollout in a conflict. */
  source?: string;
  /**
   * Default true: with `apps`, record them as the apps a portal installing the application gets while no CODE
   * has a stable definition yet (src/events/load-desired-apps.ts). False for the rollout an install event queues
   * and for the waves of a plan (whose definitions reach new installs only once the plan is done).
   */
  rememberApps?: boolean;
  /**
   * Write the portals' credentials even where the stored OAuth pair is newer (`rollout --replace-credentials`;
   * docs/operations.md, "Re-imports never go back in time").
   */
  replaceCredentials?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface EnqueueSummary {
  /** This rollout's id (stored with its pairs; named when a later rollout conflicts with it). */
  rolloutId: string;
  pairs: { domain: string; code: string }[];
  counts: Record<RequestOutcome, number>;
  /** Pairs whose app is replaced (`recreate`). */
  recreating: number;
  jobsAdded: number;
  imported: ImportSummary | undefined;
  /**
   * Stored portals left out because they were removed (`remove-portal`, DELETE /api/portals): a rollout without
   * `portals` never calls them (docs/operations.md, "remove-portal: stop calling a portal").
   */
  skippedRemoved: string[];
}

/**
 * The producer: stores portals and definitions, then asks for each portal x app pair to exist with its
 * definition. Pairs already registered with the same definition queue nothing; a changed definition is
 * applied by the worker with imbot.app.update on the stored APP_ID, except what update cannot apply (icon,
 * JS <-> IFRAME), which is refused whole unless `recreate` is given. Job ids are deterministic, so running
 * this twice, or from two producers at once, never makes two live jobs for one pair.
 */
export async function enqueueRollout(request: EnqueueRequest, deps: EnqueueDeps): Promise<EnqueueSummary> {
  const { config, results, queue } = deps;
  if (request.apps?.some((app) => 'IFRAME' in app && app.HASH === 'auto') && !config.hashSecret) {
    throw new ConfigError(
      'an app uses "HASH": "auto" but ROLLOUT_HASH_SECRET is not set: set it (16+ characters) to derive a hash per portal',
    );
  }
  const storedDomains = request.portals
    ? undefined
    : request.domains
      ? [...request.domains]
      : await deps.portals.listDomains();
  // A removed portal is never called again until it is imported again: a rollout of the stored portals skips it.
  const removed = storedDomains ? await deps.portals.domainsRemoved(storedDomains) : new Set<string>();
  const domains = request.portals
    ? request.portals.map((p) => p.domain)
    : (storedDomains ?? []).filter((domain) => !removed.has(domain));

  // Which definition each pair should have: the given apps, or (no apps given) what is stored for it.
  const wanted: { domain: string; code: string; defHash: string }[] = [];
  if (request.apps) {
    const hashed = request.apps.map((app) => ({ app, defHash: definitionHash(app) }));
    for (const domain of domains)
      for (const { app, defHash } of hashed) wanted.push({ domain, code: app.CODE, defHash });
  } else {
    for (const domain of domains) {
      const pairs = await results.listPairs({ portal: domain });
      const stored = await results.getMany(pairs);
      for (const result of stored) {
        if (result?.desired === 'present' && result.desiredDefHash && result.state !== 'registered') {
          wanted.push({ domain, code: result.code, defHash: result.desiredDefHash });
        }
      }
    }
  }

  // Every check passes before anything is written: a refused rollout leaves no partial state.
  const rollout: RolloutRecord = {
    id: request.rolloutId ?? `r-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
    startedAt: new Date().toISOString(),
    source: request.source ?? (request.apps ? 'apps given in code' : 'stored definitions'),
  };
  let recreate = new Set<string>();
  if (request.apps) {
    const byHash = new Map(request.apps.map((app) => [definitionHash(app), app] as const));
    const current: Awaited<ReturnType<typeof results.getMany>> = [];
    for (let i = 0; i < wanted.length; i += config.producer.chunkSize)
      current.push(...(await results.getMany(wanted.slice(i, i + config.producer.chunkSize))));
    const changes = await findRecreateChanges(wanted, current, byHash, deps);
    const conflicts = request.replace
      ? []
      : await findInFlightConflicts(wanted, current, (id) => readRollout(deps, id));
    const problems = [...conflicts, ...(request.recreate ? [] : changes.problems)];
    if (problems.length > 0) throw new InputError('apps', problems);
    recreate = changes.pairs;
    for (const [defHash, app] of byHash) await deps.definitions.save(defHash, app);
    // The apps a portal installing the application gets (docs/install-events.md): this rollout's, unless it
    // was queued for such an install itself.
    if (request.rememberApps !== false)
      await deps.redis.set(deps.keys.lastRolloutDefs, JSON.stringify([...byHash.keys()]));
  }
  await deps.redis.hset(deps.keys.rollout(rollout.id), { ...rollout, pairs: String(wanted.length) });
  const imported = request.portals
    ? await deps.portals.importPortals(request.portals, {
        replaceCredentials: request.replaceCredentials ?? false,
      })
    : undefined;

  const parked = await deps.portals.domainsNeedingReauth([...new Set(domains)]);

  const counts: Record<RequestOutcome, number> = { unchanged: 0, queued: 0, already_pending: 0, parked: 0 };
  let jobsAdded = 0;
  const positions = new Map<string, number>(); // per-portal job count across chunks (fairness: add-pair-jobs.ts)
  const chunkSize = config.producer.chunkSize;
  for (let i = 0; i < wanted.length; i += chunkSize) {
    const chunk = wanted.slice(i, i + chunkSize);
    const outcomes = await results.requestPresent(
      chunk.map((p) => ({
        ...p,
        portalParked: parked.has(p.domain),
        recreate: recreate.has(`${p.domain}|${p.code}`),
        rolloutId: rollout.id,
      })),
    );
    const toQueue = [];
    for (const [index, outcome] of outcomes.entries()) {
      counts[outcome]++;
      const pair = chunk[index];
      if (pair && (outcome === 'queued' || outcome === 'already_pending')) toQueue.push(pair);
    }
    jobsAdded += await addPairJobs(queue, toQueue, positions);
    request.onProgress?.(Math.min(i + chunkSize, wanted.length), wanted.length);
  }
  deps.logger.info(
    { pairs: wanted.length, ...counts, recreating: recreate.size, jobsAdded, skippedRemoved: removed.size },
    'rollout enqueued',
  );
  return {
    rolloutId: rollout.id,
    pairs: wanted.map(({ domain, code }) => ({ domain, code })),
    counts,
    recreating: recreate.size,
    jobsAdded,
    imported,
    skippedRemoved: [...removed].sort(),
  };
}

async function readRollout(deps: EnqueueDeps, id: string): Promise<RolloutRecord | undefined> {
  const raw = await deps.redis.hgetall(deps.keys.rollout(id));
  if (!raw['id']) return undefined;
  return { id: raw['id'], startedAt: raw['startedAt'] ?? '?', source: raw['source'] ?? '?' };
}
