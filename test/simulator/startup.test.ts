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

  it('serves thousands of calls across portals over keep-alive connections', async () => {
    const sim = await start({ portals: 1_000 });
    const domains = sim.portalsFile().map((entry) => entry.domain);
    const total = 3_000;
    let next = 0;
    let ok = 0;
    const startedAt = performance.now();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < total) {
          const domain = domains[next % domains.length] ?? '';
          next += 1;
          if ((await callOAuth(sim, domain, 'server.time')).status === 200) ok += 1;
        }
      }),
    );
    const elapsed = performance.now() - startedAt;
    expect(ok).toBe(total);
    expect(sim.stats().calls).toBe(total);
    // Client and server share this process; a generous bound that still catches a pathological slowdown.
    expect(elapsed).toBeLessThan(10_000);
  });

  it('closes keep-alive connections on stop', async () => {
    const sim = await start({ portals: 1 });
    await callOAuth(sim, 'portal-00001.sim.test', 'server.time');
    await sim.stop();
    await sim.stop();
    await expect(fetch(`${sim.url}/_sim/stats`)).rejects.toThrow();
  });
});
