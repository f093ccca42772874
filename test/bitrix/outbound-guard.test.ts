import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { type BitrixError, PermanentError } from '../../src/bitrix/bitrix-error.js';
import { createRestClient } from '../../src/bitrix/call-method.js';
import type { PortalTarget } from '../../src/bitrix/portal-target.js';
import { refreshAccessToken } from '../../src/bitrix/refresh-access-token.js';
import type { ResolveHost } from '../../src/outbound/create-guarded-lookup.js';
import { expectRedactedFailure } from './expect-redacted-failure.js';
import { sendJson, type TestServer, testServers } from './start-test-server.js';

// Connect-time half of the outbound rule (docs/security.md, "Where credentials are sent: the outbound rule"):
// names resolve through an injected resolver, so these tests own the "DNS" (no network); the servers are
// real, on 127.0.0.1.
const TOKEN = 'acc3ss-t0ken-XYZ';
const HOOK_CODE = 'h00kc0de987';
const CLIENT_SECRET = 'cl1ent-s3cret-Q';
const REFRESH_TOKEN = 'refr3sh-t0ken-A';
const SECRETS = [TOKEN, HOOK_CODE, CLIENT_SECRET, REFRESH_TOKEN];

const startServer = testServers();
const serve = () => startServer((_request, res) => sendJson(res, 200, { result: true }));

/** A resolver for names this test controls; records every name it was asked for. */
function fakeDns(table: Record<string, string[]>): ResolveHost & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (host: string): Promise<LookupAddress[]> => {
    asked.push(host);
    return (table[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

const portOf = (server: TestServer) => new URL(server.url).port;

function failure(promise: Promise<unknown>): Promise<BitrixError> {
  return expectRedactedFailure(promise, SECRETS);
}

describe('outbound guard at connect time (DNS rebinding)', () => {
  it('refuses a name that resolves to a reserved address, sends nothing, and the error is permanent', async () => {
    const server = await serve();
    const dns = fakeDns({ 'acme.rebind.test': ['127.0.0.1'] });
    const rest = createRestClient({ timeoutMs: 2000, allowHttp: true, resolveHost: dns });
    const target: PortalTarget = {
      kind: 'oauth',
      restUrl: `http://acme.rebind.test:${portOf(server)}/rest/`,
      accessToken: TOKEN,
    };
    const error = await failure(rest.call(target, 'app.info', {}));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.code).toBe('OUTBOUND_REFUSED');
    expect(error.description).toContain('acme.rebind.test resolves to 127.0.0.1, a loopback (127/8) address');
    expect(dns.asked).toEqual(['acme.rebind.test']);
    expect(server.connections()).toBe(0);
  });

  it('refuses when ANY address of the name is reserved (public + link-local)', async () => {
    const server = await serve();
    const dns = fakeDns({ 'mixed.rebind.test': ['93.184.216.34', '169.254.169.254'] });
    const rest = createRestClient({ timeoutMs: 2000, allowHttp: true, resolveHost: dns });
    const error = await failure(
      rest.call(
        { kind: 'webhook', webhookUrl: `http://mixed.rebind.test:${portOf(server)}/rest/1/${HOOK_CODE}/` },
        'app.info',
        {},
      ),
    );
    expect(error.code).toBe('OUTBOUND_REFUSED');
    expect(error.description).toContain('169.254.169.254, a link-local');
    expect(server.connections()).toBe(0);
  });

  it('connects to the checked address when it is allowed (CIDR), keeping the Host name', async () => {
    const server = await serve();
    const dns = fakeDns({ 'lab.rebind.test': ['127.0.0.1'] });
    const rest = createRestClient({
      timeoutMs: 2000,
      allowHttp: true,
      allowHosts: ['127.0.0.0/8'],
      resolveHost: dns,
    });
    const target: PortalTarget = {
      kind: 'oauth',
      restUrl: `http://lab.rebind.test:${portOf(server)}/rest/`,
      accessToken: TOKEN,
    };
    expect((await rest.call(target, 'app.info', {})).result).toBe(true);
    expect(server.requests[0]?.headers.host).toBe(`lab.rebind.test:${portOf(server)}`);
    expect(dns.asked).toEqual(['lab.rebind.test']);
  });

  it('lets a host listed by name connect wherever it resolves', async () => {
    const server = await serve();
    const dns = fakeDns({ 'sim.rebind.test': ['127.0.0.1'] });
    const rest = createRestClient({
      timeoutMs: 2000,
      allowHttp: true,
      allowHosts: ['sim.rebind.test'],
      resolveHost: dns,
    });
    const target: PortalTarget = {
      kind: 'oauth',
      restUrl: `http://sim.rebind.test:${portOf(server)}/rest/`,
      accessToken: TOKEN,
    };
    expect((await rest.call(target, 'app.info', {})).result).toBe(true);
  });

  it('refuses an IP-literal target of a reserved range before any connection (no lookup happens)', async () => {
    const server = await serve();
    const dns = fakeDns({});
    const rest = createRestClient({ timeoutMs: 2000, allowHttp: true, resolveHost: dns });
    const error = await failure(
      rest.call({ kind: 'webhook', webhookUrl: `${server.url}/rest/1/${HOOK_CODE}/` }, 'app.info', {}),
    );
    expect(error.code).toBe('OUTBOUND_REFUSED');
    expect(error.description).toContain(
      `refusing to send to ${server.url}: its host 127.0.0.1 is a loopback`,
    );
    expect(server.connections()).toBe(0);
    expect(dns.asked).toEqual([]);
  });

  it('refuses an OAuth token endpoint whose name resolves to a reserved address, without the secret', async () => {
    const server = await serve();
    const dns = fakeDns({ 'oauth.rebind.test': ['10.0.0.7'] });
    const error = await failure(
      refreshAccessToken(
        {
          oauthUrl: `http://oauth.rebind.test:${portOf(server)}/oauth/token/`,
          clientId: 'app.1',
          clientSecret: CLIENT_SECRET,
          refreshToken: REFRESH_TOKEN,
        },
        { timeoutMs: 2000, allowHttp: true, resolveHost: dns },
      ),
    );
    expect(error.code).toBe('OUTBOUND_REFUSED');
    expect(error.description).toContain('oauth.rebind.test resolves to 10.0.0.7, a private (10/8) address');
    expect(server.connections()).toBe(0);
  });

  it('refuses an OAuth token endpoint on a reserved IP literal unless it is listed', async () => {
    const server = await serve();
    const input = {
      oauthUrl: `${server.url}/oauth/token/`,
      clientId: 'app.1',
      clientSecret: CLIENT_SECRET,
      refreshToken: REFRESH_TOKEN,
    };
    const error = await failure(refreshAccessToken(input, { timeoutMs: 2000, allowHttp: true }));
    expect(error.code).toBe('OUTBOUND_REFUSED');
    expect(server.connections()).toBe(0);
    // Listed: the request goes out (the test server's answer is not a token answer, which is beside the point).
    await failure(refreshAccessToken(input, { timeoutMs: 2000, allowHttp: true, allowHosts: ['127.0.0.1'] }));
    expect(server.requests).toHaveLength(1);
  });
});
