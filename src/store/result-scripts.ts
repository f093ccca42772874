import type { LuaScript } from '../redis/define-script.js';

/**
 * The result store's Lua scripts, one constant each with its KEYS/ARGV header. Every change to a pair that
 * touches its state (and so the per-state counters), its attempt count or its history is one script: a crash
 * between two writes can never leave a counter, an attempt or a history line behind.
 *
 * Shared shape: the pair's hash has `state`; `stateCounts` holds the number of pairs per state; `history` is a
 * capped list, newest first; `due` is the portal's sorted set of pairs that want a call, by app CODE, scored with
 * the time (ms) from which they may be called. A pair leaves `due` when it settles. The set lets a worker about
 * to call a portal take the portal's other due pairs along in one batch request (claimDue), and a claimed pair's
 * own job see that it is taken care of (its score lies in the future). Every script that moves a pair keeps it.
 */

/**
 * Lua helpers. `move_state` moves the pair to `new` (no-op when equal), keeping `stateCounts` exact; `set_due` /
 * `clear_due` put the pair in or take it out of its portal's `due` set. Invariant kept by every script: a portal's
 * `due` set holds exactly its pairs in state `pending`, and `stateCounts` equals a count of the pairs' states. A
 * script that reports on a pair that does not exist (its hash is gone) writes nothing: it would otherwise count a
 * state no pair holds.
 *
 * The read indexes (docs/architecture.md, "Read indexes"): every script takes `snapshot` of the pair before it
 * writes and calls `reindex` after, which moves the pair's contribution from what it was to what the pair now is,
 * in the same atomic step:
 * - `rolloutCounts` (hash, field `rolloutId|state`): pairs per state of each rollout id (the pair's `rolloutId`);
 *   a field is deleted when it drops to 0;
 * - `pairsByState` (sorted set, scores 0, member `state|domain|code`): each state's pairs in pair order;
 * - `portalStates` (sorted set, scores 0, member `state|domain`): the portals with at least one pair in a state;
 * - `attention` (sorted set, scores 0, member = the pair's `attentionEntry`, `rank|age|domain|code`: rank 0 failed,
 *   1 needs_reauth; age = 9999999999999 - updatedAt, 13 digits): failed first, then parked, newest first;
 * - `rolloutAttention` (sorted set, scores 0, member `rolloutId|attentionEntry`): the same, per rollout;
 * - `resultPortals` (sorted set, scores 0, member domain): the portals holding at least one pair.
 * - `rolloutHandedOver` (hash, field `rolloutId|state`): not an index but a lasting record: the pairs a later
 *   rollout took over from `rolloutId`, by the state they had then. `rolloutCounts` follows each pair to the
 *   rollout that last asked for it; the two together keep every rollout's figures (docs/waves.md, "Where a plan
 *   is shown"). Only grows; never rebuilt from the pairs (it records history the pairs no longer hold).
 * What a pair contributes is a function of its fields, except that a pair written before the indexes existed
 * (no `ix` field) contributes nothing yet: `reindex` then adds its whole contribution and sets `ix`. So
 * REINDEX_PAIR, run over every pair once (rebuildResultIndexes), brings old data in, and is idempotent.
 */
