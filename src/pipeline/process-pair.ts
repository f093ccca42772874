import { BitrixError } from '../bitrix/bitrix-error.js';
import type { PortalTarget } from '../bitrix/portal-target.js';
import { APP_UNINSTALLED } from '../store/app-uninstalled.js';
import type { StoredPortal } from '../store/portal-store.js';
import { ReauthRequiredError } from '../tokens/reauth-required-error.js';
import { callAlone } from './call-alone.js';
import type { PairJob } from './pair-job.js';
import type { PairOutcome } from './pair-outcome.js';
import type { PairProcessorDeps } from './pair-processor-deps.js';
import { METHOD_OF, planOperation } from './plan-operation.js';
import { PORTAL_REMOVED } from './portal-removed.js';
import { prepareCall } from './prepare-call.js';
import { handleFailure, type PairCall } from './record-call-outcome.js';
import { resolveBotId } from './resolve-bot-id.js';
import { runPortalBatch } from './run-portal-batch.js';

/** Bounds the loop that follows a definition changed while the job ran, token refreshes and re-registers. */
const MAX_STEPS = 8;
/** A pair due within this many ms is called now rather than delayed for it. */
export const DUE_SLACK_MS = 5;

/**
 * Reconciles one portal x app pair: calls register, update or unregister under the portal's rate limit, with a
 * fresh token, and records the outcome durably. With batching on (the default), the call goes out in one
 * Bitrix24 `batch` request together with the portal's other due pairs (runPortalBatch). Returns what the queue
 * should do with the job. Never sleeps: waiting is the queue's job (moveToDelayed), so a throttled portal
 * blocks no worker.
 */
export async function processPair(job: PairJob, deps: PairProcessorDeps): Promise<PairOutcome> {
  const { domain, code } = job;
  const { config, results, now } = deps;
  let refreshes = 0;
  for (let step = 0; step < MAX_STEPS; step++) {
    // The pair and when it is due first: most jobs of a batched rollout find their pair settled by another
    // job's batch and end here, without reading (and opening) the portal's credentials.
    const { result, dueAt } = await results.getWithDue(domain, code);
    if (!result) return { kind: 'done', state: 'unknown_pair' };
    // Failed for good or parked, by this job or by another job's batch: nothing to call until an operator
    // retries it or new credentials are imported (both queue the pair again).
    if (result.state === 'failed' || result.state === 'needs_reauth')
      return { kind: 'done', state: result.state };
    const op = planOperation(result);
    if (op === undefined) {
      const settled = result.appId === null ? 'unregistered' : 'registered';
      if (result.state !== settled) await results.settle(domain, code, settled);
      return { kind: 'done', state: settled };
    }
    // Another worker has taken the pair into its batch, or it waits for a retry: come back then.
    if (dueAt !== undefined && dueAt > now() + DUE_SLACK_MS) {
      return { kind: 'delay', until: dueAt, reason: 'not_due' };
    }

    // The application was removed from the portal (ONAPPUNINSTALL): nothing may call it (docs/install-events.md).
    // Nor a portal removed by an operator or the backend (docs/operations.md, "remove-portal: stop calling a portal").
    const portalState = await deps.portals.stateOf(domain);
    if (portalState === 'uninstalled' || portalState === 'removed') {
      await results.markNeedsReauth(
        domain,
        code,
        portalState === 'removed' ? PORTAL_REMOVED : APP_UNINSTALLED,
      );
      return { kind: 'done', state: 'needs_reauth' };
    }
    let target: PortalTarget;
    let portal: StoredPortal;
    try {
      ({ target, portal } = await deps.tokens.targetFor(domain));
    } catch (error) {
      if (error instanceof ReauthRequiredError) {
        await results.markNeedsReauth(domain, code, { code: error.code, message: error.message });
        return { kind: 'done', state: 'needs_reauth' };
      }
      if (!(error instanceof BitrixError)) throw error;
      // The token refresh failed in a way p-retry could not fix (OAuth server down): an attempt like any other.
      const handled = await handleFailure(
        error,
        { domain, code, result, call: { op, method: METHOD_OF[op] }, refreshes, target: undefined },
        deps,
      );
      if (handled === 'again') continue;
      return handled;
    }

    // A portal that names its bot by CODE: the id is resolved once (imbot.bot.list) and stored on the portal.
    if (portal.botId === undefined && portal.botCode !== undefined && op !== 'unregister') {
      const resolved = await resolveBotId(
        { domain, code, result, op, portal: { ...portal, botCode: portal.botCode }, target, refreshes },
        deps,
      );
      if (resolved === 'again') {
        refreshes++;
        continue;
      }
      if (typeof resolved !== 'number') return resolved;
      portal = { ...portal, botId: resolved };
    }

    const reservation = await deps.limiter.reserve(
      domain,
      METHOD_OF[op],
      portal.rateLimit ?? config.portalRate,
    );
    if (!reservation.granted) {
      deps.metrics.delayed(reservation.reason);
      return { kind: 'delay', until: reservation.retryAt, reason: reservation.reason };
    }

    if (config.batch.enabled) {
      const followUp = await runPortalBatch(
        { job, result, op, portal, target, refreshes, epoch: reservation.epoch },
        deps,
      );
      if (followUp === 'again') refreshes++;
      if (followUp === 'again' || followUp === 'look_again') continue;
      return followUp;
    }

    const prepared = await prepareCall(result, op, {
      botId: portal.botId,
      config,
      definitions: deps.definitions,
    });
    if ('error' in prepared) {
      await results.recordFailure(domain, code, { op, error: prepared.error, final: true });
      return { kind: 'failed', error: prepared.error };
    }
    const pair: PairCall = {
      domain,
      code,
      result,
      call: prepared,
      refreshes,
      target,
      epoch: reservation.epoch,
    };
    const followUp = await callAlone(pair, deps);
    if (followUp === 'again') refreshes++; // the next call uses the new token, no attempt spent
    if (followUp === 'again' || followUp === 'look_again') continue;
    return followUp;
  }
  return { kind: 'delay', until: now() + 1_000, reason: 'loop_bound' };
}
