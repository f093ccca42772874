import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AppDefinition } from '../apps/app-definition-schema.js';
import { deriveAppHash } from '../apps/derive-app-hash.js';
import { toRegisterParams, toUpdateFields } from '../apps/to-method-params.js';
import { BitrixError } from '../bitrix/bitrix-error.js';
import type { MethodAnswer } from '../bitrix/call-method.js';
import type { PortalTarget } from '../bitrix/portal-target.js';
import type { Config } from '../config/config-schema.js';
import type { PipelineMetrics } from '../metrics/pipeline-metrics.js';
import type { PortalRateLimiter } from '../ratelimit/portal-rate-limiter.js';
import type { PairError, PairState } from '../results/pair-result.js';
import type { ResultStore } from '../results/result-store.js';
import type { DefinitionStore } from '../store/definition-store.js';
import type { PortalStore, StoredPortal } from '../store/portal-store.js';
import { ReauthRequiredError } from '../tokens/reauth-required-error.js';
import type { TokenManager } from '../tokens/token-manager.js';
import { decide } from './decide.js';
import type { PairJob } from './pair-job.js';
import { METHOD_OF, type Operation, planOperation } from './plan-operation.js';

export interface PairProcessorDeps {
  config: Config;
  results: ResultStore;
  definitions: DefinitionStore;
  portals: PortalStore;
  tokens: TokenManager;
  limiter: PortalRateLimiter;
  rest: {
    call<T = unknown>(
      target: PortalTarget,
      method: string,
      params: Record<string, unknown>,
    ): Promise<MethodAnswer<T>>;
  };
  logger: Logger;
  now: () => number;
  random: () => number;
  metrics: PipelineMetrics;
}

/** What the queue adapter does next: finish the job, move it to delayed until `until`, or fail it for good. */
export type PairOutcome =
  | { kind: 'done'; state: PairState | 'unknown_pair' }
  | { kind: 'delay'; until: number; reason: string }
  | { kind: 'failed'; error: PairError };

/** Bounds the loop that follows a definition changed while the job ran, token refreshes and re-registers. */
const MAX_STEPS = 8;

function asPairError(error: unknown): PairError {
  if (error instanceof BitrixError) return { code: error.code, message: error.description || error.message };
  if (error instanceof UnreadableAppIdError) return { code: 'UNREADABLE_APP_ID', message: error.message };
  return { code: 'INTERNAL_ERROR', message: error instanceof Error ? error.message : String(error) };
}

