import { formatTable } from '../src/ops/format-table.js';

/** One row of the chaos table (and of chaos/results/latest.json). */
export interface ChaosRow {
  scenario: string;
  fault: string;
  pairs: number;
  registered: number;
  /** Apps on the simulator beyond the one the store names (see check-rollout.ts). */
  duplicates: number;
  /** Must be 0. */
  unreported: number;
  /** Must be 0. */
  lost: number;
  /** Must be 0. */
  stuck: number;
  timeSeconds: number;
  passed: boolean;
  /** Pairs reported as possibly holding a duplicate (ambiguousAttempts > 0). */
  flagged: number;
  /** Pairs that ended failed / needs_reauth as expected (deleted / revoked portals). */
  expectedFailures: number;
  facts: Record<string, number | string | boolean>;
  problems: string[];
  violations: string[];
}

export function formatChaosTable(rows: readonly ChaosRow[]): string {
  return formatTable(
    [
      'FAULT',
      'PAIRS',
      'REGISTERED',
      'FAILED AS EXPECTED',
      'DUPLICATES',
      'UNREPORTED',
      'LOST',
      'STUCK',
      'TIME',
      'RESULT',
    ],
    rows.map((r) => [
      r.fault,
      String(r.pairs),
      String(r.registered),
      String(r.expectedFailures),
      String(r.duplicates),
      String(r.unreported),
      String(r.lost),
      String(r.stuck),
      `${r.timeSeconds.toFixed(1)} s`,
      r.passed ? 'pass' : 'FAIL',
    ]),
  );
}
