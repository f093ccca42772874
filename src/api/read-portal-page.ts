import { findPairs, type PairFilter } from '../ops/find-pairs.js';
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

/** The results grouped by portal (index order: by domain, then app code), one page of portals. */
export async function readPortalPage(
  results: ResultStore,
  filter: PairFilter,
  page: { offset: number; limit: number },
): Promise<PortalPage> {
  const matching = await findPairs(results, filter);
  const byPortal = new Map<string, PortalSummary>();
  for (const result of matching) {
    let summary = byPortal.get(result.portal);
    if (!summary) {
      summary = { portal: result.portal, states: emptyStates(), pairs: [] };
      byPortal.set(result.portal, summary);
    }
    summary.states[result.state]++;
    summary.pairs.push(toStatusRow(result));
  }
  const portals = [...byPortal.values()];
  return {
    total: portals.length,
    pairs: matching.length,
    offset: page.offset,
    limit: page.limit,
    portals: portals.slice(page.offset, page.offset + page.limit),
  };
}
