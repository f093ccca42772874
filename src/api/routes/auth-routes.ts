import type {} from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { renderLogin } from '../render-login.js';
import { safeNextPath } from '../require-token.js';
import { issueSessionValue, SESSION_COOKIE, SESSION_TTL_MS } from '../session-cookie.js';
import { tokensMatch } from '../tokens-match.js';

const loginBodySchema = z.object({
  token: z.string({ error: 'is required' }).max(1_000, 'is too long'),
  next: z.string().max(2_000).optional(),
});

const LOGIN_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * GET /login (the form), POST /login (token -> HttpOnly, SameSite=Strict session cookie; the cookie holds an
 * HMAC, never the token) and POST /logout. Without a configured token there is nothing to log in to.
 */
export function authRoutes(
  app: FastifyInstance,
  deps: { token: string | undefined; now: () => number },
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
    if (deps.token === undefined) return reply.redirect(next, 303);
    if (!parsed.success || !tokensMatch(parsed.data.token, deps.token)) {
      request.log.warn('dashboard login refused: wrong token');
      return reply
        .code(401)
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', LOGIN_CSP)
        .send(renderLogin({ next, error: 'Wrong token.' }));
    }
    return reply
      .setCookie(SESSION_COOKIE, issueSessionValue(deps.token, deps.now()), {
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
        path: '/',
        maxAge: Math.floor(SESSION_TTL_MS / 1000),
      })
      .redirect(next, 303);
  });

  app.post('/logout', async (_request, reply) => {
    return reply.clearCookie(SESSION_COOKIE, { path: '/' }).redirect('/login', 303);
  });
}
