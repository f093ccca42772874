import { BitrixError } from '../bitrix/bitrix-error.js';
import {
  type BatchAnswer,
  type BatchCommand,
  batchCommandBytes,
  batchCommandProblem,
} from '../bitrix/call-batch.js';
import type { PortalTarget } from '../bitrix/portal-target.js';
import type { PairResult } from '../store/pair-result.js';
import type { StoredPortal } from '../store/portal-store.js';
import { callAlone } from './call-alone.js';
import type { PairJob } from './pair-job.js';
import type { PairProcessorDeps } from './pair-processor-deps.js';
import { METHOD_OF, type Operation, planOperation } from './plan-operation.js';
import { type PreparedCall, parseAppId, prepareCall, UnreadableAppIdError } from './prepare-call.js';
import {
  asPairError,
  type CallFollowUp,
  handleFailure,
  type PairCall,
  recordCallError,
  recordSuccess,
} from './record-call-outcome.js';

/** The job that is about to call the portal: it leads the batch. */
export interface BatchLeader {
  job: PairJob;
  result: PairResult;
  op: Operation;
  portal: StoredPortal;
  target: PortalTarget;
  refreshes: number;
  /** The limiter's epoch when the request was granted (see PairCall.epoch). */
  epoch: number;
}

/** One pair in the batch, with the command keys its call uses. */
interface Member {
  pair: PairCall;
  /** Command key of the call; for a register, `followUpKey` is its update. */
  key: string;
  followUpKey: string | undefined;
}

/** How long a claim holds when its worker dies mid-request: the request timeout and a margin. */
const CLAIM_MARGIN_MS = 5_000;

/**
 * One request for the portal (docs/bitrix24.md, "Batch"; docs/architecture.md, "One request per portal: the
 * due set and batching"): the leader claims its own pair and up to `batch.maxCommands` worth of the portal's
 * other due pairs (claimDue: no other worker or job calls them meanwhile), builds each pair's call exactly as
 * a single call would (a register followed by its update, the update's APP_ID taken from the register's
 * answer with `$result[key]`), and sends them as one `batch` with `halt=1`: a command that fails stops the
 * rest, so an update never runs on the whole-result map a failed register would leave in its reference. Each
 * command's answer or error is recorded on its own pair as a single call's would be; commands that did not
 * run, and pairs that did not fit, are released at once (due now). A failure of the whole request is recorded
 * on every pair of the batch, as the same failure of a single call.
 */
