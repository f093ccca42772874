import type { AllowList } from '../outbound/allow-list.js';
import { outboundHostProblem } from '../outbound/outbound-host-problem.js';
import { findOutboundRefusal } from '../outbound/outbound-refused-error.js';
import type { BitrixError } from './bitrix-error.js';
import { classifyTransportFailure } from './classify-transport-failure.js';
import { createBitrixError } from './create-bitrix-error.js';
import { readCappedBody } from './read-capped-body.js';
import { redactText, redactUrl } from './redact.js';

/** Default cap on an answer body: a Bitrix24 method answer is a few KiB; anything near this is not one. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

export interface HttpRequest {
  url: string;
  headers: Readonly<Record<string, string>>;
  body: string;
  /** REST method, for error messages; undefined for the OAuth refresh. */
  method: string | undefined;
  /** Values that must never appear in an error (tokens, webhook code, client secret). */
  secrets: readonly string[];
}

export interface HttpTransportOptions {
  fetch: typeof fetch;
  timeoutMs: number;
  allowHttp: boolean;
  maxResponseBytes: number;
  /**
   * ROLLOUT_ALLOW_HOSTS: hosts exempt from the outbound rule. An IP-literal host of a reserved range is refused
   * here (PermanentError OUTBOUND_REFUSED) before anything is sent; host names are checked at connect time by
   * the guarded `fetch` (createGuardedFetch), whose refusal becomes the same error.
   */
  allow: AllowList;
}

/** A complete HTTP answer: the body was read to its end, within the time limit and the size cap. */
export interface HttpAnswer {
  status: number;
  text: string;
  location: string | null;
}

function isTimeout(error: unknown, signal: AbortSignal): boolean {
  if (!signal.aborted) return false;
  if (error === signal.reason) return true;
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

function outboundRefused(request: HttpRequest, url: URL, problem: string) {
  return createBitrixError({
    code: 'OUTBOUND_REFUSED',
    description: redactText(`refusing to send to ${redactUrl(url.origin)}: ${problem}`, request.secrets),
    httpStatus: undefined,
    method: request.method,
  });
}

function checkUrl(request: HttpRequest, options: HttpTransportOptions): URL {
  const { allowHttp } = options;
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw createBitrixError({
      code: 'INVALID_CALL',
      description: 'the portal URL is not a valid absolute URL',
      httpStatus: undefined,
      method: request.method,
    });
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && allowHttp)) {
    const problem = outboundHostProblem(url, options.allow);
    if (problem !== undefined) throw outboundRefused(request, url, problem);
    return url;
  }
  if (url.protocol === 'http:') {
    // The spec's INVALID_REQUEST ("Https required") is what the portal would answer; refusing here keeps the
    // token off the wire. Local code INSECURE_URL (permanent), so it is never mistaken for a portal answer.
    throw createBitrixError({
      code: 'INSECURE_URL',
      description: `refusing plain http:// (${redactText(redactUrl(url.origin), request.secrets)}); use https:// or set allowHttp`,
      httpStatus: undefined,
      method: request.method,
    });
  }
  throw createBitrixError({
    code: 'INVALID_CALL',
    description: `unsupported URL scheme ${url.protocol}`,
    httpStatus: undefined,
    method: request.method,
  });
}

/**
 * POSTs one request with `AbortSignal.timeout(timeoutMs)` covering connect, answer and body, and returns the
 * complete answer whatever its status. Failures before a complete answer become typed errors:
 * refused http:// -> PermanentError INSECURE_URL; connect/DNS/TLS -> TransientError NETWORK_ERROR; timeout ->
 * AmbiguousError TIMEOUT; socket closed after sending or mid-body -> AmbiguousError CONNECTION_RESET; body
 * larger than `maxResponseBytes` -> TransientError INVALID_RESPONSE. Redirects are not followed (a POST would
 * turn into a GET and the token could reach another host); the 3xx answer is returned.
 * Keep-alive stays on (the global undici agent); undici destroys a socket that errored, so a failed call never
 * poisons the next one.
 */
export async function sendHttpRequest(
  request: HttpRequest,
  options: HttpTransportOptions,
): Promise<HttpAnswer> {
  const url = checkUrl(request, options);
  const signal = AbortSignal.timeout(options.timeoutMs);
  const fail = (error: unknown, phase: 'request' | 'body'): BitrixError => {
    const failure = classifyTransportFailure(error, isTimeout(error, signal));
    // A body that stops half-way was answered to at least in part: never "nothing was sent".
    const code = phase === 'body' && failure.code === 'NETWORK_ERROR' ? 'CONNECTION_RESET' : failure.code;
    const what =
      code === 'TIMEOUT'
        ? `no complete answer within ${options.timeoutMs} ms`
        : code === 'NETWORK_ERROR'
          ? 'could not connect'
          : phase === 'body'
            ? 'connection closed while reading the answer'
            : 'connection closed before an answer';
    return createBitrixError({
      code,
      description: redactText(`${what} (${failure.detail})`, request.secrets),
      httpStatus: undefined,
      method: request.method,
      cause: error,
    });
  };

  let response: Response;
  try {
    response = await options.fetch(url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal,
      redirect: 'manual',
    });
  } catch (error) {
    const refusal = findOutboundRefusal(error);
    if (refusal !== undefined) throw outboundRefused(request, url, refusal.message);
    throw fail(error, 'request');
  }

  let body: { text: string; tooLarge: boolean };
  try {
    body = await readCappedBody(response, options.maxResponseBytes);
  } catch (error) {
    throw fail(error, 'body');
  }
  if (body.tooLarge) {
    throw createBitrixError({
      code: 'INVALID_RESPONSE',
      description: `HTTP ${response.status} answer larger than ${options.maxResponseBytes} bytes`,
      httpStatus: response.status,
      method: request.method,
    });
  }
  return { status: response.status, text: body.text, location: response.headers.get('location') };
}
