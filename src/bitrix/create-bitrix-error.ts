import {
  AmbiguousError,
  AuthError,
  type BitrixError,
  type BitrixErrorOptions,
  InvalidClientError,
  InvalidGrantError,
  PermanentError,
  type RateLimit,
  RateLimitedError,
  TransientError,
} from './bitrix-error.js';
import { classifyError } from './classify-error.js';

export interface CreateBitrixErrorInput {
  code: string;
  /** Must already be redacted. */
  description: string;
  httpStatus: number | undefined;
  method: string | undefined;
  /** ms epoch; only used for rate-limited errors (from `time.operating_reset_at`). */
  retryAt?: number;
  cause?: unknown;
}

function rateLimitOf(code: string): RateLimit {
  switch (code.toUpperCase()) {
    case 'OPERATION_TIME_LIMIT':
      return 'operation_time';
    case 'OVERLOAD_LIMIT':
      return 'overload';
    default:
      // QUERY_LIMIT_EXCEEDED, and an unknown code answered with HTTP 429.
      return 'query_limit';
  }
}

/**
 * The one place that turns a failure into a typed error: the subclass always follows `classifyError`, so
 * `error.errorClass` and `error instanceof ...` never disagree. OAuth's `invalid_grant` / `invalid_client` get
 * their own classes (errorClass `auth` / `permanent`).
 */
export function createBitrixError(input: CreateBitrixErrorInput): BitrixError {
  const options: BitrixErrorOptions = {
    code: input.code,
    description: input.description,
    httpStatus: input.httpStatus,
    method: input.method,
  };
  if (input.cause !== undefined) options.cause = input.cause;

  const lowerCode = input.code.toLowerCase();
  if (lowerCode === 'invalid_grant') return new InvalidGrantError(options);
  if (lowerCode === 'invalid_client') return new InvalidClientError(options);

  switch (classifyError({ code: input.code, httpStatus: input.httpStatus })) {
    case 'transient':
      return new TransientError(options);
    case 'rate_limited':
      return new RateLimitedError({ ...options, limit: rateLimitOf(input.code), retryAt: input.retryAt });
    case 'auth':
      return new AuthError({
        ...options,
        reason: lowerCode === 'expired_token' ? 'expired_token' : 'invalid_token',
      });
    case 'permanent':
      return new PermanentError(options);
    case 'ambiguous':
      return new AmbiguousError(options);
  }
}
