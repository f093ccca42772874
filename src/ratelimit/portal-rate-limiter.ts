/**
 * Per-portal rate limiter shared by every worker process (BullMQ's own limiter is per queue, not per portal).
 *
 * Bitrix24 limits each portal with a leaky bucket shared by every application calling it: capacity X, drained at
 * Y per second (Enterprise X = 250, Y = 5; other plans 50 / 2); a request that would take it above X is refused
 * with 503 `QUERY_LIMIT_EXCEEDED` and not counted. Separately, a method whose summed execution time passes 480 s
 * in 10 minutes is blocked with 429 `OPERATION_TIME_LIMIT` while other methods keep working (docs/bitrix24.md,
 * "Limits").
 *
 * ## A model of the server's bucket
 * One Lua script per operation (see `portal-rate-limiter-lua.ts`), so every decision, and every change that
 * spans several keys, is atomic in Redis. The key `bucket` holds the level `l` (requests) the server's bucket is
 * believed to hold at time `t`; it drains at `rate * rho` per second, where `rho` (0 < rho <= 1, the "rate
 * fraction") is 1 unless the server said otherwise (below). With `T = 1000 / (rate * rho)` ms a call is granted
 * when `l + 1 <= burst` and adds 1. At `rho = 1` this is exactly the GCRA with emission interval `T` and
 * tolerance `(burst - 1) * T` (`tat = t + l * T`): a fresh portal sends `burst` calls at once, then `rate` per
 * second, and in any window of W ms at most `burst + W * rate / 1000` calls are granted, whatever the order the
 * workers' calls reach Redis (a `now` older than `t` is taken as `t`: the model's time only moves forward).
 * Keeping the level rather than a time lets the drain rate change without inventing or losing requests, and
 * changing `rate`/`burst` between calls keeps what is in the bucket. Every key carries a PEXPIRE, so an idle
 * portal holds no keys.
 *
 * ## Arrival margin (`arrivalMarginMs`, default 0)
 * The grant happens at the caller, the server counts the request when it arrives: a request whose trip is a few ms
 * shorter than the previous one's reaches the server early by that much. With the client's limit exactly the
 * server's, the server's bucket is then full by a fraction of a request and it answers 503 QUERY_LIMIT_EXCEEDED
 * (bench/rate-limit-efficiency.ts measured it within the first second of every run). A margin `m` keeps `m / T`
 * requests of the bucket unused (at most `burst - 1`): a fresh portal sends `burst - 1` calls at once and the last
 * one `m` ms later (for `m` below one interval), then one per `T` as before. The server's bucket then stays that
 * much below full, so arrivals up to `m` ms early still fit; the cost is `m` ms once per refill. With `burst` 1
 * there is no burst to keep a margin in.
 *
 * ## Clock
 * `clock: 'caller'` (default) passes the caller's `now()` into the script. Tests drive it, and the grant bound above
 * holds over the `now` values used even when calls from several hosts arrive out of order; the cost is that hosts
 * must keep their clocks in sync (NTP): a host running ahead by d ms sees slots d ms early, i.e. at most
 * `d / T` extra grants once. `clock: 'redis'` uses Redis `TIME` inside the script instead: one clock for all hosts,
 * no skew, but not drivable from tests, and `retryAt`/`until` values are then in Redis time (callers that delay
 * jobs by `retryAt - Date.now()` inherit their own skew there; the grant decision itself stays exact). The
 * injected `now` is then ignored. `parkMethod`'s `until` is always an absolute time given by the caller.
 *
 * ## Denials and `retryAt` (a wake-up ticket at the configured rate, not a booking)
 * A denied `reserve` takes nothing: the slot is not booked, so calling `reserve` again can never double-book.
 * To keep thousands of delayed jobs from all waking in the same millisecond, each denied caller gets its own
 * wake-up time: the first time a slot frees, or, when earlier denied callers were already sent to that time, one
 * interval of the *configured* rate (`1000 / rate`, not `T`) after the last ticket handed out (key `wake`). A
 * ticket is therefore never further out than the caller's place in the portal's queue at the fastest rate the
 * portal can have: while the portal is slowed down (`rho < 1`) some ticket holders find no free slot and draw a
 * new ticket at the end of the queue (at most `(1 - rho) * rate` such wake-ups per second per portal, never more
 * than the configured rate), and as soon as the rate recovers, the queue is already spaced at the configured rate.
 * Nobody keeps a slow spacing: there is nothing to re-time. A fresh caller may take a slot first; the ticket
 * holder is then denied again and gets a new ticket. Tickets of callers that never come back (cancelled jobs)
 * only push later denied callers back by one interval each; they never reduce the grants available to callers
 * who call. Callers must not call before their `retryAt`: each early call draws a new ticket further out.
 *
 * ## QUERY_LIMIT_EXCEEDED: resynchronise, slow down, recover within seconds
 * A 503 is the one signal the server gives about its bucket: it was full when that request arrived (either
 * because other applications spend the same bucket, or because a request arrived early). `reportQueryLimitExceeded`
 * (one script, keys `bucket`, `adapt`, `wake`):
 * 1. Resynchronises the model: the bucket is full now (`l = burst`), so the next grant comes `(1 + margin)`
 *    intervals later (`backoffUntil`; denials until then say `reason: 'backoff'`). The refused caller gets a
 *    wake-up ticket like a denied one.
 * 2. Slows down, unless the report is coalesced (3.). The cycle since the previous resynchronisation (or since the
 *    model's bucket was last empty) measured what the server admitted: it went from full (or empty) to full while
 *    we sent `n` requests in `dt` ms, so the rate left to us was `(n - 1 - (burst - l0)) / dt` (the refused call
 *    does not count; `l0` the level at the cycle's start). The plateau `pl` is that measurement as a fraction of
 *    `rate`, or half the current rate if that is more (`decrease`; e.g. a 503 right after the first burst measures
 *    nothing), never below `1 / maxFactor`. The rate restarts `cushion` (30%) below the plateau (`lo`), so the
 *    server's bucket drains a little and has room for what the other callers do next.
 * 3. Coalesces: a call granted before the last counted 503 (the grant's `epoch` is older than that 503) was
 *    already in flight when that 503 was reported and tells nothing new. Without an `epoch`, reports within
 *    `coalesceMs` (1 s) of a counted one are taken as such. A coalesced report still resynchronises (1.).
 * From the counted 503 at `td` the rate fraction follows, with `K = recoveryMs` (3 s) and `s = (now - td) / K`:
 * `rho = pl - (pl - lo) * (1 - s)^3` for `s <= 1` (back to the plateau within K, flat near it), then the probe
 * `rho = pl + a * (s - 1)^3` (`a = max(pl - lo, probe)`, `probe` 0.25), capped at 1. So `rho` is 1 again at
 * `td + K * (1 + cbrt((1 - pl) / a))` without any further report: K to 1.6 K (3-5 s) after a 503 whose cycle
 * measured (nearly) the configured rate (jitter, or a one-off request of another application), 2.26 K (6.8 s) after
 * one that measured nothing, at most 2.55 K (7.7 s) from the floor. The time-based curve needs no successes (the limiter
 * has no success report): if another caller keeps spending part of the bucket, the probe overfills it again, and the next
 * 503 measures the share left, typically one 503 every 2 K (6 s) with throughput at what the other caller leaves.
 * The model drains at `rate * rho` exactly (the curve's integral), so a slowed portal's level stays consistent.
 *
 * ## Method parking (`OPERATION_TIME_LIMIT`)
 * `parkMethod` stores `until` under the method in the portal's `park` hash (the later time wins when called
 * twice); `reserve` for that method answers `reason: 'method_parked', retryAt: until` (no ticket spreading, so the
 * value is exactly the server's reset time), other methods are unaffected. A hash rather than one key per method
 * keeps `inspect` to one read (no SCAN); it expires with its latest entry. (`time.operating` and
 * `time.operating_reset_at` on successful answers belong to this per-method limit, not to the request rate.)
 *
 * Memory (Redis 7 `MEMORY USAGE`, key names with a 13-char prefix and a 22-char domain): an idle portal 0 bytes
 * (every key has expired); an active one 168 B (`bucket`), +104 B while denied callers hold tickets (`wake`),
 * +168 B during a slow-down (`adapt`), +~180 B with two parked methods (`park`): ~620 B at most. Scripts use TIME only with `clock: 'redis'` and need Redis >= 5 (effects replication) for that.
 */

