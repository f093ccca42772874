import { Command } from 'commander';
import { z } from 'zod';
import { buildApi } from '../../api/build-api.js';
import { CommandFailedError, OperatorError, UsageError } from '../../errors/operator-error.js';
import { RedisUnavailableError } from '../../redis/redis-unavailable-error.js';
import { requireRedis } from '../../redis/require-redis.js';
import { createRuntime } from '../../runtime/create-runtime.js';
import { checkKeyLayout } from '../../store/check-key-layout.js';
import { checkStoredKeyIds } from '../../store/check-stored-key-ids.js';
import { cliContext } from '../cli-context.js';
import { listenForStopSignals } from '../stop-signals.js';

const portSchema = z.coerce.number().int().min(0).max(65535);

/** `imbot-rollout serve`: the HTTP API, dashboard, queue board and /metrics, until SIGTERM/SIGINT. */
export function serveCommand(): Command {
  return new Command('serve')
    .description(
      'Serve the HTTP API (JSON), the results dashboard (/), the BullMQ queue board (/queues) and Prometheus ' +
        'metrics (/metrics). Binds 127.0.0.1 by default; with ROLLOUT_API_TOKEN set every route but /healthz ' +
        'needs the token (Bearer header or the /login form). A non-loopback --host requires the token; a weak ' +
        'token (under 16 characters, under 10 different ones, or with whitespace) is refused. The queue board ' +
        'is read-only unless ROLLOUT_QUEUE_BOARD_WRITE=1.',
    )
    .option('--port <port>', 'TCP port (default: config api.port, 3000; 0 = any free port)')
    .option('--host <host>', 'address to listen on (default: config api.host, 127.0.0.1)')
    .action(async (options: { port?: string; host?: string }) => {
      const { config, logger } = cliContext();
      // Listening from the first moment: a SIGTERM during start-up stops the API right after it.
      const signals = listenForStopSignals(logger, 'api');
      let port = config.api.port;
      if (options.port !== undefined) {
        const parsed = portSchema.safeParse(options.port);
        if (!parsed.success)
          throw new UsageError(`--port must be a whole number from 0 to 65535, got "${options.port}"`);
        port = parsed.data;
      }
      const host = options.host?.trim() || config.api.host;
      const runtime = createRuntime({ config, logger });
      // A configured key must open what is stored, as for worker and rollout, and data of the untagged key layout
      // is refused (check-key-layout.ts). The API starts without Redis (it answers 503 until Redis is back), so the
      // checks are skipped, with a warning, when Redis (or the Redis Cluster) is down now.
      const reachable = await requireRedis(config).then(
        () => true,
        async (error: unknown) => {
          if (error instanceof RedisUnavailableError) return false;
          await runtime.close();
          throw error; // e.g. REDIS_URL naming one node of a cluster
        },
      );
      if (reachable) {
        const { redis, keys } = runtime;
        try {
          await checkKeyLayout(redis, config.prefix);
          if (config.secrets.key !== undefined) {
            await checkStoredKeyIds({ redis, keys, secrets: config.secrets, what: 'serve' });
          }
        } catch (error) {
          await runtime.close();
          throw error;
        }
      } else logger.warn('Redis unreachable at start: the stored key ids and key layout were not checked');
      let app: Awaited<ReturnType<typeof buildApi>>;
      try {
        app = await buildApi(runtime, { host, token: config.api.token });
        await app.listen({ host, port });
      } catch (error) {
        await runtime.close();
        // An unsafe bind or a weak token (UnsafeBindError) is already said for the operator.
        if (error instanceof OperatorError) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        throw new CommandFailedError(`cannot listen on ${host}:${port}: ${reason}`, { cause: error });
      }
      const address = app.server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      const shown = host.includes(':') ? `[${host}]` : host;
      process.stdout.write(
        `api: listening on http://${shown}:${bound} (dashboard /, queue board /queues ` +
          `${config.api.queueBoardWrite ? 'read-write' : 'read-only'}, metrics /metrics, ` +
          `health /healthz); ${config.api.token ? 'token required' : 'no token: loopback only, open'}\n`,
      );
      logger.info({ host, port: bound, tokenRequired: config.api.token !== undefined }, 'api started');
      await signals.received;
      await app
        .close()
        .then(() => runtime.close())
        .catch((error: unknown) => logger.warn({ err: error }, 'api stop was not clean'));
      signals.dispose();
      process.stdout.write('api: stopped\n');
    });
}
