import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AdaptiveSlowDownOptions,
  createPortalRateLimiter,
  type PortalRateLimiter,
  type RateLimit,
  type Reservation,
} from '../../src/ratelimit/portal-rate-limiter.js';
import { PortalRateLimiterError } from '../../src/ratelimit/portal-rate-limiter-error.js';
import { rateLimitKeys } from '../../src/ratelimit/rate-limit-keys.js';
import { newRedis, uniquePrefix } from '../support/redis.js';

const T0 = 1_700_000_000_000;
const STANDARD: RateLimit = { rate: 2, burst: 50 };
const ENTERPRISE: RateLimit = { rate: 5, burst: 250 };
const SMALL: RateLimit = { rate: 2, burst: 3 }; // T = 500 ms, tau = 1000 ms
const PORTAL = 'acme.bitrix24.ru';
const METHOD = 'imbot.app.register';

let redis: Redis;

beforeEach(() => {
  redis = newRedis();
});

afterEach(async () => {
  await redis.quit();
});

interface Harness {
  limiter: PortalRateLimiter;
  clock: { t: number };
  prefix: string;
}

function harness(adaptive?: AdaptiveSlowDownOptions): Harness {
  const clock = { t: T0 };
  const prefix = uniquePrefix('rl');
  const limiter = createPortalRateLimiter({
    redis,
    prefix,
    now: () => clock.t,
    ...(adaptive === undefined ? {} : { adaptive }),
  });
  return { limiter, clock, prefix };
}

async function reserveMany(
  limiter: PortalRateLimiter,
  n: number,
  limit: RateLimit,
  portal = PORTAL,
): Promise<Reservation[]> {
  const out: Reservation[] = [];
  for (let i = 0; i < n; i += 1) out.push(await limiter.reserve(portal, METHOD, limit));
  return out;
}

function grantedCount(rs: Reservation[]): number {
  return rs.filter((r) => r.granted).length;
}

