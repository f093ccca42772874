import { BitrixError } from '../bitrix/bitrix-error.js';
import type { PortalTarget } from '../bitrix/portal-target.js';
import type { PairOutcome } from './pair-outcome.js';
import type { PairProcessorDeps } from './pair-processor-deps.js';
import { type PairCall, recordCallError, recordSuccess } from './record-call-outcome.js';

/** The single-call path: one HTTP request for this pair's call (`batch.enabled: false`, or a call too large). */
export async function callAlone(
  pair: PairCall,
  deps: PairProcessorDeps,
): Promise<PairOutcome | 'again' | 'look_again'> {
  const { method, params } = pair.call;
  const started = performance.now();
  try {
    const answer = await deps.rest.call(pair.target as PortalTarget, method, params);
    deps.metrics.call(method, 'ok', performance.now() - started);
    const recorded = await recordSuccess(pair, answer.result, deps);
    if (recorded.settled) {
      return { kind: 'done', state: recorded.appId === null ? 'unregistered' : 'registered' };
    }
    return 'look_again';
  } catch (error) {
    if (error instanceof BitrixError) deps.metrics.call(method, error.code, performance.now() - started);
    return await recordCallError(error, pair, deps);
  }
}
