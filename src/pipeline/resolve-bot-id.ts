import { z } from 'zod';
import { BitrixError } from '../bitrix/bitrix-error.js';
import type { PortalTarget } from '../bitrix/portal-target.js';
import type { PairResult } from '../store/pair-result.js';
import type { StoredPortal } from '../store/portal-store.js';
import type { PairOutcome } from './pair-outcome.js';
import type { PairProcessorDeps } from './pair-processor-deps.js';
import type { Operation } from './plan-operation.js';
import { handleFailure } from './record-call-outcome.js';

const BOT_LIST = 'imbot.bot.list';
/** How long one worker may hold a portal's resolve claim (one call under the request timeout, plus margin). */
const CLAIM_MARGIN_MS = 5_000;
/** A job that found another worker resolving comes back after this long. */
const WAIT_FOR_OTHER_MS = 250;

/**
 * `imbot.bot.list` answers the portal's bots keyed by id, each with ID, NAME, CODE, OPENLINE (docs/bitrix24.md,
 * "Application events"). Only ID and CODE are read; anything else is ignored.
 */
const botListSchema = z.record(
  z.string(),
  z.looseObject({ ID: z.union([z.number(), z.string()]), CODE: z.unknown() }),
);

export interface BotResolveInput {
  domain: string;
  code: string;
  result: PairResult;
  op: Operation;
  portal: StoredPortal & { botCode: string };
  target: PortalTarget;
  refreshes: number;
}

/** The ids of the bots whose CODE is `botCode`, from an imbot.bot.list answer (never throws). */
export function findBotIds(answer: unknown, botCode: string): { ids: number[]; codes: string[] } {
  const parsed = botListSchema.safeParse(answer);
  if (!parsed.success) return { ids: [], codes: [] };
  const ids: number[] = [];
  const codes: string[] = [];
  for (const bot of Object.values(parsed.data)) {
    const code = typeof bot.CODE === 'string' ? bot.CODE : String(bot.CODE ?? '');
    codes.push(code);
    const id = Number(bot.ID);
    if (code === botCode && Number.isSafeInteger(id) && id > 0) ids.push(id);
  }
  return { ids, codes };
}

/**
 * The bot id of a portal named by `botCode` (docs/install-events.md): resolved once per portal with
 * `imbot.bot.list` and stored on the portal, so one call serves all its pairs and later jobs. One worker
 * resolves while the others' jobs wait (a claim in Redis); a code the portal does not have is a permanent
 * failure, remembered on the portal so its other pairs fail without asking again. Returns the id, or what the
 * job should do instead (wait, a failure handled like any call's, `again` after a token refresh).
 */
export async function resolveBotId(
  input: BotResolveInput,
  deps: PairProcessorDeps,
): Promise<number | PairOutcome | 'again'> {
  const { domain, code, result, op, portal } = input;
  const botCode = portal.botCode;
  const { portals, results } = deps;
  const failed = async (message: string): Promise<PairOutcome> => {
    const error = { code: 'BOT_CODE_NOT_FOUND', message };
    await results.recordFailure(domain, code, { op, error, final: true });
    return { kind: 'failed', error };
  };
  const known = await portals.botResolveFailure(domain, botCode);
  if (known !== undefined) return await failed(known);
  if (!(await portals.claimBotResolve(domain, deps.config.request.timeoutMs + CLAIM_MARGIN_MS))) {
    return { kind: 'delay', until: deps.now() + WAIT_FOR_OTHER_MS, reason: 'bot_resolving' };
  }
  try {
    // Resolved by another worker since this job read the portal: no call.
    const current = await portals.get(domain);
    if (current?.botId !== undefined) return current.botId;
    const reservation = await deps.limiter.reserve(
      domain,
      BOT_LIST,
      portal.rateLimit ?? deps.config.portalRate,
    );
    if (!reservation.granted) {
      deps.metrics.delayed(reservation.reason);
      return { kind: 'delay', until: reservation.retryAt, reason: reservation.reason };
    }
    const started = performance.now();
    let answer: unknown;
    try {
      answer = (await deps.rest.call(input.target, BOT_LIST, {})).result;
      deps.metrics.call(BOT_LIST, 'ok', performance.now() - started);
    } catch (error) {
      if (!(error instanceof BitrixError)) throw error;
      deps.metrics.call(BOT_LIST, error.code, performance.now() - started);
      return await handleFailure(
        error,
        {
          domain,
          code,
          result,
          call: { op, method: BOT_LIST },
          refreshes: input.refreshes,
          target: input.target,
          epoch: reservation.epoch,
        },
        deps,
      );
    }
    const { ids, codes } = findBotIds(answer, botCode);
    const [id] = ids;
    if (id === undefined || ids.length > 1) {
      const listed = codes.length === 0 ? 'no bots' : `bots with CODE ${codes.slice(0, 10).join(', ')}`;
      const message =
        ids.length > 1
          ? `portal ${domain}: ${ids.length} bots have the CODE "${botCode}" (imbot.bot.list); give botId instead`
          : `portal ${domain} has no bot with the CODE "${botCode}" (imbot.bot.list lists ${listed}); fix botCode (or give botId), or create the bot, then retry`;
      await portals.saveBotResolveFailure(domain, botCode, message);
      deps.logger.error({ domain, botCode }, 'bot code not found on the portal');
      return await failed(message);
    }
    await portals.saveResolvedBotId(domain, botCode, id);
    deps.logger.info({ domain, botCode, botId: id }, 'bot code resolved');
    return id;
  } finally {
    await portals.releaseBotResolve(domain);
  }
}