export async function runPortalBatch(leader: BatchLeader, deps: PairProcessorDeps): Promise<CallFollowUp> {
  const { domain, code } = leader.job;
  const { config, results } = deps;
  const now = deps.now();
  const claim = await results.claimDue(domain, code, {
    now,
    claimUntil: now + config.request.timeoutMs + CLAIM_MARGIN_MS,
    limit: config.batch.maxCommands - 1,
  });
  if (!claim.ownClaimed) return 'look_again'; // another worker holds the pair: the re-read shows until when

  const others = claim.others.length
    ? await results.getMany(claim.others.map((other) => ({ domain, code: other })))
    : [];
  const release: string[] = [];
  const members: Member[] = [];
  const commands: BatchCommand[] = [];
  let bytes = 0;

  const leaderCall = await prepare(leader.result, leader.op);
  if ('error' in leaderCall) {
    await releaseClaims(claim.others);
    return { kind: 'failed', error: leaderCall.error };
  }
  const leaderPair: PairCall = {
    domain,
    code,
    result: leader.result,
    call: leaderCall,
    refreshes: leader.refreshes,
    target: leader.target,
    epoch: leader.epoch,
  };
  add(leaderPair);
  for (const index of claim.others.keys()) {
    const result = others[index];
    const op = result ? planOperation(result) : undefined;
    if (!result || op === undefined) {
      if (result)
        await results.settle(domain, result.code, result.appId === null ? 'unregistered' : 'registered');
      continue;
    }
    const prepared = await prepare(result, op);
    if ('error' in prepared) continue; // recorded as failed by prepare
    const pair: PairCall = {
      domain,
      code: result.code,
      result,
      call: prepared,
      refreshes: 0,
      target: leader.target,
    };
    if (!fits(prepared)) {
      release.push(result.code);
      continue;
    }
    add(pair);
  }
  await giveBack(release);

  // One command (an update or unregister of the leader alone, or a call too large to share a request): the
  // single-call path is the same request without the batch envelope.
  if (commands.length === 1 || !fitsAlone(leaderCall)) {
    await giveBack(members.slice(1).map((m) => m.pair.code));
    return await callAlone(leaderPair, deps);
  }

  const started = performance.now();
  let followUps: CallFollowUp[];
  try {
    const answer = await deps.rest.callBatch(leader.target, commands, { halt: true });
    const elapsed = performance.now() - started;
    deps.metrics.call('batch', 'ok', elapsed);
    followUps = await Promise.all(members.map((member) => recordMember(member, answer, elapsed)));
  } catch (error) {
    if (error instanceof BitrixError) deps.metrics.call('batch', error.code, performance.now() - started);
    followUps = await recordRequestFailure(error, members, deps);
  }
  await settleOthers(followUps);
  return followUps[0] ?? 'look_again';

  /**
   * After the request, the other pairs' jobs need not wait for the claim to end: a pair that wants another call
   * is due again at once (and its job woken), one waiting for a retry is woken then, and a done pair's job is
   * woken to complete instead of lingering in the delayed set.
   */
  async function settleOthers(followUps: readonly CallFollowUp[]): Promise<void> {
    const again: string[] = [];
    const wake: { code: string; at: number }[] = [];
    for (const [i, member] of members.entries()) {
      const followUp = followUps[i];
      if (i === 0 || followUp === undefined) continue;
      if (isAgain(followUp)) again.push(member.pair.code);
      const at =
        followUp !== 'again' && followUp !== 'look_again' && followUp.kind === 'delay'
          ? followUp.until
          : deps.now();
      wake.push({ code: member.pair.code, at });
    }
    await releaseClaims(again);
    if (wake.length > 0) await deps.wakePairs?.(domain, wake);
  }

  /** Claimed pairs that will not be called in this request: due again now, their jobs woken. */
  async function giveBack(codes: readonly string[]): Promise<void> {
    await releaseClaims(codes);
    if (codes.length > 0)
      await deps.wakePairs?.(
        domain,
        codes.map((c) => ({ code: c, at: deps.now() })),
      );
  }

  async function prepare(result: PairResult, op: Operation) {
    const prepared = await prepareCall(result, op, {
      botId: leader.portal.botId,
      config,
      definitions: deps.definitions,
    });
    if ('error' in prepared)
      await results.recordFailure(domain, result.code, { op, error: prepared.error, final: true });
    return prepared;
  }

  function commandsOf(pair: PairCall, index: number): BatchCommand[] {
    const key = `${pair.call.op.slice(0, 3)}${index}`;
    const own: BatchCommand = { key, method: pair.call.method, params: pair.call.params };
    if (pair.call.op !== 'register' || pair.call.followUpFields === undefined) return [own];
    return [
      own,
      {
        key: `upd${index}f`,
        method: METHOD_OF.update,
        params: { APP_ID: `$result[${key}]`, FIELDS: pair.call.followUpFields },
      },
    ];
  }

  function sizeOf(list: readonly BatchCommand[]): number {
    return list.reduce((sum, c) => sum + batchCommandBytes(leader.target, c), 0);
  }

  function fits(call: PreparedCall): boolean {
    const list = commandsOf({ ...leaderPair, call }, members.length);
    if (!sendable(list, commands)) return false;
    return (
      commands.length + list.length <= config.batch.maxCommands &&
      bytes + sizeOf(list) <= config.batch.maxBytes
    );
  }

  /**
   * A call too large for one request, or with a parameter text the server's batch substitution would rewrite
   * (`$result[...]` in a title: docs/bitrix24.md, "Batch"), goes out as a single call.
   */
  function fitsAlone(call: PreparedCall): boolean {
    const list = commandsOf({ ...leaderPair, call }, 0);
    return sendable(list, []) && sizeOf(list) <= config.batch.maxBytes;
  }

  function sendable(list: readonly BatchCommand[], before: readonly BatchCommand[]): boolean {
    const earlier = before.map((c) => c.key);
    return list.every((command) => {
      const problem = batchCommandProblem(command, earlier);
      earlier.push(command.key);
      return problem === undefined;
    });
  }

  function add(pair: PairCall): void {
    const list = commandsOf(pair, members.length);
    members.push({ pair, key: list[0]?.key ?? '', followUpKey: list[1]?.key });
    commands.push(...list);
    bytes += sizeOf(list);
  }

  async function releaseClaims(codes: readonly string[]): Promise<void> {
    if (codes.length > 0) await results.releaseDue(domain, codes, deps.now());
  }

  /** Records one pair's answers; its follow-up as a single call's would be. */
  async function recordMember(member: Member, batch: BatchAnswer, elapsed: number): Promise<CallFollowUp> {
    const own = batch.results[member.key];
    if (!own || ('notExecuted' in own && own.notExecuted)) return 'look_again';
    if (!own.ok) {
      deps.metrics.call(member.pair.call.method, own.error.code, elapsed);
      return await recordCallError(own.error, member.pair, deps);
    }
    deps.metrics.call(member.pair.call.method, 'ok', elapsed);
    const follow = member.followUpKey === undefined ? undefined : batch.results[member.followUpKey];
    if (follow?.ok) {
      // The register and its update both took effect: one write records both (MARK_APPLIED).
      deps.metrics.call(METHOD_OF.update, 'ok', elapsed);
      const appId = parseAppId(own.result);
      if (appId === undefined)
        return await recordCallError(new UnreadableAppIdError(own.result), member.pair, deps);
      const updated = await recordSuccess(updateOf(member.pair, appId), follow.result, deps, 'register');
      return updated.settled ? { kind: 'done', state: 'registered' } : 'look_again';
    }
    let recorded: { settled: boolean; appId: number | null };
    try {
      recorded = await recordSuccess(member.pair, own.result, deps);
    } catch (error) {
      return await recordCallError(error, member.pair, deps);
    }
    if (recorded.settled) {
      return { kind: 'done', state: recorded.appId === null ? 'unregistered' : 'registered' };
    }
    if (!follow || ('notExecuted' in follow && follow.notExecuted)) return 'look_again';
    deps.metrics.call(METHOD_OF.update, follow.error.code, elapsed);
    return await recordCallError(follow.error, updateOf(member.pair, recorded.appId), deps);
  }
}

