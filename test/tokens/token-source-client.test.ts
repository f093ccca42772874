import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTokenSourceClient, sourceStaleHash } from '../../src/tokens/token-source-client.js';
import { TOKEN_SOURCE_CODES, TokenSourceError } from '../../src/tokens/token-source-error.js';
import { useOwnedResources } from '../support/own-resources.js';
import { installLeakCheck } from '../support/redis.js';
import { type SourceReply, startTokenSource } from '../support/start-token-source.js';
import { waitFor } from '../support/wait-for.js';

installLeakCheck();
const own = useOwnedResources();

const SECRET = 'source-secret-0123456789';
const DOMAIN = 'acme.example.com';
const NOW = Date.parse('2026-12-05T12:00:00Z');

async function clientFor(reply: (r: { domain: string | null }) => SourceReply, timeoutMs = 2_000) {
  const source = await startTokenSource(own, reply);
  const client = createTokenSourceClient({ url: source.url, secret: SECRET, timeoutMs, now: () => NOW });
  return { source, client };
}

async function failureOf(promise: Promise<unknown>): Promise<TokenSourceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenSourceError);
  const failure = error as TokenSourceError;
  // Nothing secret in what is logged or shown.
  expect(failure.message).not.toContain(SECRET);
  return failure;
}

describe('token source client: requests', () => {
  it('asks GET <url>?domain=<domain> with the bearer secret and Accept: application/json', async () => {
    const { source, client } = await clientFor(() => ({
      status: 200,
      body: { access_token: 'tok-1', expires_in: 3600 },
    }));
    const token = await client.fetchToken(DOMAIN);
    expect(token).toEqual({
      accessToken: 'tok-1',
      expiresAt: NOW + 3_600_000,
      clientEndpoint: undefined,
      memberId: undefined,
    });
    expect(source.requests).toHaveLength(1);
    expect(source.requests[0]).toMatchObject({
      url: `/b24/tokens?domain=${DOMAIN}`,
      authorization: `Bearer ${SECRET}`,
      accept: 'application/json',
    });
  });

  it('asks with force_refresh=1 and the SHA-256 hex of the refused token after a refusal', async () => {
    const { source, client } = await clientFor(() => ({
      status: 200,
      body: { access_token: 'tok-2', expires_in: 3600 },
    }));
    const stale = sourceStaleHash('tok-1');
    expect(stale).toBe(createHash('sha256').update('tok-1').digest('hex'));
    await client.fetchToken(DOMAIN, { staleHash: stale });
    expect(source.requests[0]?.url).toBe(`/b24/tokens?domain=${DOMAIN}&force_refresh=1&stale=${stale}`);
  });

  it('reads the expiry from expires_in, expires or expires_at, and the optional member_id and client_endpoint', async () => {
    const bodies = [
      { access_token: 't', expires_in: '1800' },
      { access_token: 't', expires: NOW / 1000 + 1800 },
      { access_token: 't', expires_at: new Date(NOW + 1_800_000).toISOString() },
    ];
    let at = 0;
    const { client } = await clientFor(() => ({
      status: 200,
      body: { ...bodies[at++ % 3], member_id: 'm-1', client_endpoint: `https://${DOMAIN}/rest/` },
    }));
    for (let i = 0; i < 3; i++) {
      expect(await client.fetchToken(DOMAIN)).toEqual({
        accessToken: 't',
        expiresAt: NOW + 1_800_000,
        memberId: 'm-1',
        clientEndpoint: `https://${DOMAIN}/rest/`,
      });
    }
  });

  it('takes the earliest expiry when an answer gives several (Bitrix24 OAuth answers carry expires_in and expires)', async () => {
    const { client } = await clientFor(() => ({
      status: 200,
      body: {
        access_token: 't',
        expires_in: 3600,
        expires: NOW / 1000 + 1800,
        expires_at: new Date(NOW + 2_700_000).toISOString(),
      },
    }));
    expect((await client.fetchToken(DOMAIN)).expiresAt).toBe(NOW + 1_800_000);
  });
});

