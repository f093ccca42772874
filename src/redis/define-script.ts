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

/** Runs one script on a client, or queues it on a pipeline / MULTI of that client. */
export interface ScriptRunner {
  run(keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown>;
  queue(batch: ChainableCommander, keys: readonly string[], args: readonly ScriptArg[]): void;
}

/**
 * The one way this project runs Lua (BullMQ's script loader does the same): the script is defined on the client
 * with ioredis' `defineCommand`, under a name derived from its text, so two versions never clash. ioredis sends
 * EVALSHA and falls back to EVAL on NOSCRIPT; in a pipeline or MULTI it loads missing scripts before `exec`. The
 * script text therefore crosses the network once per connection, not once per call.
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
