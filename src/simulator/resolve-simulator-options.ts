import { z } from 'zod';
import { formatZodIssues } from '../input/format-zod-issues.js';
import { addPreexistingApps, generatePortalSeeds } from './generate-portal-seeds.js';
import { createSeededRandom } from './seeded-random.js';
import { simFaultsSchema, toSimFaults } from './sim-faults-schema.js';
import { SimulatorConfigError } from './simulator-config-error.js';
import type { SimBucket, SimFaults, SimPortalSeed, SimulatorOptions } from './simulator-types.js';

/** Options with every default applied and the portal list expanded. */
export interface ResolvedSimulatorOptions {
  host: string;
  port: number;
  seeds: SimPortalSeed[];
  bucket: SimBucket;
  latencyMs: number;
  tokenTtlSeconds: number;
  faults: SimFaults;
  clientId: string;
  clientSecret: string;
  seed: number;
  now: () => number;
  registerDeduplicates: boolean;
}

export const MAX_PORTALS = 1_000_000;

const bucketSchema = z
  .object({ burst: z.number().int().min(1), drainPerSecond: z.number().positive() })
  .strict();
const ttlSchema = z.number().int().positive();
const stateSchema = z.enum(['active', 'deleted', 'overloaded', 'access_denied']);
/** Register-style params of an app a portal holds at start (checked against the server's rules at start). */
const seedAppsSchema = z.array(z.record(z.string(), z.unknown()), 'must be a list of app params objects');

const seedSchema = z
  .object({
    domain: z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'must be a host name like portal.bitrix24.com'),
    botId: z.number().int().positive().optional(),
    botCode: z.string().min(1).max(128).optional(),
    auth: z.enum(['oauth', 'webhook']).optional(),
    accessTokenExpired: z.boolean().optional(),
    tokenTtlSeconds: ttlSchema.optional(),
    bucket: bucketSchema.optional(),
    faults: simFaultsSchema.optional(),
    state: stateSchema.optional(),
    clientId: z.string().min(1).max(120).optional(),
    apps: seedAppsSchema.optional(),
  })
  .strict()
  .refine((seed) => seed.clientId === undefined || seed.auth === 'webhook', {
    path: ['clientId'],
    message:
      "is only for webhook portals (auth: 'webhook'); an OAuth portal's bot belongs to the OAuth client",
  });

const preexistingSchema = z
  .object({ share: z.number().min(0).max(1), apps: seedAppsSchema.min(1, 'must list at least one app') })
  .strict();

const optionsSchema = z.object({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  portals: z.union([z.number().int().min(0).max(MAX_PORTALS), z.array(z.unknown())]),
  webhookShare: z.number().min(0).max(1).optional(),
  expiredShare: z.number().min(0).max(1).optional(),
  bucket: bucketSchema.optional(),
  latencyMs: z.number().int().min(0).optional(),
  tokenTtlSeconds: ttlSchema.optional(),
  faults: simFaultsSchema.optional(),
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  seed: z.number().int().optional(),
  registerDeduplicates: z.boolean().optional(),
  preexisting: preexistingSchema.optional(),
});

function fail(error: z.ZodError, prefix: string): never {
  const [problem] = formatZodIssues(error, prefix, { path: 'dotted' });
  throw new SimulatorConfigError(
    `invalid simulator option ${problem?.where ?? prefix}: ${problem?.message ?? 'invalid'}`,
    {
      cause: error,
    },
  );
}

function toSeed(parsed: z.infer<typeof seedSchema>): SimPortalSeed {
  const seed: SimPortalSeed = { domain: parsed.domain };
  if (parsed.botId !== undefined) seed.botId = parsed.botId;
  if (parsed.botCode !== undefined) seed.botCode = parsed.botCode;
  if (parsed.auth !== undefined) seed.auth = parsed.auth;
  if (parsed.accessTokenExpired !== undefined) seed.accessTokenExpired = parsed.accessTokenExpired;
  if (parsed.tokenTtlSeconds !== undefined) seed.tokenTtlSeconds = parsed.tokenTtlSeconds;
  if (parsed.bucket !== undefined) seed.bucket = parsed.bucket;
  if (parsed.faults !== undefined) seed.faults = toSimFaults(parsed.faults);
  if (parsed.state !== undefined) seed.state = parsed.state;
  if (parsed.clientId !== undefined) seed.clientId = parsed.clientId;
  if (parsed.apps !== undefined) seed.apps = parsed.apps;
  return seed;
}

/** Validates the options (SimulatorConfigError naming the bad option) and applies the defaults. */
export function resolveSimulatorOptions(options: SimulatorOptions): ResolvedSimulatorOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) fail(parsed.error, '');
  const value = parsed.data;
  const seed = value.seed ?? 1;
  let seeds: SimPortalSeed[];
  if (typeof value.portals === 'number') {
    seeds = generatePortalSeeds(
      value.portals,
      value.webhookShare ?? 0,
      value.expiredShare ?? 0,
      createSeededRandom(seed),
    );
    if (value.preexisting !== undefined) {
      // A stream of its own, so adding outdated apps leaves the webhook/expired choice of a seed unchanged.
      const random = createSeededRandom(seed ^ 0x5bd1e995);
      seeds = addPreexistingApps(seeds, value.preexisting.share, value.preexisting.apps, random);
    }
  } else {
    if (value.preexisting !== undefined) {
      throw new SimulatorConfigError(
        'invalid simulator option preexisting: applies to generated portals (portals: <number>); give listed portals their own `apps`',
      );
    }
    const list = z.array(seedSchema).safeParse(value.portals);
    if (!list.success) fail(list.error, 'portals');
    seeds = list.data.map(toSeed);
    const seen = new Set<string>();
    for (const entry of seeds) {
      const key = entry.domain.toLowerCase();
      if (seen.has(key)) {
        throw new SimulatorConfigError(`invalid simulator option portals: duplicate domain ${entry.domain}`);
      }
      seen.add(key);
    }
  }
  return {
    host: value.host ?? '127.0.0.1',
    port: value.port ?? 0,
    seeds,
    bucket: value.bucket ?? { burst: 50, drainPerSecond: 2 },
    latencyMs: value.latencyMs ?? 0,
    tokenTtlSeconds: value.tokenTtlSeconds ?? 3600,
    faults: value.faults === undefined ? {} : toSimFaults(value.faults),
    clientId: value.clientId ?? 'sim-client-id',
    clientSecret: value.clientSecret ?? 'sim-client-secret',
    seed,
    now: options.now ?? Date.now,
    registerDeduplicates: value.registerDeduplicates ?? true,
  };
}
