import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { buildApi } from '../../src/api/build-api.js';
import { type PortalEntry, portalsFileSchema } from '../../src/portals/portal-entry-schema.js';
import { keepAliveLeaseMs } from '../../src/runtime/start-token-keep-alive.js';
import type { ApplicationBackend } from '../../src/simulator/start-simulator.js';
import { createKeepAliveLoop, type KeepAliveTick } from '../../src/tokens/keep-alive-loop.js';
import { minRefreshLockTtlMs } from '../../src/tokens/min-refresh-lock-ttl.js';
import { waitFor } from '../../test/support/wait-for.js';
import { baseApps, chaosApp } from '../chaos-apps.js';
import type { ChaosScenario, ScenarioContext, ScenarioOutcome } from '../chaos-scenario.js';
import { allRegistered, collectCheck } from '../collect-check.js';
import { type ChaosLab, startChaosLab } from '../start-chaos-lab.js';

/** Issue 18: 100 portals x 3 apps, 30% of the access tokens expired at the start. */
const PORTALS = 100;
const EXPIRED_SHARE = 0.3;
/** Portals whose access token the scenario expires mid-run, so both holders meet `expired_token` at once. */
const EXPIRED_MID_RUN = 20;
/** The backend calls every portal this often during the whole rollout. */
const BACKEND_INTERVAL_MS = 500;
const DAY_MS = 86_400_000;
const KEEP_ALIVE_DAYS = 30;
/**
 * The simulator's bucket per portal. The real server keys it by the caller's address (docs/bitrix24.md,
 * "Limits"): the backend runs on its own host and spends a bucket of its own. The simulator keeps one bucket per
 * portal, so it is made roomy enough for both callers (the backend's 2 requests/s and imbot-rollout's 2).
 */
const SHARED_BUCKET = { burst: 50, drainPerSecond: 10 };
/**
 * Request and refresh timeout. The backend's hundreds of requests a second share this process with the
 * simulator, the workers and the API; on a loaded 2-core machine the chaos suite's 1 s timeouts then lose answers
 * (a lost refresh answer spends the refresh token: docs/reliability.md, "Not guaranteed"), which is not what this
 * scenario is about. It injects no network fault, so it waits longer, as two-producers does.
 */
const TIMEOUT_MS = 5_000;
const TOKENS = {
  refreshBeforeMs: 500,
  lockTtlMs: minRefreshLockTtlMs(TIMEOUT_MS) + 400,
  keepAliveAfterDays: KEEP_ALIVE_DAYS,
};
/** No worker is killed here: job locks may outlast a stalled event loop. */
const SLOW_CONFIG = {
  request: { timeoutMs: TIMEOUT_MS, refreshTimeoutMs: TIMEOUT_MS },
  worker: { concurrency: 20, stalledIntervalMs: 5_000, lockDurationMs: 15_000, maxStalledCount: 10 },
};

function apps() {
  return [...baseApps(), chaosApp('chaos-extra')];
}

/**
 * A keep-alive tick as a worker would run it 40 days from now: every OAuth portal whose last refresh lies more
 * than 30 days before that is due (all of them), refreshed through the token manager's single flight.
 */
async function forcedKeepAliveTick(lab: ChaosLab): Promise<KeepAliveTick> {
  const { runtime } = lab;
  const loop = createKeepAliveLoop({
    redis: runtime.redis,
    keys: runtime.keys,
    portalStore: runtime.portals,
    tokens: runtime.tokens,
    afterMs: KEEP_ALIVE_DAYS * DAY_MS,
    batch: 1000,
    intervalMs: 60_000,
    leaseMs: keepAliveLeaseMs(lab.config.tokens.lockTtlMs),
    now: () => Date.now() + 40 * DAY_MS,
  });
  return await loop.tick();
}

/**
 * Mid-run, once a third of the pairs are registered: expires the access token of EXPIRED_MID_RUN portals that
 * started fresh (the backend's calls and imbot-rollout's meet it at the same moment) and runs the forced
 * keep-alive tick. Returns the tick and the portals expired.
 */
async function strikeMidRun(
  lab: ChaosLab,
  entries: readonly PortalEntry[],
  total: number,
  log: (line: string) => void,
): Promise<{ tick: KeepAliveTick; expired: string[] }> {
  await waitFor(() => lab.sim.stats().registrations >= total / 3, {
    message: 'a third of the pairs registered',
    timeoutMs: 90_000,
  });
  const expired = entries
    .map((entry) => entry.domain)
    .filter((domain) => lab.sim.portal(domain).refreshes === 0)
    .slice(0, EXPIRED_MID_RUN);
  for (const domain of expired) lab.sim.control.expireAccessToken(domain);
  const tick = await forcedKeepAliveTick(lab);
  log(
    `  expired ${expired.length} access tokens mid-run; the forced keep-alive tick claimed ${tick.claimed.length}, refreshed ${tick.refreshed.length}`,
  );
  return { tick, expired };
}

