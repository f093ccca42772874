import { type BatchAnswer, type BatchCommand, type CallBatchOptions, callBatch } from './call-batch.js';
import type { MethodTime } from './parse-method-answer.js';
import type { PortalTarget } from './portal-target.js';
import { postRestMethod } from './post-rest-method.js';
import { requestSecrets } from './request-secrets.js';
import { createRestTransport, type RestClientOptions } from './rest-transport.js';

export type { RestClientOptions } from './rest-transport.js';

export interface MethodAnswer<T = unknown> {
  /** Bitrix24 `result`, NOT validated: check it with zod before use. */
  result: T;
  time: MethodTime | undefined;
  httpStatus: number;
}

export interface RestClient {
  /**
   * Calls `method` on the portal. Resolves with the result, or rejects with a `BitrixError` subclass (see
   * create-bitrix-error.ts) whose message and description contain no token, no webhook code and no HASH of
   * `params` (top level or inside `FIELDS`).
   */
  call<T = unknown>(
    target: PortalTarget,
    method: string,
    params: Record<string, unknown>,
  ): Promise<MethodAnswer<T>>;
}

/** A RestClient that also sends batches (see callBatch). */
export interface BatchRestClient extends RestClient {
  /** callBatch (call-batch.ts) with this client's transport. */
  callBatch(
    target: PortalTarget,
    commands: readonly BatchCommand[],
    options: CallBatchOptions,
  ): Promise<BatchAnswer>;
}

/**
 * A small Bitrix24 REST client (docs/bitrix24.md, "Who is calling"): `POST <base><method>.json` with a JSON
 * body, `AbortSignal.timeout(timeoutMs)`, answers capped at `maxResponseBytes` (postRestMethod). It does not
 * retry, refresh tokens or rate-limit: callers decide from `error.errorClass` (and AuthError.reason). No error
 * it builds contains the access token, the webhook code or the request's HASH. Throws RangeError for a timeout
 * that is not a positive number.
 */
export function createRestClient(options: RestClientOptions): BatchRestClient {
  const transport = createRestTransport(options);
  return {
    async call<T = unknown>(
      target: PortalTarget,
      method: string,
      params: Record<string, unknown>,
    ): Promise<MethodAnswer<T>> {
      const answer = await postRestMethod(
        transport,
        target,
        method,
        params,
        requestSecrets(target, [params]),
      );
      return { result: answer.result as T, time: answer.time, httpStatus: answer.httpStatus };
    },
    callBatch: (target, commands, batchOptions) => callBatch(transport, target, commands, batchOptions),
  };
}
