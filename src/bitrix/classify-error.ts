import type { ErrorClass } from './error-class.js';

/**
 * Every error code this project knows, with what the caller should do about it. Sources:
 * - "spec" = /work/shared/reference/imbot.app.register.txt ("Possible Error Codes" of imbot.app.register and
 *   "Statuses and System Error Codes", which "may occur when calling any method");
 * - "facts" = /work/shared/reference/bitrix24-facts.md (update/unregister errors, limits, OAuth refresh);
 * - "local" = codes this client makes up for failures that never produced a Bitrix24 answer.
 * The HTTP status in the comments is the one the spec lists; classification never depends on it for a known
 * code ("Classify by the code, not the status" — facts, Wire format).
 */
export const ERROR_CODE_CLASSES = {
  // --- transient: the server failed, nothing took effect; retry with backoff -------------------------------
  INTERNAL_SERVER_ERROR: 'transient', // 500, spec: "An internal server error has occurred"
  ERROR_UNEXPECTED_ANSWER: 'transient', // 500, spec: "Server returned an unexpected response"
  WRONG_REQUEST: 'transient', // spec (imbot.app.register): "Something went wrong"; facts: update/unregister too
  NETWORK_ERROR: 'transient', // local: could not connect (refused, DNS, TLS): nothing was sent
  INVALID_RESPONSE: 'transient', // local: answer not JSON, truncated, too large, or without `result`

  // --- rate_limited: the portal says "wait"; not a fault ---------------------------------------------------
  QUERY_LIMIT_EXCEEDED: 'rate_limited', // 503, spec: "The request intensity limit has been exceeded"
  OPERATION_TIME_LIMIT: 'rate_limited', // 429, facts: method blocked for up to 10 min (480 s per 10 min)
  OVERLOAD_LIMIT: 'rate_limited', // 503, spec: "a manual individual block" — retrying soon does not help

  // --- auth: the token is expired or wrong ------------------------------------------------------------------
  expired_token: 'auth', // 401, spec: "The provided access token has expired"
  NO_AUTH_FOUND: 'auth', // 401, spec: "Invalid access token or webhook code"
  invalid_token: 'auth', // 401, OAuth 2.0 (RFC 6750) code Bitrix24 returns for an unknown access token
  invalid_grant: 'auth', // facts (OAuth refresh): the refresh token was already used or revoked

  // --- permanent: retrying the same request cannot help ----------------------------------------------------
  BOT_ID_ERROR: 'permanent', // spec: "Chat bot not found"
  APP_ID_ERROR: 'permanent', // spec: "The chat application does not belong to this rest application"
  CHAT_APP_ID_ERROR: 'permanent', // facts (update/unregister): "application not found"
  IFRAME_HTTPS: 'permanent', // spec: "The link to IFRAME must lead to a site with an active HTTPS certificate"
  HASH_ERROR: 'permanent', // spec: "You did not specify a hash for the application"
  PARAMS_ERROR: 'permanent', // spec: "Error specifying JS command or IFRAME parameters"
  LANG_ERROR: 'permanent', // spec: "Language phrases for the visible command were not provided"
  ACCESS_DENIED: 'permanent', // 403, spec: "REST API is available only on commercial plans"
  INVALID_CREDENTIALS: 'permanent', // 403, spec: the user of the token/webhook "lacks permissions"
  insufficient_scope: 'permanent', // 403, spec: "requires higher privileges than provided by the webhook token"
  user_access_error: 'permanent', // 403, spec: "The user does not have access to the application"
  PORTAL_DELETED: 'permanent', // 500 (!), spec: "Portal was deleted" / public part closed
  ERROR_MANIFEST_IS_NOT_AVAILABLE: 'permanent', // 404, spec: "Manifest is not available"
  INVALID_REQUEST: 'permanent', // 400, spec: "Https required"
  ERROR_METHOD_NOT_FOUND: 'permanent', // 404, Bitrix24 REST: "Method not found!"
  ERROR_BATCH_METHOD_NOT_ALLOWED: 'permanent', // 405, spec: "Method is not allowed for batch usage"
  ERROR_BATCH_LENGTH_EXCEEDED: 'permanent', // 400, spec: "Max batch length exceeded"
  invalid_client: 'permanent', // OAuth server: client_id / client_secret wrong (facts, OAuth refresh)
  INSECURE_URL: 'permanent', // local: an http:// target refused because allowHttp is false
  INVALID_CALL: 'permanent', // local: the URL, method name or params cannot be turned into a request

  // --- ambiguous: the request left, no answer came; the work may have been done ---------------------------
  TIMEOUT: 'ambiguous', // local: sent, no (complete) answer within timeoutMs
  CONNECTION_RESET: 'ambiguous', // local: sent, the socket closed before a complete answer
} as const satisfies Readonly<Record<string, ErrorClass>>;

export type KnownErrorCode = keyof typeof ERROR_CODE_CLASSES;

const knownClasses: Readonly<Record<string, ErrorClass>> = ERROR_CODE_CLASSES;

function lookup(code: string): ErrorClass | undefined {
  if (Object.hasOwn(knownClasses, code)) return knownClasses[code];
  // Bitrix24 mixes upper- and lower-case codes (`expired_token` next to `NO_AUTH_FOUND`); accept either spelling.
  for (const variant of [code.toUpperCase(), code.toLowerCase()]) {
    if (Object.hasOwn(knownClasses, variant)) return knownClasses[variant];
  }
  return undefined;
}

/**
 * Pure classifier: the code decides first (`PORTAL_DELETED` arrives as HTTP 500 but is permanent), the HTTP
 * status only decides for codes this table does not know:
 * - 429 -> rate_limited; any other 5xx (incl. 503) -> transient; 4xx -> permanent;
 * - another status (an error inside an HTTP 200 answer, 3xx) -> permanent: the server answered and refused;
 * - no status at all (no HTTP answer, unknown local code) -> ambiguous, the only safe reading.
 */
export function classifyError(input: { code: string; httpStatus: number | undefined }): ErrorClass {
  const known = lookup(input.code);
  if (known !== undefined) return known;
  const status = input.httpStatus;
  if (status === undefined) return 'ambiguous';
  if (status === 429) return 'rate_limited';
  if (status >= 500 && status <= 599) return 'transient';
  return 'permanent';
}
