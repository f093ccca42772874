import { sanitiseText } from '../ops/sanitise-text.js';
import type { WavePlanView, WaveView } from './wave-plan-view.js';

/** One plan's headline: id, state, current wave, and the halt reason or pause end. */
export function formatPlanHeadline(plan: WavePlanView): string {
  const { waves } = plan;
  if (plan.single) {
    // A plain rollout (one wave: docs/waves.md, "Plain rollouts").
    const reason = plan.reason && plan.state !== 'done' ? `: ${plan.reason}` : '';
    return sanitiseText(`rollout ${plan.id} (${plan.source}; all portals at once): ${plan.state}${reason}`);
  }
  const where =
    plan.state === 'running'
      ? `running wave ${plan.wave} of ${waves}${plan.queueing ? ' (queueing)' : ''}`
      : plan.state === 'pausing'
        ? `wave ${plan.wave} of ${waves} passed; wave ${plan.wave + 1} starts at ${plan.pauseUntil ?? new Date(0).toISOString()}`
        : plan.state === 'halted'
          ? `HALTED: ${plan.reason ?? `at wave ${plan.wave} of ${waves}`}`
          : plan.state === 'aborted'
            ? `aborted: ${plan.reason ?? `at wave ${plan.wave} of ${waves}`}`
            : `done (${waves} waves)`;
  return sanitiseText(
    `plan ${plan.id} (${plan.source}; waves ${plan.percents.map((p) => `${p}%`).join(',')}): ${where}`,
  );
}

/** One wave's line: its size and state counts (waves not started yet say so). */
function formatWaveLine(plan: WavePlanView, view: WaveView): string {
  const { portals, counts, takenOver } = view;
  const head = `  wave ${view.wave}/${plan.waves} (${portals} portal${portals === 1 ? '' : 's'})`;
  if (!counts) return `${head}: not started`;
  return (
    `${head}: ${counts.total} pairs | registered ${counts.registered} | failed ${counts.failed} | ` +
    `needs_reauth ${counts.needs_reauth} | pending ${counts.pending}` +
    (counts.unregistered > 0 ? ` | unregistered ${counts.unregistered}` : '') +
    (takenOver > 0 ? ` | taken over by a later rollout while pending ${takenOver}` : '')
  );
}

/** The failing pairs a halted plan lists, one line each, then the commands that go on from the halt. */
function formatHalt(plan: WavePlanView): string[] {
  const lines: string[] = [];
  if (plan.failing.length > 0) {
    const more = plan.failingTotal > plan.failing.length ? ` (first ${plan.failing.length})` : '';
    lines.push(
      `  failing pairs of wave ${plan.wave}: ${plan.failingTotal}${more}`,
      ...plan.failing.map(
        (f) =>
          `    ${sanitiseText(`${f.portal} ${f.code} ${f.state} ${f.error}`).replace(/\s+/g, ' ').slice(0, 160)}`,
      ),
    );
  }
  if (plan.commands.length > 0)
    lines.push(sanitiseText(`  next: rollout ${plan.commands.map((c) => `--${c}`).join(' | ')} ${plan.id}`));
  return lines;
}

/** A plan as text: headline, one line per wave, and for a halted plan its failing pairs and the next step. */
export function formatWavePlan(plan: WavePlanView): string[] {
  return [
    formatPlanHeadline(plan),
    ...plan.waveCounts.map((view) => formatWaveLine(plan, view)),
    ...(plan.state === 'halted' ? formatHalt(plan) : []),
  ];
}

/** `status`: the newest wave plans with their waves ('' when there is none). */
export function formatWavePlans(plans: readonly WavePlanView[]): string {
  if (plans.length === 0) return '';
  return `\nwave plans (newest first):\n${plans.map((plan) => formatWavePlan(plan).join('\n')).join('\n')}\n`;
}
