import { createHash } from 'node:crypto';
import type { AppDefinition } from '../apps/app-definition-schema.js';
import { canonicalJson } from '../apps/canonical-json.js';
import { definitionHash } from '../apps/definition-hash.js';
import type { Config } from '../config/config-schema.js';
import { ConfigError } from '../errors/operator-error.js';
import type { PortalEntry } from '../portals/portal-entry-schema.js';
import type { RedisClient } from '../redis/redis-client.js';
import type { DefinitionStore } from '../store/definition-store.js';
import type { PairResult } from '../store/pair-result.js';
import type { PortalStore } from '../store/portal-store.js';
import type { RedisKeys } from '../store/redis-keys.js';
import type { ResultStore } from '../store/result-store.js';
import { splitWaves } from '../waves/split-waves.js';
import { changedFields } from './changed-fields.js';
import {
  emptyPlanCounts,
  type PlanCounts,
  type PlanEntry,
  type PlanSummary,
  UNKNOWN_FIELDS,
} from './plan-summary.js';
import { portalStanding, STANDING_FIELDS, type StoredStanding } from './portal-standing.js';
import { type PairPrediction, predictPairAction } from './predict-pair-action.js';

export interface RolloutPlanRequest {
  /** Validated definitions; undefined plans the re-queue of the stored pairs (rollout without --apps). */
  apps: readonly AppDefinition[] | undefined;
  /** Validated portals; undefined uses every stored portal. */
  portals: readonly PortalEntry[] | undefined;
  recreate: boolean;
  replace: boolean;
  /** Cumulative wave percentages (rollout --waves), validated. */
  waves?: readonly number[];
}

export interface PlanDeps {
  config: Config;
  results: ResultStore;
  definitions: DefinitionStore;
  portals: PortalStore;
  redis: RedisClient;
  keys: RedisKeys;
  now: () => number;
}

/**
 * Computes what a rollout with `request` would do to every portal x app pair, from the durable state only: the
 * stored pairs, definitions, portals' standing and in-flight rollouts. Calls no portal and writes nothing.
 *
 * Reads in pages of `config.producer.chunkSize` pairs: each page's results and portals are read with one
 * pipeline / one round of commands, each pair's prediction is handed to `onPair` and then dropped, so memory is
 * one page plus the counts (and the list of domains, as the producer holds it). The fingerprint is a SHA-256 over
 * every pair's prediction and the stored fields it was computed from, in order.
 */
