import type { Redis } from 'ioredis';
import { afterEach } from 'vitest';
import { refreshAccessToken } from '../../../src/bitrix/refresh-access-token.js';
import {
  type SimPortalSeed,
  type SimulatorHandle,
  startSimulator,
} from '../../../src/simulator/start-simulator.js';
import { createPortalStore, type PortalStore } from '../../../src/store/portal-store.js';
import { createRedisKeys, type RedisKeys } from '../../../src/store/redis-keys.js';
import {
  createTokenManager,
  type TokenManager,
  type TokenManagerOptions,
  type TokenRefresher,
  type TokenTarget,
} from '../../../src/tokens/token-manager.js';
import { newRedis, track, uniquePrefix, untrack } from '../../support/redis.js';

export const CLIENT_ID = 'app.token-test';
export const CLIENT_SECRET = 'token-test-client-secret-0123456789';

export interface TokenEnv {
  sim: SimulatorHandle;
  prefix: string;
  keys: RedisKeys;
  /** The test's own connection and store (for seeding and assertions). */
  redis: Redis;
  store: PortalStore;
  /** The real OAuth refresh against `oauthUrl` (default: the simulator's). */
  refresher(oauthUrl?: string): TokenRefresher;
  /** A token manager with its own Redis connection (as a separate worker would have). */
  manager(overrides?: Partial<TokenManagerOptions>): TokenManager;
  /** The stored access token of an OAuth portal. */
  storedAccessToken(domain: string): Promise<string>;
  /** Closes `resource` with the environment (and fails the leak check if it is left open). */
  adopt<T>(label: string, resource: T, close: (resource: T) => Promise<unknown>): T;
  /** Closes everything the environment opened or adopted (run by `useTokenEnvs` after each test). */
  close(): Promise<void>;
}

/** A simulator with `portals`, imported into a fresh Redis prefix. */
async function startTokenEnv(portals: SimPortalSeed[]): Promise<TokenEnv> {
  const prefix = uniquePrefix('tokens');
  const opened: { label: string; close: () => Promise<unknown> }[] = [];
  function adopt<T>(label: string, resource: T, close: (resource: T) => Promise<unknown>): T {
    const unique = `${prefix}:${label}`;
    track(unique, resource, close);
    opened.push({ label: unique, close: () => close(resource) });
    return resource;
  }
  const sim = adopt(
    'simulator',
    await startSimulator({ portals, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    (s) => s.stop(),
  );
  const keys = createRedisKeys(prefix);
  const redis = adopt('redis:test', newRedis(), (r) => r.quit());
  const store = createPortalStore({ redis, keys });
  await store.importPortals(sim.portalsFile());

  const refresher =
    (oauthUrl = sim.oauthUrl): TokenRefresher =>
    (refreshToken) =>
      refreshAccessToken(
        { oauthUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken },
        { timeoutMs: 2_000, allowHttp: true, allowHosts: ['127.0.0.1'] },
      );

  let managers = 0;
  return {
    sim,
    prefix,
    keys,
    redis,
    store,
    refresher,
    manager(overrides = {}) {
      const own = adopt(`redis:manager-${++managers}`, newRedis(), (r) => r.quit());
      return createTokenManager({
        redis: own,
        keys,
        portalStore: createPortalStore({ redis: own, keys }),
        refresh: refresher(),
        lockTtlMs: 10_000,
        refreshBeforeMs: 60_000,
        ...overrides,
      });
    },
    async storedAccessToken(domain) {
      const portal = await store.get(domain);
      if (portal?.auth.type !== 'oauth') throw new Error(`${domain} is not a stored OAuth portal`);
      return portal.auth.accessToken;
    },
    adopt,
    async close() {
      for (const entry of opened.reverse()) {
        await entry.close();
        untrack(entry.label);
      }
      opened.length = 0;
    },
  };
}

/**
 * Registers an afterEach that closes every environment the test started; call it after `installLeakCheck()`
 * (after-hooks run in reverse order, so the environments are closed before the leak check looks).
 */
export function useTokenEnvs(): (portals: SimPortalSeed[]) => Promise<TokenEnv> {
  const started: TokenEnv[] = [];
  afterEach(async () => {
    for (const env of started.splice(0)) await env.close();
  });
  return async (portals) => {
    const env = await startTokenEnv(portals);
    started.push(env);
    return env;
  };
}

/** The access token of a target, failing the test if it is not an OAuth target. */
export function accessTokenOf(result: TokenTarget): string {
  if (result.target.kind !== 'oauth') throw new Error('expected an OAuth target');
  return result.target.accessToken;
}
