/**
 * What the caller should do with a failed Bitrix24 call:
 * - `transient`: a fault on the way or on the server; the call did not take effect, retry with backoff.
 * - `rate_limited`: the portal says "wait" (QUERY_LIMIT_EXCEEDED, OPERATION_TIME_LIMIT, OVERLOAD_LIMIT);
 *   retry later, slower, never count it as a fault.
 * - `auth`: the credentials are refused; AuthError.reason says whether a refresh can help (expired or
 *   replaced token) or the portal needs new credentials (`invalid_credentials`).
 * - `permanent`: the request itself is wrong or the portal refuses it; retrying the same call cannot help.
 * - `ambiguous`: the request was sent and no answer came; the server may have done the work. A register may be
 *   retried (it is get-or-create by BOT_ID and CODE, docs/bitrix24.md "Register is get-or-create"), but what it
 *   returns then may be an app whose fields are not the ones sent.
 */
export type ErrorClass = 'transient' | 'rate_limited' | 'auth' | 'permanent' | 'ambiguous';
