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

/** A refresh token's portal, the application (client id) it was issued to and the access token issued with it. */
interface RefreshRecord {
  readonly portal: SimPortal;
  readonly clientId: string;
  readonly accessToken: string;
}

/**
 * Access and refresh tokens of all OAuth portals. Refresh tokens are single use, and a refresh also ends the
 * access token issued together with the refresh token it consumed (docs/bitrix24.md, "OAuth 2.0": "after a
 * refresh, the old refresh token and the access token issued with it stop working"). Such a token is then
 * unknown and answers 401 `invalid_token`, not `expired_token`: the server facts name no code for it, and
 * `invalid_token` is OAuth 2.0's code for a revoked token (RFC 6750); the project's client treats both as an auth
 * error that one refresh (or the pair another worker stored) cures. Access tokens issued otherwise
 * (control.reauthorize) live until their own expiry.
 */
export class TokenRegistry {
  readonly #access = new Map<string, AccessTokenRecord>();
  readonly #refresh = new Map<string, RefreshRecord>();
  readonly #random: () => number;

  constructor(random: () => number) {
    this.#random = random;
  }

  /** Issues a new pair for `portal`, makes it the portal's current pair and returns it. */
  issue(portal: SimPortal, clientId: string, expiresAt: number): IssuedPair {
    const pair = this.issueOther(portal, clientId, expiresAt);
    portal.accessToken = pair.accessToken;
    portal.refreshToken = pair.refreshToken;
    return pair;
  }

  /**
   * Issues a pair on `portal` to the application `clientId` without making it the portal's current pair: the
   * tokens of another application installed on the same portal. Its access token works on the portal's REST
   * address; its refresh token only refreshes for `clientId` (consumeRefresh).
   */
  issueOther(portal: SimPortal, clientId: string, expiresAt: number): IssuedPair {
    const accessToken = randomHex(this.#random, 64);
    const refreshToken = randomHex(this.#random, 64);
    this.#access.set(accessToken, { portal, clientId, expiresAt, forcedExpired: false });
    this.#refresh.set(refreshToken, { portal, clientId, accessToken });
    return { accessToken, refreshToken, expiresAt };
  }

  findAccess(token: string): AccessTokenRecord | undefined {
    return this.#access.get(token);
  }

  /**
   * The portal the refresh token belongs to, or undefined if unknown / used / revoked, or issued to another
   * application than `clientId` (RFC 6749 section 6: the server ensures "the refresh token was issued to the
   * authenticated client"; such a token is left as it is). Consuming it removes it (single use) and ends the
   * access token issued with it (it answers invalid_token from now on).
   */
  consumeRefresh(token: string, clientId: string): SimPortal | undefined {
    const record = this.#refresh.get(token);
    if (record === undefined || record.clientId !== clientId) return undefined;
    this.#refresh.delete(token);
    this.#access.delete(record.accessToken);
    return record.portal;
  }

  revokeRefresh(portal: SimPortal): void {
    if (portal.refreshToken !== null) this.#refresh.delete(portal.refreshToken);
  }

  /** The portal's current access token stops working at once (invalid_token): the application was removed. */
  revokeAccess(portal: SimPortal): void {
    if (portal.accessToken !== null) this.#access.delete(portal.accessToken);
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
