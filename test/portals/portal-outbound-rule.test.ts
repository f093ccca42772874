import { describe, expect, it } from 'vitest';
import { formatZodIssues } from '../../src/input/format-zod-issues.js';
import type { InputProblem } from '../../src/input/input-error.js';
import { portalsFileSchema } from '../../src/portals/portal-entry-schema.js';

const OAUTH = {
  type: 'oauth',
  accessToken: 'ACCESS-TOKEN-VALUE-1',
  refreshToken: 'REFRESH-TOKEN-VALUE-1',
  expiresAt: '2030-01-01T00:00:00Z',
};
const HOOK_CODE = 'hookcode0123456789';

function problemsOf(entry: Record<string, unknown>, allowHosts: string[] = []): InputProblem[] {
  const result = portalsFileSchema({ allowHttp: false, allowHosts }).safeParse([entry]);
  return result.success ? [] : formatZodIssues(result.error, 'portals.json');
}

const withRestUrl = (restUrl: string, domain = 'acme.bitrix24.com') => ({
  domain,
  restUrl,
  botId: 1,
  auth: OAUTH,
});

describe('portals: outbound rule at input (docs/security.md, the outbound rule)', () => {
  it.each([
    ['https://127.0.0.1/rest/', 'loopback'],
    ['https://127.5.6.7:8443/rest/', 'loopback'],
    ['https://[::1]/rest/', 'loopback'],
    ['https://10.1.2.3/rest/', 'private (10/8)'],
    ['https://172.16.0.1/rest/', 'private (172.16/12)'],
    ['https://172.31.255.254/rest/', 'private (172.16/12)'],
    ['https://192.168.1.1/rest/', 'private (192.168/16)'],
    ['https://169.254.169.254/rest/', 'link-local'],
    ['https://[fe80::1]/rest/', 'link-local (fe80::/10)'],
    ['https://100.64.0.1/rest/', 'carrier-grade NAT'],
    ['https://100.127.255.255/rest/', 'carrier-grade NAT'],
    ['https://[fc00::1]/rest/', 'unique-local'],
    ['https://[fd12:3456::1]/rest/', 'unique-local'],
    ['https://0.0.0.0/rest/', '0/8'],
    ['https://0.1.2.3/rest/', '0/8'],
    ['https://224.0.0.1/rest/', 'multicast'],
    ['https://239.255.255.250/rest/', 'multicast'],
    ['https://[ff02::1]/rest/', 'multicast'],
    ['https://255.255.255.255/rest/', 'broadcast'],
    ['https://[::ffff:127.0.0.1]/rest/', 'IPv4-mapped loopback'],
    ['https://[::ffff:7f00:1]/rest/', 'IPv4-mapped loopback'],
    ['https://[::ffff:169.254.169.254]/rest/', 'IPv4-mapped link-local'],
    ['https://[::ffff:10.0.0.1]/rest/', 'IPv4-mapped private'],
    ['https://[::]/rest/', 'unspecified'],
    // Odd IPv4 spellings: the WHATWG URL parser turns them into dotted quads before the check.
    ['https://0x7f.1/rest/', 'loopback'],
    ['https://2130706433/rest/', 'loopback'],
    ['https://127.1/rest/', 'loopback'],
    ['https://0177.0.0.1/rest/', 'loopback'],
    ['https://0xa9fea9fe/rest/', 'link-local'],
    ['https://localhost:6401/rest/', 'loopback name'],
    ['https://localhost.:6401/rest/', 'loopback name'],
    ['https://a.localhost./rest/', 'loopback name'],
  ])('refuses restUrl %s (%s), naming the entry and the URL', (restUrl, kind) => {
    const problems = problemsOf(withRestUrl(restUrl));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.where).toBe('portals.json[0].restUrl');
    expect(problems[0]?.message).toContain(kind);
    expect(problems[0]?.message).toMatch(/^https:\/\/\S+ is refused: its host \S+ is a /);
    expect(problems[0]?.message).toContain('ROLLOUT_ALLOW_HOSTS');
  });

  it('shows the normalised address for an odd spelling', () => {
    expect(problemsOf(withRestUrl('https://0x7f.1/rest/'))[0]?.message).toContain(
      'its host 127.0.0.1 is a loopback',
    );
  });

  it('refuses a domain that is itself a reserved address (the default restUrl)', () => {
    const problems = problemsOf({ domain: '127.0.0.1', botId: 1, auth: OAUTH });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.where).toBe('portals.json[0].domain');
    expect(problems[0]?.message).toContain('https://127.0.0.1/rest/ is refused');
    expect(problemsOf({ domain: '2130706433', botId: 1, auth: OAUTH })[0]?.message).toContain('loopback');
  });

  it("refuses a restUrl on another host than the portal's domain", () => {
    const problems = problemsOf(withRestUrl('https://other-company.example/rest/'));
    expect(problems).toEqual([
      {
        where: 'portals.json[0].restUrl',
        message: expect.stringContaining(
          "https://other-company.example/rest/ is refused: its host other-company.example is not this portal's domain acme.bitrix24.com",
        ),
      },
    ]);
    expect(problemsOf(withRestUrl('https://8.8.8.8/rest/'))[0]?.message).toContain('is not this portal');
    expect(problemsOf(withRestUrl('https://evil.acme.bitrix24.com/rest/'))).toHaveLength(1);
  });

  it('accepts an on-premise portal whose restUrl is on its own domain (any path, any port)', () => {
    expect(problemsOf(withRestUrl('https://crm.example.com/rest/', 'crm.example.com'))).toEqual([]);
    expect(problemsOf(withRestUrl('https://CRM.Example.com:8443/b24/rest/', 'crm.example.com'))).toEqual([]);
    expect(problemsOf({ domain: 'crm.example.com', botId: 1, auth: OAUTH })).toEqual([]);
  });

  it('exempts a host listed in allowHosts from both rules, by name, address or CIDR', () => {
    expect(problemsOf(withRestUrl('https://127.0.0.1:4567/rest/'), ['127.0.0.1'])).toEqual([]);
    expect(problemsOf(withRestUrl('https://10.1.2.3/rest/'), ['10.0.0.0/8'])).toEqual([]);
    expect(problemsOf(withRestUrl('https://b24.internal/rest/'), ['b24.internal'])).toEqual([]);
    expect(problemsOf(withRestUrl('https://[::1]/rest/'), ['::1'])).toEqual([]);
    // Listing one host exempts only that one.
    expect(problemsOf(withRestUrl('https://127.0.0.2/rest/'), ['127.0.0.1'])).toHaveLength(1);
    expect(problemsOf(withRestUrl('https://10.1.2.3/rest/'), ['10.0.0.0/16'])).toHaveLength(1);
  });

  it('refuses a webhook URL on a reserved address without showing its code', () => {
    const entry = {
      domain: 'acme.bitrix24.com',
      restUrl: 'https://169.254.169.254/rest/',
      botId: 1,
      auth: { type: 'webhook', url: `https://169.254.169.254/rest/1/${HOOK_CODE}/`, clientId: 'local.1' },
    };
    const problems = problemsOf(entry);
    expect(problems.map((p) => p.where)).toEqual(['portals.json[0].restUrl', 'portals.json[0].auth.url']);
    expect(problems[1]?.message).toContain('https://169.254.169.254/rest/1/***/ is refused');
    expect(problems[1]?.message).toContain('link-local');
    expect(JSON.stringify(problems)).not.toContain(HOOK_CODE);
    expect(JSON.stringify(problems)).not.toContain('ACCESS-TOKEN');
    expect(problemsOf(entry, ['169.254.169.254'])).toEqual([]);
  });

  it('accepts a public portal and its webhook', () => {
    expect(
      problemsOf({
        domain: 'acme.bitrix24.com',
        botId: 1,
        auth: { type: 'webhook', url: `https://acme.bitrix24.com/rest/1/${HOOK_CODE}/`, clientId: 'local.1' },
      }),
    ).toEqual([]);
  });
});
