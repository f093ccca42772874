import { createHash } from 'node:crypto';
import { z } from 'zod';
import { readCappedBody } from '../bitrix/read-capped-body.js';
import { formatZodIssues } from '../input/format-zod-issues.js';
import { failureOfStatus, type TokenSourceError, tokenSourceError } from './token-source-error.js';

/** What a token source hands out for one portal (docs/tokens.md, "The token contract"). */
export interface SourceToken {
  accessToken: string;
  /** ms epoch */
  expiresAt: number;
  /** The portal's REST base as the source knows it, when it says. */
  clientEndpoint: string | undefined;
  /** The portal's member_id as the source knows it, when it says. */
  memberId: string | undefined;
}

export interface TokenSourceClientOptions {
  /** ROLLOUT_TOKEN_SOURCE_URL: operator configuration, exempt from the outbound rule (docs/security.md). */
  url: string;
  /** ROLLOUT_TOKEN_SOURCE_SECRET, sent as `Authorization: Bearer <secret>`. */
  secret: string;
  /** One request, from sending to the end of the body. */
  timeoutMs: number;
  /** Default: the global fetch (the source may sit on a private network: no outbound guard). */
  fetch?: typeof fetch;
  /** A longer answer is not read past this many bytes (default 64 KiB). */
  maxBodyBytes?: number;
  /** Clock in ms (default Date.now): turns `expires_in` into an epoch and finds a past expiry. */
  now?: () => number;
}

export interface TokenSourceClient {
  /**
   * One request to the source. `force` after the portal refused a token: asks the source for a newer one,
   * naming the refused token by its SHA-256 (`sourceStaleHash`). Throws TokenSourceError (token-source-error.ts).
   */
  fetchToken(domain: string, force?: { staleHash: string }): Promise<SourceToken>;
}

export const DEFAULT_SOURCE_MAX_BODY_BYTES = 64 * 1024;

/** The `stale` parameter of a forced request: the SHA-256 hex of the token the portal refused. */
export function sourceStaleHash(refusedAccessToken: string): string {
  return createHash('sha256').update(refusedAccessToken).digest('hex');
}

// Numbers, or numeric strings (PHP backends often serialise numbers as strings).
const numeric = z.union([
  z.number(),
  z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .transform(Number),
]);

/** The 200 answer (docs/tokens.md, "The token contract"); unknown fields are ignored (a refresh_token too). */
const sourceAnswer = z
  .object(
    {
      access_token: z.string({ error: 'is required: a non-empty string' }).min(1, 'must not be empty'),
      expires_in: numeric.pipe(z.number().positive()).optional(),
      expires: numeric.pipe(z.number().positive()).optional(),
      expires_at: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
      client_endpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
      member_id: z.string().min(1, 'must not be empty').optional(),
    },
    { error: 'must be a JSON object' },
  )
  .superRefine((answer, ctx) => {
    const given = [answer.expires_in, answer.expires, answer.expires_at].filter((v) => v !== undefined);
    if (given.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['expires_in'],
        message:
          'the expiry is required: one of expires_in (seconds), expires (epoch seconds) or expires_at (ISO 8601)',
      });
    }
  });

type SourceAnswer = z.infer<typeof sourceAnswer>;

/**
 * The expiry in epoch ms. A source may send several forms (Bitrix24's own OAuth answer, which a CRest backend may
 * pass on as it is, carries both `expires_in` and `expires`; our handout sends all three): the earliest is kept,
 * so a disagreement never makes a token live longer here than its holder says.
 */
function expiryOf(answer: SourceAnswer, now: number): number {
  const candidates: number[] = [];
  if (answer.expires_in !== undefined) candidates.push(now + Math.round(answer.expires_in * 1000));
  if (answer.expires !== undefined) candidates.push(Math.round(answer.expires * 1000));
  if (answer.expires_at !== undefined) candidates.push(Date.parse(answer.expires_at));
  return Math.min(...candidates);
}

