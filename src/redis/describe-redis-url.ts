/**
 * `REDIS_URL` as it may be shown to an operator: scheme, host and port only. The user name and password (and
 * the database path) are dropped, so an error line or log never carries the Redis password.
 */
export function describeRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'REDIS_URL (not a valid URL)';
  }
  const scheme = parsed.protocol === 'rediss:' ? 'rediss' : 'redis';
  const host = parsed.hostname === '' ? '127.0.0.1' : parsed.hostname;
  return `${scheme}://${host}:${parsed.port === '' ? '6379' : parsed.port}`;
}
