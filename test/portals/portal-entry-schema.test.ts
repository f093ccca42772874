import { describe, expect, it } from 'vitest';
import { formatZodIssues } from '../../src/input/format-zod-issues.js';
import type { InputProblem } from '../../src/input/input-error.js';
import { portalEntrySchema, portalsFileSchema } from '../../src/portals/portal-entry-schema.js';

const OAUTH = {
  type: 'oauth',
  accessToken: 'ACCESS-TOKEN-VALUE-1',
  refreshToken: 'REFRESH-TOKEN-VALUE-1',
  expiresAt: '2030-01-01T00:00:00Z',
};
const ENTRY = { domain: 'example-a.bitrix24.com', botId: 62, auth: OAUTH };
const HOOK_CODE = 'hookcode0123456789';
const WEBHOOK = {
  type: 'webhook',
  url: `https://example-a.bitrix24.com/rest/1/${HOOK_CODE}/`,
  clientId: 'local.123',
};
const HTTP_REFUSED = 'http:// is refused; use https:// or set ROLLOUT_ALLOW_HTTP=1 for a local simulator';

function problemsOf(entries: unknown[], allowHttp = false, allowHosts: string[] = []): InputProblem[] {
  const result = portalsFileSchema({ allowHttp, allowHosts }).safeParse(entries);
  return result.success ? [] : formatZodIssues(result.error, 'portals.json');
}

function expectOnly(problems: InputProblem[], where: string, message: RegExp | string): void {
  expect(problems).toHaveLength(1);
  expect(problems[0]?.where).toBe(where);
  if (typeof message === 'string') expect(problems[0]?.message).toBe(message);
  else expect(problems[0]?.message).toMatch(message);
}

describe('portal entry: valid entries', () => {
  it('accepts an OAuth portal and fills in the default restUrl', () => {
    expect(portalEntrySchema({ allowHttp: false }).parse(ENTRY)).toEqual({
      ...ENTRY,
      restUrl: 'https://example-a.bitrix24.com/rest/',
    });
  });
  it('lower-cases and trims the domain', () => {
    const entry = portalEntrySchema({ allowHttp: false }).parse({
      ...ENTRY,
      domain: ' Example-A.Bitrix24.COM ',
    });
    expect(entry.domain).toBe('example-a.bitrix24.com');
    expect(entry.restUrl).toBe('https://example-a.bitrix24.com/rest/');
  });
  it('accepts a webhook portal with a clientId, memberId, rateLimit and restUrl', () => {
    const entry = {
      ...ENTRY,
      restUrl: 'https://example-a.bitrix24.com/rest/',
      memberId: 'abc',
      rateLimit: { rate: 0.5, burst: 1 },
      auth: WEBHOOK,
    };
    expect(problemsOf([entry])).toEqual([]);
  });
  it('accepts an expiresAt with a time zone offset and fractional seconds', () => {
    expect(
      problemsOf([{ ...ENTRY, auth: { ...OAUTH, expiresAt: '2030-01-01T01:02:03.456+02:00' } }]),
    ).toEqual([]);
  });
  it('accepts http:// URLs when allowHttp is set (a local simulator)', () => {
    const entry = {
      domain: 'portal-00001.sim.test',
      restUrl: 'http://127.0.0.1:4567/portal/portal-00001.sim.test/rest/',
      botId: 1,
      auth: {
        type: 'webhook',
        url: `http://127.0.0.1:4567/portal/portal-00001.sim.test/rest/1/${HOOK_CODE}/`,
        clientId: 'sim-client',
      },
    };
    expect(problemsOf([entry], true, ['127.0.0.1'])).toEqual([]);
    expect(problemsOf([entry], false).map((p) => p.message)).toEqual([HTTP_REFUSED, HTTP_REFUSED]);
  });
});

describe('portal entry: domain', () => {
  it('requires domain', () => {
    const { domain: _, ...entry } = ENTRY;
    expectOnly(
      problemsOf([entry]),
      'portals.json[0].domain',
      /^is required: .*use the bare host name, e\.g\. example\.bitrix24\.com$/,
    );
  });
  it.each([
    ['https://example.bitrix24.com', /^must not contain a scheme/],
    ['example.bitrix24.com/rest/', /^must not contain a path/],
    ['example.bitrix24.com:443', /^must not contain a port/],
    ['exa mple.com', /^is not a host name/],
    ['-bad.example.com', /^is not a host name/],
    ['', /^must not be empty/],
  ])('refuses the domain %j, asking for the bare host name', (domain, message) => {
    expectOnly(problemsOf([{ ...ENTRY, domain }]), 'portals.json[0].domain', message);
    expect(problemsOf([{ ...ENTRY, domain }])[0]?.message).toMatch(
      /use the bare host name, e\.g\. example\.bitrix24\.com$/,
    );
  });
});

