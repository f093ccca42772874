import type { AppDefinition } from '../apps/app-definition-schema.js';
import { EXIT_CODES } from '../errors/operator-error.js';
import { needingOperator } from '../ops/pair-counts.js';
import type { PortalEntry } from '../portals/portal-entry-schema.js';
import { tokenOwnershipNotice } from '../portals/token-ownership-notice.js';
import type { Runtime } from '../runtime/create-runtime.js';
import { advanceWavePlan } from './advance-wave-plan.js';
import { controlWavePlan, type PlanControlCommand, promoteWavePlan } from './control-wave-plan.js';
import { createWavePlan } from './create-wave-plan.js';
import { formatPlanHeadline, formatWavePlan } from './format-wave-plan.js';
import { waitForWavePlan } from './wait-for-wave-plan.js';
import { waveDeps } from './wave-deps.js';
import type { WavePlan } from './wave-plan.js';
import { readWavePlanView } from './wave-plan-view.js';

export interface WaveOptions {
  percents: number[];
  haltFailures: number;
  haltNeedsReauth: number;
  pauseMs: number;
}

const pct = (share: number) => `${Math.round(share * 1000) / 10}%`;

/** After waiting: exit 1 when the plan halted or was aborted, or a pair of it failed / needs re-authorisation. */
async function setExitCode(runtime: Runtime, plan: WavePlan | undefined): Promise<void> {
  if (!plan) return;
  const { waveCounts } = await readWavePlanView(runtime, plan);
  const bad = waveCounts.reduce((n, v) => n + (v.counts ? needingOperator(v.counts) : 0), 0);
  if (plan.state !== 'done' || bad > 0) process.exitCode = EXIT_CODES.failed;
  if (plan.state === 'done' && bad > 0) {
    process.stdout.write(
      `rollout: plan ${plan.id} done; ${bad} pair(s) failed or need re-authorisation: see \`imbot-rollout failed\`\n`,
    );
  }
}

/** `rollout --apps --portals --waves ...`: makes the plan, queues wave 1, and with `wait` follows it to the end. */
export async function startWaveRollout(
  runtime: Runtime,
  input: {
    apps: readonly AppDefinition[];
    portals: readonly PortalEntry[];
    waves: WaveOptions;
    recreate: boolean;
    replace: boolean;
    source: string;
    wait: boolean;
  },
): Promise<void> {
  const deps = waveDeps(runtime);
  const { plan, imported } = await createWavePlan(
    {
      apps: input.apps,
      portals: input.portals,
      ...input.waves,
      recreate: input.recreate,
      replace: input.replace,
      source: input.source,
    },
    deps,
  );
  process.stdout.write(
    `rollout: wave plan ${plan.id}: ${plan.waveSizes.length} waves of ${plan.waveSizes.join(', ')} portals x ` +
      `${plan.apps.length} apps; a wave halts the plan above ${pct(plan.haltFailures)} failed or ` +
      `${pct(plan.haltNeedsReauth)} needing re-authorisation; pause between waves ${plan.pauseMs / 1000}s\n`,
  );
  // From now on imbot-rollout refreshes the tokens it wrote (single-use): said once they are stored.
  const notice = tokenOwnershipNotice(input.portals, imported.credentialsReplaced);
  if (notice !== undefined) process.stderr.write(`rollout: ${notice}\n`);
  if (imported.reactivated.length > 0) {
    process.stdout.write(
      `rollout: new credentials for ${imported.reactivated.length} portal(s) that needed them\n`,
    );
  }
  const keptNewer = imported.credentialsKeptNewer;
  if (keptNewer.length > 0) {
    // docs/operations.md, "Re-imports never go back in time"
    process.stderr.write(
      `rollout: kept the stored OAuth tokens of ${keptNewer.length} portal(s) whose stored pair is newer than the ` +
        `file's: ${keptNewer.slice(0, 10).join(', ')}${keptNewer.length > 10 ? ', ...' : ''}\n`,
    );
  }
  if (plan.state === 'halted') {
    process.stdout.write(`${formatPlanHeadline(await readWavePlanView(runtime, plan))}\n`);
    process.exitCode = EXIT_CODES.failed;
    return;
  }
  if (!input.wait) {
    process.stdout.write(
      `rollout: wave 1 queued; the workers start the next waves (follow with \`imbot-rollout status\`; ` +
        `control with rollout --resume/--skip-wave/--abort ${plan.id})\n`,
    );
    return;
  }
  const final = await waitForWavePlan(deps, plan.id, { stream: process.stderr });
  await setExitCode(runtime, final);
}

/** `rollout --resume/--abort/--skip-wave/--promote ID`. */
export async function runWavePlanCommand(
  runtime: Runtime,
  id: string,
  command: PlanControlCommand,
  wait: boolean,
): Promise<void> {
  const deps = waveDeps(runtime);
  if (command === 'promote') {
    const plan = await promoteWavePlan(deps, id);
    process.stdout.write(
      `rollout: ${plan.id} promoted: the stable definitions of ${plan.apps.map((a) => a.code).join(', ')} are now ` +
        `its own (${plan.source}); portals that install the application get them\n`,
    );
    return;
  }
  const outcome = await controlWavePlan(deps, id, command);
  if (command === 'abort') {
    process.stdout.write(
      `rollout: plan ${id} aborted: no further wave starts; ${outcome.removedJobs ?? 0} queued job(s) removed ` +
        `(their pairs marked failed with ROLLOUT_ABORTED; \`imbot-rollout retry\` queues them again), ` +
        `${outcome.leftRunning ?? 0} running job(s) left to finish\n`,
    );
    return;
  }
  // Start the next wave now rather than at a worker's next tick.
  const plan = (await advanceWavePlan(deps, id)) ?? outcome.plan;
  process.stdout.write(`rollout: ${command === 'resume' ? 'resumed' : 'skipped to the next wave'}:\n`);
  process.stdout.write(`${formatWavePlan(await readWavePlanView(runtime, plan)).join('\n')}\n`);
  if (!wait) return;
  await setExitCode(runtime, await waitForWavePlan(deps, id, { stream: process.stderr }));
}
