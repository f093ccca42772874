import type { PairResult, PairState } from '../store/pair-result.js';
import type { ResultStore } from '../store/result-store.js';

export interface PairFilter {
  portal?: string;
  code?: string;
  states?: readonly PairState[];
  /** Case-insensitive substring of portal or code. */
  search?: string;
  /** Any further condition on the stored result (applied last, per chunk: nothing else is held in memory). */
  where?: (result: PairResult) => boolean;
}

/** Reads the results matching a filter (streaming the pair index in chunks; fine for 100k pairs). */
export async function findPairs(results: ResultStore, filter: PairFilter = {}): Promise<PairResult[]> {
  const pairs = await results.listPairs(filter.portal ? { portal: filter.portal } : {});
  const selected = filter.code ? pairs.filter((p) => p.code === filter.code) : pairs;
  const search = filter.search?.toLowerCase();
  const out: PairResult[] = [];
  for (let i = 0; i < selected.length; i += 2_000) {
    for (const result of await results.getMany(selected.slice(i, i + 2_000))) {
      if (!result) continue;
      if (filter.states && !filter.states.includes(result.state)) continue;
      if (search && !`${result.portal} ${result.code}`.toLowerCase().includes(search)) continue;
      if (filter.where && !filter.where(result)) continue;
      out.push(result);
    }
  }
  return out;
}
