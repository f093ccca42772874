import { afterEach, describe, expect, it } from 'vitest';
import { sendAppEvent } from '../../src/simulator/send-app-event.js';
import { keysMatching } from '../support/keys-matching.js';
import { type IntakeHarness, startIntakeHarness } from './support/intake-harness.js';

/**
 * Issue 19 item 1, docs/install-events.md "Idempotency and replays": tokens an event carries never replace the stored pair
 * unless they refresh now with our client id (the verification a first install gets). A captured event posted
 * again, with any `ts` and after any time, changes nothing.
 */
let h: IntakeHarness | undefined;
afterEach(async () => {
  await h?.closeAll();
  h = undefined;
});

const DOMAIN = 'r.sim.test';

async function installed(): Promise<{ harness: IntakeHarness; install: Record<string, unknown> }> {
  const harness = await startIntakeHarness({ portals: [{ domain: DOMAIN }] });
  const install = harness.sim.appEvent(DOMAIN, 'install');
  expect((await sendAppEvent(harness.eventsUrl, install)).status).toBe(200);
  return { harness, install };
}

/** What a replay must leave alone: the stored hash (tokens, state, kept application_token) and the queue. */
async function snapshot(harness: IntakeHarness) {
  return {
    portal: await harness.rawPortal(DOMAIN),
    jobs: await harness.runtime.queue.getJobCounts(),
  };
}

describe('replayed install events', () => {
  it('an install replayed with another ts changes nothing, and the stored pair still works', async () => {
    const { harness, install } = await installed();
    h = harness;
    const before = await snapshot(h);
    const replay = await sendAppEvent(h.eventsUrl, {
      ...install,
      ts: String(Number(install['ts']) + 86_400),
    });
    expect(replay.status).not.toBe(200);
    expect(replay).toMatchObject({ status: 403, body: { error: 'token_not_verified' } });
    expect(await snapshot(h)).toEqual(before);
    // The stored pair is the one the OAuth server holds as current: the portal answers with it.
    const stored = await h.runtime.portals.get(DOMAIN);
    expect(stored?.auth).toMatchObject({
      type: 'oauth',
      accessToken: h.sim.portal(DOMAIN).currentAccessToken,
    });
  });

  it('the same install replayed after its handled marker expired changes nothing', async () => {
    const { harness, install } = await installed();
    h = harness;
    // As after 30 days: the marker that answers `duplicate` is gone.
    const markers = await keysMatching(h.runtime.redis, h.runtime.keys.appEvent('*'));
    expect(markers.length).toBeGreaterThan(0);
    for (const marker of markers) await h.runtime.redis.del(marker);
    const before = await snapshot(h);
    const replay = await sendAppEvent(h.eventsUrl, install);
    expect(replay).toMatchObject({ status: 403, body: { error: 'token_not_verified' } });
    expect(await snapshot(h)).toEqual(before);
  });

  it('the install replayed as an ONAPPUPDATE (kept token, spent pair) changes nothing', async () => {
    const { harness, install } = await installed();
    h = harness;
    const before = await snapshot(h);
    const replay = await sendAppEvent(h.eventsUrl, { ...install, event: 'ONAPPUPDATE', ts: '1' });
    expect(replay).toMatchObject({ status: 403, body: { error: 'token_not_verified' } });
    expect(await snapshot(h)).toEqual(before);
  });
});
