import { afterEach, describe, expect, it } from 'vitest';
import { sendAppEvent } from '../../src/simulator/send-app-event.js';
import { jsApp } from '../pipeline/support/pipeline-harness.js';
import { waitFor } from '../support/wait-for.js';
import { type IntakeHarness, startIntakeHarness } from './support/intake-harness.js';

/** docs/install-events.md: ONAPPINSTALL imports the portal and queues the last rollout's apps for it. */
let h: IntakeHarness | undefined;
afterEach(async () => {
  await h?.closeAll();
  h = undefined;
});

const SEEDS = [{ domain: 'known.sim.test' }, { domain: 'fresh.sim.test', botId: 321 }];
const APPS = [jsApp('echo'), jsApp('help', '/help me'), jsApp('ping', '/ping')];

async function registeredCodes(harness: IntakeHarness, domain: string): Promise<string[]> {
  const codes: string[] = [];
  for (const app of APPS) {
    const result = await harness.runtime.results.get(domain, app.CODE);
    if (result?.state === 'registered') codes.push(app.CODE);
  }
  return codes;
}

describe('install events', () => {
  it('an install for a new portal stores it and ends with the last rollout apps registered there', async () => {
    h = await startIntakeHarness({ portals: SEEDS });
    const known = h.portals().filter((p) => p.domain === 'known.sim.test');
    const rollout = await h.rollout(APPS, known);
    h.startWorker(4);
    await h.settle(rollout.pairs);
    expect(await h.runtime.portals.get('fresh.sim.test')).toBeUndefined();

    const delivered = await h.sim.sendAppEvent(h.eventsUrl, 'fresh.sim.test', 'install');
    expect(delivered).toMatchObject({
      status: 200,
      body: {
        ok: true,
        domain: 'fresh.sim.test',
        portal: 'created',
        apps: ['echo', 'help', 'ping'],
        queued: 3,
      },
    });
    await waitFor(
      async () => expect(await registeredCodes(h as IntakeHarness, 'fresh.sim.test')).toHaveLength(3),
      {
        timeoutMs: 20_000,
        message: 'the new portal apps registered',
      },
    );
    // The apps are on the portal, with its bot (resolved from the default bot code simbot: its id is 321).
    const held = h.sim.portal('fresh.sim.test').apps;
    expect(held.map((app) => app.code).sort()).toEqual(['echo', 'help', 'ping']);
    expect(new Set(held.map((app) => app.botId))).toEqual(new Set([321]));
    const stored = await h.runtime.portals.get('fresh.sim.test');
    expect(stored).toMatchObject({
      botCode: 'simbot',
      botId: 321,
      memberId: h.sim.portal('fresh.sim.test').memberId,
    });
    // The install's tokens were verified with one OAuth refresh for our client id (the portal was not asked),
    // and the refreshed pair is the one stored: the event's refresh token is spent.
    expect(h.sim.stats().refreshes).toBe(1);
    expect(h.sim.stats().callsByMethod['app.info']).toBeUndefined();
  });

  it('stores the refreshed token pair, not the spent one the install carried', async () => {
    h = await startIntakeHarness({ portals: SEEDS });
    const event = h.sim.appEvent('fresh.sim.test', 'install');
    const carried = event['auth'] as { access_token: string; refresh_token: string };
    expect((await sendAppEvent(h.eventsUrl, event)).status).toBe(200);
    const stored = await h.runtime.portals.get('fresh.sim.test');
    const current = h.sim.portal('fresh.sim.test');
    expect(stored?.auth).toMatchObject({
      type: 'oauth',
      accessToken: current.currentAccessToken,
      refreshToken: current.currentRefreshToken,
    });
    expect(stored?.auth).not.toMatchObject({ refreshToken: carried.refresh_token });
    expect(stored?.auth).not.toMatchObject({ accessToken: carried.access_token });
    expect(h.sim.stats().refreshes).toBe(1);
  });

  it('the same event delivered again changes nothing: no second import, no extra register or job', async () => {
    h = await startIntakeHarness({ portals: SEEDS });
    await h.rollout(
      APPS,
      h.portals().filter((p) => p.domain === 'known.sim.test'),
    );
    h.startWorker(4);
    const event = h.sim.appEvent('fresh.sim.test', 'install');
    expect((await sendAppEvent(h.eventsUrl, event)).status).toBe(200);
    await waitFor(
      async () => expect(await registeredCodes(h as IntakeHarness, 'fresh.sim.test')).toHaveLength(3),
      {
        timeoutMs: 20_000,
        message: 'the new portal apps registered',
      },
    );
    const before = await h.rawPortal('fresh.sim.test');
    const registers = h.sim.stats().callsByMethod['imbot.app.register'];
    const jobCounts = await h.runtime.queue.getJobCounts();

    const again = await sendAppEvent(h.eventsUrl, event);
    expect(again).toMatchObject({ status: 200, body: { ok: true, duplicate: true } });
    expect(await h.rawPortal('fresh.sim.test')).toEqual(before);
    expect(await h.runtime.queue.getJobCounts()).toEqual(jobCounts);
    expect(h.sim.stats().callsByMethod['imbot.app.register']).toBe(registers);
    expect(h.sim.stats().refreshes).toBe(1);
  });

  it('two deliveries of one event at the same moment import it once', async () => {
    h = await startIntakeHarness({ portals: SEEDS });
    await h.rollout(
      APPS,
      h.portals().filter((p) => p.domain === 'known.sim.test'),
    );
    const event = h.sim.appEvent('fresh.sim.test', 'install');
    const answers = await Promise.all([sendAppEvent(h.eventsUrl, event), sendAppEvent(h.eventsUrl, event)]);
    const handled = answers.filter((a) => a.status === 200 && !(a.body as { duplicate?: boolean }).duplicate);
    expect(handled).toHaveLength(1);
    // The other: asked to come back (409, still being handled) or told it is a duplicate.
    const other = answers.find((a) => a !== handled[0]);
    expect([409, 200]).toContain(other?.status);
    expect((await h.rawPortal('fresh.sim.test'))['credVersion']).toBe('1');
    expect(h.sim.stats().refreshes).toBe(1);
  });

  it('a portal from the portals file (no application_token yet) is verified, then its events must match', async () => {
    h = await startIntakeHarness({ portals: SEEDS });
    await h.rollout(APPS, h.portals());
    h.startWorker(4);
    const delivered = await h.sim.sendAppEvent(h.eventsUrl, 'known.sim.test', 'install');
    expect(delivered).toMatchObject({ status: 200, body: { portal: 'updated' } });
    expect(h.sim.stats().refreshes).toBe(1);
    expect((await h.runtime.portals.eventAuth('known.sim.test'))?.applicationToken).toBe(
      h.sim.portal('known.sim.test').applicationToken,
    );
  });
});

describe('the simulator sends application events', () => {
  it('POST /_sim/events delivers an install, form-encoded, and answers what the handler said', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'sim.sim.test' }] });
    const response = await fetch(`${h.sim.url}/_sim/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: h.eventsUrl, domain: 'sim.sim.test', event: 'install' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      delivered: { status: 200, body: { ok: true, domain: 'sim.sim.test', portal: 'created' } },
    });
    expect((await h.runtime.portals.get('sim.sim.test'))?.memberId).toBe(
      h.sim.portal('sim.sim.test').memberId,
    );
  });

  it('refuses an unknown portal or event kind', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'sim.sim.test' }] });
    const post = (body: unknown) =>
      fetch(`${h?.sim.url}/_sim/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post({ url: h.eventsUrl, domain: 'nope.sim.test', event: 'install' })).status).toBe(404);
    expect((await post({ url: h.eventsUrl, domain: 'sim.sim.test', event: 'payment' })).status).toBe(400);
  });
});