const MOVE_STATE = `
local function move_state(result, counts, new)
  local old = redis.call('HGET', result, 'state')
  if new == '' or old == new then return old end
  if old then redis.call('HINCRBY', counts, old, -1) end
  redis.call('HINCRBY', counts, new, 1)
  redis.call('HSET', result, 'state', new)
  return old
end
local function set_due(due, result, score)
  local code = redis.call('HGET', result, 'code')
  if code then redis.call('ZADD', due, score, code) end
end
local function clear_due(due, result)
  local code = redis.call('HGET', result, 'code')
  if code then redis.call('ZREM', due, code) end
end
local function push_history(history, line, length)
  if line == '' then return end
  redis.call('LPUSH', history, line)
  redis.call('LTRIM', history, 0, tonumber(length) - 1)
end
local function index_keys(first)
  return {
    state_counts = KEYS[first], rollout_counts = KEYS[first + 1], by_state = KEYS[first + 2],
    portal_states = KEYS[first + 3], attention = KEYS[first + 4], rollout_attention = KEYS[first + 5],
    portals = KEYS[first + 6], handed_over = KEYS[first + 7],
  }
end
local function snapshot(result)
  local v = redis.call('HMGET', result, 'state', 'rolloutId', 'ix', 'attentionEntry')
  if v[3] ~= '1' then return { state = '', rollout = '', entry = '', indexed = false } end
  return { state = v[1] or '', rollout = v[2] or '', entry = v[4] or '', indexed = true }
end
local function hash_add(key, field, by)
  if redis.call('HINCRBY', key, field, by) <= 0 then redis.call('HDEL', key, field) end
end
local function reindex(result, before, ix)
  local v = redis.call('HMGET', result, 'state', 'rolloutId', 'updatedAt', 'portal', 'code')
  local state = v[1]
  if not state or not v[4] or not v[5] then return end
  local rollout = v[2] or ''
  local domain = v[4]
  local member = domain .. '|' .. v[5]
  local entry = ''
  local rank = nil
  if state == 'failed' then rank = '0' elseif state == 'needs_reauth' then rank = '1' end
  if rank then
    local age = math.max(0, 9999999999999 - (tonumber(v[3]) or 0))
    entry = rank .. '|' .. string.format('%013d', age) .. '|' .. member
  end
  if before.state ~= state then
    if before.state ~= '' then
      redis.call('ZREM', ix.by_state, before.state .. '|' .. member)
      local left = before.state .. '|' .. domain .. '|'
      if redis.call('ZLEXCOUNT', ix.by_state, '[' .. left, '(' .. before.state .. '|' .. domain .. '}') == 0 then
        redis.call('ZREM', ix.portal_states, before.state .. '|' .. domain)
      end
    end
    redis.call('ZADD', ix.by_state, 0, state .. '|' .. member)
    redis.call('ZADD', ix.portal_states, 0, state .. '|' .. domain)
  end
  if before.state ~= state or before.rollout ~= rollout then
    if before.state ~= '' and before.rollout ~= '' then
      hash_add(ix.rollout_counts, before.rollout .. '|' .. before.state, -1)
      if before.rollout ~= rollout then
        redis.call('HINCRBY', ix.handed_over, before.rollout .. '|' .. before.state, 1)
      end
    end
    if rollout ~= '' then redis.call('HINCRBY', ix.rollout_counts, rollout .. '|' .. state, 1) end
  end
  if before.entry ~= entry or before.rollout ~= rollout then
    if before.entry ~= '' then
      redis.call('ZREM', ix.attention, before.entry)
      if before.rollout ~= '' then redis.call('ZREM', ix.rollout_attention, before.rollout .. '|' .. before.entry) end
    end
    if entry ~= '' then
      redis.call('ZADD', ix.attention, 0, entry)
      if rollout ~= '' then redis.call('ZADD', ix.rollout_attention, 0, rollout .. '|' .. entry) end
    end
  end
  if before.entry ~= entry or not before.indexed then redis.call('HSET', result, 'attentionEntry', entry) end
  if not before.indexed then
    redis.call('ZADD', ix.portals, 0, domain)
    redis.call('HSET', result, 'ix', '1')
  end
end
`;

/** The read-index keys every script below takes last, in this order (see `index_keys`). */
export const INDEX_KEY_NAMES =
  'stateCounts, rolloutCounts, pairsByState, portalStates, attention, rolloutAttention, resultPortals, ' +
  'rolloutHandedOver';
const INDEX_KEY_COUNT = 8;

/**
 * Moves an existing pair out of `pending` (settle, park) and writes fields; the pair leaves `due`.
 * KEYS: result, due, then the index keys (INDEX_KEY_NAMES). ARGV: newState (not 'pending'; '' = keep), then
 * field/value pairs. Returns the old state (false: no such pair, nothing written).
 */
export const SET_STATE: LuaScript = {
  name: 'SetState',
  numberOfKeys: 2 + INDEX_KEY_COUNT,
  lua: `${MOVE_STATE}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local ix = index_keys(3)
local before = snapshot(KEYS[1])
local old = move_state(KEYS[1], ix.state_counts, ARGV[1])
if #ARGV > 1 then redis.call('HSET', KEYS[1], unpack(ARGV, 2)) end
if redis.call('HGET', KEYS[1], 'state') ~= 'pending' then clear_due(KEYS[2], KEYS[1]) end
reindex(KEYS[1], before, ix)
return old
`,
};

