import { describe, expect, it } from 'vitest';
import type { SimulatorHandle } from '../../src/simulator/simulator-types.js';
import { callOAuth, jsApp, manualClock, postJson, useSimulators } from './support/sim-test-kit.js';

const start = useSimulators();
const A = 'a.sim.test';
const B = 'b.sim.test';

async function register(sim: SimulatorHandle, init: RequestInit = {}): Promise<Response> {
  return await fetch(`${sim.url}/portal/${A}/rest/imbot.app.register.json`, {
    ...init,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...jsApp(7), auth: sim.portal(A).currentAccessToken }),
  });
}

describe('injected faults', () => {
  it('answers 500 INTERNAL_SERVER_ERROR without doing the work', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7 }], faults: { http500Rate: 1 } });
    const response = await register(sim);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: 'INTERNAL_SERVER_ERROR',
      error_description: expect.any(String),
    });
    expect(sim.portal(A).apps).toEqual([]);
    expect(sim.stats().injected.http500).toBe(1);
  });

  it('drops the connection after the work: the app exists but the client gets a socket error', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7 }], faults: { dropAfterWorkRate: 1 } });
    const error = await register(sim).then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(sim.portal(A).apps).toHaveLength(1);
    expect(sim.stats()).toMatchObject({ registrations: 1, injected: { dropped: 1 } });
  });

  it('answers late after doing the work, so a client timeout fires while the app is created', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7 }], faults: { slowRate: 1, slowMs: 400 } });
    const timedOut = await register(sim, { signal: AbortSignal.timeout(100) }).then(
      () => null,
      (reason: unknown) => reason,
    );
    expect((timedOut as Error).name).toBe('TimeoutError');
    expect(sim.portal(A).apps).toHaveLength(1);
    const startedAt = performance.now();
    const response = await register(sim);
    expect(response.status).toBe(200);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(350);
    expect(sim.stats().injected.slow).toBe(2);
  });

  it('answers 502 with an HTML body and does no work', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7 }], faults: { nonJsonRate: 1 } });
    const response = await register(sim);
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('<html>');
    expect(sim.portal(A).apps).toEqual([]);
    expect(sim.stats().injected.nonJson).toBe(1);
  });

  it('answers 503 QUERY_LIMIT_EXCEEDED without touching the bucket', async () => {
    const clock = manualClock();
    const sim = await start({
      portals: [{ domain: A, botId: 7 }],
      bucket: { burst: 2, drainPerSecond: 1 },
      faults: { queryLimitRate: 1 },
      now: clock.now,
    });
    const answer = await callOAuth(sim, A, 'server.time');
    expect(answer.status).toBe(503);
    expect(answer.json.error).toBe('QUERY_LIMIT_EXCEEDED');
    // The bucket took the request (burst 2), the fault refused it: one more request still fits.
    sim.control.setFaults(null, {});
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(200);
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(503);
    expect(sim.stats().injected.queryLimit).toBe(1);
    expect(sim.stats().queryLimitExceeded).toBe(1);
  });

  it('merges per-portal faults over the global ones', async () => {
    const sim = await start({
      portals: [{ domain: A, faults: { http500Rate: 0 } }, { domain: B }],
      faults: { http500Rate: 1 },
    });
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(200);
    expect((await callOAuth(sim, B, 'server.time')).status).toBe(500);
    // setFaults replaces the portal's own faults; fields it leaves out fall back to the global ones.
    sim.control.setFaults(A, { nonJsonRate: 1 });
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(500);
    sim.control.setFaults(A, { http500Rate: 0, nonJsonRate: 1 });
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(502);
  });

  it('applies faults only after authentication', async () => {
    const sim = await start({ portals: [{ domain: A }], faults: { http500Rate: 1 } });
    const answer = await callOAuth(sim, A, 'server.time', {}, 'bogus');
    expect(answer.json.error).toBe('invalid_token');
    expect(sim.stats().injected.http500).toBe(0);
  });

  it('draws the same fault sequence for the same seed', async () => {
    const sequence = async (seed: number): Promise<number[]> => {
      const sim = await start({
        portals: [{ domain: A, bucket: { burst: 1000, drainPerSecond: 1 } }],
        faults: { http500Rate: 0.5 },
        seed,
      });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i += 1) statuses.push((await callOAuth(sim, A, 'server.time')).status);
      return statuses;
    };
    const first = await sequence(42);
    expect(await sequence(42)).toEqual(first);
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await sequence(43)).not.toEqual(first);
  });

  it('adds the configured latency to every REST answer', async () => {
    const sim = await start({ portals: [{ domain: A }], latencyMs: 150 });
    let startedAt = performance.now();
    await callOAuth(sim, A, 'server.time');
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(140);
    sim.control.setLatency(0);
    startedAt = performance.now();
    await postJson(`${sim.url}/portal/${A}/rest/server.time.json`, {
      auth: sim.portal(A).currentAccessToken,
    });
    expect(performance.now() - startedAt).toBeLessThan(140);
  });
});