import { z } from 'zod';
import { defineScript } from '../redis/define-script.js';
import type { RedisClient } from '../redis/redis-client.js';
import { PortalRateLimiterError } from './portal-rate-limiter-error.js';
import { portalRateLimiterLua } from './portal-rate-limiter-lua.js';
import { rateLimitKeys } from './rate-limit-keys.js';

export interface RateLimit {
  /** Requests per second, > 0. */
  rate: number;
  /** Calls a fresh portal may send at once, integer >= 1. */
  burst: number;
}

export type Reservation =
  /**
   * A slot is taken now: call the API. `epoch` identifies the portal's slow-down state the grant was made under;
   * pass it to `reportQueryLimitExceeded` if this call is answered 503, so answers of calls that were already in
   * flight when an earlier 503 was reported are recognised as the same overflow.
   */
  | { granted: true; epoch: number }
  /**
   * Nothing was taken. `retryAt` (ms epoch) is this caller's wake-up ticket: call `reserve` again then (not
   * before). It is not a booking: another caller may take that slot first, then the next `reserve` is denied
   * again with a new ticket.
   */
  | { granted: false; retryAt: number; reason: 'rate' | 'backoff' | 'method_parked' };

export interface AdaptiveSlowDownOptions {
  /** The rate never drops below the configured one divided by this (default 16). */
  maxFactor?: number;
  /** K: ms to climb back to the measured rate after a 503, and the time scale of the probe (default 3000). */
  recoveryMs?: number;
  /** Multiplicative decrease when the last cycle measured nothing better, 0..1 (default 0.5: half the rate). */
  decrease?: number;
  /** Restart this fraction below the plateau after a 503, so the server's bucket drains a little (default 0.3). */
  cushion?: number;
  /** Least amplitude of the probe above the plateau, as a fraction of the configured rate (default 0.25). */
  probe?: number;
  /** Without an `epoch`, 503 reports within this many ms of a counted one are the same overflow (default 1000). */
  coalesceMs?: number;
}

