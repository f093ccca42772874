import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type FixtureProcess, forkFixture } from '../support/fork-fixture.js';
import { testRedisTarget, uniquePrefix } from '../support/redis.js';

const CHILD = fileURLToPath(new URL('./fixtures/reserve-loop.ts', import.meta.url));
const RATE = 50;
const BURST = 10;
const DURATION_MS = 3_000;

const resultMessage = z.object({
  type: z.literal('result'),
  grants: z.array(z.number()),
  denials: z.number(),
});
type Result = z.infer<typeof resultMessage>;

/** Most grants in any closed window [t, t + w]: the worst window starts at a grant. */
function maxInWindow(sorted: number[], w: number): number {
  let best = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i += 1) {
    if (j < i) j = i;
    while (j < sorted.length && (sorted[j] ?? 0) <= (sorted[i] ?? 0) + w) j += 1;
    best = Math.max(best, j - i);
  }
  return best;
}

describe('portal rate limiter across 3 worker processes (real Redis, real time)', () => {
  const children: FixtureProcess[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i += 1) children.push(forkFixture(CHILD));
    await Promise.all(children.map((c) => c.nextMessage(z.object({ type: z.literal('ready') }), 20_000)));
  });

  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop(3_000)));
  });

  async function runPhase(mode: 'hammer' | 'honour'): Promise<{ perChild: Result[]; sorted: number[] }> {
    const startAt = Date.now() + 250;
    const spec = {
      type: 'run',
      ...testRedisTarget(),
      prefix: uniquePrefix('rl-proc'),
      portal: 'shared.bitrix24.ru',
      rate: RATE,
      burst: BURST,
      startAt,
      stopAt: startAt + DURATION_MS,
      mode,
    };
    const answers = children.map((c) => c.nextMessage(resultMessage, DURATION_MS + 10_000));
    for (const c of children) c.send(spec);
    const perChild = await Promise.all(answers);
    const sorted = perChild.flatMap((r) => r.grants).sort((a, b) => a - b);
    return { perChild, sorted };
  }

  function expectWithinLimitAndNearIt(sorted: number[]): void {
    for (const w of [1, 10, 50, 100, 250, 500, 1_000, 2_000, DURATION_MS]) {
      expect(maxInWindow(sorted, w), `grants in a ${w} ms window`).toBeLessThanOrEqual(
        BURST + (RATE * w) / 1000 + 1,
      );
    }
    const maximum = BURST + (RATE * DURATION_MS) / 1000;
    expect(sorted.length).toBeLessThanOrEqual(maximum + 1);
    expect(sorted.length).toBeGreaterThanOrEqual(Math.floor(maximum * 0.9));
  }

  it('never grants more than burst + rate x window when 3 processes hammer one portal, and grants nearly all of it', async () => {
    const { perChild, sorted } = await runPhase('hammer');
    expectWithinLimitAndNearIt(sorted);
    for (const r of perChild) {
      expect(r.grants.length).toBeGreaterThan(0); // every process really competed
      expect(r.denials).toBeGreaterThan(r.grants.length);
    }
  });

  it('admits the full rate when the 3 processes sleep until their retryAt, sharing it between them', async () => {
    const { perChild, sorted } = await runPhase('honour');
    expectWithinLimitAndNearIt(sorted);
    for (const r of perChild) expect(r.grants.length).toBeGreaterThan(sorted.length * 0.2);
  });
});
