import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulator/start-simulator.js';
import { manualClock, postJson, useSimulators } from './support/sim-test-kit.js';

const start = useSimulators();

describe('portalsFile()', () => {
  it('lists generated portals in the portals-file format', async () => {
    const clock = manualClock();
    const sim = await start({ portals: 3, webhookShare: 1 / 3, now: clock.now, seed: 7 });
    const entries = sim.portalsFile();
    expect(entries.map((entry) => entry.domain)).toEqual([
      'portal-00001.sim.test',
      'portal-00002.sim.test',
      'portal-00003.sim.test',
    ]);
    for (const entry of entries) {
      expect(Object.keys(entry).sort()).toEqual(['auth', 'botId', 'domain', 'memberId', 'restUrl']);
      expect(entry.restUrl).toBe(`${sim.url}/portal/${entry.domain}/rest/`);
      expect(entry.memberId).toMatch(/^[0-9a-f]{32}$/);
      if (entry.auth.type === 'oauth') {
        expect(entry.auth).toEqual({
          type: 'oauth',
          accessToken: expect.stringMatching(/^[0-9a-f]{64}$/),
          refreshToken: expect.stringMatching(/^[0-9a-f]{64}$/),
          expiresAt: new Date(clock.now() + 3_600_000).toISOString(),
        });
      } else {
        expect(entry.auth).toEqual({
          type: 'webhook',
          url: expect.stringMatching(new RegExp(`^${entry.restUrl}1/[0-9a-f]{32}/$`)),
          clientId: 'sim-webhook-app',
        });
      }
    }
    expect(entries.filter((entry) => entry.auth.type === 'webhook')).toHaveLength(1);
    expect(JSON.parse(JSON.stringify(entries))).toEqual(entries);
  });

  it('generates exact webhook and expired shares', async () => {
    const clock = manualClock();
    const sim = await start({ portals: 100, webhookShare: 0.2, expiredShare: 0.1, now: clock.now });
    const entries = sim.portalsFile();
    const oauth = entries.flatMap((entry) => (entry.auth.type === 'oauth' ? [entry.auth] : []));
    expect(entries.length - oauth.length).toBe(20);
    expect(oauth.filter((auth) => Date.parse(auth.expiresAt) < clock.now())).toHaveLength(10);
  });

  it('is reproducible for a seed and differs for another seed', async () => {
    const clock = manualClock();
    const strip = (list: ReturnType<typeof sim1.portalsFile>) =>
      list.map((entry) => ({
        ...entry,
        restUrl: '',
        auth: JSON.stringify(entry.auth).replace(/:\d+\//g, '/'),
      }));
    const sim1 = await start({ portals: 20, webhookShare: 0.5, seed: 3, now: clock.now });
    const sim2 = await start({ portals: 20, webhookShare: 0.5, seed: 3, now: clock.now });
    const sim3 = await start({ portals: 20, webhookShare: 0.5, seed: 4, now: clock.now });
    expect(strip(sim2.portalsFile())).toEqual(strip(sim1.portalsFile()));
    expect(strip(sim3.portalsFile())).not.toEqual(strip(sim1.portalsFile()));
  });

  it('reports the current credentials after a refresh', async () => {
    const sim = await start({ portals: [{ domain: 'a.sim.test' }] });
    const before = sim.portalsFile()[0]?.auth;
    if (before?.type !== 'oauth') throw new Error('expected an OAuth entry');
    const answer = await postJson(sim.oauthUrl, {
      grant_type: 'refresh_token',
      client_id: 'sim-client-id',
      client_secret: 'sim-client-secret',
      refresh_token: before.refreshToken,
    });
    expect(sim.portalsFile()[0]?.auth).toMatchObject({
      accessToken: answer.json.access_token,
      refreshToken: answer.json.refresh_token,
    });
  });

  it('refuses invalid options with an error naming the option', async () => {
    await expect(startSimulator({ portals: 1, webhookShare: 2 })).rejects.toThrow(/webhookShare/);
    await expect(
      startSimulator({ portals: [{ domain: 'a.sim.test' }, { domain: 'a.sim.test' }] }),
    ).rejects.toThrow(/duplicate domain/);
    await expect(startSimulator({ portals: [{ domain: 'x', faults: { http500Rate: 3 } }] })).rejects.toThrow(
      /portals\.0\.faults\.http500Rate/,
    );
    await expect(
      startSimulator({
        portals: [{ domain: 'x', apps: ['not an object' as unknown as Record<string, unknown>] }],
      }),
    ).rejects.toThrow(/portals\.0\.apps\.0/);
    await expect(startSimulator({ portals: 2, preexisting: { share: 2, apps: [{}] } })).rejects.toThrow(
      /preexisting\.share/,
    );
    await expect(startSimulator({ portals: 2, preexisting: { share: 0.5, apps: [] } })).rejects.toThrow(
      /preexisting\.apps/,
    );
  });
});
