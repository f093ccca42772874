import { z } from 'zod';
import { strictObject } from '../input/strict-object.js';
import { type AllowList, createAllowList } from '../outbound/allow-list.js';
import { ALLOW_HOSTS_HINT, outboundHostProblem } from '../outbound/outbound-host-problem.js';
import { redactWebhookUrl } from './redact-webhook-url.js';

const BARE_HOST = 'use the bare host name, e.g. example.bitrix24.com';
const HTTP_REFUSED = 'http:// is refused; use https:// or set ROLLOUT_ALLOW_HTTP=1 for a local simulator';
const WEBHOOK_SHAPE = 'https://<portal>/rest/<user id>/<webhook code>/';
const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function domainProblem(domain: string): string | undefined {
  if (domain === '') return `must not be empty; ${BARE_HOST}`;
  if (domain.includes('://')) return `must not contain a scheme (https://); ${BARE_HOST}`;
  if (domain.includes('/')) return `must not contain a path; ${BARE_HOST}`;
  if (domain.includes(':')) return `must not contain a port (give it in restUrl); ${BARE_HOST}`;
  if (!HOST_NAME.test(domain)) return `is not a host name (letters, digits, "-" and "." only); ${BARE_HOST}`;
  return undefined;
}

/** Problem with the scheme and shape of a service URL, or undefined. The URL is never quoted. */
function serviceUrlProblem(url: URL, allowHttp: boolean): string | undefined {
  if (url.protocol === 'http:' && !allowHttp) return HTTP_REFUSED;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return allowHttp ? 'must be an https:// or http:// URL' : 'must be an https:// URL';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
  if (url.search !== '' || url.hash !== '') return 'must not have a query string or fragment';
  return undefined;
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * The outbound rule for one entry (docs/security.md, "Where credentials are sent: the outbound rule"): the
 * REST address must be on the portal's own `domain` (on-premise portals too) and not a reserved address; the
 * webhook URL must not be a reserved address either. Hosts in ROLLOUT_ALLOW_HOSTS are exempt from both.
 * Problems name the URL (a webhook's code redacted).
 */
function checkOutbound(
  entry: Record<string, unknown>,
  opts: { allow: AllowList; allowHttp: boolean },
  ctx: z.RefinementCtx,
): void {
  const { allow } = opts;
  const domain = typeof entry['domain'] === 'string' ? entry['domain'] : undefined;
  if (domain === undefined || domainProblem(domain) !== undefined) return;
  const given = typeof entry['restUrl'] === 'string';
  const restText = given ? (entry['restUrl'] as string) : `https://${domain}/rest/`;
  const restUrl = parseUrl(restText);
  // A URL already refused for its scheme or shape gets that one message only.
  if (restUrl === undefined || serviceUrlProblem(restUrl, opts.allowHttp) !== undefined) return;
  const path = given ? ['restUrl'] : ['domain'];
  const problem = outboundHostProblem(restUrl, allow);
  if (problem !== undefined) {
    ctx.addIssue({ code: 'custom', path, message: `${restText} is refused: ${problem}` });
  } else if (restUrl.hostname !== domain && !allow.allowsHost(restUrl.hostname)) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: `${restText} is refused: its host ${restUrl.hostname} is not this portal's domain ${domain}; the REST address must be on the portal's own host (e.g. https://${domain}/rest/), or ${ALLOW_HOSTS_HINT}`,
    });
  }
  const auth = entry['auth'];
  if (!isRecord(auth) || auth['type'] !== 'webhook' || typeof auth['url'] !== 'string') return;
  const hookUrl = parseUrl(auth['url']);
  const hookProblem =
    hookUrl === undefined || serviceUrlProblem(hookUrl, opts.allowHttp) !== undefined
      ? undefined
      : outboundHostProblem(hookUrl, allow);
  if (hookProblem !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['auth', 'url'],
      message: `${redactWebhookUrl(auth['url'])} is refused: ${hookProblem}`,
    });
  }
}

