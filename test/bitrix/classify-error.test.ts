import { describe, expect, it } from 'vitest';
import { classifyError, ERROR_CODE_CLASSES } from '../../src/bitrix/classify-error.js';
import type { ErrorClass } from '../../src/bitrix/error-class.js';

// [code, HTTP status it arrives with (spec / docs/bitrix24.md), expected class]
const KNOWN: ReadonlyArray<readonly [string, number | undefined, ErrorClass]> = [
  // the imbot.app.register docs page (docs/bitrix24.md, the sources listed at its top), "Possible Error Codes" (method errors come with a 4xx in practice)
  ['BOT_ID_ERROR', 400, 'permanent'],
  ['APP_ID_ERROR', 400, 'permanent'],
  ['IFRAME_HTTPS', 400, 'permanent'],
  ['HASH_ERROR', 400, 'permanent'],
  ['PARAMS_ERROR', 400, 'permanent'],
  ['LANG_ERROR', 400, 'permanent'],
  ['WRONG_REQUEST', 400, 'transient'],
  // docs/bitrix24.md, "Update" / "Unregister"
  ['CHAT_APP_ID_ERROR', 400, 'permanent'],
  // im source (appRegister): CODE missing
  ['CODE_ERROR', 400, 'permanent'],
  // the imbot.app.register docs page, "Statuses and System Error Codes"
  ['INTERNAL_SERVER_ERROR', 500, 'transient'],
  ['ERROR_UNEXPECTED_ANSWER', 500, 'transient'],
  ['QUERY_LIMIT_EXCEEDED', 503, 'rate_limited'],
  ['ERROR_BATCH_METHOD_NOT_ALLOWED', 405, 'permanent'],
  ['ERROR_BATCH_LENGTH_EXCEEDED', 400, 'permanent'],
  ['NO_AUTH_FOUND', 401, 'auth'],
  ['INVALID_REQUEST', 400, 'permanent'],
  ['OVERLOAD_LIMIT', 503, 'rate_limited'],
  ['ACCESS_DENIED', 403, 'permanent'],
  ['INVALID_CREDENTIALS', 403, 'auth'],
  ['ERROR_MANIFEST_IS_NOT_AVAILABLE', 404, 'permanent'],
  ['insufficient_scope', 403, 'permanent'],
  ['expired_token', 401, 'auth'],
  ['user_access_error', 403, 'permanent'],
  ['PORTAL_DELETED', 500, 'permanent'],
  ['PORTAL_DELETED', 403, 'permanent'], // the server source answers 403 (docs/bitrix24.md, "Who is calling")
  // docs/bitrix24.md, "Limits" / "OAuth 2.0"; REST "Method not found"
  ['OPERATION_TIME_LIMIT', 429, 'rate_limited'],
  ['invalid_token', 401, 'auth'],
  ['ERROR_METHOD_NOT_FOUND', 404, 'permanent'],
  ['invalid_grant', 400, 'auth'],
  ['invalid_client', 401, 'permanent'],
  // local codes (no Bitrix24 answer, or an unusable one)
  ['NETWORK_ERROR', undefined, 'transient'],
  ['INVALID_RESPONSE', 200, 'transient'],
  ['INVALID_RESPONSE', 502, 'transient'],
  ['TIMEOUT', undefined, 'ambiguous'],
  ['CONNECTION_RESET', undefined, 'ambiguous'],
  ['INSECURE_URL', undefined, 'permanent'],
  ['OUTBOUND_REFUSED', undefined, 'permanent'],
  ['INVALID_CALL', undefined, 'permanent'],
];

describe('classifyError', () => {
  it.each(KNOWN)('classifies %s (HTTP %s) as %s', (code, httpStatus, expected) => {
    expect(classifyError({ code, httpStatus })).toBe(expected);
  });

  it('covers every entry of ERROR_CODE_CLASSES in the table above, with the same class', () => {
    const tested = new Map(KNOWN.map(([code, , expected]) => [code, expected]));
    expect([...tested.keys()].sort()).toEqual(Object.keys(ERROR_CODE_CLASSES).sort());
    for (const [code, expected] of Object.entries(ERROR_CODE_CLASSES))
      expect(tested.get(code)).toBe(expected);
  });

  it.each([
    ['PORTAL_DELETED', 500],
    ['PORTAL_DELETED', 403],
    ['portal_deleted', 500],
    ['portal_deleted', 403],
    ['Portal_Deleted', 503],
  ] as const)('decides by the code before the status: %s at HTTP %s is permanent', (code, httpStatus) => {
    expect(classifyError({ code, httpStatus })).toBe('permanent');
  });

  it.each([
    ['INVALID_CREDENTIALS', 403],
    ['invalid_credentials', 403],
    ['INVALID_CREDENTIALS', 401],
  ] as const)(
    'classifies %s at HTTP %s as auth: the portal needs new credentials, not a failed pair',
    (code, httpStatus) => {
      expect(classifyError({ code, httpStatus })).toBe('auth');
    },
  );

  it('keeps a known code whatever status it came with (HTTP 200 with an error body)', () => {
    expect(classifyError({ code: 'QUERY_LIMIT_EXCEEDED', httpStatus: 200 })).toBe('rate_limited');
    expect(classifyError({ code: 'expired_token', httpStatus: 500 })).toBe('auth');
    expect(classifyError({ code: 'BOT_ID_ERROR', httpStatus: 503 })).toBe('permanent');
  });

  it('accepts the other letter case of a known code', () => {
    expect(classifyError({ code: 'EXPIRED_TOKEN', httpStatus: 401 })).toBe('auth');
    expect(classifyError({ code: 'query_limit_exceeded', httpStatus: 503 })).toBe('rate_limited');
  });

  it.each([
    [503, 'transient'],
    [500, 'transient'],
    [502, 'transient'],
    [504, 'transient'],
    [429, 'rate_limited'],
    [404, 'permanent'],
    [400, 'permanent'],
    [403, 'permanent'],
    [200, 'permanent'],
    [302, 'permanent'],
    [undefined, 'ambiguous'],
  ] as const)('classifies an unknown code at HTTP %s as %s', (httpStatus, expected) => {
    expect(classifyError({ code: 'SOMETHING_NEW', httpStatus })).toBe(expected);
    expect(classifyError({ code: `HTTP_${httpStatus}`, httpStatus })).toBe(expected);
  });

  it('does not treat inherited object keys as known codes', () => {
    expect(classifyError({ code: 'toString', httpStatus: 503 })).toBe('transient');
    expect(classifyError({ code: '__proto__', httpStatus: 404 })).toBe('permanent');
  });
});
