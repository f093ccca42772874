/**
 * Whole rollouts of one portal on a fake clock (fixtures/simulate-portal.ts): the real limiter and Redis, the
 * simulator's leaky bucket as the server, workers that delay denied jobs until their ticket. Real time would take
 * 30-60 s per case; these run in about a second each. `npm run bench` measures the same against the real pipeline.
 */
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPortalRateLimiter } from '../../src/ratelimit/portal-rate-limiter.js';
import { newRedis, uniquePrefix } from '../support/redis.js';
import { type PortalSimOptions, type PortalSimResult, simulatePortal } from './fixtures/simulate-portal.js';

const T0 = 1_700_000_000_000;
const JOBS = 600;
const RATE = 20;
const BURST = 20;
/** recoveryMs default. */
const K = 3_000;

let redis: Redis;

beforeEach(() => {
  redis = newRedis();
});

afterEach(async () => {
  await redis.quit();
});

async function rollout(extra: Partial<PortalSimOptions> = {}): Promise<PortalSimResult> {
  const clock = { t: T0 };
  const limiter = createPortalRateLimiter({
    redis,
    prefix: uniquePrefix('rl-sim'),
    now: () => clock.t,
    arrivalMarginMs: 50, // as the runtime sets it
  });
  return await simulatePortal({
    limiter,
    clock,
    portal: 'sim.bitrix24.ru',
    limit: { rate: RATE, burst: BURST },
    jobs: JOBS,
    concurrency: 10,
    latencyMs: 20,
    jitterMs: 3,
    passEpoch: false, // what src/pipeline passes today
    ...extra,
  });
}

/** The least time the server allows for our jobs, given what the other caller got in: (jobs + foreign - burst) / rate. */
function minimumMs(result: PortalSimResult): number {
  return ((JOBS + result.foreignAccepted - BURST) / RATE) * 1000;
}

/** First sampled time at or after `fromMs` from which the factor stays 1 to the end. */
function backToFullRateAt(result: PortalSimResult, fromMs: number): number {
  let at = Number.POSITIVE_INFINITY;
  for (const sample of [...result.factors].reverse()) {
    if (sample.factor !== 1) break;
    at = sample.atMs;
  }
  return Math.max(at, fromMs);
}

/** Our accepted requests per second in [fromMs, toMs). */
function acceptedPerSecond(result: PortalSimResult, fromMs: number, toMs: number): number {
  return (result.accepted.filter((t) => t >= fromMs && t < toMs).length * 1000) / (toMs - fromMs);
}

describe('recovery from QUERY_LIMIT_EXCEEDED (1 portal, 600 pairs at 20/s burst 20, fake time)', () => {
  it('runs at the minimum with no 503 at all', async () => {
    const result = await rollout();
    expect(result.ours503).toBe(0);
    expect(result.finishedMs / minimumMs(result)).toBeLessThan(1.01);
  });

  it('one injected 503 two seconds in: back to the configured rate within 2 x recoveryMs, run time <= 1.05 x the minimum', async () => {
    const result = await rollout({ inject503At: [60] });
    expect(result.injected503).toBe(1);
    expect(result.ours503).toBe(0);
    const [reported] = result.reported503;
    if (reported === undefined) throw new Error('the 503 was not reported');
    expect(backToFullRateAt(result, reported) - reported).toBeLessThanOrEqual(2 * K + 100);
    // Jobs that drew their ticket before or during the slow-down are not kept at the slower spacing.
    expect(acceptedPerSecond(result, reported + 2 * K, result.finishedMs - 1_000)).toBeGreaterThanOrEqual(
      19.5,
    );
    expect(result.finishedMs / minimumMs(result)).toBeLessThanOrEqual(1.05);
  });

  it('one injected 503 inside the first burst (nothing measured): back within 2.3 x recoveryMs, <= 1.15 x the minimum', async () => {
    const result = await rollout({ inject503At: [21] });
    const [reported] = result.reported503;
    if (reported === undefined) throw new Error('the 503 was not reported');
    expect(backToFullRateAt(result, reported) - reported).toBeLessThanOrEqual(6_780 + 100);
    expect(result.finishedMs / minimumMs(result)).toBeLessThanOrEqual(1.15);
  });

  it('another caller spending half the bucket for 10 s: throughput near what it leaves, few 503s, full rate again after it stops', async () => {
    const result = await rollout({ foreign: { rate: RATE / 2, fromMs: 0, toMs: 10_000 } });
    expect(result.foreignAccepted).toBe(100); // it really spent half the bucket
    expect(result.ours503).toBeLessThanOrEqual(3);
    expect(result.foreignRefusedRequests).toBeLessThanOrEqual(3);
    // While it calls we get about what it leaves (10/s), not half of that.
    expect(acceptedPerSecond(result, 1_000, 10_000)).toBeGreaterThan(8.5);
    expect(acceptedPerSecond(result, 1_000, 10_000)).toBeLessThan(11.5);
    const last503 = Math.max(...result.reported503);
    expect(backToFullRateAt(result, 10_000) - Math.max(10_000, last503)).toBeLessThanOrEqual(7_700);
    expect(result.finishedMs / minimumMs(result)).toBeLessThanOrEqual(1.1);
  });

  it('another caller spending half the bucket throughout: converges on the other half with one 503 every few seconds', async () => {
    const result = await rollout({ foreign: { rate: RATE / 2, fromMs: 0, toMs: 120_000 } });
    const rate = acceptedPerSecond(result, 5_000, result.finishedMs - 5_000);
    expect(rate).toBeGreaterThan(9);
    expect(rate).toBeLessThan(11);
    // The probe finds the other caller again now and then: about one 503 per 6 s to us, and the cushion after
    // each pays for it. The other caller meets the full bucket too: 95% of its requests still get in at once.
    expect(result.ours503).toBeLessThanOrEqual(result.finishedMs / 5_000 + 2);
    expect(result.foreignRefusedRequests).toBeLessThanOrEqual(result.foreignAccepted * 0.05);
    expect(result.finishedMs / minimumMs(result)).toBeLessThanOrEqual(1.05);
  });
});
