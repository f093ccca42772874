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
import { keysMatching } from '../support/keys-matching.js';
import { newRedis, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait-for.js';

const T0 = 1_700_000_000_000;
const STANDARD: RateLimit = { rate: 2, burst: 50 };
const ENTERPRISE: RateLimit = { rate: 5, burst: 250 };
const SMALL: RateLimit = { rate: 2, burst: 3 }; // T = 500 ms, tau = 1000 ms
const PORTAL = 'acme.bitrix24.ru';
const METHOD = 'imbot.app.register';
/** A grant while the portal was never slowed down (epoch 0). */
const GRANTED = { granted: true, epoch: 0 };

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
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual(GRANTED);
    expect((await limiter.reserve(PORTAL, METHOD, SMALL)).granted).toBe(false);
    clock.t = T0 + 1000;
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual(GRANTED);
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
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual(GRANTED);
    // From here one per T = 500 ms, each 50 ms after the unmargined schedule: the server's bucket (3, 2/s)
    // never holds more than 2.9 requests, so a request arriving up to 50 ms early still fits.
    clock.t = T0 + 549;
    expect((await limiter.reserve(PORTAL, METHOD, SMALL)).granted).toBe(false);
    clock.t = T0 + 550;
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual(GRANTED);
    clock.t = T0 + 1050;
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual(GRANTED);
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
      expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual(GRANTED);
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

  it('keeps what is in the bucket across a limit change: standard after Enterprise waits for the level to fit, Enterprise after standard has its headroom at once', async () => {
    const { limiter, clock } = harness();
    expect(grantedCount(await reserveMany(limiter, 251, ENTERPRISE))).toBe(250);
    // 250 requests in the bucket; standard holds 50 and drains 2/s: room for one more at (250 - 49) / 2 = 100.5 s.
    expect(await limiter.reserve(PORTAL, METHOD, STANDARD)).toMatchObject({
      granted: false,
      retryAt: T0 + 100_500,
    });
    clock.t = T0 + 200;
    expect(await limiter.reserve(PORTAL, METHOD, ENTERPRISE)).toEqual(GRANTED);

    const other = 'other.bitrix24.ru';
    clock.t = T0;
    expect(grantedCount(await reserveMany(limiter, 51, STANDARD, other))).toBe(50);
    // 50 in the bucket; Enterprise holds 250: 200 more now.
    expect(grantedCount(await reserveMany(limiter, 201, ENTERPRISE, other))).toBe(200);
  });

  it('sets a PTTL on every key it writes, ending when the state would be back to fresh', async () => {
    const { limiter, prefix } = harness();
    const keys = rateLimitKeys(prefix, PORTAL);
    await reserveMany(limiter, 4, SMALL); // 3 granted: level 3, drained in 1500 ms; 1 denied: wake = T0 + 1000
    const bucketTtl = await redis.pttl(keys.bucket);
    expect(bucketTtl).toBeGreaterThan(1_300);
    expect(bucketTtl).toBeLessThanOrEqual(1_500);
    const wakeTtl = await redis.pttl(keys.wake);
    expect(wakeTtl).toBeGreaterThan(800);
    expect(wakeTtl).toBeLessThanOrEqual(1_000);

    // Nothing measured yet: plateau half the rate, restarting at 0.35 of it. The model is full (3 requests
    // draining at 0.7/s) and the 503'd caller's ticket moves `wake` on; the slow-down ends
    // 3000 * (1 + cbrt(0.5 / 0.25)) = 6780 ms later.
    await limiter.reportQueryLimitExceeded(PORTAL);
    await limiter.parkMethod(PORTAL, METHOD, T0 + 30_000);
    const refilledTtl = await redis.pttl(keys.bucket);
    expect(refilledTtl).toBeGreaterThan(4_086);
    expect(refilledTtl).toBeLessThanOrEqual(4_286);
    const adaptTtl = await redis.pttl(keys.adapt);
    expect(adaptTtl).toBeGreaterThan(6_580);
    expect(adaptTtl).toBeLessThanOrEqual(6_780);
    const parkTtl = await redis.pttl(keys.park);
    expect(parkTtl).toBeGreaterThan(29_800);
    expect(parkTtl).toBeLessThanOrEqual(30_000);
    expect(await keysMatching(redis, `${prefix}:*`)).toEqual(
      [keys.bucket, keys.wake, keys.adapt, keys.park].sort(),
    );
  });

  it('leaves no key behind once an idle portal is back to fresh, and keeps an active one small', async () => {
    const prefix = uniquePrefix('rl');
    const limiter = createPortalRateLimiter({ redis, prefix }); // real clock: the TTLs must really run out
    const keys = rateLimitKeys(prefix, PORTAL);
    const fast: RateLimit = { rate: 100, burst: 2 }; // level drained within 20 ms
    await reserveMany(limiter, 3, fast);
    const active = (await redis.memory('USAGE', keys.bucket)) ?? 0;
    const waiting = (await redis.memory('USAGE', keys.wake)) ?? 0;
    expect(active).toBeGreaterThan(0);
    expect(active + waiting).toBeLessThan(320);
    // The TTLs follow the drain time (tens of ms): the keys go well within the wait, not after a fixed default.
    await waitFor(async () => expect(await keysMatching(redis, `${prefix}:*`)).toEqual([]), {
      timeoutMs: 3_000,
      message: "the idle portal's keys to expire",
    });
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
    expect(await limiter.reserve(PORTAL, 'imbot.app.update', SMALL)).toEqual(GRANTED);
    expect((await limiter.inspect(PORTAL)).parkedMethods).toEqual({ [METHOD]: T0 + 600_000 });

    clock.t = T0 + 600_000;
    expect(await limiter.reserve(PORTAL, METHOD, SMALL)).toEqual(GRANTED);
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

/**
 * A single caller that honours its tickets from `from` until `to` (exclusive), calling again at once after a
 * grant; returns the times of its grants.
 */
async function followTickets(
  limiter: PortalRateLimiter,
  clock: { t: number },
  limit: RateLimit,
  from: number,
  to: number,
): Promise<number[]> {
  const grants: number[] = [];
  clock.t = from;
  while (clock.t < to) {
    const r = await limiter.reserve(PORTAL, METHOD, limit);
    if (r.granted) grants.push(clock.t);
    else clock.t = r.retryAt;
  }
  return grants;
}

describe('slow-down after QUERY_LIMIT_EXCEEDED and recovery', () => {
  const LIMIT: RateLimit = { rate: 10, burst: 10 }; // configured interval 100 ms
  const K = 3_000; // recoveryMs default

  it('after a 503 that measured nothing, restarts 30% below half the rate, is at half within recoveryMs, and back to the configured rate 2.26 x recoveryMs later', async () => {
    const { limiter, clock } = harness();
    expect(grantedCount(await reserveMany(limiter, 10, LIMIT))).toBe(10);
    clock.t = T0 + 10; // right after the first burst: the cycle measured nothing
    // The model is full: the next slot is one slowed interval (1000 / 3.5 = 285.7 ms) later, the refused
    // caller's ticket.
    expect(await limiter.reportQueryLimitExceeded(PORTAL)).toEqual({
      until: T0 + 296,
      factor: expect.closeTo(1 / 0.35, 6),
      counted: true,
    });
    expect(await limiter.inspect(PORTAL)).toEqual({
      factor: expect.closeTo(1 / 0.35, 6),
      backoffUntil: expect.closeTo(T0 + 295.714, 2),
      parkedMethods: {},
    });
    // Climbing to half the configured rate within K (a caller keeping the portal busy from its ticket on) ...
    const busy = await followTickets(limiter, clock, LIMIT, T0 + 296, T0 + 3_010);
    expect(busy.filter((t) => t >= T0 + 1_010).length).toBeGreaterThanOrEqual(9);
    expect(busy.filter((t) => t >= T0 + 1_010).length).toBeLessThanOrEqual(10);
    clock.t = T0 + 10 + K;
    expect((await limiter.inspect(PORTAL)).factor).toBeCloseTo(2, 6);
    clock.t = T0 + 10 + 2 * K; // ... then the probe: 0.5 + 0.25 * 1^3
    expect((await limiter.inspect(PORTAL)).factor).toBeCloseTo(4 / 3, 6);
    // Back to the configured rate at 3000 * (1 + cbrt(0.5 / 0.25)) = 6780 ms, without any report in between.
    clock.t = T0 + 10 + 6_779;
    expect((await limiter.inspect(PORTAL)).factor).toBeGreaterThan(1);
    clock.t = T0 + 10 + 6_780;
    expect((await limiter.inspect(PORTAL)).factor).toBe(1);
    const after = await followTickets(limiter, clock, LIMIT, T0 + 3_010, T0 + 10_000);
    expect(after.filter((t) => t >= T0 + 8_000)).toHaveLength(20);
  });

  it('after a 503 whose cycle measured the configured rate (jitter), is back to it within 2 x recoveryMs', async () => {
    const { limiter, clock } = harness();
    // 10 at once, then one per 100 ms: 29 grants before T0 + 2000.
    expect(await followTickets(limiter, clock, LIMIT, T0, T0 + 2_000)).toHaveLength(29);
    clock.t = T0 + 2_000;
    const report = await limiter.reportQueryLimitExceeded(PORTAL);
    // Measured (29 - 1 - 10) / 2 s = 9 per s: the plateau is 0.9, the start 30% below it (0.63).
    expect(report).toEqual({ until: T0 + 2_159, factor: expect.closeTo(1 / 0.63, 6), counted: true });
    clock.t = T0 + 2_000 + K;
    expect((await limiter.inspect(PORTAL)).factor).toBeCloseTo(1 / 0.9, 6);
    clock.t = T0 + 2_000 + 2 * K;
    expect((await limiter.inspect(PORTAL)).factor).toBe(1);
    const busy = await followTickets(limiter, clock, LIMIT, report.until, T0 + 10_000);
    expect(busy.filter((t) => t >= T0 + 9_000)).toHaveLength(10);
  });

  it('treats the server bucket as full after a 503: the next grant comes (1 + margin) slowed intervals later', async () => {
    const clock = { t: T0 };
    const limiter = createPortalRateLimiter({
      redis,
      prefix: uniquePrefix('rl'),
      now: () => clock.t,
      arrivalMarginMs: 50,
    });
    expect(grantedCount(await reserveMany(limiter, 9, LIMIT))).toBe(9);
    // Rate 0.35: T = 285.7 ms, the margin 50 ms of it: the next slot 335.7 ms later.
    expect(await limiter.reportQueryLimitExceeded(PORTAL)).toMatchObject({ until: T0 + 336 });
    clock.t = T0 + 300;
    // The refused caller holds that slot; the next ticket is one configured interval later.
    expect(await limiter.reserve(PORTAL, METHOD, LIMIT)).toEqual({
      granted: false,
      reason: 'backoff',
      retryAt: T0 + 436,
    });
    clock.t = T0 + 336;
    expect(await limiter.reserve(PORTAL, METHOD, LIMIT)).toEqual({ granted: true, epoch: T0 });
    // Full again: the next free slot one slowed interval later, after the ticket already handed out.
    expect(await limiter.reserve(PORTAL, METHOD, LIMIT)).toMatchObject({ granted: false, reason: 'rate' });
  });

  it('coalesces the 503s of calls granted before the last counted one (epoch), or within coalesceMs without one', async () => {
    const { limiter, clock } = harness();
    const first = await limiter.reserve(PORTAL, METHOD, LIMIT);
    if (!first.granted) throw new Error('expected a grant');
    expect(first.epoch).toBe(0);
    clock.t = T0 + 20;
    const counted = await limiter.reportQueryLimitExceeded(PORTAL, { epoch: first.epoch });
    expect(counted).toMatchObject({ factor: expect.closeTo(1 / 0.35, 6), counted: true });
    // Calls that were in flight with it: the same overflow, however late their answer comes.
    clock.t = T0 + 40;
    const inFlight = await limiter.reportQueryLimitExceeded(PORTAL, { epoch: 0 });
    expect(inFlight.counted).toBe(false);
    expect(inFlight.factor).toBeLessThanOrEqual(counted.factor); // no further slow-down
    clock.t = T0 + 2_500;
    const late = await limiter.reportQueryLimitExceeded(PORTAL, { epoch: 0 });
    expect(late.counted).toBe(false);
    // A call granted after it overfilled the bucket again: that is news.
    clock.t = late.until;
    const later = await limiter.reserve(PORTAL, METHOD, LIMIT);
    expect(later).toEqual({ granted: true, epoch: T0 + 20 });
    clock.t = late.until + 20;
    const again = await limiter.reportQueryLimitExceeded(PORTAL, { epoch: T0 + 20 });
    expect(again.counted).toBe(true);
    expect(again.factor).toBeGreaterThan(2 * late.factor);

    const other = harness();
    other.clock.t = T0;
    const a = await other.limiter.reportQueryLimitExceeded(PORTAL);
    expect(a.counted).toBe(true);
    other.clock.t = T0 + 999;
    expect(await other.limiter.reportQueryLimitExceeded(PORTAL)).toMatchObject({ counted: false });
    other.clock.t = T0 + 1_000;
    const b = await other.limiter.reportQueryLimitExceeded(PORTAL);
    expect(b.counted).toBe(true);
    expect(b.factor).toBeGreaterThan(a.factor);
  });

  it('slows down further on every counted 503 that measured nothing, never below 1 / maxFactor', async () => {
    const { limiter, clock } = harness();
    const factors: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      clock.t = T0 + i * 1_000;
      factors.push((await limiter.reportQueryLimitExceeded(PORTAL)).factor);
    }
    expect(factors[0]).toBeCloseTo(1 / 0.35, 6); // half, then the cushion
    for (let i = 1; i < 4; i += 1) expect(factors[i]).toBeGreaterThan(factors[i - 1] ?? 0);
    expect(factors.slice(4)).toEqual([16, 16]);
  });

  it('spaces the tickets handed out during a slow-down at the configured rate, so holders are granted at their ticket once the rate is back', async () => {
    const { limiter, clock } = harness();
    expect(grantedCount(await reserveMany(limiter, 10, LIMIT))).toBe(10);
    const { until } = await limiter.reportQueryLimitExceeded(PORTAL); // factor 2 until 6780 ms from now
    clock.t = T0 + 1;
    const denied = await reserveMany(limiter, 60, LIMIT);
    const tickets = denied.map((r) => (r.granted ? Number.NaN : r.retryAt));
    for (let i = 1; i < tickets.length; i += 1) expect((tickets[i] ?? 0) - (tickets[i - 1] ?? 0)).toBe(100);
    expect(tickets[0]).toBe(until + 100); // after the 503'd caller's own ticket

    // Every holder comes back at its ticket; a denied one draws a new ticket at the end of the queue.
    const queue = tickets.map((at, id) => ({ at, id }));
    const grants: { at: number; onTicket: boolean }[] = [];
    const recovered = T0 + 6_780;
    while (queue.length > 0) {
      queue.sort((a, b) => a.at - b.at);
      const next = queue.shift();
      if (next === undefined) break;
      clock.t = next.at;
      const r = await limiter.reserve(PORTAL, METHOD, LIMIT);
      if (r.granted) grants.push({ at: next.at, onTicket: true });
      else {
        expect(next.at, 'denied after the rate was back').toBeLessThan(recovered);
        queue.push({ at: r.retryAt, id: next.id });
      }
    }
    expect(grants).toHaveLength(60);
    const afterRecovery = grants.filter((g) => g.at >= recovered).map((g) => g.at);
    expect(afterRecovery.length).toBeGreaterThan(10);
    for (let i = 1; i < afterRecovery.length; i += 1) {
      expect((afterRecovery[i] ?? 0) - (afterRecovery[i - 1] ?? 0)).toBe(100);
    }
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
