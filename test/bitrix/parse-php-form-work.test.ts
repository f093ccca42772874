import { describe, expect, it } from 'vitest';
import { parsePhpForm } from '../../src/bitrix/parse-php-form.js';

/**
 * Issue 19: the form parser must do work in proportion to its input. Measured as the parser's own count of
 * steps (key segments visited, keys scanned), never as time.
 */
function stepsFor(text: string): number {
  const work = { steps: 0 };
  parsePhpForm(text, work);
  return work.steps;
}

const appends = (n: number) => Array.from({ length: n }, () => 'a[]=').join('&');

describe('parsePhpForm work', () => {
  it('3,250 `a[]` keys (16 KiB) cost a few steps per key, not one per earlier key', () => {
    const text = appends(3_250);
    expect(text.length).toBeLessThanOrEqual(16 * 1024);
    const parsed = parsePhpForm(text);
    expect((parsed['a'] as unknown[]).length).toBe(3_250);
    const steps = stepsFor(text);
    expect(steps).toBeGreaterThan(0);
    expect(steps).toBeLessThanOrEqual(8 * 3_250);
  });

  it('twice the keys cost at most about twice the steps (appends, deep keys, one long key)', () => {
    const deep = (n: number) => Array.from({ length: n }, (_, i) => `x[${i}][y][]=1`).join('&');
    const longKey = (n: number) => `k${'[z]'.repeat(n)}=1`;
    for (const make of [appends, deep, longKey]) {
      const small = stepsFor(make(1_000));
      const large = stepsFor(make(2_000));
      expect(large).toBeLessThanOrEqual(2.2 * Math.max(small, 1));
    }
  });
});