/** The update that follows a register, on the APP_ID the register returned. */
function updateOf(pair: PairCall, appId: number | null): PairCall {
  return {
    ...pair,
    result: { ...pair.result, appId },
    call: {
      op: 'update',
      method: METHOD_OF.update,
      params: { APP_ID: appId, FIELDS: pair.call.followUpFields },
      hashUsed: pair.call.hashUsed,
      followUpFields: undefined,
    },
  };
}

function isAgain(followUp: CallFollowUp | undefined): boolean {
  return followUp === 'again' || followUp === 'look_again';
}

/**
 * The whole request failed (503, 401, timeout, dropped answer, unreadable body): nothing can be told per
 * command, so every pair of the batch gets what a single call's same failure would give it (one follow-up per
 * member, the leader first). A refused token is refreshed once for all of them; the leader then calls again (no
 * attempt spent), the others are due again.
 */
async function recordRequestFailure(
  error: unknown,
  members: readonly Member[],
  deps: PairProcessorDeps,
): Promise<CallFollowUp[]> {
  const [leader, ...others] = members;
  if (!leader) return [];
  const first = await handleFailure(error, leader.pair, deps);
  if (error instanceof BitrixError && error.errorClass === 'auth') {
    if (first === 'again' || first.kind !== 'done' || first.state !== 'needs_reauth') {
      return [first, ...others.map((): CallFollowUp => 'look_again')];
    }
    // The portal needs new credentials: every pair of the batch is parked with the reason the leader got.
    const reason =
      (await deps.results.get(leader.pair.domain, leader.pair.code))?.lastError ?? asPairError(error);
    await Promise.all(others.map((m) => deps.results.markNeedsReauth(m.pair.domain, m.pair.code, reason)));
    return [first, ...others.map((): CallFollowUp => first)];
  }
  if (first !== 'again' && first.kind === 'delay' && first.reason === 'query_limit') {
    // One 503 for the request: the portal was slowed down once; the others wait as long.
    const pairError = asPairError(error);
    await Promise.all(
      others.map((m) =>
        deps.results.recordWait(m.pair.domain, m.pair.code, {
          op: m.pair.call.op,
          until: first.until,
          error: pairError,
        }),
      ),
    );
    return [first, ...others.map((): CallFollowUp => first)];
  }
  return [first, ...(await Promise.all(others.map((m) => handleFailure(error, m.pair, deps))))];
}
