import { z } from 'zod';

export const ROLLOUT_QUEUE = 'rollout';

/** What a job carries: only which pair to reconcile. No definition, no secret (bull-board shows job data). */
export const pairJobSchema = z.object({ domain: z.string().min(1), code: z.string().min(1) }).strict();
export type PairJob = z.infer<typeof pairJobSchema>;

/** One deterministic id per pair: BullMQ ignores an add whose id exists, so a pair never has two live jobs. */
export function pairJobId(domain: string, code: string): string {
  return `pair|${domain}|${code}`;
}
