/**
 * Public types of the portal simulator (see start-simulator.ts). Kept in one file because they describe one
 * contract: the options going in, the handle and the read-only views coming out.
 */

/** Injected failures; each rate is 0..1 and is drawn per REST call from the seeded RNG (never for OAuth). */
export interface SimFaults {
  /** Answer 500 `INTERNAL_SERVER_ERROR` without doing the work. */
  http500Rate?: number;
  /** Do the work (e.g. create the app), then destroy the socket without an answer. */
  dropAfterWorkRate?: number;
  /** Do the work, then answer `slowMs` later (used to exceed client timeouts). */
  slowRate?: number;
  /** Extra delay of a slow answer in ms (default 3000). */
  slowMs?: number;
  /** Answer 502 with an HTML body, no work done. */
  nonJsonRate?: number;
  /** Answer 503 `QUERY_LIMIT_EXCEEDED` without touching the bucket (simulates other apps on the portal). */
  queryLimitRate?: number;
}

export type SimPortalState = 'active' | 'deleted' | 'overloaded' | 'access_denied';

export interface SimBucket {
  burst: number;
  drainPerSecond: number;
}

export interface SimPortalSeed {
  domain: string;
  /** Default: a stable number derived from the portal's index (100 + index, index from 1). */
  botId?: number;
  /** Default 'oauth'. */
  auth?: 'oauth' | 'webhook';
  /** The access token handed out is already expired (forces a refresh). */
  accessTokenExpired?: boolean;
  /** Lifetime of access tokens issued for this portal (default: the simulator's tokenTtlSeconds). */
  tokenTtlSeconds?: number;
  bucket?: SimBucket;
  /** Per-portal faults, merged field by field over the global faults. */
  faults?: SimFaults;
  state?: SimPortalState;
}

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** A number N generates portal-00001.sim.test ... (zero-padded, 5 digits). */
  portals: number | SimPortalSeed[];
  /** With a number of portals: share of generated portals using webhooks (default 0). */
  webhookShare?: number;
  /** With a number of portals: share of the generated OAuth portals whose access token is already expired. */
  expiredShare?: number;
  /** Default {burst: 50, drainPerSecond: 2} (cloud, non-Enterprise). */
  bucket?: SimBucket;
  /** Fixed extra latency per REST call in ms (default 0). */
  latencyMs?: number;
  /** Default 3600. */
  tokenTtlSeconds?: number;
  /** Global default faults (default none). */
  faults?: SimFaults;
  /** OAuth app credentials accepted; default 'sim-client-id' / 'sim-client-secret'. */
  clientId?: string;
  clientSecret?: string;
  /** RNG seed (default 1): tokens, generated-portal selection and fault draws are reproducible. */
  seed?: number;
  /** Clock in ms, default Date.now. Drives token expiry, the leaky bucket and `time` fields. */
  now?: () => number;
}

export interface SimApp {
  appId: number;
  botId: number;
  code: string;
  /** OAuth client_id for OAuth calls; for webhooks the CLIENT_ID param, else the webhook code. */
  ownerClientId: string;
  /** The parameters as registered/updated (without `auth` and `CLIENT_ID`). */
  params: Record<string, unknown>;
  /** Simulator clock (ms) at registration. */
  createdAt: number;
}

export interface SimInjectedStats {
  http500: number;
  dropped: number;
  slow: number;
  nonJson: number;
  queryLimit: number;
}

export interface SimulatorStats {
  /** REST requests addressed to a known portal (any outcome). */
  calls: number;
  callsByMethod: Record<string, number>;
  registrations: number;
  updates: number;
  unregistrations: number;
  /** Registrations that repeated an existing BOT_ID + CODE + owner on the same portal. */
  duplicates: number;
  /** 503 answers from the leaky bucket (injected ones are counted in `injected.queryLimit`). */
  queryLimitExceeded: number;
  refreshes: number;
  invalidGrants: number;
  expiredTokenAnswers: number;
  invalidTokenAnswers: number;
  injected: SimInjectedStats;
}

export interface SimPortalView {
  domain: string;
  botId: number;
  auth: 'oauth' | 'webhook';
  memberId: string;
  state: SimPortalState;
  apps: SimApp[];
  /** REST requests addressed to this portal (any outcome). */
  calls: number;
  /** Leaky-bucket rejections on this portal. */
  queryLimitExceeded: number;
  duplicates: number;
  /** Simulator clock (ms) of every REST call accepted past auth, for rate assertions. */
  requestTimes: number[];
  refreshes: number;
  /** null for webhook portals. */
  currentAccessToken: string | null;
  currentRefreshToken: string | null;
}

export type PortalFileAuth =
  | { type: 'oauth'; accessToken: string; refreshToken: string; expiresAt: string }
  | { type: 'webhook'; url: string; clientId?: string };

/** One entry of the project's portals file (the public input format). */
export interface PortalFileEntry {
  domain: string;
  restUrl: string;
  botId: number;
  memberId: string;
  auth: PortalFileAuth;
}

export interface SimulatorControl {
  /** Later calls answer HTTP 500 `PORTAL_DELETED`. */
  deletePortal(domain: string): void;
  setState(domain: string, state: SimPortalState | undefined): void;
  /** The current refresh token stops working (invalid_grant). */
  revokeRefreshToken(domain: string): void;
  /** The current access token answers expired_token from now on. */
  expireAccessToken(domain: string): void;
  /**
   * An administrator re-authorises the application: a new token pair is issued (portalsFile() shows it) and the
   * old refresh token stops working. OAuth portals only.
   */
  reauthorize(domain: string): void;
  /** Lifetime of tokens issued from now on; null = all portals (clears per-portal overrides). */
  setTokenTtl(domain: string | null, seconds: number): void;
  /** Replaces the portal's faults (null = the global faults). */
  setFaults(domain: string | null, faults: SimFaults): void;
  setLatency(ms: number): void;
  /** `method` answers 429 OPERATION_TIME_LIMIT on this portal until `resetAt` (unix seconds). */
  setOperationTimeLimit(domain: string, method: string, resetAt: number): void;
  /** Zeroes global and per-portal counters and request times; apps and tokens are kept. */
  resetStats(): void;
}

export interface SimulatorHandle {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** `${url}/oauth/token/` */
  readonly oauthUrl: string;
  /** Entries in the portals-file format with the current credentials. */
  portalsFile(): PortalFileEntry[];
  stats(): SimulatorStats;
  /** A snapshot of one portal; throws UnknownPortalError if unknown. */
  portal(domain: string): SimPortalView;
  readonly control: SimulatorControl;
  /** Closes the server and all sockets. */
  stop(): Promise<void>;
}
