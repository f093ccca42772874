import { formatTable } from '../src/ops/format-table.js';

/** One row of the chaos table (and of chaos/results/latest.json). */
export interface ChaosRow {
  scenario: string;
  fault: string;
  pairs: number;
  registered: number;
  /** Registered pairs whose portal holds exactly the wanted fields (see check-rollout.ts). */
  fieldsExact: number;
  /** Pairs that ended failed / needs_reauth as expected (deleted / revoked portals). */
  expectedFailures: number;
  /** Registers answered with the app the portal already held (the simulator's registerExisting): safe retries. */
  reRegisters: number;
  /** Must be 0: apps beyond one per portal and CODE, or of a CODE no pair accounts for. */
  duplicates: number;
  /** Must be 0: registered pairs whose app differs from the wanted fields. */
  wrongFields: number;
  /** Must be 0. */
  lost: number;
  /** Must be 0. */
  stuck: number;
  timeSeconds: number;
  passed: boolean;
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
      'FIELDS EXACT',
      'FAILED AS EXPECTED',
      'RE-REGISTERS',
      'LOST',
      'STUCK',
      'TIME',
      'RESULT',
    ],
    rows.map((r) => [
      r.fault,
      String(r.pairs),
      String(r.registered),
      `${r.fieldsExact}/${r.registered}`,
      String(r.expectedFailures),
      String(r.reRegisters),
      String(r.lost),
      String(r.stuck),
      `${r.timeSeconds.toFixed(1)} s`,
      r.passed ? 'pass' : 'FAIL',
    ]),
  );
}
