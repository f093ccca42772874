import { definitionHash } from '../apps/definition-hash.js';
import { type EnqueueRequest, type EnqueueSummary, enqueueRollout } from '../pipeline/enqueue-rollout.js';
import type { WaveControllerDeps } from './advance-wave-plan.js';
import type { WavePlan } from './wave-plan.js';

/**
 * `rollout` without `--waves`: queues the rollout exactly as enqueueRollout does, then, when it names apps,
 * records it as a one-wave plan under its own id (docs/waves.md, "Plain rollouts"): status, the API and the
 * dashboard show it as they show a plan, it keeps its figures after later rollouts, and once its pairs have
 * settled the wave controller ends it done and makes its definitions stable. A refused rollout records nothing.
 * A rollout without apps (re-queueing stored pairs after new credentials) is not recorded as a plan.
 */
export async function enqueuePlainRollout(
  request: EnqueueRequest,
  deps: WaveControllerDeps,
): Promise<EnqueueSummary & { plan: WavePlan | undefined }> {
  const summary = await enqueueRollout(request, deps);
  if (!request.apps) return { ...summary, plan: undefined };
  const plan = await deps.plans.createSingle({
    id: summary.rolloutId,
    source: request.source ?? 'apps given in code',
    apps: request.apps.map((app) => ({ code: app.CODE, defHash: definitionHash(app) })),
    domains: [...new Set(summary.pairs.map((pair) => pair.domain))],
    recreate: request.recreate ?? false,
    replace: request.replace ?? false,
  });
  return { ...summary, plan };
}