export async function computeRolloutPlan(
  request: RolloutPlanRequest,
  deps: PlanDeps,
  onPair: (entry: PlanEntry) => void | Promise<void>,
): Promise<PlanSummary> {
  const { config } = deps;
  if (request.apps?.some((app) => 'IFRAME' in app && app.HASH === 'auto') && !config.hashSecret) {
    throw new ConfigError(
      'an app uses "HASH": "auto" but ROLLOUT_HASH_SECRET is not set: set it (16+ characters) to derive a hash per portal',
    );
  }
  const domains = request.portals
    ? [...new Set(request.portals.map((p) => p.domain))]
    : await deps.portals.listDomains();
  const entries = new Map((request.portals ?? []).map((p) => [p.domain, p] as const));
  const waveOf = new Map<string, number>();
  const waveCount = request.waves?.length ?? 0;
  if (request.waves) {
    for (const [index, wave] of splitWaves(domains, request.waves).entries())
      for (const domain of wave) waveOf.set(domain, index + 1);
  }
  const apps = (request.apps ?? []).map((app) => ({ app, defHash: definitionHash(app) }));
  const known = new Map<string, AppDefinition | undefined>(apps.map(({ app, defHash }) => [defHash, app]));
  async function definition(defHash: string | undefined): Promise<AppDefinition | undefined> {
    if (defHash === undefined) return undefined;
    if (!known.has(defHash)) known.set(defHash, await deps.definitions.get(defHash));
    return known.get(defHash);
  }

  const diffs = new Map<string, string[]>();
  const diffOf =
    (appliedHash: string | undefined, wantedHash: string) =>
    (before: AppDefinition, after: AppDefinition) => {
      const key = `${appliedHash}|${wantedHash}`;
      const known = diffs.get(key) ?? changedFields(before, after);
      diffs.set(key, known);
      return known;
    };
  const summary: PlanSummary = {
    pairs: 0,
    totals: emptyPlanCounts(),
    byCode: {},
    byWave: Array.from({ length: waveCount }, () => emptyPlanCounts()),
    fieldsByCode: {},
    blocked: {},
    conflicts: [],
    refusedRecreates: {},
    fingerprint: '',
  };
  const conflicts = new Map<string, number>();
  const fingerprint = createHash('sha256');
  const now = deps.now();
  const perPage = Math.max(1, Math.floor(config.producer.chunkSize / Math.max(1, apps.length)));

  for (let i = 0; i < domains.length; i += perPage) {
    const page = domains.slice(i, i + perPage);
    // One command per portal (each in its own slot on a Redis Cluster), sent at once.
    const standings = await Promise.all(
      page.map(async (domain) => {
        const values = await deps.redis.hmget(deps.keys.portal(domain), ...STANDING_FIELDS);
        const stored = Object.fromEntries(STANDING_FIELDS.map((f, at) => [f, values[at] ?? null]));
        return portalStanding(stored as StoredStanding, entries.get(domain), now);
      }),
    );
    const wanted: { domain: string; code: string; defHash: string; standing: number }[] = [];
    let current: (PairResult | undefined)[];
    if (request.apps) {
      for (const [at, domain] of page.entries())
        for (const { app, defHash } of apps) wanted.push({ domain, code: app.CODE, defHash, standing: at });
      current = await deps.results.getMany(wanted);
    } else {
      // What `rollout` without --apps re-queues (enqueueRollout): the stored pairs wanted present and not registered.
      current = [];
      for (const [at, domain] of page.entries()) {
        for await (const pairs of deps.results.pairChunks({
          portal: domain,
          chunk: config.producer.chunkSize,
        })) {
          for (const result of await deps.results.getMany(pairs)) {
            if (result?.desired !== 'present' || !result.desiredDefHash || result.state === 'registered')
              continue;
            wanted.push({ domain, code: result.code, defHash: result.desiredDefHash, standing: at });
            current.push(result);
          }
        }
      }
    }
    for (const [index, pair] of wanted.entries()) {
      const result = current[index];
      const standing = standings[pair.standing];
      const prediction = predictPairAction({
        result,
        defHash: pair.defHash,
        wanted: await definition(pair.defHash),
        applied: await definition(result?.appliedDefHash),
        blocked: standing?.blocked,
        checks: request.apps !== undefined,
        recreate: request.recreate,
        replace: request.replace,
        diff: diffOf(result?.appliedDefHash, pair.defHash),
      });
      const wave = waveOf.get(pair.domain);
      const entry: PlanEntry = {
        domain: pair.domain,
        code: pair.code,
        ...(wave === undefined ? {} : { wave }),
        ...prediction,
      };
      count(summary, entry, prediction);
      if (prediction.action === 'conflict') {
        const key = `${pair.code}\n${prediction.rolloutId ?? ''}`;
        conflicts.set(key, (conflicts.get(key) ?? 0) + 1);
      }
      fingerprint.update(
        `${canonicalJson({
          entry,
          read: result
            ? {
                state: result.state,
                desired: result.desired,
                desiredDefHash: result.desiredDefHash,
                appliedDefHash: result.appliedDefHash,
                appId: result.appId,
                recreate: result.recreate,
                rolloutId: result.rolloutId,
              }
            : null,
          portal: standing?.state ?? 'active',
        })}\n`,
      );
      await onPair(entry);
    }
  }
  summary.conflicts = [...conflicts].map(([key, pairs]) => {
    const [code = '', rolloutId = ''] = key.split('\n');
    return { code, rolloutId, pairs };
  });
  summary.fingerprint = fingerprint.digest('hex');
  return summary;
}

function add(counts: PlanCounts, action: PairPrediction['action']): void {
  counts[action]++;
}

function count(summary: PlanSummary, entry: PlanEntry, prediction: PairPrediction): void {
  summary.pairs++;
  add(summary.totals, prediction.action);
  summary.byCode[entry.code] ??= emptyPlanCounts();
  add(summary.byCode[entry.code] as PlanCounts, prediction.action);
  if (entry.wave !== undefined) {
    const wave = summary.byWave[entry.wave - 1];
    if (wave) add(wave, prediction.action);
  }
  if (prediction.blocked)
    summary.blocked[prediction.blocked] = (summary.blocked[prediction.blocked] ?? 0) + 1;
  if (prediction.action === 'update') {
    const fields = summary.fieldsByCode[entry.code] ?? {};
    summary.fieldsByCode[entry.code] = fields;
    for (const field of prediction.fields ?? [UNKNOWN_FIELDS]) fields[field] = (fields[field] ?? 0) + 1;
  }
  if (prediction.refused)
    summary.refusedRecreates[entry.code] = (summary.refusedRecreates[entry.code] ?? 0) + 1;
}