describe('portal entry: restUrl', () => {
  it('refuses a restUrl that does not end with /rest/', () => {
    expectOnly(
      problemsOf([{ ...ENTRY, restUrl: 'https://example-a.bitrix24.com/api/' }]),
      'portals.json[0].restUrl',
      /^must end with \/rest\//,
    );
  });
  it('refuses an http:// restUrl unless allowHttp', () => {
    const entry = { ...ENTRY, restUrl: 'http://example-a.bitrix24.com/rest/' };
    expectOnly(problemsOf([entry]), 'portals.json[0].restUrl', HTTP_REFUSED);
    expect(problemsOf([entry], true)).toEqual([]);
  });
  it.each([
    ['ftp://example-a.bitrix24.com/rest/'],
    ['not a url'],
    ['https://u:p@example-a.bitrix24.com/rest/'],
    ['https://example-a.bitrix24.com/rest/?x=1'],
  ])('refuses the restUrl %j', (restUrl) => {
    expect(problemsOf([{ ...ENTRY, restUrl }])).toEqual([
      { where: 'portals.json[0].restUrl', message: expect.any(String) },
    ]);
  });
});

describe('portal entry: botId, memberId, rateLimit', () => {
  it.each([[0], [-1], [1.5]])('refuses botId %j (a positive integer)', (botId) => {
    expectOnly(problemsOf([{ ...ENTRY, botId }]), 'portals.json[0].botId', 'must be a positive integer');
  });
  it('requires botId', () => {
    const { botId: _, ...entry } = ENTRY;
    expectOnly(problemsOf([entry]), 'portals.json[0].botId', /^is required: the portal's chat bot id/);
  });
  it('refuses a botId given as a string', () => {
    expectOnly(problemsOf([{ ...ENTRY, botId: '62' }]), 'portals.json[0].botId', /^must be a number/);
  });
  it('refuses an empty memberId', () => {
    expectOnly(problemsOf([{ ...ENTRY, memberId: '' }]), 'portals.json[0].memberId', 'must not be empty');
  });
  it.each([
    [{ rate: 0, burst: 1 }, 'portals.json[0].rateLimit.rate', 'must be > 0 (requests per second)'],
    [{ rate: 2, burst: 0 }, 'portals.json[0].rateLimit.burst', 'must be an integer >= 1'],
    [{ rate: 2, burst: 1.5 }, 'portals.json[0].rateLimit.burst', 'must be an integer >= 1'],
    [{ burst: 1 }, 'portals.json[0].rateLimit.rate', 'is required: requests per second, a number > 0'],
    [
      { rate: 2, burst: 1, rps: 3 },
      'portals.json[0].rateLimit.rps',
      'unknown key "rps"; allowed keys: rate, burst',
    ],
  ])('refuses rateLimit %j', (rateLimit, where, message) => {
    expectOnly(problemsOf([{ ...ENTRY, rateLimit }]), where, message);
  });
  it('refuses an unknown key, listing the allowed keys', () => {
    expectOnly(
      problemsOf([{ ...ENTRY, bot_id: 1 }]),
      'portals.json[0].bot_id',
      'unknown key "bot_id"; allowed keys: domain, restUrl, botId, botCode, memberId, rateLimit, auth',
    );
  });
});

describe('portal entry: auth', () => {
  it('requires auth', () => {
    const { auth: _, ...entry } = ENTRY;
    expectOnly(problemsOf([entry]), 'portals.json[0].auth', /^is required: \{"type": "oauth"/);
  });
  it('refuses an unknown auth type, listing both', () => {
    expectOnly(
      problemsOf([{ ...ENTRY, auth: { type: 'basic' } }]),
      'portals.json[0].auth.type',
      'must be one of "oauth", "webhook", "source"',
    );
  });
  it.each([['accessToken'], ['refreshToken']] as const)('requires %s for OAuth', (key) => {
    const auth: Record<string, unknown> = { ...OAUTH };
    delete auth[key];
    expectOnly(problemsOf([{ ...ENTRY, auth }]), `portals.json[0].auth.${key}`, /^is required: the OAuth/);
  });
  it('refuses an empty access token', () => {
    expectOnly(
      problemsOf([{ ...ENTRY, auth: { ...OAUTH, accessToken: '' } }]),
      'portals.json[0].auth.accessToken',
      /^must not be empty/,
    );
  });
  it.each([['2030-01-01'], ['2030-01-01T00:00:00'], ['tomorrow'], [1893456000]])(
    'refuses expiresAt %j (ISO 8601 with zone)',
    (expiresAt) => {
      expectOnly(
        problemsOf([{ ...ENTRY, auth: { ...OAUTH, expiresAt } }]),
        'portals.json[0].auth.expiresAt',
        'must be an ISO 8601 date-time with a time zone, e.g. "2025-01-31T12:00:00Z"',
      );
    },
  );
  it('refuses an unknown key in auth, listing the allowed keys', () => {
    expectOnly(
      problemsOf([{ ...ENTRY, auth: { ...OAUTH, clientSecret: 'x' } }]),
      'portals.json[0].auth.clientSecret',
      'unknown key "clientSecret"; allowed keys: type, accessToken, refreshToken, expiresAt',
    );
  });
  it.each([
    [
      `https://example-a.bitrix24.com/rest/1/${HOOK_CODE}/profile.json`,
      'https://example-a.bitrix24.com/rest/1/***/***',
    ],
    [`https://example-a.bitrix24.com/rest/${HOOK_CODE}/`, 'https://example-a.bitrix24.com/rest/***/'],
    [`https://example-a.bitrix24.com/rest/0/${HOOK_CODE}/`, 'https://example-a.bitrix24.com/rest/0/***/'],
    [`https://example-a.bitrix24.com/rest/1/${HOOK_CODE}`, 'https://example-a.bitrix24.com/rest/1/***'],
  ])('refuses the webhook URL %s, showing it with the code hidden', (url, shown) => {
    const problems = problemsOf([{ ...ENTRY, auth: { ...WEBHOOK, url } }]);
    expectOnly(
      problems,
      'portals.json[0].auth.url',
      /^must have the form https:\/\/<portal>\/rest\/<user id>\/<webhook code>\/ \(a positive user id/,
    );
    expect(problems[0]?.message.endsWith(`; got ${shown}`)).toBe(true);
    expect(problems[0]?.message).not.toContain(HOOK_CODE);
  });
  it('refuses an http:// webhook URL unless allowHttp', () => {
    const entry = {
      ...ENTRY,
      auth: { ...WEBHOOK, url: `http://example-a.bitrix24.com/rest/1/${HOOK_CODE}/` },
    };
    expectOnly(problemsOf([entry]), 'portals.json[0].auth.url', HTTP_REFUSED);
  });
  it('refuses a webhook of another portal', () => {
    const entry = { ...ENTRY, auth: { ...WEBHOOK, url: `https://other.bitrix24.com/rest/1/${HOOK_CODE}/` } };
    expectOnly(
      problemsOf([entry]),
      'portals.json[0].auth.url',
      "points at other.bitrix24.com, but this portal's REST address is on example-a.bitrix24.com; the webhook must belong to the same portal (set restUrl for a simulator)",
    );
  });
  it('requires clientId for a webhook portal (Bitrix24 answers ACCESS_DENIED "Client ID not specified")', () => {
    const { clientId: _, ...auth } = WEBHOOK;
    const problems = problemsOf([
      { ...ENTRY, domain: 'example-b.bitrix24.com' },
      { ...ENTRY, auth },
    ]);
    expectOnly(
      problems,
      'portals.json[1].auth.clientId',
      'is required for a webhook portal: the CLIENT_ID this portal\'s bot was registered with through this webhook (imbot.register with CLIENT_ID); Bitrix24 refuses chat-app calls from a webhook without it (ACCESS_DENIED "Client ID not specified")',
    );
    expect(problems[0]?.message).not.toContain(HOOK_CODE);
  });
  it.each([
    ['', /^must not be empty: the CLIENT_ID/],
    [' local.1', 'must not start or end with spaces'],
    [42, /^must be a string: the CLIENT_ID/],
    ['x'.repeat(129), 'must be at most 128 characters'],
  ])('refuses the webhook clientId %j', (clientId, message) => {
    expectOnly(
      problemsOf([{ ...ENTRY, auth: { ...WEBHOOK, clientId } }]),
      'portals.json[0].auth.clientId',
      message,
    );
  });
  it('does not take clientId for an OAuth portal (the token names its application)', () => {
    expectOnly(
      problemsOf([{ ...ENTRY, auth: { ...OAUTH, clientId: 'local.1' } }]),
      'portals.json[0].auth.clientId',
      /^unknown key "clientId"/,
    );
  });
  it('refuses a webhook URL that is not a URL, without echoing it', () => {
    const problems = problemsOf([{ ...ENTRY, auth: { ...WEBHOOK, url: `rest/1/${HOOK_CODE}/` } }]);
    expectOnly(
      problems,
      'portals.json[0].auth.url',
      'must be the inbound webhook URL, https://<portal>/rest/<user id>/<webhook code>/',
    );
  });
});

describe('portals file', () => {
  it('refuses a file that is not an array or is empty', () => {
    expectOnly(problemsOf({} as unknown as unknown[]), 'portals.json', /^must be a JSON array of portals/);
    expectOnly(problemsOf([]), 'portals.json', 'must list at least one portal');
  });
  it('reports a duplicate domain with both indexes, comparing case-insensitively', () => {
    expectOnly(
      problemsOf([
        ENTRY,
        { ...ENTRY, domain: 'example-b.bitrix24.com' },
        { ...ENTRY, domain: 'Example-A.bitrix24.com' },
      ]),
      'portals.json[2].domain',
      'duplicate domain "example-a.bitrix24.com": [0] has it too; list each portal once',
    );
  });
  it('reports problems of every entry', () => {
    const problems = problemsOf([
      { ...ENTRY, botId: 0 },
      ENTRY,
      { domain: 'x.example.com', botId: 1, auth: { type: 'oauth' } },
    ]);
    expect(problems.map((p) => p.where)).toEqual([
      'portals.json[0].botId',
      'portals.json[2].auth.accessToken',
      'portals.json[2].auth.refreshToken',
      'portals.json[2].auth.expiresAt',
      'portals.json[1].domain',
    ]);
  });
});
