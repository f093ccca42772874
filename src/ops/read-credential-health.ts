import type { RedisClient } from '../redis/redis-client.js';
import { REFRESH_TOKEN_LIFETIME_MS } from '../store/credential-index.js';
import type { RedisKeys } from '../store/redis-keys.js';
import {
  type ArrangementConfig,
  readTokenArrangement,
  type TokenArrangement,
} from './read-token-arrangement.js';

const DAY_MS = 86_400_000;

/** Credential health of the OAuth portals (docs/tokens.md), from the credential index: a few O(log N) reads. */
export interface CredentialSummary {
  /** tokens.keepAliveAfterDays; 0 when keep-alive is off. */
  keepAliveAfterDays: number;
  /** OAuth portals stored (any state). */
  oauthPortals: number;
  /** OAuth portals whose last refresh is within keepAliveAfterDays (null when keep-alive is off). */
  refreshedWithinAge: number | null;
  /** Active OAuth portals older than keepAliveAfterDays: keep-alive refreshes them (null when it is off). */
  dueForKeepAlive: number | null;
  /** OAuth portals parked (needs_reauth, uninstalled, or removed): keep-alive leaves them alone. */
  needsReauth: number;
  /** The active OAuth portal refreshed longest ago, and when its refresh token lapses if nothing refreshes it. */
  oldest: { domain: string; lastRefreshAt: string; ageDays: number; lapsesAt: string } | null;
  /**
   * False while stored portals may be missing from the index: more portals stored than indexed, and no worker has
   * yet indexed those a version before the index stored (store/build-credential-index.ts). True on a fresh
   * install, whose portals are indexed as they are stored.
   */
  indexBuilt: boolean;
  /** Who owns the tokens: owned and borrowed portals, the handout, the source's health (docs/tokens.md). */
  arrangement: TokenArrangement;
}

/** `removed`: by `remove-portal` / DELETE /api/portals (docs/operations.md); keep-alive leaves it alone. */
export type CredentialState = 'active' | 'needs_reauth' | 'uninstalled' | 'removed';

export interface CredentialRow {
  domain: string;
  /** When the stored pair was issued: its last refresh, or the estimate for an imported pair. */
  lastRefreshAt: string;
  ageDays: number;
  state: CredentialState;
  /** Why it is parked (the refused refresh's code and text; never a token), else null. */
  reason: string | null;
  /** Active and older than keepAliveAfterDays: the next keep-alive ticks refresh it. */
  due: boolean;
  /** When the refresh token lapses if nothing refreshes it (180 days after the last refresh). */
  lapsesAt: string;
}

export interface CredentialPage {
  summary: CredentialSummary;
  /** Rows in this listing (all OAuth portals, or the due ones with `only: 'due'`). */
  total: number;
  offset: number;
  limit: number;
  /** Oldest last refresh first. */
  portals: CredentialRow[];
}

export interface CredentialHealthOptions {
  keepAliveAfterDays: number;
  now: number;
  /** Whether the handout and the token source are configured (default: neither). */
  arrangement?: ArrangementConfig | undefined;
}

function ageDays(at: number, now: number): number {
  return Math.max(0, Math.floor((now - at) / DAY_MS));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The summary: ZCARD/ZCOUNT/ZRANGE on the credential index only, whatever the fleet's size. */
export async function readCredentialSummary(
  redis: RedisClient,
  keys: RedisKeys,
  options: CredentialHealthOptions,
): Promise<CredentialSummary> {
  const { keepAliveAfterDays, now } = options;
  const on = keepAliveAfterDays > 0;
  const cutoff = now - keepAliveAfterDays * DAY_MS;
  const [oauth, active, within, due, oldest, built, arrangement, stored] = await Promise.all([
    redis.zcard(keys.credentialsByRefresh),
    redis.zcard(keys.keepAliveDue),
    on ? redis.zcount(keys.credentialsByRefresh, `(${cutoff}`, '+inf') : Promise.resolve(null),
    on ? redis.zcount(keys.keepAliveDue, '-inf', cutoff) : Promise.resolve(null),
    redis.zrange(keys.keepAliveDue, 0, 0, 'WITHSCORES'),
    redis.exists(keys.credentialIndexBuilt),
    readTokenArrangement(redis, keys, options.arrangement ?? { handout: false, sourceConfigured: false }),
    redis.scard(keys.portals),
  ]);
  const [oldestDomain, oldestScore] = oldest;
  const oldestAt = Number(oldestScore);
  return {
    keepAliveAfterDays,
    oauthPortals: oauth,
    refreshedWithinAge: within,
    dueForKeepAlive: due,
    needsReauth: Math.max(0, oauth - active),
    oldest:
      oldestDomain === undefined || !Number.isFinite(oldestAt)
        ? null
        : {
            domain: oldestDomain,
            lastRefreshAt: iso(oldestAt),
            ageDays: ageDays(oldestAt, now),
            lapsesAt: iso(oldestAt + REFRESH_TOKEN_LIFETIME_MS),
          },
    // Webhook portals are stored and never indexed: until a worker has run, they keep the note (harmless).
    indexBuilt: built === 1 || stored <= oauth,
    arrangement,
  };
}

function pairs(reply: string[]): [string, number][] {
  const out: [string, number][] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) out.push([reply[i] as string, Number(reply[i + 1])]);
  return out;
}

