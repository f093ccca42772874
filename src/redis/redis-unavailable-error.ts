import { OperatorError } from '../errors/operator-error.js';

/**
 * Redis could not be reached (refused, timed out, unknown host, refused our credentials). `where` is the URL
 * without credentials (describeRedisUrl); `reason` is the error code (`ECONNREFUSED`) or a short reason. The
 * CLI prints the message as its one line and exits 3 (src/cli/describe-failure.ts; docs/operations.md, "Exit
 * codes").
 */
export class RedisUnavailableError extends OperatorError {
  override readonly name = 'RedisUnavailableError' as const;
  readonly code = 'REDIS_UNAVAILABLE' as const;
  constructor(
    readonly where: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach Redis at ${where} (${reason}): start it or set REDIS_URL`, options);
  }
}
