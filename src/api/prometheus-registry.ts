import type { Queue } from 'bullmq';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { readHandoutOutcomes } from '../metrics/handout-metrics.js';
import {
  LATENCY_BUCKETS_MS,
  type MetricsSnapshot,
  readPipelineMetrics,
} from '../metrics/pipeline-metrics.js';
import { readCredentialSummary } from '../ops/read-credential-health.js';
import type { PairJob } from '../pipeline/pair-job.js';
import type { RedisClient } from '../redis/redis-client.js';
import type { PairState } from '../store/pair-result.js';
import { createRedisKeys } from '../store/redis-keys.js';
import type { ResultStore } from '../store/result-store.js';
import { QUEUE_STATES, type QueueState } from './read-progress.js';

/** Every metric name starts with this. */
export const METRIC_PREFIX = 'imbot_rollout_';

export interface PrometheusDeps {
  redis: RedisClient;
  /** The rollout's key prefix (config.prefix): where the workers' counters live. */
  prefix: string;
  results: ResultStore;
  queue: Queue<PairJob>;
  /** tokens.keepAliveAfterDays, for the OAuth credential health gauge (docs/tokens.md); default 30. */
  keepAliveAfterDays?: number;
}

interface Reading {
  pipeline: MetricsSnapshot;
  states: Record<PairState, number>;
  jobs: Record<QueueState, number>;
  paused: boolean;
}

const LATENCY_HELP =
  'Bitrix24 REST call latency (all methods, all workers), including time spent waiting for the answer';

/** Histogram whose buckets are read from the workers' counters in Redis instead of observed in this process. */
class RedisLatencyHistogram extends Histogram<string> {
  constructor(private readonly read: () => Promise<Reading>) {
    super({
      name: `${METRIC_PREFIX}rest_call_duration_seconds`,
      help: LATENCY_HELP,
      buckets: LATENCY_BUCKETS_MS.map((ms) => ms / 1000),
      registers: [],
    });
  }

  /** prom-client 15 formats a histogram (and builds `get()`) from this method: it is fed from Redis here. */
  async getForPromString() {
    const { latency } = (await this.read()).pipeline;
    const name = `${METRIC_PREFIX}rest_call_duration_seconds`;
    return {
      name,
      help: LATENCY_HELP,
      type: 'histogram' as const,
      aggregator: 'sum' as const,
      values: [
        ...latency.buckets.map((b) => ({
          labels: { le: b.le / 1000 },
          value: b.count,
          metricName: `${name}_bucket`,
        })),
        { labels: { le: '+Inf' }, value: latency.count, metricName: `${name}_bucket` },
        { labels: {}, value: latency.sum / 1000, metricName: `${name}_sum` },
        { labels: {}, value: latency.count, metricName: `${name}_count` },
      ],
    };
  }
}

/**
 * A registry of our own (nothing global) whose metrics are read at scrape time: result states and queue
 * counts from Redis, and the counters every worker writes to Redis (see metrics/pipeline-metrics.ts). One
 * scrape makes one reading, shared by all metrics.
 */
