import type { PortalEntry } from '../portals/portal-entry-schema.js';
import { BOT_RESOLVE_FAILURE_TTL_MS, credentialSource } from '../store/portal-store.js';
import type { BlockedReason } from './predict-pair-action.js';

/** The fields of a stored portal that decide whether its pairs can be worked on (one HMGET: STANDING_FIELDS). */
export const STANDING_FIELDS = [
  'domain',
  'state',
  'credSource',
  'botId',
  'botCode',
  'resolvedBotCode',
  'resolvedBotId',
  'botResolveFailedCode',
  'botResolveFailedAt',
] as const;

export type StoredStanding = Record<(typeof STANDING_FIELDS)[number], string | null>;

/**
 * Why a portal's pairs are blocked, as the rollout will find the portal: after the import of `entry` (when the
 * rollout gives a portals file) an entry with new credentials is active again (PortalStore.importPortals); a
 * parked, uninstalled or removed portal blocks its pairs (the producer parks them); a bot named by CODE that
 * imbot.bot.list did not find, recently, fails them (src/pipeline/resolve-bot-id.ts). Undefined: active.
 */
export function portalStanding(
  stored: StoredStanding | undefined,
  entry: PortalEntry | undefined,
  now: number,
): { blocked: BlockedReason | undefined; state: string } {
  const known = stored?.domain ? stored : undefined;
  const reactivated = entry !== undefined && credentialSource(entry) !== (known?.credSource ?? null);
  const state = reactivated ? 'active' : (known?.state ?? 'active') || 'active';
  const blocked: BlockedReason | undefined =
    state === 'needs_reauth' || state === 'uninstalled' || state === 'removed' ? state : undefined;
  if (blocked) return { blocked, state };
  const botId = entry ? entry.botId : known?.botId ? Number(known.botId) : undefined;
  const botCode = entry ? entry.botCode : known?.botCode || undefined;
  if (botId !== undefined || botCode === undefined || known === undefined)
    return { blocked: undefined, state };
  if (known.resolvedBotCode === botCode && known.resolvedBotId) return { blocked: undefined, state };
  const failedRecently =
    known.botResolveFailedCode === botCode &&
    now - Number(known.botResolveFailedAt ?? 0) < BOT_RESOLVE_FAILURE_TTL_MS;
  return { blocked: failedRecently ? 'no_bot' : undefined, state };
}