describe('GCRA reserve', () => {
  it('lets a fresh portal send `burst` calls at once, then one per emission interval', async () => {
    const { limiter, clock } = harness();
    const first = await reserveMany(limiter, 5, SMALL);
    expect(first.map((r) => r.granted)).toEqual([true, true, true, false, false]);

    clock.t = T0 + 499;
    expect((await limiter.reserve(PORTAL, METHOD, SMALL)).granted).toBe(false);
    clock.t = T0 + 500;
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual({ granted: true });
    expect((await limiter.reserve(PORTAL, METHOD, SMALL)).granted).toBe(false);
    clock.t = T0 + 1000;
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual({ granted: true });
  });

  it('with an arrival margin, sends burst - 1 at once, the last burst slot `margin` later, then one per interval', async () => {
    const clock = { t: T0 };
    const limiter = createPortalRateLimiter({
      redis,
      prefix: uniquePrefix('rl'),
      now: () => clock.t,
      arrivalMarginMs: 50,
    });
    const first = await reserveMany(limiter, 3, SMALL);
    expect(first.map((r) => r.granted)).toEqual([true, true, false]);
    expect(first[2]).toEqual({ granted: false, retryAt: T0 + 50, reason: 'rate' });

    clock.t = T0 + 49;
    expect((await limiter.reserve(PORTAL, METHOD, SMALL)).granted).toBe(false);
    clock.t = T0 + 50;
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual({ granted: true });
    // From here one per T = 500 ms, each 50 ms after the unmargined schedule: the server's bucket (3, 2/s)
    // never holds more than 2.9 requests, so a request arriving up to 50 ms early still fits.
    clock.t = T0 + 549;
    expect((await limiter.reserve(PORTAL, METHOD, SMALL)).granted).toBe(false);
    clock.t = T0 + 550;
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual({ granted: true });
    clock.t = T0 + 1050;
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual({ granted: true });
  });

  it('answers the exact time the next slot frees, and sends each further denied caller one interval later', async () => {
    const { limiter, clock } = harness();
    await reserveMany(limiter, 3, SMALL);
    const denied = await reserveMany(limiter, 3, SMALL);
    expect(denied).toEqual([
      { granted: false, reason: 'rate', retryAt: T0 + 500 },
      { granted: false, reason: 'rate', retryAt: T0 + 1000 },
      { granted: false, reason: 'rate', retryAt: T0 + 1500 },
    ]);
    // A denial takes nothing: each ticket holder is granted when it comes back at its time.
    for (const r of denied) {
      if (r.granted) throw new Error('unreachable');
      clock.t = r.retryAt;
      expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual({ granted: true });
    }
    // Once the tickets are used up, a new denial points at the next free slot again.
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual({
      granted: false,
      reason: 'rate',
      retryAt: T0 + 2000,
    });
  });

  it('grants a caller that follows retryAt at the configured rate (a sub-ms remainder rounds up)', async () => {
    const { limiter, clock } = harness();
    const limit: RateLimit = { rate: 3, burst: 1 }; // T = 333.33 ms: float times
    const grants: number[] = [];
    while (grants.length < 31) {
      const r = await limiter.reserve(PORTAL, METHOD, limit);
      if (r.granted) grants.push(clock.t);
      else clock.t = r.retryAt;
    }
    expect(grants[0]).toBe(T0);
    // 30 intervals of 333.33 ms: the caller comes back at the next whole ms, so at most 1 ms late each time.
    expect(grants[30]).toBeGreaterThanOrEqual(T0 + 10_000);
    expect(grants[30]).toBeLessThanOrEqual(T0 + 10_030);
    for (let i = 1; i < grants.length; i += 1) {
      const gap = (grants[i] ?? 0) - (grants[i - 1] ?? 0);
      expect(gap).toBeGreaterThanOrEqual(333);
      expect(gap).toBeLessThanOrEqual(334);
    }
  });

  it('grants exactly `burst` of many concurrent calls at one instant', async () => {
    const { limiter } = harness();
    const limit: RateLimit = { rate: 5, burst: 10 };
    const results = await Promise.all(
      Array.from({ length: 60 }, () => limiter.reserve(PORTAL, METHOD, limit)),
    );
    expect(grantedCount(results)).toBe(10);
    const retryAts = results.flatMap((r) => (r.granted ? [] : [r.retryAt]));
    expect(new Set(retryAts).size).toBe(50); // every waiter has its own wake-up time
    expect(Math.min(...retryAts)).toBe(T0 + 200);
    expect(Math.max(...retryAts)).toBe(T0 + 200 * 50);
  });

  it('keeps portals apart: an exhausted portal does not slow another', async () => {
    const { limiter } = harness();
    expect(grantedCount(await reserveMany(limiter, 5, SMALL, 'a.bitrix24.ru'))).toBe(3);
    expect(grantedCount(await reserveMany(limiter, 5, SMALL, 'b.bitrix24.ru'))).toBe(3);
    await limiter.reportQueryLimitExceeded('a.bitrix24.ru');
    await limiter.parkMethod('a.bitrix24.ru', 'other.method', T0 + 60_000);
    expect(await limiter.inspect('b.bitrix24.ru')).toEqual({ factor: 1, backoffUntil: 0, parkedMethods: {} });
    expect(grantedCount(await reserveMany(limiter, 3, SMALL, 'c.bitrix24.ru'))).toBe(3);
  });

  it('handles a limit change between calls: standard after Enterprise keeps the debt, Enterprise after standard frees its headroom', async () => {
    const { limiter, clock } = harness();
    expect(grantedCount(await reserveMany(limiter, 251, ENTERPRISE))).toBe(250);
    // tat = T0 + 250 * 200 = T0 + 50 s. Standard: tau = 49 * 500 ms, so the next slot is at T0 + 25.5 s.
    expect(await limiter.reserve(PORTAL, METHOD, STANDARD)).toMatchObject({
      granted: false,
      retryAt: T0 + 25_500,
    });
    clock.t = T0 + 200;
    expect(await limiter.reserve(PORTAL, METHOD, ENTERPRISE)).toEqual({ granted: true });

    const other = 'other.bitrix24.ru';
    clock.t = T0;
    expect(grantedCount(await reserveMany(limiter, 51, STANDARD, other))).toBe(50);
    // tat = T0 + 25 s; Enterprise tau = 49.8 s: (49.8 - 25) / 0.2 + 1 = 125 more now, 175 in all (< 250).
    expect(grantedCount(await reserveMany(limiter, 200, ENTERPRISE, other))).toBe(125);
  });

  it('sets a PTTL on every key it writes, ending when the state would be back to fresh', async () => {
    const { limiter, prefix } = harness();
    const keys = rateLimitKeys(prefix, PORTAL);
    await reserveMany(limiter, 4, SMALL); // 3 granted: tat = T0 + 1500; 1 denied: wake = T0 + 1000
    await limiter.reportQueryLimitExceeded(PORTAL);
    await limiter.parkMethod(PORTAL, METHOD, T0 + 30_000);

    const tatTtl = await redis.pttl(keys.tat);
    expect(tatTtl).toBeGreaterThan(1_300);
    expect(tatTtl).toBeLessThanOrEqual(1_500);
    const wakeTtl = await redis.pttl(keys.wake);
    expect(wakeTtl).toBeGreaterThan(800);
    expect(wakeTtl).toBeLessThanOrEqual(1_000);
    // factor 2: backoff 4 s, then one quiet period (60 s) brings it back to 1.
    const adaptTtl = await redis.pttl(keys.adapt);
    expect(adaptTtl).toBeGreaterThan(63_800);
    expect(adaptTtl).toBeLessThanOrEqual(64_000);
    const parkTtl = await redis.pttl(keys.park);
    expect(parkTtl).toBeGreaterThan(29_800);
    expect(parkTtl).toBeLessThanOrEqual(30_000);
    expect((await redis.keys(`${prefix}:*`)).sort()).toEqual(
      [keys.tat, keys.wake, keys.adapt, keys.park].sort(),
    );
  });

  it('leaves no key behind once an idle portal is back to fresh, and keeps an active one small', async () => {
    const prefix = uniquePrefix('rl');
    const limiter = createPortalRateLimiter({ redis, prefix }); // real clock: the TTLs must really run out
    const keys = rateLimitKeys(prefix, PORTAL);
    const fast: RateLimit = { rate: 100, burst: 2 }; // tat at most 20 ms ahead
    await reserveMany(limiter, 3, fast);
    const active = (await redis.memory('USAGE', keys.tat)) ?? 0;
    const waiting = (await redis.memory('USAGE', keys.wake)) ?? 0;
    expect(active).toBeGreaterThan(0);
    expect(active + waiting).toBeLessThan(256);
    await new Promise((r) => setTimeout(r, 80));
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
  });
});

