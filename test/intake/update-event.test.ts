import { afterEach, describe, expect, it } from 'vitest';
import { sendAppEvent } from '../../src/simulator/send-app-event.js';
import { type IntakeHarness, startIntakeHarness } from './support/intake-harness.js';

/**
 * docs/install-events.md, "Authentication": a new application version sends ONAPPUPDATE with a new
 * application_token, which replaces the kept one once the event's tokens are verified with the OAuth server.
 */
let h: IntakeHarness | undefined;
afterEach(async () => {
  await h?.closeAll();
  h = undefined;
});

describe('update events', () => {
  it('a verified ONAPPUPDATE replaces the kept application_token; the old one is refused from then on', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'v.sim.test' }] });
    const install = h.sim.appEvent('v.sim.test', 'install');
    expect((await sendAppEvent(h.eventsUrl, install)).status).toBe(200);
    const update = await h.sim.sendAppEvent(h.eventsUrl, 'v.sim.test', 'update');
    expect(update).toMatchObject({ status: 200, body: { ok: true, event: 'ONAPPUPDATE' } });
    // Both verified with an OAuth refresh (the install's and the update's new application_token).
    expect(h.sim.stats().refreshes).toBe(2);
    expect((await h.runtime.portals.eventAuth('v.sim.test'))?.applicationToken).toBe(
      h.sim.portal('v.sim.test').applicationToken,
    );
    // The first install, replayed with a changed ts (not the same delivery): its token is no longer the kept one.
    const replay = await sendAppEvent(h.eventsUrl, { ...install, ts: '1' });
    expect(replay).toMatchObject({ status: 403, body: { error: 'application_token_mismatch' } });
    // The uninstall carries the new token: accepted.
    expect((await h.sim.sendAppEvent(h.eventsUrl, 'v.sim.test', 'uninstall')).status).toBe(200);
  });

  it('an ONAPPUPDATE with another token whose refresh token the OAuth server refuses changes nothing', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'v.sim.test' }] });
    expect((await h.sim.sendAppEvent(h.eventsUrl, 'v.sim.test', 'install')).status).toBe(200);
    const before = await h.rawPortal('v.sim.test');
    const update = h.sim.appEvent('v.sim.test', 'update');
    const forged = { ...update, auth: { ...(update['auth'] as object), refresh_token: 'stolen-or-made-up' } };
    expect(await sendAppEvent(h.eventsUrl, forged)).toMatchObject({
      status: 403,
      body: { error: 'token_not_verified' },
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
      body: { error: 'token_not_verified' },
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
