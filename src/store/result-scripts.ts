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
 * Lua helpers: move the pair to `new` (no-op when equal), keeping the counters exact; put the pair in or take it
 * out of its portal's `due` set. Invariant kept by every script: a portal's `due` set holds exactly its pairs in
 * state `pending`, and `stateCounts` equals a count of the pairs' states. A script that reports on a pair that
 * does not exist (its hash is gone) writes nothing: it would otherwise count a state no pair holds.
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
`;

/**
 * Moves an existing pair out of `pending` (settle, park) and writes fields; the pair leaves `due`.
 * KEYS: result, stateCounts, due. ARGV: newState (not 'pending'; '' = keep), then field/value pairs.
 * Returns the old state (false: no such pair, nothing written).
 */
export const SET_STATE: LuaScript = {
  name: 'SetState',
  numberOfKeys: 3,
  lua: `${MOVE_STATE}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local old = move_state(KEYS[1], KEYS[2], ARGV[1])
if #ARGV > 1 then redis.call('HSET', KEYS[1], unpack(ARGV, 2)) end
if redis.call('HGET', KEYS[1], 'state') ~= 'pending' then clear_due(KEYS[3], KEYS[1]) end
return old
`,
};

/**
 * The producer's step for one pair, atomic against other producers and workers.
 * KEYS: result, stateCounts, pairs, due.
 * ARGV: member, domain, code, defHash, now, portalParked ('1'/'0'), recreate ('1' = replace the app: unregister,
 * then register anew; '' = no), rolloutId (the rollout asking; kept on the pair while it is in flight).
 * Returns 0 = nothing to do (registered with this definition), 1 = queued (state changed to pending),
 * 2 = already pending (re-add the job: adding is idempotent), 3 = parked (portal needs re-authorisation).
 */
export const REQUEST_PRESENT: LuaScript = {
  name: 'RequestPresent',
  numberOfKeys: 4,
  lua: `${MOVE_STATE}
local state = redis.call('HGET', KEYS[1], 'state')
local applied = redis.call('HGET', KEYS[1], 'appliedDefHash')
local desired = redis.call('HGET', KEYS[1], 'desired')
local desiredHash = redis.call('HGET', KEYS[1], 'desiredDefHash')
if state == 'registered' and applied == ARGV[4] and desired == 'present' then return 0 end
redis.call('ZADD', KEYS[3], 0, ARGV[1])
if not state then
  redis.call('HSET', KEYS[1], 'portal', ARGV[2], 'code', ARGV[3], 'createdAt', ARGV[5], 'attempts', 0, 'appId', '')
end
redis.call('HSET', KEYS[1], 'desired', 'present', 'desiredDefHash', ARGV[4], 'recreate', ARGV[7], 'rolloutId', ARGV[8], 'updatedAt', ARGV[5])
if ARGV[6] == '1' then
  move_state(KEYS[1], KEYS[2], 'needs_reauth')
  redis.call('ZREM', KEYS[4], ARGV[3])
  return 3
end
redis.call('ZADD', KEYS[4], 'NX', ARGV[5], ARGV[3])
if state == 'pending' and desired == 'present' and desiredHash == ARGV[4] then return 2 end
move_state(KEYS[1], KEYS[2], 'pending')
redis.call('HSET', KEYS[1], 'attempts', 0, 'nextAttemptAt', '')
return 1
`,
};

/**
 * Unregister request for one pair, atomic. KEYS: result, stateCounts, due. ARGV: now.
 * Returns 0 = unknown pair, 1 = queued (holds an APP_ID: the worker calls imbot.app.unregister),
 * 2 = nothing to call (no APP_ID: marked unregistered at once).
 */
export const REQUEST_ABSENT: LuaScript = {
  name: 'RequestAbsent',
  numberOfKeys: 3,
  lua: `${MOVE_STATE}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 0 end
local appId = redis.call('HGET', KEYS[1], 'appId')
local target = 'pending'
if not appId or appId == '' then target = 'unregistered' end
move_state(KEYS[1], KEYS[2], target)
redis.call('HSET', KEYS[1], 'desired', 'absent', 'recreate', '', 'attempts', 0, 'nextAttemptAt', '', 'updatedAt', ARGV[1])
if target == 'pending' then
  set_due(KEYS[3], KEYS[1], ARGV[1])
  return 1
end
clear_due(KEYS[3], KEYS[1])
return 2
`,
};

/**
 * Operator retry of one failed pair, atomic. KEYS: result, stateCounts, due. ARGV: now.
 * Returns 1 when the pair was failed and is pending again (attempts reset), else 0.
 */
export const REQUEST_RETRY: LuaScript = {
  name: 'RequestRetry',
  numberOfKeys: 3,
  lua: `${MOVE_STATE}
