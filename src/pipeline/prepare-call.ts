import type { AppDefinition } from '../apps/app-definition-schema.js';
import { deriveAppHash } from '../apps/derive-app-hash.js';
import { toRegisterParams, toUpdateFields } from '../apps/to-method-params.js';
import type { Config } from '../config/config-schema.js';
import type { DefinitionStore } from '../store/definition-store.js';
import type { PairError, PairResult } from '../store/pair-result.js';
import { METHOD_OF, type Operation } from './plan-operation.js';

/** One call ready to send for a pair: the operation, the method and its parameters. */
export interface PreparedCall {
  op: Operation;
  method: string;
  params: Record<string, unknown>;
  /** The IFRAME HASH sent (kept on the result for the iframe handler to verify). */
  hashUsed: string | undefined;
  /** For a register: the FIELDS of the update that always follows it (docs/bitrix24.md, "Register is get-or-create"). */
  followUpFields: Record<string, unknown> | undefined;
}

/** The IFRAME HASH to send: the definition's, or derived per portal for "auto" (an Error when no secret is set). */
function iframeHash(def: AppDefinition, domain: string, config: Config): string | undefined | Error {
  if (!('IFRAME' in def) || def.HASH === undefined) return undefined;
  if (def.HASH !== 'auto') return def.HASH;
  if (!config.hashSecret) {
    return new Error(
      'ROLLOUT_HASH_SECRET is not set on this worker but the definition asks for "HASH": "auto"',
    );
  }
  return deriveAppHash(config.hashSecret, domain, def.CODE);
}

/**
 * Builds the call for `op` on a pair: its definition (from the store, by hash), the HASH for the portal and the
 * parameters. A pair whose definition is gone, or whose "auto" HASH cannot be derived here, gets a final error.
 */
export async function prepareCall(
  result: PairResult,
  op: Operation,
  ctx: { botId: number | undefined; config: Config; definitions: DefinitionStore },
): Promise<PreparedCall | { error: PairError }> {
  const method = METHOD_OF[op];
  if (op === 'unregister') {
    return { op, method, params: { APP_ID: result.appId }, hashUsed: undefined, followUpFields: undefined };
  }
  const definition = result.desiredDefHash ? await ctx.definitions.get(result.desiredDefHash) : undefined;
  if (!definition) {
    return {
      error: {
        code: 'DEFINITION_MISSING',
        message: 'the queued definition is not stored; run rollout again',
      },
    };
  }
  const hash = iframeHash(definition, result.portal, ctx.config);
  if (hash instanceof Error) return { error: { code: 'HASH_SECRET_MISSING', message: hash.message } };
  const fields = toUpdateFields(definition, { hash });
  if (op === 'update') {
    return {
      op,
      method,
      params: { APP_ID: result.appId, FIELDS: fields },
      hashUsed: hash,
      followUpFields: undefined,
    };
  }
  // A botCode not resolved yet (process-pair.ts resolves it before any register): no call without a bot.
  if (ctx.botId === undefined) {
    return {
      error: { code: 'BOT_ID_MISSING', message: 'the portal has no bot id yet; give botId or botCode' },
    };
  }
  return {
    op,
    method,
    params: toRegisterParams(definition, { botId: ctx.botId, hash }),
    hashUsed: hash,
    followUpFields: fields,
  };
}

/** APP_ID from a register answer: a positive integer, also when the server sends it as a string. */
export function parseAppId(result: unknown): number | undefined {
  const id = typeof result === 'string' && /^\d+$/.test(result) ? Number(result) : result;
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/**
 * A register call answered 200 without a readable APP_ID. Retried like a transient fault: a second register is
 * safe, it returns the same app (docs/bitrix24.md, "Register is get-or-create").
 */
export class UnreadableAppIdError extends Error {
  override readonly name = 'UnreadableAppIdError';
  readonly code = 'UNREADABLE_APP_ID';
  constructor(result: unknown) {
    super(`imbot.app.register answered without a numeric APP_ID (${describeResult(result)})`);
  }
}

/** A short, safe description of an unexpected `result` (never throws: it may be nested arbitrarily deep). */
function describeResult(result: unknown): string {
  if (result === null || typeof result !== 'object') return String(result).slice(0, 60);
  return Array.isArray(result) ? `an array of ${result.length}` : 'an object';
}
