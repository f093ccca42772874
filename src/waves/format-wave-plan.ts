import type { ProgressCounts } from '../ops/progress-counts.js';
import { sanitiseText } from '../ops/sanitise-text.js';
import { type WavePlan, waveCount } from './wave-plan.js';

/** One plan's headline: id, state, current wave, and the halt reason or pause end. */
export function formatPlanHeadline(plan: WavePlan): string {
  const waves = waveCount(plan);
  if (plan.single) {
    // A plain rollout (one wave: docs/waves.md, "Plain rollouts").
    const state = plan.state === 'running' ? 'running' : plan.state === 'done' ? 'done' : plan.state;
    const reason = plan.reason && plan.state !== 'done' ? `: ${plan.reason}` : '';
    return sanitiseText(`rollout ${plan.id} (${plan.source}; all portals at once): ${state}${reason}`);
  }
  const where =
    plan.state === 'running'
      ? `running wave ${plan.wave} of ${waves}${plan.enqueued < plan.wave ? ' (queueing)' : ''}`
      : plan.state === 'pausing'
        ? `wave ${plan.wave} of ${waves} passed; wave ${plan.wave + 1} starts at ${new Date(plan.pauseUntil ?? 0).toISOString()}`
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
export function formatWaveLine(
  plan: WavePlan,
  wave: number,
  counts: ProgressCounts | undefined,
  takenOver = 0,
): string {
  const portals = plan.waveSizes[wave - 1] ?? 0;
  const head = `  wave ${wave}/${waveCount(plan)} (${portals} portal${portals === 1 ? '' : 's'})`;
  if (!counts) return `${head}: not started`;
  return (
    `${head}: ${counts.total} pairs | registered ${counts.registered} | failed ${counts.failed} | ` +
    `needs_reauth ${counts.needsReauth} | pending ${counts.pending}` +
    (counts.unregistered > 0 ? ` | unregistered ${counts.unregistered}` : '') +
    (takenOver > 0 ? ` | taken over by a later rollout while pending ${takenOver}` : '')
  );
}

/** The failing pairs a halted plan lists, one line each. */
export function formatFailingPairs(plan: WavePlan): string[] {
  if (plan.failing.length === 0) return [];
  const more = plan.failingTotal > plan.failing.length ? ` (first ${plan.failing.length})` : '';
  return [
    `  failing pairs of wave ${plan.wave}: ${plan.failingTotal}${more}`,
    ...plan.failing.map(
      (f) =>
        `    ${sanitiseText(`${f.portal} ${f.code} ${f.state} ${f.error}`).replace(/\s+/g, ' ').slice(0, 160)}`,
    ),
  ];
}
