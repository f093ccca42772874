import { findPairs, matchingPairNames, type PairFilter } from '../ops/find-pairs.js';
import { type StatusRow, toStatusRow } from '../ops/status-row.js';
import { PAIR_STATES, type PairState } from '../store/pair-result.js';
import type { ResultStore } from '../store/result-store.js';

export interface PortalSummary {
  portal: string;
  /** The matching pairs of this portal by state. */
  states: Record<PairState, number>;
  pairs: StatusRow[];
}

export interface PortalPage {
  /** Portals with at least one matching pair. */
  total: number;
  /** Matching pairs over all those portals. */
  pairs: number;
  offset: number;
  limit: number;
  portals: PortalSummary[];
}

function emptyStates(): Record<PairState, number> {
  const states = {} as Record<PairState, number>;
  for (const state of PAIR_STATES) states[state] = 0;
  return states;
}

/** One portal's matching pairs (that portal's pairs only are read). */
async function portalSummary(
  results: ResultStore,
  domain: string,
  filter: Omit<PairFilter, 'where'>,
): Promise<PortalSummary> {
  const summary: PortalSummary = { portal: domain, states: emptyStates(), pairs: [] };
  for (const result of await findPairs(results, { ...filter, portal: domain })) {
    summary.states[result.state]++;
    summary.pairs.push(toStatusRow(result));
  }
  return summary;
}

/**
 * The results grouped by portal (index order: by domain, then app code), one page of portals. With no filter
 * or one state, the totals come from counters and the page of portals from the portal indexes (resultPortals,
 * portalStates): the cost follows the page, not the number of pairs. A code, a search or several states walk
 * the pairs' names (per-state index when states are given) without reading their results; only the page's
 * portals are read.
 */
export async function readPortalPage(
  results: ResultStore,
  filter: Omit<PairFilter, 'where'>,
  page: { offset: number; limit: number },
): Promise<PortalPage> {
  const states = filter.states ? [...new Set(filter.states)] : undefined;
  const state = states?.length === 1 ? states[0] : undefined;
  const byCounters =
    filter.portal === undefined &&
    filter.code === undefined &&
    !filter.search &&
    (states === undefined || state !== undefined);
  let total = 0;
  let pairs = 0;
  let domains: string[] = [];
  if (byCounters) {
    const [listed, counts] = await Promise.all([
      results.listPortals({ ...(state ? { state } : {}), offset: page.offset, limit: page.limit }),
      results.countsByState(),
    ]);
    total = listed.total;
    pairs = state ? counts[state] : Object.values(counts).reduce((sum, n) => sum + n, 0);
    domains = listed.domains;
  } else {
    let last: string | undefined;
    for await (const pair of matchingPairNames(results, filter)) {
      pairs++;
      if (pair.domain === last) continue;
      last = pair.domain;
      if (total >= page.offset && total < page.offset + page.limit) domains.push(pair.domain);
      total++;
    }
  }
  const summaries = await Promise.all(domains.map((domain) => portalSummary(results, domain, filter)));
  return {
    total,
    pairs,
    offset: page.offset,
    limit: page.limit,
    // A portal whose matching pairs all moved on between the two reads is left out of the page.
    portals: summaries.filter((summary) => summary.pairs.length > 0),
  };
}