/**
 * One page of OAuth portals, oldest last refresh first, with their state: O(page) (a ZRANGE of the credential
 * index and one read of each listed portal's state). `only: 'due'` lists the active portals older than the age.
 */
export async function readCredentialPage(
  redis: RedisClient,
  keys: RedisKeys,
  options: CredentialHealthOptions & { offset: number; limit: number; only?: 'due' | undefined },
): Promise<CredentialPage> {
  const { keepAliveAfterDays, now, offset, limit } = options;
  const cutoff = now - keepAliveAfterDays * DAY_MS;
  const dueOnly = options.only === 'due';
  const [summary, total, listed] = await Promise.all([
    readCredentialSummary(redis, keys, options),
    dueOnly
      ? keepAliveAfterDays > 0
        ? redis.zcount(keys.keepAliveDue, '-inf', cutoff)
        : Promise.resolve(0)
      : redis.zcard(keys.credentialsByRefresh),
    dueOnly
      ? keepAliveAfterDays > 0
        ? redis.zrangebyscore(keys.keepAliveDue, '-inf', cutoff, 'WITHSCORES', 'LIMIT', offset, limit)
        : Promise.resolve([])
      : redis.zrange(keys.credentialsByRefresh, offset, offset + limit - 1, 'WITHSCORES'),
  ]);
  const rows = pairs(listed);
  const states = await Promise.all(
    rows.map(([domain]) => redis.hmget(keys.portal(domain), 'state', 'stateReason')),
  );
  const portals = rows.map(([domain, at], i): CredentialRow => {
    const [rawState, rawReason] = states[i] ?? [];
    const state: CredentialState =
      rawState === 'needs_reauth' || rawState === 'uninstalled' || rawState === 'removed'
        ? rawState
        : 'active';
    return {
      domain,
      lastRefreshAt: iso(at),
      ageDays: ageDays(at, now),
      state,
      reason: state === 'active' ? null : rawReason || null,
      due: keepAliveAfterDays > 0 && state === 'active' && at <= cutoff,
      lapsesAt: iso(at + REFRESH_TOKEN_LIFETIME_MS),
    };
  });
  return { summary, total, offset, limit, portals };
}

/** One line for `status`: `OAuth credentials: 1200 portals · 1180 refreshed within 30 d · ...`. */
export function formatCredentialSummary(summary: CredentialSummary): string {
  const parts = [`${summary.oauthPortals} OAuth portal${summary.oauthPortals === 1 ? '' : 's'}`];
  if (summary.keepAliveAfterDays > 0) {
    parts.push(
      `${summary.refreshedWithinAge ?? 0} refreshed within ${summary.keepAliveAfterDays} d`,
      `${summary.dueForKeepAlive ?? 0} due for keep-alive`,
    );
  } else {
    parts.push('keep-alive off');
  }
  parts.push(`${summary.needsReauth} need re-auth`);
  if (summary.oldest !== null) {
    parts.push(
      `oldest last refresh ${summary.oldest.lastRefreshAt.slice(0, 10)} (${summary.oldest.domain}, ${summary.oldest.ageDays} d)`,
    );
  }
  const note = summary.indexBuilt
    ? ''
    : ' (portals stored before this version are indexed when a worker starts)';
  return `credentials: ${parts.join(' · ')}${note}`;
}