/**
 * The producer's step for one pair, atomic against other producers and workers.
 * KEYS: result, pairs, due, then the index keys (INDEX_KEY_NAMES).
 * ARGV: member, domain, code, defHash, now, portalParked ('1'/'0'), recreate ('1' = replace the app: unregister,
 * then register anew; '' = no), rolloutId (the rollout asking; '' = none).
 * The pair takes the rollout id in every case, also when there is nothing to do: a pair belongs to the rollout
 * that last asked for it (its counts move from the earlier rollout's to this one's, see `rolloutCounts`).
 * Returns 0 = nothing to do (registered with this definition), 1 = queued (state changed to pending),
 * 2 = already pending (re-add the job: adding is idempotent), 3 = parked (portal needs re-authorisation).
 */
export const REQUEST_PRESENT: LuaScript = {
  name: 'RequestPresent',
  numberOfKeys: 3 + INDEX_KEY_COUNT,
  lua: `${MOVE_STATE}
local ix = index_keys(4)
local before = snapshot(KEYS[1])
local state = redis.call('HGET', KEYS[1], 'state')
local applied = redis.call('HGET', KEYS[1], 'appliedDefHash')
local desired = redis.call('HGET', KEYS[1], 'desired')
local desiredHash = redis.call('HGET', KEYS[1], 'desiredDefHash')
if state == 'registered' and applied == ARGV[4] and desired == 'present' then
  if ARGV[8] ~= '' and redis.call('HGET', KEYS[1], 'rolloutId') ~= ARGV[8] then
    redis.call('HSET', KEYS[1], 'rolloutId', ARGV[8])
    reindex(KEYS[1], before, ix)
  end
  return 0
end
redis.call('ZADD', KEYS[2], 0, ARGV[1])
if not state then
  redis.call('HSET', KEYS[1], 'portal', ARGV[2], 'code', ARGV[3], 'createdAt', ARGV[5], 'attempts', 0, 'appId', '')
end
redis.call('HSET', KEYS[1], 'desired', 'present', 'desiredDefHash', ARGV[4], 'recreate', ARGV[7], 'rolloutId', ARGV[8], 'updatedAt', ARGV[5])
if ARGV[6] == '1' then
  move_state(KEYS[1], ix.state_counts, 'needs_reauth')
  redis.call('ZREM', KEYS[3], ARGV[3])
  reindex(KEYS[1], before, ix)
  return 3
end
redis.call('ZADD', KEYS[3], 'NX', ARGV[5], ARGV[3])
if state == 'pending' and desired == 'present' and desiredHash == ARGV[4] then
  reindex(KEYS[1], before, ix)
  return 2
end
move_state(KEYS[1], ix.state_counts, 'pending')
redis.call('HSET', KEYS[1], 'attempts', 0, 'nextAttemptAt', '')
reindex(KEYS[1], before, ix)
return 1
`,
};

/**
 * Unregister request for one pair, atomic. KEYS: result, due, then the index keys (INDEX_KEY_NAMES). ARGV: now.
 * Returns 0 = unknown pair, 1 = queued (holds an APP_ID: the worker calls imbot.app.unregister),
 * 2 = nothing to call (no APP_ID: marked unregistered at once).
 */
export const REQUEST_ABSENT: LuaScript = {
  name: 'RequestAbsent',
  numberOfKeys: 2 + INDEX_KEY_COUNT,
  lua: `${MOVE_STATE}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 0 end
local ix = index_keys(3)
local before = snapshot(KEYS[1])
local appId = redis.call('HGET', KEYS[1], 'appId')
local target = 'pending'
if not appId or appId == '' then target = 'unregistered' end
move_state(KEYS[1], ix.state_counts, target)
redis.call('HSET', KEYS[1], 'desired', 'absent', 'recreate', '', 'attempts', 0, 'nextAttemptAt', '', 'updatedAt', ARGV[1])
reindex(KEYS[1], before, ix)
if target == 'pending' then
  set_due(KEYS[2], KEYS[1], ARGV[1])
  return 1
end
clear_due(KEYS[2], KEYS[1])
return 2
`,
};

/**
 * Operator retry of one failed pair, atomic. KEYS: result, due, then the index keys (INDEX_KEY_NAMES). ARGV: now.
 * Returns 1 when the pair was failed and is pending again (attempts reset), else 0.
 */
export const REQUEST_RETRY: LuaScript = {
  name: 'RequestRetry',
  numberOfKeys: 2 + INDEX_KEY_COUNT,
  lua: `${MOVE_STATE}
if redis.call('HGET', KEYS[1], 'state') ~= 'failed' then return 0 end
local ix = index_keys(3)
local before = snapshot(KEYS[1])
move_state(KEYS[1], ix.state_counts, 'pending')
set_due(KEYS[2], KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], 'attempts', 0, 'nextAttemptAt', '', 'updatedAt', ARGV[1])
reindex(KEYS[1], before, ix)
return 1
`,
};

