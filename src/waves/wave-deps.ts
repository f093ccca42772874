import type { Runtime } from '../runtime/create-runtime.js';
import type { WaveControllerDeps } from './advance-wave-plan.js';
import { createWavePlanStore } from './wave-plan-store.js';

/** What the wave controller and the wave commands need, from a process's runtime. */
export function waveDeps(runtime: Runtime): WaveControllerDeps {
  return {
    ...runtime,
    plans: createWavePlanStore({ redis: runtime.redis, keys: runtime.keys, now: runtime.now }),
  };
}
