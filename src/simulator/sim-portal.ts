import type { LeakyBucket } from './leaky-bucket.js';
import type { SimApp, SimFaults, SimPortalState } from './simulator-types.js';

/** The simulator's mutable record of one portal (internal; tests read it through SimPortalView). */
export interface SimPortal {
  readonly domain: string;
  readonly botId: number;
  readonly botCode: string;
  /** The application_token of the last install event (simulator-core.ts appEvent); null before any. */
  applicationToken: string | null;
  /** The REST application owning the bot: the OAuth client id, or 'custom' + clientId for webhook portals. */
  readonly botOwner: string;
  /** Webhook portals: the CLIENT_ID their chat-app calls send; null for OAuth portals. */
  readonly clientId: string | null;
  readonly memberId: string;
  readonly auth: 'oauth' | 'webhook';
  /** The inbound webhook's user id and code (webhook portals only). */
  readonly webhookUser: string;
  readonly webhookCode: string | null;
  state: SimPortalState;
  /** Per-portal override of the token lifetime; null = the simulator default. */
  tokenTtlSeconds: number | null;
  /** Per-portal faults merged over the global ones; null = none. */
  faults: SimFaults | null;
  readonly bucket: LeakyBucket;
  readonly apps: Map<number, SimApp>;
  /** Method (lower case) -> unix seconds until which it answers OPERATION_TIME_LIMIT. */
  readonly operationLimits: Map<string, number>;
  /** HTTP requests (a batch is one). */
  calls: number;
  /** Method executions: single calls and the commands batches ran. */
  commands: number;
  /** Batch requests. */
  batches: number;
  queryLimitExceeded: number;
  registerExisting: number;
  duplicates: number;
  refreshes: number;
  requestTimes: number[];
  accessToken: string | null;
  refreshToken: string | null;
}
