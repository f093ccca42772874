import {
  AmbiguousError,
  AuthError,
  type AuthErrorReason,
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
  /**
   * Who called: a refused `webhook` call always gets AuthError reason `invalid_credentials` (a webhook has no
   * token to refresh). Default `oauth`.
   */
  caller?: 'oauth' | 'webhook';
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

function authReasonOf(code: string, caller: 'oauth' | 'webhook'): AuthErrorReason {
  if (caller === 'webhook') return 'invalid_credentials';
  switch (code.toUpperCase()) {
    case 'EXPIRED_TOKEN':
      return 'expired_token';
    case 'INVALID_CREDENTIALS':
      return 'invalid_credentials';
    default:
      // invalid_token, NO_AUTH_FOUND, and an unknown code classified as auth: one refresh may help.
      return 'invalid_token';
  }
}

/**
 * The one place that turns a failure into a typed error: the subclass always follows `classifyError`, so
 * `error.errorClass` and `error instanceof ...` never disagree. OAuth's `invalid_grant` / `invalid_client` get
 * their own classes (errorClass `auth` / `permanent`); every other `auth` code is an AuthError whose `reason`
 * says whether refreshing the token can help (see AuthErrorReason).
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
      return new AuthError({ ...options, reason: authReasonOf(input.code, input.caller ?? 'oauth') });
    case 'permanent':
      return new PermanentError(options);
    case 'ambiguous':
      return new AmbiguousError(options);
  }
}
