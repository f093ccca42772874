import type { Config } from '../config/config-schema.js';
import { ConfigError } from '../errors/operator-error.js';

/**
 * Why `what` (e.g. "the worker") must not run with this config, or undefined: without ROLLOUT_SECRET_KEY it would
 * store or read portal credentials in plaintext. ROLLOUT_INSECURE_PLAINTEXT_SECRETS=1 is the explicit opt-out for
 * local experiments.
 */
export function secretKeyProblem(config: Config, what: string): string | undefined {
  if (config.secrets.key !== undefined || config.secrets.insecurePlaintext) return undefined;
  return (
    `ROLLOUT_SECRET_KEY is not set: ${what} stores or reads portal credentials (access/refresh tokens, webhook ` +
    'URLs) and refuses to keep them in Redis in plaintext. Set ROLLOUT_SECRET_KEY to 32 random bytes as base64 ' +
    'or hex (e.g. `openssl rand -base64 32`), the same on every worker; for a local experiment only, set ' +
    'ROLLOUT_INSECURE_PLAINTEXT_SECRETS=1'
  );
}

/** Refuses to go on (ConfigError) when {@link secretKeyProblem} names a problem. */
export function requireSecretKey(config: Config, what: string): void {
  const problem = secretKeyProblem(config, what);
  if (problem !== undefined) throw new ConfigError(problem);
}
