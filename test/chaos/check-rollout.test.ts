import { describe, expect, it } from 'vitest';
import { checkRollout, type PairExpectation, passed } from '../../chaos/check-rollout.js';
import type { StatusRow } from '../../src/ops/status-row.js';

function row(portal: string, code: string, fields: Partial<StatusRow> = {}): StatusRow {
  return {
    portal,
    code,
    state: 'registered',
    appId: null,
    attempts: 1,
    ambiguousAttempts: 0,
    lastError: null,
    updatedAt: null,
    ...fields,
  };
}

const registered = (domain: string, code: string): PairExpectation => ({
  domain,
  code,
  accept: ['registered'],
});

function countsOf(rows: readonly StatusRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.state] = (counts[r.state] ?? 0) + 1;
  return counts;
}

function check(
  expected: PairExpectation[],
  status: StatusRow[],
  apps: Record<string, { appId: number; code: string }[]>,
  stateCounts = countsOf(status),
) {
  return checkRollout({ expected, status, stateCounts, appsOnPortal: (domain) => apps[domain] ?? [] });
}

describe('checkRollout (the end-of-run check of every chaos scenario)', () => {
  it('passes a pair registered once with the APP_ID the portal holds', () => {
    const result = check([registered('a.test', 'x')], [row('a.test', 'x', { appId: 7 })], {
      'a.test': [{ appId: 7, code: 'x' }],
    });
    expect(result).toMatchObject({
      pairs: 1,
      registered: 1,
      duplicates: 0,
      unreported: 0,
      lost: 0,
      stuck: 0,
    });
    expect(passed(result)).toBe(true);
  });

  it('counts a duplicate covered by ambiguousAttempts as reported, and one on a clean pair as unreported', () => {
    const apps = {
      'a.test': [
        { appId: 7, code: 'x' },
        { appId: 8, code: 'x' },
        { appId: 9, code: 'y' },
        { appId: 10, code: 'y' },
        { appId: 11, code: 'y' },
      ],
    };
    const result = check(
      [registered('a.test', 'x'), registered('a.test', 'y')],
      [
        row('a.test', 'x', { appId: 8, ambiguousAttempts: 1 }),
        row('a.test', 'y', { appId: 11, ambiguousAttempts: 1 }), // two extra apps, one reported
      ],
      apps,
    );
    expect(result).toMatchObject({ registered: 2, duplicates: 3, flagged: 2, unreported: 1 });
    expect(result.violations).toEqual([expect.stringContaining('a.test|y: the portal holds 3 app(s)')]);
    expect(passed(result)).toBe(false);
  });

  it('requires an app left on a failed pair (no APP_ID stored) to be reported too', () => {
    const expected: PairExpectation[] = [
      { domain: 'gone.test', code: 'x', accept: ['registered', 'failed'], reasons: ['PORTAL_DELETED'] },
    ];
    const failed = { state: 'failed', lastError: { code: 'PORTAL_DELETED', message: 'Portal was deleted' } };
    const apps = { 'gone.test': [{ appId: 3, code: 'x' }] };
    expect(check(expected, [row('gone.test', 'x', failed)], apps)).toMatchObject({
      expectedFailures: 1,
      duplicates: 1,
      unreported: 1,
    });
    expect(check(expected, [row('gone.test', 'x', { ...failed, ambiguousAttempts: 1 })], apps)).toMatchObject(
      { expectedFailures: 1, unreported: 0, lost: 0 },
    );
  });

  it('counts a pending pair as stuck and a pair missing from status as lost', () => {
    const result = check(
      [registered('a.test', 'x'), registered('a.test', 'y')],
      [row('a.test', 'x', { state: 'pending' })],
      {},
    );
    expect(result).toMatchObject({ stuck: 1, lost: 1, registered: 0 });
    expect(passed(result)).toBe(false);
  });

  it('counts as lost a healthy pair that failed, and a registered pair whose APP_ID the portal does not hold', () => {
    const result = check(
      [registered('a.test', 'x'), registered('a.test', 'y')],
      [
        row('a.test', 'x', { state: 'failed', lastError: { code: 'INTERNAL_SERVER_ERROR', message: '' } }),
        row('a.test', 'y', { appId: 99 }),
      ],
      { 'a.test': [{ appId: 5, code: 'y' }] },
    );
    expect(result).toMatchObject({ lost: 2, registered: 0 });
  });

  it('accepts failed on a deleted portal only for the reason expected', () => {
    const expected: PairExpectation[] = [
      { domain: 'gone.test', code: 'x', accept: ['registered', 'failed'], reasons: ['PORTAL_DELETED'] },
    ];
    const result = check(
      expected,
      [row('gone.test', 'x', { state: 'failed', lastError: { code: 'BOT_ID_ERROR', message: '' } })],
      {},
    );
    expect(result).toMatchObject({ lost: 1, expectedFailures: 0 });
  });

  it('fails on apps no pair accounts for, pairs nobody asked for, and counters that disagree with status', () => {
    const status = [row('a.test', 'x', { appId: 1 }), row('a.test', 'stray', { appId: 2 })];
    const result = check(
      [registered('a.test', 'x')],
      status,
      {
        'a.test': [
          { appId: 1, code: 'x' },
          { appId: 2, code: 'stray' },
        ],
      },
      { registered: 3 },
    );
    expect(result.unreported).toBe(1);
    expect(result.problems).toEqual([
      'status reports a pair nobody asked for: a.test|stray',
      'state counter "registered" says 3, status lists 2 pairs',
    ]);
    expect(passed(result)).toBe(false);
  });
});