/**
 * A call took effect on the portal. KEYS: result, history, due, then the index keys (INDEX_KEY_NAMES).
 * ARGV: now, appId ('' = none), appliedDefHash ('' = the portal's fields are not known to match a definition,
 * e.g. right after a register, which may have returned an existing app), hashUsed, clearRecreate ('1'/''),
 * historyLine, historyLength, earlierHistoryLine (optional: a step done in the same request before this one, e.g.
 * the register whose update this is; pushed first, so the history stays newest first).
 * The pair becomes `registered`/`unregistered` only when what is applied is what is asked; otherwise it stays
 * `pending` (the worker goes on: an update after a register, or the next definition). The call that settles the
 * pair counts as an attempt; intermediate steps do not (a clean register + update shows 1). Returns 1 when settled.
 */
export const MARK_APPLIED: LuaScript = {
  name: 'MarkApplied',
  numberOfKeys: 3 + INDEX_KEY_COUNT,
  lua: `${MOVE_STATE}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local ix = index_keys(4)
local before = snapshot(KEYS[1])
local appId = ARGV[2]
local applied = ARGV[3]
redis.call('HSET', KEYS[1], 'appId', appId, 'appliedDefHash', applied, 'hashUsed', ARGV[4],
  'nextAttemptAt', '', 'updatedAt', ARGV[1], 'lastErrorCode', '', 'lastErrorMessage', '')
if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'recreate', '') end
if ARGV[8] then push_history(KEYS[2], ARGV[8], ARGV[7]) end
push_history(KEYS[2], ARGV[6], ARGV[7])
local desired = redis.call('HGET', KEYS[1], 'desired')
local desiredHash = redis.call('HGET', KEYS[1], 'desiredDefHash') or ''
local recreate = redis.call('HGET', KEYS[1], 'recreate') or ''
local settled
if appId == '' then
  settled = desired == 'absent'
  if settled then move_state(KEYS[1], ix.state_counts, 'unregistered') end
else
  settled = desired == 'present' and applied ~= '' and applied == desiredHash and recreate ~= '1'
  if settled then move_state(KEYS[1], ix.state_counts, 'registered') end
end
if settled then
  redis.call('HINCRBY', KEYS[1], 'attempts', 1)
  clear_due(KEYS[3], KEYS[1])
  reindex(KEYS[1], before, ix)
  return 1
end
move_state(KEYS[1], ix.state_counts, 'pending')
set_due(KEYS[3], KEYS[1], ARGV[1])
reindex(KEYS[1], before, ix)
return 0
`,
};

/**
 * A failed attempt: state, attempt count, last error, history line and `due` in one step.
 * KEYS: result, history, due, then the index keys (INDEX_KEY_NAMES).
 * ARGV: now, final ('1' moves the pair to failed, '' keeps its state), nextAttemptAt ('' = none), errorCode,
 * errorMessage, historyLine, historyLength.
 * A pending pair is due again at nextAttemptAt (now when none); a pair another writer settled or parked
 * meanwhile stays out of `due`. Returns 1, or 0 when the pair does not exist (nothing written).
 */
export const RECORD_FAILURE: LuaScript = {
  name: 'RecordFailure',
  numberOfKeys: 3 + INDEX_KEY_COUNT,
  lua: `${MOVE_STATE}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local ix = index_keys(4)
local before = snapshot(KEYS[1])
if ARGV[2] == '1' then
  move_state(KEYS[1], ix.state_counts, 'failed')
  clear_due(KEYS[3], KEYS[1])
elseif redis.call('HGET', KEYS[1], 'state') == 'pending' then
  if ARGV[3] ~= '' then set_due(KEYS[3], KEYS[1], ARGV[3]) else set_due(KEYS[3], KEYS[1], ARGV[1]) end
end
redis.call('HSET', KEYS[1], 'nextAttemptAt', ARGV[3], 'updatedAt', ARGV[1],
  'lastErrorCode', ARGV[4], 'lastErrorMessage', ARGV[5], 'lastErrorAt', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
push_history(KEYS[2], ARGV[6], ARGV[7])
reindex(KEYS[1], before, ix)
return 1
`,
};

/**
 * The server said wait: no attempt is spent, the state is kept; a pending pair is due again at `until`.
 * KEYS: result, history, due, then the index keys (INDEX_KEY_NAMES).
 * ARGV: now, until, errorCode ('' = no error to record), errorMessage, historyLine ('' = none), historyLength.
 * Returns 1, or 0 when the pair does not exist (nothing written).
 */
