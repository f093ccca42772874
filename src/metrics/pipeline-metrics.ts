import type { Redis } from 'ioredis';

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
  latency: { buckets: { le: number; count: number }[]; sum: number; count: number };
}

export function metricsKeys(prefix: string) {
  return { counters: `${prefix}:metrics:counters`, latency: `${prefix}:metrics:latency` };
}

/** Counters in two Redis hashes, written fire-and-forget (a lost increment never fails a job). */
export function createRedisPipelineMetrics(redis: Redis, prefix: string): PipelineMetrics {
  const keys = metricsKeys(prefix);
  const incr = (field: string) => {
    redis.hincrby(keys.counters, field, 1).catch(() => undefined);
  };
  return {
    call(method, outcome, durationMs) {
      const bucket = LATENCY_BUCKETS_MS.find((le) => durationMs <= le);
      redis
        .multi()
        .hincrby(keys.counters, `call|${method}|${outcome}`, 1)
        .hincrby(keys.latency, bucket === undefined ? 'le_inf' : `le_${bucket}`, 1)
        .hincrbyfloat(keys.latency, 'sum', durationMs)
        .hincrby(keys.latency, 'count', 1)
        .exec()
        .catch(() => undefined);
    },
    retry: (code) => incr(`retry|${code}`),
    delayed: (reason) => incr(`delayed|${reason}`),
    tokenRefreshed: () => incr('token_refreshes'),
  };
}

/** Reads what all workers reported (for /metrics and the dashboard). Histogram buckets come out cumulative. */
export async function readPipelineMetrics(redis: Redis, prefix: string): Promise<MetricsSnapshot> {
  const keys = metricsKeys(prefix);
  const [counters, latency] = await Promise.all([redis.hgetall(keys.counters), redis.hgetall(keys.latency)]);
  const snapshot: MetricsSnapshot = {
    calls: [],
    retries: [],
    delayed: [],
    tokenRefreshes: Number(counters['token_refreshes'] ?? 0),
    latency: { buckets: [], sum: Number(latency['sum'] ?? 0), count: Number(latency['count'] ?? 0) },
  };
  for (const [field, value] of Object.entries(counters)) {
    const [kind, a = '', b = ''] = field.split('|');
    const count = Number(value);
    if (kind === 'call') snapshot.calls.push({ method: a, outcome: b, count });
    else if (kind === 'retry') snapshot.retries.push({ code: a, count });
    else if (kind === 'delayed') snapshot.delayed.push({ reason: a, count });
  }
  let cumulative = 0;
  for (const le of LATENCY_BUCKETS_MS) {
    cumulative += Number(latency[`le_${le}`] ?? 0);
    snapshot.latency.buckets.push({ le, count: cumulative });
  }
  return snapshot;
}
