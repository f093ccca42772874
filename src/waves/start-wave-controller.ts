import { advanceWavePlan, type WaveControllerDeps } from './advance-wave-plan.js';

/** Time between two ticks, and the random share added to it so controllers on many hosts do not tick in step. */
export const WAVE_TICK_MS = 1_500;
const JITTER = 0.4;
/** How long one tick may hold a plan (queueing a big wave takes a while; the CAS protects past it anyway). */
const LEASE_MS = 60_000;

export interface WaveController {
  /** Runs one tick now (all active plans). */
  tick(): Promise<void>;
  /** Stops ticking; resolves once a tick in progress has finished. */
  stop(): Promise<void>;
}

/**
 * Advances every active wave plan in the background (every WAVE_TICK_MS plus up to 40% jitter). Runs in each
 * `worker` process, so a plan goes on while any worker is up, whoever made it: a restarted worker or producer
 * loses nothing. Ticks of many processes are safe together: a plan is leased to one tick at a time, and every
 * transition is a compare-and-set (advanceWavePlan).
 */
export function startWaveController(
  deps: WaveControllerDeps,
  options: { intervalMs?: number; random?: () => number } = {},
): WaveController {
  const interval = options.intervalMs ?? WAVE_TICK_MS;
  const random = options.random ?? Math.random;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  async function tick(): Promise<void> {
    const ids = await deps.plans.activeIds();
    for (const id of ids) {
      if (stopped) return;
      const lease = await deps.plans.takeLease(id, LEASE_MS);
      if (lease === undefined) continue;
      try {
        await advanceWavePlan(deps, id);
      } catch (error) {
        deps.logger.warn({ plan: id, err: { message: (error as Error).message } }, 'wave plan tick failed');
      } finally {
        await deps.plans.releaseLease(id, lease).catch(() => undefined);
      }
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(
      () => {
        running = tick()
          .catch((error: unknown) =>
            deps.logger.warn({ err: { message: (error as Error).message } }, 'wave controller tick failed'),
          )
          .finally(schedule);
      },
      interval * (1 + JITTER * random()),
    );
    timer.unref();
  }
  schedule();

  return {
    tick: async () => {
      await running;
      running = tick();
      await running;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}
