import type { Redis } from 'ioredis';
import { pairMember, parsePairMember, type RedisKeys } from '../store/redis-keys.js';
import {
  type AttemptRecord,
  PAIR_STATES,
  type PairError,
  type PairResult,
  type PairState,
} from './pair-result.js';

const HISTORY_LENGTH = 50;

/**
 * Moves a pair to a state and writes fields, keeping the per-state counters exact.
 * KEYS: result, stateCounts. ARGV: newState ('' = keep), then field/value pairs.
 */
const SET_STATE = `
local old = redis.call('HGET', KEYS[1], 'state')
local new = ARGV[1]
if new ~= '' and old ~= new then
  if old then redis.call('HINCRBY', KEYS[2], old, -1) end
  redis.call('HINCRBY', KEYS[2], new, 1)
  redis.call('HSET', KEYS[1], 'state', new)
end
if #ARGV > 1 then redis.call('HSET', KEYS[1], unpack(ARGV, 2)) end
return old
`;

/**
 * The producer's step for one pair, atomic against other producers and workers.
 * KEYS: result, stateCounts, pairs. ARGV: member, domain, code, defHash, now, portalParked ('1'/'0').
 * Returns 0 = nothing to do (registered with this definition), 1 = queued (state changed to pending),
 * 2 = already pending (re-add the job: adding is idempotent), 3 = parked (portal needs re-authorisation).
 */
const REQUEST_PRESENT = `
local state = redis.call('HGET', KEYS[1], 'state')
local applied = redis.call('HGET', KEYS[1], 'appliedDefHash')
local desired = redis.call('HGET', KEYS[1], 'desired')
local desiredHash = redis.call('HGET', KEYS[1], 'desiredDefHash')
if state == 'registered' and applied == ARGV[4] and desired == 'present' then return 0 end
redis.call('ZADD', KEYS[3], 0, ARGV[1])
if not state then
  redis.call('HSET', KEYS[1], 'portal', ARGV[2], 'code', ARGV[3], 'createdAt', ARGV[5], 'attempts', 0, 'ambiguousAttempts', 0, 'appId', '')
end
redis.call('HSET', KEYS[1], 'desired', 'present', 'desiredDefHash', ARGV[4], 'updatedAt', ARGV[5])
if ARGV[6] == '1' then
  if state ~= 'needs_reauth' then
    if state then redis.call('HINCRBY', KEYS[2], state, -1) end
    redis.call('HINCRBY', KEYS[2], 'needs_reauth', 1)
    redis.call('HSET', KEYS[1], 'state', 'needs_reauth')
  end
  return 3
end
if state == 'pending' and desired == 'present' and desiredHash == ARGV[4] then return 2 end
if state then redis.call('HINCRBY', KEYS[2], state, -1) end
redis.call('HINCRBY', KEYS[2], 'pending', 1)
redis.call('HSET', KEYS[1], 'state', 'pending', 'attempts', 0, 'nextAttemptAt', '')
return 1
`;

/**
 * Marks the start of a register call. KEYS: result. ARGV: attemptId.
 * Returns 2 when the pair already holds an APP_ID (another run of the same job registered it meanwhile: do not
 * register again), 1 when an earlier register call was still marked in flight (its worker died mid-call:
 * counted ambiguous), else 0.
 */
const BEGIN_INFLIGHT = `
local appId = redis.call('HGET', KEYS[1], 'appId')
if appId and appId ~= '' then return 2 end
local previous = redis.call('HGET', KEYS[1], 'inflight')
redis.call('HSET', KEYS[1], 'inflight', ARGV[1])
if previous and previous ~= '' then
  redis.call('HINCRBY', KEYS[1], 'ambiguousAttempts', 1)
  return 1
end
return 0
`;

/**
 * Unregister request for one pair, atomic. KEYS: result, stateCounts. ARGV: now.
 * Returns 0 = unknown pair, 1 = queued (holds an APP_ID: the worker calls imbot.app.unregister),
 * 2 = nothing to call (no APP_ID: marked unregistered at once).
 */
const REQUEST_ABSENT = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 0 end
local appId = redis.call('HGET', KEYS[1], 'appId')
local target = 'pending'
if not appId or appId == '' then target = 'unregistered' end
if state ~= target then
  redis.call('HINCRBY', KEYS[2], state, -1)
  redis.call('HINCRBY', KEYS[2], target, 1)
