/**
 * What the caller should do with a failed Bitrix24 call:
 * - `transient`: a fault on the way or on the server; the call did not take effect, retry with backoff.
 * - `rate_limited`: the portal says "wait" (QUERY_LIMIT_EXCEEDED, OPERATION_TIME_LIMIT, OVERLOAD_LIMIT);
 *   retry later, slower, never count it as a fault.
 * - `auth`: the access token is expired or invalid; refresh (or re-authorise) before retrying.
 * - `permanent`: the request itself is wrong or the portal refuses it; retrying the same call cannot help.
 * - `ambiguous`: the request was sent and no answer came; the server may have done the work. For
 *   non-idempotent methods (`imbot.app.register` is not deduplicated by the server) do not retry blindly.
 */
export type ErrorClass = 'transient' | 'rate_limited' | 'auth' | 'permanent' | 'ambiguous';
