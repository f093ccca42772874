import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveAppHash } from '../../src/apps/derive-app-hash.js';
import { retryFailedPairs } from '../../src/ops/retry-failed-pairs.js';
import { enqueueRollout } from '../../src/pipeline/enqueue-rollout.js';
import { API_TOKEN, type IntakeHarness, startIntakeHarness } from '../intake/support/intake-harness.js';
import { iframeApp, jsApp } from '../pipeline/support/pipeline-harness.js';
import { useOwnedResources } from '../support/own-resources.js';
import { runCli } from '../support/run-cli.js';
import { startTokenSource } from '../support/start-token-source.js';

/**
 * Issue 18, item 5: what an application's backend needs from imbot-rollout. POST /api/portals and DELETE
 * /api/portals/:domain (docs/http-api.md, "Portals"), `remove-portal`, the IFRAME HASH per pair, and re-imports
 * that never go back in time (docs/operations.md). Real Redis, the real simulator, the real API and CLI.
 */
let h: IntakeHarness | undefined;
afterEach(async () => {
  await h?.closeAll();
  h = undefined;
});

const BEARER = { authorization: `Bearer ${API_TOKEN}` };

async function api(
  harness: IntakeHarness,
  method: 'POST' | 'DELETE' | 'GET',
  url: string,
  payload?: unknown,
) {
  const reply = await harness.api.inject({
    method,
    url,
    headers: BEARER,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
  return { status: reply.statusCode, body: reply.json() as Record<string, unknown> };
}

/** The harness config in a file, as ROLLOUT_CONFIG for the CLI. */
function cliEnv(harness: IntakeHarness): { env: Record<string, string>; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'portals-cli-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(harness.config));
  return { env: { ROLLOUT_CONFIG: file }, dir };
}

const pairsOf = (domains: readonly string[], codes: readonly string[]) =>
  domains.flatMap((domain) => codes.map((code) => ({ domain, code })));

describe('re-imports never go back in time', () => {
  it('re-running rollout --portals with an old file after two reinstalls keeps their newer pairs, and the rollout works', async () => {
    h = await startIntakeHarness({
      portals: [{ domain: 'a.sim.test' }, { domain: 'b.sim.test' }, { domain: 'c.sim.test' }],
    });
    // The operator's file, as written before anything happened.
    const oldFile = JSON.parse(JSON.stringify(h.sim.portalsFile())) as unknown[];
    const first = await h.rollout([jsApp('echo')]);
    h.startWorker(4);
    await h.settle(first.pairs);

    // Both portals are reinstalled: each install's tokens are verified by a refresh, and the newer pair is stored.
    for (const domain of ['a.sim.test', 'b.sim.test']) {
      expect((await h.sim.sendAppEvent(h.eventsUrl, domain, 'install')).status).toBe(200);
    }

    const { env, dir } = cliEnv(h);
    const portalsFile = join(dir, 'portals.json');
    writeFileSync(portalsFile, JSON.stringify(oldFile));
    const appsFile = join(dir, 'apps.json');
    writeFileSync(appsFile, JSON.stringify([jsApp('echo'), jsApp('ping', '/ping')]));
    const run = await runCli(['rollout', '--apps', appsFile, '--portals', portalsFile], env, 30_000);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      'kept the stored OAuth tokens of 2 portal(s) whose stored pair is newer than the file',
    );
    expect(run.stderr).toContain('a.sim.test, b.sim.test');
    // No OAuth pair was written (two kept newer, one the same as before): no new ownership to announce.
    expect(run.stderr).not.toContain('now owns and refreshes');
    for (const entry of oldFile as { auth: { accessToken: string; refreshToken: string } }[]) {
      expect(run.stdout + run.stderr).not.toContain(entry.auth.refreshToken);
    }

    // The stored pairs are the ones the OAuth server knows now, and every pair is registered: no needs_reauth.
    for (const domain of ['a.sim.test', 'b.sim.test']) {
      const sim = h.sim.portal(domain);
      expect((await h.runtime.portals.get(domain))?.auth).toMatchObject({
        accessToken: sim.currentAccessToken,
        refreshToken: sim.currentRefreshToken,
      });
    }
    const counts = await h.settle(pairsOf(['a.sim.test', 'b.sim.test', 'c.sim.test'], ['echo', 'ping']));
    expect(counts).toMatchObject({ registered: 6, needs_reauth: 0, failed: 0 });
  }, 60_000); // a CLI process besides the simulator and a worker
});

describe('POST /api/portals', () => {
  it('refuses a list with one bad entry whole, naming the entry and the field, and stores nothing', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'good.sim.test' }, { domain: 'bad.sim.test' }] });
    const [good, bad] = h.sim.portalsFile() as { auth: Record<string, unknown> }[];
    const answer = await api(h, 'POST', '/api/portals', {
      portals: [good, { ...bad, auth: { ...bad?.auth, expiresAt: 'tomorrow' } }],
    });
    expect(answer.status).toBe(400);
    expect(answer.body['issues']).toEqual([
      { field: 'body.portals.1.auth.expiresAt', message: expect.stringContaining('ISO 8601') },
    ]);
    expect(JSON.stringify(answer.body)).not.toContain(String(bad?.auth['refreshToken']));
    expect(await h.runtime.portals.get('good.sim.test')).toBeUndefined();
  });

  it('imports portals, queues the apps an install would get, and says who owns the tokens now', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'first.sim.test' }, { domain: 'added.sim.test' }] });
    const [first, added] = h.portals();
    const rollout = await h.rollout([jsApp('echo'), iframeApp('panel')], first ? [first] : []);
    h.startWorker(4);
    await h.settle(rollout.pairs);

    const raw = h.sim.portalsFile().filter((p) => p.domain === added?.domain);
    const answer = await api(h, 'POST', '/api/portals', { portals: raw, queueApps: true });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({
      imported: { created: 1, credentialsReplaced: ['added.sim.test'], credentialsKeptNewer: [] },
      apps: ['echo', 'panel'],
      appsFrom: 'the last rollout',
      queued: { queued: 2 },
    });
    expect(answer.body['warning']).toContain('docs/tokens.md#who-owns-the-tokens');
    const counts = await h.settle(pairsOf(['added.sim.test'], ['echo', 'panel']));
    expect(counts).toMatchObject({ registered: 2 });

    // The IFRAME HASH per pair, behind the token: the one "HASH": "auto" derives (docs/operations.md).
    const pair = await api(h, 'GET', '/api/pairs/added.sim.test/panel');
    expect((pair.body['pair'] as Record<string, unknown>)['hash']).toBe(
      deriveAppHash(h.config.hashSecret ?? '', 'added.sim.test', 'panel'),
    );
    expect(h.sim.portal('added.sim.test').apps.find((a) => a.code === 'panel')?.fields['HASH']).toBe(
      deriveAppHash(h.config.hashSecret ?? '', 'added.sim.test', 'panel'),
    );
    const echo = await api(h, 'GET', '/api/pairs/added.sim.test/echo');
    expect((echo.body['pair'] as Record<string, unknown>)['hash']).toBeNull();
    const anonymous = await h.api.inject({ method: 'GET', url: '/api/pairs/added.sim.test/panel' });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('removing a portal', () => {
  it('drops its queued jobs, keeps its results, and nothing calls it again until it is imported again', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'stays.sim.test' }, { domain: 'gone.sim.test' }] });
    const first = await h.rollout([jsApp('echo')]);
    h.startWorker(4);
    await h.settle(first.pairs);
    const rawFile = h.sim.portalsFile();
    expect(rawFile).toHaveLength(2);

    const crossSite = await h.api.inject({
      method: 'DELETE',
      url: '/api/portals/gone.sim.test',
      headers: { ...BEARER, origin: 'https://evil.example.com' },
    });
    expect(crossSite.statusCode).toBe(403);
    const removed = await api(h, 'DELETE', '/api/portals/gone.sim.test');
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ removed: 'gone.sim.test' });
    expect((await api(h, 'DELETE', '/api/portals/never.sim.test')).status).toBe(404);
    expect(await h.runtime.portals.stateOf('gone.sim.test')).toBe('removed');

    // A rollout of the stored portals (rollout --apps F alone) skips it; its registered result is kept for export.
    const calls = h.sim.portal('gone.sim.test').calls;
    const reroll = await enqueueRollout(
      { apps: [jsApp('echo'), jsApp('ping', '/ping')], portals: undefined },
      h.runtime,
    );
    expect(reroll.skippedRemoved).toEqual(['gone.sim.test']);
    expect(reroll.pairs.every((p) => p.domain === 'stays.sim.test')).toBe(true);
    await h.settle(reroll.pairs);
    expect(h.sim.portal('gone.sim.test').calls).toBe(calls);
    expect(await h.runtime.results.get('gone.sim.test', 'echo')).toMatchObject({ state: 'registered' });
    expect(await h.runtime.results.get('gone.sim.test', 'ping')).toBeUndefined();

    // Imported again (POST /api/portals with the same entry): it is back, and the next rollout reaches it.
    const back = await api(h, 'POST', '/api/portals', {
      portals: rawFile.filter((p) => p.domain === 'gone.sim.test'),
    });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ imported: { restored: ['gone.sim.test'] } });
    expect(await h.runtime.portals.stateOf('gone.sim.test')).toBe('active');
    const again = await enqueueRollout(
      { apps: [jsApp('echo'), jsApp('ping', '/ping')], portals: undefined },
      h.runtime,
    );
    expect(again.skippedRemoved).toEqual([]);
    await h.settle(again.pairs);
    expect(await h.runtime.results.get('gone.sim.test', 'ping')).toMatchObject({ state: 'registered' });
  });

  it('an install event for a removed portal brings it back', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'again.sim.test' }] });
    const first = await h.rollout([jsApp('echo')]);
    h.startWorker(2);
    await h.settle(first.pairs);
    expect((await api(h, 'DELETE', '/api/portals/again.sim.test')).status).toBe(200);
    expect(await h.runtime.portals.stateOf('again.sim.test')).toBe('removed');

    expect((await h.sim.sendAppEvent(h.eventsUrl, 'again.sim.test', 'install')).status).toBe(200);
    expect(await h.runtime.portals.stateOf('again.sim.test')).toBe('active');
    expect(await h.runtime.results.get('again.sim.test', 'echo')).toMatchObject({ state: 'registered' });
  });

  it('remove-portal drops the waiting jobs and parks the pending pairs; a job left over makes no call', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'queued.sim.test' }] });
    // No worker yet: the pairs wait in the queue.
    const rollout = await h.rollout([jsApp('echo'), jsApp('ping', '/ping')]);
    expect(await h.jobsOf('queued.sim.test', ['echo', 'ping'])).toHaveLength(2);
    const { env } = cliEnv(h);
    const run = await runCli(['remove-portal', 'queued.sim.test', 'unknown.sim.test'], env, 30_000);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'remove-portal: queued.sim.test removed: 2 queued job(s) dropped, 2 unsettled pair(s) parked',
    );
    expect(run.stderr).toContain('no stored portal unknown.sim.test');
    expect(await h.jobsOf('queued.sim.test', ['echo', 'ping'])).toEqual([]);
    expect(await h.runtime.results.get('queued.sim.test', 'echo')).toMatchObject({
      state: 'needs_reauth',
      lastError: { code: 'PORTAL_REMOVED' },
    });
    expect(await h.runtime.redis.hget(h.runtime.keys.portal('queued.sim.test'), 'removedBy')).toMatch(/^cli/);

    // A pair that failed after the removal (its job was running): retry skips it...
    await h.runtime.results.recordFailure('queued.sim.test', 'echo', {
      op: 'register',
      error: { code: 'TIMEOUT', message: 'no answer' },
      final: true,
    });
    await expect(retryFailedPairs(h.runtime, { portal: 'queued.sim.test' })).rejects.toThrow(
      /1 removed portal\(s\) skipped/,
    );
    // ...and a job queued all the same (a retry by a client that does not check) is stopped before its call.
    expect(
      await retryFailedPairs(
        { results: h.runtime.results, queue: h.runtime.queue },
        { portal: 'queued.sim.test' },
      ),
    ).toHaveLength(1);
    h.startWorker(2);
    await h.settle(rollout.pairs);
    expect(h.sim.portal('queued.sim.test').calls).toBe(0);
    expect(await h.runtime.results.get('queued.sim.test', 'echo')).toMatchObject({
      state: 'needs_reauth',
      lastError: { code: 'PORTAL_REMOVED' },
    });
  }, 60_000); // a CLI process besides the simulator and a worker
});

