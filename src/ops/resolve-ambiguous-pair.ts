import type { ResultStore } from '../results/result-store.js';
import { ExtraAppError } from './extra-app-error.js';
import { ResolveRefusedError } from './resolve-refused-error.js';
import { type ExtraAppDeps, unregisterExtraApp } from './unregister-extra-app.js';

export type ResolveAction = { kind: 'unregister_extra'; appIds: readonly number[] } | { kind: 'accept' };

export interface ResolveRequest {
  domain: string;
  code: string;
  action: ResolveAction;
  /** Kept in the pair's attempt history with what was done. */
  note?: string;
  /** Act even when the pair is not flagged (ambiguousAttempts 0) or is still pending. */
  force?: boolean;
  /** Longest wait for the portal's rate limit per call (default 60 s). */
  maxWaitMs?: number;
}

export interface ResolveOutcome {
  /** The APP_ID the pair keeps (null: the pair holds none). */
  keptAppId: number | null;
  /** Extra APP_IDs unregistered now, in the order given. */
  unregistered: number[];
  /** The flag before it was cleared. */
  ambiguousAttempts: number;
  /** What went into the history. */
  note: string;
}

/**
 * Resolves a pair that may hold a duplicate app. A register call that got no answer may have created an app,
 * and the chat-app API has no list method (bitrix24-facts.md), so the operator looks at the portal and either
 * names the extra APP_IDs (unregistered here, now, with `imbot.app.unregister` under the portal's rate limit) or
 * accepts that there is none. Then the pair's flag is cleared and the note recorded in its history.
 * Refuses (ResolveRefusedError) an unknown pair, a pair without the flag or still pending (unless `force`), and
 * the pair's own stored APP_ID: that is the app we keep.
 */
export async function resolveAmbiguousPair(
  deps: ExtraAppDeps & { results: ResultStore },
  request: ResolveRequest,
): Promise<ResolveOutcome> {
  const { domain, code, action } = request;
  const pair = `${domain} ${code}`;
  const result = await deps.results.get(domain, code);
  if (!result) throw new ResolveRefusedError(`no pair ${pair} is known`);
  if (!request.force && result.ambiguousAttempts === 0) {
    throw new ResolveRefusedError(
      `pair ${pair} is not flagged as a possible duplicate (ambiguousAttempts 0): nothing to resolve (--force to act anyway)`,
    );
  }
  if (!request.force && result.state === 'pending') {
    throw new ResolveRefusedError(
      `pair ${pair} is still pending (a worker may register it again): wait until it settles (--force to act anyway)`,
    );
  }
  const appIds = action.kind === 'unregister_extra' ? [...new Set(action.appIds)] : [];
  if (action.kind === 'unregister_extra') {
    if (appIds.length === 0) throw new ResolveRefusedError('name at least one extra APP_ID');
    const bad = appIds.find((id) => !Number.isSafeInteger(id) || id <= 0);
    if (bad !== undefined) throw new ResolveRefusedError(`APP_ID must be a positive integer, got ${bad}`);
    if (result.appId !== null && appIds.includes(result.appId)) {
      throw new ResolveRefusedError(
        `APP_ID ${result.appId} is the app pair ${pair} keeps (its stored APP_ID): name only the extra one(s)`,
      );
    }
  }

  const unregistered: number[] = [];
  for (const appId of appIds) {
    try {
      await unregisterExtraApp(deps, {
        domain,
        appId,
        ...(request.maxWaitMs === undefined ? {} : { maxWaitMs: request.maxWaitMs }),
      });
    } catch (error) {
      if (!(error instanceof ExtraAppError) || unregistered.length === 0) throw error;
      throw new ExtraAppError(
        error.reason,
        `unregistered APP_ID ${unregistered.join(', ')}, then: ${error.message} (the flag stays set)`,
        { cause: error },
      );
    }
    unregistered.push(appId);
  }

  const kept = result.appId === null ? 'keeps no APP_ID' : `kept APP_ID ${result.appId}`;
  const done =
    action.kind === 'accept'
      ? `accepted: no duplicate (${kept})`
      : `unregistered extra APP_ID ${unregistered.join(', ')} (${kept})`;
  const forced = result.ambiguousAttempts === 0 ? ' [forced]' : '';
  const note = `${done}${forced}${request.note ? `: ${request.note}` : ''}`;
  if (!(await deps.results.clearAmbiguous(domain, code, note))) {
    throw new ResolveRefusedError(`pair ${pair} disappeared while it was resolved`);
  }
  return { keptAppId: result.appId, unregistered, ambiguousAttempts: result.ambiguousAttempts, note };
}
