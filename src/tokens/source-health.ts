import { defineScript, type LuaScript } from '../redis/define-script.js';
import type { RedisClient } from '../redis/redis-client.js';
import type { RedisKeys } from '../store/redis-keys.js';

/**
 * The token source as the workers last found it (docs/tokens.md, "Borrowed tokens"):
 * - `ok`: it answered (a token, or 404 for a portal it does not know);
 * - `refused`: it answered 401/403 to our secret: its portals are paused until `pausedUntil`, then tried again;
 * - `unavailable`: 5xx, a timeout, no connection, an unusable answer: each portal's jobs back off.
 */
export type SourceHealthState = 'ok' | 'refused' | 'unavailable';

export interface SourceHealth {
  state: SourceHealthState;
  /** When the current state began (ms). */
  since: number;
  /** Failures in a row (0 when ok). */
  failures: number;
  /** The last failure's code and description (no token, no secret); undefined when none was recorded. */
  code: string | undefined;
  reason: string | undefined;
  /** While refused: when a worker asks the source again (ms). */
  pausedUntil: number | undefined;
  /** The last answer with a token (ms), if any. */
  lastOkAt: number | undefined;
}

/**
 * Records one answer. KEYS: health. ARGV: state ('ok' | 'refused' | 'unavailable'), now, code, reason,
 * pausedUntil ('' when not refused). Returns {previous state ('' when none), failures in a row now}.
 */
const RECORD: LuaScript = {
  name: 'TokenSourceHealth',
  numberOfKeys: 1,
  lua: `
local previous = redis.call('HGET', KEYS[1], 'state') or ''
if ARGV[1] == 'ok' then
  if previous ~= 'ok' then
    redis.call('HSET', KEYS[1], 'state', 'ok', 'since', ARGV[2], 'failures', 0)
  end
  redis.call('HSET', KEYS[1], 'lastOkAt', ARGV[2])
  return {previous, 0}
end
if previous ~= ARGV[1] then redis.call('HSET', KEYS[1], 'state', ARGV[1], 'since', ARGV[2]) end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HSET', KEYS[1], 'code', ARGV[3], 'reason', ARGV[4], 'pausedUntil', ARGV[5])
return {previous, failures}
`,
};

export type SourceHealthRecorder = ReturnType<typeof createSourceHealth>;

/** The token source's health, one hash (`{g}`) shared by every worker; `status` and the API read it. */
export function createSourceHealth(options: { redis: RedisClient; keys: RedisKeys; now?: () => number }) {
  const { redis, keys } = options;
  const now = options.now ?? Date.now;
  const record = defineScript(redis, RECORD);

  async function write(
    state: SourceHealthState,
    failure: { code: string; reason: string; pausedUntil: number | undefined } | undefined,
  ): Promise<{ previous: SourceHealthState | undefined; failures: number }> {
    const [previous, failures] = (await record.run(
      [keys.tokenSourceHealth],
      [
        state,
        now(),
        failure?.code ?? '',
        failure?.reason.slice(0, 300) ?? '',
        failure?.pausedUntil === undefined ? '' : failure.pausedUntil,
      ],
    )) as [string, number];
    return { previous: isState(previous) ? previous : undefined, failures: Number(failures) };
  }

  return {
    async read(): Promise<SourceHealth | undefined> {
      return parseSourceHealth(await redis.hgetall(keys.tokenSourceHealth));
    },
    /** The source answered: ok again. Says what it was before (to log a recovery once). */
    recordOk: () => write('ok', undefined),
    /** The source failed: says what it was before (to log a refusal once) and how many failures in a row. */
    recordFailure: (
      state: Exclude<SourceHealthState, 'ok'>,
      failure: { code: string; reason: string; pausedUntil: number | undefined },
    ) => write(state, failure),
    /** Until when the source's portals are paused after a refusal, or undefined. */
    async pausedUntil(): Promise<number | undefined> {
      const [state, until] = await redis.hmget(keys.tokenSourceHealth, 'state', 'pausedUntil');
      if (state !== 'refused' || !until) return undefined;
      const at = Number(until);
      return at > now() ? at : undefined;
    },
  };
}

function isState(value: string | undefined): value is SourceHealthState {
  return value === 'ok' || value === 'refused' || value === 'unavailable';
}

/** The stored hash as SourceHealth; undefined when nothing was recorded yet. */
export function parseSourceHealth(raw: Record<string, string>): SourceHealth | undefined {
  const state = raw['state'];
  if (!isState(state)) return undefined;
  const num = (field: string) => (raw[field] ? Number(raw[field]) : undefined);
  return {
    state,
    since: num('since') ?? 0,
    failures: num('failures') ?? 0,
    code: state === 'ok' || !raw['code'] ? undefined : raw['code'],
    reason: state === 'ok' || !raw['reason'] ? undefined : raw['reason'],
    pausedUntil: state === 'refused' ? num('pausedUntil') : undefined,
    lastOkAt: num('lastOkAt'),
  };
}
