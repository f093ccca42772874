import { percentile } from './percentile.js';

/** One timed request. */
export interface ApiSample {
  path: string;
  /** When the request was sent: `performance.now()` of this process, ms. */
  at: number;
  /** Round trip, ms (request sent to body read). */
  ms: number;
  /** HTTP status; 0 when the request failed without an answer. */
  status: number;
}

export interface LatencySummary {
  samples: number;
  /** Answers other than 200 (failed requests included). */
  errors: number;
  p50: number;
  p95: number;
  max: number;
}

export interface ApiLatencySampler {
  /** Stops after the request in flight; resolves with every sample taken. */
  stop(): Promise<ApiSample[]>;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** GET `path`, body read in full, timed. */
async function timedGet(baseUrl: string, path: string, timeoutMs: number): Promise<ApiSample> {
  const t0 = performance.now();
  let status = 0;
  try {
    const response = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    status = response.status;
  } catch {
    status = 0;
  }
  return { path, at: t0, ms: performance.now() - t0, status };
}

/**
 * A dashboard that keeps polling: requests `paths` round robin, one request in flight at a time, `gapMs` between
 * the end of one and the start of the next (a closed loop: a slow answer delays the next poll, as a browser's
 * poll does, instead of piling requests on a slow server). Every round trip is timed.
 */
export function startApiLatencySampler(
  baseUrl: string,
  paths: readonly string[],
  options: { gapMs: number; timeoutMs?: number },
): ApiLatencySampler {
  const samples: ApiSample[] = [];
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const path = paths[i % paths.length] ?? '/';
      samples.push(await timedGet(baseUrl, path, options.timeoutMs ?? DEFAULT_TIMEOUT_MS));
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, options.gapMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

/** `rounds` requests of each path, one after the other, no gap (e.g. the API idle after the rollout). */
export async function sampleApiRounds(
  baseUrl: string,
  paths: readonly string[],
  rounds: number,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<ApiSample[]> {
  const samples: ApiSample[] = [];
  for (let i = 0; i < rounds * paths.length; i++) {
    samples.push(await timedGet(baseUrl, paths[i % paths.length] ?? '/', timeoutMs));
  }
  return samples;
}

/**
 * p50 / p95 / max of one path's samples (errors included: a slow error is still slow); with `window`, only the
 * samples sent within it (`performance.now()` times, ms).
 */
export function summarizeLatency(
  samples: readonly ApiSample[],
  path: string,
  window?: { from: number; to: number },
): LatencySummary {
  const mine = samples.filter(
    (s) => s.path === path && (!window || (s.at >= window.from && s.at <= window.to)),
  );
  const ms = mine.map((s) => s.ms);
  return {
    samples: mine.length,
    errors: mine.filter((s) => s.status !== 200).length,
    p50: percentile(ms, 50),
    p95: percentile(ms, 95),
    max: ms.length === 0 ? Number.NaN : Math.max(...ms),
  };
}
