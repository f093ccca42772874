import { createBitrixError } from './create-bitrix-error.js';
import { type MethodTime, parseMethodAnswer } from './parse-method-answer.js';
import type { PortalTarget } from './portal-target.js';
import { redactText } from './redact.js';
import type { RestTransport } from './rest-transport.js';
import { sendHttpRequest } from './send-http-request.js';

/** A method's answer: `result` NOT validated (check it with zod before use), and the budget part of `time`. */
export interface RestMethodResult {
  result: unknown;
  time: MethodTime | undefined;
  httpStatus: number;
}

/** Bitrix24 method names: dot-separated words (`imbot.app.register`). Keeps the URL path under control. */
const METHOD_NAME = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;
/** Longest server description kept in an error. */
export const MAX_ERROR_DESCRIPTION = 1000;

export function isRestMethodName(name: string): boolean {
  return METHOD_NAME.test(name);
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/**
 * Where the request goes and what its body carries besides `params` (docs/bitrix24.md, "Who is calling"): an
 * OAuth application posts to `<restUrl><method>.json` with the token as `auth`; an inbound webhook posts to
 * `<webhookUrl><method>.json` with `CLIENT_ID` (when the target has one), no `auth`.
 */
function requestOf(target: PortalTarget, method: string, params: Readonly<Record<string, unknown>>) {
  if (target.kind === 'oauth') {
    return {
      url: `${withSlash(target.restUrl)}${method}.json`,
      body: { ...params, auth: target.accessToken },
    };
  }
  const body = target.clientId === undefined ? { ...params } : { ...params, CLIENT_ID: target.clientId };
  return { url: `${withSlash(target.webhookUrl)}${method}.json`, body };
}

/**
 * The one request path of the REST client, for a single method and for `batch` alike: `POST <base><method>.json`
 * with a JSON body, sent by sendHttpRequest (timeout, size cap, no redirects), the answer read by
 * parseMethodAnswer. Every failure becomes the typed error createBitrixError builds, with the description
 * redacted of `secrets` (see requestSecrets) and cut to 1000 characters: INVALID_CALL for a bad method name or
 * params that cannot be JSON; transport failures as sendHttpRequest types them; the server's error code
 * otherwise (a webhook's refusal is AuthError `invalid_credentials`).
 */
export async function postRestMethod(
  transport: RestTransport,
  target: PortalTarget,
  method: string,
  params: Readonly<Record<string, unknown>>,
  secrets: readonly string[],
): Promise<RestMethodResult> {
  if (!isRestMethodName(method)) {
    throw createBitrixError({
      code: 'INVALID_CALL',
      description: `not a Bitrix24 method name: ${JSON.stringify(redactText(method.slice(0, 100), secrets))}`,
      httpStatus: undefined,
      method: undefined,
    });
  }
  const { url, body } = requestOf(target, method, params);
  let json: string;
  try {
    json = JSON.stringify(body);
  } catch (error) {
    throw createBitrixError({
      code: 'INVALID_CALL',
      description: 'params cannot be serialised to JSON',
      httpStatus: undefined,
      method,
      cause: error,
    });
  }
  const answer = await sendHttpRequest(
    {
      url,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'user-agent': transport.userAgent,
      },
      body: json,
      method,
      secrets,
    },
    transport,
  );
  const parsed = parseMethodAnswer(answer);
  if (parsed.kind === 'failure') {
    const error = {
      code: parsed.code,
      description: redactText(parsed.description, secrets).slice(0, MAX_ERROR_DESCRIPTION),
      httpStatus: answer.status,
      method,
      caller: target.kind,
    };
    throw createBitrixError(parsed.retryAt === undefined ? error : { ...error, retryAt: parsed.retryAt });
  }
  return { result: parsed.result, time: parsed.time, httpStatus: answer.status };
}