describe('method parking (OPERATION_TIME_LIMIT)', () => {
  it('answers method_parked with the server reset time for that method only', async () => {
    const { limiter, clock } = harness();
    await limiter.parkMethod(PORTAL, METHOD, T0 + 600_000);
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual({
      granted: false,
      reason: 'method_parked',
      retryAt: T0 + 600_000,
    });
    expect(await limiter.reserve(PORTAL, 'imbot.app.update', SMALL)).toEqual({ granted: true });
    expect((await limiter.inspect(PORTAL)).parkedMethods).toEqual({ [METHOD]: T0 + 600_000 });

    clock.t = T0 + 600_000;
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual({ granted: true });
    expect((await limiter.inspect(PORTAL)).parkedMethods).toEqual({});
  });

  it('keeps the later time when a method is parked twice and ignores a time already past', async () => {
    const { limiter, clock } = harness();
    await limiter.parkMethod(PORTAL, METHOD, T0 + 60_000);
    await limiter.parkMethod(PORTAL, METHOD, T0 + 30_000);
    await limiter.parkMethod(PORTAL, 'imbot.app.update', T0 - 1);
    expect((await limiter.inspect(PORTAL)).parkedMethods).toEqual({ [METHOD]: T0 + 60_000 });
    clock.t = T0 + 1;
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toMatchObject({ retryAt: T0 + 60_000 });
  });
});

