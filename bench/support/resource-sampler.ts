import type { Redis } from 'ioredis';
import { processMemory } from './process-memory.js';
import { redisUsedMemory } from './redis-used-memory.js';

/** What the sampler saw of one process. */
export interface ProcessSeries {
  pid: number;
  /** Highest VmRSS among the samples, bytes. */
  maxRss: number;
  /** VmRSS per sample (bytes), in order. */
  rss: number[];
}

export interface ResourceSamples {
  /** ms between samples. */
  intervalMs: number;
  processes: Record<string, ProcessSeries>;
  /** Highest INFO used_memory among the samples, bytes. */
  redisMaxUsedMemory: number;
  redisUsedMemory: number[];
}

export interface ResourceSampler {
  /** Takes one last sample and stops. */
  stop(): Promise<ResourceSamples>;
}

/**
 * Samples the RSS of each named process (/proc/<pid>/status VmRSS) and Redis' used_memory every `intervalMs`
 * until stopped. A process that has exited is skipped from then on.
 */
export function startResourceSampler(
  processes: Record<string, number>,
  redis: Redis,
  intervalMs: number,
): ResourceSampler {
  const series: Record<string, ProcessSeries> = {};
  for (const [name, pid] of Object.entries(processes)) series[name] = { pid, maxRss: 0, rss: [] };
  const used: number[] = [];
  let stopped = false;
  const sample = async () => {
    await Promise.all(
      Object.values(series).map(async (s) => {
        const rss = await processMemory(s.pid).then(
          (m) => m.rss,
          () => undefined,
        );
        if (rss === undefined) return;
        s.rss.push(rss);
        s.maxRss = Math.max(s.maxRss, rss);
      }),
    );
    used.push(await redisUsedMemory(redis));
  };
  const loop = (async () => {
    while (!stopped) {
      await sample();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    await sample();
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return {
        intervalMs,
        processes: series,
        redisMaxUsedMemory: used.length === 0 ? 0 : Math.max(...used),
        redisUsedMemory: used,
      };
    },
  };
}
