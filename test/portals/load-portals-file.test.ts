import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src/input/input-error.js';
import { loadPortalsFile } from '../../src/portals/load-portals-file.js';
import { redactWebhookUrl } from '../../src/portals/redact-webhook-url.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const OPTS = { allowHttp: false, maxFileBytes: 100_000 };
const SECRETS = ['SECRET-ACCESS-aaaa1111', 'SECRET-REFRESH-bbbb2222', 'SECRETHOOKcccc3333'];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'load-portals-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

function expectNoSecrets(error: InputError): void {
  const texts = [
    error.message,
    String(error.cause ?? ''),
    ...error.problems.flatMap((p) => [p.where, p.message]),
  ];
  for (const text of texts) for (const secret of SECRETS) expect(text).not.toContain(secret);
}

describe('loadPortalsFile', () => {
  it('loads examples/portals.json cleanly', async () => {
    const portals = await loadPortalsFile(join(EXAMPLES, 'portals.json'), OPTS);
    expect(portals.map((p) => [p.domain, p.auth.type, p.restUrl])).toEqual([
      ['example-alpha.bitrix24.com', 'oauth', 'https://example-alpha.bitrix24.com/rest/'],
      ['example-beta.bitrix24.com', 'oauth', 'https://example-beta.bitrix24.com/rest/'],
      ['example-gamma.bitrix24.com', 'webhook', 'https://example-gamma.bitrix24.com/rest/'],
    ]);
  });

  it('refuses the whole file with every problem, and never shows a token or webhook code', async () => {
    const path = join(dir, 'portals.json');
    const entries = [
      {
        domain: 'https://a.bitrix24.com',
        botId: 1,
        auth: { type: 'oauth', accessToken: SECRETS[0], refreshToken: SECRETS[1], expiresAt: SECRETS[0] },
      },
      {
        domain: 'b.bitrix24.com',
        restUrl: 'http://b.bitrix24.com/rest/',
        botId: 2,
        auth: {
          type: 'webhook',
          url: `http://b.bitrix24.com/rest/1/${SECRETS[2]}/im.bot.list.json?auth=${SECRETS[0]}`,
          clientId: 'b-client',
        },
      },
      {
        domain: 'c.bitrix24.com',
        botId: 3,
        auth: {
          type: 'webhook',
          url: `https://c.bitrix24.com/rest/1/${SECRETS[2]}/crm.json`,
          clientId: 'c-client',
        },
      },
      { domain: 'b.bitrix24.com', botId: 4, auth: { type: 'token', token: SECRETS[0] } },
    ];
    await writeFile(path, JSON.stringify(entries));
    const error = await refusal(loadPortalsFile(path, OPTS));
    expect(error.problems.map((p) => p.where)).toEqual([
      'portals.json[0].domain',
      'portals.json[0].auth.expiresAt',
      'portals.json[1].restUrl',
      'portals.json[1].auth.url',
      'portals.json[2].auth.url',
      'portals.json[3].auth.type',
      'portals.json[3].domain',
    ]);
    expect(error.message.split('\n')[0]).toBe('portals.json: 7 problems, nothing was queued');
    expect(error.problems[4]?.message.endsWith('; got https://c.bitrix24.com/rest/1/***/***')).toBe(true);
    expectNoSecrets(error);
  });

  it('accepts http:// URLs only with allowHttp', async () => {
    const path = join(dir, 'sim.json');
    await writeFile(
      path,
      JSON.stringify([
        {
          domain: 'p1.sim.test',
          restUrl: 'http://127.0.0.1:9/portal/p1.sim.test/rest/',
          botId: 1,
          auth: {
            type: 'webhook',
            url: 'http://127.0.0.1:9/portal/p1.sim.test/rest/1/abc/',
            clientId: 'sim-client',
          },
        },
      ]),
    );
    const error = await refusal(loadPortalsFile(path, OPTS));
    expect(error.problems.map((p) => p.message)).toEqual([
      'http:// is refused; use https:// or set ROLLOUT_ALLOW_HTTP=1 for a local simulator',
      'http:// is refused; use https:// or set ROLLOUT_ALLOW_HTTP=1 for a local simulator',
    ]);
    const portals = await loadPortalsFile(path, { ...OPTS, allowHttp: true, allowHosts: ['127.0.0.1'] });
    expect(portals[0]?.restUrl).toBe('http://127.0.0.1:9/portal/p1.sim.test/rest/');
  });

  it('refuses duplicate keys without showing their values', async () => {
    const path = join(dir, 'portals.json');
    await writeFile(
      path,
      `[{"domain": "a.bitrix24.com", "botId": 1, "auth": {"type": "oauth", "accessToken": "${SECRETS[0]}", "accessToken": "${SECRETS[1]}", "refreshToken": "x", "expiresAt": "2030-01-01T00:00:00Z"}}]`,
    );
    const error = await refusal(loadPortalsFile(path, OPTS));
    expect(error.problems).toEqual([
      {
        where: 'portals.json[0].auth.accessToken',
        message: expect.stringMatching(/^duplicate key "accessToken"/),
      },
    ]);
    expectNoSecrets(error);
  });

  it('refuses invalid JSON next to a token without quoting it', async () => {
    const path = join(dir, 'portals.json');
    await writeFile(
      path,
      `[{"domain": "a.bitrix24.com", "auth": {"accessToken": "${SECRETS[0]}" "refreshToken": "${SECRETS[1]}"}}]`,
    );
    const error = await refusal(loadPortalsFile(path, OPTS));
    expect(error.problems[0]?.message).toMatch(
      /^invalid JSON at line 1, column \d+: unexpected character '"'; expected "," or "}"/,
    );
    expectNoSecrets(error);
  });

  it('refuses a file over maxFileBytes', async () => {
    const path = join(dir, 'portals.json');
    await writeFile(path, ' '.repeat(2000));
    const error = await refusal(loadPortalsFile(path, { ...OPTS, maxFileBytes: 1000 }));
    expect(error.problems).toEqual([
      { where: 'portals.json', message: 'file is 2000 bytes; the limit is 1000 bytes' },
    ]);
  });
});

describe('redactWebhookUrl', () => {
  it.each([
    ['https://x.bitrix24.com/rest/1/abc123def/', 'https://x.bitrix24.com/rest/1/***/'],
    ['https://x.bitrix24.com/rest/12/abc/profile.json?auth=t#f', 'https://x.bitrix24.com/rest/12/***/***'],
    ['http://127.0.0.1:8080/portal/p.sim.test/rest/1/abc/', 'http://127.0.0.1:8080/***/***/rest/1/***/'],
    ['https://user:pw@x.bitrix24.com/rest/1/abc/', 'https://x.bitrix24.com/rest/1/***/'],
    ['https://x.bitrix24.com/rest/123456/', 'https://x.bitrix24.com/rest/123456/'],
    ['https://x.bitrix24.com/rest/abc/123/', 'https://x.bitrix24.com/rest/***/***/'],
    ['not a url abc', '(not a valid URL)'],
  ])('shows %s as %s', (url, shown) => {
    expect(redactWebhookUrl(url)).toBe(shown);
  });
});
