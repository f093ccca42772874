import { describe, expect, it } from 'vitest';
import {
  AmbiguousError,
  AuthError,
  BitrixError,
  InvalidClientError,
  InvalidGrantError,
  PermanentError,
  RateLimitedError,
  TransientError,
} from '../../src/bitrix/bitrix-error.js';
import { classifyError, ERROR_CODE_CLASSES } from '../../src/bitrix/classify-error.js';
import { createBitrixError } from '../../src/bitrix/create-bitrix-error.js';

const base = { description: 'text', httpStatus: 400, method: 'imbot.app.register' } as const;

describe('createBitrixError', () => {
  it('picks the subclass whose errorClass matches classifyError, for every known code', () => {
    for (const code of Object.keys(ERROR_CODE_CLASSES)) {
      const error = createBitrixError({ ...base, code });
      expect(error).toBeInstanceOf(BitrixError);
      expect(error).toBeInstanceOf(Error);
      expect(error.errorClass).toBe(classifyError({ code, httpStatus: base.httpStatus }));
      expect(error.code).toBe(code);
    }
  });

  it('keeps code, description, HTTP status, method and cause', () => {
    const cause = new Error('underlying');
    const error = createBitrixError({
      code: 'INTERNAL_SERVER_ERROR',
      description: 'Internal server error',
      httpStatus: 500,
      method: 'imbot.app.register',
      cause,
    });
    expect(error).toBeInstanceOf(TransientError);
    expect(error.name).toBe('TransientError');
    expect(error.description).toBe('Internal server error');
    expect(error.httpStatus).toBe(500);
    expect(error.method).toBe('imbot.app.register');
    expect(error.cause).toBe(cause);
    expect(error.message).toBe(
      'INTERNAL_SERVER_ERROR: Internal server error (method imbot.app.register, HTTP 500)',
    );
    expect(String(error)).toBe(`TransientError: ${error.message}`);
  });

  it('says "no HTTP answer" when there was none', () => {
    const error = createBitrixError({
      code: 'TIMEOUT',
      description: 'late',
      httpStatus: undefined,
      method: 'm.x',
    });
    expect(error).toBeInstanceOf(AmbiguousError);
    expect(error.message).toBe('TIMEOUT: late (method m.x, no HTTP answer)');
  });

  it.each([
    ['QUERY_LIMIT_EXCEEDED', 503, 'query_limit'],
    ['OPERATION_TIME_LIMIT', 429, 'operation_time'],
    ['OVERLOAD_LIMIT', 503, 'overload'],
    ['SOMETHING_NEW', 429, 'query_limit'],
  ] as const)('makes %s a RateLimitedError with limit %s', (code, httpStatus, limit) => {
    const error = createBitrixError({ ...base, code, httpStatus, retryAt: 1_700_000_000_000 });
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error.name).toBe('RateLimitedError');
    expect((error as RateLimitedError).limit).toBe(limit);
    expect((error as RateLimitedError).retryAt).toBe(1_700_000_000_000);
  });

  it('leaves retryAt undefined when the portal gave no reset time', () => {
    const error = createBitrixError({ ...base, code: 'QUERY_LIMIT_EXCEEDED', httpStatus: 503 });
    expect((error as RateLimitedError).retryAt).toBeUndefined();
  });

  it.each([
    ['expired_token', 401, 'expired_token'],
    ['EXPIRED_TOKEN', 401, 'expired_token'],
    ['NO_AUTH_FOUND', 401, 'invalid_token'],
    ['invalid_token', 401, 'invalid_token'],
    ['INVALID_CREDENTIALS', 403, 'invalid_credentials'],
    ['invalid_credentials', 403, 'invalid_credentials'],
  ] as const)(
    'makes %s (HTTP %s) of an OAuth call an AuthError with reason %s',
    (code, httpStatus, reason) => {
      const error = createBitrixError({ ...base, code, httpStatus });
      expect(error).toBeInstanceOf(AuthError);
      expect(error.name).toBe('AuthError');
      expect(error.errorClass).toBe('auth');
      expect((error as AuthError).reason).toBe(reason);
    },
  );

  it.each([['NO_AUTH_FOUND'], ['INVALID_CREDENTIALS'], ['expired_token'], ['invalid_token']])(
    'makes %s of a webhook call reason invalid_credentials: a webhook has nothing to refresh',
    (code) => {
      const error = createBitrixError({ ...base, code, httpStatus: 401, caller: 'webhook' });
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).reason).toBe('invalid_credentials');
    },
  );

  it.each([
    ['PORTAL_DELETED', 500],
    ['PORTAL_DELETED', 403],
    ['portal_deleted', 403],
  ] as const)('makes %s at HTTP %s a PermanentError', (code, httpStatus) => {
    const error = createBitrixError({ ...base, code, httpStatus });
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.name).toBe('PermanentError');
  });

  it('gives OAuth invalid_grant and invalid_client their own classes', () => {
    const grant = createBitrixError({ ...base, code: 'invalid_grant', method: undefined });
    expect(grant).toBeInstanceOf(InvalidGrantError);
    expect(grant.name).toBe('InvalidGrantError');
    expect(grant.errorClass).toBe('auth');
    expect(grant.message).toBe('invalid_grant: text (HTTP 400)');
    const client = createBitrixError({ ...base, code: 'invalid_client', httpStatus: 401 });
    expect(client).toBeInstanceOf(InvalidClientError);
    expect(client.name).toBe('InvalidClientError');
    expect(client.errorClass).toBe('permanent');
  });
});