export const RECORD_WAIT: LuaScript = {
  name: 'RecordWait',
  numberOfKeys: 3 + INDEX_KEY_COUNT,
  lua: `${MOVE_STATE}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local ix = index_keys(4)
local before = snapshot(KEYS[1])
redis.call('HSET', KEYS[1], 'nextAttemptAt', ARGV[2], 'updatedAt', ARGV[1])
if redis.call('HGET', KEYS[1], 'state') == 'pending' then set_due(KEYS[3], KEYS[1], ARGV[2]) end
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'lastErrorCode', ARGV[3], 'lastErrorMessage', ARGV[4], 'lastErrorAt', ARGV[1])
end
push_history(KEYS[2], ARGV[5], ARGV[6])
reindex(KEYS[1], before, ix)
return 1
`,
};

/**
 * The app is gone from the portal: forget the pair's APP_ID (and the definition known applied) so the next step
 * registers anew. State, counters and `due` stay as they are (the attention order follows `updatedAt`).
 * KEYS: result, then the index keys (INDEX_KEY_NAMES). ARGV: now.
 * Returns 1, or 0 when the pair does not exist (nothing written: a bare HSET would leave a hash with no state).
 */
export const FORGET_APP_ID: LuaScript = {
  name: 'ForgetAppId',
  numberOfKeys: 1 + INDEX_KEY_COUNT,
  lua: `${MOVE_STATE}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local ix = index_keys(2)
local before = snapshot(KEYS[1])
redis.call('HSET', KEYS[1], 'appId', '', 'appliedDefHash', '', 'updatedAt', ARGV[1])
reindex(KEYS[1], before, ix)
return 1
`,
};

/**
 * Brings one pair into the read indexes (a pair written before they existed); a no-op for a pair already in.
 * KEYS: result, then the index keys (INDEX_KEY_NAMES). No ARGV. Returns 1 when the pair was added, else 0.
 */
export const REINDEX_PAIR: LuaScript = {
  name: 'ReindexPair',
  numberOfKeys: 1 + INDEX_KEY_COUNT,
  lua: `${MOVE_STATE}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local before = snapshot(KEYS[1])
if before.indexed then return 0 end
reindex(KEYS[1], before, index_keys(2))
return 1
`,
};

/**
 * A worker about to call a portal claims the pairs it will call in one request: its own pair (if still due) and
 * up to `limit` other due pairs of the portal, moving each one's score to `claimUntil` so no other worker (and no
 * pair's own job) calls them meanwhile. The results written afterwards move the scores again. KEYS: due.
 * ARGV: now, claimUntil, limit, ownCode. Returns {ownClaimed (1/0), otherCode...}.
 */
export const CLAIM_DUE: LuaScript = {
  name: 'ClaimDue',
  numberOfKeys: 1,
  lua: `
local own = redis.call('ZSCORE', KEYS[1], ARGV[4])
if not own or tonumber(own) > tonumber(ARGV[1]) then return {0} end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
local reply = {1}
local limit = tonumber(ARGV[3])
if limit <= 0 then return reply end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, limit)
for _, code in ipairs(due) do
  redis.call('ZADD', KEYS[1], ARGV[2], code)
  reply[#reply + 1] = code
end
return reply
`,
};

/**
 * One page of a lex range of a sorted set whose scores are all 0 (so rank order is member order), read by rank:
 * O(log N + limit) whatever the offset (ZRANGEBYLEX with LIMIT walks past the offset). KEYS: the sorted set.
 * ARGV: min, max (ZRANGEBYLEX syntax), offset, limit. Returns {total in range, member...}.
 */
export const PAGE_LEX: LuaScript = {
  name: 'PageLex',
  numberOfKeys: 1,
  lua: `
local first = 0
local min = ARGV[1]
if min ~= '-' then
  local bound = string.sub(min, 2)
  if string.sub(min, 1, 1) == '[' then bound = '(' .. bound else bound = '[' .. bound end
  first = redis.call('ZLEXCOUNT', KEYS[1], '-', bound)
end
local total = redis.call('ZLEXCOUNT', KEYS[1], min, ARGV[2])
local reply = {total}
local offset = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
if limit <= 0 or offset >= total then return reply end
local last = math.min(total, offset + limit) - 1
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], first + offset, first + last)) do
  reply[#reply + 1] = member
end
return reply
`,
};
