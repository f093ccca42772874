import { BitrixError } from '../bitrix/bitrix-error.js';
import type { PortalTarget } from '../bitrix/portal-target.js';
import type { PairError, PairResult } from '../store/pair-result.js';
import { ReauthRequiredError } from '../tokens/reauth-required-error.js';
import { decide } from './decide.js';
import type { PairOutcome } from './pair-outcome.js';
import type { PairProcessorDeps } from './pair-processor-deps.js';
import { type PreparedCall, parseAppId, UnreadableAppIdError } from './prepare-call.js';

/** One pair's call as it was made: what was read before it, and with which credentials. */
export interface PairCall {
  domain: string;
  code: string;
  /** The pair as read before the call. */
  result: PairResult;
  call: PreparedCall;
  /** Token refreshes already done for this pair in this job run. */
  refreshes: number;
  /** The target the call used; undefined when none was made. */
  target: PortalTarget | undefined;
  /**
   * The limiter's epoch when the call was granted: a 503 from a call sent before the portal was last slowed is
   * merged with the report that slowed it (src/ratelimit/portal-rate-limiter.ts).
   */
  epoch?: number;
}

/** `again`: call again now (a token was refreshed: no attempt spent); `look_again`: re-read the pair and go on. */
export type CallFollowUp = PairOutcome | 'again' | 'look_again';

export function asPairError(error: unknown): PairError {
  if (error instanceof BitrixError) return { code: error.code, message: error.description || error.message };
  if (error instanceof UnreadableAppIdError) return { code: error.code, message: error.message };
  return { code: 'INTERNAL_ERROR', message: error instanceof Error ? error.message : String(error) };
}

/**
 * A call succeeded: records it (MARK_APPLIED). A register's answer must hold an APP_ID (else UnreadableAppIdError
 * is thrown for the caller to record as a failure). `settled`: the pair is done; otherwise a step remains (the
 * update after a register, the register after a recreate's unregister) or the definition changed meanwhile.
 */
export async function recordSuccess(
  pair: PairCall,
  answer: unknown,
  deps: PairProcessorDeps,
  /** An earlier step of the same request recorded with it in one write (the register before this update). */
  after?: 'register',
): Promise<{ settled: boolean; appId: number | null }> {
  const { op } = pair.call;
  let appId: number | null = op === 'unregister' ? null : pair.result.appId;
  if (op === 'register') {
    const returned = parseAppId(answer);
    if (returned === undefined) throw new UnreadableAppIdError(answer);
    appId = returned;
  }
  const applied = await deps.results.markApplied(pair.domain, pair.code, {
    op,
    appId,
    // Only an update is known to leave the portal holding exactly this definition: a register may have returned
    // an existing app with older fields (get-or-create), so an update always follows it.
    defHash: op === 'update' ? pair.result.desiredDefHash : undefined,
    hashUsed: op === 'unregister' ? undefined : pair.call.hashUsed,
    recreated: op === 'unregister' && pair.result.recreate,
    ...(after === undefined ? {} : { after }),
  });
  deps.logger.debug({ domain: pair.domain, code: pair.code, op, appId }, 'pair applied');
  return { settled: applied.stillWanted, appId };
}

/**
 * A call failed. The app being gone already (`CHAT_APP_ID_ERROR`) completes an unregister and makes an update
 * register anew; anything else goes through the retry policy (`decide`).
 */
export async function recordCallError(
  error: unknown,
  pair: PairCall,
  deps: PairProcessorDeps,
): Promise<CallFollowUp> {
  const { op } = pair.call;
  if (error instanceof BitrixError && error.code === 'CHAT_APP_ID_ERROR' && op !== 'register') {
    if (op === 'unregister') {
      await deps.results.markApplied(pair.domain, pair.code, {
        op,
        appId: null,
        defHash: undefined,
        hashUsed: undefined,
        recreated: pair.result.recreate,
      });
    } else await deps.results.forgetAppId(pair.domain, pair.code);
    return 'look_again';
  }
  return await handleFailure(error, pair, deps);
}

