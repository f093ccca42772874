import type { SimulatorStats } from './simulator-types.js';

export function createEmptyStats(): SimulatorStats {
  return {
    calls: 0,
    commands: 0,
    batches: 0,
    callsByMethod: {},
    registrations: 0,
    registerExisting: 0,
    updates: 0,
    unregistrations: 0,
    duplicates: 0,
    queryLimitExceeded: 0,
    refreshes: 0,
    invalidGrants: 0,
    expiredTokenAnswers: 0,
    invalidTokenAnswers: 0,
    injected: { http500: 0, dropped: 0, slow: 0, nonJson: 0, queryLimit: 0 },
  };
}

/** A deep copy, so callers can keep it while the simulator goes on counting. */
export function copyStats(stats: SimulatorStats): SimulatorStats {
  return { ...stats, callsByMethod: { ...stats.callsByMethod }, injected: { ...stats.injected } };
}
