import { randomBytes, randomUUID } from 'node:crypto';
import type { Config } from '../../src/config/config-schema.js';
import { loadConfig } from '../../src/config/load-config.js';

/**
 * A configuration for one benchmark: config/default.json with the simulator's OAuth server, plain http allowed,
 * a fresh key prefix, a fresh secret key and silent logs, then the benchmark's own overrides. The environment is not read, so a
 * developer's REDIS_URL or ROLLOUT_* variables never leak into a measurement.
 */
export function benchConfig(
  redisUrl: string,
  oauthUrl: string,
  overrides: Record<string, unknown> = {},
): Config {
  return loadConfig(
    {},
    {
      redisUrl,
      prefix: `bench-${randomUUID().slice(0, 8)}`,
      allowHttp: true,
      allowHosts: ['127.0.0.1'], // the simulator: exempt from the outbound rule (docs/security.md)
      hashSecret: 'bench-hash-secret-0123456789',
      // Credentials are sealed at rest as in production (a fresh key per benchmark; nothing outlives the run).
      secrets: { key: randomBytes(32).toString('base64') },
      logLevel: 'silent',
      b24: { clientId: 'sim-client-id', clientSecret: 'sim-client-secret', oauthUrl },
      ...overrides,
    },
  );
}