export interface QueryLimitReport {
  /** The `epoch` of the grant the refused call was sent under (`Reservation`); improves coalescing. */
  epoch?: number;
}

export interface PortalRateLimiterOptions {
  redis: RedisClient;
  /** Key prefix; keys are `${prefix}:{p:portal}:rl:...` (rate-limit-keys.ts). */
  prefix: string;
  /** ms epoch, default Date.now. Ignored with `clock: 'redis'`. */
  now?: () => number;
  /** Whose clock the scripts use (default 'caller'; see the file comment). */
  clock?: 'caller' | 'redis';
  adaptive?: AdaptiveSlowDownOptions;
  /** ms of the burst kept unused against network jitter (see the file comment); default 0. */
  arrivalMarginMs?: number;
}

export interface PortalRateLimiter {
  /** Atomically takes one slot for `portal` (and `method`) if available now. */
  reserve(portal: string, method: string, limit: RateLimit): Promise<Reservation>;
  /**
   * The server answered QUERY_LIMIT_EXCEEDED: the portal as a whole slows down (shared by all jobs/workers).
   * `until` is the refused caller's wake-up ticket; `factor` the slow-down now (configured rate / current rate);
   * `counted` false when the report was coalesced with an earlier one (a call already in flight then).
   */
  reportQueryLimitExceeded(
    portal: string,
    report?: QueryLimitReport,
  ): Promise<{ until: number; factor: number; counted: boolean }>;
  /** OPERATION_TIME_LIMIT: park `method` on `portal` until `until` (ms epoch) — other methods keep working. */
  parkMethod(portal: string, method: string, until: number): Promise<void>;
  /**
   * Current state for status/dashboards. `factor` is configured rate / current rate (1: full rate);
   * `backoffUntil` the end of the pause after the last 503 (0: none); it may be past.
   */
  inspect(
    portal: string,
  ): Promise<{ factor: number; backoffUntil: number; parkedMethods: Record<string, number> }>;
}

const optionsSchema = z.object({
  prefix: z.string().min(1),
  clock: z.enum(['caller', 'redis']).default('caller'),
  arrivalMarginMs: z.number().min(0).max(60_000).default(0),
  adaptive: z
    .object({
      maxFactor: z.number().min(1).max(1024).default(16),
      recoveryMs: z.number().min(10).max(600_000).default(3000),
      decrease: z.number().gt(0).lt(1).default(0.5),
      cushion: z.number().min(0).lt(1).default(0.3),
      probe: z.number().gt(0).max(1).default(0.25),
      coalesceMs: z.number().min(0).max(600_000).default(1000),
    })
    .strict()
    .default({
      maxFactor: 16,
      recoveryMs: 3000,
      decrease: 0.5,
      cushion: 0.3,
      probe: 0.25,
      coalesceMs: 1000,
    }),
});

/** A portal domain is part of a key and its hash tag: braces would break the tag, whitespace is never valid. */
const portalSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[^{}\s]+$/, 'must not contain braces or whitespace');
const methodSchema = z.string().min(1).max(200);
const limitSchema = z.object({
  rate: z.number().positive(),
  burst: z.number().int().min(1).max(1_000_000),
});
const timeSchema = z.number();

const numeric = z
  .string()
  .transform((s) => Number(s))
  .pipe(z.number());
