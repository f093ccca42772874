import { describe, expect, it } from 'vitest';
import { chaosApp } from '../../chaos/chaos-apps.js';
import { checkRollout, type HeldApp, type PairExpectation, passed } from '../../chaos/check-rollout.js';
import type { StatusRow } from '../../src/ops/status-row.js';
import type { PairState } from '../../src/store/pair-result.js';
import { wantedFields } from '../support/portal-holds.js';

const HASH = 'a'.repeat(32);
/** What the portals must hold: a JS command (no HASH compared) and an IFRAME app with an icon and a HASH. */
const CMD = wantedFields(chaosApp('cmd'), undefined);
const PANEL = wantedFields(chaosApp('panel', 'iframe'), HASH);
const WANTED: Record<string, Record<string, unknown>> = { cmd: CMD, panel: PANEL };
const CMD_LANG = CMD['LANG'] as { LANGUAGE_ID: string; TITLE: string }[];

function row(portal: string, code: string, fields: Partial<StatusRow> = {}): StatusRow {
  return {
    portal,
    code,
    state: 'registered',
    appId: null,
    attempts: 1,
    lastError: null,
    updatedAt: null,
    hash: null,
    ...fields,
  };
}

function expect_(
  domain: string,
  code: string,
  accept: readonly PairState[] = ['registered'],
  reasons?: readonly string[],
): PairExpectation {
  return {
    domain,
    code,
    accept,
    ...(reasons === undefined ? {} : { reasons }),
    wanted: WANTED[code] ?? {},
  };
}

/** An app as the simulator holds it: exactly the wanted fields, plus the columns the check does not compare. */
function app(appId: number, code: string, changed: Record<string, unknown> = {}): HeldApp {
  return { appId, code, fields: { ...WANTED[code], BOT_ID: 101, HASH: `server-${appId}`, ...changed } };
}
function iframe(appId: number, changed: Record<string, unknown> = {}): HeldApp {
  return { appId, code: 'panel', fields: { ...PANEL, BOT_ID: 101, ...changed } };
}

function countsOf(rows: readonly StatusRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.state] = (counts[r.state] ?? 0) + 1;
  return counts;
}

function check(
  expected: PairExpectation[],
  status: StatusRow[],
  apps: Record<string, HeldApp[]>,
  options: { stateCounts?: Record<string, number>; registerExisting?: Record<string, number> } = {},
) {
  return checkRollout({
    expected,
    status,
    stateCounts: options.stateCounts ?? countsOf(status),
    portal: (domain) => ({
      apps: apps[domain] ?? [],
      registerExisting: options.registerExisting?.[domain] ?? 0,
    }),
  });
}

const FAILED_DELETED = {
  state: 'failed',
  lastError: { code: 'PORTAL_DELETED', message: 'Portal was deleted' },
} as const;

