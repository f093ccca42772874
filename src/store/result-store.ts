import { defineScript, execWithScripts, type ScriptRunner } from '../redis/define-script.js';
import type { RedisClient } from '../redis/redis-client.js';
import { ensureResultIndexes } from './ensure-result-indexes.js';
import {
  type AttemptRecord,
  PAIR_STATES,
  type PairError,
  type PairResult,
  type PairState,
} from './pair-result.js';
import { pairMember, parsePairMember, type RedisKeys } from './redis-keys.js';
import {
  CLAIM_DUE,
  FORGET_APP_ID,
  MARK_APPLIED,
  PAGE_LEX,
  RECORD_FAILURE,
  RECORD_WAIT,
  REINDEX_PAIR,
  REQUEST_ABSENT,
  REQUEST_PRESENT,
  REQUEST_RETRY,
  SET_STATE,
} from './result-scripts.js';

const HISTORY_LENGTH = 50;
/** Longest error message kept in a result or a history line. */
const MESSAGE_MAX = 500;

function toNumber(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** A stored state as a PairState (an unknown value reads as pending). */
function decodeState(value: string | undefined): PairState {
  return (PAIR_STATES as readonly string[]).includes(value ?? '') ? (value as PairState) : 'pending';
}

/** The `state` field of one pair as read by HGET: undefined for a missing pair. */
function decodeStateReply(value: unknown): { state: PairState } | undefined {
  return typeof value === 'string' && value !== '' ? { state: decodeState(value) } : undefined;
}

/** The lex range of the members of a scores-0 sorted set that start with `prefix` (which ends with `|`). */
function prefixRange(prefix: string): { min: string; max: string } {
  // '}' follows '|' in byte order: every member starting with `prefix` lies in [prefix, prefix-without-|+'}').
  return { min: `[${prefix}`, max: `(${prefix.slice(0, -1)}}` };
}

/** Why a pair needs an operator, as kept in the attention index (rank 0 and 1 of its entries). */
export type AttentionState = 'failed' | 'needs_reauth';
const ATTENTION_RANK: Record<AttentionState, string> = { failed: '0', needs_reauth: '1' };

/** `rank|age|domain|code` (an attention entry) -> the pair. */
function parseAttentionEntry(entry: string): { domain: string; code: string } {
  const second = entry.indexOf('|', entry.indexOf('|') + 1);
  return parsePairMember(entry.slice(second + 1));
}

/** Version of the read indexes the scripts keep; a store holding an older one is rebuilt (rebuildIndexes). */
export const RESULT_INDEX_VERSION = '1';

function decodeResult(raw: Record<string, string>): PairResult | undefined {
  const portal = raw['portal'];
  const code = raw['code'];
  if (!portal || !code) return undefined;
  const state = decodeState(raw['state']);
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
    recreate: raw['recreate'] === '1',
    rolloutId: raw['rolloutId'] || undefined,
    lastError: lastErrorCode ? { code: lastErrorCode, message: raw['lastErrorMessage'] ?? '' } : null,
    nextAttemptAt: toNumber(raw['nextAttemptAt']),
    createdAt: toNumber(raw['createdAt']) ?? 0,
    updatedAt: toNumber(raw['updatedAt']) ?? 0,
  };
}

export interface ResultStoreOptions {
  redis: RedisClient;
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
  const scripts = {
    setState: defineScript(redis, SET_STATE),
    requestPresent: defineScript(redis, REQUEST_PRESENT),
    requestAbsent: defineScript(redis, REQUEST_ABSENT),
    requestRetry: defineScript(redis, REQUEST_RETRY),
    markApplied: defineScript(redis, MARK_APPLIED),
    recordFailure: defineScript(redis, RECORD_FAILURE),
    recordWait: defineScript(redis, RECORD_WAIT),
    claimDue: defineScript(redis, CLAIM_DUE),
    forgetAppId: defineScript(redis, FORGET_APP_ID),
    reindexPair: defineScript(redis, REINDEX_PAIR),
    pageLex: defineScript(redis, PAGE_LEX),
  };
  /** The read-index keys every writing script takes last (INDEX_KEY_NAMES in result-scripts.ts). */
  const indexKeys = [
    keys.stateCounts,
    keys.rolloutCounts,
    keys.pairsByState,
    keys.portalStates,
    keys.attention,
    keys.rolloutAttention,
    keys.resultPortals,
    keys.rolloutHandedOver,
  ] as const;