const nonEmptySecret = (what: string) =>
  z
    .string({
      error: (issue) => (issue.input === undefined ? `is required: ${what}` : `must be a string: ${what}`),
    })
    .min(1, { error: `must not be empty: ${what}` })
    .max(4096, { error: 'must be at most 4096 characters' });

/**
 * `auth.clientId` of a webhook portal, required: a webhook has no client id of its own, so the chat-app methods
 * need a `CLIENT_ID` parameter and act for the application `custom<CLIENT_ID>`; without it Bitrix24 answers
 * every chat-app call with 403 ACCESS_DENIED "Client ID not specified", and the portal's bot must have been
 * registered with the same CLIENT_ID (docs/bitrix24.md, "Who is calling").
 */
const CLIENT_ID_RULE =
  "the CLIENT_ID this portal's bot was registered with through this webhook (imbot.register with CLIENT_ID); " +
  'Bitrix24 refuses chat-app calls from a webhook without it (ACCESS_DENIED "Client ID not specified")';
const clientIdSchema = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? `is required for a webhook portal: ${CLIENT_ID_RULE}`
        : `must be a string: ${CLIENT_ID_RULE}`,
  })
  .min(1, { error: `must not be empty: ${CLIENT_ID_RULE}` })
  .max(128, { error: 'must be at most 128 characters' })
  .refine((value) => value.trim() === value, { error: 'must not start or end with spaces' });

/** Options of the portals schema: ROLLOUT_ALLOW_HTTP and ROLLOUT_ALLOW_HOSTS (default none). */
export interface PortalSchemaOptions {
  allowHttp: boolean;
  allowHosts?: readonly string[];
  /**
   * Whether a token source is configured (ROLLOUT_TOKEN_SOURCE_URL): `"auth": {"type": "source"}` is refused
   * without one. Default false.
   */
  tokenSource?: boolean;
}

const SOURCE_DOCS = 'docs/tokens.md, "Borrowed tokens (source mode)"';

/**
 * Problems of a `source` auth (docs/tokens.md, "Borrowed tokens"): it carries no token of any kind (the
 * application's backend owns the pair), and needs a configured source. Messages name the portal.
 */
function checkSourceAuth(entry: Record<string, unknown>, tokenSource: boolean, ctx: z.RefinementCtx): void {
  const auth = entry['auth'];
  if (!isRecord(auth) || auth['type'] !== 'source') return;
  const portal =
    typeof entry['domain'] === 'string' ? `portal ${entry['domain'].trim().toLowerCase()}` : 'this portal';
  const tokens = ['refreshToken', 'accessToken', 'expiresAt'].filter((key) => key in auth);
  if (tokens.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['auth'],
      message: `${portal} has "type": "source" and also ${tokens.join(' and ')}: a source portal takes its access token from the application's backend and never holds a refresh token here; remove ${tokens.join(' and ')}, or use "type": "oauth" if imbot-rollout is to own and refresh this portal's tokens (${SOURCE_DOCS})`,
    });
  }
  const others = Object.keys(auth).filter((key) => key !== 'type' && !tokens.includes(key));
  for (const key of others) {
    ctx.addIssue({
      code: 'custom',
      path: ['auth', key],
      message: `unknown key "${key}" for ${portal}: a source auth is {"type": "source"} alone`,
    });
  }
  if (!tokenSource) {
    ctx.addIssue({
      code: 'custom',
      path: ['auth', 'type'],
      message: `${portal} takes its tokens from a token source, but none is configured: set ROLLOUT_TOKEN_SOURCE_URL and ROLLOUT_TOKEN_SOURCE_SECRET (${SOURCE_DOCS})`,
    });
  }
}

/**
 * One portal of the portals file. `domain` is lower-cased; `restUrl` defaults to `https://<domain>/rest/`. URLs
 * must be https unless `allowHttp` (ROLLOUT_ALLOW_HTTP=1, for a local simulator). The outbound rule
 * (checkOutbound) applies unless the host is in `allowHosts`. No message ever contains a token or a webhook
 * code: webhook URLs are shown with the code replaced by `***`.
 */
