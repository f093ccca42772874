import type { RedisClient } from './redis-client.js';

/** A BullMQ Queue or Worker: what closeBullmq needs of it. */
export interface BullmqClosable {
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Closes a BullMQ Queue or Worker once its connection has finished starting, so that closing never leaves an
 * unhandled rejection behind.
 *
 * Why: BullMQ's RedisConnection starts with a version check (INFO) and turns a failure of that start into an
 * 'error' event (`initializing.catch(err => this.emit('error', err))`, bullmq 5.x redis-connection.js), while its
 * close() removes every listener without waiting for a start still under way. An INFO that fails after the close
 * then emits 'error' with no listener: the emit throws inside that catch, an unhandled rejection. On a Redis
 * Cluster the INFO can outlive the close: a command whose node connection drops while the Cluster is ready is
 * parked for `retryDelayOnFailover` (100 ms) and, if the client quits meanwhile, rejected with
 * `AbortError: Cluster is ended.` (ioredis 5.x cluster/index.js, handleError and tryConnection). Waiting for the
 * start first lets the parked INFO be retried on the open client. A client that is not ready (Redis unreachable)
 * is not waited for: its start could wait for ever, and the caller drops that connection anyway.
 */
export async function closeBullmq(target: BullmqClosable, client: RedisClient): Promise<void> {
  if (client.status === 'ready') await target.waitUntilReady().catch(() => undefined);
  await target.close();
}
