import { isDeepStrictEqual } from 'node:util';
import type { StatusRow } from '../src/ops/status-row.js';
import { PAIR_STATES, type PairState } from '../src/store/pair-result.js';
import { normaliseLang } from '../test/support/portal-holds.js';

/** How one pair must end, and what its portal must hold then. A healthy portal: `accept: ['registered']`. */
export interface PairExpectation {
  domain: string;
  code: string;
  /** End states accepted for this pair. */
  accept: readonly PairState[];
  /** For an accepted end other than `registered`: the last error codes that explain it (any, when omitted). */
  reasons?: readonly string[];
  /**
   * The fields the portal must hold for this app once the pair is `registered`, in the simulator's terms
   * (`wantedFields` of test/support/portal-holds.ts: written apart from the worker's param builder). Every one of
   * them is compared; fields not named here (BOT_ID, a JS command's server-made HASH) are not.
   */
  wanted: Readonly<Record<string, unknown>>;
}

/** One app a simulated portal holds (SimApp: `fields` are the server's columns). */
export interface HeldApp {
  appId: number;
  code: string;
  fields: object;
}

/** What the check reads of one simulated portal (a SimPortalView fits). */
export interface HeldPortal {
  apps: readonly HeldApp[];
  /** Registers the portal answered with an app it already held (get-or-create): safe retries. */
  registerExisting: number;
}

export interface RolloutCheckInput {
  expected: readonly PairExpectation[];
  /** What `imbot-rollout status --json` reports for the run's key prefix. */
  status: readonly StatusRow[];
  /** The simulator's portal (the truth the store is checked against). */
  portal(domain: string): HeldPortal;
  /** The store's per-state counters (what `status` prints as totals). */
  stateCounts: Readonly<Record<string, number>>;
}

export interface RolloutCheck {
  pairs: number;
  /** Pairs reported `registered` whose portal holds an app for the CODE under the APP_ID the store names. */
  registered: number;
  /** Of those, pairs whose app holds exactly the wanted fields. */
  fieldsExact: number;
  /** Pairs that ended failed / needs_reauth as their expectation allows (deleted or revoked portals). */
  expectedFailures: number;
  /** Re-registers on the pairs' portals (the simulator's registerExisting): safe retries, counted, not faults. */
  reRegisters: number;
  /** Apps beyond one per portal and CODE, plus apps of a CODE no pair accounts for. Must be 0. */
  duplicates: number;
  /** Registered pairs whose app differs from the wanted fields in at least one field. Must be 0. */
  wrongFields: number;
  /** Pairs missing from status, ended in a state their expectation does not allow, or naming an APP_ID the portal does not hold. Must be 0. */
  lost: number;
  /** Pairs still pending at the end (no command will ever move them). Must be 0. */
  stuck: number;
  /** Other failed checks (counters that drifted, pairs nobody asked for). Must be empty. */
  problems: string[];
  /** One line per failed check of a pair (the first few): portal|code, and what was held against what was wanted. */
  violations: string[];
}

const MAX_VIOLATION_LINES = 15;
/** Longest value quoted in a violation line (an icon digest or a LANG list can be long). */
const MAX_VALUE_CHARS = 120;

function countByState(rows: readonly StatusRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const state of PAIR_STATES) counts[state] = 0;
  for (const row of rows) counts[row.state] = (counts[row.state] ?? 0) + 1;
  return counts;
}

