/**
 * Per-portal rate limiter shared by every worker process (BullMQ's own limiter is per queue, not per portal).
 *
 * Bitrix24 limits each portal with a leaky bucket shared by every application calling it: capacity X, drained at
 * Y per second (Enterprise X = 250, Y = 5; other plans 50 / 2); above X the server answers 503
 * `QUERY_LIMIT_EXCEEDED`. Separately, a method whose summed execution time passes 480 s in 10 minutes is blocked
 * with 429 `OPERATION_TIME_LIMIT` while other methods keep working (/work/shared/reference/bitrix24-facts.md,
 * "Limits (cloud)").
 *
 * ## GCRA
 * One Lua script per operation (see `portal-rate-limiter-lua.ts`), so the whole decision is atomic in Redis.
 * Emission interval `T = 1000 * factor / rate` ms, tolerance `tau = (burst - 1) * T`. The key `tat` holds the
 * theoretical arrival time; a call at `now` is granted when `max(tat, now) - now <= tau` and then sets
 * `tat = max(tat, now) + T`. A fresh portal can therefore send `burst` calls at once, then `rate` per second; in
 * any window of W ms at most `burst + W / T` calls are granted, whatever the order the workers' calls reach Redis.
 * `tat` carries a PEXPIRE that ends exactly when it is reached, so an idle portal holds no keys. Changing
 * `rate`/`burst` between calls is sound: the stored `tat` is an absolute time, the new `T`/`tau` apply from the
 * next call (a lowered limit keeps the debt the faster rate built up; a raised one frees its extra burst at once).
 *
 * ## Arrival margin (`arrivalMarginMs`, default 0)
 * The grant happens at the caller, the server counts the request when it arrives: a request whose trip is a few ms
 * shorter than the previous one's reaches the server early by that much. With the client's limit exactly the
 * server's, the server's bucket is then full by a fraction of a request and it answers 503 QUERY_LIMIT_EXCEEDED
 * (bench/rate-limit-efficiency.ts measured it within the first second of every run). A margin `m` keeps `m` ms
 * of the burst unused (tolerance `tau - m`, at most `tau`): a fresh portal sends `burst - 1` calls at once and the
 * last one `m` ms later (for `m` below one interval), then one per `T` as before. The server's bucket then stays
 * `m * rate` requests below full, so arrivals up to `m` ms early still fit; the cost is `m` ms once per refill.
 * A denied caller's ticket moves by `m` accordingly. With `burst` 1 there is no burst to keep a margin in.
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
 * ## Denials and `retryAt` (a wake-up ticket, not a booking)
 * A denied `reserve` takes nothing: the slot is not booked, so calling `reserve` again can never double-book.
 * To keep thousands of delayed jobs from all waking in the same millisecond, each denied caller gets its own
 * wake-up time: the first time a slot frees, or, when earlier denied callers were already sent to that time, one
 * emission interval after the last ticket handed out (key `wake`). Callers coming back at their ticket therefore
 * find a free slot one after the other, at exactly the rate the portal admits. A ticket is a hint: a fresh caller
 * may take the slot first, and the ticket holder is then denied again and gets a new ticket. Tickets of callers
 * that never come back (cancelled jobs) only push later denied callers back by `T` each; they never reduce the
 * grants available to callers who call. Callers must not call before their `retryAt`: each early call draws a
 * new ticket further out.
 *
 * ## Adaptive slow-down (`QUERY_LIMIT_EXCEEDED`: other apps share the server's bucket)
 * `reportQueryLimitExceeded` doubles the portal's `factor` (cap `maxFactor`, default 16) and sets
 * `backoffUntil = now + min(maxBackoffMs, baseBackoffMs * factor)` (defaults 2 s and 60 s). Reports arriving
 * while that backoff runs are coalesced (they come from calls already in flight). Until `backoffUntil`,
 * `reserve` answers `reason: 'backoff'` with a ticket from `backoffUntil` on; afterwards calls resume at the slower
 * rate with no burst credit (the server's bucket was full: the GCRA treats it as full at `backoffUntil`). The factor
 * halves after `successesToHalve` (default 20) consecutive `reportSuccess` calls after the backoff, and for every
 * `quietPeriodMs` (default 60 s) without a new report. All state is per portal and updated atomically.
 *
 * ## Method parking (`OPERATION_TIME_LIMIT`)
 * `parkMethod` stores `until` under the method in the portal's `park` hash (the later time wins when called
 * twice); `reserve` for that method answers `reason: 'method_parked', retryAt: until` (no ticket spreading, so the
 * value is exactly the server's reset time), other methods are unaffected. A hash rather than one key per method
 * keeps `inspect` to one read (no SCAN); it expires with its latest entry.
 *
 * Memory (Redis 7 `MEMORY USAGE`, key names with a 13-char prefix and a 22-char domain): an idle portal 0 bytes
 * (every key has expired); an active one 104 B (`tat`), +104 B while denied callers hold tickets (`wake`),
 * +152 B during a slow-down (`adapt`), +~170 B with two parked methods (`park`): ~530 B at most.
 * Scripts use TIME only with `clock: 'redis'` and need Redis >= 5 (effects replication) for that.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
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
  /** A slot is taken now: call the API. */
  | { granted: true }
  /**
   * Nothing was taken. `retryAt` (ms epoch) is this caller's wake-up ticket: call `reserve` again then (not
   * before). It is not a booking: another caller may take that slot first, then the next `reserve` is denied
   * again with a new ticket.
   */
  | { granted: false; retryAt: number; reason: 'rate' | 'backoff' | 'method_parked' };

