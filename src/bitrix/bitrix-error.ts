import type { ErrorClass } from './error-class.js';

/** What every Bitrix24 error carries. `description` must already be redacted (see redact.ts). */
export interface BitrixErrorOptions {
  /** Bitrix24 `error` code (`QUERY_LIMIT_EXCEEDED`), or a local one (`TIMEOUT`, `HTTP_502`, ...). */
  code: string;
  /** Bitrix24 `error_description`, or what went wrong locally. Redacted: no token, secret or webhook code. */
  description: string;
  /** HTTP status of the answer; undefined when no answer came. */
  httpStatus: number | undefined;
  /** REST method called (`imbot.app.register`), or undefined (OAuth refresh). */
  method: string | undefined;
  cause?: unknown;
}

function buildMessage(options: BitrixErrorOptions): string {
  const context = [
    options.method === undefined ? undefined : `method ${options.method}`,
    options.httpStatus === undefined ? 'no HTTP answer' : `HTTP ${options.httpStatus}`,
  ].filter((part): part is string => part !== undefined);
  const description = options.description === '' ? '' : `: ${options.description}`;
  return `${options.code}${description} (${context.join(', ')})`;
}

/**
 * Base of every failed Bitrix24 call (REST method or OAuth refresh). Keeps the Bitrix24 code, description and
 * HTTP status; `errorClass` tells the caller what to do (see error-class.ts). Build instances with
 * `createBitrixError` so the subclass always matches `classifyError`.
 */
export class BitrixError extends Error {
  override readonly name: string = 'BitrixError';
  readonly errorClass: ErrorClass;
  readonly code: string;
  readonly description: string;
  readonly httpStatus: number | undefined;
  readonly method: string | undefined;

  constructor(options: BitrixErrorOptions & { errorClass: ErrorClass }) {
    super(buildMessage(options), options.cause === undefined ? undefined : { cause: options.cause });
    this.errorClass = options.errorClass;
    this.code = options.code;
    this.description = options.description;
    this.httpStatus = options.httpStatus;
    this.method = options.method;
  }
}

/** A fault (server error, could not connect, unusable answer); the call did not take effect. Retry later. */
export class TransientError extends BitrixError {
  override readonly name = 'TransientError' as const;
  constructor(options: BitrixErrorOptions) {
    super({ ...options, errorClass: 'transient' });
  }
}

export type RateLimit = 'query_limit' | 'operation_time' | 'overload';

/** The portal says "wait": request-rate bucket full, method's execution-time budget spent, or a manual block. */
export class RateLimitedError extends BitrixError {
  override readonly name = 'RateLimitedError' as const;
  readonly limit: RateLimit;
  /** When the portal frees budget again (ms epoch), from `time.operating_reset_at`; undefined if not told. */
  readonly retryAt: number | undefined;
  constructor(options: BitrixErrorOptions & { limit: RateLimit; retryAt: number | undefined }) {
    super({ ...options, errorClass: 'rate_limited' });
    this.limit = options.limit;
    this.retryAt = options.retryAt;
  }
}

/**
 * Why the portal refused the caller, which decides what can help:
 * - `expired_token`: the OAuth access token expired (`expired_token`): refresh it, then retry.
 * - `invalid_token`: the OAuth access token is not accepted (`invalid_token`, `NO_AUTH_FOUND` on an OAuth
 *   call): it may have been replaced by a refresh elsewhere; refresh (or take the stored newer one) once, then
 *   retry.
 * - `invalid_credentials`: the credentials themselves are wrong: `INVALID_CREDENTIALS` (a wrong webhook code
 *   in the server source; the docs: the user behind the token or webhook lacks permissions), or any refusal of
 *   a webhook call (a webhook has nothing to refresh). Refreshing cannot help: park the portal once until an
 *   operator imports new credentials, instead of failing every pair.
 */
export type AuthErrorReason = 'expired_token' | 'invalid_token' | 'invalid_credentials';

/** The portal refused the caller's credentials (errorClass `auth`); `reason` says whether a refresh can help. */
export class AuthError extends BitrixError {
  override readonly name = 'AuthError' as const;
  readonly reason: AuthErrorReason;
  constructor(options: BitrixErrorOptions & { reason: AuthErrorReason }) {
    super({ ...options, errorClass: 'auth' });
    this.reason = options.reason;
  }
}

/** The request is wrong or refused for good (bad parameters, no access, portal deleted, http:// refused). */
export class PermanentError extends BitrixError {
  override readonly name = 'PermanentError' as const;
  constructor(options: BitrixErrorOptions) {
    super({ ...options, errorClass: 'permanent' });
  }
}

/** The request was sent and no complete answer came: the server may have done the work. */
export class AmbiguousError extends BitrixError {
  override readonly name = 'AmbiguousError' as const;
  constructor(options: BitrixErrorOptions) {
    super({ ...options, errorClass: 'ambiguous' });
  }
}

/**
 * OAuth refresh refused with `invalid_grant`: the refresh token was already used (the pair rotates on every
 * refresh) or revoked. Refreshing again cannot help; the portal needs the stored newer pair or a re-install.
 */
export class InvalidGrantError extends BitrixError {
  override readonly name = 'InvalidGrantError' as const;
  constructor(options: BitrixErrorOptions) {
    super({ ...options, errorClass: 'auth' });
  }
}

/** OAuth refresh refused with `invalid_client`: client_id / client_secret are wrong. A configuration error. */
export class InvalidClientError extends BitrixError {
  override readonly name = 'InvalidClientError' as const;
  constructor(options: BitrixErrorOptions) {
    super({ ...options, errorClass: 'permanent' });
  }
}
