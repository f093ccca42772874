import { upperCaseKeys } from './chat-app-methods.js';
import { isPhpEmpty } from './php-values.js';
import { type BatchState, parseBatchQuery, phpArrayOf } from './process-batch-query.js';

/** Commands one batch runs; the server answers each further one ERROR_BATCH_LENGTH_EXCEEDED (rest source). */
export const BATCH_MAX_LENGTH = 50;

/** What one command of a batch gave. */
export type BatchCommandOutcome =
  | { ok: true; result: unknown; time: unknown }
  | { ok: false; code: string; description: string };

/** Runs one command as if called alone, for the same portal and caller. May throw PhpFatalError. */
export type BatchCommandRunner = (method: string, params: Record<string, unknown>) => BatchCommandOutcome;

/** The `result` of a `batch` answer (docs/bitrix24.md, "Batch"; each map `[]` when empty, as PHP prints it). */
export interface BatchResult {
  result: unknown;
  result_error: unknown;
  result_total: unknown;
  result_next: unknown;
  result_time: unknown;
}

/** Methods the batch refuses to run: files (rest source) and, since rest 24.0.0, a batch in a batch (docs). */
const NOT_IN_BATCH = new Set(['download', 'upload', 'batch']);

/** `parse_url($call)`: the path (the method) and the query, without a `#fragment`. */
function splitCall(call: string): { method: string; query: string | undefined } {
  const hash = call.indexOf('#');
  const line = hash < 0 ? call : call.slice(0, hash);
  const question = line.indexOf('?');
  return question < 0
    ? { method: line, query: undefined }
    : { method: line.slice(0, question), query: line.slice(question + 1) };
}

/** `cmd` as PHP iterates it: a JSON object or list (or a form's `cmd[key]=...`), in order; anything else is empty. */
function entriesOf(cmd: unknown): [string, unknown][] {
  if (Array.isArray(cmd)) return cmd.map((call, index) => [String(index), call]);
  if (typeof cmd === 'object' && cmd !== null) return Object.entries(cmd);
  return [];
}

/**
 * `CRestProvider::methodsBatch` (rest source, `classes/general/rest_provider.php`; docs/bitrix24.md "Batch"):
 * HALT and CMD read case-insensitively; each `cmd` entry, in order, is `method?query`: its query is read by
 * parseBatchQuery (references to earlier results resolved, the trap included) and run by `run` as the same
 * call made alone would be. A success stores `result[key]` and `time[key]`; a failure stores
 * `error[key] = {error, error_description}` (and, as the server does, `error_description[key]`, which adds a
 * name later references can use); with HALT a failure ends the batch. Entries past the 50th answer
 * ERROR_BATCH_LENGTH_EXCEEDED without running; `download`, `upload` and `batch` answer
 * ERROR_BATCH_METHOD_NOT_ALLOWED; an entry that is not a string is skipped (it still counts toward the 50).
 * A PhpFatalError thrown by `run` ends the whole request, the commands before it done.
 */
export function runBatch(params: Record<string, unknown>, run: BatchCommandRunner): BatchResult {
  const query = upperCaseKeys(params);
  const halt = !isPhpEmpty(query['HALT']);
  const state: BatchState = new Map([
    ['result', new Map()],
    ['next', new Map()],
    ['total', new Map()],
    ['time', new Map()],
    ['error', new Map()],
  ]);
  const store = (name: string, key: string, value: unknown): void => {
    let map = state.get(name);
    if (map === undefined) {
      map = new Map();
      state.set(name, map);
    }
    map.set(key, value);
  };
  let count = 0;
  for (const [key, call] of entriesOf(query['CMD'])) {
    let outcome: BatchCommandOutcome;
    count += 1;
    if (count > BATCH_MAX_LENGTH) {
      outcome = { ok: false, code: 'ERROR_BATCH_LENGTH_EXCEEDED', description: 'Max batch length exceeded' };
    } else {
      if (typeof call !== 'string') continue;
      const { method, query: commandQuery } = splitCall(call);
      const commandParams = parseBatchQuery(commandQuery, state);
      outcome = NOT_IN_BATCH.has(method.toLowerCase())
        ? {
            ok: false,
            code: 'ERROR_BATCH_METHOD_NOT_ALLOWED',
            description: 'Method is not allowed for batch usage',
          }
        : run(method, commandParams);
    }
    if (outcome.ok) {
      store('result', key, outcome.result);
      store('time', key, outcome.time);
      continue;
    }
    store('error', key, { error: outcome.code, error_description: outcome.description });
    store('error_description', key, outcome.description);
    if (halt) break;
  }
  const mapOf = (name: string) => phpArrayOf(state.get(name) ?? new Map());
  return {
    result: mapOf('result'),
    result_error: mapOf('error'),
    result_total: mapOf('total'),
    result_next: mapOf('next'),
    result_time: mapOf('time'),
  };
}
