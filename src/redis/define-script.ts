import { createHash } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';

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
  /** Puts the script in the server's script cache (SCRIPT LOAD; a no-op for Redis when it is there already). */
  load(): Promise<void>;
}

/**
 * The one way this project runs Lua (BullMQ's script loader does the same): the script is defined on the client
 * with ioredis' `defineCommand`, under a name derived from its text, so two versions never clash. ioredis sends
 * the script text (EVAL) the first time a connection runs it, EVALSHA afterwards, and on NOSCRIPT (the server's
 * cache was flushed, or a failover) sends it again: the text crosses the network once per connection, not once per
 * call. In a pipeline or MULTI that retry is not enough (see `execWithScripts`).
 */
export function defineScript(redis: Redis, script: LuaScript): ScriptRunner {
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
  };
  return {
    async run(keys, args) {
      check(keys);
      const command: unknown = Reflect.get(redis, name);
      if (typeof command !== 'function') throw new Error(`script ${script.name} is not defined`);
      return (await Reflect.apply(command, redis, [...keys, ...args])) as unknown;
    },
    async load() {
      await redis.script('LOAD', script.lua);
    },
    queue(batch, keys, args) {
      check(keys);
      const command: unknown = Reflect.get(batch, name);
      if (typeof command !== 'function') {
        throw new Error(`script ${script.name}: the pipeline was not made by the client it is defined on`);
      }
      Reflect.apply(command, batch, [...keys, ...args]);
    },
  };
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
  return (await batch.exec()) ?? [];
}