describe('token source client: each bad answer has one clear outcome', () => {
  const cases: { name: string; reply: SourceReply; failure: TokenSourceError['failure']; says: string }[] = [
    { name: '404', reply: { status: 404 }, failure: 'not_known', says: 'does not know this portal' },
    { name: '401', reply: { status: 401 }, failure: 'refused', says: 'ROLLOUT_TOKEN_SOURCE_SECRET' },
    { name: '403', reply: { status: 403 }, failure: 'refused', says: 'HTTP 403' },
    { name: '500', reply: { status: 500 }, failure: 'unavailable', says: 'HTTP 500' },
    { name: '503', reply: { status: 503 }, failure: 'unavailable', says: 'HTTP 503' },
    { name: 'a redirect', reply: { status: 302 }, failure: 'unavailable', says: 'HTTP 302' },
    {
      name: 'a body that is not JSON',
      reply: { status: 200, body: '<html>oops</html>' },
      failure: 'unavailable',
      says: 'not JSON',
    },
    {
      name: 'no access_token',
      reply: { status: 200, body: { expires_in: 3600 } },
      failure: 'unavailable',
      says: 'access_token',
    },
    {
      name: 'a missing expiry',
      reply: { status: 200, body: { access_token: 'tok' } },
      failure: 'unavailable',
      says: 'the expiry is required',
    },
    {
      name: 'a past expiry',
      reply: { status: 200, body: { access_token: 'tok', expires: NOW / 1000 - 60 } },
      failure: 'unavailable',
      says: 'not in the future',
    },
    {
      name: 'a bad client_endpoint',
      reply: { status: 200, body: { access_token: 'tok', expires_in: 60, client_endpoint: 'nope' } },
      failure: 'unavailable',
      says: 'client_endpoint',
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.failure}`, async () => {
      const { client } = await clientFor(() => c.reply);
      const error = await failureOf(client.fetchToken(DOMAIN));
      expect(error.failure).toBe(c.failure);
      expect(error.code).toBe(TOKEN_SOURCE_CODES[c.failure]);
      expect(error.message).toContain(DOMAIN);
      expect(error.message).toContain(c.says);
    });
  }

  it('a malformed answer never quotes the token it carried', async () => {
    const { client } = await clientFor(() => ({
      status: 200,
      body: { access_token: 'the-secret-token-value', expires_in: 'soon' },
    }));
    const error = await failureOf(client.fetchToken(DOMAIN));
    expect(error.failure).toBe('unavailable');
    expect(error.message).not.toContain('the-secret-token-value');
  });

  it('a source that does not answer in time: unavailable, named by the timeout', async () => {
    const { client } = await clientFor(() => ({ hang: true }), 200);
    const error = await failureOf(client.fetchToken(DOMAIN));
    expect(error.failure).toBe('unavailable');
    expect(error.message).toContain('no answer within 200 ms');
  });

  it('a source nobody listens on: unavailable', async () => {
    const { source, client } = await clientFor(() => ({ status: 200 }));
    await source.close();
    const error = await failureOf(client.fetchToken(DOMAIN));
    expect(error.failure).toBe('unavailable');
    expect(error.message).toContain('could not connect');
  });

  it('a 10 MB body: unavailable, and the client stops reading past the cap', async () => {
    const tenMb = 10 * 1024 * 1024;
    const { source, client } = await clientFor(() => ({ huge: tenMb }));
    const error = await failureOf(client.fetchToken(DOMAIN));
    expect(error.failure).toBe('unavailable');
    expect(error.message).toContain('larger than 65536 bytes');
    // The client went away: the server could never write the whole answer.
    await waitFor(() => source.huge[0]?.closed === true, { message: 'the huge answer is cut off' });
    expect(source.huge[0]?.finished).toBe(false);
  });
});
