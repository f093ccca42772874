import { join } from 'node:path';
import { z } from 'zod';
import type { PortalEntry } from '../../src/portals/portal-entry-schema.js';
import { forkFixture } from '../../test/support/fork-fixture.js';

export interface ForeignCallerOptions {
  /** The portal whose bucket the other application spends (its REST base and credentials). */
  portal: PortalEntry;
  /** Requests per second, evenly spaced. */
  rate: number;
  durationMs: number;
  /** A refused (503) request is sent again this many ms later, +-40%, until the server takes it. */
  retryMs?: number;
}

export interface ForeignCallerStats {
  /** Requests the server took (200). */
  accepted: number;
  /** 503 QUERY_LIMIT_EXCEEDED answers it got (each then retried). */
  refused: number;
  /** Any other answer or failure (should stay 0: e.g. an access token that stopped working). */
  failed: number;
  /** HTTP requests it sent in all (accepted + refused + failed). */
  sent: number;
  /** How late its requests got in because of 503s: the worst delay from schedule to acceptance, ms. */
  maxDelayMs: number;
}

export interface ForeignCaller {
  /** Resolves once every scheduled request was taken (or given up after 60 s of retries). */
  done(): Promise<ForeignCallerStats>;
}

/**
 * Another application on the same portal: it calls `profile` at a steady `rate` for `durationMs`, spending the
 * portal's bucket as the rollout does (the server keys the bucket by portal, not by application), and retries a
 * request the server refuses, so it really spends its share. Runs in the benchmark process; its timers may be a
 * few ms late, which is the jitter of a real application anyway.
 */
export function startForeignCaller(options: ForeignCallerOptions): ForeignCaller {
  const { portal } = options;
  const retryMs = options.retryMs ?? 10;
  if (portal.auth.type === 'source') throw new Error("a foreign caller needs the portal's own credentials");
  const request =
    portal.auth.type === 'oauth'
      ? { url: `${withSlash(portal.restUrl)}profile.json`, body: { auth: portal.auth.accessToken } }
      : {
          url: `${withSlash(portal.auth.url)}profile.json`,
          body: portal.auth.clientId === undefined ? {} : { CLIENT_ID: portal.auth.clientId },
        };
  const stats: ForeignCallerStats = { accepted: 0, refused: 0, failed: 0, sent: 0, maxDelayMs: 0 };
  const start = performance.now();
  const count = Math.round((options.rate * options.durationMs) / 1000);
  const interval = 1000 / options.rate;

  async function send(): Promise<'accepted' | 'refused' | 'failed'> {
    stats.sent += 1;
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request.body),
      });
      const text = await response.text();
      if (response.status === 200) return 'accepted';
      if (response.status === 503 && text.includes('QUERY_LIMIT_EXCEEDED')) return 'refused';
      return 'failed';
    } catch {
      return 'failed';
    }
  }

  async function one(index: number): Promise<void> {
    const due = start + index * interval;
    await sleep(due - performance.now());
    const giveUpAt = due + 60_000;
    for (;;) {
      const outcome = await send();
      if (outcome === 'accepted') {
        stats.accepted += 1;
        stats.maxDelayMs = Math.max(stats.maxDelayMs, performance.now() - due);
        return;
      }
      if (outcome === 'failed') {
        stats.failed += 1;
        return;
      }
      stats.refused += 1;
      if (performance.now() > giveUpAt) return;
      await sleep(retryMs * (0.6 + 0.8 * Math.random()));
    }
  }

  const all = Promise.all(Array.from({ length: count }, (_, i) => one(i)));
  return {
    async done() {
      await all;
      return { ...stats };
    },
  };
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export interface ForeignCallerProcess {
  /** Starts calling now (the process is already up, so the start is not delayed by its boot). */
  start(options: ForeignCallerOptions): void;
  /** Resolves with its counts once it has finished. */
  done(): Promise<ForeignCallerStats>;
  /** Ends the process (SIGKILL after 5 s); safe to call twice. */
  stop(): Promise<void>;
}

const CHILD = join(import.meta.dirname, 'foreign-caller-process.ts');

const readyMessage = z.object({ type: z.literal('ready') });
const statsMessage = z.object({
  type: z.literal('stats'),
  stats: z.object({
    accepted: z.number(),
    refused: z.number(),
    failed: z.number(),
    sent: z.number(),
    maxDelayMs: z.number(),
  }),
});

/**
 * Runs the other application in its own OS process (foreign-caller-process.ts, started by forkFixture), as another
 * application is: its timers then do not wait for the worker's event loop in the benchmark process. Resolves once
 * it is ready.
 */
export async function spawnForeignCaller(): Promise<ForeignCallerProcess> {
  const child = forkFixture(CHILD);
  const stop = async () => {
    await child.stop(5_000);
  };
  try {
    await child.nextMessage(readyMessage, 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  let result: Promise<ForeignCallerStats> | undefined;
  return {
    start(options) {
      result = child.nextMessage(statsMessage, options.durationMs + 120_000).then((message) => message.stats);
      child.send({ type: 'start', options });
    },
    async done() {
      if (!result) throw new Error('foreign caller: done() before start()');
      return await result;
    },
    stop,
  };
}
