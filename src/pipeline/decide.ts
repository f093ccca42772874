import { AuthError, BitrixError, type RateLimitedError } from '../bitrix/bitrix-error.js';
import type { Config } from '../config/config-schema.js';
import { TokenSourceError } from '../tokens/token-source-error.js';

/**
 * What to do after a failed call. Pure: the worker carries it out.
 * - `retry`: a transient fault, or no answer (safe to repeat: every call is idempotent, docs/bitrix24.md):
 *   try again at `at`; the attempt counts.
 * - `slow_portal`: the server's bucket is full (QUERY_LIMIT_EXCEEDED): the whole portal slows down; no attempt spent.
 * - `wait`: the server says wait until `at` (OPERATION_TIME_LIMIT parks the method, OVERLOAD_LIMIT the portal),
 *   or the token source cannot hand out a token now (decideSourceFailure); no attempt spent.
 * - `refresh_token`: the access token was rejected: refresh once and call again; no attempt spent.
 * - `reauth`: the credentials are dead; park the pair until new ones are imported.
 * - `fail`: permanent, or out of attempts.
 */
export type Decision =
  | { kind: 'retry'; at: number }
  | { kind: 'slow_portal' }
  | { kind: 'wait'; at: number; scope: 'method' | 'portal' }
  | { kind: 'refresh_token' }
  | { kind: 'reauth' }
  | { kind: 'fail'; reason: 'permanent' | 'attempts_exhausted' };

export interface DecideContext {
  /** Attempts made so far for this operation, including the one that just failed (1-based). */
  attempt: number;
  /** Token refreshes already done for this job run: a token that fails again right after a refresh is dead. */
  refreshesThisRun: number;
  now: number;
  /** A number in [0, 1), for the jitter. */
  random: number;
  retry: Config['retry'];
  overloadDelayMs: number;
  defaultParkMs: number;
}

/** Exponential back-off with +-jitter, capped: base * 2^(attempt-1). */
export function backoffDelay(attempt: number, retry: Config['retry'], random: number): number {
  const exponential = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const spread = exponential * retry.jitter * (random * 2 - 1);
  return Math.max(0, Math.round(Math.min(retry.maxDelayMs, exponential + spread)));
}

/**
 * A token source failed to hand out the portal's token (docs/tokens.md, "The token contract"); never an attempt:
 * - `not_known` (404) and `mismatch` (a token for another portal): `reauth`, the pairs wait for a re-import;
 * - `refused` (401/403): `wait` until the source's pause ends (`retryAt`, set from the source's health);
 * - `unavailable` (5xx, timeout, malformed): `wait` with back-off on the source's failures in a row.
 */
export function decideSourceFailure(error: TokenSourceError, ctx: DecideContext): Decision {
  switch (error.failure) {
    case 'not_known':
    case 'mismatch':
      return { kind: 'reauth' };
    case 'refused':
      return {
        kind: 'wait',
        at:
          error.retryAt !== undefined && error.retryAt > ctx.now
            ? error.retryAt
            : ctx.now + ctx.retry.maxDelayMs,
        scope: 'portal',
      };
    case 'unavailable':
      return {
        kind: 'wait',
        at: ctx.now + backoffDelay(Math.max(1, error.failures ?? 1), ctx.retry, ctx.random),
        scope: 'portal',
      };
  }
}

export function decide(error: unknown, ctx: DecideContext): Decision {
  if (error instanceof TokenSourceError) return decideSourceFailure(error, ctx);
  if (!(error instanceof BitrixError)) {
    // Not an answer from Bitrix24 (a bug, a Redis hiccup): retry within the attempt budget.
    return ctx.attempt >= ctx.retry.maxAttempts
      ? { kind: 'fail', reason: 'attempts_exhausted' }
      : { kind: 'retry', at: ctx.now + backoffDelay(ctx.attempt, ctx.retry, ctx.random) };
  }
  switch (error.errorClass) {
    case 'permanent':
      return { kind: 'fail', reason: 'permanent' };
    case 'auth': {
      // INVALID_CREDENTIALS: the webhook code (or the user behind the token) is wrong; no refresh can fix it, the
      // portal waits for new credentials (docs/bitrix24.md, "Who is calling").
      if (error instanceof AuthError && error.reason === 'invalid_credentials') return { kind: 'reauth' };
      // expired_token: refresh (twice at most: a token can expire again while the job waits); any other
      // rejection gets one refresh, and a rejection straight after it means the credentials are dead.
      const refreshesAllowed = error.code === 'expired_token' ? 2 : 1;
      return ctx.refreshesThisRun < refreshesAllowed ? { kind: 'refresh_token' } : { kind: 'reauth' };
    }
    case 'rate_limited': {
      const limited = error as RateLimitedError;
      if (limited.limit === 'query_limit') return { kind: 'slow_portal' };
      if (limited.limit === 'operation_time') {
        const at =
          limited.retryAt && limited.retryAt > ctx.now ? limited.retryAt : ctx.now + ctx.defaultParkMs;
        return { kind: 'wait', at, scope: 'method' };
      }
      return { kind: 'wait', at: ctx.now + ctx.overloadDelayMs, scope: 'portal' };
    }
    case 'transient':
    case 'ambiguous':
      return ctx.attempt >= ctx.retry.maxAttempts
        ? { kind: 'fail', reason: 'attempts_exhausted' }
        : { kind: 'retry', at: ctx.now + backoffDelay(ctx.attempt, ctx.retry, ctx.random) };
  }
}
