import { z } from 'zod';
import { formatZodIssues } from '../input/format-zod-issues.js';
import { createAllowList } from '../outbound/allow-list.js';
import { createGuardedFetch } from '../outbound/create-guarded-fetch.js';
import type { ResolveHost } from '../outbound/create-guarded-lookup.js';
import { createBitrixError } from './create-bitrix-error.js';
import { decodeAnswer } from './decode-answer.js';
import { redactText } from './redact.js';
import { DEFAULT_MAX_RESPONSE_BYTES, sendHttpRequest } from './send-http-request.js';

export interface RefreshAccessTokenInput {
  /** The token endpoint, e.g. `https://oauth.bitrix.info/oauth/token/`. */
  oauthUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

export interface RefreshAccessTokenOptions {
  /** Injected for tests; defaults to the guarded fetch (see RestClientOptions.fetch). */
  fetch?: typeof fetch;
  /**
   * ROLLOUT_ALLOW_HOSTS: hosts or CIDRs exempt from the outbound rule (docs/security.md,
   * "Where credentials are sent: the outbound rule"). Default none.
   */
  allowHosts?: readonly string[];
  /** Resolves host names at connect time; default `dns.lookup(host, {all: true})`. Injected in tests. */
  resolveHost?: ResolveHost;
  timeoutMs: number;
  allowHttp: boolean;
  now?: () => number;
  userAgent?: string;
}

export interface RefreshedTokens {
  accessToken: string;
  /** The NEW refresh token: the old one stops working now; store this one before anything else. */
  refreshToken: string;
  /** ms epoch */
  expiresAt: number;
  memberId?: string;
  /** The portal's REST base (`https://<portal>/rest/`). */
  clientEndpoint?: string;
}

// Numbers, or numeric strings (PHP sometimes serialises numbers as strings).
const numeric = z.union([
  z.number(),
  z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .transform(Number),
]);

// Answer fields: docs/bitrix24.md, "OAuth 2.0".
const tokenAnswer = z
  .object({
    access_token: z.string().min(1),
    refresh_token: z.string().min(1),
    expires_in: numeric.pipe(z.number().positive()).optional(),
    expires: numeric.pipe(z.number().positive()).optional(),
    member_id: z.string().min(1).optional().catch(undefined),
    client_endpoint: z.url().optional().catch(undefined),
  })
  .refine((answer) => answer.expires_in !== undefined || answer.expires !== undefined, {
    message: 'expires_in or expires is required',
    path: ['expires_in'],
  });

/**
 * OAuth 2.0 refresh (docs/bitrix24.md, "OAuth 2.0"): POST form `grant_type=refresh_token&client_id&client_secret&
 * refresh_token` to `oauthUrl`. The pair rotates: the caller must persist the returned refresh token.
 * Failures: `invalid_grant` -> InvalidGrantError (errorClass auth: the token was used or revoked);
 * `invalid_client` -> InvalidClientError (permanent); other OAuth codes, transport failures, 5xx and unusable
 * answers as for REST calls (NETWORK_ERROR transient, TIMEOUT / CONNECTION_RESET ambiguous, INVALID_RESPONSE
 * transient). Note: a TIMEOUT here may mean the server rotated the pair and the answer was lost.
 * No token, refresh token or client secret appears in any error.
 */
export async function refreshAccessToken(
  input: RefreshAccessTokenInput,
  options: RefreshAccessTokenOptions,
): Promise<RefreshedTokens> {
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive number, got ${options.timeoutMs}`);
  }
  const now = options.now ?? Date.now;
  const secrets = [input.clientSecret, input.refreshToken];
  const allowHosts = options.allowHosts ?? [];
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: input.clientId,
    client_secret: input.clientSecret,
    refresh_token: input.refreshToken,
  });
  const answer = await sendHttpRequest(
    {
      url: input.oauthUrl,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        'user-agent': options.userAgent ?? 'imbot-rollout',
      },
      body: form.toString(),
      method: undefined,
      secrets,
    },
    {
      fetch:
        options.fetch ??
        createGuardedFetch(
          options.resolveHost === undefined
            ? { allowHosts }
            : { allowHosts, resolveHost: options.resolveHost },
        ),
      timeoutMs: options.timeoutMs,
      allowHttp: options.allowHttp,
      allow: createAllowList(allowHosts),
      maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
    },
  );
  const decoded = decodeAnswer(answer);
  if (decoded.kind === 'failure') {
    throw createBitrixError({
      code: decoded.code,
      description: redactText(decoded.description, secrets).slice(0, 1000),
      httpStatus: answer.status,
      method: undefined,
    });
  }
  const parsed = tokenAnswer.safeParse(decoded.body);
  if (!parsed.success) {
    // Only field names and zod messages: never the values (they may be the new tokens).
    const problems = formatZodIssues(parsed.error, '', { path: 'dotted' }).map(
      ({ where, message }) => `${where || '(answer)'}: ${message}`,
    );
    throw createBitrixError({
      code: 'INVALID_RESPONSE',
      description: `HTTP ${answer.status} OAuth answer is not usable: ${problems.join('; ')}`,
      httpStatus: answer.status,
      method: undefined,
    });
  }
  const data = parsed.data;
  const expiresAt =
    data.expires_in !== undefined
      ? now() + Math.round(data.expires_in * 1000)
      : Math.round((data.expires ?? 0) * 1000);
  const tokens: RefreshedTokens = {
    accessToken: data.access_token,
    refreshToken: data.refresh_token,
    expiresAt,
  };
  if (data.member_id !== undefined) tokens.memberId = data.member_id;
  if (data.client_endpoint !== undefined) tokens.clientEndpoint = data.client_endpoint;
  return tokens;
}
