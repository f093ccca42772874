import type { BenchContext, BenchResult } from './support/bench-result.js';

export async function runVersusB24jssdk(_ctx: BenchContext): Promise<BenchResult> {
  throw new Error('not written yet');
}
