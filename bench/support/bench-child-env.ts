import { ENV_KEYS } from '../../src/config/load-config.js';

/**
 * The environment for a process a benchmark spawns (worker, API): this process's environment without the
 * variables the configuration reads (ENV_KEYS, and any ROLLOUT_*, REDIS_* or B24_* name, e.g. ROLLOUT_CONFIG or
 * a cluster's node list),
 * so the benchmark's config file alone decides where the child connects. A developer's REDIS_URL must never
 * send a measurement (or its FLUSHes) to their own Redis. `extra` is added on top (e.g. LOG_LEVEL).
 */
export function benchChildEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name in ENV_KEYS || /^(ROLLOUT_|REDIS_|B24_)/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}
