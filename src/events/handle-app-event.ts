import { createHash } from 'node:crypto';
import { formatZodIssues } from '../input/format-zod-issues.js';
import { enqueueRollout } from '../pipeline/enqueue-rollout.js';
import { pairJobId } from '../pipeline/pair-job.js';
import { type PortalEntry, portalEntrySchema } from '../portals/portal-entry-schema.js';
import type { Runtime } from '../runtime/create-runtime.js';
import { tokensMatch } from '../secrets/tokens-match.js';
import { APP_UNINSTALLED } from '../store/app-uninstalled.js';
import type { TokenSourceClient } from '../tokens/token-source-client.js';
import { APP_EVENT_NAMES, type AppEvent, appEventSchema } from './app-event-schema.js';
import { loadDesiredApps } from './load-desired-apps.js';
import { verifyInstallTokens } from './verify-install-tokens.js';
import { verifyThroughSource } from './verify-through-source.js';

/** What the event endpoint answers: an HTTP status and a JSON body (never a token). */
export interface AppEventReply {
  status: number;
  body: Record<string, unknown>;
  retryAfterSeconds?: number;
}

export type AppEventDeps = Pick<
  Runtime,
  'config' | 'logger' | 'redis' | 'keys' | 'queue' | 'results' | 'definitions' | 'portals' | 'refreshTokens'
> & {
  now: () => number;
  /** The token source (ROLLOUT_TOKEN_SOURCE_URL): installs are verified through it and stored with source auth. */
  tokenSource?: TokenSourceClient | undefined;
};

/** How long a handled event is remembered: a replay within it changes nothing (docs/install-events.md). */
const HANDLED_TTL_SECONDS = 30 * 86_400;
/** How long an event is marked "being handled" (a second delivery meanwhile is asked to come back). */
const HANDLING_TTL_SECONDS = 120;
/** Lifetime of an access token when the event does not say (docs/bitrix24.md, "OAuth 2.0"). */
const DEFAULT_EXPIRES_IN = 3600;

const refuse = (status: number, error: string, message: string): AppEventReply => ({
  status,
  body: { error, message },
});

/** Identifies one delivery of one event: the same event delivered again has the same digest. */
function eventDigest(event: AppEvent): string {
  const { auth } = event;
  return createHash('sha256')
    .update(
      [
        event.event,
        auth.domain,
        auth.member_id,
        auth.application_token,
        auth.access_token ?? '',
        auth.refresh_token ?? '',
        event.ts ?? '',
      ].join('\n'),
    )
    .digest('hex');
}

type Trust = { kind: 'known' } | { kind: 'new' } | { kind: 'refused'; reply: AppEventReply };

/**
 * Who may send this event (docs/install-events.md, "Authentication"). A portal with a kept `application_token`
 * (installed, or uninstalled: a replayed uninstall) must present it and its member_id, compared in constant
 * time; Bitrix24 says to answer 403 otherwise. That holds for ONAPPUPDATE too: an update never rotates the kept
 * token (issue 19: a new token proves no more than holding a refresh token of our client for the portal, which
 * every user who opens the application gets). An install for a portal without a kept token (new, imported from
 * a file, or reinstalled after an uninstall) is `new`. An uninstall or update without a kept token cannot be
 * authenticated: refused. Whatever the trust, tokens an event carries are stored only once verified (install).
 */
async function authenticate(event: AppEvent, deps: AppEventDeps): Promise<Trust> {
  const kind = APP_EVENT_NAMES[event.event];
  const { domain, member_id: memberId, application_token: token } = event.auth;
  const stored = await deps.portals.eventAuth(domain);
  if (stored?.memberId !== undefined && !tokensMatch(memberId, stored.memberId)) {
    return {
      kind: 'refused',
      reply: refuse(403, 'member_id_mismatch', `the member_id does not match the one stored for ${domain}`),
    };
  }
  const keptToken = stored?.applicationToken;
  const reinstall = kind === 'install' && stored?.state === 'uninstalled';
  if (keptToken !== undefined && !reinstall) {
    if (!tokensMatch(token, keptToken)) {
      if (kind === 'update') {
        deps.logger.warn(
          { event: event.event, domain },
          'ONAPPUPDATE with another application_token refused: an update does not replace the kept token (docs/install-events.md, "Authentication")',
        );
      }
      return {
        kind: 'refused',
        reply: refuse(
          403,
          'application_token_mismatch',
          `the application_token does not match the one kept from ${domain}'s install`,
        ),
      };
    }
    return { kind: 'known' };
  }
  if (kind === 'uninstall' || kind === 'update') {
    return {
      kind: 'refused',
      reply: refuse(
        403,
        'unknown_installation',
        `no install of ${domain} was received: an ${event.event} cannot be authenticated without its application_token`,
      ),
    };
  }
  return { kind: 'new' };
}

