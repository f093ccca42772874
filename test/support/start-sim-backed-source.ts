import { refreshAccessToken } from '../../src/bitrix/refresh-access-token.js';
import type { SimulatorHandle } from '../../src/simulator/start-simulator.js';
import { sourceStaleHash } from '../../src/tokens/token-source-client.js';
import type { Own } from './own-resources.js';
import {
  type SourceReply,
  type SourceRequest,
  startTokenSource,
  type TokenSourceServer,
} from './start-token-source.js';

export interface SimBackedSource extends TokenSourceServer {
  /** OAuth refreshes this source made at the simulator (a CRest-style backend refreshing its own pair). */
  refreshes(): number;
}

/**
 * A token source as an application backend that keeps CRest-style tokens would run it (docs/tokens.md, "A
 * source endpoint for a backend that keeps CRest-style tokens"): it holds each simulator portal's OAuth pair, answers the current
 * access token, and on `force_refresh` refreshes at the simulator only when `stale` is the hash of its current
 * token (a request about an older token gets the current one). `override` answers instead for a request it
 * returns a reply to (a bad answer under test).
 */
export async function startSimBackedSource(
  own: Own,
  simulator: SimulatorHandle | (() => SimulatorHandle),
  client: { clientId: string; clientSecret: string },
  override?: (request: SourceRequest) => SourceReply | undefined,
): Promise<SimBackedSource> {
  // The simulator may start after the source (its URL goes into the configuration first): read lazily.
  const simOf = typeof simulator === 'function' ? simulator : () => simulator;
  const pairs = new Map<string, { accessToken: string; refreshToken: string; expiresAt: number }>();
  const pairOf = (domain: string) => {
    if (!pairs.has(domain)) {
      const entry = simOf()
        .portalsFile()
        .find((e) => e.domain === domain);
      if (entry?.auth.type === 'oauth') {
        pairs.set(domain, {
          accessToken: entry.auth.accessToken,
          refreshToken: entry.auth.refreshToken,
          expiresAt: Date.parse(entry.auth.expiresAt),
        });
      }
    }
    return pairs.get(domain);
  };
  let refreshes = 0;
  const server = await startTokenSource(own, async (request) => {
    const overridden = override?.(request);
    if (overridden !== undefined) return overridden;
    const domain = request.domain ?? '';
    const sim = simOf();
    const pair = pairOf(domain);
    if (pair === undefined) return { status: 404, body: { error: 'unknown portal' } };
    const forced = request.forceRefresh === '1' && request.stale === sourceStaleHash(pair.accessToken);
    // CRest refreshes an expired token by itself; forced, only the token the caller says was refused.
    if (forced || pair.expiresAt <= Date.now() + 60_000) {
      const refreshed = await refreshAccessToken(
        { oauthUrl: sim.oauthUrl, ...client, refreshToken: pair.refreshToken },
        { timeoutMs: 2_000, allowHttp: true, allowHosts: ['127.0.0.1'] },
      );
      refreshes += 1;
      pair.accessToken = refreshed.accessToken;
      pair.refreshToken = refreshed.refreshToken;
      pair.expiresAt = refreshed.expiresAt;
    }
    const portal = sim.portalsFile().find((entry) => entry.domain === domain);
    return {
      status: 200,
      body: {
        access_token: pair.accessToken,
        expires_at: new Date(pair.expiresAt).toISOString(),
        member_id: portal?.memberId,
        client_endpoint: portal?.restUrl,
      },
    };
  });
  return { ...server, refreshes: () => refreshes };
}
