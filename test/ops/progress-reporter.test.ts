import { describe, expect, it } from 'vitest';
import type { PairCounts } from '../../src/ops/pair-counts.js';
import { createProgressReporter } from '../../src/ops/progress-reporter.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (c: string) => chunks.push(c) > 0 } };
}

const counts = (over: Partial<PairCounts>): PairCounts => ({
  total: 100,
  registered: 0,
  failed: 0,
  needs_reauth: 0,
  unregistered: 0,
  pending: 100,
  ...over,
});

describe('progress reporter', () => {
  it('redraws one bar line on a TTY with done, failed, pending, rate and ETA', () => {
    let now = 0;
    const out = sink(true);
    const reporter = createProgressReporter({ stream: out.stream, now: () => now });
    now = 10_000;
    reporter.update(counts({ registered: 40, failed: 10, pending: 50 }));
    expect(out.chunks).toHaveLength(1);
    expect(out.chunks[0]?.startsWith('\r\x1b[2K')).toBe(true); // the bar redraws its line (ANSI erase)
    expect(out.chunks[0]?.slice(5)).toMatch(
      /^\[#{15}\.{15}\] {2}50% done 40\/100 \| failed 10 \| needs_reauth 0 \| pending 50 \| 5\.0\/s \| ETA 10s$/,
    );
  });

  it('prints plain periodic lines when not a TTY, at most one per interval, and always the last', () => {
    let now = 0;
    const out = sink(false);
    const reporter = createProgressReporter({ stream: out.stream, now: () => now, plainIntervalMs: 5_000 });
    now = 1_000;
    reporter.update(counts({ registered: 10, pending: 90 }));
    now = 2_000;
    reporter.update(counts({ registered: 20, pending: 80 }));
    now = 7_000;
    reporter.update(counts({ registered: 70, pending: 30 }));
    now = 8_000;
    reporter.finish(counts({ registered: 99, failed: 1, pending: 0 }));
    expect(out.chunks).toEqual([
      'progress: done 10/100 | failed 0 | needs_reauth 0 | pending 90 | 10.0/s | ETA 9s\n',
      'progress: done 70/100 | failed 0 | needs_reauth 0 | pending 30 | 10.0/s | ETA 3s\n',
      'progress: done 99/100 | failed 1 | needs_reauth 0 | pending 0 | 12.5/s | ETA 0s\n',
    ]);
  });

  it('counts only the pairs that need work: unchanged pairs settled at once give no rate and no share of the bar', () => {
    let now = 0;
    const out = sink(false);
    const reporter = createProgressReporter({ stream: out.stream, now: () => now, unchanged: 6_000 });
    now = 1_000;
    reporter.update(counts({ total: 6_100, registered: 6_010, pending: 90 }));
    now = 10_000;
    reporter.finish(counts({ total: 6_100, registered: 6_100, pending: 0 }));
    expect(out.chunks).toEqual([
      'progress: done 10/100 | failed 0 | needs_reauth 0 | pending 90 | 10.0/s | ETA 9s | 6000 unchanged\n',
      'progress: done 100/100 | failed 0 | needs_reauth 0 | pending 0 | 10.0/s | ETA 0s | 6000 unchanged\n',
    ]);
  });
});
