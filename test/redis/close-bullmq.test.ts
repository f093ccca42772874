import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { closeBullmq } from '../../src/redis/close-bullmq.js';
import { waitFor } from '../support/wait-for.js';

/**
 * A Redis stand-in that answers every command with +OK but holds INFO until released: the version check a
 * BullMQ connection starts with stays under way, as when ioredis parks it on a Redis Cluster (src/redis/
 * close-bullmq.ts). Only the RESP framing a client sends (arrays of bulk strings) is read.
 */
async function startHoldingServer(): Promise<{
  url: string;
  heldInfo(): number;
  release(): void;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const held: Socket[] = [];
  let released = false;
  const info = 'redis_version:7.2.4\r\n';
  const INFO = `$${info.length}\r\n${info}\r\n`;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (;;) {
        const names = /^\*(\d+)\r\n\$(\d+)\r\n/.exec(pending);
        if (!names) return;
        const count = Number(names[1]);
        let at = 0;
        const parts: string[] = [];
        at = pending.indexOf('\r\n') + 2;
        for (let i = 0; i < count; i++) {
          const header = /^\$(\d+)\r\n/.exec(pending.slice(at));
          if (!header) return;
          const start = at + header[0].length;
          const end = start + Number(header[1]);
          if (pending.length < end + 2) return;
          parts.push(pending.slice(start, end));
          at = end + 2;
        }
        pending = pending.slice(at);
        if (parts[0]?.toLowerCase() === 'info') {
          if (released) socket.write(INFO);
          else held.push(socket);
        } else socket.write('+OK\r\n');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `redis://127.0.0.1:${port}`,
    heldInfo: () => held.length,
    release() {
      released = true;
      for (const socket of held.splice(0)) socket.write(INFO);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/**
 * Calls closeBullmq on a Queue whose start the server holds, then lets the server answer. Returns whether the close
 * waited for the start: a close that does not wait needs no I/O, so it is done after one turn of the event loop,
 * and its caller goes on to drop the client (runtime.close quits it), which fails the start still under way.
 * Returns once the client has ended and a rejection has had time to be reported as unhandled.
 */
async function closeDuringStart(
  queue: Queue,
  client: Redis,
  server: Awaited<ReturnType<typeof startHoldingServer>>,
): Promise<boolean> {
  let closed = false;
  const closing = closeBullmq(queue, client).then(() => {
    closed = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  if (closed) client.disconnect();
  const waitedForTheStart = !closed;
  // The start is answered meanwhile (on a Cluster: the parked INFO, retried 100 ms later).
  server.release();
  await closing;
  client.disconnect();
  await waitFor(() => client.status === 'end', { message: 'the client to end' });
  // A rejection becomes "unhandled" only after the microtasks and one macrotask have run.
  await new Promise((resolve) => setTimeout(resolve, 0));
  return waitedForTheStart;
}

const unhandled: unknown[] = [];
const record = (reason: unknown) => unhandled.push(reason);
afterEach(() => {
  process.off('unhandledRejection', record);
  unhandled.length = 0;
});

describe('closeBullmq', () => {
  it('closes a Queue whose connection is still starting without leaving an unhandled rejection', async () => {
    process.on('unhandledRejection', record);
    const server = await startHoldingServer();
    const client = new Redis(server.url, { enableReadyCheck: false, maxRetriesPerRequest: null });
    try {
      await waitFor(() => client.status === 'ready', { message: 'the client to connect' });
      const queue = new Queue('close-bullmq', { connection: client });
      await waitFor(() => server.heldInfo() > 0, { message: "BullMQ's start (INFO) to be under way" });

      const waitedForTheStart = await closeDuringStart(queue, client, server);

      expect(waitedForTheStart).toBe(true);
      expect(unhandled).toEqual([]);
    } finally {
      client.disconnect();
      await server.close();
    }
  });

  it('closes a Queue whose client is still connecting (ready check under way) without leaving an unhandled rejection', async () => {
    process.on('unhandledRejection', record);
    const server = await startHoldingServer();
    // ioredis's own ready check is an INFO too: held, the client stays 'connect' (on a Cluster: 'connect' until
    // CLUSTER INFO answers), and BullMQ's start waits for its 'ready'.
    const client = new Redis(server.url, { enableReadyCheck: true, maxRetriesPerRequest: null });
    try {
      await waitFor(() => server.heldInfo() > 0, { message: "the client's ready check to be under way" });
      expect(client.status).toBe('connect');
      const queue = new Queue('close-bullmq', { connection: client });

      const waitedForTheStart = await closeDuringStart(queue, client, server);

      expect(unhandled).toEqual([]);
      expect(waitedForTheStart).toBe(true);
    } finally {
      client.disconnect();
      await server.close();
    }
  });
});
