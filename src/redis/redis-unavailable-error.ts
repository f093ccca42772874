/**
 * Redis could not be reached (refused, timed out, unknown host, refused our credentials). `where` is the URL
 * without credentials (describeRedisUrl); `reason` is the error code (`ECONNREFUSED`) or a short reason. The CLI
 * prints the message as its one line and exits 3 (src/cli/main.ts; README, "Exit codes").
 */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  constructor(
    readonly where: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach Redis at ${where} (${reason}): start it or set REDIS_URL`, options);
  }
}
