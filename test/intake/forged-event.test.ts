import { afterEach, describe, expect, it } from 'vitest';
import { sendAppEvent } from '../../src/simulator/send-app-event.js';
import { jsApp } from '../pipeline/support/pipeline-harness.js';
import { type IntakeHarness, startIntakeHarness } from './support/intake-harness.js';

/** docs/install-events.md, "Authentication": a forged event is refused and changes nothing. */
let h: IntakeHarness | undefined;
afterEach(async () => {
  await h?.closeAll();
  h = undefined;
});

type EventObject = Record<string, unknown> & { auth: Record<string, unknown> };

function withAuth(event: Record<string, unknown>, auth: Record<string, unknown>): EventObject {
  return { ...event, auth: { ...(event['auth'] as Record<string, unknown>), ...auth } };
}

async function installed(harness: IntakeHarness, domain: string): Promise<Record<string, string>> {
  const delivered = await harness.sim.sendAppEvent(harness.eventsUrl, domain, 'install');
  expect(delivered.status).toBe(200);
  return await harness.rawPortal(domain);
}

describe('forged application events', () => {
  it('refuses 403 an install with another application_token for an installed portal; nothing changes', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'a.sim.test' }] });
    await h.rollout([jsApp('echo')], h.portals());
    const before = await installed(h, 'a.sim.test');
    const jobs = await h.runtime.queue.getJobCounts();
    // A fresh, valid token pair from the portal, but the application_token is not the kept one.
    const forged = withAuth(h.sim.appEvent('a.sim.test', 'install'), { application_token: 'f'.repeat(32) });
    const answer = await sendAppEvent(h.eventsUrl, forged);
    expect(answer).toMatchObject({ status: 403, body: { error: 'application_token_mismatch' } });
    expect(JSON.stringify(answer.body)).not.toContain('f'.repeat(32));
    expect(await h.rawPortal('a.sim.test')).toEqual(before);
    expect(await h.runtime.queue.getJobCounts()).toEqual(jobs);
  });

  it('refuses 403 an event with another member_id; nothing changes', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'a.sim.test' }] });
    const before = await installed(h, 'a.sim.test');
    const kept = h.sim.portal('a.sim.test').applicationToken;
    const uninstall = withAuth(h.sim.appEvent('a.sim.test', 'uninstall'), {
      member_id: '0'.repeat(32),
      application_token: kept,
    });
    expect(await sendAppEvent(h.eventsUrl, uninstall)).toMatchObject({
      status: 403,
      body: { error: 'member_id_mismatch' },
    });
    expect(await h.rawPortal('a.sim.test')).toEqual(before);
  });

  it('refuses 403 a first install whose refresh token the OAuth server refuses; nothing is stored', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'a.sim.test' }] });
    const forged = withAuth(h.sim.appEvent('a.sim.test', 'install'), {
      refresh_token: 'not-a-token-of-this-portal',
    });
    const answer = await sendAppEvent(h.eventsUrl, forged);
    expect(answer).toMatchObject({ status: 403, body: { error: 'token_not_verified' } });
    expect(await h.rawPortal('a.sim.test')).toEqual({});
    expect(await h.runtime.portals.listDomains()).not.toContain('a.sim.test');
    expect(await h.runtime.results.listPairs({ portal: 'a.sim.test' })).toEqual([]);
    // One refresh was asked for and refused; the portal itself was not called.
    expect(h.sim.stats()).toMatchObject({ refreshes: 0, invalidGrants: 1, callsByMethod: {} });
  });

  it("refuses 403 an install carrying another application's valid token pair; the file-imported portal keeps its credentials", async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'a.sim.test' }] });
    // Imported from the portals file: no application_token kept, so an install is verified, not compared.
    await h.rollout([jsApp('echo')], h.portals());
    const before = await h.rawPortal('a.sim.test');
    const jobs = await h.runtime.queue.getJobCounts();
    // The developer of another application installed on the same portal holds a pair the portal accepts
    // (app.info answers it), issued to their client id, and sends it with their own application_token.
    const other = h.sim.issueOtherClientTokens('a.sim.test', 'app.other-vendor.client');
    const appInfo = await fetch(
      `${h.sim.url}/portal/a.sim.test/rest/app.info.json?auth=${other.accessToken}`,
    );
    expect(appInfo.status).toBe(200);
    const forged = withAuth(h.sim.appEvent('a.sim.test', 'install'), {
      access_token: other.accessToken,
      refresh_token: other.refreshToken,
      application_token: 'e'.repeat(32),
    });
    const answer = await sendAppEvent(h.eventsUrl, forged);
    expect(answer).toMatchObject({ status: 403, body: { error: 'token_not_verified' } });
    expect(await h.rawPortal('a.sim.test')).toEqual(before);
    expect((await h.runtime.portals.eventAuth('a.sim.test'))?.applicationToken).toBeUndefined();
    expect(await h.runtime.queue.getJobCounts()).toEqual(jobs);
    // The OAuth server refused the other client's refresh token to our client id.
    expect(h.sim.stats()).toMatchObject({ refreshes: 0, invalidGrants: 1 });
    expect(JSON.stringify(answer.body)).not.toContain(other.refreshToken);
  });

  it('refuses 403 an uninstall for a portal whose install was never received', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'a.sim.test' }] });
    await h.rollout([jsApp('echo')], h.portals());
    const before = await h.rawPortal('a.sim.test');
    const answer = await h.sim.sendAppEvent(h.eventsUrl, 'a.sim.test', 'uninstall');
    expect(answer).toMatchObject({ status: 403, body: { error: 'unknown_installation' } });
    expect(await h.rawPortal('a.sim.test')).toEqual(before);
  });

  it('refuses 400 a body that is not an application event, naming the field', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'a.sim.test' }] });
    const answer = await sendAppEvent(h.eventsUrl, { event: 'ONCRMDEALADD', auth: { domain: 'a.sim.test' } });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('event');
  });

  it('is exempt from the API token but nothing else is', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'a.sim.test' }] });
    const events = await h.api.inject({
      method: 'POST',
      url: '/bitrix24/events',
      payload: 'event=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(events.statusCode).toBe(400);
    const progress = await h.api.inject({ method: 'GET', url: '/api/progress' });
    expect(progress.statusCode).toBe(401);
  });
});