export function portalEntrySchema(opts: PortalSchemaOptions) {
  const allow = createAllowList(opts.allowHosts ?? []);
  const restUrlSchema = z
    .string({
      error: 'must be a string: the portal\'s REST address, e.g. "https://example.bitrix24.com/rest/"',
    })
    .superRefine((value, ctx) => {
      const url = parseUrl(value);
      const problem =
        url === undefined
          ? 'must be an absolute URL, e.g. "https://example.bitrix24.com/rest/"'
          : (serviceUrlProblem(url, opts.allowHttp) ??
            (url.pathname.endsWith('/rest/')
              ? undefined
              : 'must end with /rest/, e.g. "https://example.bitrix24.com/rest/"'));
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    });

  const webhookUrlSchema = z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? `is required: the inbound webhook URL, ${WEBHOOK_SHAPE}`
          : `must be a string: the inbound webhook URL, ${WEBHOOK_SHAPE}`,
    })
    .superRefine((value, ctx) => {
      const url = parseUrl(value);
      let problem: string | undefined;
      if (url === undefined) problem = `must be the inbound webhook URL, ${WEBHOOK_SHAPE}`;
      else {
        problem = serviceUrlProblem(url, opts.allowHttp);
        if (problem === undefined && !/^(?:.*\/)?rest\/[1-9][0-9]*\/[A-Za-z0-9]+\/$/.test(url.pathname)) {
          problem = `must have the form ${WEBHOOK_SHAPE} (a positive user id, a code of letters and digits, nothing after the last "/"); got ${redactWebhookUrl(value)}`;
        }
      }
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    });

  const oauthSchema = strictObject({
    type: z.literal('oauth'),
    accessToken: nonEmptySecret('the OAuth access token'),
    refreshToken: nonEmptySecret('the OAuth refresh token'),
    expiresAt: z.iso.datetime({
      offset: true,
      error: 'must be an ISO 8601 date-time with a time zone, e.g. "2025-01-31T12:00:00Z"',
    }),
  });
  const webhookSchema = strictObject({
    type: z.literal('webhook'),
    url: webhookUrlSchema,
    clientId: clientIdSchema,
  });
  // Extra keys are kept for checkSourceAuth (a message naming the portal), then dropped by the entry's transform.
  const sourceSchema = z.looseObject({ type: z.literal('source') });

  return strictObject({
    domain: z
      .string({
        error: (issue) =>
          issue.input === undefined
            ? `is required: the portal's host name; ${BARE_HOST}`
            : `must be a string; ${BARE_HOST}`,
      })
      .trim()
      .toLowerCase()
      .superRefine((value, ctx) => {
        const problem = domainProblem(value);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      }),
    restUrl: restUrlSchema.optional(),
    botId: z
      .number({
        error: (issue) =>
          `${issue.input === undefined ? 'is required' : 'must be a number'}: the portal's chat bot id (a positive integer, BOT_ID in imbot.app.register)`,
      })
      .int({ error: 'must be a positive integer' })
      .positive({ error: 'must be a positive integer' })
      .optional(),
    botCode: z
      .string({ error: "must be a string: the CODE of the portal's chat bot (as imbot.bot.list lists it)" })
      .min(1, { error: 'must not be empty' })
      .max(128, { error: 'must be at most 128 characters' })
      .optional(),
    memberId: z
      .string({ error: "must be a string: the portal's member_id" })
      .min(1, { error: 'must not be empty' })
      .optional(),
    rateLimit: strictObject({
      rate: z
        .number({ error: 'is required: requests per second, a number > 0' })
        .positive({ error: 'must be > 0 (requests per second)' }),
      burst: z
        .number({ error: 'is required: the burst size, an integer >= 1' })
        .int({ error: 'must be an integer >= 1' })
        .min(1, { error: 'must be an integer >= 1' }),
    }).optional(),
    auth: z.discriminatedUnion('type', [oauthSchema, webhookSchema, sourceSchema], {
      error: (issue) =>
        issue.input === undefined
          ? 'is required: {"type": "oauth", "accessToken", "refreshToken", "expiresAt"}, {"type": "webhook", "url", "clientId"} or {"type": "source"}'
          : undefined,
    }),
  })
    .superRefine(
      (entry: Record<string, unknown>, ctx) => {
        // A webhook belongs to one portal: its host must be the one the portal's REST calls go to.
        const auth = entry['auth'];
        if (!isRecord(auth) || auth['type'] !== 'webhook' || typeof auth['url'] !== 'string') return;
        const hookHost = parseUrl(auth['url'])?.host;
        const rest =
          typeof entry['restUrl'] === 'string'
            ? entry['restUrl']
            : typeof entry['domain'] === 'string'
              ? `https://${entry['domain']}/rest/`
              : undefined;
        const restHost = rest === undefined ? undefined : parseUrl(rest)?.host;
        if (hookHost === undefined || restHost === undefined || hookHost === restHost) return;
        ctx.addIssue({
          code: 'custom',
          path: ['auth', 'url'],
          message: `points at ${hookHost}, but this portal's REST address is on ${restHost}; the webhook must belong to the same portal (set restUrl for a simulator)`,
        });
      },
      { when: (payload) => isRecord(payload.value) },
    )
    .superRefine(
      (entry: Record<string, unknown>, ctx) => {
        // The bot: its id, or its CODE for the worker to resolve once with imbot.bot.list (docs/bitrix24.md,
        // "Application events").
        const hasId = entry['botId'] !== undefined;
        const hasCode = entry['botCode'] !== undefined;
        if (hasId === hasCode) {
          ctx.addIssue({
            code: 'custom',
            path: [hasId ? 'botCode' : 'botId'],
            message: hasId
              ? 'give botId or botCode, not both: botId is the bot id (BOT_ID), botCode its CODE, resolved with imbot.bot.list'
              : "is required: the portal's chat bot id (a positive integer, BOT_ID in imbot.app.register), or give botCode (the bot's CODE, resolved with imbot.bot.list)",
          });
        }
      },
      { when: (payload) => isRecord(payload.value) },
    )
    .superRefine(
      (entry: Record<string, unknown>, ctx) => checkSourceAuth(entry, opts.tokenSource ?? false, ctx),
      { when: (payload) => isRecord(payload.value) },
    )
    .superRefine(
      (entry: Record<string, unknown>, ctx) =>
        checkOutbound(entry, { allow, allowHttp: opts.allowHttp }, ctx),
      {
        when: (payload) => isRecord(payload.value),
      },
    )
    .transform((entry) => ({
      ...entry,
      auth: entry.auth.type === 'source' ? { type: 'source' as const } : entry.auth,
      restUrl: entry.restUrl ?? `https://${entry.domain}/rest/`,
    }));
}

