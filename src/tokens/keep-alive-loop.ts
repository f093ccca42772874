import type { Logger } from 'pino';
import type { KeepAliveOutcome } from '../metrics/keep-alive-metrics.js';
import type { RedisClient } from '../redis/redis-client.js';
import { buildCredentialIndex } from '../store/build-credential-index.js';
import { parkCredentials, unindexCredentials } from '../store/credential-index.js';
import type { PortalStore } from '../store/portal-store.js';
import type { RedisKeys } from '../store/redis-keys.js';
import { createKeepAliveClaimer } from './claim-keep-alive-portals.js';
import { ReauthRequiredError } from './reauth-required-error.js';
import type { TokenManager } from './token-manager.js';

export interface KeepAliveOptions {
  redis: RedisClient;
  keys: RedisKeys;
  portalStore: Pick<PortalStore, 'get'>;
  tokens: Pick<TokenManager, 'refreshUnlessChanged'>;
  /** Refresh OAuth portals whose last refresh is older than this (ms); > 0 (config tokens.keepAliveAfterDays). */
  afterMs: number;
  /** At most this many portals per tick (config tokens.keepAliveBatch). */
  batch: number;
  /** Mean time between ticks (ms); each wait is drawn from 0.5 to 1.5 times it (config tokens.keepAliveIntervalMs). */
  intervalMs: number;
  /**
   * How long a claim keeps other workers off a portal (ms): longer than a refresh can take (see the token
   * manager's lockTtlMs). A portal whose refresh failed transiently is tried again after it.
   */
  leaseMs: number;
  now?: () => number;
  random?: () => number;
  logger?: Logger;
  /** Called once per claimed portal with what came of it (metrics). */
  onOutcome?: (outcome: KeepAliveOutcome, domain: string) => void;
  /** Called after each tick the loop ran by itself (start()), with what it did. */
  onTick?: (tick: KeepAliveTick) => void;
}

/** What one tick did. Portals dropped from the index (gone, webhook now, parked) are in none of the lists. */
export interface KeepAliveTick {
  claimed: string[];
  refreshed: string[];
  unchanged: string[];
  needsReauth: string[];
  failed: string[];
}

export interface KeepAliveLoop {
  /** Claims one batch of due portals and refreshes them (concurrently); resolves when all are done. */
  tick(): Promise<KeepAliveTick>;
  /** Ticks every intervalMs (jittered) until stop(); a failing tick is logged and the loop goes on. */
  start(): void;
  /** Stops ticking and waits for the tick in flight. */
  stop(): Promise<void>;
}

function codeOf(error: unknown): string {
  if (error instanceof ReauthRequiredError) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code !== '') return code;
  return error instanceof Error ? error.name : 'unknown';
}

/**
 * Token keep-alive: refresh tokens live 180 days and are single-use (docs/bitrix24.md, "OAuth 2.0"), so an OAuth
 * portal nobody calls would be lost. Each worker process runs this loop: every tick claims a small batch of the
 * portals whose last refresh is older than `afterMs` (claim-keep-alive-portals.ts: one worker per portal) and
 * refreshes each through the token manager's single flight (tokens/token-manager.ts), so across any number of
 * workers a stale portal is refreshed once. A refused refresh parks the portal as needs_reauth (as any refused
 * refresh does) and is logged as a warning per portal; a transient failure is tried again when the claim lapses.
 * Logs carry domains and error codes, never a token.
 */
export function createKeepAliveLoop(options: KeepAliveOptions): KeepAliveLoop {
  const { redis, keys, portalStore, tokens, afterMs, batch, intervalMs, leaseMs } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const logger = options.logger?.child({ component: 'token-keep-alive' });
  for (const [name, value] of Object.entries({ afterMs, batch, intervalMs, leaseMs })) {
    if (!(Number.isFinite(value) && value > 0))
      throw new RangeError(`keep-alive ${name} must be > 0, got ${value}`);
  }
  const claimer = createKeepAliveClaimer(redis, keys);
  let indexReady = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;

  async function drop(domain: string, park: boolean): Promise<void> {
    const write = redis.multi();
    if (park) parkCredentials(write, keys, domain);
    else unindexCredentials(write, keys, domain);
    await write.exec();
  }

  async function keepAlive(domain: string, cutoff: number): Promise<KeepAliveOutcome | 'dropped'> {
    const portal = await portalStore.get(domain);
    if (portal === undefined || portal.auth.type !== 'oauth') {
      await drop(domain, false);
      return 'dropped';
    }
    if (portal.state !== 'active') {
      await drop(domain, true);
      return 'dropped';
    }
    // Refreshed by someone between the claim and this read: the claim was for the older pair.
    const score = await redis.zscore(keys.keepAliveDue, domain);
    if (score === null || Number(score) > cutoff) return 'unchanged';
    try {
      const result = await tokens.refreshUnlessChanged(domain, portal.credVersion);
      return result.portal.credVersion !== portal.credVersion ? 'refreshed' : 'unchanged';
    } catch (error) {
      if (error instanceof ReauthRequiredError) {
        logger?.warn(
          { domain, code: error.code },
          'token keep-alive: refresh refused, the portal needs re-authorisation',
        );
        return 'needs_reauth';
      }
      logger?.warn(
        { domain, code: codeOf(error) },
        'token keep-alive: refresh failed, trying again when the claim lapses',
      );
      return 'failed';
    }
  }

  async function tick(): Promise<KeepAliveTick> {
    if (!indexReady) {
      const built = await buildCredentialIndex(redis, keys, now);
      if (!built.skipped) logger?.info({ indexed: built.indexed }, 'credential index built');
      indexReady = true;
    }
    const at = now();
    const cutoff = at - afterMs;
    const claimed = await claimer.claim({ cutoff, now: at, batch, leaseMs });
    const report: KeepAliveTick = { claimed, refreshed: [], unchanged: [], needsReauth: [], failed: [] };
    const outcomes = await Promise.all(
      claimed.map((domain) =>
        keepAlive(domain, cutoff).catch((error: unknown) => {
          logger?.warn({ domain, code: codeOf(error) }, 'token keep-alive: could not check the portal');
          return 'failed' as const;
        }),
      ),
    );
    outcomes.forEach((outcome, index) => {
      const domain = claimed[index] as string;
      if (outcome === 'dropped') return;
      const list = {
        refreshed: report.refreshed,
        unchanged: report.unchanged,
        needs_reauth: report.needsReauth,
        failed: report.failed,
      }[outcome];
      list.push(domain);
      options.onOutcome?.(outcome, domain);
    });
    if (report.refreshed.length + report.needsReauth.length + report.failed.length > 0) {
      logger?.info(
        {
          claimed: claimed.length,
          refreshed: report.refreshed.length,
          needsReauth: report.needsReauth.length,
          failed: report.failed.length,
        },
        'token keep-alive tick',
      );
    }
    return report;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(
      () => {
        timer = undefined;
        running = tick()
          .then((report) => options.onTick?.(report))
          .catch((error: unknown) => {
            logger?.warn({ code: codeOf(error) }, 'token keep-alive tick failed; trying again next tick');
          })
          .finally(() => {
            running = undefined;
            schedule();
          });
      },
      Math.round(intervalMs * (0.5 + random())),
    );
  }

  return {
    tick,
    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
