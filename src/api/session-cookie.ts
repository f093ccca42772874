import { createHmac } from 'node:crypto';
import { tokensMatch } from './tokens-match.js';

/** Name of the dashboard's login cookie (HttpOnly, SameSite=Strict). */
export const SESSION_COOKIE = 'imbot_rollout_session';

/** How long a login lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

function signature(token: string, expiresAt: number): string {
  return createHmac('sha256', token)
    .update(`imbot-rollout dashboard session v1|${expiresAt}`)
    .digest('base64url');
}

/**
 * The cookie value set by the login form: an expiry and an HMAC keyed by the API token. The token itself is
 * never sent back to the browser, and changing ROLLOUT_API_TOKEN invalidates every session.
 */
export function issueSessionValue(token: string, now: number, ttlMs = SESSION_TTL_MS): string {
  const expiresAt = now + ttlMs;
  return `${expiresAt}.${signature(token, expiresAt)}`;
}

/** True when the cookie value was issued with this token and has not expired (constant-time comparison). */
export function isValidSessionValue(value: string, token: string, now: number): boolean {
  const dot = value.indexOf('.');
  if (dot <= 0) return false;
  const expiresAt = Number(value.slice(0, dot));
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= now) return false;
  return tokensMatch(value.slice(dot + 1), signature(token, expiresAt));
}
