import type { RedisClient } from '../redis/redis-client.js';
import { createRedisKeys } from '../store/redis-keys.js';

/** Upper bounds (ms) of the REST call latency histogram buckets. */
export const LATENCY_BUCKETS_MS = [
  10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000,
] as const;

/**
 * What the pipeline reports as it works. Workers run in many processes, so the Redis implementation keeps
 * the counters in Redis: the API process serves them all at /metrics.
 */
export interface PipelineMetrics {
  /** A REST call finished: `outcome` is 'ok' or the error code (QUERY_LIMIT_EXCEEDED, TIMEOUT, ...). */
  call(method: string, outcome: string, durationMs: number): void;
  /** An attempt will be retried after a transient fault with this code. */
  retry(code: string): void;
  /** A job was moved to delayed instead of occupying a worker ('rate', 'backoff', 'query_limit', ...). */
  delayed(reason: string): void;
  /** An OAuth token refresh was done. */
  tokenRefreshed(): void;
}

export const noopPipelineMetrics: PipelineMetrics = {
  call: () => undefined,
  retry: () => undefined,
  delayed: () => undefined,
  tokenRefreshed: () => undefined,
};

export interface MetricsSnapshot {
  calls: { method: string; outcome: string; count: number }[];
  retries: { code: string; count: number }[];
  delayed: { reason: string; count: number }[];
  tokenRefreshes: number;
  /** Token keep-alive outcomes (metrics/keep-alive-metrics.ts). */
  keepAlive: { outcome: string; count: number }[];
  latency: { buckets: { le: number; count: number }[]; sum: number; count: number };
}

/** The two hashes the counters live in (src/store/redis-keys.ts: one hash tag, so one MULTI writes both). */
export function metricsKeys(prefix: string) {
  const keys = createRedisKeys(prefix);
  return { counters: keys.metricsCounters, latency: keys.metricsLatency };
}

/** How long increments are gathered before they are written (one MULTI for all of them). */
const FLUSH_AFTER_MS = 50;

/**
 * Counters in two Redis hashes, written fire-and-forget (a lost increment never fails a job). Increments are
 * summed in memory and written together every FLUSH_AFTER_MS: a batch of 50 commands reports 50 calls, and one
 * MULTI per request instead of one per call keeps the metrics off the hot path (docs/performance.md).
 */
export function createRedisPipelineMetrics(
  redis: RedisClient,
  prefix: string,
): PipelineMetrics & {
  /** Writes what is gathered now (on shutdown). */
  flush(): Promise<void>;
} {
  const keys = metricsKeys(prefix);
  let counters = new Map<string, number>();
  let latency = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;

  async function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (counters.size === 0 && latency.size === 0) return;
    const multi = redis.multi();
    for (const [field, n] of counters) multi.hincrby(keys.counters, field, n);
    for (const [field, n] of latency) {
      if (field === 'sum') multi.hincrbyfloat(keys.latency, field, n);
      else multi.hincrby(keys.latency, field, n);
    }
    counters = new Map();
    latency = new Map();
    await multi.exec().catch(() => undefined);
  }

  function add(into: Map<string, number>, field: string, n: number): void {
    into.set(field, (into.get(field) ?? 0) + n);
    if (timer === undefined) {
      timer = setTimeout(() => void flush(), FLUSH_AFTER_MS);
      timer.unref();
    }
  }

  return {
    call(method, outcome, durationMs) {
      const bucket = LATENCY_BUCKETS_MS.find((le) => durationMs <= le);
      add(counters, `call|${method}|${outcome}`, 1);
      add(latency, bucket === undefined ? 'le_inf' : `le_${bucket}`, 1);
      add(latency, 'sum', durationMs);
      add(latency, 'count', 1);
    },
    retry: (code) => add(counters, `retry|${code}`, 1),
    delayed: (reason) => add(counters, `delayed|${reason}`, 1),
    tokenRefreshed: () => add(counters, 'token_refreshes', 1),
    flush,
  };
}

/** Reads what all workers reported (for /metrics and the dashboard). Histogram buckets come out cumulative. */
export async function readPipelineMetrics(redis: RedisClient, prefix: string): Promise<MetricsSnapshot> {
  const keys = metricsKeys(prefix);
  const [counters, latency] = await Promise.all([redis.hgetall(keys.counters), redis.hgetall(keys.latency)]);
  const snapshot: MetricsSnapshot = {
    calls: [],
    retries: [],
    delayed: [],
    tokenRefreshes: Number(counters['token_refreshes'] ?? 0),
    keepAlive: [],
    latency: { buckets: [], sum: Number(latency['sum'] ?? 0), count: Number(latency['count'] ?? 0) },
  };
  for (const [field, value] of Object.entries(counters)) {
    const [kind, a = '', b = ''] = field.split('|');
    const count = Number(value);
    if (kind === 'call') snapshot.calls.push({ method: a, outcome: b, count });
    else if (kind === 'retry') snapshot.retries.push({ code: a, count });
    else if (kind === 'delayed') snapshot.delayed.push({ reason: a, count });
    else if (kind === 'keepalive') snapshot.keepAlive.push({ outcome: a, count });
  }
  let cumulative = 0;
  for (const le of LATENCY_BUCKETS_MS) {
    cumulative += Number(latency[`le_${le}`] ?? 0);
    snapshot.latency.buckets.push({ le, count: cumulative });
  }
  return snapshot;
}
