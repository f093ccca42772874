import { createBitrixError } from './create-bitrix-error.js';
import { parseMethodAnswer } from './parse-method-answer.js';
import type { PortalTarget } from './portal-target.js';
import { redactText } from './redact.js';
import { DEFAULT_MAX_RESPONSE_BYTES, sendHttpRequest } from './send-http-request.js';

export interface RestClientOptions {
  /** Injected for tests; defaults to the global (undici) fetch with its keep-alive agent. */
  fetch?: typeof fetch;
  /** Whole-call limit: connect, answer and body. Past it the call fails AmbiguousError `TIMEOUT`. */
  timeoutMs: number;
  /** Allow plain http:// targets (local simulator only). Otherwise they fail PermanentError `INSECURE_URL`. */
  allowHttp: boolean;
  userAgent?: string;
  /** Answers larger than this fail TransientError `INVALID_RESPONSE`. Default 1 MiB. */
  maxResponseBytes?: number;
}

export interface MethodAnswer<T = unknown> {
  /** Bitrix24 `result`, NOT validated: check it with zod before use. */
  result: T;
  time: { operating?: number; operatingResetAt?: number /* ms epoch */ } | undefined;
  httpStatus: number;
}

export interface RestClient {
  /**
   * Calls `method` on the portal. Resolves with the result, or rejects with a `BitrixError` subclass (see
   * create-bitrix-error.ts) whose message and description contain no token and no webhook code.
   */
  call<T = unknown>(
    target: PortalTarget,
    method: string,
    params: Record<string, unknown>,
  ): Promise<MethodAnswer<T>>;
}

/** Bitrix24 method names: dot-separated words (`imbot.app.register`). Keeps the URL path under control. */
const METHOD_NAME = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;
/** Longest server description kept in an error. */
const MAX_DESCRIPTION = 1000;
const WEBHOOK_CODE_IN_PATH = /\/rest\/\d+\/([^/?#]+)/;

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function secretsOf(target: PortalTarget): string[] {
  if (target.kind === 'oauth') return [target.accessToken];
  const code = WEBHOOK_CODE_IN_PATH.exec(target.webhookUrl)?.[1];
  if (code === undefined) return [];
  try {
    return [code, decodeURIComponent(code)];
  } catch {
    return [code];
  }
}

function requestOf(target: PortalTarget, method: string, params: Record<string, unknown>) {
  if (target.kind === 'oauth') {
    // OAuth application: POST https://<portal>/rest/<method>.json with the token as parameter `auth`.
    return {
      url: `${withSlash(target.restUrl)}${method}.json`,
      body: { ...params, auth: target.accessToken },
    };
  }
  // Inbound webhook: POST https://<portal>/rest/<user_id>/<code>/<method>.json, no `auth`.
  const body = target.clientId === undefined ? { ...params } : { ...params, CLIENT_ID: target.clientId };
  return { url: `${withSlash(target.webhookUrl)}${method}.json`, body };
}

/**
 * A small Bitrix24 REST client (bitrix24-facts.md, Wire format): `POST <base><method>.json` with a JSON body,
 * `AbortSignal.timeout(timeoutMs)`, answers capped at `maxResponseBytes`. It does not retry, refresh tokens
 * or rate-limit: callers decide from `error.errorClass`.
 */
export function createRestClient(options: RestClientOptions): RestClient {
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive number, got ${options.timeoutMs}`);
  }
  const transport = {
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: options.timeoutMs,
    allowHttp: options.allowHttp,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  };
  const userAgent = options.userAgent ?? 'imbot-rollout';

  return {
    async call<T = unknown>(
      target: PortalTarget,
      method: string,
      params: Record<string, unknown>,
    ): Promise<MethodAnswer<T>> {
      const secrets = secretsOf(target);
      if (!METHOD_NAME.test(method)) {
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
            'user-agent': userAgent,
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
          description: redactText(parsed.description, secrets).slice(0, MAX_DESCRIPTION),
          httpStatus: answer.status,
          method,
        };
        throw createBitrixError(parsed.retryAt === undefined ? error : { ...error, retryAt: parsed.retryAt });
      }
      return { result: parsed.result as T, time: parsed.time, httpStatus: answer.status };
    },
  };
}
