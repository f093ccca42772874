import type { BatchRestClient, RestClient } from '../../src/bitrix/call-method.js';
import { createBitrixError } from '../../src/bitrix/create-bitrix-error.js';

/**
 * Wraps a REST client so that its `atCall`-th request (1-based; a single call or a batch, each one request as
 * the server counts them) is answered as the server answers a full bucket: 503 `QUERY_LIMIT_EXCEEDED`, after
 * `latencyMs`, without reaching the server (a refused request is not counted there either). Stands for timing
 * jitter or one request of another application at the wrong moment. Both `call` and, when the client has it,
 * `callBatch` are wrapped: with batching on, the worker sends most requests through `callBatch`.
 */
export function injectQueryLimit<R extends RestClient & Partial<Pick<BatchRestClient, 'callBatch'>>>(
  rest: R,
  atCall: number,
  latencyMs: number,
): { rest: R; injected: () => number } {
  let requests = 0;
  let injected = 0;
  /** Refuses this request: after `latencyMs`, the 503 a full bucket gives. */
  async function refuse(method: string): Promise<never> {
    injected += 1;
    await new Promise((resolve) => setTimeout(resolve, latencyMs));
    throw createBitrixError({
      code: 'QUERY_LIMIT_EXCEEDED',
      description: 'Too many requests',
      httpStatus: 503,
      method,
    });
  }
  const wrapped: R = {
    ...rest,
    async call(target: Parameters<R['call']>[0], method: string, params: Record<string, unknown>) {
      requests += 1;
      if (requests !== atCall) return await rest.call(target, method, params);
      return await refuse(method);
    },
  };
  const callBatch = rest.callBatch;
  if (callBatch) {
    wrapped.callBatch = async (...args: Parameters<BatchRestClient['callBatch']>) => {
      requests += 1;
      if (requests !== atCall) return await callBatch.apply(rest, args);
      return await refuse('batch');
    };
  }
  return { rest: wrapped, injected: () => injected };
}
