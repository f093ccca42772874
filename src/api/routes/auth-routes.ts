import type {} from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { tokensMatch } from '../../secrets/tokens-match.js';
import type { FailedAuthLimit } from '../failed-auth-limit.js';
import { renderLogin } from '../render-login.js';
import { safeNextPath } from '../require-token.js';
import { SESSION_COOKIE, SESSION_TTL_MS, type SessionStore } from '../session-cookie.js';

const loginBodySchema = z.object({
  token: z.string({ error: 'is required' }).max(1_000, 'is too long'),
  next: z.string().max(2_000).optional(),
});

const LOGIN_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * GET /login (the form), POST /login (token -> a server-side session and its HttpOnly, SameSite=Strict cookie,
 * `Secure` when the request came over HTTPS, as seen through a trusted proxy with `api.trustProxy`; the cookie
 * holds a session id and an HMAC, never the token) and POST /logout (revokes the session in Redis). Without a
 * configured token there is nothing to log in to. Failed logins are throttled per source address (failedAuth).
 */
export function authRoutes(
  app: FastifyInstance,
  deps: { token: string | undefined; sessions: SessionStore | undefined; failedAuth?: FailedAuthLimit },
): void {
  app.get('/login', async (request, reply) => {
    const next = safeNextPath((request.query as Record<string, unknown> | undefined)?.['next']);
    if (deps.token === undefined) return reply.redirect(next, 302);
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', LOGIN_CSP)
      .send(renderLogin({ next }));
  });

  app.post('/login', async (request, reply) => {
    const parsed = loginBodySchema.safeParse(request.body ?? {});
    const next = safeNextPath(parsed.success ? parsed.data.next : undefined);
    if (deps.token === undefined || deps.sessions === undefined) return reply.redirect(next, 303);
    // Failed logins are counted per source address: past the limit, 429 until the window ends (docs/security.md).
    const wait = (await deps.failedAuth?.retryAfter(request.ip)) ?? 0;
    if (wait > 0) {
      return reply
        .code(429)
        .header('retry-after', String(wait))
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', LOGIN_CSP)
        .send(renderLogin({ next, error: `Too many failed logins: try again in ${wait} seconds.` }));
    }
    if (!parsed.success || !tokensMatch(parsed.data.token, deps.token)) {
      request.log.warn({ source: request.ip }, 'dashboard login refused: wrong token');
      await deps.failedAuth?.recordFailure(request.ip);
      return reply
        .code(401)
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', LOGIN_CSP)
        .send(renderLogin({ next, error: 'Wrong token.' }));
    }
    return reply
      .setCookie(SESSION_COOKIE, await deps.sessions.issue(), {
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
        path: '/',
        maxAge: Math.floor(SESSION_TTL_MS / 1000),
      })
      .redirect(next, 303);
  });

  app.post('/logout', async (request, reply) => {
    const session = request.cookies[SESSION_COOKIE];
    if (session !== undefined) await deps.sessions?.revoke(session);
    return reply.clearCookie(SESSION_COOKIE, { path: '/' }).redirect('/login', 303);
  });
}