end
redis.call('HSET', KEYS[1], 'state', target, 'desired', 'absent', 'attempts', 0, 'nextAttemptAt', '', 'updatedAt', ARGV[1])
if target == 'pending' then return 1 end
return 2
`;

/**
 * Operator retry of one failed pair, atomic. KEYS: result, stateCounts. ARGV: now.
 * Returns 1 when the pair was failed and is pending again (attempts reset), else 0.
 */
const REQUEST_RETRY = `
if redis.call('HGET', KEYS[1], 'state') ~= 'failed' then return 0 end
redis.call('HINCRBY', KEYS[2], 'failed', -1)
redis.call('HINCRBY', KEYS[2], 'pending', 1)
redis.call('HSET', KEYS[1], 'state', 'pending', 'attempts', 0, 'nextAttemptAt', '', 'updatedAt', ARGV[1])
return 1
`;

function toNumber(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function decodeResult(raw: Record<string, string>): PairResult | undefined {
  const portal = raw['portal'];
  const code = raw['code'];
  if (!portal || !code) return undefined;
  const state = (PAIR_STATES as readonly string[]).includes(raw['state'] ?? '')
    ? (raw['state'] as PairState)
    : 'pending';
  const lastErrorCode = raw['lastErrorCode'];
  return {
    portal,
    code,
    state,
    desired: raw['desired'] === 'absent' ? 'absent' : 'present',
    desiredDefHash: raw['desiredDefHash'] || undefined,
    appliedDefHash: raw['appliedDefHash'] || undefined,
    appId: toNumber(raw['appId']) ?? null,
    hashUsed: raw['hashUsed'] || undefined,
    attempts: toNumber(raw['attempts']) ?? 0,
    ambiguousAttempts: toNumber(raw['ambiguousAttempts']) ?? 0,
    inflight: raw['inflight'] || undefined,
    lastError: lastErrorCode ? { code: lastErrorCode, message: raw['lastErrorMessage'] ?? '' } : null,
    nextAttemptAt: toNumber(raw['nextAttemptAt']),
    createdAt: toNumber(raw['createdAt']) ?? 0,
    updatedAt: toNumber(raw['updatedAt']) ?? 0,
  };
}

export interface ResultStoreOptions {
  redis: Redis;
  keys: RedisKeys;
  now?: () => number;
}

export type RequestOutcome = 'unchanged' | 'queued' | 'already_pending' | 'parked';
const REQUEST_OUTCOMES: readonly RequestOutcome[] = ['unchanged', 'queued', 'already_pending', 'parked'];

export type ResultStore = ReturnType<typeof createResultStore>;

/** Durable per-pair results in Redis: one hash per pair, an ordered index of pairs, exact per-state counters. */
export function createResultStore(options: ResultStoreOptions) {
  const { redis, keys } = options;
  const now = options.now ?? Date.now;

  async function setState(
    domain: string,
    code: string,
    state: PairState | '',
    fields: Record<string, string>,
  ) {
    const flat = Object.entries(fields).flat();
    await redis.eval(SET_STATE, 2, keys.result(domain, code), keys.stateCounts, state, ...flat);
  }

  async function pushHistory(domain: string, code: string, record: AttemptRecord): Promise<void> {
    const key = keys.attempts(domain, code);
    await redis
      .multi()
      .lpush(key, JSON.stringify(record))
      .ltrim(key, 0, HISTORY_LENGTH - 1)
      .exec();
  }

  function errorFields(error: PairError | null): Record<string, string> {
    return error
      ? {
          lastErrorCode: error.code,
          lastErrorMessage: error.message.slice(0, 500),
          lastErrorAt: String(now()),
        }
      : { lastErrorCode: '', lastErrorMessage: '' };
  }

  return {
    /** Producer: the pair should exist with `defHash`. Atomic; see REQUEST_PRESENT. */
    async requestPresent(
      pairs: readonly { domain: string; code: string; defHash: string; portalParked: boolean }[],
    ): Promise<RequestOutcome[]> {
      const pipeline = redis.pipeline();
      const at = String(now());
      for (const p of pairs) {
        pipeline.eval(
          REQUEST_PRESENT,
          3,
          keys.result(p.domain, p.code),
          keys.stateCounts,
          keys.pairs,
          pairMember(p.domain, p.code),
          p.domain,
          p.code,
          p.defHash,
          at,
          p.portalParked ? '1' : '0',
        );
      }
      const replies = (await pipeline.exec()) ?? [];
      return replies.map(([error, value]) => {
        if (error) throw error;
        return REQUEST_OUTCOMES[Number(value)] ?? 'unchanged';
      });
    },

    /** Operator: unregister these pairs. See REQUEST_ABSENT. */
    async requestAbsent(
      pairs: readonly { domain: string; code: string }[],
    ): Promise<('unknown' | 'queued' | 'nothing_to_call')[]> {
      const pipeline = redis.pipeline();
      for (const p of pairs)
        pipeline.eval(REQUEST_ABSENT, 2, keys.result(p.domain, p.code), keys.stateCounts, String(now()));
      const replies = (await pipeline.exec()) ?? [];
      return replies.map(([error, value]) => {
        if (error) throw error;
        return (['unknown', 'queued', 'nothing_to_call'] as const)[Number(value)] ?? 'unknown';
      });
    },

    /** Operator: put failed pairs back to pending (attempts reset). True for each pair that was failed. */
    async requestRetry(pairs: readonly { domain: string; code: string }[]): Promise<boolean[]> {
      const pipeline = redis.pipeline();
      for (const p of pairs)
        pipeline.eval(REQUEST_RETRY, 2, keys.result(p.domain, p.code), keys.stateCounts, String(now()));
      const replies = (await pipeline.exec()) ?? [];
      return replies.map(([error, value]) => {
        if (error) throw error;
        return value === 1;
      });
    },

    /**
     * Operator resolved a possible duplicate (checked the portal, or unregistered the extra APP_ID): the pair
     * is reported clean again. Returns false for an unknown pair.
     */
    async clearAmbiguous(domain: string, code: string, note: string): Promise<boolean> {
      const key = keys.result(domain, code);
      if (!(await redis.exists(key))) return false;
      await redis.hset(key, { ambiguousAttempts: '0', updatedAt: String(now()) });
      await pushHistory(domain, code, {
        at: now(),
        op: 'resolve',
        outcome: 'ok',
        message: note.slice(0, 500),
      });
      return true;
    },

    async get(domain: string, code: string): Promise<PairResult | undefined> {
      return decodeResult(await redis.hgetall(keys.result(domain, code)));
    },

    async getMany(pairs: readonly { domain: string; code: string }[]): Promise<(PairResult | undefined)[]> {
      if (pairs.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const p of pairs) pipeline.hgetall(keys.result(p.domain, p.code));
      const replies = (await pipeline.exec()) ?? [];
      return replies.map(([, value]) => decodeResult((value ?? {}) as Record<string, string>));
    },

    /**
     * Only the state and the ambiguous count of each pair (missing pair: undefined): what progress polling needs,
     * without reading and decoding whole results every tick.
     */
    async statesOf(
      pairs: readonly { domain: string; code: string }[],
    ): Promise<({ state: PairState; ambiguousAttempts: number } | undefined)[]> {
      if (pairs.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const p of pairs) pipeline.hmget(keys.result(p.domain, p.code), 'state', 'ambiguousAttempts');
      const replies = (await pipeline.exec()) ?? [];
      return replies.map(([, value]) => {
        const [state, ambiguous] = (value ?? []) as (string | null)[];
        if (!state) return undefined;
        const known = (PAIR_STATES as readonly string[]).includes(state) ? (state as PairState) : 'pending';
        return { state: known, ambiguousAttempts: toNumber(ambiguous ?? undefined) ?? 0 };
      });
    },

    /** Pairs in index order; `portal` limits to one portal. */
    async listPairs(options: { portal?: string; offset?: number; limit?: number } = {}) {
      const min = options.portal ? `[${options.portal}|` : '-';
      const max = options.portal ? `[${options.portal}|\xff` : '+';
      const members =
        options.limit === undefined
          ? await redis.zrangebylex(keys.pairs, min, max)
          : await redis.zrangebylex(keys.pairs, min, max, 'LIMIT', options.offset ?? 0, options.limit);
      return members.map(parsePairMember);
    },

    async countsByState(): Promise<Record<PairState, number>> {
      const raw = await redis.hgetall(keys.stateCounts);
      const counts = {} as Record<PairState, number>;
      for (const state of PAIR_STATES) counts[state] = Math.max(0, Number(raw[state] ?? 0));
      return counts;
    },

    async history(domain: string, code: string): Promise<AttemptRecord[]> {
      const raw = await redis.lrange(keys.attempts(domain, code), 0, -1);
      return raw.map((line) => JSON.parse(line) as AttemptRecord);
    },

    /**
     * Before a register call: marks it in flight. 'already_registered' when the pair holds an APP_ID by now (do
     * not register); 'earlier_died' when an earlier call died in flight (counted ambiguous); else 'clear'.
     */
    async beginRegister(
      domain: string,
      code: string,
      attemptId: string,
    ): Promise<'clear' | 'earlier_died' | 'already_registered'> {
      const reply = await redis.eval(BEGIN_INFLIGHT, 1, keys.result(domain, code), attemptId);
      return reply === 2 ? 'already_registered' : reply === 1 ? 'earlier_died' : 'clear';
    },

    /** A definite answer that created nothing (e.g. the token was rejected): the call is no longer in flight. */
    async clearInflight(domain: string, code: string): Promise<void> {
      await redis.hset(keys.result(domain, code), 'inflight', '');
    },

    /** Nothing left to call: puts the pair in the state its stored APP_ID implies. */
    async settle(domain: string, code: string, state: 'registered' | 'unregistered'): Promise<void> {
      await setState(domain, code, state, { inflight: '', nextAttemptAt: '', updatedAt: String(now()) });
    },

    /** The app is gone from the portal (CHAT_APP_ID_ERROR on update): forget its APP_ID so it is registered anew. */
    async forgetAppId(domain: string, code: string): Promise<void> {
      await redis.hset(keys.result(domain, code), {
        appId: '',
        appliedDefHash: '',
        updatedAt: String(now()),
      });
    },

    /** The operation took effect on the portal. */
    async markApplied(
      domain: string,
      code: string,
      applied: {
        op: string;
        appId: number | null;
        defHash: string | undefined;
        hashUsed: string | undefined;
      },
    ): Promise<{ stillWanted: boolean }> {
      const state: PairState = applied.appId === null ? 'unregistered' : 'registered';
      const fields = {
        appId: applied.appId === null ? '' : String(applied.appId),
        appliedDefHash: applied.defHash ?? '',
        hashUsed: applied.hashUsed ?? '',
        inflight: '',
        nextAttemptAt: '',
        updatedAt: String(now()),
        ...errorFields(null),
      };
      const key = keys.result(domain, code);
      const history = keys.attempts(domain, code);
      const record: AttemptRecord = { at: now(), op: applied.op, outcome: 'ok' };
      // Every successful job ends here: state, attempt count and history in one MULTI (one round trip, atomic).
      const replies = await redis
        .multi()
        .eval(SET_STATE, 2, key, keys.stateCounts, state, ...Object.entries(fields).flat())
        .hincrby(key, 'attempts', 1)
        .lpush(history, JSON.stringify(record))
        .ltrim(history, 0, HISTORY_LENGTH - 1)
        .hmget(key, 'desired', 'desiredDefHash')
        .exec();
      const failed = replies?.find(([error]) => error !== null)?.[0];
      if (failed) throw failed;
      // Read in the same MULTI: whether what was applied is still what is asked (else the caller looks again).
      const [desired, desiredDefHash] = (replies?.[4]?.[1] ?? []) as (string | null)[];
      const stillWanted =
        applied.appId === null
          ? desired === 'absent'
          : desired === 'present' && (desiredDefHash ?? '') === (applied.defHash ?? '');
      return { stillWanted };
    },

    /**
     * An attempt that failed. `final` moves the pair to `failed`; otherwise it stays pending until
     * `nextAttemptAt`. `ambiguous` counts a register call that was sent and got no answer.
     */
    async recordFailure(
      domain: string,
      code: string,
      failure: { op: string; error: PairError; final: boolean; ambiguous: boolean; nextAttemptAt?: number },
    ): Promise<void> {
      const key = keys.result(domain, code);
      await setState(domain, code, failure.final ? 'failed' : '', {
        inflight: '',
        nextAttemptAt: failure.nextAttemptAt === undefined ? '' : String(failure.nextAttemptAt),
        updatedAt: String(now()),
        ...errorFields(failure.error),
      });
      const multi = redis.multi().hincrby(key, 'attempts', 1);
      if (failure.ambiguous) multi.hincrby(key, 'ambiguousAttempts', 1);
      await multi.exec();
      await pushHistory(domain, code, {
        at: now(),
        op: failure.op,
        outcome: failure.ambiguous ? 'ambiguous' : failure.final ? 'failed' : 'retry',
        code: failure.error.code,
        message: failure.error.message.slice(0, 500),
        ...(failure.nextAttemptAt === undefined ? {} : { nextAttemptAt: failure.nextAttemptAt }),
      });
    },

    /** The server said wait (rate limit, overload): no attempt is spent; the pair stays pending. */
    async recordWait(
      domain: string,
      code: string,
      wait: { op: string; until: number; error: PairError | null },
    ) {
      await setState(domain, code, '', {
        inflight: '',
        nextAttemptAt: String(wait.until),
        updatedAt: String(now()),
        ...(wait.error ? errorFields(wait.error) : {}),
      });
      if (wait.error) {
        await pushHistory(domain, code, {
          at: now(),
          op: wait.op,
          outcome: 'wait',
          code: wait.error.code,
          message: wait.error.message.slice(0, 500),
          nextAttemptAt: wait.until,
        });
      }
    },

    /** The portal's credentials are dead: the pair is parked until new credentials are imported. */
    async markNeedsReauth(domain: string, code: string, error: PairError): Promise<void> {
      await setState(domain, code, 'needs_reauth', {
        inflight: '',
        nextAttemptAt: '',
        updatedAt: String(now()),
        ...errorFields(error),
      });
    },
  };
}
