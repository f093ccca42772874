import { describe, expect, it } from 'vitest';
import { LeakyBucket } from '../../src/simulator/leaky-bucket.js';
import { callOAuth, manualClock, useSimulators } from './support/sim-test-kit.js';

const start = useSimulators();
const A = 'a.sim.test';
const B = 'b.sim.test';

describe('LeakyBucket', () => {
  it('takes a full burst at once and refuses the next request without counting it', () => {
    const bucket = new LeakyBucket(50, 2);
    for (let i = 0; i < 50; i += 1) expect(bucket.tryTake(0)).toBe(true);
    expect(bucket.tryTake(0)).toBe(false);
    expect(bucket.level(0)).toBe(50);
  });

  it('drains drainPerSecond per second and never below zero', () => {
    const bucket = new LeakyBucket(10, 2);
    for (let i = 0; i < 10; i += 1) bucket.tryTake(1_000);
    expect(bucket.level(1_500)).toBe(9);
    expect(bucket.level(3_000)).toBe(6);
    expect(bucket.level(100_000)).toBe(0);
  });

  it('never refuses a client that stays at the drain rate', () => {
    const bucket = new LeakyBucket(50, 2);
    for (let i = 0; i < 50; i += 1) expect(bucket.tryTake(0)).toBe(true);
    for (let t = 500; t <= 60_000; t += 500) expect(bucket.tryTake(t)).toBe(true);
  });
});

describe('per-portal rate limit over HTTP', () => {
  it('answers 503 QUERY_LIMIT_EXCEEDED after the burst, then recovers as the clock advances', async () => {
    const clock = manualClock();
    const sim = await start({
      portals: [{ domain: A }],
      bucket: { burst: 5, drainPerSecond: 2 },
      now: clock.now,
    });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await callOAuth(sim, A, 'server.time')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 503]);
    const refused = await callOAuth(sim, A, 'server.time');
    expect(refused.json).toEqual({ error: 'QUERY_LIMIT_EXCEEDED', error_description: expect.any(String) });
    clock.advance(1_000); // drains 2
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(200);
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(200);
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(503);
    expect(sim.portal(A).queryLimitExceeded).toBe(3);
    expect(sim.stats().queryLimitExceeded).toBe(3);
    expect(sim.portal(A).requestTimes).toHaveLength(10);
  });

  it('keeps one bucket per portal and honours a per-portal bucket', async () => {
    const clock = manualClock();
    const sim = await start({
      portals: [{ domain: A, bucket: { burst: 1, drainPerSecond: 1 } }, { domain: B }],
      bucket: { burst: 3, drainPerSecond: 1 },
      now: clock.now,
    });
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(200);
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(503);
    const onB: number[] = [];
    for (let i = 0; i < 4; i += 1) onB.push((await callOAuth(sim, B, 'server.time')).status);
    expect(onB).toEqual([200, 200, 200, 503]);
  });

  it('does not let a refused register create an app', async () => {
    const clock = manualClock();
    const sim = await start({
      portals: [{ domain: A, botId: 5 }],
      bucket: { burst: 1, drainPerSecond: 1 },
      now: clock.now,
    });
    await callOAuth(sim, A, 'server.time');
    const answer = await callOAuth(sim, A, 'imbot.app.register', {
      BOT_ID: 5,
      CODE: 'x',
      JS_METHOD: 'SEND',
      HIDDEN: 'Y',
    });
    expect(answer.status).toBe(503);
    expect(sim.portal(A).apps).toEqual([]);
  });
});
