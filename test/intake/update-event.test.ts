import { afterEach, describe, expect, it } from 'vitest';
import { sendAppEvent } from '../../src/simulator/send-app-event.js';
import { type IntakeHarness, startIntakeHarness } from './support/intake-harness.js';

/**
 * docs/install-events.md, "Authentication" (rule 4): an ONAPPUPDATE must carry the kept application_token; a
 * new one is never taken from an update (issue 19 item 4), and its tokens are stored only once they refresh.
 */
let h: IntakeHarness | undefined;
afterEach(async () => {
  await h?.closeAll();
  h = undefined;
});

describe('update events', () => {
  it('an ONAPPUPDATE with a new application_token cannot rotate the kept one, even with a valid pair of ours', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'v.sim.test' }] });
    const install = h.sim.appEvent('v.sim.test', 'install');
    expect((await sendAppEvent(h.eventsUrl, install)).status).toBe(200);
    const kept = (install['auth'] as { application_token: string }).application_token;
    const before = await h.rawPortal('v.sim.test');
    // The simulator's update carries a fresh pair of our client for this portal and a new application_token:
    // what anyone holding one of our refresh tokens for the portal could also send.
    const update = await h.sim.sendAppEvent(h.eventsUrl, 'v.sim.test', 'update');
    expect(update).toMatchObject({ status: 403, body: { error: 'application_token_mismatch' } });
    expect(await h.rawPortal('v.sim.test')).toEqual(before);
    expect((await h.runtime.portals.eventAuth('v.sim.test'))?.applicationToken).toBe(kept);
    // Nothing was spent to decide it: the only refresh is the install's.
    expect(h.sim.stats().refreshes).toBe(1);
    // So an uninstall signed with the unkept token is refused too.
    expect(await h.sim.sendAppEvent(h.eventsUrl, 'v.sim.test', 'uninstall')).toMatchObject({
      status: 403,
      body: { error: 'application_token_mismatch' },
    });
  });

  it('an ONAPPUPDATE with the kept application_token stores its pair once it refreshes for our client', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'v.sim.test' }] });
    const install = h.sim.appEvent('v.sim.test', 'install');
    expect((await sendAppEvent(h.eventsUrl, install)).status).toBe(200);
    const kept = (install['auth'] as { application_token: string }).application_token;
    const update = h.sim.appEvent('v.sim.test', 'update');
    const withKept = { ...update, auth: { ...(update['auth'] as object), application_token: kept } };
    expect(await sendAppEvent(h.eventsUrl, withKept)).toMatchObject({
      status: 200,
      body: { ok: true, event: 'ONAPPUPDATE' },
    });
    expect(h.sim.stats().refreshes).toBe(2);
    expect((await h.runtime.portals.get('v.sim.test'))?.auth).toMatchObject({
      accessToken: h.sim.portal('v.sim.test').currentAccessToken,
    });
    expect((await h.runtime.portals.eventAuth('v.sim.test'))?.applicationToken).toBe(kept);
  });

  it('an ONAPPUPDATE with another token whose refresh token the OAuth server refuses changes nothing', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'v.sim.test' }] });
    expect((await h.sim.sendAppEvent(h.eventsUrl, 'v.sim.test', 'install')).status).toBe(200);
    const before = await h.rawPortal('v.sim.test');
    const update = h.sim.appEvent('v.sim.test', 'update');
    const forged = { ...update, auth: { ...(update['auth'] as object), refresh_token: 'stolen-or-made-up' } };
    expect(await sendAppEvent(h.eventsUrl, forged)).toMatchObject({
      status: 403,
      body: { error: 'application_token_mismatch' },
    });
    expect(await h.rawPortal('v.sim.test')).toEqual(before);
  });

  it("an ONAPPUPDATE with a new application_token and another application's token pair changes nothing", async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'v.sim.test' }] });
    expect((await h.sim.sendAppEvent(h.eventsUrl, 'v.sim.test', 'install')).status).toBe(200);
    const before = await h.rawPortal('v.sim.test');
    const kept = (await h.runtime.portals.eventAuth('v.sim.test'))?.applicationToken;
    const other = h.sim.issueOtherClientTokens('v.sim.test', 'app.other-vendor.client');
    const update = h.sim.appEvent('v.sim.test', 'update');
    const forged = {
      ...update,
      auth: {
        ...(update['auth'] as object),
        access_token: other.accessToken,
        refresh_token: other.refreshToken,
        application_token: 'd'.repeat(32),
      },
    };
    expect(await sendAppEvent(h.eventsUrl, forged)).toMatchObject({
      status: 403,
      body: { error: 'application_token_mismatch' },
    });
    expect(await h.rawPortal('v.sim.test')).toEqual(before);
    expect((await h.runtime.portals.eventAuth('v.sim.test'))?.applicationToken).toBe(kept);
  });

  it('an ONAPPUPDATE for a portal whose install was never received is refused', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'v.sim.test' }] });
    expect(await h.sim.sendAppEvent(h.eventsUrl, 'v.sim.test', 'update')).toMatchObject({
      status: 403,
      body: { error: 'unknown_installation' },
    });
    expect(await h.rawPortal('v.sim.test')).toEqual({});
  });
});
