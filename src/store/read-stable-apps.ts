import type { RedisClient } from '../redis/redis-client.js';
import type { RedisKeys } from './redis-keys.js';

/**
 * How a definition became a CODE's stable one (docs/waves.md, "Stable definitions"): `finished` when its plan or
 * plain rollout ended done, `promoted` by `rollout --promote`.
 */
export type StableHow = 'finished' | 'promoted';

/** A CODE's stable definition: what a portal that installs the application gets (src/events/load-desired-apps.ts). */
export interface StableApp {
  code: string;
  /** The definition's hash (the definition itself is in the definition store). */
  defHash: string;
  /** The plan or plain rollout it came from (`w-...` or `r-...`). */
  planId: string;
  /** That plan's source (its apps file). */
  source: string;
  /** When it became stable (ms). */
  at: number;
  how: StableHow;
}

/** The JSON a `stableApps` field holds (written by WAVE_PLAN_TRANSITION, src/waves/wave-plan-scripts.ts). */
export function encodeStableApp(app: Omit<StableApp, 'code'>): string {
  return JSON.stringify({
    defHash: app.defHash,
    planId: app.planId,
    source: app.source,
    at: app.at,
    how: app.how,
  });
}

function decodeStableApp(code: string, raw: string): StableApp | undefined {
  try {
    const value = JSON.parse(raw) as Partial<StableApp>;
    if (typeof value.defHash !== 'string' || typeof value.planId !== 'string') return undefined;
    return {
      code,
      defHash: value.defHash,
      planId: value.planId,
      source: typeof value.source === 'string' ? value.source : '',
      at: typeof value.at === 'number' ? value.at : 0,
      how: value.how === 'promoted' ? 'promoted' : 'finished',
    };
  } catch {
    return undefined;
  }
}

/** Every CODE's stable definition, by CODE (one HGETALL of `stableApps`). */
export async function readStableApps(deps: { redis: RedisClient; keys: RedisKeys }): Promise<StableApp[]> {
  const raw = await deps.redis.hgetall(deps.keys.stableApps);
  return Object.entries(raw)
    .flatMap(([code, value]) => decodeStableApp(code, value) ?? [])
    .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}
