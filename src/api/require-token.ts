import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE, type SessionStore } from './session-cookie.js';
import { tokensMatch } from './tokens-match.js';

/**
 * Routes anyone may call: the health probe, the login form itself, and Bitrix24's application events (which
 * cannot carry the token: each event is authenticated by its application_token, docs/install-events.md). The
 * token handout (routes/token-handout-routes.ts) is authenticated by its own secret alone, never by this token.
 */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set([
  '/healthz',
  '/login',
  '/bitrix24/events',
  '/api/tokens',
  '/api/tokens/:domain',
]);

export interface RequireTokenOptions {
  /** ROLLOUT_API_TOKEN; undefined leaves every route open (allowed on a loopback address only). */
  token: string | undefined;
  /** Login sessions (set whenever a token is). */
  sessions: SessionStore | undefined;
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * True when the request carries the token (Bearer header) or the cookie of a live login session (not revoked
 * by logout, not expired); constant-time checks.
 */
export async function isAuthenticated(
  request: FastifyRequest,
  token: string,
  sessions: SessionStore | undefined,
): Promise<boolean> {
  const bearer = bearerOf(request);
  if (bearer !== undefined && tokensMatch(bearer, token)) return true;
  const session = request.cookies[SESSION_COOKIE];
  return session !== undefined && sessions !== undefined && (await sessions.isValid(session));
}

function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return request.method === 'GET' && accept.includes('text/html');
}

/** Where to go back after logging in: only a path on this server (never `//host` or a full URL). */
export function safeNextPath(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//')) return '/';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here.
  if (/[\\\u0000-\u001f\u007f]/.test(value)) return '/';
  return value;
}

async function refuse(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (wantsHtml(request)) {
    await reply.redirect(`/login?next=${encodeURIComponent(safeNextPath(request.url))}`, 302);
    return;
  }
  await reply.code(401).header('www-authenticate', 'Bearer realm="imbot-rollout"').send({
    error: 'unauthorized',
    message: 'send "Authorization: Bearer <ROLLOUT_API_TOKEN>" or log in at /login',
  });
}

/**
 * Access control for every route but {@link PUBLIC_ROUTES}: with a token configured, a request needs it as a
 * Bearer header or the HttpOnly login cookie. Browsers asking for a page are sent to the login form; API
 * clients get 401. Register before the routes (and the @fastify/cookie plugin before this).
 */
export function requireToken(app: FastifyInstance, options: RequireTokenOptions): void {
  const { token } = options;
  if (token === undefined) return;
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route !== undefined && PUBLIC_ROUTES.has(route)) return;
    if (await isAuthenticated(request, token, options.sessions)) return;
    await refuse(request, reply);
    return reply;
  });
}
