import { createHash } from 'node:crypto';
import type { ChainableCommander } from 'ioredis';
import { connectedDataNodes, type RedisClient } from './redis-client.js';

/** A Lua script and how many of its arguments are KEYS; `lua` starts with a KEYS/ARGV header comment. */
export interface LuaScript {
  /** A short label (letters), part of the command name the script is defined under. */
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
}

export type ScriptArg = string | number;

/**
 * Runs one script on a client, or queues it on a pipeline / MULTI of that client; a batch holding scripts is run
 * with `execWithScripts`.
 */
export interface ScriptRunner {
  run(keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown>;
  queue(batch: ChainableCommander, keys: readonly string[], args: readonly ScriptArg[]): void;
  /**
   * Puts the script in the server's script cache (SCRIPT LOAD; a no-op for Redis when it is there already); on a
   * Cluster in every master's.
   */
  load(): Promise<void>;
}

/**
 * The one way this project runs Lua (BullMQ's script loader does the same): the script is defined on the client
 * with ioredis' `defineCommand`, under a name derived from its text, so two versions never clash. ioredis sends
 * the script text (EVAL) the first time a connection runs it, EVALSHA afterwards, and on NOSCRIPT (the server's
 * cache was flushed, or a failover) sends it again: the text crosses the network once per connection, not once per
 * call. In a pipeline or MULTI that retry is not enough (see `execWithScripts`).
 */
/** The script calls queued on a pipeline, by their position in it (for execWithScripts' NOSCRIPT re-run). */
const queuedCalls = new WeakMap<
  ChainableCommander,
  Map<number, { runner: ScriptRunner; keys: readonly string[]; args: readonly ScriptArg[] }>
>();

export function defineScript(redis: RedisClient, script: LuaScript): ScriptRunner {
  const digest = createHash('sha1').update(script.lua).digest('hex').slice(0, 12);
  const name = `imbot${script.name}${digest}`;
  if (script.lua.length === 0 || script.numberOfKeys < 0) {
    throw new RangeError(`defineScript: script ${script.name} has no text or a negative KEYS count`);
  }
  if (typeof Reflect.get(redis, name) !== 'function') {
    redis.defineCommand(name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
  }
  const check = (keys: readonly string[]) => {
    if (keys.length !== script.numberOfKeys) {
      throw new RangeError(`script ${script.name} takes ${script.numberOfKeys} keys, got ${keys.length}`);
    }
    const tag = keys[0] === undefined ? undefined : hashTagOf(keys[0]);
    const other = keys.find((key) => hashTagOf(key) !== tag);
    if (other !== undefined) {
      // What a Redis Cluster refuses (CROSSSLOT), refused on one server as well: every test covers the layout.
      throw new RangeError(
        `script ${script.name}: keys ${keys[0]} and ${other} have different hash tags (src/store/redis-keys.ts)`,
      );
    }
  };
  const runner: ScriptRunner = {
    async run(keys, args) {
      check(keys);
      const command: unknown = Reflect.get(redis, name);
      if (typeof command !== 'function') throw new Error(`script ${script.name} is not defined`);
      return (await Reflect.apply(command, redis, [...keys, ...args])) as unknown;
    },
    async load() {
      const nodes = await connectedDataNodes(redis);
      await Promise.all(nodes.map((node) => node.script('LOAD', script.lua)));
    },
    queue(batch, keys, args) {
      check(keys);
      const command: unknown = Reflect.get(batch, name);
      if (typeof command !== 'function') {
        throw new Error(`script ${script.name}: the pipeline was not made by the client it is defined on`);
      }
      const calls = queuedCalls.get(batch) ?? new Map();
      queuedCalls.set(batch, calls);
      calls.set(batch.length, { runner, keys, args });
      Reflect.apply(command, batch, [...keys, ...args]);
    },
  };
  return runner;
}

/**
 * Runs a pipeline or MULTI that holds queued scripts, after loading those scripts into the server's cache. Without
 * that, a NOSCRIPT inside the batch (cache flushed since the connection last ran the script) is handled badly by
 * ioredis 5: in a pipeline the script is re-sent on its own after the batch, so it takes effect after the batch's
 * later commands; in a MULTI it is not re-sent at all and the rest of the transaction commits without it (both
 * seen in test/store/define-script.test.ts). One SCRIPT LOAD round trip per batch rules that out, unless the cache
 * is flushed again in between; then a MULTI's reply holds the NOSCRIPT error for the caller to see.
 */
export async function execWithScripts(
  batch: ChainableCommander,
  scripts: readonly ScriptRunner[],
): Promise<[error: Error | null, result: unknown][]> {
  await Promise.all(scripts.map((script) => script.load()));
  const replies = (await batch.exec()) ?? [];
  // Calls of a pipeline that are run again on their own (which sends the script text when needed, and waits for a
  // reconnect). Only in a pipeline (one reply per queued command): a MULTI's reply keeps the error, as its other
  // commands committed.
  // - NOSCRIPT: a node restarted (or failed over) between the load and the batch has an empty script cache again;
  //   on a Redis Cluster ioredis then answers NOSCRIPT for those calls (test/cluster/script-cache-loss.test.ts).
  //   Such a call did not run.
  // - "Command aborted due to connection close": the connection closed after Redis had answered part of the
  //   pipeline, and ioredis aborts the unanswered rest instead of sending it again (ioredis 5.x
  //   redis/event_handler.js, abortIncompletePipelines). Such a call may have run, its answer lost: running it again
  //   is what ioredis does itself for a single command, and every result script is written to survive it
  //   (docs/reliability.md). Seen in the chaos suite's redis-restart on a Cluster, where it crashed the producer.
  const calls = queuedCalls.get(batch);
  if (calls === undefined || replies.length !== batch.length) return replies;
  return await Promise.all(
    replies.map(async (reply, index): Promise<[Error | null, unknown]> => {
      const call = calls.get(index);
      if (call === undefined || !isRunAgainError(reply[0])) return reply;
      try {
        return [null, await call.runner.run(call.keys, call.args)];
      } catch (error) {
        return [error instanceof Error ? error : new Error(String(error)), null];
      }
    }),
  );
}

/**
 * An error of one call of a pipeline that is safe to answer by running the call again: it did not run (NOSCRIPT),
 * or it may have run with its answer lost (aborted by a connection close). execWithScripts runs such calls again
 * on their own; addPairJobs adds its jobs again.
 */
export function isRunAgainError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.message.startsWith('NOSCRIPT') || error.message === 'Command aborted due to connection close';
}

/**
 * The part of a key Redis Cluster hashes to pick its slot: the text between the first `{` and the next `}` when
 * that is not empty, else the whole key (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/,
 * "Hash tags"). Keys with the same hash tag are in the same slot.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}
