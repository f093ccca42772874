import { z } from 'zod';
import type { HttpAnswer } from './send-http-request.js';

/** How much of an unusable answer goes into the error description (redacted by the caller). */
const SNIPPET_LENGTH = 200;

/**
 * Either a JSON object the server answered with a 2xx status and without an `error` code, or the failure it
 * stands for. Descriptions are NOT redacted yet: the caller knows the secrets.
 */
export type DecodedAnswer =
  | { kind: 'body'; body: Record<string, unknown> }
  | { kind: 'failure'; code: string; description: string; body: Record<string, unknown> | undefined };

// Bitrix24 error envelope: {"error": "CODE", "error_description": "text"} (docs/bitrix24.md, "Who is calling");
// the OAuth server uses the same shape. A code outside this alphabet is not trusted as a code.
const errorEnvelope = z.object({
  error: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/),
  error_description: z.string().optional().catch(undefined),
});

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return flat.length > SNIPPET_LENGTH ? `${flat.slice(0, SNIPPET_LENGTH)}…` : flat;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Pure. Order matters:
 * 1. 3xx -> `HTTP_<status>` (redirects are not followed; the portal URL is probably outdated: permanent);
 * 2. body not JSON (HTML error page, truncated text) or not a JSON object -> `INVALID_RESPONSE` with the status
 *    and the first 200 characters;
 * 3. an `error` code -> that code, whatever the status (Bitrix24 may answer HTTP 200 with an error);
 * 4. another non-2xx status -> `HTTP_<status>` (an unknown error body; classified by status);
 * 5. otherwise the body.
 */
export function decodeAnswer(answer: HttpAnswer): DecodedAnswer {
  const { status, text } = answer;
  if (status >= 300 && status <= 399) {
    return {
      kind: 'failure',
      code: `HTTP_${status}`,
      description: `redirected to ${answer.location ?? '(no Location)'}; redirects are not followed, check the portal URL`,
      body: undefined,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {
      kind: 'failure',
      code: 'INVALID_RESPONSE',
      description: `HTTP ${status} answer is not JSON: ${snippet(text)}`,
      body: undefined,
    };
  }
  if (!isObject(parsed)) {
    return {
      kind: 'failure',
      code: 'INVALID_RESPONSE',
      description: `HTTP ${status} answer is JSON but not an object: ${snippet(text)}`,
      body: undefined,
    };
  }
  const envelope = errorEnvelope.safeParse(parsed);
  if (envelope.success) {
    return {
      kind: 'failure',
      code: envelope.data.error,
      description: envelope.data.error_description ?? '',
      body: parsed,
    };
  }
  if (status < 200 || status > 299) {
    return {
      kind: 'failure',
      code: `HTTP_${status}`,
      description: `HTTP ${status} answer without an error code: ${snippet(text)}`,
      body: parsed,
    };
  }
  return { kind: 'body', body: parsed };
}
