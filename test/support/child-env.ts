import { ENV_KEYS } from '../../src/config/load-config.js';

/** Names the CLI's configuration reads from the environment, or may read in a later version. */
const CONFIG_VARIABLE = /^(ROLLOUT_|REDIS_|B24_)/;

/** True for a variable that would point a process at the user's Redis, portals or secrets. */
export function isConfigVariable(name: string): boolean {
  return name in ENV_KEYS || CONFIG_VARIABLE.test(name);
}

/**
 * The environment for a process a test, chaos scenario or benchmark spawns: this process's environment without
 * the variables the configuration reads (ENV_KEYS, and any ROLLOUT_*, REDIS_* or B24_* name such as
 * ROLLOUT_CONFIG), then `extra`. A user's exported REDIS_URL must never send a test's writes (or a benchmark's
 * FLUSHes) to their own Redis: `extra` alone says where the child connects.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!isConfigVariable(name)) env[name] = value;
  return { ...env, ...extra };
}

/**
 * Removes the configuration variables from this process's own environment (the test processes run it first,
 * from vitest.config.ts's setupFiles): code under test that calls `loadConfig()` reads the test's settings, not
 * the user's.
 */
export function forgetUserConfigVariables(): void {
  for (const name of Object.keys(process.env)) if (isConfigVariable(name)) delete process.env[name];
}
