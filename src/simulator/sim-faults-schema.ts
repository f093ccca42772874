import { z } from 'zod';
import type { SimFaults } from './simulator-types.js';

const rate = z.number().min(0).max(1);

/** Validates SimFaults from options, the CLI or the /_sim/control endpoint. */
export const simFaultsSchema = z
  .object({
    http500Rate: rate.optional(),
    dropAfterWorkRate: rate.optional(),
    slowRate: rate.optional(),
    slowMs: z.number().int().min(0).max(600_000).optional(),
    nonJsonRate: rate.optional(),
    queryLimitRate: rate.optional(),
  })
  .strict();

/** Copies only the defined fields (the parsed object may carry explicit `undefined`s). */
export function toSimFaults(parsed: z.infer<typeof simFaultsSchema>): SimFaults {
  const faults: SimFaults = {};
  if (parsed.http500Rate !== undefined) faults.http500Rate = parsed.http500Rate;
  if (parsed.dropAfterWorkRate !== undefined) faults.dropAfterWorkRate = parsed.dropAfterWorkRate;
  if (parsed.slowRate !== undefined) faults.slowRate = parsed.slowRate;
  if (parsed.slowMs !== undefined) faults.slowMs = parsed.slowMs;
  if (parsed.nonJsonRate !== undefined) faults.nonJsonRate = parsed.nonJsonRate;
  if (parsed.queryLimitRate !== undefined) faults.queryLimitRate = parsed.queryLimitRate;
  return faults;
}
