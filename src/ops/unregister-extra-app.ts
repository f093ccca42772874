import { setTimeout as delay } from 'node:timers/promises';
import { BitrixError, RateLimitedError } from '../bitrix/bitrix-error.js';
import type { PortalTarget } from '../bitrix/portal-target.js';
import type { Config } from '../config/config-schema.js';
import type { PortalRateLimiter } from '../ratelimit/portal-rate-limiter.js';
import type { StoredPortal } from '../store/portal-store.js';
import { PortalNotFoundError } from '../tokens/portal-not-found-error.js';
import { ReauthRequiredError } from '../tokens/reauth-required-error.js';
import type { TokenManager } from '../tokens/token-manager.js';
import { ExtraAppError } from './extra-app-error.js';

const METHOD = 'imbot.app.unregister';
const MAX_TRANSIENT_TRIES = 3;

export interface ExtraAppDeps {
  config: Pick<Config, 'portalRate'>;
  tokens: Pick<TokenManager, 'targetFor' | 'refreshAfterRejected'>;
  limiter: Pick<PortalRateLimiter, 'reserve' | 'reportSuccess' | 'reportQueryLimitExceeded'>;
  rest: { call(target: PortalTarget, method: string, params: Record<string, unknown>): Promise<unknown> };
  now: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A failure of the token manager, said for the operator (or rethrown when it is not one). */
function tokenFailure(domain: string, error: unknown): unknown {
  if (error instanceof ReauthRequiredError) {
    return new ExtraAppError(
      'reauth',
      `portal ${domain} needs re-authorisation (${error.code}): import new credentials with \`rollout --portals\` first`,
      { cause: error },
    );
  }
  if (error instanceof PortalNotFoundError)
    return new ExtraAppError('unknown_portal', error.message, { cause: error });
  if (error instanceof BitrixError) {
    return new ExtraAppError('failed', `token refresh for ${domain} failed: ${error.code}`, { cause: error });
  }
  return error;
}

async function targetOf(
  deps: ExtraAppDeps,
  domain: string,
): Promise<{ target: PortalTarget; portal: StoredPortal }> {
  try {
    return await deps.tokens.targetFor(domain);
  } catch (error) {
    throw tokenFailure(domain, error);
  }
}

/**
 * Calls `imbot.app.unregister` with `APP_ID` on `domain` now, from the operator's process, under the same
 * per-portal rate limit as the workers (a denied reservation waits for its ticket and tries again, for at most
 * `maxWaitMs`). An expired token is refreshed once (single flight with the workers). Resolves when the portal
 * answered `true`; otherwise throws ExtraAppError (CHAT_APP_ID_ERROR: no such app; APP_ID_ERROR: it belongs to
 * another REST application — bitrix24-facts.md, imbot.app.unregister).
 */
export async function unregisterExtraApp(
  deps: ExtraAppDeps,
  request: { domain: string; appId: number; maxWaitMs?: number },
): Promise<void> {
  const { domain, appId } = request;
  const sleep = deps.sleep ?? ((ms: number) => delay(ms));
  const deadline = deps.now() + (request.maxWaitMs ?? 60_000);
  const waitUntil = async (at: number | undefined, why: string) => {
    if (at === undefined || at > deadline) {
      const until = at === undefined ? '' : ` until ${new Date(at).toISOString()}`;
      throw new ExtraAppError('rate_limited', `portal ${domain} is busy (${why})${until}: try again later`);
    }
    await sleep(Math.max(0, at - deps.now()));
  };
  let refreshed = false;
  let transientTries = 0;
  for (;;) {
    const { target, portal } = await targetOf(deps, domain);
    const reservation = await deps.limiter.reserve(
      domain,
      METHOD,
      portal.rateLimit ?? deps.config.portalRate,
    );
    if (!reservation.granted) {
      await waitUntil(reservation.retryAt, reservation.reason);
      continue;
    }
    try {
      await deps.rest.call(target, METHOD, { APP_ID: appId });
      await deps.limiter.reportSuccess(domain);
      return;
    } catch (error) {
      if (!(error instanceof BitrixError)) throw error;
      const said = `${error.code}${error.description ? `: ${error.description.slice(0, 200)}` : ''}`;
      if (error.code === 'CHAT_APP_ID_ERROR') {
        throw new ExtraAppError(
          'not_found',
          `portal ${domain} has no chat app with APP_ID ${appId} (CHAT_APP_ID_ERROR): check the id; if there is no duplicate, use --accept`,
          { cause: error },
        );
      }
      if (error.code === 'APP_ID_ERROR') {
        throw new ExtraAppError(
          'other_owner',
          `APP_ID ${appId} on ${domain} belongs to another REST application (APP_ID_ERROR): it is not ours to remove`,
          { cause: error },
        );
      }
      if (error.errorClass === 'auth' && !refreshed && target.kind === 'oauth') {
        refreshed = true;
        try {
          await deps.tokens.refreshAfterRejected(domain, target.accessToken);
        } catch (refreshError) {
          throw tokenFailure(domain, refreshError);
        }
        continue;
      }
      if (error instanceof RateLimitedError) {
        if (error.limit === 'query_limit') {
          await deps.limiter.reportQueryLimitExceeded(domain);
          continue; // the next reservation waits out the slow-down
        }
        await waitUntil(error.retryAt, error.code);
        continue;
      }
      if (error.errorClass === 'ambiguous') {
        throw new ExtraAppError(
          'no_answer',
          `no answer from ${domain} to ${METHOD} APP_ID ${appId} (${error.code}): the app may or may not be gone; ` +
            'run resolve again (CHAT_APP_ID_ERROR then means it is gone)',
          { cause: error },
        );
      }
      if (error.errorClass === 'transient' && ++transientTries < MAX_TRANSIENT_TRIES) {
        await waitUntil(deps.now() + 500 * transientTries, error.code);
        continue;
      }
      throw new ExtraAppError('failed', `${METHOD} APP_ID ${appId} on ${domain} failed: ${said}`, {
        cause: error,
      });
    }
  }
}
