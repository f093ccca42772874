import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parsePhpForm } from '../../bitrix/parse-php-form.js';
import { takeEventRate } from '../../events/event-rate-limit.js';
import { type AppEventDeps, handleAppEvent } from '../../events/handle-app-event.js';
import { secretKeyProblem } from '../../secrets/require-secret-key.js';

/** The path to set as the handler URL of ONAPPINSTALL / ONAPPUNINSTALL (docs/install-events.md). */
export const APP_EVENTS_PATH = '/bitrix24/events';

const FORM = 'application/x-www-form-urlencoded';

/**
 * POST /bitrix24/events: Bitrix24's application events (docs/install-events.md). Exempt from the API token
 * (Bitrix24 cannot send it): each event is authenticated by its `application_token` and member_id, or for a
 * first install by refreshing its tokens at the OAuth server with our client id (verify-install-tokens.ts). Rate-limited per source address before anything else is read. The form
 * body keeps Bitrix24's PHP-style keys (`auth[domain]`), parsed with parsePhpForm; a JSON body is accepted too.
 */
export async function appEventRoutes(app: FastifyInstance, deps: AppEventDeps): Promise<void> {
  // The route stores credentials: without ROLLOUT_SECRET_KEY (and no explicit plaintext opt-out) it is off,
  // as `rollout` and `worker` refuse to run (docs/install-events.md, "Configuration").
  const keyProblem = secretKeyProblem(deps.config, `the install events route (POST ${APP_EVENTS_PATH})`);
  if (keyProblem !== undefined) deps.logger.error(`install events are off: ${keyProblem}`);
  await app.register(async (scope) => {
    // In this scope only: the raw form text, so `auth[x]` keys nest as PHP (and Bitrix24) read them.
    scope.removeContentTypeParser(FORM);
    scope.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) => {
      done(null, parsePhpForm(String(body)));
    });
    // Counted before the body is read or parsed.
    const limitRate = async (request: FastifyRequest, reply: FastifyReply) => {
      const rate = await takeEventRate(deps, request.ip, deps.config.events.ratePerMinute, deps.now());
      if (rate.allowed) return;
      request.log.warn({ source: request.ip }, 'application events rate-limited');
      await reply
        .code(429)
        .header('retry-after', String(rate.retryAfterSeconds))
        .send({ error: 'rate_limited', message: 'too many events from this address; send again later' });
      return reply;
    };
    scope.post(APP_EVENTS_PATH, { onRequest: limitRate }, async (request, reply) => {
      if (keyProblem !== undefined) {
        return reply.code(503).send({ error: 'not_configured', message: keyProblem });
      }
      const answer = await handleAppEvent(request.body ?? {}, deps);
      if (answer.retryAfterSeconds !== undefined)
        reply.header('retry-after', String(answer.retryAfterSeconds));
      return reply.code(answer.status).send(answer.body);
    });
  });
}
