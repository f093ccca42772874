import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { PortalEntry } from '../../../src/portals/portal-entry-schema.js';
import { createPortalStore } from '../../../src/store/portal-store.js';
import {
  createKeepAliveLoop,
  type KeepAliveLoop,
  type KeepAliveOptions,
} from '../../../src/tokens/keep-alive-loop.js';
import { createTokenManager, type TokenRefresher } from '../../../src/tokens/token-manager.js';
import { newRedis } from '../../support/redis.js';
import type { TokenEnv } from './token-env.js';

export const DAY_MS = 86_400_000;

/**
 * Re-imports `domain` with the same tokens, stated as issued `days` ago (its access token expired then + 1 h):
 * older than the stored pair, so written only with `replaceCredentials` (docs/operations.md, "Re-imports never go
 * back in time").
 */
export async function makeStale(env: TokenEnv, domain: string, days: number): Promise<void> {
  const entry = env.sim.portalsFile().find((e) => e.domain === domain) as PortalEntry | undefined;
  if (entry === undefined || entry.auth.type !== 'oauth') throw new Error(`${domain} is not an OAuth portal`);
  const expiresAt = new Date(Date.now() - days * DAY_MS + 3_600_000).toISOString();
  await env.store.importPortals([{ ...entry, auth: { ...entry.auth, expiresAt } }], {
    replaceCredentials: true,
  });
}

/** Log lines written by a loop's logger (JSON objects), for asserting warnings. */
export interface LogCapture {
  lines: Record<string, unknown>[];
  text(): string;
}

export interface LoopOptions
  extends Partial<Omit<KeepAliveOptions, 'redis' | 'keys' | 'portalStore' | 'tokens'>> {
  refresh?: TokenRefresher;
}

/**
 * A keep-alive loop as one worker process would run it: its own Redis connection, portal store and token manager
 * (the real OAuth refresh against the simulator), a 30-day age, batch 10, and a captured logger.
 */
export function keepAliveLoop(
  env: TokenEnv,
  options: LoopOptions = {},
): { loop: KeepAliveLoop; log: LogCapture } {
  const own = env.adopt(`redis:loop-${Math.random().toString(36).slice(2, 8)}`, newRedis(), (r) => r.quit());
  const portalStore = createPortalStore({ redis: own, keys: env.keys });
  const tokens = createTokenManager({
    redis: own,
    keys: env.keys,
    portalStore,
    refresh: options.refresh ?? env.refresher(),
    lockTtlMs: 10_000,
    refreshBeforeMs: 60_000,
    waitPollMs: 20,
  });
  const lines: Record<string, unknown>[] = [];
  let text = '';
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
        done();
      },
    }),
  );
  const { refresh: _refresh, ...rest } = options;
  const loop = createKeepAliveLoop({
    redis: own,
    keys: env.keys,
    portalStore,
    tokens,
    afterMs: 30 * DAY_MS,
    batch: 10,
    intervalMs: 1_000,
    leaseMs: 600_000,
    logger,
    ...rest,
  });
  return { loop, log: { lines, text: () => text } };
}