if redis.call('HGET', KEYS[1], 'state') ~= 'failed' then return 0 end
move_state(KEYS[1], KEYS[2], 'pending')
set_due(KEYS[3], KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], 'attempts', 0, 'nextAttemptAt', '', 'updatedAt', ARGV[1])
return 1
`,
};

/**
 * A call took effect on the portal. KEYS: result, stateCounts, history, due.
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
  numberOfKeys: 4,
  lua: `${MOVE_STATE}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local appId = ARGV[2]
local applied = ARGV[3]
redis.call('HSET', KEYS[1], 'appId', appId, 'appliedDefHash', applied, 'hashUsed', ARGV[4],
  'nextAttemptAt', '', 'updatedAt', ARGV[1], 'lastErrorCode', '', 'lastErrorMessage', '')
if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'recreate', '') end
if ARGV[8] then push_history(KEYS[3], ARGV[8], ARGV[7]) end
push_history(KEYS[3], ARGV[6], ARGV[7])
local desired = redis.call('HGET', KEYS[1], 'desired')
local desiredHash = redis.call('HGET', KEYS[1], 'desiredDefHash') or ''
local recreate = redis.call('HGET', KEYS[1], 'recreate') or ''
local settled
if appId == '' then
  settled = desired == 'absent'
  if settled then move_state(KEYS[1], KEYS[2], 'unregistered') end
else
  settled = desired == 'present' and applied ~= '' and applied == desiredHash and recreate ~= '1'
  if settled then move_state(KEYS[1], KEYS[2], 'registered') end
end
if settled then
  redis.call('HINCRBY', KEYS[1], 'attempts', 1)
  clear_due(KEYS[4], KEYS[1])
  return 1
end
move_state(KEYS[1], KEYS[2], 'pending')
set_due(KEYS[4], KEYS[1], ARGV[1])
return 0
`,
};

/**
 * A failed attempt: state, attempt count, last error, history line and `due` in one step.
 * KEYS: result, stateCounts, history, due.
 * ARGV: now, final ('1' moves the pair to failed, '' keeps its state), nextAttemptAt ('' = none), errorCode,
 * errorMessage, historyLine, historyLength.
 * A pending pair is due again at nextAttemptAt (now when none); a pair another writer settled or parked
 * meanwhile stays out of `due`. Returns 1, or 0 when the pair does not exist (nothing written).
 */
export const RECORD_FAILURE: LuaScript = {
  name: 'RecordFailure',
  numberOfKeys: 4,
  lua: `${MOVE_STATE}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] == '1' then
  move_state(KEYS[1], KEYS[2], 'failed')
  clear_due(KEYS[4], KEYS[1])
elseif redis.call('HGET', KEYS[1], 'state') == 'pending' then
  if ARGV[3] ~= '' then set_due(KEYS[4], KEYS[1], ARGV[3]) else set_due(KEYS[4], KEYS[1], ARGV[1]) end
end
redis.call('HSET', KEYS[1], 'nextAttemptAt', ARGV[3], 'updatedAt', ARGV[1],
  'lastErrorCode', ARGV[4], 'lastErrorMessage', ARGV[5], 'lastErrorAt', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
push_history(KEYS[3], ARGV[6], ARGV[7])
return 1
`,
};

/**
 * The server said wait: no attempt is spent, the state is kept; a pending pair is due again at `until`.
 * KEYS: result, history, due.
 * ARGV: now, until, errorCode ('' = no error to record), errorMessage, historyLine ('' = none), historyLength.
 * Returns 1, or 0 when the pair does not exist (nothing written).
 */
export const RECORD_WAIT: LuaScript = {
  name: 'RecordWait',
  numberOfKeys: 3,
  lua: `${MOVE_STATE}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'nextAttemptAt', ARGV[2], 'updatedAt', ARGV[1])
if redis.call('HGET', KEYS[1], 'state') == 'pending' then set_due(KEYS[3], KEYS[1], ARGV[2]) end
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'lastErrorCode', ARGV[3], 'lastErrorMessage', ARGV[4], 'lastErrorAt', ARGV[1])
end
push_history(KEYS[2], ARGV[5], ARGV[6])
return 1
`,
};

/**
 * The app is gone from the portal: forget the pair's APP_ID (and the definition known applied) so the next step
 * registers anew. State, counters and `due` stay as they are. KEYS: result. ARGV: now.
 * Returns 1, or 0 when the pair does not exist (nothing written: a bare HSET would leave a hash with no state).
 */
export const FORGET_APP_ID: LuaScript = {
  name: 'ForgetAppId',
  numberOfKeys: 1,
  lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'appId', '', 'appliedDefHash', '', 'updatedAt', ARGV[1])
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