const reserveReply = z.tuple([z.enum(['granted', 'rate', 'backoff', 'method_parked']), numeric]);
const reportReply = z.tuple([numeric, numeric, z.union([z.literal(0), z.literal(1)])]);
const reportSchema = z.object({ epoch: z.number().finite().optional() }).strict();
const inspectReply = z.array(z.string()).min(2);

function parseInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues
    .map((i) => `${[what, ...i.path.map(String)].join('.')}: ${i.message}`)
    .join('; ');
  throw new PortalRateLimiterError('invalid_input', `portal rate limiter: invalid ${what}: ${details}`, {
    cause: result.error,
  });
}

function parseReply<T>(schema: z.ZodType<T>, value: unknown, script: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new PortalRateLimiterError(
    'unexpected_reply',
    `portal rate limiter: unexpected reply from ${script}`,
    {
      cause: result.error,
    },
  );
}

export function createPortalRateLimiter(options: PortalRateLimiterOptions): PortalRateLimiter {
  const config = parseInput(
    optionsSchema,
    {
      prefix: options.prefix,
      clock: options.clock,
      adaptive: options.adaptive,
      arrivalMarginMs: options.arrivalMarginMs,
    },
    'options',
  );
  const { redis } = options;
  const now = options.now ?? Date.now;
  const tuning = config.adaptive;
  const scripts = {
    reserve: defineScript(redis, portalRateLimiterLua.reserve),
    reportQueryLimitExceeded: defineScript(redis, portalRateLimiterLua.reportQueryLimitExceeded),
    parkMethod: defineScript(redis, portalRateLimiterLua.parkMethod),
    inspect: defineScript(redis, portalRateLimiterLua.inspect),
  };

  function clockArg(): string | number {
    if (config.clock === 'redis') return 'redis';
    const t = now();
    if (!Number.isFinite(t) || t < 0) {
      throw new PortalRateLimiterError(
        'invalid_input',
        `portal rate limiter: now() returned ${t}, not a ms epoch`,
      );
    }
    return t;
  }

  function keysOf(portal: unknown) {
    return rateLimitKeys(config.prefix, parseInput(portalSchema, portal, 'portal'));
  }

  return {
    async reserve(portal, method, limit) {
      const keys = keysOf(portal);
      const m = parseInput(methodSchema, method, 'method');
      const { rate, burst } = parseInput(limitSchema, limit, 'limit');
      const raw = await scripts.reserve.run(
        [keys.bucket, keys.adapt, keys.park, keys.wake],
        [clockArg(), rate, burst, m, config.arrivalMarginMs, tuning.recoveryMs],
      );
      const [status, value] = parseReply(reserveReply, raw, 'reserve');
      if (status === 'granted') return { granted: true, epoch: value };
      return { granted: false, retryAt: value, reason: status };
    },

    async reportQueryLimitExceeded(portal, report) {
      const keys = keysOf(portal);
      const { epoch } = parseInput(reportSchema, report ?? {}, 'report');
      const raw = await scripts.reportQueryLimitExceeded.run(
        [keys.bucket, keys.adapt, keys.wake],
        [
          clockArg(),
          tuning.recoveryMs,
          tuning.maxFactor,
          tuning.decrease,
          tuning.cushion,
          tuning.probe,
          tuning.coalesceMs,
          epoch === undefined ? '' : epoch,
          config.arrivalMarginMs,
        ],
      );
      const [until, factor, counted] = parseReply(reportReply, raw, 'reportQueryLimitExceeded');
      return { until, factor, counted: counted === 1 };
    },

    async parkMethod(portal, method, until) {
      const keys = keysOf(portal);
      const m = parseInput(methodSchema, method, 'method');
      const u = parseInput(timeSchema, until, 'until');
      await scripts.parkMethod.run([keys.park], [clockArg(), m, u]);
    },

    async inspect(portal) {
      const keys = keysOf(portal);
      const raw = await scripts.inspect.run([keys.adapt, keys.park], [clockArg(), tuning.recoveryMs]);
      const [factorText, backoffText, ...parked] = parseReply(inspectReply, raw, 'inspect');
      const numbers = parseReply(z.tuple([numeric, numeric]), [factorText, backoffText], 'inspect');
      const entries: [string, number][] = [];
      for (let i = 0; i + 1 < parked.length; i += 2) {
        const method = parked[i];
        const until = Number(parked[i + 1]);
        if (method !== undefined && Number.isFinite(until)) entries.push([method, until]);
      }
      // fromEntries defines own data properties, so a method named `__proto__` cannot touch the prototype.
      const parkedMethods: Record<string, number> = Object.fromEntries(entries);
      return { factor: numbers[0], backoffUntil: numbers[1], parkedMethods };
    },
  };
}
