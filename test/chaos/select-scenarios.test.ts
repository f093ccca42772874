import { describe, expect, it } from 'vitest';
import { CHAOS_SCENARIOS, selectScenarios } from '../../chaos/chaos-scenarios.js';

describe('selectScenarios (CHAOS_ONLY)', () => {
  it('runs every scenario when nothing is named, each under its own name', () => {
    const names = selectScenarios(undefined).map((s) => s.name);
    expect(names).toEqual([
      'worker-kill',
      'worker-freeze',
      'redis-restart',
      'flaky-api',
      'broken-portals',
      'two-producers',
      'beside-backend-source',
      'beside-backend-borrow',
    ]);
    expect(new Set(CHAOS_SCENARIOS.map((s) => s.fault)).size).toBe(CHAOS_SCENARIOS.length);
  });

  it('keeps the run order for a subset and refuses an unknown name', () => {
    expect(selectScenarios('two-producers, worker-kill').map((s) => s.name)).toEqual([
      'worker-kill',
      'two-producers',
    ]);
    expect(selectScenarios('beside-backend').map((s) => s.name)).toEqual([
      'beside-backend-source',
      'beside-backend-borrow',
    ]);
    expect(() => selectScenarios('worker-kill,nope')).toThrow(
      /unknown scenario\(s\) nope; known: worker-kill/,
    );
  });
});
