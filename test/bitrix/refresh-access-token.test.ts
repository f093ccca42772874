import { describe, expect, it } from 'vitest';
import {
  AmbiguousError,
  type BitrixError,
  InvalidClientError,
  InvalidGrantError,
  PermanentError,
  TransientError,
} from '../../src/bitrix/bitrix-error.js';
import { refreshAccessToken } from '../../src/bitrix/refresh-access-token.js';
import { expectRedactedFailure } from './expect-redacted-failure.js';
import { freePort, sendJson, type TestServer, testServers } from './start-test-server.js';

const CLIENT_SECRET = 'cl1ent-s3cret-Q';
const REFRESH_TOKEN = 'refr3sh-t0ken-A';
const NEW_ACCESS = 'n3w-access-B';
const NEW_REFRESH = 'n3w-refresh-C';
const SECRETS = [CLIENT_SECRET, REFRESH_TOKEN, NEW_ACCESS, NEW_REFRESH];
const NOW = 1_750_000_000_000;

const serve = testServers();

function refresh(server: TestServer | string, timeoutMs = 2000) {
  const oauthUrl = typeof server === 'string' ? server : `${server.url}/oauth/token/`;
  return refreshAccessToken(
    { oauthUrl, clientId: 'app.5f1e2d', clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN },
    { timeoutMs, allowHttp: true, allowHosts: ['127.0.0.1'], now: () => NOW },
  );
}

function failure(promise: Promise<unknown>): Promise<BitrixError> {
  return expectRedactedFailure(promise, SECRETS);
}

const GOOD_ANSWER = {
  access_token: NEW_ACCESS,
  refresh_token: NEW_REFRESH,
  expires: 1_750_003_600,
  expires_in: 3600,
  scope: 'imbot',
  domain: 'oauth.bitrix.info',
  server_endpoint: 'https://oauth.bitrix.info/rest/',
  status: 'L',
  client_endpoint: 'https://acme.bitrix24.com/rest/',
  member_id: 'a223c6b3710f85df22e9377d6c4f7553',
  user_id: 1,
};

describe('refreshAccessToken', () => {
  it('POSTs the form-encoded refresh grant and returns the new pair', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, GOOD_ANSWER));
    const tokens = await refresh(server);

    expect(tokens).toEqual({
      accessToken: NEW_ACCESS,
      refreshToken: NEW_REFRESH,
      expiresAt: NOW + 3_600_000,
      memberId: 'a223c6b3710f85df22e9377d6c4f7553',
      clientEndpoint: 'https://acme.bitrix24.com/rest/',
    });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/oauth/token/');
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.body).toBe(
      `grant_type=refresh_token&client_id=app.5f1e2d&client_secret=${CLIENT_SECRET}&refresh_token=${REFRESH_TOKEN}`,
    );
  });

  it('falls back to the absolute `expires` and omits optional fields that are absent', async () => {
    const server = await serve((_request, res) =>
      sendJson(res, 200, { access_token: NEW_ACCESS, refresh_token: NEW_REFRESH, expires: '1750003600' }),
    );
    expect(await refresh(server)).toEqual({
      accessToken: NEW_ACCESS,
      refreshToken: NEW_REFRESH,
      expiresAt: 1_750_003_600_000,
    });
  });

  it('turns invalid_grant into InvalidGrantError (errorClass auth)', async () => {
    const server = await serve((_request, res) =>
      sendJson(res, 400, { error: 'invalid_grant', error_description: `Invalid grant: ${REFRESH_TOKEN}` }),
    );
    const error = await failure(refresh(server));
    expect(error).toBeInstanceOf(InvalidGrantError);
    expect(error.name).toBe('InvalidGrantError');
    expect(error.errorClass).toBe('auth');
    expect(error.code).toBe('invalid_grant');
    expect(error.httpStatus).toBe(400);
    expect(error.method).toBeUndefined();
    expect(error.description).toBe('Invalid grant: ***');
  });

  it('turns invalid_client into InvalidClientError (errorClass permanent)', async () => {
    const server = await serve((_request, res) =>
      sendJson(res, 401, { error: 'invalid_client', error_description: 'Invalid client' }),
    );
    const error = await failure(refresh(server));
    expect(error).toBeInstanceOf(InvalidClientError);
    expect(error.name).toBe('InvalidClientError');
    expect(error.errorClass).toBe('permanent');
  });

  it('turns an answer missing fields into INVALID_RESPONSE naming the fields, not the values', async () => {
    const server = await serve((_request, res) =>
      sendJson(res, 200, { access_token: NEW_ACCESS, expires_in: 3600 }),
    );
    const error = await failure(refresh(server));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.description).toContain('refresh_token');
  });

  it('turns an answer without any expiry into INVALID_RESPONSE', async () => {
    const server = await serve((_request, res) =>
      sendJson(res, 200, { access_token: NEW_ACCESS, refresh_token: NEW_REFRESH }),
    );
    const error = await failure(refresh(server));
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.description).toContain('expires_in or expires is required');
  });

  it('turns an HTML 503 page into transient INVALID_RESPONSE and an unknown 500 JSON into HTTP_500', async () => {
    const server = await serve((request, res) => {
      if (request.url.startsWith('/html')) {
        res.writeHead(503, { 'content-type': 'text/html' });
        res.end('<html>Service Unavailable</html>');
      } else sendJson(res, 500, { oops: true });
    });
    const html = await failure(refresh(`${server.url}/html/`));
    expect(html).toBeInstanceOf(TransientError);
    expect(html.code).toBe('INVALID_RESPONSE');
    expect(html.httpStatus).toBe(503);
    const json = await failure(refresh(`${server.url}/json/`));
    expect(json).toBeInstanceOf(TransientError);
    expect(json.code).toBe('HTTP_500');
  });

  it('turns no answer in time into AmbiguousError TIMEOUT (the pair may have rotated)', async () => {
    const server = await serve(() => undefined);
    const error = await failure(refresh(server, 300));
    expect(error).toBeInstanceOf(AmbiguousError);
    expect(error.code).toBe('TIMEOUT');
  });

  it('turns a refused connection into TransientError NETWORK_ERROR', async () => {
    const error = await failure(refresh(`http://127.0.0.1:${await freePort()}/oauth/token/`));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.code).toBe('NETWORK_ERROR');
  });

  it('refuses an http:// OAuth server unless allowHttp, without sending the secret', async () => {
    const server = await serve((_request, res) => sendJson(res, 200, GOOD_ANSWER));
    const error = await failure(
      refreshAccessToken(
        {
          oauthUrl: `${server.url}/oauth/token/`,
          clientId: 'app',
          clientSecret: CLIENT_SECRET,
          refreshToken: REFRESH_TOKEN,
        },
        { timeoutMs: 1000, allowHttp: false },
      ),
    );
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.code).toBe('INSECURE_URL');
    expect(server.requests).toHaveLength(0);
  });
});
