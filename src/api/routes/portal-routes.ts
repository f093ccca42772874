import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { OperatorError } from '../../errors/operator-error.js';
import { loadDesiredApps } from '../../events/load-desired-apps.js';
import { removePortals } from '../../ops/remove-portals.js';
import { type EnqueueDeps, enqueueRollout } from '../../pipeline/enqueue-rollout.js';
import { type PortalSchemaOptions, portalsFileSchema } from '../../portals/portal-entry-schema.js';
import { tokenOwnershipNotice } from '../../portals/token-ownership-notice.js';
import type { Runtime } from '../../runtime/create-runtime.js';
import { parseInput } from '../parse-input.js';
import { portalParamsSchema } from '../request-schemas.js';

export type PortalRouteDeps = EnqueueDeps & Pick<Runtime, 'definitions'>;

/**
 * POST /api/portals and DELETE /api/portals/:domain (docs/http-api.md, "Portals"): what the application's
 * backend, which learns of installs and uninstalls first, tells imbot-rollout. Same token and same-origin rules as
 * every other changing route (require-token.ts, require-same-origin.ts).
 *
 * POST takes `{"portals": [<portals-file entries>], "queueApps": bool, "replaceCredentials": bool}`, validated
 * whole with the portals file's schema (nothing is stored when any entry is bad; every problem names its entry and
 * field) and imported through the same path as `rollout --portals` (enqueueRollout: never back in time, a removed
 * portal comes back, its parked pairs are queued again). With `queueApps`, the apps an install event would queue
 * (src/events/load-desired-apps.ts) are queued for these portals. It answers the import summary, and a `warning`
 * when OAuth refresh tokens were handed over (token-ownership-notice.ts).
 */
/** The body of POST /api/portals: portals-file entries checked like the file's (ROLLOUT_ALLOW_HTTP/HOSTS, a source). */
export function portalsBodySchema(options: PortalSchemaOptions) {
  return z
    .object({
      portals: portalsFileSchema(options),
      queueApps: z.boolean({ error: 'must be true or false' }).optional(),
      replaceCredentials: z.boolean({ error: 'must be true or false' }).optional(),
    })
    .strict();
}

export function portalRoutes(app: FastifyInstance, deps: PortalRouteDeps): void {
  const { config } = deps;
  const bodySchema = portalsBodySchema({
    allowHttp: config.allowHttp,
    allowHosts: config.allowHosts,
    tokenSource: config.tokens.source.url !== undefined,
  });

  // A portals list is larger than the API's other bodies: as large as a portals file may be.
  app.post('/api/portals', { bodyLimit: config.input.maxFileBytes }, async (request, reply) => {
    const body = parseInput(bodySchema, request.body, 'body');
    try {
      const desired = body.queueApps ? await loadDesiredApps(deps) : undefined;
      const apps = desired && desired.apps.length > 0 ? desired.apps : undefined;
      const summary = await enqueueRollout(
        {
          apps,
          portals: body.portals,
          replaceCredentials: body.replaceCredentials ?? false,
          // As for an install event: the latest desired set wins over older in-flight definitions, and what
          // update cannot apply is replaced (src/events/handle-app-event.ts).
          ...(apps ? { replace: true, recreate: true, rememberApps: false } : {}),
          source: 'POST /api/portals',
        },
        deps,
      );
      const warning = tokenOwnershipNotice(body.portals, summary.imported?.credentialsReplaced ?? []);
      request.log.info(
        {
          portals: body.portals.length,
          created: summary.imported?.created ?? 0,
          queued: summary.counts.queued,
          keptNewer: summary.imported?.credentialsKeptNewer.length ?? 0,
        },
        'portals imported through the API',
      );
      return {
        imported: summary.imported,
        rolloutId: summary.rolloutId,
        apps: apps?.map((a) => a.CODE) ?? [],
        ...(desired ? { appsFrom: desired.source } : {}),
        queued: summary.counts,
        ...(warning === undefined ? {} : { warning }),
      };
    } catch (error) {
      // A refused rollout (e.g. "HASH": "auto" without ROLLOUT_HASH_SECRET): the operator's message, nothing stored.
      if (!(error instanceof OperatorError)) throw error;
      return reply.code(422).send({ error: 'refused', message: error.message });
    }
  });

  app.delete('/api/portals/:domain', async (request, reply) => {
    const { domain } = parseInput(portalParamsSchema, request.params, 'params');
    const summary = await removePortals([domain], `api (${request.ip})`, deps);
    const removed = summary.removed[0];
    if (removed === undefined) {
      return reply.code(404).send({ error: 'not_found', message: `no portal ${domain} is stored` });
    }
    return {
      removed: removed.domain,
      jobsRemoved: removed.jobsRemoved,
      parked: removed.parked,
      message:
        'nothing calls this portal any more; its results are kept for export; POST /api/portals with it brings it back',
    };
  });
}
