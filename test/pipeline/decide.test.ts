import { describe, expect, it } from 'vitest';
import { createBitrixError } from '../../src/bitrix/create-bitrix-error.js';
import { backoffDelay, type DecideContext, decide } from '../../src/pipeline/decide.js';

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
const err = (code: string, httpStatus: number | undefined, extra: { retryAt?: number } = {}) =>
  createBitrixError({ code, description: 'x', httpStatus, method: 'imbot.app.register', ...extra });

describe('decide: the retry policy', () => {
  it.each([
    ['INTERNAL_SERVER_ERROR', 500, 1, { kind: 'retry', at: 1_001_000 }],
    ['INTERNAL_SERVER_ERROR', 500, 3, { kind: 'retry', at: 1_004_000 }],
    ['INTERNAL_SERVER_ERROR', 500, 5, { kind: 'fail', reason: 'attempts_exhausted' }],
    ['NETWORK_ERROR', undefined, 1, { kind: 'retry', at: 1_001_000 }],
    ['TIMEOUT', undefined, 2, { kind: 'retry', at: 1_002_000 }],
    ['CONNECTION_RESET', undefined, 5, { kind: 'fail', reason: 'attempts_exhausted' }],
    ['BOT_ID_ERROR', 400, 1, { kind: 'fail', reason: 'permanent' }],
    ['PORTAL_DELETED', 500, 1, { kind: 'fail', reason: 'permanent' }],
    ['PORTAL_DELETED', 403, 1, { kind: 'fail', reason: 'permanent' }],
    ['INVALID_CREDENTIALS', 401, 1, { kind: 'reauth' }],
    ['INVALID_CREDENTIALS', 403, 1, { kind: 'reauth' }],
    ['ACCESS_DENIED', 403, 1, { kind: 'fail', reason: 'permanent' }],
    ['QUERY_LIMIT_EXCEEDED', 503, 1, { kind: 'slow_portal' }],
    ['QUERY_LIMIT_EXCEEDED', 503, 99, { kind: 'slow_portal' }],
    ['OVERLOAD_LIMIT', 503, 1, { kind: 'wait', at: 1_000_000 + 1_800_000, scope: 'portal' }],
    ['expired_token', 401, 1, { kind: 'refresh_token' }],
    ['NO_AUTH_FOUND', 401, 1, { kind: 'refresh_token' }],
  ] as const)('%s (HTTP %s) at attempt %i -> %o', (code, status, attempt, expected) => {
    expect(decide(err(code, status), ctx({ attempt }))).toEqual(expected);
  });

  it('parks the method until the reset time the server gave for OPERATION_TIME_LIMIT', () => {
    expect(decide(err('OPERATION_TIME_LIMIT', 429, { retryAt: 1_300_000 }), ctx())).toEqual({
      kind: 'wait',
      at: 1_300_000,
      scope: 'method',
    });
  });

  it('parks OPERATION_TIME_LIMIT for the default time when the server gave no reset time', () => {
    expect(decide(err('OPERATION_TIME_LIMIT', 429), ctx())).toEqual({
      kind: 'wait',
      at: 1_600_000,
      scope: 'method',
    });
  });

  it('refreshes an expired token twice at most in one run, then asks for re-authorisation', () => {
    expect(decide(err('expired_token', 401), ctx({ refreshesThisRun: 1 }))).toEqual({
      kind: 'refresh_token',
    });
    expect(decide(err('expired_token', 401), ctx({ refreshesThisRun: 2 }))).toEqual({ kind: 'reauth' });
  });

  it('treats a token refused right after a refresh as dead credentials', () => {
    expect(decide(err('invalid_token', 401), ctx({ refreshesThisRun: 1 }))).toEqual({ kind: 'reauth' });
  });

  it('retries an error that is not a Bitrix24 answer within the attempt budget', () => {
    expect(decide(new Error('boom'), ctx({ attempt: 1 }))).toEqual({ kind: 'retry', at: 1_001_000 });
    expect(decide(new Error('boom'), ctx({ attempt: 5 }))).toEqual({
      kind: 'fail',
      reason: 'attempts_exhausted',
    });
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt and is capped', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, retry, 0.5))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(backoffDelay(30, retry, 0.5)).toBe(60_000);
  });

  it('spreads by +-jitter around the exponential value', () => {
    const jittered = { ...retry, jitter: 0.2 };
    expect(backoffDelay(1, jittered, 0)).toBe(800);
    expect(backoffDelay(1, jittered, 0.999_999)).toBe(1_200);
  });
});
