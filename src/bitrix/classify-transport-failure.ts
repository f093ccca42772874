/** Local codes for a call that produced no (complete) HTTP answer. */
export type TransportFailureCode = 'NETWORK_ERROR' | 'TIMEOUT' | 'CONNECTION_RESET';

/**
 * Codes that prove the request never left: name resolution, TCP connect, or TLS handshake/certificate
 * failures. Node's `fetch` (undici) reports them as `TypeError: fetch failed` with the system or TLS error as
 * `cause` (an `AggregateError` of them when several addresses were tried).
 */
const CONNECT_FAILURE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NODATA',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT', // undici's connect timeout: the TCP/TLS connection never came up
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

function isConnectFailureCode(code: string): boolean {
  return CONNECT_FAILURE_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_');
}

/** The parts of an error (or undici's error causes) this module looks at. */
interface ErrorLike {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
}

function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null;
}

/** The error, its `cause` chain and the members of any `AggregateError` in it (bounded, cycle-safe). */
function collectErrors(error: unknown): ErrorLike[] {
  const found: ErrorLike[] = [];
  const pending: unknown[] = [error];
  while (pending.length > 0 && found.length < 20) {
    const next = pending.shift();
    if (!isErrorLike(next) || found.includes(next)) continue;
    found.push(next);
    pending.push(next.cause);
    const members = next.errors;
    if (Array.isArray(members)) pending.push(...members);
  }
  return found;
}

/**
 * Pure: what a rejected `fetch` (or a failed body read) means for the caller.
 * - our timeout fired (`timedOut`, i.e. the `AbortSignal.timeout` is aborted) -> `TIMEOUT` (ambiguous: the
 *   request may have been processed; a timeout during connect cannot be told apart, so it is ambiguous too);
 * - a connect/DNS/TLS failure anywhere in the cause chain -> `NETWORK_ERROR` (transient: nothing was sent);
 * - anything else, e.g. undici's `UND_ERR_SOCKET` "other side closed", `ECONNRESET`, `EPIPE`, or a body read
 *   that stopped ("terminated") -> `CONNECTION_RESET` (ambiguous: we cannot prove nothing was sent).
 * `detail` is the innermost message, for the (redacted) description.
 */
export function classifyTransportFailure(
  error: unknown,
  timedOut: boolean,
): { code: TransportFailureCode; detail: string } {
  const chain = collectErrors(error);
  const messages = chain
    .map((entry) => entry.message)
    .filter((message): message is string => typeof message === 'string' && message !== '');
  const detail = messages.at(-1) ?? String(error);
  if (timedOut) return { code: 'TIMEOUT', detail };
  const codes = chain.map((entry) => entry.code).filter((code): code is string => typeof code === 'string');
  if (codes.some(isConnectFailureCode)) return { code: 'NETWORK_ERROR', detail };
  return { code: 'CONNECTION_RESET', detail };
}
