import type { PairResult, PairState } from '../store/pair-result.js';
import type { ResultStore } from '../store/result-store.js';
import { mergePairChunks, type PairName } from './merge-pair-chunks.js';

export interface PairFilter {
  portal?: string;
  code?: string;
  states?: readonly PairState[];
  /** Case-insensitive substring of portal or code. */
  search?: string;
  /** Any further condition on the stored result (applied last, per chunk: nothing else is held in memory). */
  where?: (result: PairResult) => boolean;
}

const CHUNK = 2_000;

/**
 * The names of the pairs matching the filter's portal, code, states and search, in pair order (domain, then
 * code), reading names only: with `states`, from the per-state index (pairsByState), so the cost follows the
 * pairs in those states, not all pairs; otherwise from the pair index. One chunk per stream is held at a time.
 */
export async function* matchingPairNames(
  results: ResultStore,
  filter: Omit<PairFilter, 'where'>,
): AsyncGenerator<PairName> {
  const scope = { ...(filter.portal === undefined ? {} : { portal: filter.portal }), chunk: CHUNK };
  const streams = filter.states
    ? [...new Set(filter.states)].map((state) => results.stateChunks(state, scope))
    : [results.pairChunks(scope)];
  const search = filter.search?.toLowerCase();
  for await (const pair of mergePairChunks(streams)) {
    if (filter.code !== undefined && pair.code !== filter.code) continue;
    if (search && !`${pair.domain} ${pair.code}`.toLowerCase().includes(search)) continue;
    yield pair;
  }
}

/**
 * The results matching a filter in pair order, `chunk` at a time (only one chunk of results is held). A pair
 * whose state changed between the index read and its result read is judged by its result.
 */
export async function* findPairChunks(
  results: ResultStore,
  filter: PairFilter = {},
  chunk = CHUNK,
): AsyncGenerator<PairResult[]> {
  const search = filter.search?.toLowerCase();
  const keep = (result: PairResult | undefined): result is PairResult =>
    result !== undefined &&
    (!filter.states || filter.states.includes(result.state)) &&
    (!search || `${result.portal} ${result.code}`.toLowerCase().includes(search)) &&
    (!filter.where || filter.where(result));
  let names: PairName[] = [];
  const flush = async () => {
    const found = (await results.getMany(names)).filter(keep);
    names = [];
    return found;
  };
  for await (const name of matchingPairNames(results, filter)) {
    names.push(name);
    if (names.length >= chunk) {
      const found = await flush();
      if (found.length > 0) yield found;
    }
  }
  const found = await flush();
  if (found.length > 0) yield found;
}

/** Reads the results matching a filter (see findPairChunks) into one array. */
export async function findPairs(results: ResultStore, filter: PairFilter = {}): Promise<PairResult[]> {
  const out: PairResult[] = [];
  for await (const chunk of findPairChunks(results, filter)) out.push(...chunk);
  return out;
}