/** Builds the portal entry of an install, checked like a portals-file entry (outbound rule included). */
async function installEntry(
  event: AppEvent,
  deps: AppEventDeps,
): Promise<{ entry: PortalEntry } | { reply: AppEventReply }> {
  const { auth } = event;
  const fromSource = deps.tokenSource !== undefined;
  if (
    fromSource
      ? !auth.client_endpoint
      : auth.access_token === undefined || auth.refresh_token === undefined || !auth.client_endpoint
  ) {
    return {
      reply: refuse(
        400,
        'bad_event',
        fromSource
          ? `an ${event.event} event must carry auth[client_endpoint]`
          : `an ${event.event} event must carry auth[access_token], auth[refresh_token] and auth[client_endpoint]`,
      ),
    };
  }
  const current = await deps.portals.get(auth.domain);
  // The bot: as stored for a known portal, else the configured default bot code.
  const bot =
    current?.botCode !== undefined
      ? { botCode: current.botCode }
      : current?.botId !== undefined
        ? { botId: current.botId }
        : deps.config.events.botCode !== undefined
          ? { botCode: deps.config.events.botCode }
          : undefined;
  if (bot === undefined) {
    deps.logger.error(
      { domain: auth.domain },
      'install event for a portal without a bot: set ROLLOUT_EVENTS_BOT_CODE',
    );
    return {
      reply: refuse(
        422,
        'no_bot',
        `${auth.domain} is not in the portals file and no default bot code is configured: set ROLLOUT_EVENTS_BOT_CODE (events.botCode)`,
      ),
    };
  }
  const expiresIn = auth.expires_in ?? DEFAULT_EXPIRES_IN;
  const parsed = portalEntrySchema({
    allowHttp: deps.config.allowHttp,
    allowHosts: deps.config.allowHosts,
    tokenSource: fromSource,
  }).safeParse({
    domain: auth.domain,
    restUrl: auth.client_endpoint,
    ...bot,
    memberId: auth.member_id,
    ...(current?.rateLimit ? { rateLimit: current.rateLimit } : {}),
    // With a token source the application's backend owns the tokens: the event's are never kept here.
    auth: fromSource
      ? { type: 'source' }
      : {
          type: 'oauth',
          accessToken: auth.access_token,
          refreshToken: auth.refresh_token,
          expiresAt: new Date(deps.now() + expiresIn * 1000).toISOString(),
        },
  });
  if (!parsed.success) {
    const problems = formatZodIssues(parsed.error, 'auth', { path: 'dotted' })
      .map(({ where, message }) => `${where}: ${message}`)
      .join('; ');
    return { reply: refuse(400, 'bad_event', problems) };
  }
  return { entry: parsed.data };
}

async function install(event: AppEvent, deps: AppEventDeps): Promise<AppEventReply> {
  // An update of a known installation without tokens (not linked to a user): nothing to store.
  if (event.event === 'ONAPPUPDATE' && event.auth.access_token === undefined) {
    return {
      status: 200,
      body: { ok: true, event: event.event, domain: event.auth.domain, unchanged: true },
    };
  }
  const built = await installEntry(event, deps);
  if ('reply' in built) return built.reply;
  const entry =
    deps.tokenSource === undefined
      ? await verifiedOwnEntry(event, built.entry, deps)
      : await verifiedSourceEntry(event, built.entry, deps.tokenSource, deps);
  if ('reply' in entry) return entry.reply;
  return await storeAndQueue(event, entry.entry, deps);
}

/**
 * With a token source (docs/install-events.md, "With a token source"): the source must vouch for the portal;
 * the entry keeps `source` auth, and the event's tokens are never refreshed (the backend owns them).
 */
async function verifiedSourceEntry(
  event: AppEvent,
  entry: PortalEntry,
  tokenSource: TokenSourceClient,
  deps: AppEventDeps,
): Promise<{ entry: PortalEntry } | { reply: AppEventReply }> {
  const verified = await verifyThroughSource(
    { domain: entry.domain, memberId: event.auth.member_id, restUrl: entry.restUrl },
    { tokenSource, logger: deps.logger, allowHosts: deps.config.allowHosts },
  );
  return verified.kind === 'refused' ? { reply: verified.reply } : { entry };
}

/** Own mode: the event's tokens are verified with the OAuth server; the refreshed pair is what is stored. */
async function verifiedOwnEntry(
  event: AppEvent,
  built: PortalEntry,
  deps: AppEventDeps,
): Promise<{ entry: PortalEntry } | { reply: AppEventReply }> {
  if (built.auth.type !== 'oauth')
    return { reply: refuse(400, 'bad_event', 'an install carries OAuth tokens') };
  // Every event's tokens, a known portal's too, are verified before they may replace the stored pair
  // (docs/install-events.md, "Idempotency and replays"): a captured event posted again carries a refresh token the first
  // delivery spent, so the OAuth server refuses it and nothing changes, whatever its `ts` or age. Last, after
  // every local check: the refresh spends the event's refresh token (single use).
  const verified = await verifyInstallTokens(
    {
      domain: built.domain,
      memberId: event.auth.member_id,
      restUrl: built.restUrl,
      refreshToken: built.auth.refreshToken,
    },
    deps,
  );
  if (verified.kind === 'refused') return { reply: verified.reply };
  // The event's pair is spent now: the refreshed one, just issued, is what the portal is stored with.
  const { tokens } = verified;
  return {
    entry: {
      ...built,
      auth: {
        type: 'oauth',
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        expiresAt: new Date(tokens.expiresAt).toISOString(),
      },
    },
  };
}

