import type { LeakyBucket } from './leaky-bucket.js';
import type { SimApp, SimFaults, SimPortalState } from './simulator-types.js';

/** The simulator's mutable record of one portal (internal; tests read it through SimPortalView). */
export interface SimPortal {
  readonly domain: string;
  readonly botId: number;
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
  calls: number;
  queryLimitExceeded: number;
  duplicates: number;
  refreshes: number;
  requestTimes: number[];
  accessToken: string | null;
  refreshToken: string | null;
}
