import { describe, expect, it } from 'vitest';
import { callOAuth, useSimulators } from './support/sim-test-kit.js';

const start = useSimulators();

describe('simulator startup and throughput', () => {
  it('starts 10,000 generated portals in well under a second', async () => {
    const startedAt = performance.now();
    const sim = await start({ portals: 10_000, webhookShare: 0.2, expiredShare: 0.1 });
    const elapsed = performance.now() - startedAt;
    expect(elapsed).toBeLessThan(1000);
    const entries = sim.portalsFile();
    expect(entries).toHaveLength(10_000);
    expect(entries[9_999]?.domain).toBe('portal-10000.sim.test');
    expect(new Set(entries.map((entry) => entry.botId)).size).toBe(10_000);
  });

  it('serves a thousand concurrent calls across portals', async () => {
    const sim = await start({ portals: 1_000 });
    const domains = sim.portalsFile().map((entry) => entry.domain);
    const startedAt = performance.now();
    const answers = await Promise.all(domains.map((domain) => callOAuth(sim, domain, 'server.time')));
    const elapsed = performance.now() - startedAt;
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(sim.stats().calls).toBe(1_000);
    expect(elapsed).toBeLessThan(5_000);
  });

  it('closes keep-alive connections on stop', async () => {
    const sim = await start({ portals: 1 });
    await callOAuth(sim, 'portal-00001.sim.test', 'server.time');
    await sim.stop();
    await sim.stop();
    await expect(fetch(`${sim.url}/_sim/stats`)).rejects.toThrow();
  });
});
