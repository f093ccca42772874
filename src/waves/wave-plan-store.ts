import { randomBytes } from 'node:crypto';
import { defineScript } from '../redis/define-script.js';
import type { RedisClient } from '../redis/redis-client.js';
import type { RedisKeys } from '../store/redis-keys.js';
import { decodeWavePlan, encodeChange, isActive, type WavePlan, type WavePlanChange } from './wave-plan.js';
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

/** Wave plans in Redis (keys: wavePlans, activeWavePlans, wavePlan, wavePortals, wavePlanLease). */
export function createWavePlanStore(options: { redis: RedisClient; keys: RedisKeys; now?: () => number }) {
  const { redis, keys } = options;
  const now = options.now ?? Date.now;
  const transition = defineScript(redis, WAVE_PLAN_TRANSITION);
  const releaseLease = defineScript(redis, RELEASE_WAVE_LEASE);

  return {
    /** Stores a new plan in state `running`, wave 1 not yet queued (the controller queues it). */
    async create(plan: NewWavePlan): Promise<WavePlan> {
      const at = now();
      const id = `w-${at.toString(36)}-${randomBytes(3).toString('hex')}`;
      const multi = redis.multi();
      for (const [index, domains] of plan.waves.entries()) {
        if (domains.length > 0) multi.rpush(keys.wavePortals(id, index + 1), ...domains);
      }
      multi.hset(keys.wavePlan(id), {
        id,
        createdAt: String(at),
        updatedAt: String(at),
        source: plan.source,
        apps: JSON.stringify(plan.apps),
        percents: JSON.stringify(plan.percents),
        waveSizes: JSON.stringify(plan.waves.map((w) => w.length)),
        haltFailures: String(plan.haltFailures),
        haltNeedsReauth: String(plan.haltNeedsReauth),
        pauseMs: String(plan.pauseMs),
        recreate: plan.recreate ? '1' : '',
        replace: plan.replace ? '1' : '',
        state: 'running',
        wave: '1',
        enqueued: '0',
        version: '1',
      });
      multi.zadd(keys.wavePlans, at, id);
      multi.sadd(keys.activeWavePlans, id);
      await multi.exec();
      const stored = await this.get(id);
      if (!stored) throw new Error(`wave plan ${id} was not stored`);
      return stored;
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

    /** The portal domains of wave `wave` (1-based). */
    async waveDomains(id: string, wave: number): Promise<string[]> {
      return await redis.lrange(keys.wavePortals(id, wave), 0, -1);
    },

    /**
     * Applies `change` if the plan is still at `from.version` (compare-and-set); the active set follows the new
     * state. Returns the plan as changed, or undefined when another transition came first.
     */
    async transition(from: WavePlan, change: WavePlanChange): Promise<WavePlan | undefined> {
      const at = now();
      const state = change.state ?? from.state;
      const active = isActive(state) === isActive(from.state) ? '' : isActive(state) ? 'add' : 'rem';
      const fields = encodeChange(change, at);
      const version = Number(
        await transition.run(
          [keys.wavePlan(from.id), keys.activeWavePlans],
          [String(from.version), from.id, active, ...Object.entries(fields).flat()],
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