export function createPrometheusRegistry(deps: PrometheusDeps): Registry {
  const registry = new Registry();
  let inflight: Promise<Reading> | undefined;
  const read = (): Promise<Reading> => {
    if (!inflight) {
      const reading = Promise.all([
        readPipelineMetrics(deps.redis, deps.prefix),
        deps.results.countsByState(),
        deps.queue.getJobCounts(...QUEUE_STATES),
        deps.queue.isPaused(),
      ]).then(([pipeline, states, counts, paused]) => {
        const jobs = {} as Record<QueueState, number>;
        for (const state of QUEUE_STATES) jobs[state] = counts[state] ?? 0;
        return { pipeline, states, jobs, paused };
      });
      inflight = reading;
      // Metrics collect in the same tick of a scrape: they share this reading; the next scrape reads anew.
      reading.then(
        () => {
          inflight = undefined;
        },
        () => {
          inflight = undefined;
        },
      );
    }
    return inflight;
  };
  const registers = [registry];

  new Gauge({
    name: `${METRIC_PREFIX}pairs`,
    help: 'Portal x app pairs by durable result state (pending, registered, failed, needs_reauth, unregistered)',
    labelNames: ['state'],
    registers,
    async collect() {
      const { states } = await read();
      this.reset();
      for (const [state, n] of Object.entries(states)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}queue_jobs`,
    help: 'BullMQ rollout jobs by queue state (waiting, prioritized, active, delayed, ...)',
    labelNames: ['state'],
    registers,
    async collect() {
      const { jobs } = await read();
      this.reset();
      for (const [state, n] of Object.entries(jobs)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}queue_depth`,
    help: 'Rollout jobs ready to run and not yet picked up (waiting + prioritized)',
    registers,
    async collect() {
      const { jobs } = await read();
      this.set(jobs.waiting + jobs.prioritized);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}queue_paused`,
    help: '1 while the rollout queue is paused (no job runs; resume with `imbot-rollout queue --resume`), else 0',
    registers,
    async collect() {
      this.set((await read()).paused ? 1 : 0);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}queue_delayed`,
    help: 'Rollout jobs delayed (rate limit, backoff, server-requested wait)',
    registers,
    async collect() {
      this.set((await read()).jobs.delayed);
    },
  });
  new Counter({
    name: `${METRIC_PREFIX}registrations_total`,
    help: 'Successful imbot.app.register calls (all workers)',
    registers,
    async collect() {
      const { calls } = (await read()).pipeline;
      this.reset();
      this.inc(
        calls
          .filter((c) => c.method === 'imbot.app.register' && c.outcome === 'ok')
          .reduce((sum, c) => sum + c.count, 0),
      );
    },
  });
  new Counter({
    name: `${METRIC_PREFIX}rest_calls_total`,
    help: 'Bitrix24 REST calls by method and outcome (ok or the error code)',
    labelNames: ['method', 'outcome'],
    registers,
    async collect() {
      const { calls } = (await read()).pipeline;
      this.reset();
      for (const c of calls) this.inc({ method: c.method, outcome: c.outcome }, c.count);
    },
  });
  new Counter({
    name: `${METRIC_PREFIX}query_limit_exceeded_total`,
    help: 'HTTP 503 QUERY_LIMIT_EXCEEDED answers received (the portal rate limit was hit)',
    registers,
    async collect() {
      const { calls } = (await read()).pipeline;
      this.reset();
      this.inc(
        calls.filter((c) => c.outcome === 'QUERY_LIMIT_EXCEEDED').reduce((sum, c) => sum + c.count, 0),
      );
    },
  });
  new Counter({
    name: `${METRIC_PREFIX}retries_total`,
    help: 'Attempts retried after a transient fault, by error code',
    labelNames: ['code'],
    registers,
    async collect() {
      const { retries } = (await read()).pipeline;
      this.reset();
      for (const r of retries) this.inc({ code: r.code }, r.count);
    },
  });
  new Counter({
    name: `${METRIC_PREFIX}jobs_delayed_total`,
    help: 'Jobs moved to delayed instead of holding a worker, by reason (rate, backoff, query_limit, ...)',
    labelNames: ['reason'],
    registers,
    async collect() {
      const { delayed } = (await read()).pipeline;
      this.reset();
      for (const d of delayed) this.inc({ reason: d.reason }, d.count);
    },
  });
  new Counter({
    name: `${METRIC_PREFIX}token_refreshes_total`,
    help: 'OAuth access token refreshes done',
    registers,
    async collect() {
      this.reset();
      this.inc((await read()).pipeline.tokenRefreshes);
    },
  });
  new Counter({
    name: `${METRIC_PREFIX}token_keepalive_total`,
    help:
      'Token keep-alive refreshes by outcome: refreshed, unchanged (refreshed meanwhile), needs_reauth (refused: ' +
      'the portal needs re-authorisation), failed (transient: tried again later)',
    labelNames: ['outcome'],
    registers,
    async collect() {
      this.reset();
      for (const k of (await read()).pipeline.keepAlive) this.inc({ outcome: k.outcome }, k.count);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}oauth_portals`,
    help:
      'OAuth portals by credential health: fresh (refreshed within tokens.keepAliveAfterDays), due (older, ' +
      'keep-alive refreshes them), needs_reauth (parked); see docs/tokens.md',
    labelNames: ['health'],
    registers,
    async collect() {
      const summary = await readCredentialSummary(deps.redis, createRedisKeys(deps.prefix), {
        keepAliveAfterDays: deps.keepAliveAfterDays ?? 30,
        now: Date.now(),
      });
      this.reset();
      const active = summary.oauthPortals - summary.needsReauth;
      const due = summary.dueForKeepAlive ?? 0;
      this.set({ health: 'fresh' }, Math.max(0, active - due));
      this.set({ health: 'due' }, due);
      this.set({ health: 'needs_reauth' }, summary.needsReauth);
    },
  });
  new Counter({
    name: `${METRIC_PREFIX}token_handouts_total`,
    help:
      'Token handout requests (GET /api/tokens, docs/tokens.md) by outcome: ok, refreshed, not_found, ' +
      'unauthorized, rate_limited, bad_request, error',
    labelNames: ['outcome'],
    registers,
    async collect() {
      const counts = await readHandoutOutcomes(deps.redis, deps.prefix);
      this.reset();
      for (const [outcome, n] of Object.entries(counts)) this.inc({ outcome }, n);
    },
  });
  registry.registerMetric(new RedisLatencyHistogram(read));
  return registry;
}