  /** One page of a lex range of a sorted set (PAGE_LEX): O(log N + limit), whatever the offset. */
  async function pageLex(
    key: string,
    range: { min: string; max: string },
    page: { offset: number; limit: number },
  ): Promise<{ total: number; members: string[] }> {
    const [total, ...members] = (await scripts.pageLex.run(
      [key],
      [range.min, range.max, Math.max(0, page.offset), Math.max(0, page.limit)],
    )) as [number, ...string[]];
    return { total, members };
  }

  async function setState(
    domain: string,
    code: string,
    state: PairState | '',
    fields: Record<string, string>,
  ): Promise<void> {
    await scripts.setState.run(
      [keys.result(domain, code), keys.due(domain), ...indexKeys],
      [state, ...Object.entries(fields).flat()],
    );
  }

  function historyLine(record: AttemptRecord): string {
    return JSON.stringify(record);
  }

  function errorFields(error: PairError): Record<string, string> {
    return {
      lastErrorCode: error.code,
      lastErrorMessage: error.message.slice(0, MESSAGE_MAX),
      lastErrorAt: String(now()),
    };
  }

  /** Runs `script` once per pair in one pipeline (see execWithScripts); replies in order. */
  async function perPair<T>(
    script: ScriptRunner,
    pairs: readonly { domain: string; code: string }[],
    queue: (pipeline: ReturnType<RedisClient['pipeline']>, pair: { domain: string; code: string }) => void,
    decode: (reply: unknown) => T,
  ): Promise<T[]> {
    if (pairs.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const pair of pairs) queue(pipeline, pair);
    const replies = await execWithScripts(pipeline, [script]);
    return replies.map(([error, value]) => {
      if (error) throw error;
      return decode(value);
    });
  }

  /**
   * Every pair in index order (domain, then code), `chunk` at a time: each step reads on from the last member
   * (O(log N + chunk)), so nothing but one chunk is held and pairs added meanwhile are not skipped over.
   * `portal` limits to one portal.
   */
  /** A scores-0 sorted set's members in a lex range, `chunk` at a time, each step reading on from the last. */
  async function* lexChunks(
    key: string,
    range: { min: string; max: string },
    chunk: number,
  ): AsyncGenerator<string[]> {
    let min = range.min;
    for (;;) {
      const members = await redis.zrangebylex(key, min, range.max, 'LIMIT', 0, chunk);
      if (members.length > 0) yield members;
      const last = members.at(-1);
      if (members.length < chunk || last === undefined) return;
      min = `(${last}`;
    }
  }

  /**
   * Every pair in index order (domain, then code), `chunk` at a time: each step reads on from the last member
   * (O(log N + chunk)), so nothing but one chunk is held. `portal` limits to one portal.
   */
  async function* pairChunks(
    options: { portal?: string; chunk?: number } = {},
  ): AsyncGenerator<{ domain: string; code: string }[]> {
    const range = options.portal ? prefixRange(`${options.portal}|`) : { min: '-', max: '+' };
    for await (const members of lexChunks(keys.pairs, range, options.chunk ?? 2_000)) {
      yield members.map(parsePairMember);
    }
  }

  /** The pairs in `state` in pair order (the `pairsByState` index), `chunk` at a time, like pairChunks. */
  async function* stateChunks(
    state: PairState,
    options: { portal?: string; chunk?: number } = {},
  ): AsyncGenerator<{ domain: string; code: string }[]> {
    await ensureIndexes();
    const prefix = options.portal === undefined ? `${state}|` : `${state}|${options.portal}|`;
    for await (const members of lexChunks(keys.pairsByState, prefixRange(prefix), options.chunk ?? 2_000)) {
      yield members.map((m) => parsePairMember(m.slice(state.length + 1)));
    }
  }

