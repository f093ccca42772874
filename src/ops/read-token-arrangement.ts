import type { Config } from '../config/config-schema.js';
import type { RedisClient } from '../redis/redis-client.js';
import type { RedisKeys } from '../store/redis-keys.js';
import { parseSourceHealth, type SourceHealth } from '../tokens/source-health.js';

/**
 * Which arrangement of token ownership is in force (docs/tokens.md, "Who owns the tokens"): the portals whose
 * OAuth pair is held (and refreshed) here, whether the handout serves them to the application's backend, and the
 * portals that borrow their tokens from the token source, with the source's health.
 */
export interface TokenArrangement {
  /** OAuth portals: the pair is held and refreshed here. */
  owned: number;
  /** The handout (GET /api/tokens/:domain) is on: ROLLOUT_TOKEN_HANDOUT_SECRET is set. */
  handout: boolean;
  /** Source portals: their access tokens come from the token source. */
  borrowed: number;
  source: {
    /** ROLLOUT_TOKEN_SOURCE_URL is set. */
    configured: boolean;
    /** What the workers last found; null when the source was never asked. */
    health: SourceHealth | null;
  };
}

export interface ArrangementConfig {
  handout: boolean;
  sourceConfigured: boolean;
}

/** Whether the handout and the token source are configured (docs/tokens.md, "Who owns the tokens"). */
export function arrangementOf(config: Pick<Config, 'tokens'>): ArrangementConfig {
  return {
    handout: config.tokens.handout.secret !== undefined,
    sourceConfigured: config.tokens.source.url !== undefined,
  };
}

/** Three O(1) reads, whatever the fleet's size. */
export async function readTokenArrangement(
  redis: RedisClient,
  keys: RedisKeys,
  config: ArrangementConfig,
): Promise<TokenArrangement> {
  const [owned, borrowed, health] = await Promise.all([
    redis.zcard(keys.credentialsByRefresh),
    redis.scard(keys.sourcePortals),
    redis.hgetall(keys.tokenSourceHealth),
  ]);
  return {
    owned,
    handout: config.handout,
    borrowed,
    source: { configured: config.sourceConfigured, health: parseSourceHealth(health) ?? null },
  };
}

function at(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** The source's health in words, for `status` and the dashboard. */
export function describeSourceHealth(arrangement: TokenArrangement): string {
  const { configured, health } = arrangement.source;
  if (!configured) {
    return arrangement.borrowed > 0
      ? 'no token source is configured (ROLLOUT_TOKEN_SOURCE_URL): these portals wait'
      : 'no token source';
  }
  if (health === null) return 'token source not asked yet';
  switch (health.state) {
    case 'ok':
      return `token source ok${health.lastOkAt === undefined ? '' : ` (last token ${at(health.lastOkAt)} UTC)`}`;
    case 'refused':
      return `token source REFUSED our secret since ${at(health.since)} UTC (${health.code ?? 'TOKEN_SOURCE_REFUSED'}): source portals paused; check ROLLOUT_TOKEN_SOURCE_SECRET`;
    case 'unavailable':
      return `token source unavailable since ${at(health.since)} UTC, ${health.failures} failures in a row (${health.reason ?? health.code ?? 'no answer'}): source portals back off`;
  }
}

/** One line for `status`: `tokens: 1200 owned (pair held here) · handout off · 300 borrowed · token source ok`. */
export function formatTokenArrangement(arrangement: TokenArrangement): string {
  const parts = [
    `${arrangement.owned} owned (OAuth pair held and refreshed here)`,
    arrangement.handout ? 'handout on (GET /api/tokens)' : 'handout off',
    `${arrangement.borrowed} borrowed from the token source`,
    describeSourceHealth(arrangement),
  ];
  return `tokens: ${parts.join(' · ')}`;
}

/**
 * The arrangement in a few words, for the dashboard's credentials panel (its script words it the same way,
 * src/api/dashboard-script.ts).
 */
export function arrangementText(arrangement: TokenArrangement): string {
  const { configured, health } = arrangement.source;
  const state = health?.state ?? null;
  const source = !configured
    ? arrangement.borrowed > 0
      ? 'no token source configured: borrowed portals wait'
      : 'no token source'
    : state === null
      ? 'token source not asked yet'
      : state === 'ok'
        ? 'token source ok'
        : state === 'refused'
          ? 'token source REFUSED our secret: borrowed portals paused'
          : 'token source unavailable: borrowed portals back off';
  return `${arrangement.owned} owned (OAuth pair held here) · handout ${arrangement.handout ? 'on' : 'off'} · ${arrangement.borrowed} borrowed · ${source}`;
}
