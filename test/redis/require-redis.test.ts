import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisUnavailableError } from '../../src/redis/redis-unavailable-error.js';
import { requireRedis } from '../../src/redis/require-redis.js';

/**
 * Commands fail fast when Redis cannot be reached (src/redis/require-redis.ts; docs/operations.md, exit code 3):
 * one connection attempt, bounded by the start timeout, no retry. Shown without a clock: by the reason the error
 * gives and by the connections the server saw. (The CLI side, one line and exit 3 for every command, is
 * test/cli/redis-unreachable.test.ts.)
 */
let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A TCP server on a free loopback port; `onConnection` decides what each connection gets. */
async function tcpServer(
  onConnection: (socket: Socket) => void,
): Promise<{ url: string; connections: () => number }> {
  let count = 0;
  server = createServer((socket) => {
    count += 1;
    sockets.push(socket);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `redis://127.0.0.1:${port}`, connections: () => count };
}

async function failureOf(url: string, timeoutMs: number): Promise<RedisUnavailableError> {
  const error = await requireRedis(url, timeoutMs).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RedisUnavailableError);
  return error as RedisUnavailableError;
}

describe('requireRedis gives up after one bounded attempt', () => {
  it('a server that accepts and never answers: refused by the timeout it was given, on one connection', async () => {
    const silent = await tcpServer(() => undefined);
    const error = await failureOf(silent.url, 300);
    expect(error.reason).toMatch(/no answer within 0\.3 s|timed out/i);
    expect(silent.connections()).toBe(1);
  });

  it('a server that closes every connection at once: refused, and never tried a second time', async () => {
    const closing = await tcpServer((socket) => socket.destroy());
    await failureOf(closing.url, 300);
    // Had it retried, the server would have seen more connections by now: give a retry time to happen.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closing.connections()).toBe(1);
  });
});