  /**
   * Brings pairs written before the read indexes existed into them (REINDEX_PAIR per pair, `chunk` pairs per
   * pipeline); idempotent and safe while other writers run (each pair moves atomically). Returns how many
   * pairs were added. Callers run it once, under a lock: ensureResultIndexes.
   */
  async function rebuildIndexes(
    options: { chunk?: number; onChunk?: () => Promise<void> } = {},
  ): Promise<number> {
    let added = 0;
    for await (const pairs of pairChunks({ chunk: options.chunk ?? 1_000 })) {
      const replies = await perPair(
        scripts.reindexPair,
        pairs,
        (pipeline, p) =>
          scripts.reindexPair.queue(pipeline, [keys.result(p.domain, p.code), ...indexKeys], []),
        (value) => value === 1,
      );
      added += replies.filter(Boolean).length;
      await options.onChunk?.();
    }
    return added;
  }

  let indexesReady: Promise<number> | undefined;
  function ensureIndexes(): Promise<number> {
    indexesReady ??= ensureResultIndexes({
      redis,
      keys,
      version: RESULT_INDEX_VERSION,
      rebuild: (onChunk) => rebuildIndexes({ onChunk }),
    }).catch((error: unknown) => {
      indexesReady = undefined;
      throw error;
    });
    return indexesReady;
  }

