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
 * Why: BullMQ's RedisConnection starts by waiting for the client's 'ready' and then a version check (INFO), and
 * turns a failure of that start into an 'error' event (`initializing.catch(err => this.emit('error', err))`,
 * bullmq 5.x redis-connection.js), while its close() removes every listener without waiting for a start still
 * under way. A start that fails after the close (the caller then quits the client) emits 'error' with no
 * listener: the emit throws inside that catch, an unhandled rejection. Two ways to be caught there:
 * - the client is still connecting: ioredis's own ready check (INFO; CLUSTER INFO on a Cluster) has not answered
 *   yet, so BullMQ's start still waits for 'ready', and the quit ends it with "Connection is closed.";
 * - on a Redis Cluster the INFO can outlive the close: a command whose node connection drops while the Cluster is
 *   ready is parked for `retryDelayOnFailover` and, if the client quits meanwhile, rejected with
 *   `AbortError: Cluster is ended.` (ioredis 5.x cluster/index.js, handleError and tryConnection).
 * So a client that is connecting is waited for until it is ready (or its attempt fails), and a ready client until
 * the start is done. A client that is not reachable (reconnecting, closed, ended, never connected) is not waited
 * for: its start could wait for ever, and the caller drops that connection anyway.
 */
export async function closeBullmq(target: BullmqClosable, client: RedisClient): Promise<void> {
  if (await becomesReady(client)) await target.waitUntilReady().catch(() => undefined);
  await target.close();
}

/**
 * Whether the client is ready, or is connecting and gets ready; false as soon as its connection attempt fails
 * (the client closes or ends) or when it is not connecting at all.
 */
async function becomesReady(client: RedisClient): Promise<boolean> {
  if (client.status === 'ready') return true;
  if (client.status !== 'connecting' && client.status !== 'connect') return false;
  return await new Promise<boolean>((resolve) => {
    const settle = (ready: boolean) => () => {
      client.off('ready', onReady);
      client.off('close', onFailed);
      client.off('end', onFailed);
      resolve(ready);
    };
    const onReady = settle(true);
    const onFailed = settle(false);
    client.once('ready', onReady);
    client.once('close', onFailed);
    client.once('end', onFailed);
  });
}
