import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isLoopbackHost } from './is-loopback-host.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function hostnameOf(hostHeader: string): string {
  try {
    return new URL(`http://${hostHeader}`).hostname;
  } catch {
    return '';
  }
}

function crossOriginReason(request: FastifyRequest): string | undefined {
  // Browsers that send Sec-Fetch-Site say exactly where the request comes from; older ones only send Origin.
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite === 'cross-site' || fetchSite === 'same-site') return 'a cross-site request';
  if (fetchSite === 'same-origin' || fetchSite === 'none') return undefined;
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== '') {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return 'a request with an invalid Origin';
    }
    // request.host: the Host header, or X-Forwarded-Host from a trusted proxy (api.trustProxy).
    if (originHost !== request.host) return 'a request from another origin';
  }
  return undefined;
}

/**
 * Browser-side guards that the token alone does not give:
 * - mutating requests (POST, PUT, DELETE) from another origin are refused (CSRF: a page elsewhere posting a
 *   form to this server), judged by Sec-Fetch-Site and Origin;
 * - without a token (loopback only), a request whose Host is not a loopback name is refused, so a web page
 *   cannot reach the open API through DNS rebinding.
 */
export function requireSameOrigin(app: FastifyInstance, options: { tokenRequired: boolean }): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!options.tokenRequired && request.routeOptions.url !== '/healthz') {
      const host = hostnameOf(request.headers.host ?? '');
      if (!isLoopbackHost(host)) {
        await reply.code(403).send({
          error: 'forbidden',
          message: 'the API has no token and answers loopback host names only (localhost, 127.0.0.1, [::1])',
        });
        return reply;
      }
    }
    if (SAFE_METHODS.has(request.method)) return;
    const reason = crossOriginReason(request);
    if (reason === undefined) return;
    await reply.code(403).send({ error: 'forbidden', message: `${reason} may not change anything` });
    return reply;
  });
}
