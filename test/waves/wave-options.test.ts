import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors/operator-error.js';
import { decideSettledWave } from '../../src/waves/decide-settled-wave.js';
import { parseWaveFlags } from '../../src/waves/parse-wave-flags.js';
import { parseDuration, parseHaltThreshold, parseWavePercents } from '../../src/waves/parse-wave-options.js';

describe('wave options', () => {
  it.each([
    ['1%,10%,100%', [1, 10, 100]],
    ['1, 10, 100', [1, 10, 100]],
    ['0.5%,100%', [0.5, 100]],
    ['100%', [100]],
  ])('--waves %s -> %j', (text, percents) => {
    expect(parseWavePercents(text)).toEqual(percents);
  });

  it.each([
    ['10%,1%,100%', 'wave 2 (1%) is not above wave 1 (10%)'],
    ['10%,10%,100%', 'wave 2 (10%) is not above wave 1 (10%)'],
    ['1%,10%', 'the last wave must be 100% (all portals), got 10%'],
    ['0%,100%', 'every wave must be above 0%'],
    ['1%,,100%', 'must be a comma-separated list'],
    ['ten,100%', '"ten" is not a percentage'],
    ['1%,150%', '"150%" is not a percentage'],
  ])('refuses --waves %s: %s', (text, message) => {
    expect(() => parseWavePercents(text)).toThrow(UsageError);
    expect(() => parseWavePercents(text)).toThrow(message);
    expect(() => parseWavePercents(text)).toThrow(/^--waves: /);
  });

  it.each([
    ['5%', 0.05],
    ['0', 0],
    ['100%', 1],
    ['2.5%', 0.025],
  ])('threshold %s -> %d', (text, share) => {
    expect(parseHaltThreshold(text, '--halt-failures')).toBeCloseTo(share);
  });

  it('names the flag of a bad threshold', () => {
    expect(() => parseHaltThreshold('-1%', '--halt-needs-reauth')).toThrow(/^--halt-needs-reauth: "-1%"/);
  });

  it.each([
    ['0', 0],
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['1.5h', 5_400_000],
  ])('--pause-between %s -> %d ms', (text, ms) => {
    expect(parseDuration(text, '--pause-between')).toBe(ms);
  });

  it.each(['10', 'ten minutes', '8d', '200h'])('refuses --pause-between %s', (text) => {
    expect(() => parseDuration(text, '--pause-between')).toThrow(/^--pause-between: /);
  });

  it.each([
    [{ haltFailures: '5%' }, '--halt-failures applies to a rollout in waves: add --waves'],
    [{ pauseBetween: '1m' }, '--pause-between applies to a rollout in waves'],
    [{ waves: '10%,100%', apps: 'a.json' }, '--waves needs both --apps and --portals'],
    [
      { resume: 'w-1', abort: 'w-1' },
      'give one of --resume, --abort, --skip-wave and --promote, not --resume and --abort',
    ],
    [{ resume: 'w-1', apps: 'a.json' }, '--resume acts on a stored plan: drop --apps'],
    [{ skipWave: 'w-1', haltFailures: '1%' }, '--skip-wave acts on a stored plan: drop --halt-failures'],
    [{ abort: 'w 1; rm' }, '--abort: "w 1; rm" is not a plan id'],
    [{ promote: 'r-1', apps: 'a.json' }, '--promote acts on a stored plan: drop --apps'],
    [{ promote: 'r-1', skipWave: 'r-1' }, 'not --skip-wave and --promote'],
  ])('refuses the flags %j', (options, message) => {
    expect(() => parseWaveFlags(options)).toThrow(UsageError);
    expect(() => parseWaveFlags(options)).toThrow(message);
  });

  it('leaves a rollout without wave flags as it was', () => {
    expect(parseWaveFlags({ apps: 'a.json', portals: 'p.json' })).toEqual({});
  });

  it('applies the default thresholds', () => {
    expect(parseWaveFlags({ apps: 'a', portals: 'p', waves: '10%,100%' }).waves).toEqual({
      percents: [10, 100],
      haltFailures: 0.05,
      haltNeedsReauth: 0.2,
      pauseMs: 0,
    });
  });
});

describe('what follows a settled wave', () => {
  const plan = { wave: 1, waveSizes: [10, 90], haltFailures: 0.05, haltNeedsReauth: 0.2, pauseMs: 0 };
  it.each([
    // counts, plan changes, decision
    [{ total: 20, failed: 1, needs_reauth: 0 }, {}, { kind: 'next' }], // exactly 5%: not above
    [{ total: 20, failed: 2, needs_reauth: 0 }, {}, { kind: 'halt' }],
    [{ total: 20, failed: 0, needs_reauth: 4 }, {}, { kind: 'next' }], // exactly 20%
    [{ total: 20, failed: 0, needs_reauth: 5 }, {}, { kind: 'halt' }],
    [{ total: 20, failed: 1, needs_reauth: 0 }, { haltFailures: 0 }, { kind: 'halt' }], // 0%: any failure halts
    [{ total: 20, failed: 0, needs_reauth: 0 }, { haltFailures: 0 }, { kind: 'next' }],
    [{ total: 20, failed: 0, needs_reauth: 0 }, { pauseMs: 60_000 }, { kind: 'pause', until: 1_060_000 }],
    [{ total: 20, failed: 20, needs_reauth: 0 }, { wave: 2 }, { kind: 'done' }], // the last wave gates nothing
    [{ total: 0, failed: 0, needs_reauth: 0 }, {}, { kind: 'next' }], // every pair taken over by a later rollout
  ])('%j with %j -> %j', (counts, changes, decision) => {
    expect(decideSettledWave({ ...plan, ...changes }, counts, 1_000_000)).toMatchObject(decision);
  });

  it('names both thresholds when both are exceeded', () => {
    const decision = decideSettledWave(plan, { total: 10, failed: 1, needs_reauth: 3 }, 0);
    expect(decision).toEqual({
      kind: 'halt',
      reason:
        'wave 1 of 2: 1 of 10 pairs failed (10%, above --halt-failures 5%); 3 of 10 pairs need ' +
        're-authorisation (30%, above --halt-needs-reauth 20%)',
    });
  });
});
