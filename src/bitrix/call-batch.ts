import { z } from 'zod';
import type { BitrixError } from './bitrix-error.js';
import { createBitrixError } from './create-bitrix-error.js';
import { encodePhpQuery } from './encode-php-query.js';
import { type MethodTime, parseMethodTime } from './parse-method-answer.js';
import type { PortalTarget } from './portal-target.js';
import { isRestMethodName, MAX_ERROR_DESCRIPTION, postRestMethod } from './post-rest-method.js';
import { redactText } from './redact.js';
import { requestSecrets } from './request-secrets.js';
import type { RestTransport } from './rest-transport.js';

/** Commands one `batch` request may carry (docs/bitrix24.md, "Batch"; the server's BATCH_MAX_LENGTH). */
export const MAX_BATCH_COMMANDS = 50;

/** One method call inside a batch. */
export interface BatchCommand {
  /**
   * Names the command in the answer and in references (`$result[key]`): a letter or `_`, then letters, digits
   * or `_`, at most 64. Never numeric: PHP turns a numeric key into an integer and a list of them into a JSON
   * array.
   */
  readonly key: string;
  readonly method: string;
  /**
   * The method's parameters, sent as a PHP query inside the command (encodePhpQuery: every scalar arrives as a
   * string, `true`/`false` as `1`/`0`, `null` and empty arrays are left out). A value that is exactly
   * `$result[key]` or `$result[key][FIELD]...`, `key` an EARLIER command's key, is sent as is and replaced by
   * the server with that command's result (docs/bitrix24.md, "Batch"). When that command failed or did not run
   * the server puts its WHOLE result map there instead: use references with `halt: true` only.
   */
  readonly params: Readonly<Record<string, unknown>>;
}

export interface CallBatchOptions {
  /** true: the server stops at the first command that fails; the later ones answer `notExecuted`. */
  readonly halt: boolean;
}

/** What became of one command. */
export type BatchCommandAnswer =
  | {
      readonly ok: true;
      /** Bitrix24 `result`, NOT validated: check it with zod before use. */
      readonly result: unknown;
      /** The command's own `time` (`result_time[key]`): its method's `operating` budget. */
      readonly time: MethodTime | undefined;
      readonly error?: never;
      readonly notExecuted?: never;
    }
  | {
      readonly ok: false;
      /** Typed as the same call made alone would be (createBitrixError with the command's code and description). */
      readonly error: BitrixError;
      readonly notExecuted?: never;
      readonly result?: never;
      readonly time?: never;
    }
  | {
      readonly ok: false;
      /** The server did not run it: an earlier command failed under `halt: true`. Safe to send again. */
      readonly notExecuted: true;
      readonly error?: never;
      readonly result?: never;
      readonly time?: never;
    };

export interface BatchAnswer {
  /** One entry per command key, in the order sent (an object without prototype: only the keys sent are set). */
  readonly results: Readonly<Record<string, BatchCommandAnswer>>;
  /** The batch request's own `time`. */
  readonly time: MethodTime | undefined;
  readonly httpStatus: number;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Exactly a reference the client means: `$result[key]` with optional `[FIELD]` steps, no whitespace. */
const REFERENCE = /^\$result\[([^\][\s]+)\](?:\[[^\][\s]+\])*$/;
/**
 * What the server's CRestUtil::processBatchElement rewrites in any parameter value: `$` + one of the batch
 * state's names (result, next, total, time, error, ...) in any case, then a `[...]` step before any whitespace.
 */
const SERVER_SUBSTITUTION = /\$(result|next|total|time|error)[^\s]*\[[^\]\s]+\]/i;

/** Nothing a batch command legitimately sends is nested deeper. */
const MAX_DEPTH = 32;

function commandParams(target: PortalTarget, command: BatchCommand): Readonly<Record<string, unknown>> {
  // A webhook's CLIENT_ID must reach every command: the server hands each command only its own query plus the
  // batch's auth keys, and the chat-app methods read CLIENT_ID from the command (docs/bitrix24.md, "Batch").
  return target.kind === 'webhook' && target.clientId !== undefined
    ? { ...command.params, CLIENT_ID: target.clientId }
    : command.params;
}