export type PortalEntry = z.infer<ReturnType<typeof portalEntrySchema>>;
export type PortalAuth = PortalEntry['auth'];

/** The whole portals file: a non-empty array of portal entries with unique domains (duplicates name both indexes). */
export function portalsFileSchema(opts: PortalSchemaOptions) {
  const entrySchema = portalEntrySchema(opts);
  return z
    .array(z.unknown(), {
      error:
        'must be a JSON array of portals, e.g. [{"domain": "example.bitrix24.com", "botId": 1, "auth": {...}}]',
    })
    .min(1, { error: 'must list at least one portal' })
    .transform((items, ctx): PortalEntry[] => {
      const entries: PortalEntry[] = [];
      items.forEach((item, index) => {
        const parsed = entrySchema.safeParse(item);
        if (parsed.success) entries.push(parsed.data);
        else
          for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: [index, ...issue.path] });
      });
      const firstIndex = new Map<string, number>();
      items.forEach((item, index) => {
        const raw = isRecord(item) ? item['domain'] : undefined;
        if (typeof raw !== 'string') return;
        const domain = raw.trim().toLowerCase();
        if (domain === '') return;
        const first = firstIndex.get(domain);
        if (first === undefined) firstIndex.set(domain, index);
        else {
          ctx.addIssue({
            code: 'custom',
            path: [index, 'domain'],
            message: `duplicate domain "${domain}": [${first}] has it too; list each portal once`,
          });
        }
      });
      return entries;
    });
}
