import type { PairError, PairState } from '../store/pair-result.js';

/** What the queue adapter does next: finish the job, move it to delayed until `until`, or fail it for good. */
export type PairOutcome =
  | { kind: 'done'; state: PairState | 'unknown_pair' }
  | { kind: 'delay'; until: number; reason: string }
  | { kind: 'failed'; error: PairError };