/** Carries out `decide` for a failed attempt: records it and says how the job goes on. */
export async function handleFailure(
  error: unknown,
  pair: PairCall | (Omit<PairCall, 'call'> & { call: Pick<PreparedCall, 'op' | 'method'> }),
  deps: PairProcessorDeps,
): Promise<PairOutcome | 'again'> {
  const { domain, code } = pair;
  const { op, method } = pair.call;
  const { config, results } = deps;
  const pairError = asPairError(error);
  const decision = decide(error, {
    attempt: pair.result.attempts + 1,
    refreshesThisRun: pair.refreshes,
    now: deps.now(),
    random: deps.random(),
    retry: config.retry,
    overloadDelayMs: config.overload.delayMs,
    defaultParkMs: config.operationTimeLimit.defaultParkMs,
  });
  deps.logger.warn({ domain, code, op, error: pairError, decision: decision.kind }, 'attempt failed');
  switch (decision.kind) {
    case 'refresh_token':
      return await refreshAfterRejection(pairError, pair, deps);
    case 'reauth':
      await deps.portals.markNeedsReauth(domain, `${pairError.code}: ${pairError.message}`);
      await results.markNeedsReauth(domain, code, pairError);
      return { kind: 'done', state: 'needs_reauth' };
    case 'slow_portal': {
      deps.metrics.delayed('query_limit');
      const { epoch } = pair;
      const { until } = await deps.limiter.reportQueryLimitExceeded(
        domain,
        epoch === undefined ? undefined : { epoch },
      );
      await results.recordWait(domain, code, { op, until, error: pairError });
      return { kind: 'delay', until, reason: 'query_limit' };
    }
    case 'wait':
      deps.metrics.delayed(pairError.code);
      if (decision.scope === 'method') await deps.limiter.parkMethod(domain, method, decision.at);
      await results.recordWait(domain, code, { op, until: decision.at, error: pairError });
      return { kind: 'delay', until: decision.at, reason: pairError.code };
    case 'retry':
      deps.metrics.retry(pairError.code);
      await results.recordFailure(domain, code, {
        op,
        error: pairError,
        final: false,
        nextAttemptAt: decision.at,
      });
      return { kind: 'delay', until: decision.at, reason: 'retry' };
    case 'fail':
      await results.recordFailure(domain, code, { op, error: pairError, final: true });
      return { kind: 'failed', error: pairError };
  }
}

/**
 * The portal refused the access token: refresh it once across all workers (token manager), then call again
 * without spending an attempt. A webhook cannot be refreshed: the portal needs new credentials.
 */
export async function refreshAfterRejection(
  rejection: PairError,
  pair: Pick<PairCall, 'domain' | 'code' | 'target' | 'result' | 'refreshes'> & {
    call: Pick<PreparedCall, 'op' | 'method'>;
  },
  deps: PairProcessorDeps,
): Promise<PairOutcome | 'again'> {
  const { domain, code } = pair;
  if (pair.target?.kind !== 'oauth') {
    const reason = {
      code: rejection.code,
      message: `the webhook was refused (${rejection.message}); import a working webhook URL`,
    };
    await deps.portals.markNeedsReauth(domain, `${reason.code}: ${reason.message}`);
    await deps.results.markNeedsReauth(domain, code, reason);
    return { kind: 'done', state: 'needs_reauth' };
  }
  try {
    await deps.tokens.refreshAfterRejected(domain, pair.target.accessToken);
    return 'again';
  } catch (refreshError) {
    if (refreshError instanceof ReauthRequiredError) {
      await deps.results.markNeedsReauth(domain, code, {
        code: refreshError.code,
        message: refreshError.message,
      });
      return { kind: 'done', state: 'needs_reauth' };
    }
    if (!(refreshError instanceof BitrixError) || refreshError.errorClass === 'auth') throw refreshError;
    return await handleFailure(refreshError, { ...pair, target: undefined }, deps);
  }
}
