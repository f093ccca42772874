import { randomHex } from './seeded-random.js';
import type { SimPortal } from './sim-portal.js';

export interface AccessTokenRecord {
  readonly portal: SimPortal;
  readonly clientId: string;
  /** Simulator clock (ms) after which the token answers expired_token. */
  expiresAt: number;
  /** Set by control.expireAccessToken: expired regardless of the clock. */
  forcedExpired: boolean;
}

export interface IssuedPair {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
}

/**
 * Access and refresh tokens of all OAuth portals. Refresh tokens are single use (bitrix24-facts.md, "OAuth 2.0
 * refresh"): consuming one removes it; older access tokens stay valid until their own expiry.
 */
export class TokenRegistry {
  readonly #access = new Map<string, AccessTokenRecord>();
  readonly #refresh = new Map<string, SimPortal>();
  readonly #random: () => number;

  constructor(random: () => number) {
    this.#random = random;
  }

  /** Issues a new pair for `portal`, makes it the portal's current pair and returns it. */
  issue(portal: SimPortal, clientId: string, expiresAt: number): IssuedPair {
    const accessToken = randomHex(this.#random, 64);
    const refreshToken = randomHex(this.#random, 64);
    this.#access.set(accessToken, { portal, clientId, expiresAt, forcedExpired: false });
    this.#refresh.set(refreshToken, portal);
    portal.accessToken = accessToken;
    portal.refreshToken = refreshToken;
    return { accessToken, refreshToken, expiresAt };
  }

  findAccess(token: string): AccessTokenRecord | undefined {
    return this.#access.get(token);
  }

  /** The portal the refresh token belongs to, removing the token (single use); undefined if unknown/used. */
  consumeRefresh(token: string): SimPortal | undefined {
    const portal = this.#refresh.get(token);
    if (portal === undefined) return undefined;
    this.#refresh.delete(token);
    return portal;
  }

  revokeRefresh(portal: SimPortal): void {
    if (portal.refreshToken !== null) this.#refresh.delete(portal.refreshToken);
  }

  expireAccess(portal: SimPortal): void {
    if (portal.accessToken === null) return;
    const record = this.#access.get(portal.accessToken);
    if (record !== undefined) record.forcedExpired = true;
  }

  /** Expiry (simulator clock, ms) of the portal's current access token; NaN if it has none. */
  currentExpiry(portal: SimPortal): number {
    if (portal.accessToken === null) return Number.NaN;
    return this.#access.get(portal.accessToken)?.expiresAt ?? Number.NaN;
  }
}
