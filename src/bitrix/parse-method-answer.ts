import { z } from 'zod';
import { decodeAnswer } from './decode-answer.js';
import type { HttpAnswer } from './send-http-request.js';

/** The budget part of Bitrix24's `time` block (docs/bitrix24.md, "Limits"). */
export interface MethodTime {
  /** Seconds of execution time this method has used in the current window (`time.operating`). */
  operating?: number;
  /** When part of the budget frees, ms epoch (`time.operating_reset_at` is unix seconds). */
  operatingResetAt?: number;
}

export type ParsedMethodAnswer =
  | { kind: 'result'; result: unknown; time: MethodTime | undefined }
  | {
      kind: 'failure';
      code: string;
      /** Not redacted yet. */
      description: string;
      /** ms epoch, from `time.operating_reset_at`, only for OPERATION_TIME_LIMIT. */
      retryAt: number | undefined;
    };

// Numbers, or numeric strings (PHP sometimes serialises numbers as strings).
const numeric = z.union([
  z.number(),
  z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .transform(Number),
]);
const timeBlock = z.object({
  operating: numeric.pipe(z.number().nonnegative()).optional().catch(undefined),
  operating_reset_at: numeric.pipe(z.number().positive()).optional().catch(undefined),
});

/** A `time` block (of an answer, or of one batch command in `result_time`) -> its budget part; undefined if unusable. */
export function parseMethodTime(value: unknown): MethodTime | undefined {
  const parsed = timeBlock.safeParse(value);
  if (!parsed.success) return undefined;
  const time: MethodTime = {};
  if (parsed.data.operating !== undefined) time.operating = parsed.data.operating;
  if (parsed.data.operating_reset_at !== undefined) {
    time.operatingResetAt = Math.round(parsed.data.operating_reset_at * 1000);
  }
  return time;
}

/**
 * Pure: a complete HTTP answer of `<method>.json` -> the result with its `time`, or the failure code. Success
 * is `{"result": ..., "time": {...}}` (docs/bitrix24.md, "Who is calling"); a 2xx JSON object without `result`
 * is `INVALID_RESPONSE`. For `OPERATION_TIME_LIMIT` the `time.operating_reset_at` of the error answer (if any)
 * becomes `retryAt`.
 */
export function parseMethodAnswer(answer: HttpAnswer): ParsedMethodAnswer {
  const decoded = decodeAnswer(answer);
  if (decoded.kind === 'failure') {
    const { time } = decoded.body ?? {};
    const retryAt =
      decoded.code.toUpperCase() === 'OPERATION_TIME_LIMIT'
        ? parseMethodTime(time)?.operatingResetAt
        : undefined;
    return { kind: 'failure', code: decoded.code, description: decoded.description, retryAt };
  }
  if (!Object.hasOwn(decoded.body, 'result')) {
    return {
      kind: 'failure',
      code: 'INVALID_RESPONSE',
      description: `HTTP ${answer.status} answer has neither "result" nor "error"`,
      retryAt: undefined,
    };
  }
  const { result, time } = decoded.body;
  return { kind: 'result', result, time: parseMethodTime(time) };
}