/** Stores the verified entry, keeps the application_token, and queues the desired apps for this portal. */
async function storeAndQueue(
  event: AppEvent,
  entry: PortalEntry,
  deps: AppEventDeps,
): Promise<AppEventReply> {
  const imported = await deps.portals.importPortals([entry]);
  await deps.portals.recordInstall(entry.domain, {
    applicationToken: event.auth.application_token,
    memberId: event.auth.member_id,
  });
  const desired = await loadDesiredApps(deps);
  let queued = 0;
  if (desired.apps.length > 0) {
    const summary = await enqueueRollout(
      {
        apps: desired.apps,
        portals: undefined,
        domains: [entry.domain],
        // The desired set is the operator's latest: it wins over older in-flight definitions, and what update
        // cannot apply is replaced.
        replace: true,
        recreate: true,
        rememberApps: false,
        source: `${event.event} ${entry.domain}`,
      },
      deps,
    );
    queued = summary.counts.queued + summary.counts.already_pending;
  }
  deps.logger.info(
    { domain: entry.domain, created: imported.created, apps: desired.apps.length, queued },
    'install event: portal stored',
  );
  return {
    status: 200,
    body: {
      ok: true,
      event: event.event,
      domain: entry.domain,
      portal: imported.created > 0 ? 'created' : 'updated',
      apps: desired.apps.map((app) => app.CODE),
      appsFrom: desired.source,
      queued,
    },
  };
}

async function uninstall(event: AppEvent, deps: AppEventDeps): Promise<AppEventReply> {
  const { domain } = event.auth;
  const { results, queue } = deps;
  await deps.portals.markUninstalled(domain, 'APP_UNINSTALLED: ONAPPUNINSTALL received');
  const pairs = await results.listPairs({ portal: domain });
  const states = await results.statesOf(pairs);
  let jobsRemoved = 0;
  let parked = 0;
  for (const [index, { code }] of pairs.entries()) {
    // Waiting or delayed jobs go; a running one ends without calling (process-pair.ts checks the flag).
    jobsRemoved += await queue.remove(pairJobId(domain, code)).catch(() => 0);
    const state = states[index];
    if (state !== undefined && state.state !== 'unregistered') {
      await results.markNeedsReauth(domain, code, APP_UNINSTALLED);
      parked++;
    }
    // The application's chat apps went with it: a new install registers them again.
    await results.forgetAppId(domain, code);
  }
  deps.logger.info(
    { domain, pairs: pairs.length, parked, jobsRemoved },
    'uninstall event: portal uninstalled',
  );
  return {
    status: 200,
    body: { ok: true, event: 'ONAPPUNINSTALL', domain, pairs: parked, jobsRemoved },
  };
}

/**
 * One application event (docs/install-events.md): validated, authenticated, handled once. The same event
 * delivered again answers 200 `duplicate` and changes nothing; a delivery while the first is being handled
 * answers 409 with Retry-After. Nothing logged or answered contains a token.
 */
export async function handleAppEvent(body: unknown, deps: AppEventDeps): Promise<AppEventReply> {
  const parsed = appEventSchema.safeParse(body);
  if (!parsed.success) {
    const problems = formatZodIssues(parsed.error, '', { path: 'dotted' })
      .map(({ where, message }) => `${where || 'body'}: ${message}`)
      .join('; ');
    return refuse(400, 'bad_event', problems);
  }
  const event = parsed.data;
  const trust = await authenticate(event, deps);
  if (trust.kind === 'refused') {
    deps.logger.warn(
      { event: event.event, domain: event.auth.domain, refused: trust.reply.body['error'] },
      'application event refused',
    );
    return trust.reply;
  }
  const marker = deps.keys.appEvent(eventDigest(event));
  const first = await deps.redis.set(marker, 'handling', 'EX', HANDLING_TTL_SECONDS, 'NX');
  if (first !== 'OK') {
    const seen = await deps.redis.get(marker);
    if (seen === 'handling') {
      return {
        ...refuse(409, 'in_progress', 'this event is being handled; send it again later'),
        retryAfterSeconds: 5,
      };
    }
    return {
      status: 200,
      body: { ok: true, duplicate: true, event: event.event, domain: event.auth.domain },
    };
  }
  try {
    const reply =
      APP_EVENT_NAMES[event.event] === 'uninstall'
        ? await uninstall(event, deps)
        : await install(event, deps);
    if (reply.status === 200) await deps.redis.set(marker, 'done', 'EX', HANDLED_TTL_SECONDS);
    else await deps.redis.del(marker);
    return reply;
  } catch (error) {
    await deps.redis.del(marker).catch(() => undefined);
    throw error;
  }
}