describe('checkRollout (the end-of-run check of every chaos scenario)', () => {
  it('passes pairs whose portal holds one app each, under the stored APP_ID, with exactly the wanted fields', () => {
    const result = check(
      [expect_('a.test', 'cmd'), expect_('a.test', 'panel'), expect_('b.test', 'cmd')],
      [
        row('a.test', 'cmd', { appId: 7 }),
        row('a.test', 'panel', { appId: 8 }),
        row('b.test', 'cmd', { appId: 9 }),
      ],
      {
        // LANG in another order than the definition: the server keeps one row per language, in no set order.
        'a.test': [app(7, 'cmd', { LANG: [...CMD_LANG].reverse() }), iframe(8)],
        'b.test': [app(9, 'cmd')],
      },
      { registerExisting: { 'a.test': 2, 'b.test': 1, 'other.test': 5 } },
    );
    expect(result).toMatchObject({
      pairs: 3,
      registered: 3,
      fieldsExact: 3,
      reRegisters: 3, // safe retries are counted, and only on the pairs' portals
      duplicates: 0,
      wrongFields: 0,
      lost: 0,
      stuck: 0,
      violations: [],
    });
    expect(passed(result)).toBe(true);
  });

  it('fails a registered pair whose app differs in any wanted field, naming the field, held and wanted', () => {
    const otherIcon = 'f'.repeat(64);
    const result = check(
      [expect_('a.test', 'cmd'), expect_('a.test', 'panel')],
      [row('a.test', 'cmd', { appId: 7 }), row('a.test', 'panel', { appId: 8 })],
      {
        'a.test': [
          app(7, 'cmd', { JS_PARAM: '/old' }),
          iframe(8, { ICON: otherIcon, HASH: 'b'.repeat(32), IFRAME_WIDTH: 350 }),
        ],
      },
    );
    expect(result).toMatchObject({ registered: 2, fieldsExact: 0, wrongFields: 2, lost: 0 });
    expect(result.violations).toEqual([
      'a.test|cmd: APP_ID 7 JS_PARAM held "/old", wanted "/cmd"',
      `a.test|panel: APP_ID 8 ICON held "${otherIcon}", wanted "${PANEL['ICON']}"`,
      'a.test|panel: APP_ID 8 IFRAME_WIDTH held 350, wanted 400',
      `a.test|panel: APP_ID 8 HASH held "${'b'.repeat(32)}", wanted "${HASH}"`,
    ]);
    expect(passed(result)).toBe(false);
  });

  it('fails on a missing field and on a changed translation (LANG compared by language)', () => {
    const retitled = CMD_LANG.map((l) => (l.LANGUAGE_ID === 'de' ? { ...l, TITLE: 'Alter Titel' } : l));
    const fields: Record<string, unknown> = { ...CMD, LANG: retitled };
    delete fields['EXTRANET_SUPPORT'];
    const result = check([expect_('a.test', 'cmd')], [row('a.test', 'cmd', { appId: 7 })], {
      'a.test': [{ appId: 7, code: 'cmd', fields }],
    });
    expect(result).toMatchObject({ wrongFields: 1, fieldsExact: 0 });
    expect(result.violations[0]).toBe('a.test|cmd: APP_ID 7 EXTRANET_SUPPORT held nothing, wanted "Y"');
    expect(result.violations[1]).toMatch(/^a\.test\|cmd: APP_ID 7 LANG held .*Alter Titel.*, wanted /);
    expect(passed(result)).toBe(false);
  });

  it('fails on a second app for one CODE, even when the store names one of them and its fields are right', () => {
    const result = check([expect_('a.test', 'cmd')], [row('a.test', 'cmd', { appId: 8 })], {
      'a.test': [app(7, 'cmd'), app(8, 'cmd')],
    });
    expect(result).toMatchObject({ registered: 1, fieldsExact: 1, duplicates: 1, lost: 0 });
    expect(result.violations).toEqual([
      'a.test|cmd: the portal holds 2 apps [7, 8] for one CODE; the store names 8',
    ]);
    expect(passed(result)).toBe(false);
  });

  it('fails on an app of a CODE that no pair accounts for', () => {
    const result = check([expect_('a.test', 'cmd')], [row('a.test', 'cmd', { appId: 7 })], {
      'a.test': [app(7, 'cmd'), { appId: 9, code: 'stray', fields: {} }],
    });
    expect(result).toMatchObject({ registered: 1, duplicates: 1 });
    expect(result.violations).toEqual([
      'a.test|stray: the portal holds 1 app(s) [9] that no pair accounts for',
    ]);
    expect(passed(result)).toBe(false);
  });

  it('counts as lost a registered pair whose APP_ID the portal does not hold, or that holds no app at all', () => {
    const result = check(
      [expect_('a.test', 'cmd'), expect_('a.test', 'panel')],
      [row('a.test', 'cmd', { appId: 99 }), row('a.test', 'panel', { appId: 8 })],
      { 'a.test': [app(5, 'cmd')] },
    );
    expect(result).toMatchObject({ lost: 2, registered: 0, fieldsExact: 0 });
    expect(result.violations).toEqual([
      'a.test|cmd: registered with APP_ID 99 but the portal holds [5]',
      'a.test|panel: registered with APP_ID 8 but the portal holds []',
    ]);
    expect(passed(result)).toBe(false);
  });

  it('counts a pending pair as stuck and a pair missing from status as lost', () => {
    const result = check(
      [expect_('a.test', 'cmd'), expect_('a.test', 'panel')],
      [row('a.test', 'cmd', { state: 'pending' })],
      {},
    );
    expect(result).toMatchObject({ stuck: 1, lost: 1, registered: 0 });
    expect(passed(result)).toBe(false);
  });

  it('counts as lost a healthy pair that failed', () => {
    const result = check(
      [expect_('a.test', 'cmd')],
      [row('a.test', 'cmd', { state: 'failed', lastError: { code: 'INTERNAL_SERVER_ERROR', message: '' } })],
      {},
    );
    expect(result).toMatchObject({ lost: 1, registered: 0 });
    expect(result.violations).toEqual([
      'a.test|cmd: ended failed (INTERNAL_SERVER_ERROR), expected registered',
    ]);
  });

  it('accepts a failed pair on a deleted portal for the reason expected, with or without its app', () => {
    const deleted = (code: string) =>
      expect_('gone.test', code, ['registered', 'failed'], ['PORTAL_DELETED']);
    const result = check(
      [deleted('cmd'), deleted('panel')],
      [
        row('gone.test', 'cmd', { ...FAILED_DELETED, appId: 3 }), // registered, then its update met the deletion
        row('gone.test', 'panel', FAILED_DELETED), // the register's answer was lost, then the portal went
      ],
      { 'gone.test': [app(3, 'cmd', { JS_PARAM: '/old' }), iframe(4)] },
    );
    expect(result).toMatchObject({ expectedFailures: 2, lost: 0, duplicates: 0, wrongFields: 0 });
    expect(passed(result)).toBe(true);
  });

  it('fails a failed pair for another reason, naming an APP_ID the portal does not hold, or holding two apps', () => {
    const deleted = (code: string) =>
      expect_('gone.test', code, ['registered', 'failed'], ['PORTAL_DELETED']);
    const result = check(
      [deleted('cmd'), deleted('panel')],
      [
        row('gone.test', 'cmd', { state: 'failed', lastError: { code: 'BOT_ID_ERROR', message: '' } }),
        row('gone.test', 'panel', { ...FAILED_DELETED, appId: 5 }),
      ],
      { 'gone.test': [app(3, 'cmd'), app(4, 'cmd'), iframe(6)] },
    );
    expect(result).toMatchObject({ lost: 2, expectedFailures: 0, duplicates: 1 });
    expect(result.violations).toEqual([
      'gone.test|cmd: the portal holds 2 apps [3, 4] for one CODE; the store names none',
      'gone.test|cmd: failed for BOT_ID_ERROR, expected PORTAL_DELETED',
      'gone.test|panel: failed naming APP_ID 5 but the portal holds [6]',
    ]);
    expect(passed(result)).toBe(false);
  });

  it('fails on pairs nobody asked for and counters that disagree with status', () => {
    const status = [row('a.test', 'cmd', { appId: 1 }), row('a.test', 'stray', { appId: 2 })];
    const result = check(
      [expect_('a.test', 'cmd')],
      status,
      { 'a.test': [app(1, 'cmd')] },
      {
        stateCounts: { registered: 3 },
      },
    );
    expect(result.problems).toEqual([
      'status reports a pair nobody asked for: a.test|stray',
      'state counter "registered" says 3, status lists 2 pairs',
    ]);
    expect(passed(result)).toBe(false);
  });
});
