import { randomBytes } from 'node:crypto';
import { defineScript } from '../redis/define-script.js';
import type { RedisClient } from '../redis/redis-client.js';
import { encodeStableApp, type StableHow } from '../store/read-stable-apps.js';
import type { RedisKeys } from '../store/redis-keys.js';
import {
  decodeWavePlan,
  encodeChange,
  isActive,
  isOpen,
  type WavePlan,
  type WavePlanChange,
} from './wave-plan.js';
import { RELEASE_WAVE_LEASE, WAVE_PLAN_TRANSITION } from './wave-plan-scripts.js';

export interface NewWavePlan {
  source: string;
  apps: { code: string; defHash: string }[];
  percents: number[];
  /** The portals of each wave (splitWaves). */
  waves: string[][];
  haltFailures: number;
  haltNeedsReauth: number;
  pauseMs: number;
  recreate: boolean;
  replace: boolean;
}

/** A plain rollout recorded as a one-wave plan (src/waves/enqueue-plain-rollout.ts). */
export interface NewSingleWavePlan {
  /** The rollout's id (`r-...`): its pairs carry it. */
  id: string;
  source: string;
  apps: { code: string; defHash: string }[];
  /** The rollout's portals. */
  domains: readonly string[];
  recreate: boolean;
  replace: boolean;
}

/** Domains per RPUSH when a plan stores its portals. */
const PUSH_CHUNK = 10_000;

/**
 * Wave plans in Redis (keys: wavePlans, activeWavePlans, openWavePlans, wavePlan, wavePortals, wavePlanLease; a
 * transition to done or a promotion also writes stableApps).
 */
