import { BitrixError } from '../bitrix/bitrix-error.js';
import type { ErrorClass } from '../bitrix/error-class.js';

/**
 * How a token source (docs/tokens.md, "The token contract") failed to hand out a portal's access token:
 * - `not_known`: it answered 404, it does not know the portal: the portal's pairs are parked `needs_reauth`.
 * - `refused`: it answered 401 or 403, it refused our secret: a configuration fault; the source's portals pause.
 * - `unavailable`: 5xx, another status, a timeout, no connection, or an answer that is malformed, too large, or
 *   without a future expiry: transient, retried with back-off without spending attempts.
 * - `mismatch`: the answer is for another portal (its `member_id` or `client_endpoint` disagrees with the stored
 *   portal): the token is never used, the portal's pairs are parked `needs_reauth` with the reason.
 */
export type TokenSourceFailure = 'not_known' | 'refused' | 'unavailable' | 'mismatch';

/** The local error code of each failure (kept in pair results, logs and `status`). */
export const TOKEN_SOURCE_CODES = {
  not_known: 'TOKEN_SOURCE_NOT_KNOWN',
  refused: 'TOKEN_SOURCE_REFUSED',
  unavailable: 'TOKEN_SOURCE_UNAVAILABLE',
  mismatch: 'TOKEN_SOURCE_MISMATCH',
} as const satisfies Record<TokenSourceFailure, string>;

// Asking again cannot help a portal the source does not know or answers for wrongly: `permanent` (the pipeline
// decides with `failure`, src/pipeline/decide.ts, and never fails a pair for it).
const ERROR_CLASS: Record<TokenSourceFailure, ErrorClass> = {
  not_known: 'permanent',
  refused: 'permanent',
  unavailable: 'transient',
  mismatch: 'permanent',
};

export interface TokenSourceErrorOptions {
  domain: string;
  /** What went wrong, without any token or secret. */
  description: string;
  /** HTTP status of the source's answer; undefined when none came. */
  httpStatus: number | undefined;
  /**
   * When the portal's jobs should look again (ms epoch): the end of the pause after a refusal, or the back-off
   * after an outage (src/tokens/source-health.ts). Undefined when the caller decides.
   */
  retryAt?: number | undefined;
  /** Failures of the source in a row, this one included (src/tokens/source-health.ts): the back-off grows with it. */
  failures?: number | undefined;
  cause?: unknown;
}

/**
 * A token source did not hand out a usable access token. A BitrixError like a failed OAuth refresh (the other
 * way a portal's token is obtained), with a local `code` (TOKEN_SOURCE_CODES) and `failure` saying what helps;
 * `src/pipeline/decide.ts` never spends a pair's attempt on it. Build with `tokenSourceError`.
 */
export class TokenSourceError extends BitrixError {
  override readonly name: string = 'TokenSourceError';
  readonly failure: TokenSourceFailure;
  readonly domain: string;
  readonly retryAt: number | undefined;
  readonly failures: number | undefined;
  /** `description` without the leading "token source, portal <domain>: ". */
  readonly detail: string;

  constructor(failure: TokenSourceFailure, options: TokenSourceErrorOptions) {
    super({
      code: TOKEN_SOURCE_CODES[failure],
      description: `token source, portal ${options.domain}: ${options.description}`,
      httpStatus: options.httpStatus,
      method: undefined,
      errorClass: ERROR_CLASS[failure],
      cause: options.cause,
    });
    this.failure = failure;
    this.domain = options.domain;
    this.retryAt = options.retryAt;
    this.failures = options.failures;
    this.detail = options.description;
  }

  /** The same failure with what the source's health says: when to look again, failures in a row. */
  withHealth(health: { retryAt?: number | undefined; failures?: number | undefined }): TokenSourceError {
    return tokenSourceError(this.failure, {
      domain: this.domain,
      description: this.detail,
      httpStatus: this.httpStatus,
      retryAt: health.retryAt ?? this.retryAt,
      failures: health.failures ?? this.failures,
      cause: this.cause,
    });
  }
}

/** 404: the source does not know the portal. */
export class TokenSourceNotKnownError extends TokenSourceError {
  override readonly name = 'TokenSourceNotKnownError' as const;
  constructor(options: TokenSourceErrorOptions) {
    super('not_known', options);
  }
}

/** 401/403: the source refused our secret (ROLLOUT_TOKEN_SOURCE_SECRET): a configuration fault. */
export class TokenSourceRefusedError extends TokenSourceError {
  override readonly name = 'TokenSourceRefusedError' as const;
  constructor(options: TokenSourceErrorOptions) {
    super('refused', options);
  }
}

/** 5xx, timeout, no connection, malformed / too large / expired answer: transient. */
export class TokenSourceUnavailableError extends TokenSourceError {
  override readonly name = 'TokenSourceUnavailableError' as const;
  constructor(options: TokenSourceErrorOptions) {
    super('unavailable', options);
  }
}

/** The answer's member_id or client_endpoint is another portal's: the token is never used. */
export class TokenSourceMismatchError extends TokenSourceError {
  override readonly name = 'TokenSourceMismatchError' as const;
  constructor(options: TokenSourceErrorOptions) {
    super('mismatch', options);
  }
}

/** The one place a TokenSourceError is built: the subclass always follows `failure`. */
export function tokenSourceError(
  failure: TokenSourceFailure,
  options: TokenSourceErrorOptions,
): TokenSourceError {
  switch (failure) {
    case 'not_known':
      return new TokenSourceNotKnownError(options);
    case 'refused':
      return new TokenSourceRefusedError(options);
    case 'unavailable':
      return new TokenSourceUnavailableError(options);
    case 'mismatch':
      return new TokenSourceMismatchError(options);
  }
}

/** The failure an HTTP status of the source means (200 is read as an answer, never passed here). */
export function failureOfStatus(status: number): TokenSourceFailure {
  if (status === 404) return 'not_known';
  if (status === 401 || status === 403) return 'refused';
  return 'unavailable';
}
