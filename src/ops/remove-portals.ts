import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { pairJobId } from '../pipeline/pair-job.js';
import { PORTAL_REMOVED } from '../pipeline/portal-removed.js';
import type { PortalStore } from '../store/portal-store.js';
import type { ResultStore } from '../store/result-store.js';

/** One removed portal: its jobs dropped from the queue, its unsettled pairs parked. */
export interface RemovedPortal {
  domain: string;
  /** Waiting or delayed jobs removed from the queue (a running one ends without calling). */
  jobsRemoved: number;
  /** Pending or failed pairs now `needs_reauth` / PORTAL_REMOVED (registered ones keep their result). */
  parked: number;
}

export interface RemovePortalsSummary {
  removed: RemovedPortal[];
  /** Domains no portal is stored for (nothing done). */
  unknown: string[];
}

export interface RemovePortalsDeps {
  portals: Pick<PortalStore, 'markRemoved'>;
  results: Pick<ResultStore, 'listPairs' | 'statesOf' | 'markNeedsReauth'>;
  queue: Pick<Queue, 'remove'>;
  logger: Logger;
}

/**
 * Removes portals (docs/operations.md, "remove-portal: stop calling a portal"): each is marked `removed` with the
 * time and `by`, its waiting and delayed jobs are dropped (as an uninstall does, src/events/handle-app-event.ts),
 * its pending and failed pairs are parked as `needs_reauth` / PORTAL_REMOVED so no rollout waits for them, and its
 * results stay for `export`. Nothing calls it again: a running job checks the state before every call
 * (process-pair.ts), rollouts of the stored portals, retry and keep-alive skip it. Importing it again brings it
 * back. Unknown domains are listed, not an error here.
 */
export async function removePortals(
  domains: readonly string[],
  by: string,
  deps: RemovePortalsDeps,
): Promise<RemovePortalsSummary> {
  const summary: RemovePortalsSummary = { removed: [], unknown: [] };
  for (const domain of [...new Set(domains)]) {
    // The state first: a job that starts meanwhile sees it before it calls.
    if (!(await deps.portals.markRemoved(domain, { by }))) {
      summary.unknown.push(domain);
      continue;
    }
    const pairs = await deps.results.listPairs({ portal: domain });
    const states = await deps.results.statesOf(pairs);
    let jobsRemoved = 0;
    let parked = 0;
    for (const [index, { code }] of pairs.entries()) {
      jobsRemoved += await deps.queue.remove(pairJobId(domain, code)).catch(() => 0);
      const state = states[index]?.state;
      if (state === 'pending' || state === 'failed') {
        await deps.results.markNeedsReauth(domain, code, PORTAL_REMOVED);
        parked++;
      }
    }
    summary.removed.push({ domain, jobsRemoved, parked });
    deps.logger.info({ domain, by, pairs: pairs.length, parked, jobsRemoved }, 'portal removed');
  }
  return summary;
}
