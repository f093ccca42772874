import { describe, expect, it } from 'vitest';
import { InvalidGrantError } from '../../src/bitrix/bitrix-error.js';
import { REFRESH_TOKEN_LIFETIME_MS } from '../../src/store/credential-index.js';
import { REFRESH_TOKEN_REUSED_REASON } from '../../src/tokens/refused-refresh-reason.js';
import { captureLogger } from '../api/support/capture-logger.js';
import { installLeakCheck } from '../support/redis.js';
import { CLIENT_ID, CLIENT_SECRET, type TokenEnv, useTokenEnvs } from './support/token-env.js';

installLeakCheck();
const startTokenEnv = useTokenEnvs();

const DOMAIN = 'shared.sim.test';

/** Another holder of the same application's tokens (its backend) refreshes the stored pair behind our back. */
async function spendBehindOurBack(env: TokenEnv): Promise<string> {
  const stored = await env.store.get(DOMAIN);
  if (stored?.auth.type !== 'oauth') throw new Error('expected a stored OAuth portal');
  const answer = await fetch(env.sim.oauthUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      refresh_token: stored.auth.refreshToken,
    }).toString(),
  });
  expect(answer.status).toBe(200);
  return stored.auth.accessToken;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('a refresh token spent by another holder', () => {
  it('parks the portal with REFRESH_TOKEN_REUSED, the reason and invalid_grant as the cause, and logs it without a token', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN }]);
    const { logger, lines } = captureLogger();
    const manager = env.manager({ logger });
    const stored = await env.store.get(DOMAIN);
    const spent = await spendBehindOurBack(env);

    const error = await rejectionOf(manager.refreshAfterRejected(DOMAIN, spent));

    expect(error).toMatchObject({
      name: 'ReauthRequiredError',
      domain: DOMAIN,
      code: 'REFRESH_TOKEN_REUSED',
    });
    expect((error as Error).message).toContain(REFRESH_TOKEN_REUSED_REASON);
    expect((error as Error).cause).toBeInstanceOf(InvalidGrantError);
    expect(((error as Error).cause as InvalidGrantError).code).toBe('invalid_grant');
    const parked = await env.store.get(DOMAIN);
    expect(parked?.state).toBe('needs_reauth');
    expect(parked?.stateReason).toMatch(/^REFRESH_TOKEN_REUSED: the refresh token was already used — /);
    expect(parked?.stateReason).toContain('invalid_grant');
    // A later caller reads the code back from the stored reason.
    expect(await rejectionOf(manager.targetFor(DOMAIN))).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });

    const logged = lines()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line['msg'] === 'refresh refused: portal needs re-authorisation');
    expect(logged).toMatchObject({
      domain: DOMAIN,
      code: 'REFRESH_TOKEN_REUSED',
      bitrixCode: 'invalid_grant',
      reason: expect.stringContaining(REFRESH_TOKEN_REUSED_REASON),
    });
    const view = env.sim.portal(DOMAIN);
    const tokens = [
      spent,
      stored?.auth.type === 'oauth' ? stored.auth.refreshToken : '',
      view.currentAccessToken ?? '',
      view.currentRefreshToken ?? '',
      CLIENT_SECRET,
    ];
    for (const token of tokens) expect(lines()).not.toContain(token);
  });

  it('keeps invalid_grant when the stored pair is older than a refresh token lives', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN }]);
    // As the credential index would hold a pair nobody refreshed for 181 days.
    await env.redis.zadd(
      env.keys.credentialsByRefresh,
      Date.now() - REFRESH_TOKEN_LIFETIME_MS - 86_400_000,
      DOMAIN,
    );
    const spent = await spendBehindOurBack(env);

    const error = await rejectionOf(env.manager().refreshAfterRejected(DOMAIN, spent));

    expect(error).toMatchObject({ name: 'ReauthRequiredError', code: 'invalid_grant' });
    expect((await env.store.get(DOMAIN))?.stateReason).toMatch(/^invalid_grant: /);
  });
});