function parseAppId(result: unknown): number | undefined {
  const id = typeof result === 'string' ? Number(result) : result;
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/** The IFRAME HASH to send: the definition's, or derived per portal for "auto" (an Error when no secret is set). */
function iframeHash(def: AppDefinition, domain: string, config: Config): string | undefined | Error {
  if (!('IFRAME' in def) || def.HASH === undefined) return undefined;
  if (def.HASH !== 'auto') return def.HASH;
  if (!config.hashSecret) {
    return new Error(
      'ROLLOUT_HASH_SECRET is not set on this worker but the definition asks for "HASH": "auto"',
    );
  }
  return deriveAppHash(config.hashSecret, domain, def.CODE);
}

/**
 * Reconciles one portal x app pair: calls register, update or unregister under the portal's rate limit,
 * with a fresh token, and records the outcome durably. Returns what the queue should do with the job.
 * Never sleeps: waiting is the queue's job (moveToDelayed), so a throttled portal blocks no worker.
 */
export async function processPair(job: PairJob, deps: PairProcessorDeps): Promise<PairOutcome> {
  const { domain, code } = job;
  const { config, results, now } = deps;
  let refreshes = 0;
  for (let step = 0; step < MAX_STEPS; step++) {
    // The pair and the portal's credentials are read at once (one round trip of latency instead of two); the
    // credentials are only used if there is something to call.
    const [result, resolved] = await Promise.all([
      results.get(domain, code),
      deps.tokens.targetFor(domain).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
    ]);
    if (!result) return { kind: 'done', state: 'unknown_pair' };
    const op = planOperation(result);
    if (op === undefined) {
      const settled = result.appId === null ? 'unregistered' : 'registered';
      if (result.state !== settled) await results.settle(domain, code, settled);
      return { kind: 'done', state: settled };
    }

    let target: PortalTarget;
    let portal: StoredPortal;
    try {
      if ('error' in resolved) throw resolved.error;
      ({ target, portal } = resolved.value);
    } catch (error) {
      if (error instanceof ReauthRequiredError) {
        await results.markNeedsReauth(domain, code, { code: error.code, message: error.message });
        return { kind: 'done', state: 'needs_reauth' };
      }
      if (!(error instanceof BitrixError)) throw error;
      // The token refresh failed in a way p-retry could not fix (OAuth server down): an attempt like any other.
      const handled = await handleFailure(
        error,
        { job, op, attempts: result.attempts, refreshes, ambiguous: false, target: undefined },
        deps,
      );
      if (handled === 'again') continue;
      return handled;
    }

    const method = METHOD_OF[op];
    const reservation = await deps.limiter.reserve(domain, method, portal.rateLimit ?? config.portalRate);
    if (!reservation.granted) {
      deps.metrics.delayed(reservation.reason);
      return { kind: 'delay', until: reservation.retryAt, reason: reservation.reason };
    }

    let definition: AppDefinition | undefined;
    if (op !== 'unregister') {
      definition = result.desiredDefHash ? await deps.definitions.get(result.desiredDefHash) : undefined;
      if (!definition) {
        const error = {
          code: 'DEFINITION_MISSING',
          message: 'the queued definition is not stored; run rollout again',
        };
        await results.recordFailure(domain, code, { op, error, final: true, ambiguous: false });
        return { kind: 'failed', error };
      }
    }
    const hashUsed = definition ? iframeHash(definition, domain, config) : undefined;
    if (hashUsed instanceof Error) {
      const error = { code: 'HASH_SECRET_MISSING', message: hashUsed.message };
      await results.recordFailure(domain, code, { op, error, final: true, ambiguous: false });
      return { kind: 'failed', error };
    }
    const params = buildParams(op, definition, { botId: portal.botId, appId: result.appId, hash: hashUsed });
    // Checked and marked atomically: another run of this job (a stalled lock taken over) may have registered the
    // app since the read above; then look again instead of registering a second app.
    if (
      op === 'register' &&
      (await results.beginRegister(domain, code, randomUUID())) === 'already_registered'
    ) {
      continue;
    }

    const callStarted = performance.now();
    try {
      const answer = await deps.rest.call(target, method, params);
      deps.metrics.call(method, 'ok', performance.now() - callStarted);
      // The limiter's bookkeeping and the durable result are independent writes: sent together.
      const reported = deps.limiter.reportSuccess(domain);
      let appId: number | null = op === 'unregister' ? null : result.appId;
      if (op === 'register') {
        const created = parseAppId(answer.result);
        if (created === undefined) {
          await reported;
          throw new UnreadableAppIdError(answer.result);
        }
        appId = created;
      }
      const [, applied] = await Promise.all([
        reported,
        results.markApplied(domain, code, {
          op,
          appId,
          defHash: op === 'unregister' ? undefined : result.desiredDefHash,
          hashUsed,
        }),
      ]);
      deps.logger.debug({ domain, code, op, appId }, 'pair applied');
      // Done, unless the definition (or the wish to unregister) changed while the call ran: then look again.
      if (applied.stillWanted) return { kind: 'done', state: appId === null ? 'unregistered' : 'registered' };
    } catch (error) {
      if (error instanceof BitrixError)
        deps.metrics.call(method, error.code, performance.now() - callStarted);
      // The app is already gone: an unregister is done, an update must register it anew.
      if (error instanceof BitrixError && error.code === 'CHAT_APP_ID_ERROR' && op !== 'register') {
        if (op === 'unregister') {
          await results.markApplied(domain, code, {
            op,
            appId: null,
            defHash: undefined,
            hashUsed: undefined,
          });
        } else await results.forgetAppId(domain, code);
        continue;
      }
      const ambiguous = op === 'register' && mayHaveCreated(error);
      const handled = await handleFailure(
        error,
        { job, op, attempts: result.attempts, refreshes, ambiguous, method, target },
        deps,
      );
      if (handled === 'again') {
        refreshes++; // only a token refresh goes again: the next call uses the new token, no attempt spent
        continue;
      }
      return handled;
    }
  }
  return { kind: 'delay', until: now() + 1_000, reason: 'loop_bound' };
}

/**
 * Whether a failed register may still have created the app: no answer came (timeout, reset), or a 2xx answer
 * came that could not be read (the server did the work, the body was cut or garbled).
 */
function mayHaveCreated(error: unknown): boolean {
  if (error instanceof UnreadableAppIdError) return true;
  if (!(error instanceof BitrixError)) return false;
  if (error.errorClass === 'ambiguous') return true;
  return error.code === 'INVALID_RESPONSE' && error.httpStatus !== undefined && error.httpStatus < 300;
}

/** A register call answered 200 but without a readable APP_ID: the app may exist, so it counts as ambiguous. */
class UnreadableAppIdError extends Error {
  override readonly name = 'UnreadableAppIdError';
  constructor(result: unknown) {
    super(`imbot.app.register answered without a numeric APP_ID (${describeResult(result)})`);
  }
}

/** A short, safe description of an unexpected `result` (never throws: it may be nested arbitrarily deep). */
function describeResult(result: unknown): string {
  if (result === null || typeof result !== 'object') return String(result).slice(0, 60);
  return Array.isArray(result) ? `an array of ${result.length}` : 'an object';
}

function buildParams(
  op: Operation,
  definition: AppDefinition | undefined,
  ctx: { botId: number; appId: number | null; hash: string | undefined },
): Record<string, unknown> {
  if (op === 'unregister' || !definition) return { APP_ID: ctx.appId };
  if (op === 'update') return { APP_ID: ctx.appId, FIELDS: toUpdateFields(definition, { hash: ctx.hash }) };
  return toRegisterParams(definition, { botId: ctx.botId, hash: ctx.hash });
}

interface FailureContext {
  job: PairJob;
  op: Operation;
  attempts: number;
  refreshes: number;
  ambiguous: boolean;
  method?: string;
  /** The target the failed call used; undefined when no call was made. */
  target: PortalTarget | undefined;
}

/** Carries out `decide` for a failed attempt: records it and says how the job goes on. */
async function handleFailure(
  error: unknown,
  ctx: FailureContext,
  deps: PairProcessorDeps,
): Promise<PairOutcome | 'again'> {
  const { domain, code } = ctx.job;
  const { config, results } = deps;
  const pairError = asPairError(error);
  const decision = decide(error, {
    attempt: ctx.attempts + 1,
    refreshesThisRun: ctx.refreshes,
    now: deps.now(),
    random: deps.random(),
    retry: config.retry,
    overloadDelayMs: config.overload.delayMs,
    defaultParkMs: config.operationTimeLimit.defaultParkMs,
  });
  deps.logger.info({ domain, code, op: ctx.op, error: pairError, decision: decision.kind }, 'attempt failed');
  switch (decision.kind) {
    case 'refresh_token':
      // A definite answer: the register created nothing, so it is no longer in flight.
      if (ctx.op === 'register') await results.clearInflight(domain, code);
      return await refreshAfterRejection(ctx, deps);
    case 'reauth':
      await deps.portals.markNeedsReauth(domain, `${pairError.code}: ${pairError.message}`);
      await results.markNeedsReauth(domain, code, pairError);
      return { kind: 'done', state: 'needs_reauth' };
    case 'slow_portal': {
      deps.metrics.delayed('query_limit');
      const { until } = await deps.limiter.reportQueryLimitExceeded(domain);
      await results.recordWait(domain, code, { op: ctx.op, until, error: pairError });
      return { kind: 'delay', until, reason: 'query_limit' };
    }
    case 'wait':
      deps.metrics.delayed(pairError.code);
      if (decision.scope === 'method' && ctx.method)
        await deps.limiter.parkMethod(domain, ctx.method, decision.at);
      await results.recordWait(domain, code, { op: ctx.op, until: decision.at, error: pairError });
      return { kind: 'delay', until: decision.at, reason: pairError.code };
    case 'retry':
      deps.metrics.retry(pairError.code);
      await results.recordFailure(domain, code, {
        op: ctx.op,
        error: pairError,
        final: false,
        ambiguous: ctx.ambiguous,
        nextAttemptAt: decision.at,
      });
      return { kind: 'delay', until: decision.at, reason: 'retry' };
    case 'fail':
      await results.recordFailure(domain, code, {
        op: ctx.op,
        error: pairError,
        final: true,
        ambiguous: ctx.ambiguous,
      });
      return { kind: 'failed', error: pairError };
  }
}

/**
 * The portal refused the access token: refresh it once across all workers (token manager), then call again
 * without spending an attempt. A webhook cannot be refreshed: the portal needs new credentials.
 */
async function refreshAfterRejection(
  ctx: FailureContext,
  deps: PairProcessorDeps,
): Promise<PairOutcome | 'again'> {
  const { domain, code } = ctx.job;
  if (ctx.target?.kind !== 'oauth') {
    const reason = {
      code: 'NO_AUTH_FOUND',
      message: 'the webhook was refused; import a working webhook URL',
    };
    await deps.portals.markNeedsReauth(domain, `${reason.code}: ${reason.message}`);
    await deps.results.markNeedsReauth(domain, code, reason);
    return { kind: 'done', state: 'needs_reauth' };
  }
  try {
    await deps.tokens.refreshAfterRejected(domain, ctx.target.accessToken);
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
    return await handleFailure(refreshError, { ...ctx, target: undefined }, deps);
  }
}
