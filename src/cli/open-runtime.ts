import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.js';
import { requireRedis } from '../redis/require-redis.js';
import { createRuntime, type Runtime } from '../runtime/create-runtime.js';
import { checkKeyLayout } from '../store/check-key-layout.js';
import { checkStoredKeyIds } from '../store/check-stored-key-ids.js';

/**
 * How every command opens the runtime: Redis must answer first (a command never hangs on an outage:
 * docs/operations.md, "Exit codes"), then, for the commands that seal or open secrets (`keyCheck` names the
 * command), the stored key ids must be ones the configured keys open (docs/security.md, "Secrets at rest").
 * Data of the key layout before Redis Cluster support is refused (src/store/check-key-layout.ts).
 */
export async function openRuntime(
  config: Config,
  logger: Logger,
  options: { keyCheck?: string } = {},
): Promise<Runtime> {
  await requireRedis(config);
  const runtime = createRuntime({ config, logger });
  try {
    // Data of the untagged key layout (an older version) is refused, not silently ignored.
    await checkKeyLayout(runtime.redis, config.prefix);
    if (options.keyCheck === undefined) return runtime;
    await checkStoredKeyIds({
      redis: runtime.redis,
      keys: runtime.keys,
      secrets: config.secrets,
      what: options.keyCheck,
    });
    return runtime;
  } catch (error) {
    await runtime.close();
    throw error;
  }
}