/** The `cmd` entry of one command: `method?query` (just `method` without parameters). */
function commandLine(target: PortalTarget, command: BatchCommand): string {
  const query = encodePhpQuery(commandParams(target, command));
  return query === '' ? command.method : `${command.method}?${query}`;
}

/**
 * Bytes a command adds to the JSON body of its batch request (its `"key":"method?query"` entry and a comma),
 * exact for the body callBatch sends to `target`. The rest of the body (`{"cmd":{},"halt":0}`, plus the access
 * token or CLIENT_ID) stays under 300 bytes. Sum it over the commands to keep a request under a size bound:
 * an ICON_FILE is base64 and then percent-encoded, so it grows about 1.4 times.
 */
export function batchCommandBytes(target: PortalTarget, command: BatchCommand): number {
  return Buffer.byteLength(`${JSON.stringify(command.key)}:${JSON.stringify(commandLine(target, command))},`);
}

function checkValues(value: unknown, path: string, earlierKeys: ReadonlySet<string>, depth: number): void {
  if (typeof value === 'string') {
    const reference = REFERENCE.exec(value);
    if (reference !== null) {
      const key = reference[1] ?? '';
      if (!earlierKeys.has(key)) {
        throw new RangeError(
          `${path}: ${value} refers to "${key}", which is not an earlier command of this batch (the server would put its whole result map there)`,
        );
      }
      return;
    }
    if (SERVER_SUBSTITUTION.test(value)) {
      throw new RangeError(
        `${path}: the text contains a batch reference the server would rewrite (${SERVER_SUBSTITUTION.exec(value)?.[0]}); send this command as a single call`,
      );
    }
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (depth >= MAX_DEPTH) throw new RangeError(`${path}: nested deeper than ${MAX_DEPTH} levels`);
  for (const [key, item] of Object.entries(value))
    checkValues(item, `${path}.${key}`, earlierKeys, depth + 1);
}

/**
 * Why `command` cannot go into a batch after commands with `earlierKeys` (undefined when it can): a parameter
 * text the server's substitution would rewrite (send such a command as a single call), or a reference to a
 * command that is not earlier. callBatch throws these as RangeError; a caller can ask first.
 */
export function batchCommandProblem(
  command: BatchCommand,
  earlierKeys: Iterable<string>,
): string | undefined {
  try {
    checkValues(command.params, 'params', new Set(earlierKeys), 0);
    return undefined;
  } catch (error) {
    if (error instanceof RangeError) return error.message;
    throw error;
  }
}

/** Refuses what cannot become a correct batch request (RangeError names the command and the field). */
function checkCommands(commands: readonly BatchCommand[]): void {
  if (commands.length === 0) throw new RangeError('a batch needs at least one command');
  if (commands.length > MAX_BATCH_COMMANDS) {
    throw new RangeError(
      `a batch carries at most ${MAX_BATCH_COMMANDS} commands, got ${commands.length}: split it (the server answers the rest ERROR_BATCH_LENGTH_EXCEEDED)`,
    );
  }
  const keys = new Set<string>();
  for (const [index, command] of commands.entries()) {
    const where = `commands[${index}]`;
    if (!KEY.test(command.key)) {
      throw new RangeError(
        `${where}.key ${JSON.stringify(command.key.slice(0, 80))} must be a letter or _ followed by letters, digits or _ (at most 64)`,
      );
    }
    if (keys.has(command.key)) throw new RangeError(`${where}.key "${command.key}" is used twice`);
    if (!isRestMethodName(command.method)) {
      throw new RangeError(
        `${where}.method ${JSON.stringify(command.method.slice(0, 80))} is not a method name`,
      );
    }
    if (command.method.toLowerCase() === 'batch') {
      throw new RangeError(`${where}: a batch cannot contain a batch (ERROR_BATCH_METHOD_NOT_ALLOWED)`);
    }
    checkValues(command.params, `${where}.params`, keys, 0);
    keys.add(command.key);
  }
}

/** `result`, `result_error`, `result_time` of a batch answer; PHP sends an empty map as `[]`. */
const commandMap = z.union([
  z.record(z.string(), z.unknown()),
  z
    .array(z.unknown())
    .max(0)
    .transform((): Record<string, unknown> => ({})),
]);
const batchResult = z.object({
  result: commandMap,
  result_error: commandMap.optional().catch(undefined),
  result_time: commandMap.optional().catch(undefined),
});
// A command's error, as the server stores it: {"error": code, "error_description": text}, or a bare code.
const commandError = z.union([
  z.object({
    error: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/),
    error_description: z.string().optional().catch(undefined),
  }),
  z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,100}$/)
    .transform((error) => ({ error, error_description: undefined })),
]);

