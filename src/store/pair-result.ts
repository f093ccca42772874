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
  /**
   * The definition the portal's fields are known to match (set by a successful update, or a register that is
   * then followed by one). Unset right after a register: get-or-create may have returned an older app.
   */
  appliedDefHash: string | undefined;
  appId: number | null;
  /** The IFRAME HASH sent (derived per portal and app for `"HASH": "auto"`), for the iframe handler to verify. */
  hashUsed: string | undefined;
  /**
   * Failed API attempts in the current operation plus the call that settled it (reset when the pair is queued
   * again); the intermediate steps of one operation (the register before its update) do not count.
   */
  attempts: number;
  /**
   * The next change replaces the app (unregister, then register: a new APP_ID) because update cannot apply it:
   * an icon change or a JS <-> IFRAME switch, asked for with `rollout --recreate` (docs/bitrix24.md, "Update").
   */
  recreate: boolean;
  /** The rollout that last asked for this pair's definition (see `rollout --replace`). */
  rolloutId: string | undefined;
  lastError: PairError | null;
  nextAttemptAt: number | undefined;
  createdAt: number;
  updatedAt: number;
}

export interface AttemptRecord {
  at: number;
  op: string;
  outcome: 'ok' | 'retry' | 'wait' | 'failed' | 'reauth';
  code?: string;
  message?: string;
  nextAttemptAt?: number;
}