export function createWavePlanStore(options: { redis: RedisClient; keys: RedisKeys; now?: () => number }) {
  const { redis, keys } = options;
  const now = options.now ?? Date.now;
  const transition = defineScript(redis, WAVE_PLAN_TRANSITION);
  const releaseLease = defineScript(redis, RELEASE_WAVE_LEASE);

  /**
   * Writes a new plan in state `running` at wave 1 in one MULTI: its hash, the portals of each wave (RPUSH in
   * chunks) and the plan indexes. `fields` are the plan's own; the rest is the same for every new plan.
   */
  async function write(
    id: string,
    plan: { source: string; apps: NewWavePlan['apps']; recreate: boolean; replace: boolean },
    waves: readonly (readonly string[])[],
    fields: Record<string, string>,
  ): Promise<WavePlan> {
    const at = now();
    const multi = redis.multi();
    for (const [index, domains] of waves.entries())
      for (let i = 0; i < domains.length; i += PUSH_CHUNK)
        multi.rpush(keys.wavePortals(id, index + 1), ...domains.slice(i, i + PUSH_CHUNK));
    multi.hset(keys.wavePlan(id), {
      id,
      createdAt: String(at),
      updatedAt: String(at),
      source: plan.source,
      apps: JSON.stringify(plan.apps),
      waveSizes: JSON.stringify(waves.map((w) => w.length)),
      recreate: plan.recreate ? '1' : '',
      replace: plan.replace ? '1' : '',
      state: 'running',
      wave: '1',
      version: '1',
      ...fields,
    });
    multi.zadd(keys.wavePlans, at, id);
    multi.sadd(keys.activeWavePlans, id);
    multi.sadd(keys.openWavePlans, id);
    await multi.exec();
    const stored = decodeWavePlan(await redis.hgetall(keys.wavePlan(id)));
    if (!stored) throw new Error(`wave plan ${id} was not stored`);
    return stored;
  }

  return {
    /** Stores a new plan in state `running`, wave 1 not yet queued (the controller queues it). */
    async create(plan: NewWavePlan): Promise<WavePlan> {
      const id = `w-${now().toString(36)}-${randomBytes(3).toString('hex')}`;
      return await write(id, plan, plan.waves, {
        percents: JSON.stringify(plan.percents),
        haltFailures: String(plan.haltFailures),
        haltNeedsReauth: String(plan.haltNeedsReauth),
        pauseMs: String(plan.pauseMs),
        enqueued: '0',
      });
    },

    /**
     * Records a plain rollout, already queued, as a one-wave plan in state `running` with its wave queued: the
     * controller ends it once its pairs have settled (and so makes its definitions stable), and status, the API and
     * the dashboard show it as they show a plan.
     */
    async createSingle(plan: NewSingleWavePlan): Promise<WavePlan> {
      return await write(plan.id, plan, [plan.domains], {
        single: '1',
        percents: JSON.stringify([100]),
        haltFailures: '1',
        haltNeedsReauth: '1',
        pauseMs: '0',
        enqueued: '1',
      });
    },

    async get(id: string): Promise<WavePlan | undefined> {
      return decodeWavePlan(await redis.hgetall(keys.wavePlan(id)));
    },

    /** The newest plans first. */
    async list(limit = 20): Promise<WavePlan[]> {
      const ids = await redis.zrevrange(keys.wavePlans, 0, limit - 1);
      const plans = await Promise.all(ids.map((id) => this.get(id)));
      return plans.filter((p): p is WavePlan => p !== undefined);
    },

    async activeIds(): Promise<string[]> {
      return await redis.smembers(keys.activeWavePlans);
    },

    /**
     * The plans not finished yet (running, pausing or halted), newest first: those of `openWavePlans`, and among
     * the newest 50 any plan stored before that set existed.
     */
    async listOpen(): Promise<WavePlan[]> {
      const [open, newest] = await Promise.all([
        redis.smembers(keys.openWavePlans),
        redis.zrevrange(keys.wavePlans, 0, 49),
      ]);
      const ids = [...new Set([...open, ...newest])];
      const plans = await Promise.all(ids.map((id) => this.get(id)));
      return plans
        .filter((p): p is WavePlan => p !== undefined && isOpen(p.state))
        .sort((a, b) => b.createdAt - a.createdAt);
    },

    /** The portal domains of wave `wave` (1-based). */
    async waveDomains(id: string, wave: number): Promise<string[]> {
      return await redis.lrange(keys.wavePortals(id, wave), 0, -1);
    },

    /**
     * Applies `change` if the plan is still at `from.version` (compare-and-set); the active and open sets follow
     * the new state. A plan that ends done makes its definitions the stable ones of their CODEs in the same step
     * (`finished`); `options.promote` does so for a plan that stays as it is (`rollout --promote`). Returns the
     * plan as changed, or undefined when another transition came first.
     */
    async transition(
      from: WavePlan,
      change: WavePlanChange,
      options: { promote?: boolean } = {},
    ): Promise<WavePlan | undefined> {
      const at = now();
      const state = change.state ?? from.state;
      const active = isActive(state) === isActive(from.state) ? '' : isActive(state) ? 'add' : 'rem';
      const open = isOpen(state) ? '' : 'rem';
      const how: StableHow | undefined = options.promote
        ? 'promoted'
        : state === 'done' && from.state !== 'done'
          ? 'finished'
          : undefined;
      const stable =
        how === undefined
          ? []
          : from.apps.flatMap(({ code, defHash }) => [
              code,
              encodeStableApp({ defHash, planId: from.id, source: from.source, at, how }),
            ]);
      const fields = encodeChange(change, at);
      if (how !== undefined) fields['stableAt'] = String(at);
      const version = Number(
        await transition.run(
          [keys.wavePlan(from.id), keys.activeWavePlans, keys.openWavePlans, keys.stableApps],
          [
            String(from.version),
            from.id,
            active,
            open,
            String(stable.length / 2),
            ...stable,
            ...Object.entries(fields).flat(),
          ],
        ),
      );
      if (version === 0) return undefined;
      return { ...from, ...change, updatedAt: at, version };
    },

    /** A short lease on one plan, so two ticks do not do the same work at once (correctness rests on the CAS). */
    async takeLease(id: string, ttlMs: number): Promise<string | undefined> {
      const token = randomBytes(8).toString('hex');
      const ok = await redis.set(keys.wavePlanLease(id), token, 'PX', ttlMs, 'NX');
      return ok === 'OK' ? token : undefined;
    },

    async releaseLease(id: string, token: string): Promise<void> {
      await releaseLease.run([keys.wavePlanLease(id)], [token]);
    },
  };
}

export type WavePlanStore = ReturnType<typeof createWavePlanStore>;