/**
 * Sends `commands` (at most 50, run by the server in this order) as ONE `batch` request (docs/bitrix24.md,
 * "Batch"): the same transport, auth, redaction and error typing as a single call (postRestMethod), so it costs
 * one request of the portal's leaky bucket. Each command goes as `cmd[key]=method?query` with its params
 * PHP-encoded; a webhook target's CLIENT_ID is added to every command and to the batch.
 *
 * Resolves with an entry per command: its result, its error (the BitrixError the same call made alone would
 * throw; a code this client does not know is classified by the batch answer's status, 200, so as permanent),
 * or `notExecuted` (skipped after a failure under `halt`). Rejects, like a single call, when the request as a
 * whole fails: 503 QUERY_LIMIT_EXCEEDED, 401, 5xx, timeout or dropped answer (AmbiguousError: some commands may
 * have run), an unreadable body (the HTTP 500 text page of the reference trap, docs/bitrix24.md "Batch", is
 * TransientError INVALID_RESPONSE although the commands before the failing one did their work). No error
 * contains the access token, the webhook code or any command's HASH.
 * Throws RangeError before sending for more than 50 commands, none, a bad or repeated key, a bad method name,
 * a nested `batch`, a reference to a command that is not earlier in the batch, or a parameter text the
 * server's substitution would rewrite; TypeError (encodePhpQuery) for a parameter PHP could not carry.
 */
export async function callBatch(
  transport: RestTransport,
  target: PortalTarget,
  commands: readonly BatchCommand[],
  options: CallBatchOptions,
): Promise<BatchAnswer> {
  checkCommands(commands);
  const secrets = requestSecrets(
    target,
    commands.map((command) => command.params),
  );
  const cmd: Record<string, string> = {};
  for (const command of commands) cmd[command.key] = commandLine(target, command);
  const answer = await postRestMethod(
    transport,
    target,
    'batch',
    { halt: options.halt ? 1 : 0, cmd },
    secrets,
  );

  const parsed = batchResult.safeParse(answer.result);
  if (!parsed.success) {
    throw createBitrixError({
      code: 'INVALID_RESPONSE',
      description: `HTTP ${answer.httpStatus} batch answer has no result map`,
      httpStatus: answer.httpStatus,
      method: 'batch',
    });
  }
  const { result, result_error: errors = {}, result_time: times = {} } = parsed.data;
  const results: Record<string, BatchCommandAnswer> = Object.create(null);
  for (const command of commands) {
    const { key, method } = command;
    if (Object.hasOwn(errors, key)) {
      results[key] = {
        ok: false,
        error: commandFailure(errors[key], method, answer.httpStatus, target, secrets),
      };
    } else if (Object.hasOwn(result, key)) {
      results[key] = { ok: true, result: result[key], time: parseMethodTime(times[key]) };
    } else {
      results[key] = { ok: false, notExecuted: true };
    }
  }
  return { results, time: answer.time, httpStatus: answer.httpStatus };
}

function commandFailure(
  raw: unknown,
  method: string,
  httpStatus: number,
  target: PortalTarget,
  secrets: readonly string[],
): BitrixError {
  const parsed = commandError.safeParse(raw);
  if (!parsed.success) {
    return createBitrixError({
      code: 'INVALID_RESPONSE',
      description: `HTTP ${httpStatus} batch answer has an unreadable error for this command`,
      httpStatus,
      method,
    });
  }
  return createBitrixError({
    code: parsed.data.error,
    description: redactText(parsed.data.error_description ?? '', secrets).slice(0, MAX_ERROR_DESCRIPTION),
    httpStatus,
    method,
    caller: target.kind,
  });
}
