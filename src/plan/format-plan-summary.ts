import { type PlanCounts, type PlanSummary, planRefusals } from './plan-summary.js';
import { PLAN_ACTIONS } from './predict-pair-action.js';

const BLOCKED_TEXT = {
  needs_reauth: 'portal needs re-authorisation',
  uninstalled: 'application uninstalled',
  removed: 'portal removed',
  no_bot: 'no bot with that CODE on the portal',
} as const;

function table(rows: readonly (readonly [string, PlanCounts])[]): string[] {
  const width = Math.max(5, ...rows.map(([label]) => label.length));
  const header = [''.padEnd(width), ...PLAN_ACTIONS.map((a) => a.padStart(Math.max(a.length, 6)))].join('  ');
  const lines = rows.map(([label, counts]) =>
    [label.padEnd(width), ...PLAN_ACTIONS.map((a) => String(counts[a]).padStart(Math.max(a.length, 6)))].join(
      '  ',
    ),
  );
  return [header, ...lines];
}

/**
 * The plan as an operator reads it: counts per CODE and in total (and per wave), the fields updates change, why
 * pairs are blocked, which rollouts conflict, and whether the rollout would be refused. `rollouts` names the
 * rollouts in flight (id -> "started ..., from ...").
 */
export function formatPlanSummary(
  summary: PlanSummary,
  rollouts: ReadonlyMap<string, string> = new Map(),
): string[] {
  const lines: string[] = [];
  lines.push(`plan: ${summary.pairs} pairs (fingerprint ${summary.fingerprint.slice(0, 16)})`);
  const codes = Object.keys(summary.byCode).sort();
  lines.push(
    ...table([
      ...codes.map((code) => [code, summary.byCode[code] as PlanCounts] as const),
      ['total', summary.totals],
    ]),
  );
  for (const code of codes) {
    const fields = Object.entries(summary.fieldsByCode[code] ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    if (fields.length > 0)
      lines.push(`update ${code}: ${fields.map(([field, n]) => `${field} (${n})`).join(', ')}`);
  }
  if (summary.totals.register > 0) {
    lines.push(
      'register: no APP_ID is known; the server may hand back an app that already exists with that CODE, which ' +
        'is then adopted and updated (docs/bitrix24.md, "Register is get-or-create")',
    );
  }
  const blocked = Object.entries(summary.blocked);
  if (blocked.length > 0) {
    lines.push(
      `blocked: ${blocked.map(([reason, n]) => `${n} ${BLOCKED_TEXT[reason as keyof typeof BLOCKED_TEXT] ?? reason}`).join(', ')}`,
    );
  }
  for (const [index, counts] of summary.byWave.entries()) {
    const busy = PLAN_ACTIONS.filter((a) => counts[a] > 0).map((a) => `${counts[a]} ${a}`);
    lines.push(`wave ${index + 1}: ${busy.length > 0 ? busy.join(', ') : 'nothing'}`);
  }
  for (const c of summary.conflicts) {
    const named = c.rolloutId
      ? `rollout ${c.rolloutId}${rollouts.has(c.rolloutId) ? ` (${rollouts.get(c.rolloutId)})` : ''}`
      : 'an earlier rollout';
    lines.push(`conflict ${c.code}: ${named} is still applying another definition to ${c.pairs} portal(s)`);
  }
  const refusals = planRefusals(summary);
  if (refusals.length > 0) {
    lines.push('this rollout would be refused whole:', ...refusals.map((r) => `  - ${r}`));
  }
  return lines;
}
