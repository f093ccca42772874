import { z } from 'zod';
import { strictObject } from '../input/strict-object.js';
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

const nonEmptySecret = (what: string) =>
  z
    .string({
      error: (issue) => (issue.input === undefined ? `is required: ${what}` : `must be a string: ${what}`),
    })
    .min(1, { error: `must not be empty: ${what}` })
    .max(4096, { error: 'must be at most 4096 characters' });

/**
 * One portal of the portals file. `domain` is lower-cased; `restUrl` defaults to `https://<domain>/rest/`. URLs
 * must be https unless `allowHttp` (ROLLOUT_ALLOW_HTTP=1, for a local simulator). No message ever contains a
 * token or a webhook code: webhook URLs are shown with the code replaced by `***`.
 */
export function portalEntrySchema(opts: { allowHttp: boolean }) {
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
    clientId: z
      .string({ error: 'must be a string: the REST application client id' })
      .min(1, { error: 'must not be empty' })
      .optional(),
  });

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
      .positive({ error: 'must be a positive integer' }),
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
    auth: z.discriminatedUnion('type', [oauthSchema, webhookSchema], {
      error: (issue) =>
        issue.input === undefined
          ? 'is required: {"type": "oauth", "accessToken", "refreshToken", "expiresAt"} or {"type": "webhook", "url"}'
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
    .transform((entry) => ({ ...entry, restUrl: entry.restUrl ?? `https://${entry.domain}/rest/` }));
}

export type PortalEntry = z.infer<ReturnType<typeof portalEntrySchema>>;
export type PortalAuth = PortalEntry['auth'];

/** The whole portals file: a non-empty array of portal entries with unique domains (duplicates name both indexes). */
export function portalsFileSchema(opts: { allowHttp: boolean }) {
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
