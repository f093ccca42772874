import type { StatusRow } from '../src/ops/status-row.js';
import { PAIR_STATES, type PairState } from '../src/results/pair-result.js';

/** How one pair must end. A healthy portal: `accept: ['registered']`. */
export interface PairExpectation {
  domain: string;
  code: string;
  /** End states accepted for this pair. */
  accept: readonly PairState[];
  /** For an accepted end other than `registered`: the last error codes that explain it (any, when omitted). */
  reasons?: readonly string[];
}

export interface RolloutCheckInput {
  expected: readonly PairExpectation[];
  /** What `imbot-rollout status --json` reports for the run's key prefix. */
  status: readonly StatusRow[];
  /** The apps the simulator holds on a portal (the truth the store is checked against). */
  appsOnPortal(domain: string): readonly { appId: number; code: string }[];
  /** The store's per-state counters (what `status` prints as totals). */
  stateCounts: Readonly<Record<string, number>>;
}

export interface RolloutCheck {
  pairs: number;
  /** Pairs reported `registered` whose APP_ID the portal holds. */
  registered: number;
  /** Pairs that ended failed / needs_reauth as their expectation allows (deleted or revoked portals). */
  expectedFailures: number;
  /** Apps on the simulator that the store does not name: for a registered pair all but one, else all of them. */
  duplicates: number;
  /** Pairs reported as possibly holding a duplicate (ambiguousAttempts > 0), rightly or not. */
  flagged: number;
  /** Pairs holding more extra apps than their ambiguousAttempts report, plus apps no pair accounts for. Must be 0. */
  unreported: number;
  /** Pairs missing from status, ended in a state their expectation does not allow, or naming an APP_ID the portal does not hold. Must be 0. */
  lost: number;
  /** Pairs still pending at the end (no command will ever move them). Must be 0. */
  stuck: number;
  /** Other failed checks (counters that drifted, pairs nobody asked for). Must be empty. */
  problems: string[];
  /** One line per lost / stuck / unreported pair (the first few). */
  violations: string[];
}

const MAX_VIOLATION_LINES = 15;

function countByState(rows: readonly StatusRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const state of PAIR_STATES) counts[state] = 0;
  for (const row of rows) counts[row.state] = (counts[row.state] ?? 0) + 1;
  return counts;
}

/**
 * The end-of-run check every scenario shares: each expected pair ends as allowed, with the APP_ID the portal
 * holds; each app on the portal beyond the one the store names is covered by the pair's ambiguous attempts
 * (a duplicate may exist, but never unreported); nothing is left pending; `status` agrees with its own counters.
 */
export function checkRollout(input: RolloutCheckInput): RolloutCheck {
  const check: RolloutCheck = {
    pairs: input.expected.length,
    registered: 0,
    expectedFailures: 0,
    duplicates: 0,
    flagged: 0,
    unreported: 0,
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

  const appsByPair = new Map<string, number[]>();
  for (const domain of new Set(input.expected.map((e) => e.domain))) {
    for (const app of input.appsOnPortal(domain)) {
      const key = `${domain}|${app.code}`;
      appsByPair.set(key, [...(appsByPair.get(key) ?? []), app.appId]);
    }
  }
  for (const [key, ids] of appsByPair) {
    if (!expectedKeys.has(key)) {
      check.unreported += ids.length;
      violation(`${key}: ${ids.length} app(s) on the portal that no pair accounts for`);
    }
  }

  for (const expected of input.expected) {
    const key = `${expected.domain}|${expected.code}`;
    const row = rows.get(key);
    const onPortal = appsByPair.get(key) ?? [];
    if (!row) {
      check.lost++;
      if (onPortal.length > 0) check.unreported++;
      violation(`${key}: missing from status (the portal holds ${onPortal.length} app(s))`);
      continue;
    }
    const named = row.appId !== null && onPortal.includes(row.appId);
    const extra = onPortal.length - (named ? 1 : 0);
    check.duplicates += extra;
    if (row.ambiguousAttempts > 0) check.flagged++;
    if (row.ambiguousAttempts < extra) {
      check.unreported++;
      violation(
        `${key}: the portal holds ${onPortal.length} app(s) [${onPortal.join(', ')}], the store names ${row.appId ?? 'none'}, ambiguousAttempts ${row.ambiguousAttempts}`,
      );
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
    if (row.state === 'registered') {
      if (named) check.registered++;
      else {
        check.lost++;
        violation(
          `${key}: registered with APP_ID ${row.appId} but the portal holds [${onPortal.join(', ')}]`,
        );
      }
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

/** The pass criterion: nothing lost, nothing stuck, no duplicate unreported, no other failed check. */
export function passed(check: RolloutCheck): boolean {
  return check.lost === 0 && check.stuck === 0 && check.unreported === 0 && check.problems.length === 0;
}