  return {
    /**
     * Producer: the pair should exist with `defHash` (`recreate`: by unregister + register, the APP_ID changes).
     * Atomic; see REQUEST_PRESENT.
     */
    async requestPresent(
      pairs: readonly {
        domain: string;
        code: string;
        defHash: string;
        portalParked: boolean;
        recreate?: boolean;
        rolloutId?: string;
      }[],
    ): Promise<RequestOutcome[]> {
      for (const p of pairs) {
        if (p.rolloutId?.includes('|')) throw new RangeError(`rollout id ${p.rolloutId} holds a "|"`);
      }
      const at = String(now());
      return await perPair(
        scripts.requestPresent,
        pairs,
        (pipeline, pair) => {
          const p = pair as (typeof pairs)[number];
          scripts.requestPresent.queue(
            pipeline,
            [keys.result(p.domain, p.code), keys.pairs, keys.due(p.domain), ...indexKeys],
            [
              pairMember(p.domain, p.code),
              p.domain,
              p.code,
              p.defHash,
              at,
              p.portalParked ? '1' : '0',
              p.recreate ? '1' : '',
              p.rolloutId ?? '',
            ],
          );
        },
        (value) => REQUEST_OUTCOMES[Number(value)] ?? 'unchanged',
      );
    },

    /** Operator: unregister these pairs. See REQUEST_ABSENT. */
    async requestAbsent(
      pairs: readonly { domain: string; code: string }[],
    ): Promise<('unknown' | 'queued' | 'nothing_to_call')[]> {
      const at = String(now());
      return await perPair(
        scripts.requestAbsent,
        pairs,
        (pipeline, p) =>
          scripts.requestAbsent.queue(
            pipeline,
            [keys.result(p.domain, p.code), keys.due(p.domain), ...indexKeys],
            [at],
          ),
        (value) => (['unknown', 'queued', 'nothing_to_call'] as const)[Number(value)] ?? 'unknown',
      );
    },

    /** Operator: put failed pairs back to pending (attempts reset). True for each pair that was failed. */
    async requestRetry(pairs: readonly { domain: string; code: string }[]): Promise<boolean[]> {
      const at = String(now());
      return await perPair(
        scripts.requestRetry,
        pairs,
        (pipeline, p) =>
          scripts.requestRetry.queue(
            pipeline,
            [keys.result(p.domain, p.code), keys.due(p.domain), ...indexKeys],
            [at],
          ),
        (value) => value === 1,
      );
    },

    async get(domain: string, code: string): Promise<PairResult | undefined> {
      return decodeResult(await redis.hgetall(keys.result(domain, code)));
    },

    /**
     * The pair and the time from which it may be called (its score in the portal's `due` set; undefined when it
     * wants no call), read at once. A time in the future means another worker has claimed it for a batch, or
     * it waits for a retry.
     */
    async getWithDue(
      domain: string,
      code: string,
    ): Promise<{ result: PairResult | undefined; dueAt: number | undefined }> {
      // Two commands sent back to back (no pipeline object: building one per job costs more than it saves).
      const [raw, score] = await Promise.all([
        redis.hgetall(keys.result(domain, code)),
        redis.zscore(keys.due(domain), code),
      ]);
      return { result: decodeResult(raw), dueAt: score === null ? undefined : Number(score) };
    },

    /** Claimed pairs that were not called after all: due again at `at` (only pairs still in the due set). */
    async releaseDue(domain: string, codes: readonly string[], at: number): Promise<void> {
      if (codes.length === 0) return;
      await redis.zadd(keys.due(domain), 'XX', ...codes.flatMap((code) => [at, code]));
    },

    /**
     * Claims `own` (if due) and up to `limit` other due pairs of the portal until `claimUntil` (CLAIM_DUE).
     * `ownClaimed` false: another worker holds the pair (or it is no longer due); call nothing for it.
     */
    async claimDue(
      domain: string,
      own: string,
      options: { now: number; claimUntil: number; limit: number },
    ): Promise<{ ownClaimed: boolean; others: string[] }> {
      const reply = (await scripts.claimDue.run(
        [keys.due(domain)],
        [options.now, options.claimUntil, options.limit, own],
      )) as [number, ...string[]];
      const [ownClaimed, ...others] = reply;
      return { ownClaimed: ownClaimed === 1, others };
    },

    async getMany(pairs: readonly { domain: string; code: string }[]): Promise<(PairResult | undefined)[]> {
      if (pairs.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const p of pairs) pipeline.hgetall(keys.result(p.domain, p.code));
      const replies = (await pipeline.exec()) ?? [];
      return replies.map(([, value]) => decodeResult((value ?? {}) as Record<string, string>));
    },

    /**
     * Only the state of each pair (missing pair: undefined): what progress polling needs, without reading and
     * decoding whole results every tick.
     */
    async statesOf(
      pairs: readonly { domain: string; code: string }[],
    ): Promise<({ state: PairState } | undefined)[]> {
      if (pairs.length === 0) return [];
      // One pair (a finished job's check) needs no pipeline object: building one costs more than it saves.
      if (pairs.length === 1 && pairs[0]) {
        return [decodeStateReply(await redis.hget(keys.result(pairs[0].domain, pairs[0].code), 'state'))];
      }
      const pipeline = redis.pipeline();
      for (const p of pairs) pipeline.hget(keys.result(p.domain, p.code), 'state');
      const replies = (await pipeline.exec()) ?? [];
      return replies.map(([, value]) => decodeStateReply(value));
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

    /**
     * Pairs per state whose current `rolloutId` is `rolloutId` (the rollout that last asked for them, also when
     * there was nothing to do): one HMGET of `rolloutCounts`, whatever the number of pairs. A pair taken over by
     * a later rollout counts there instead.
     */
    async countsForRollout(rolloutId: string): Promise<Record<PairState, number>> {
      await ensureIndexes();
      const raw = await redis.hmget(
        keys.rolloutCounts,
        ...PAIR_STATES.map((state) => `${rolloutId}|${state}`),
      );
      const counts = {} as Record<PairState, number>;
      for (const [i, state] of PAIR_STATES.entries()) counts[state] = Math.max(0, Number(raw[i] ?? 0));
      return counts;
    },

    /**
     * Pairs a later rollout took over from `rolloutId`, per the state they had then (`rolloutHandedOver`): with
     * countsForRollout, what this rollout did, whatever came after it. One HMGET.
     */
    async handedOverFromRollout(rolloutId: string): Promise<Record<PairState, number>> {
      const raw = await redis.hmget(
        keys.rolloutHandedOver,
        ...PAIR_STATES.map((state) => `${rolloutId}|${state}`),
      );
      const counts = {} as Record<PairState, number>;
      for (const [i, state] of PAIR_STATES.entries()) counts[state] = Math.max(0, Number(raw[i] ?? 0));
      return counts;
    },

    /**
     * One page of the pairs that need an operator (failed, then needs_reauth; the most recently changed first
     * within each, then pair order), from the attention index: O(log N + limit). `rolloutId`: only the pairs of
     * that rollout; `only`: only one of the two states. `total` counts the whole selection.
     */
    async listAttention(options: {
      rolloutId?: string;
      only?: AttentionState;
      offset?: number;
      limit: number;
    }): Promise<{ total: number; pairs: { domain: string; code: string; state: AttentionState }[] }> {
      await ensureIndexes();
      const rolloutPrefix = options.rolloutId === undefined ? '' : `${options.rolloutId}|`;
      const key = options.rolloutId === undefined ? keys.attention : keys.rolloutAttention;
      const range = options.only
        ? prefixRange(`${rolloutPrefix}${ATTENTION_RANK[options.only]}|`)
        : rolloutPrefix
          ? prefixRange(rolloutPrefix)
          : { min: '-', max: '+' };
      const { total, members } = await pageLex(key, range, {
        offset: options.offset ?? 0,
        limit: options.limit,
      });
      return {
        total,
        pairs: members.map((member) => {
          const entry = member.slice(rolloutPrefix.length);
          const state: AttentionState = entry.startsWith('0|') ? 'failed' : 'needs_reauth';
          return { ...parseAttentionEntry(entry), state };
        }),
      };
    },

    /** One page of the pairs in `state` (pair order: domain, then code), optionally of one portal: O(log N + limit). */
    async listByState(
      state: PairState,
      options: { portal?: string; offset?: number; limit: number },
    ): Promise<{ total: number; pairs: { domain: string; code: string }[] }> {
      await ensureIndexes();
      const prefix = options.portal === undefined ? `${state}|` : `${state}|${options.portal}|`;
      const { total, members } = await pageLex(keys.pairsByState, prefixRange(prefix), {
        offset: options.offset ?? 0,
        limit: options.limit,
      });
      return { total, pairs: members.map((m) => parsePairMember(m.slice(state.length + 1))) };
    },

    /**
     * One page of the portals holding at least one pair (`state`: at least one pair in that state), by domain:
     * O(log N + limit). `total` counts all such portals.
     */
    async listPortals(options: {
      state?: PairState;
      offset?: number;
      limit: number;
    }): Promise<{ total: number; domains: string[] }> {
      await ensureIndexes();
      const page = { offset: options.offset ?? 0, limit: options.limit };
      if (options.state === undefined) {
        const { total, members } = await pageLex(keys.resultPortals, { min: '-', max: '+' }, page);
        return { total, domains: members };
      }
      const { total, members } = await pageLex(keys.portalStates, prefixRange(`${options.state}|`), page);
      const cut = options.state.length + 1;
      return { total, domains: members.map((m) => m.slice(cut)) };
    },

    pairChunks,

    stateChunks,

    rebuildIndexes,

    /**
     * Builds the read indexes from the pairs once if this store has none yet (or an older version): see
     * ensureResultIndexes. Every reader of an index waits for it (once per store object); writers need not.
     */
    ensureIndexes,

    async countsByState(): Promise<Record<PairState, number>> {
      const raw = await redis.hgetall(keys.stateCounts);
      const counts = {} as Record<PairState, number>;
      for (const state of PAIR_STATES) counts[state] = Math.max(0, Number(raw[state] ?? 0));
      return counts;
    },

    /** The pair's attempt history, newest first; `limit`: only the newest ones. */
    async history(domain: string, code: string, limit?: number): Promise<AttemptRecord[]> {
      if (limit !== undefined && limit <= 0) return [];
      const raw = await redis.lrange(keys.attempts(domain, code), 0, limit === undefined ? -1 : limit - 1);
      return raw.map((line) => JSON.parse(line) as AttemptRecord);
    },

    /** Nothing left to call: puts the pair in the state its stored APP_ID implies. */
    async settle(domain: string, code: string, state: 'registered' | 'unregistered'): Promise<void> {
      await setState(domain, code, state, { nextAttemptAt: '', updatedAt: String(now()) });
    },

    /** The app is gone from the portal (CHAT_APP_ID_ERROR on update): forget its APP_ID so it is registered anew. */
    async forgetAppId(domain: string, code: string): Promise<void> {
      await scripts.forgetAppId.run([keys.result(domain, code), ...indexKeys], [String(now())]);
    },

    /**
     * A call took effect on the portal: `appId` is what the portal now holds (null: nothing), `defHash` the
     * definition its fields are known to match (undefined right after a register: it may have returned an
     * existing app with other fields). `settled` tells whether the pair is done; otherwise it stays pending and
     * the caller looks again (an update follows a register; the definition may have changed meanwhile). State,
     * attempt count and history are one atomic script (MARK_APPLIED).
     */
    async markApplied(
      domain: string,
      code: string,
      applied: {
        op: string;
        appId: number | null;
        defHash: string | undefined;
        hashUsed: string | undefined;
        /** The app was unregistered to be registered anew (`rollout --recreate`). */
        recreated?: boolean;
        /** An earlier step of the same request, recorded in the history before `op` (a register before its update). */
        after?: string;
      },
    ): Promise<{ stillWanted: boolean }> {
      const reply = await scripts.markApplied.run(
        [keys.result(domain, code), keys.attempts(domain, code), keys.due(domain), ...indexKeys],
        [
          String(now()),
          applied.appId === null ? '' : String(applied.appId),
          applied.defHash ?? '',
          applied.hashUsed ?? '',
          applied.recreated ? '1' : '',
          historyLine({ at: now(), op: applied.op, outcome: 'ok' }),
          HISTORY_LENGTH,
          ...(applied.after === undefined
            ? []
            : [historyLine({ at: now(), op: applied.after, outcome: 'ok' })]),
        ],
      );
      return { stillWanted: reply === 1 };
    },

    /**
     * An attempt that failed. `final` moves the pair to `failed`; otherwise it stays pending until
     * `nextAttemptAt`. One atomic script (RECORD_FAILURE).
     */
    async recordFailure(
      domain: string,
      code: string,
      failure: { op: string; error: PairError; final: boolean; nextAttemptAt?: number },
    ): Promise<void> {
      const message = failure.error.message.slice(0, MESSAGE_MAX);
      await scripts.recordFailure.run(
        [keys.result(domain, code), keys.attempts(domain, code), keys.due(domain), ...indexKeys],
        [
          String(now()),
          failure.final ? '1' : '',
          failure.nextAttemptAt === undefined ? '' : String(failure.nextAttemptAt),
          failure.error.code,
          message,
          historyLine({
            at: now(),
            op: failure.op,
            outcome: failure.final ? 'failed' : 'retry',
            code: failure.error.code,
            message,
            ...(failure.nextAttemptAt === undefined ? {} : { nextAttemptAt: failure.nextAttemptAt }),
          }),
          HISTORY_LENGTH,
        ],
      );
    },

    /** The server said wait (rate limit, overload): no attempt is spent; the pair stays pending. Atomic. */
    async recordWait(
      domain: string,
      code: string,
      wait: { op: string; until: number; error: PairError | null },
    ): Promise<void> {
      const message = wait.error ? wait.error.message.slice(0, MESSAGE_MAX) : '';
      await scripts.recordWait.run(
        [keys.result(domain, code), keys.attempts(domain, code), keys.due(domain), ...indexKeys],
        [
          String(now()),
          String(wait.until),
          wait.error?.code ?? '',
          message,
          wait.error
            ? historyLine({
                at: now(),
                op: wait.op,
                outcome: 'wait',
                code: wait.error.code,
                message,
                nextAttemptAt: wait.until,
              })
            : '',
          HISTORY_LENGTH,
        ],
      );
    },

    /** The portal's credentials are dead: the pair is parked until new credentials are imported. */
    async markNeedsReauth(domain: string, code: string, error: PairError): Promise<void> {
      await setState(domain, code, 'needs_reauth', {
        nextAttemptAt: '',
        updatedAt: String(now()),
        ...errorFields(error),
      });
    },
  };
}
