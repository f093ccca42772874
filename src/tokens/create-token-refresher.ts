import { type RefreshedTokens, refreshAccessToken } from '../bitrix/refresh-access-token.js';
import type { Config } from '../config/config-schema.js';
import { ConfigError } from '../errors/operator-error.js';

/**
 * Spends `refreshToken` at the OAuth server with the application's own client_id / client_secret (config `b24`)
 * and returns the new pair (docs/bitrix24.md, "OAuth 2.0"): single use, so the caller must keep the answer.
 * The server refreshes only tokens issued to that client id. Throws ConfigError when B24_CLIENT_ID /
 * B24_CLIENT_SECRET are not set, else as refreshAccessToken (InvalidGrantError, InvalidClientError, transient
 * or ambiguous BitrixErrors).
 */
export type RefreshTokens = (refreshToken: string) => Promise<RefreshedTokens>;

export interface TokenRefresherOptions {
  config: Pick<Config, 'b24' | 'request' | 'allowHttp' | 'allowHosts'>;
  /** Transport (tests, benchmarks); the guarded global fetch by default. */
  fetch?: typeof fetch;
  now?: () => number;
}

/** The settings missing for an OAuth refresh, by environment name (empty when both are set). */
export function missingClientCredentials(config: Pick<Config, 'b24'>): string[] {
  const missing: string[] = [];
  if (!config.b24.clientId) missing.push('B24_CLIENT_ID');
  if (!config.b24.clientSecret) missing.push('B24_CLIENT_SECRET');
  return missing;
}

/**
 * The one OAuth refresh of the process: the token manager refreshes stored portals with it, and the install
 * event handler verifies a first install with it (docs/install-events.md, "Authentication").
 */
export function createTokenRefresher(options: TokenRefresherOptions): RefreshTokens {
  const { config } = options;
  return async (refreshToken) => {
    const { clientId, clientSecret, oauthUrl } = config.b24;
    if (!clientId || !clientSecret) {
      throw new ConfigError(
        'an OAuth portal needs a token refresh but B24_CLIENT_ID / B24_CLIENT_SECRET are not set',
      );
    }
    return await refreshAccessToken(
      { oauthUrl, clientId, clientSecret, refreshToken },
      {
        timeoutMs: config.request.refreshTimeoutMs,
        allowHttp: config.allowHttp,
        allowHosts: config.allowHosts,
        ...(options.now ? { now: options.now } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      },
    );
  };
}
