import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { PairJob } from '../../pipeline/pair-job.js';
import type { ResultStore } from '../../store/result-store.js';
import { readProgress } from '../read-progress.js';

/** GET /api/progress: pairs by result state and jobs by queue state. */
export function progressRoutes(
  app: FastifyInstance,
  deps: { results: ResultStore; queue: Queue<PairJob>; now: () => number },
): void {
  app.get('/api/progress', async () => await readProgress(deps, deps.now));
}