/** The request URL: `<url>?domain=<domain>[&force_refresh=1&stale=<hex>]`, keeping a query the URL has. */
export function sourceRequestUrl(base: string, domain: string, force?: { staleHash: string }): URL {
  const url = new URL(base);
  url.searchParams.set('domain', domain);
  if (force !== undefined) {
    url.searchParams.set('force_refresh', '1');
    url.searchParams.set('stale', force.staleHash);
  }
  return url;
}

/**
 * Client of a token source: the application's own backend, which owns the OAuth pair of every portal and hands
 * out access tokens (docs/tokens.md, "The token contract"). `GET <url>?domain=<domain>` with
 * `Authorization: Bearer <secret>`; redirects are not followed (the secret stays with the configured URL).
 * The answer is validated with zod; no error message carries the secret, a token or the answer's body.
 */
export function createTokenSourceClient(options: TokenSourceClientOptions): TokenSourceClient {
  const { url, secret, timeoutMs } = options;
  const send = options.fetch ?? fetch;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_SOURCE_MAX_BODY_BYTES;
  const now = options.now ?? Date.now;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new RangeError(`timeoutMs must be a positive number, got ${timeoutMs}`);
  }
  new URL(url); // a bad URL fails here, not on the first fetch (config-schema validates it already)

  return {
    async fetchToken(domain, force) {
      const fail = (
        failure: Parameters<typeof tokenSourceError>[0],
        description: string,
        httpStatus: number | undefined,
        cause?: unknown,
      ): TokenSourceError =>
        tokenSourceError(failure, {
          domain,
          description: description.split(secret).join('***'),
          httpStatus,
          cause,
        });
      const signal = AbortSignal.timeout(timeoutMs);
      const requested = force === undefined ? 'request' : 'forced request';
      let response: Response;
      try {
        response = await send(sourceRequestUrl(url, domain, force), {
          method: 'GET',
          headers: { authorization: `Bearer ${secret}`, accept: 'application/json' },
          redirect: 'manual',
          signal,
        });
      } catch (error) {
        throw fail(
          'unavailable',
          signal.aborted ? `no answer within ${timeoutMs} ms` : `could not connect (${errorName(error)})`,
          undefined,
          error,
        );
      }
      let text: string | undefined;
      try {
        const body = await readCappedBody(response, maxBodyBytes);
        text = body.tooLarge ? undefined : body.text;
      } catch (error) {
        throw fail(
          'unavailable',
          signal.aborted
            ? `no complete answer within ${timeoutMs} ms`
            : `connection closed while reading the answer (${errorName(error)})`,
          response.status,
          error,
        );
      }
      if (response.status !== 200) {
        const failure = failureOfStatus(response.status);
        const what =
          failure === 'not_known'
            ? 'the source does not know this portal (HTTP 404)'
            : failure === 'refused'
              ? `the source refused our ${requested} (HTTP ${response.status}): check ROLLOUT_TOKEN_SOURCE_SECRET against the source's configuration`
              : `the source answered HTTP ${response.status}`;
        throw fail(failure, what, response.status);
      }
      if (text === undefined) {
        throw fail('unavailable', `the answer is larger than ${maxBodyBytes} bytes`, 200);
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw fail('unavailable', 'the answer is not JSON', 200);
      }
      const parsed = sourceAnswer.safeParse(body);
      if (!parsed.success) {
        // Field names and our own messages only: never a value (it may be a token).
        const problems = formatZodIssues(parsed.error, '', { path: 'dotted' }).map(
          ({ where, message }) => `${where || '(answer)'}: ${message}`,
        );
        throw fail('unavailable', `the answer is not usable: ${problems.join('; ')}`, 200);
      }
      const answer = parsed.data;
      const at = now();
      const expiresAt = expiryOf(answer, at);
      if (!(expiresAt > at)) {
        throw fail(
          'unavailable',
          `the token's expiry ${new Date(expiresAt).toISOString()} is not in the future`,
          200,
        );
      }
      return {
        accessToken: answer.access_token,
        expiresAt,
        clientEndpoint: answer.client_endpoint,
        memberId: answer.member_id,
      };
    },
  };
}

function errorName(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const cause = error.cause;
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  return code ?? error.name;
}