describe('adaptive slow-down (QUERY_LIMIT_EXCEEDED)', () => {
  it('doubles the factor and backs off 2 s x factor, coalescing reports that arrive during the backoff', async () => {
    const { limiter, clock } = harness();
    expect(await limiter.reportQueryLimitExceeded(PORTAL)).toEqual({ factor: 2, until: T0 + 4_000 });
    clock.t = T0 + 100; // answers of calls that were already in flight
    expect(await limiter.reportQueryLimitExceeded(PORTAL)).toEqual({ factor: 2, until: T0 + 4_000 });
    expect(await limiter.inspect(PORTAL)).toEqual({ factor: 2, backoffUntil: T0 + 4_000, parkedMethods: {} });

    clock.t = T0 + 4_000;
    expect(await limiter.reportQueryLimitExceeded(PORTAL)).toEqual({ factor: 4, until: T0 + 12_000 });
    clock.t = T0 + 12_000;
    expect(await limiter.reportQueryLimitExceeded(PORTAL)).toEqual({ factor: 8, until: T0 + 28_000 });
    clock.t = T0 + 28_000;
    expect(await limiter.reportQueryLimitExceeded(PORTAL)).toEqual({ factor: 16, until: T0 + 60_000 });
    clock.t = T0 + 60_000;
    expect(await limiter.reportQueryLimitExceeded(PORTAL)).toEqual({ factor: 16, until: T0 + 92_000 });
  });

  it('caps the factor and the backoff', async () => {
    const { limiter, clock } = harness({ maxFactor: 64, maxBackoffMs: 60_000 });
    const backoffs: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const at = clock.t;
      const { until, factor } = await limiter.reportQueryLimitExceeded(PORTAL);
      backoffs.push(until - at);
      clock.t = until;
      if (i === 6) expect(factor).toBe(64);
    }
    expect(backoffs).toEqual([4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  it('denies with reason backoff, spreads the wake-ups at the slowed rate, then resumes with no burst', async () => {
    const { limiter, clock } = harness();
    expect(grantedCount(await reserveMany(limiter, 1, SMALL))).toBe(1);
    const { until } = await limiter.reportQueryLimitExceeded(PORTAL); // factor 2: T = 1000 ms
    clock.t = T0 + 10;
    const denied = await reserveMany(limiter, 3, SMALL);
    expect(denied).toEqual([
      { granted: false, reason: 'backoff', retryAt: until },
      { granted: false, reason: 'backoff', retryAt: until + 1_000 },
      { granted: false, reason: 'backoff', retryAt: until + 2_000 },
    ]);
    clock.t = until - 1;
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toMatchObject({ granted: false, reason: 'backoff' });

    clock.t = until;
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual({ granted: true });
    // No burst after a backoff: the next slot is one slowed interval later.
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toMatchObject({ granted: false, reason: 'rate' });
    clock.t = until + 1_000;
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual({ granted: true });
  });

  it('halves the factor after N successes following the backoff, and drops its state at factor 1', async () => {
    const { limiter, clock, prefix } = harness({ successesToHalve: 3 });
    await limiter.reportQueryLimitExceeded(PORTAL); // 2, until T0 + 4 s
    clock.t = T0 + 4_000;
    await limiter.reportQueryLimitExceeded(PORTAL); // 4, until T0 + 12 s
    clock.t = T0 + 5_000;
    for (let i = 0; i < 5; i += 1) await limiter.reportSuccess(PORTAL); // during the backoff: ignored
    expect((await limiter.inspect(PORTAL)).factor).toBe(4);

    clock.t = T0 + 12_000;
    for (let i = 0; i < 2; i += 1) await limiter.reportSuccess(PORTAL);
    expect((await limiter.inspect(PORTAL)).factor).toBe(4);
    await limiter.reportSuccess(PORTAL);
    expect((await limiter.inspect(PORTAL)).factor).toBe(2);
    for (let i = 0; i < 3; i += 1) await limiter.reportSuccess(PORTAL);
    expect((await limiter.inspect(PORTAL)).factor).toBe(1);
    expect(await redis.exists(rateLimitKeys(prefix, PORTAL).adapt)).toBe(0);
  });

  it('a new QUERY_LIMIT_EXCEEDED restarts the success count', async () => {
    const { limiter, clock } = harness({ successesToHalve: 3 });
    const first = await limiter.reportQueryLimitExceeded(PORTAL);
    clock.t = first.until;
    await limiter.reportSuccess(PORTAL);
    await limiter.reportSuccess(PORTAL);
    const second = await limiter.reportQueryLimitExceeded(PORTAL);
    expect(second.factor).toBe(4);
    clock.t = second.until;
    await limiter.reportSuccess(PORTAL);
    expect((await limiter.inspect(PORTAL)).factor).toBe(4);
  });

  it('halves the factor for every quiet period after the backoff', async () => {
    const { limiter, clock } = harness({ quietPeriodMs: 10_000 });
    for (const t of [T0, T0 + 4_000, T0 + 12_000]) {
      clock.t = t;
      await limiter.reportQueryLimitExceeded(PORTAL);
    }
    const { until, factor } = await limiter
      .inspect(PORTAL)
      .then((s) => ({ until: s.backoffUntil, factor: s.factor }));
    expect({ until, factor }).toEqual({ until: T0 + 28_000, factor: 8 });
    clock.t = until + 9_999;
    expect((await limiter.inspect(PORTAL)).factor).toBe(8);
    clock.t = until + 10_000;
    expect((await limiter.inspect(PORTAL)).factor).toBe(4);
    clock.t = until + 25_000;
    expect((await limiter.inspect(PORTAL)).factor).toBe(2);
    // The decayed factor is what reserve uses: T = 1000 ms at rate 2 and factor 2.
    expect(await limiter.reserve(PORTAL, METHOD, { rate: 2, burst: 1 })).toEqual({ granted: true });
    expect(await limiter.reserve(PORTAL, METHOD, { rate: 2, burst: 1 })).toMatchObject({
      retryAt: until + 26_000,
    });
    clock.t = until + 30_000;
    expect((await limiter.inspect(PORTAL)).factor).toBe(1);
  });
});

describe('clock and input', () => {
  it("uses Redis TIME with clock: 'redis' and ignores the injected clock", async () => {
    const limiter = createPortalRateLimiter({
      redis,
      prefix: uniquePrefix('rl'),
      clock: 'redis',
      now: () => 1,
    });
    const results = await reserveMany(limiter, 3, { rate: 2, burst: 2 });
    expect(results.map((r) => r.granted)).toEqual([true, true, false]);
    const denied = results[2];
    if (denied === undefined || denied.granted) throw new Error('expected a denial');
    expect(Math.abs(denied.retryAt - (Date.now() + 500))).toBeLessThan(1_000);
  });

  it('refuses a portal that would break the key hash tag, and limits that are not a rate', async () => {
    const { limiter } = harness();
    await expect(limiter.reserve('a}b', METHOD, SMALL)).rejects.toThrow(PortalRateLimiterError);
    await expect(limiter.reserve(PORTAL, METHOD, { rate: 0, burst: 1 })).rejects.toThrow(/limit\.rate/);
    await expect(limiter.reserve(PORTAL, METHOD, { rate: 1, burst: 1.5 })).rejects.toThrow(/limit\.burst/);
    await expect(limiter.reserve(PORTAL, '', SMALL)).rejects.toMatchObject({
      name: 'PortalRateLimiterError',
      kind: 'invalid_input',
    });
    expect(() => createPortalRateLimiter({ redis, prefix: '' })).toThrow(PortalRateLimiterError);
  });
});
