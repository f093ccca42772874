import { describe, expect, it } from 'vitest';
import { type DecideContext, decide } from '../../src/pipeline/decide.js';
import { type TokenSourceFailure, tokenSourceError } from '../../src/tokens/token-source-error.js';

const retry = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 60_000, jitter: 0 };
const ctx = (over: Partial<DecideContext> = {}): DecideContext => ({
  attempt: 1,
  refreshesThisRun: 0,
  now: 1_000_000,
  random: 0.5,
  retry,
  overloadDelayMs: 1_800_000,
  defaultParkMs: 600_000,
  ...over,
});
const sourceError = (failure: TokenSourceFailure, health: { retryAt?: number; failures?: number } = {}) =>
  tokenSourceError(failure, { domain: 'a.example.com', description: 'x', httpStatus: undefined, ...health });

describe('decide: a token source that could not hand out a token never spends an attempt', () => {
  it.each([
    ['not_known', {}, 1, { kind: 'reauth' }],
    ['mismatch', {}, 1, { kind: 'reauth' }],
    ['refused', { retryAt: 1_060_000 }, 1, { kind: 'wait', at: 1_060_000, scope: 'portal' }],
    // Out of attempts makes no difference: the pair waits for the source, it never fails for it.
    ['refused', { retryAt: 1_060_000 }, 5, { kind: 'wait', at: 1_060_000, scope: 'portal' }],
    ['refused', {}, 1, { kind: 'wait', at: 1_060_000, scope: 'portal' }],
    ['unavailable', { failures: 1 }, 1, { kind: 'wait', at: 1_001_000, scope: 'portal' }],
    ['unavailable', { failures: 3 }, 1, { kind: 'wait', at: 1_004_000, scope: 'portal' }],
    ['unavailable', { failures: 40 }, 5, { kind: 'wait', at: 1_060_000, scope: 'portal' }],
    ['unavailable', {}, 99, { kind: 'wait', at: 1_001_000, scope: 'portal' }],
  ] as const)('%s %o at attempt %i -> %o', (failure, health, attempt, expected) => {
    expect(decide(sourceError(failure, health), ctx({ attempt }))).toEqual(expected);
  });

  it('a pause that already ended waits the longest back-off instead of spinning', () => {
    expect(decide(sourceError('refused', { retryAt: 900_000 }), ctx())).toEqual({
      kind: 'wait',
      at: 1_060_000,
      scope: 'portal',
    });
  });
});
