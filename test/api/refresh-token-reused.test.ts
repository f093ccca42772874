import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { REFRESH_TOKEN_REUSED_REASON } from '../../src/tokens/refused-refresh-reason.js';
import { type Harness, jsApp, startHarness } from '../pipeline/support/pipeline-harness.js';
import { useOwnedResources } from '../support/own-resources.js';
import { installLeakCheck, uniquePrefix } from '../support/redis.js';
import { runCli } from '../support/run-cli.js';

installLeakCheck();
const own = useOwnedResources();

const SHARED = 'shared.sim.test';

/** The application's own backend refreshes the pair we imported, as Bitrix24's CRest does on expired_token. */
async function backendRefreshes(h: Harness): Promise<void> {
  const stored = await h.runtime.portals.get(SHARED);
  if (stored?.auth.type !== 'oauth') throw new Error('expected a stored OAuth portal');
  const answer = await fetch(h.sim.oauthUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: h.config.b24.clientId ?? '',
      client_secret: h.config.b24.clientSecret ?? '',
      refresh_token: stored.auth.refreshToken,
    }).toString(),
  });
  expect(answer.status).toBe(200);
}

describe('another holder refreshed our tokens (issue 18: the old failure, now named)', () => {
  it('parks the pair with REFRESH_TOKEN_REUSED, shown by failed, /api/attention and /api/credentials', async () => {
    const h = own(
      uniquePrefix('reused'),
      await startHarness({ portals: [{ domain: SHARED, accessTokenExpired: true }] }),
      (harness) => harness.close(),
    );
    const pairs = [{ domain: SHARED, code: 'echo' }];
    await h.rollout([jsApp('echo')]);
    await backendRefreshes(h);
    h.startWorker();

    await h.settle(pairs);

    expect(h.sim.stats().invalidGrants).toBe(1);
    const result = await h.runtime.results.get(SHARED, 'echo');
    expect(result).toMatchObject({
      state: 'needs_reauth',
      lastError: {
        code: 'REFRESH_TOKEN_REUSED',
        message: expect.stringContaining(REFRESH_TOKEN_REUSED_REASON),
      },
    });

    const api = own(
      uniquePrefix('reused-api'),
      await buildApi(h.runtime, { host: '127.0.0.1', token: undefined }),
      (app) => app.close(),
    );
    const attention = await api.inject({ method: 'GET', url: '/api/attention' });
    expect(attention.statusCode).toBe(200);
    expect(attention.body).toContain('REFRESH_TOKEN_REUSED');
    expect(attention.body).toContain(REFRESH_TOKEN_REUSED_REASON);
    const credentials = await api.inject({ method: 'GET', url: '/api/credentials' });
    expect(credentials.json()).toMatchObject({
      portals: [
        {
          domain: SHARED,
          state: 'needs_reauth',
          reason: expect.stringMatching(
            /^REFRESH_TOKEN_REUSED: the refresh token was already used — .*invalid_grant/,
          ),
        },
      ],
    });

    const config = join(mkdtempSync(join(tmpdir(), 'reused-cli-')), 'config.json');
    writeFileSync(config, JSON.stringify(h.config));
    const [text, json] = await Promise.all([
      runCli(['failed'], { ROLLOUT_CONFIG: config }, 30_000),
      runCli(['failed', '--json'], { ROLLOUT_CONFIG: config }, 30_000),
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/shared\.sim\.test\s+echo\s+needs_reauth\s+-\s+0\s+REFRESH_TOKEN_REUSED: /);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject([
      {
        portal: SHARED,
        lastError: {
          code: 'REFRESH_TOKEN_REUSED',
          message: expect.stringContaining('the refresh token was already used'),
        },
      },
    ]);
  });
});
