import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { AppDefinition } from '../apps/app-definition-schema.js';
import { definitionHash } from '../apps/definition-hash.js';
import { ConfigError } from '../config/config-error.js';
import type { Config } from '../config/config-schema.js';
import { InputError } from '../input/input-error.js';
import type { PortalEntry } from '../portals/portal-entry-schema.js';
import type { RequestOutcome, ResultStore } from '../results/result-store.js';
import type { DefinitionStore } from '../store/definition-store.js';
import type { ImportSummary, PortalStore } from '../store/portal-store.js';
import { addPairJobs } from './add-pair-jobs.js';
import { findHiddenChanges } from './find-hidden-changes.js';
import type { PairJob } from './pair-job.js';

export interface EnqueueDeps {
  config: Config;
  queue: Queue<PairJob>;
  results: ResultStore;
  definitions: DefinitionStore;
  portals: PortalStore;
  logger: Logger;
}

export interface EnqueueRequest {
  /** Validated definitions; undefined re-queues what is stored for the portals (e.g. after new credentials). */
  apps: readonly AppDefinition[] | undefined;
  /** Validated portals; undefined uses every stored portal. */
  portals: readonly PortalEntry[] | undefined;
  onProgress?: (done: number, total: number) => void;
}

export interface EnqueueSummary {
  pairs: { domain: string; code: string }[];
  counts: Record<RequestOutcome, number>;
  jobsAdded: number;
  imported: ImportSummary | undefined;
}

/**
 * The producer: stores portals and definitions, then asks for each portal x app pair to exist with its
 * definition. Pairs already registered with the same definition queue nothing; a changed definition is
 * applied by the worker with imbot.app.update on the stored APP_ID. Job ids are deterministic, so running
 * this twice, or from two producers at once, never makes two live jobs for one pair.
 */
export async function enqueueRollout(request: EnqueueRequest, deps: EnqueueDeps): Promise<EnqueueSummary> {
  const { config, results, queue } = deps;
  if (request.apps?.some((app) => 'IFRAME' in app && app.HASH === 'auto') && !config.hashSecret) {
    throw new ConfigError(
      'an app uses "HASH": "auto" but ROLLOUT_HASH_SECRET is not set: set it (16+ characters) to derive a hash per portal',
    );
  }
  const domains = request.portals ? request.portals.map((p) => p.domain) : await deps.portals.listDomains();

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
  if (request.apps) {
    const byHash = new Map(request.apps.map((app) => [definitionHash(app), app] as const));
    const problems = await findHiddenChanges(wanted, byHash, deps);
    if (problems.length > 0) throw new InputError('apps', problems);
    for (const [defHash, app] of byHash) await deps.definitions.save(defHash, app);
  }
  const imported = request.portals ? await deps.portals.importPortals(request.portals) : undefined;

  const parked = await deps.portals.domainsNeedingReauth([...new Set(domains)]);

  const counts: Record<RequestOutcome, number> = { unchanged: 0, queued: 0, already_pending: 0, parked: 0 };
  let jobsAdded = 0;
  const positions = new Map<string, number>(); // per-portal job count across chunks (fairness: add-pair-jobs.ts)
  const chunkSize = config.producer.chunkSize;
  for (let i = 0; i < wanted.length; i += chunkSize) {
    const chunk = wanted.slice(i, i + chunkSize);
    const outcomes = await results.requestPresent(
      chunk.map((p) => ({ ...p, portalParked: parked.has(p.domain) })),
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
  deps.logger.info({ pairs: wanted.length, ...counts, jobsAdded }, 'rollout enqueued');
  return { pairs: wanted.map(({ domain, code }) => ({ domain, code })), counts, jobsAdded, imported };
}
