import type { ErrorClass } from './error-class.js';

/**
 * Every error code this project knows, with what the caller should do about it. Sources:
 * - "spec" = the imbot.app.register page of the REST docs (b24restdocs,
 *   `api-reference/chat-bots/chat-apps/imbot-app-register`): its "Possible Error Codes" and the "Statuses and
 *   System Error Codes", which "may occur when calling any method";
 * - "docs" = docs/bitrix24.md, by section (update/unregister errors, "Who is calling", "Limits", "OAuth 2.0");
 * - "local" = codes this client makes up for failures that never produced a Bitrix24 answer.
 * The HTTP status in the comments is the one the spec lists; classification never depends on it for a known
 * code (docs/bitrix24.md, "Who is calling": classify by the code, not the status — the server source answers
 * PORTAL_DELETED with 403 where the spec says 500).
 */
export const ERROR_CODE_CLASSES = {
  // --- transient: the server failed, nothing took effect; retry with backoff -------------------------------
  INTERNAL_SERVER_ERROR: 'transient', // 500, spec: "An internal server error has occurred"
  ERROR_UNEXPECTED_ANSWER: 'transient', // 500, spec: "Server returned an unexpected response"
  WRONG_REQUEST: 'transient', // spec (imbot.app.register): "Something went wrong"; docs "Update"/"Unregister" too
  NETWORK_ERROR: 'transient', // local: could not connect (refused, DNS, TLS): nothing was sent
  INVALID_RESPONSE: 'transient', // local: answer not JSON, truncated, too large, or without `result`

  // --- rate_limited: the portal says "wait"; not a fault ---------------------------------------------------
  QUERY_LIMIT_EXCEEDED: 'rate_limited', // 503, spec: "The request intensity limit has been exceeded"
  OPERATION_TIME_LIMIT: 'rate_limited', // 429, docs "Limits": method blocked for up to 10 min (480 s per 10 min)
  OVERLOAD_LIMIT: 'rate_limited', // 503, spec: "a manual individual block" — retrying soon does not help

  // --- auth: the credentials are refused; AuthError.reason says whether a refresh can help ---------------------
  expired_token: 'auth', // 401, spec: "The provided access token has expired"
  NO_AUTH_FOUND: 'auth', // 401, spec: "Invalid access token or webhook code"
  invalid_token: 'auth', // 401, OAuth 2.0 (RFC 6750) code Bitrix24 returns for an unknown access token
  invalid_grant: 'auth', // docs "OAuth 2.0": the refresh token was already used or revoked
  // 403; the server source answers it for a wrong webhook code (docs "Who is calling"; spec: the user of the
  // token/webhook "lacks permissions"). New credentials are needed: park the portal, do not fail every pair.
  INVALID_CREDENTIALS: 'auth',

  // --- permanent: retrying the same request cannot help ----------------------------------------------------
  BOT_ID_ERROR: 'permanent', // spec: "Chat bot not found"
  APP_ID_ERROR: 'permanent', // spec: "The chat application does not belong to this rest application"
  CHAT_APP_ID_ERROR: 'permanent', // docs "Update"/"Unregister": the APP_ID is unknown
  IFRAME_HTTPS: 'permanent', // spec: "The link to IFRAME must lead to a site with an active HTTPS certificate"
  HASH_ERROR: 'permanent', // spec: "You did not specify a hash for the application"
  CODE_ERROR: 'permanent', // im source (appRegister): CODE missing
  PARAMS_ERROR: 'permanent', // spec: "Error specifying JS command or IFRAME parameters"
  LANG_ERROR: 'permanent', // spec: "Language phrases for the visible command were not provided"
  // 403, spec: "REST API is available only on commercial plans"; also a webhook chat-app call without CLIENT_ID
  // ("Client ID not specified", docs "Who is calling")
  ACCESS_DENIED: 'permanent',
  insufficient_scope: 'permanent', // 403, spec: "requires higher privileges than provided by the webhook token"
  user_access_error: 'permanent', // 403, spec: "The user does not have access to the application"
  PORTAL_DELETED: 'permanent', // spec 500, server source 403: "Portal was deleted" / public part closed
  ERROR_MANIFEST_IS_NOT_AVAILABLE: 'permanent', // 404, spec: "Manifest is not available"
  INVALID_REQUEST: 'permanent', // 400, spec: "Https required"
  ERROR_METHOD_NOT_FOUND: 'permanent', // 404, Bitrix24 REST: "Method not found!"
  ERROR_BATCH_METHOD_NOT_ALLOWED: 'permanent', // 405, spec: "Method is not allowed for batch usage"
  ERROR_BATCH_LENGTH_EXCEEDED: 'permanent', // 400, spec: "Max batch length exceeded"
  invalid_client: 'permanent', // OAuth server: client_id / client_secret wrong (docs "OAuth 2.0")
  INSECURE_URL: 'permanent', // local: an http:// target refused because allowHttp is false
  // local: the host is or resolves to a reserved address (docs/security.md,
  // "Where credentials are sent: the outbound rule")
  OUTBOUND_REFUSED: 'permanent',
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