describe('adding portals that borrow their tokens', () => {
  const own = useOwnedResources();
  const SECRET = 'source-secret-0123456789';

  it('accepts source-auth entries when a token source is configured, and says nothing about owning tokens', async () => {
    let harness: IntakeHarness | undefined;
    const source = await startTokenSource(own, (request) => {
      const portal = harness?.sim.portal(request.domain ?? '');
      if (portal === undefined) return { status: 404, body: { error: 'not_found' } };
      return { status: 200, body: { access_token: portal.currentAccessToken, expires_in: 3600 } };
    });
    harness = await startIntakeHarness(
      { portals: [{ domain: 'first.sim.test' }, { domain: 'borrowed.sim.test' }] },
      { tokens: { source: { url: source.url, secret: SECRET } } },
    );
    h = harness;
    const [first] = harness.portals();
    const rollout = await harness.rollout([jsApp('echo')], first ? [first] : []);
    harness.startWorker(2);
    await harness.settle(rollout.pairs);

    const entry = harness.portals().find((p) => p.domain === 'borrowed.sim.test');
    const answer = await api(harness, 'POST', '/api/portals', {
      portals: [{ ...entry, auth: { type: 'source' } }],
      queueApps: true,
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body['warning']).toBeUndefined();
    expect((await harness.runtime.portals.get('borrowed.sim.test'))?.auth).toEqual({ type: 'source' });
    expect(await harness.settle(pairsOf(['borrowed.sim.test'], ['echo']))).toMatchObject({ registered: 1 });
    expect(source.requests.some((r) => r.domain === 'borrowed.sim.test')).toBe(true);
  });
});