function quote(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}...` : text;
}

/** The wanted fields the app holds otherwise, each as `FIELD held X, wanted Y` (LANG compared by language). */
function fieldDifferences(fields: object, wanted: Readonly<Record<string, unknown>>): string[] {
  const held = fields as Record<string, unknown>;
  const want = normaliseLang({ ...wanted });
  const have = normaliseLang(Object.fromEntries(Object.keys(want).map((key) => [key, held[key]])));
  const differences: string[] = [];
  for (const key of Object.keys(want)) {
    if (!isDeepStrictEqual(have[key], want[key]))
      differences.push(`${key} held ${quote(have[key])}, wanted ${quote(want[key])}`);
  }
  return differences;
}

/**
 * The end-of-run check every scenario shares. Each expected pair ends as allowed; a `registered` pair's portal
 * holds exactly one app for its CODE, under the APP_ID the store names, with exactly the wanted fields; no
 * portal holds a second app for a CODE, or an app no pair accounts for (against a server whose register is
 * get-or-create there is no excuse for either: docs/bitrix24.md, "Register is get-or-create"); nothing is left
 * pending; `status` agrees with its own counters. Re-registers (safe retries) are counted, not judged.
 */
export function checkRollout(input: RolloutCheckInput): RolloutCheck {
  const check: RolloutCheck = {
    pairs: input.expected.length,
    registered: 0,
    fieldsExact: 0,
    expectedFailures: 0,
    reRegisters: 0,
    duplicates: 0,
    wrongFields: 0,
    lost: 0,
    stuck: 0,
    problems: [],
    violations: [],
  };
  const violation = (line: string) => {
    if (check.violations.length < MAX_VIOLATION_LINES) check.violations.push(line);
  };
  const rows = new Map(input.status.map((row) => [`${row.portal}|${row.code}`, row]));
  const expectedKeys = new Set(input.expected.map((e) => `${e.domain}|${e.code}`));

  const appsByPair = new Map<string, HeldApp[]>();
  for (const domain of new Set(input.expected.map((e) => e.domain))) {
    const portal = input.portal(domain);
    check.reRegisters += portal.registerExisting;
    for (const app of portal.apps) {
      const key = `${domain}|${app.code}`;
      appsByPair.set(key, [...(appsByPair.get(key) ?? []), app]);
    }
  }
  for (const [key, apps] of appsByPair) {
    const ids = apps.map((a) => a.appId).join(', ');
    if (!expectedKeys.has(key)) {
      check.duplicates += apps.length;
      violation(`${key}: the portal holds ${apps.length} app(s) [${ids}] that no pair accounts for`);
    } else if (apps.length > 1) {
      check.duplicates += apps.length - 1;
      const named = rows.get(key)?.appId ?? 'none';
      violation(
        `${key}: the portal holds ${apps.length} apps [${ids}] for one CODE; the store names ${named}`,
      );
    }
  }

  for (const expected of input.expected) {
    const key = `${expected.domain}|${expected.code}`;
    const row = rows.get(key);
    const onPortal = appsByPair.get(key) ?? [];
    const ids = `[${onPortal.map((a) => a.appId).join(', ')}]`;
    if (!row) {
      check.lost++;
      violation(`${key}: missing from status (the portal holds ${onPortal.length} app(s))`);
      continue;
    }
    if (row.state === 'pending') {
      check.stuck++;
      violation(`${key}: still pending (last error ${row.lastError?.code ?? 'none'})`);
      continue;
    }
    if (!(expected.accept as readonly string[]).includes(row.state)) {
      check.lost++;
      violation(
        `${key}: ended ${row.state} (${row.lastError?.code ?? 'no error'}), expected ${expected.accept.join(' or ')}`,
      );
      continue;
    }
    const named = onPortal.find((a) => a.appId === row.appId);
    if (row.state === 'registered') {
      if (!named) {
        check.lost++;
        violation(`${key}: registered with APP_ID ${row.appId ?? 'none'} but the portal holds ${ids}`);
        continue;
      }
      check.registered++;
      const differences = fieldDifferences(named.fields, expected.wanted);
      if (differences.length === 0) check.fieldsExact++;
      else {
        check.wrongFields++;
        for (const difference of differences) violation(`${key}: APP_ID ${named.appId} ${difference}`);
      }
      continue;
    }
    // Failed or parked as allowed: the portal may hold the app (its register went through before the fault),
    // but never another one than the store names.
    if (row.appId !== null && onPortal.length > 0 && !named) {
      check.lost++;
      violation(`${key}: ${row.state} naming APP_ID ${row.appId} but the portal holds ${ids}`);
      continue;
    }
    const reason = row.lastError?.code;
    if (expected.reasons && (reason === undefined || !expected.reasons.includes(reason))) {
      check.lost++;
      violation(
        `${key}: ${row.state} for ${reason ?? 'no reason'}, expected ${expected.reasons.join(' or ')}`,
      );
      continue;
    }
    check.expectedFailures++;
  }

  for (const row of input.status) {
    if (!expectedKeys.has(`${row.portal}|${row.code}`))
      check.problems.push(`status reports a pair nobody asked for: ${row.portal}|${row.code}`);
  }
  const counted = countByState(input.status);
  for (const state of PAIR_STATES) {
    const stored = input.stateCounts[state] ?? 0;
    if (stored !== counted[state])
      check.problems.push(`state counter "${state}" says ${stored}, status lists ${counted[state]} pairs`);
  }
  return check;
}

/**
 * The pass criterion: nothing lost, nothing stuck, every registered portal holding exactly the wanted fields,
 * no duplicate, no other failed check.
 */
export function passed(check: RolloutCheck): boolean {
  return (
    check.lost === 0 &&
    check.stuck === 0 &&
    check.wrongFields === 0 &&
    check.duplicates === 0 &&
    check.problems.length === 0
  );
}
