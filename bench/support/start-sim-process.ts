import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { loadPortalsFile } from '../../src/portals/load-portals-file.js';
import type { PortalEntry } from '../../src/portals/portal-entry-schema.js';
import type { SimFaults } from '../../src/simulator/simulator-types.js';
import { spawnCli } from '../../test/support/run-cli.js';
import { waitFor } from '../../test/support/wait-for.js';

export interface SimProcessOptions {
  portals: number;
  latencyMs: number;
  /** Leaky bucket per portal (the simulator's --burst / --drain). */
  burst: number;
  drainPerSecond: number;
  seed?: number;
  /** Set through POST /_sim/control once the simulator listens (more kinds than the CLI flags offer). */
  faults?: SimFaults;
  /** How long the start (portals generated, file written, listening) may take; 60 s by default. */
  startTimeoutMs?: number;
}

/** The counters of GET /_sim/stats the benchmarks read (the simulator sends more). */
const simStatsSchema = z.object({
  /** HTTP REST requests (a batch is one). */
  calls: z.number(),
  /** Method executions: single requests plus the commands batches ran. */
  commands: z.number(),
  /** Batch requests (each also one of `calls`). */
  batches: z.number(),
  /** Per method (lower case), batch commands included; `batch` counts the batch requests. */
  callsByMethod: z.record(z.string(), z.number()),
  registrations: z.number(),
  registerExisting: z.number(),
  duplicates: z.number(),
  queryLimitExceeded: z.number(),
  injected: z.object({
    http500: z.number(),
    dropped: z.number(),
    slow: z.number(),
    nonJson: z.number(),
    queryLimit: z.number(),
  }),
});
export type SimStats = z.infer<typeof simStatsSchema>;

/** The fields of GET /_sim/portals/<domain> the benchmarks read. */
const simPortalSchema = z.object({
  domain: z.string(),
  apps: z.array(z.object({ appId: z.number(), code: z.string() })),
  calls: z.number(),
  commands: z.number(),
  batches: z.number(),
  queryLimitExceeded: z.number(),
  duplicates: z.number(),
  requestTimes: z.array(z.number()),
});
export type SimPortalSnapshot = z.infer<typeof simPortalSchema>;

export interface SimProcess {
  readonly url: string;
  readonly oauthUrl: string;
  readonly pid: number;
  /** The portals file the simulator wrote at start (current tokens), validated like a user's file. */
  readonly portals: PortalEntry[];
  /** Seconds from spawning the process to its banner (portals generated, portals file written, listening). */
  readonly startSeconds: number;
  /** Seconds this process took to read and validate the portals file (as `rollout` reads a user's file). */
  readonly portalsLoadSeconds: number;
  stats(): Promise<SimStats>;
  /** POST /_sim/control with one action (e.g. `{ action: 'deletePortal', domain }`). */
  control(action: Record<string, unknown>): Promise<void>;
  portal(domain: string): Promise<SimPortalSnapshot>;
  resetStats(): Promise<void>;
  stop(): Promise<void>;
}

const LISTENING = /listening on (http:\/\/[^\s]+) /;

async function getJson<T>(url: string, schema: z.ZodType<T>, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`simulator answered HTTP ${response.status} to ${new URL(url).pathname}`);
  return schema.parse(await response.json());
}

async function control(url: string, action: Record<string, unknown>): Promise<void> {
  await getJson(`${url}/_sim/control`, z.object({ ok: z.literal(true) }), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(action),
  });
}

/**
 * Runs `imbot-rollout simulate` as its own OS process, so the simulator never shares an event loop (or a core)
 * with the worker being measured. Inspection goes through its HTTP API (/_sim/...).
 */
export async function startSimProcess(options: SimProcessOptions): Promise<SimProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'imbot-bench-sim-'));
  const portalsPath = join(dir, 'portals.json');
  const args = [
    'simulate',
    '--port',
    '0',
    '--portals',
    String(options.portals),
    '--latency',
    String(options.latencyMs),
    '--burst',
    String(options.burst),
    '--drain',
    String(options.drainPerSecond),
    '--seed',
    String(options.seed ?? 1),
    '--out',
    portalsPath,
  ];
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const spawnedAt = performance.now();
  const child = spawnCli(args, {});
  try {
    // The portals file is written before the banner, so it is complete once the banner is out.
    const url = await waitFor(
      () => {
        if (!child.alive()) throw new Error(`the simulator exited:\n${child.output()}`);
        const match = LISTENING.exec(child.stdout());
        return match?.[1] && child.stdout().includes('Press Ctrl+C') ? match[1] : false;
      },
      { message: 'the simulator to start', timeoutMs: startTimeoutMs, intervalMs: 50 },
    );
    const startSeconds = (performance.now() - spawnedAt) / 1000;
    const loadStarted = performance.now();
    const portals = await loadPortalsFile(portalsPath, {
      allowHttp: true,
      allowHosts: ['127.0.0.1'],
      maxFileBytes: 1024 * 1024 * 1024,
    });
    const portalsLoadSeconds = (performance.now() - loadStarted) / 1000;
    if (options.faults) await control(url, { action: 'setFaults', domain: null, faults: options.faults });
    return {
      url,
      oauthUrl: `${url}/oauth/token/`,
      pid: child.pid,
      portals,
      startSeconds,
      portalsLoadSeconds,
      stats: () => getJson(`${url}/_sim/stats`, simStatsSchema),
      control: (action) => control(url, action),
      portal: (domain) => getJson(`${url}/_sim/portals/${encodeURIComponent(domain)}`, simPortalSchema),
      resetStats: () => control(url, { action: 'resetStats' }),
      async stop() {
        await child.stop(5_000);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await child.stop(5_000);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
