/** Where a portal x app pair stands. `unregistered` is the end state of an unregister request. */
export const PAIR_STATES = ['pending', 'registered', 'failed', 'needs_reauth', 'unregistered'] as const;
export type PairState = (typeof PAIR_STATES)[number];

export interface PairError {
  code: string;
  message: string;
}

/** The durable result of one portal x app pair, independent of BullMQ's job retention. */
export interface PairResult {
  portal: string;
  code: string;
  state: PairState;
  /** What the operator asked for: the app present with `desiredDefHash`, or absent (unregister). */
  desired: 'present' | 'absent';
  desiredDefHash: string | undefined;
  /** The definition hash the portal holds (after a successful register/update). */
  appliedDefHash: string | undefined;
  appId: number | null;
  /** The IFRAME HASH sent (derived per portal and app for `"HASH": "auto"`), for the iframe handler to verify. */
  hashUsed: string | undefined;
  /** API attempts in the current operation (reset when the pair is queued again). */
  attempts: number;
  /** Register calls that were sent but got no answer: each may have created an app the portal now holds twice. */
  ambiguousAttempts: number;
  /** Set while a register call is in flight; found set by a later attempt, the earlier one is ambiguous. */
  inflight: string | undefined;
  lastError: PairError | null;
  nextAttemptAt: number | undefined;
  createdAt: number;
  updatedAt: number;
}

export interface AttemptRecord {
  at: number;
  op: string;
  outcome: 'ok' | 'retry' | 'wait' | 'failed' | 'ambiguous' | 'reauth';
  code?: string;
  message?: string;
  nextAttemptAt?: number;
}