export interface AdaptiveSlowDownOptions {
  /** Upper bound of the slow-down factor (default 16). */
  maxFactor?: number;
  /** Backoff per unit of factor after QUERY_LIMIT_EXCEEDED, ms (default 2000). */
  baseBackoffMs?: number;
  /** Upper bound of one backoff, ms (default 60000). */
  maxBackoffMs?: number;
  /** Consecutive successes after a backoff that halve the factor (default 20). */
  successesToHalve?: number;
  /** Each period without a new QUERY_LIMIT_EXCEEDED halves the factor, ms (default 60000). */
  quietPeriodMs?: number;
}

export interface PortalRateLimiterOptions {
  redis: Redis;
  /** Key prefix; keys are `${prefix}:rl:{portal}:...`. */
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
  /** The server answered QUERY_LIMIT_EXCEEDED: the portal as a whole slows down (shared by all jobs/workers). */
  reportQueryLimitExceeded(portal: string): Promise<{ until: number; factor: number }>;
  /** The call succeeded: lets the slow-down decay back towards the configured rate. */
  reportSuccess(portal: string): Promise<void>;
  /** OPERATION_TIME_LIMIT: park `method` on `portal` until `until` (ms epoch) — other methods keep working. */
  parkMethod(portal: string, method: string, until: number): Promise<void>;
  /** Current state for status/dashboards. `backoffUntil` is the last backoff's end (0: none); it may be past. */
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
      baseBackoffMs: z.number().min(0).default(2000),
      maxBackoffMs: z.number().min(0).default(60_000),
      successesToHalve: z.number().int().min(1).default(20),
      quietPeriodMs: z.number().positive().default(60_000),
    })
    .default({
      maxFactor: 16,
      baseBackoffMs: 2000,
      maxBackoffMs: 60_000,
      successesToHalve: 20,
      quietPeriodMs: 60_000,
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
const reportReply = z.tuple([numeric, numeric]);
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

type ScriptCall = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Registers `lua` on the client under a name derived from its hash (so several limiters, or versions, on one
 * client never clash) and returns a caller; ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT.
 */
function defineScript(redis: Redis, label: string, numberOfKeys: number, lua: string): ScriptCall {
  const name = `imbotRl${label}${createHash('sha1').update(lua).digest('hex').slice(0, 10)}`;
  if (typeof Reflect.get(redis, name) !== 'function') redis.defineCommand(name, { numberOfKeys, lua });
  const command: unknown = Reflect.get(redis, name);
  if (typeof command !== 'function') {
    throw new PortalRateLimiterError(
      'unexpected_reply',
      `portal rate limiter: could not define script ${label}`,
    );
  }
  return async (...args) => await Reflect.apply(command, redis, args);
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
    reserve: defineScript(redis, 'Reserve', 4, portalRateLimiterLua.reserve),
    reportQueryLimitExceeded: defineScript(redis, 'Qle', 1, portalRateLimiterLua.reportQueryLimitExceeded),
    reportSuccess: defineScript(redis, 'Success', 1, portalRateLimiterLua.reportSuccess),
    parkMethod: defineScript(redis, 'Park', 1, portalRateLimiterLua.parkMethod),
    inspect: defineScript(redis, 'Inspect', 2, portalRateLimiterLua.inspect),
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
      const raw = await scripts.reserve(
        keys.tat,
        keys.adapt,
        keys.park,
        keys.wake,
        clockArg(),
        rate,
        burst,
        m,
        tuning.quietPeriodMs,
        config.arrivalMarginMs,
      );
      const [status, retryAt] = parseReply(reserveReply, raw, 'reserve');
      if (status === 'granted') return { granted: true };
      return { granted: false, retryAt, reason: status };
    },

    async reportQueryLimitExceeded(portal) {
      const keys = keysOf(portal);
      const raw = await scripts.reportQueryLimitExceeded(
        keys.adapt,
        clockArg(),
        tuning.quietPeriodMs,
        tuning.maxFactor,
        tuning.baseBackoffMs,
        tuning.maxBackoffMs,
      );
      const [until, factor] = parseReply(reportReply, raw, 'reportQueryLimitExceeded');
      return { until, factor };
    },

    async reportSuccess(portal) {
      const keys = keysOf(portal);
      await scripts.reportSuccess(keys.adapt, clockArg(), tuning.quietPeriodMs, tuning.successesToHalve);
    },

    async parkMethod(portal, method, until) {
      const keys = keysOf(portal);
      const m = parseInput(methodSchema, method, 'method');
      const u = parseInput(timeSchema, until, 'until');
      await scripts.parkMethod(keys.park, clockArg(), m, u);
    },

    async inspect(portal) {
      const keys = keysOf(portal);
      const raw = await scripts.inspect(keys.adapt, keys.park, clockArg(), tuning.quietPeriodMs);
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