function backendFacts(backend: ApplicationBackend): Record<string, number> {
  const stats = backend.stats();
  return {
    backendCalls: stats.calls,
    backendCallsOk: stats.callsOk,
    backendRefreshes: stats.refreshes,
    backendInvalidGrants: stats.invalidGrants,
  };
}

/**
 * Source mode: the application's backend owns the tokens and serves them (docs/tokens.md, "Who owns the
 * tokens"); imbot-rollout's portals are `"auth": {"type": "source"}`. The backend calls every portal every 500 ms
 * during the rollout and refreshes on expiry; imbot-rollout asks it for tokens (forced after a refusal).
 * Passes when every pair is exact, nobody met invalid_grant, imbot-rollout made no OAuth refresh at all (the
 * keep-alive tick finds nothing of its own to refresh) and no token was refreshed twice.
 */
async function runSource({ seed, log }: ScenarioContext): Promise<ScenarioOutcome> {
  const secret = randomBytes(24).toString('hex');
  let backend: ApplicationBackend | undefined;
  const lab = await startChaosLab({
    name: 'beside-backend-source',
    sim: { portals: PORTALS, expiredShare: EXPIRED_SHARE, latencyMs: 20, bucket: SHARED_BUCKET, seed },
    config: async (sim) => {
      backend = await sim.startBackend({ mode: 'source', secret, callIntervalMs: BACKEND_INTERVAL_MS });
      backend.pause();
      return { ...SLOW_CONFIG, tokens: { ...TOKENS, source: { url: backend.sourceUrl, secret } } };
    },
  });
  const problems: string[] = [];
  try {
    if (backend === undefined) throw new Error('the backend did not start');
    const owner = backend;
    // `tokenSource`: the portals schema accepts `"auth": {"type": "source"}` only with a configured source.
    const schemaOptions = { allowHttp: true, allowHosts: lab.config.allowHosts, tokenSource: true };
    const entries = portalsFileSchema(schemaOptions).parse(
      lab.sim.portalsFile().map(({ domain, restUrl, botId, memberId }) => ({
        domain,
        restUrl,
        botId,
        memberId,
        auth: { type: 'source' },
      })),
    );
    const wanted = apps();
    lab.startWorker(25);
    lab.startWorker(25);
    owner.resume();
    const summary = await lab.rollout(wanted, entries);
    const { tick, expired } = await strikeMidRun(lab, entries, summary.pairs.length, log);
    const settled = await lab.waitSettled(summary.pairs, 120_000);
    const check = await collectCheck(
      lab,
      allRegistered(
        entries.map((p) => p.domain),
        wanted,
        lab.config.hashSecret,
      ),
    );
    const sim = lab.sim.stats();
    const stats = owner.stats();
    const rolloutRefreshes = sim.refreshes - stats.refreshes;
    const twice = entries.filter((p) => lab.sim.portal(p.domain).refreshes > 1).map((p) => p.domain);
    if (settled.leftoverJobs > 0)
      problems.push(`${settled.leftoverJobs} jobs left in the queue: ${settled.leftoverSample.join(', ')}`);
    if (sim.invalidGrants > 0) problems.push(`${sim.invalidGrants} refresh(es) answered invalid_grant`);
    if (stats.invalidGrants > 0)
      problems.push(`the backend met invalid_grant ${stats.invalidGrants} time(s)`);
    if (rolloutRefreshes !== 0)
      problems.push(`imbot-rollout made ${rolloutRefreshes} OAuth refresh(es), expected 0`);
    if (tick.refreshed.length > 0)
      problems.push(`keep-alive refreshed ${tick.refreshed.length} source portal(s)`);
    if (twice.length > 0) problems.push(`refreshed more than once: ${twice.slice(0, 5).join(', ')}`);
    if (stats.sourceRequests === 0) problems.push('imbot-rollout never asked the token source');
    if (stats.callsOk < PORTALS) problems.push(`the backend made only ${stats.callsOk} successful calls`);
    return {
      check,
      problems,
      dir: lab.dir,
      facts: {
        ...backendFacts(owner),
        sourceRequests: stats.sourceRequests,
        sourceForced: stats.sourceForced,
        sourceForcedRefreshes: stats.sourceForcedRefreshes,
        rolloutRefreshes,
        expiredMidRun: expired.length,
        keepAliveRefreshed: tick.refreshed.length,
        invalidGrants: sim.invalidGrants,
      },
    };
  } finally {
    await lab.close({ keepDir: true });
  }
}

