import { setTimeout as delay } from 'node:timers/promises';
import { advanceWavePlan, type WaveControllerDeps } from './advance-wave-plan.js';
import { formatWavePlan } from './format-wave-plan.js';
import type { WavePlan } from './wave-plan.js';
import { readWavePlanView } from './wave-plan-view.js';

/** A plan `rollout --wait` stops waiting for: ended, or halted until an operator acts. */
export function isWaitOver(plan: WavePlan): boolean {
  return plan.state === 'done' || plan.state === 'aborted' || plan.state === 'halted';
}

/**
 * `rollout --waves --wait`: ticks the plan itself (as a worker's controller would; both together are safe) and
 * prints the plan and its waves as they change, until it is done, halted or aborted.
 */
export async function waitForWavePlan(
  deps: WaveControllerDeps,
  id: string,
  options: { stream?: NodeJS.WritableStream; intervalMs?: number; signal?: AbortSignal } = {},
): Promise<WavePlan | undefined> {
  const stream = options.stream ?? process.stderr;
  let shown: string[] = [];
  for (;;) {
    const lease = await deps.plans.takeLease(id, 60_000);
    let plan: WavePlan | undefined;
    try {
      plan = lease === undefined ? await deps.plans.get(id) : await advanceWavePlan(deps, id);
    } finally {
      if (lease !== undefined) await deps.plans.releaseLease(id, lease);
    }
    if (!plan) return undefined;
    // The whole plan when its headline changes (a wave starts, a halt), else only the wave lines that changed.
    const lines = formatWavePlan(await readWavePlanView(deps, plan));
    const changed = lines[0] !== shown[0] ? lines : lines.filter((line, i) => line !== shown[i]);
    if (changed.length > 0) stream.write(`${changed.join('\n')}\n`);
    shown = lines;
    if (isWaitOver(plan) || options.signal?.aborted) return plan;
    await delay(options.intervalMs ?? 1_000);
  }
}
