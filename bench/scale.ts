import type { BenchContext, BenchResult } from './support/bench-result.js';

export async function runScale(_ctx: BenchContext): Promise<BenchResult> {
  throw new Error('not written yet');
}