/**
 * Borrow mode: imbot-rollout owns the tokens and hands them out on `serve`'s `/api/tokens` (docs/tokens.md,
 * "Who owns the tokens"); the backend holds no refresh token and calls every portal every 500 ms with borrowed
 * tokens, asking for a forced refresh whenever a portal refuses one. imbot-rollout refreshes the expired tokens
 * and, mid-run, every portal in a forced keep-alive tick: each ends the token the backend holds.
 * Passes when every pair is exact, nobody met invalid_grant, and the backend never refreshed by itself.
 */
async function runBorrow({ seed, log }: ScenarioContext): Promise<ScenarioOutcome> {
  const secret = randomBytes(24).toString('hex');
  const lab = await startChaosLab({
    name: 'beside-backend-borrow',
    sim: { portals: PORTALS, expiredShare: EXPIRED_SHARE, latencyMs: 20, bucket: SHARED_BUCKET, seed },
    config: { ...SLOW_CONFIG, tokens: { ...TOKENS, handout: { secret, ratePerMinute: 600 } } },
  });
  const problems: string[] = [];
  const api = await buildApi(lab.runtime, { host: '127.0.0.1', token: undefined });
  try {
    await api.listen({ host: '127.0.0.1', port: 0 });
    const handoutUrl = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}/api/tokens`;
    const entries = lab.portals();
    const wanted = apps();
    // The portals are imported (and their pairs queued) before the backend asks for their tokens.
    const summary = await lab.rollout(wanted, entries);
    const borrower = await lab.sim.startBackend({
      mode: 'borrow',
      url: handoutUrl,
      secret,
      callIntervalMs: BACKEND_INTERVAL_MS,
    });
    await waitFor(() => borrower.stats().callsOk >= PORTALS, {
      message: 'the backend calling with borrowed tokens',
      timeoutMs: 60_000,
    });
    lab.startWorker(25);
    lab.startWorker(25);
    const { tick, expired } = await strikeMidRun(lab, entries, summary.pairs.length, log);
    const afterTick = borrower.stats().callsOk;
    const settled = await lab.waitSettled(summary.pairs, 120_000);
    // Every portal's token was replaced by the tick: the backend must be back on all of them.
    await waitFor(() => borrower.stats().callsOk >= afterTick + PORTALS, {
      message: 'the backend calling after the tick',
      timeoutMs: 60_000,
    }).catch(() =>
      problems.push('the backend did not get back to calling its portals after the keep-alive tick'),
    );
    const check = await collectCheck(
      lab,
      allRegistered(
        entries.map((p) => p.domain),
        wanted,
        lab.config.hashSecret,
      ),
    );
    const sim = lab.sim.stats();
    const stats = borrower.stats();
    if (settled.leftoverJobs > 0)
      problems.push(`${settled.leftoverJobs} jobs left in the queue: ${settled.leftoverSample.join(', ')}`);
    if (sim.invalidGrants > 0) problems.push(`${sim.invalidGrants} refresh(es) answered invalid_grant`);
    if (stats.invalidGrants > 0)
      problems.push(`the backend met invalid_grant ${stats.invalidGrants} time(s)`);
    if (stats.refreshes > 0)
      problems.push(`the borrowing backend refreshed ${stats.refreshes} time(s) by itself`);
    if (tick.refreshed.length === 0) problems.push('the forced keep-alive tick refreshed nothing');
    if (stats.borrowForced === 0) problems.push('the backend never asked for a forced refresh');
    return {
      check,
      problems,
      dir: lab.dir,
      facts: {
        ...backendFacts(borrower),
        borrowRequests: stats.borrowRequests,
        borrowForced: stats.borrowForced,
        borrowFailures: stats.borrowFailures,
        rolloutRefreshes: sim.refreshes,
        expiredMidRun: expired.length,
        keepAliveRefreshed: tick.refreshed.length,
        invalidGrants: sim.invalidGrants,
      },
    };
  } finally {
    await lab.sim.stopBackend();
    await api.close();
    await lab.close({ keepDir: true });
  }
}

export const besideBackendSource: ChaosScenario = {
  name: 'beside-backend-source',
  group: 'beside-backend',
  fault: "the app's backend owns the tokens and calls every portal (source)",
  run: runSource,
};

export const besideBackendBorrow: ChaosScenario = {
  name: 'beside-backend-borrow',
  group: 'beside-backend',
  fault: "the app's backend borrows the tokens and calls every portal (handout)",
  run: runBorrow,
};
