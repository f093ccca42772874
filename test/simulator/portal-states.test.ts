import { describe, expect, it } from 'vitest';
import { callOAuth, callWebhook, jsApp, manualClock, useSimulators } from './support/sim-test-kit.js';

const start = useSimulators();
const A = 'a.sim.test';

describe('portal states', () => {
  it('answers 500 PORTAL_DELETED for a portal seeded as deleted', async () => {
    const sim = await start({ portals: [{ domain: A, state: 'deleted' }] });
    const answer = await callOAuth(sim, A, 'server.time');
    expect(answer.status).toBe(500);
    expect(answer.json).toEqual({ error: 'PORTAL_DELETED', error_description: expect.any(String) });
  });

  it('answers PORTAL_DELETED after control.deletePortal, even for webhooks', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 3, auth: 'webhook' }] });
    expect((await callWebhook(sim, A, 'imbot.app.register', jsApp(3))).status).toBe(200);
    sim.control.deletePortal(A);
    const answer = await callWebhook(sim, A, 'imbot.app.register', jsApp(3));
    expect(answer.status).toBe(500);
    expect(answer.json.error).toBe('PORTAL_DELETED');
    expect(sim.portal(A).state).toBe('deleted');
  });

  it('answers 503 OVERLOAD_LIMIT for an overloaded portal', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    sim.control.setState(A, 'overloaded');
    const answer = await callOAuth(sim, A, 'server.time');
    expect(answer.status).toBe(503);
    expect(answer.json.error).toBe('OVERLOAD_LIMIT');
    sim.control.setState(A, 'active');
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(200);
  });

  it('answers 403 ACCESS_DENIED for a portal without REST access', async () => {
    const sim = await start({ portals: [{ domain: A, state: 'access_denied' }] });
    const answer = await callOAuth(sim, A, 'server.time');
    expect(answer.status).toBe(403);
    expect(answer.json.error).toBe('ACCESS_DENIED');
  });

  it('answers 429 OPERATION_TIME_LIMIT for the blocked method until its reset time', async () => {
    const clock = manualClock();
    const sim = await start({ portals: [{ domain: A, botId: 3 }], now: clock.now });
    const resetAt = Math.floor(clock.now() / 1000) + 120;
    sim.control.setOperationTimeLimit(A, 'imbot.app.register', resetAt);
    const blocked = await callOAuth(sim, A, 'imbot.app.register', jsApp(3));
    expect(blocked.status).toBe(429);
    expect(blocked.json.error).toBe('OPERATION_TIME_LIMIT');
    expect(blocked.json.time).toMatchObject({ operating_reset_at: resetAt });
    expect(sim.portal(A).apps).toEqual([]);
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(200);
    clock.advance(120_000);
    expect((await callOAuth(sim, A, 'imbot.app.register', jsApp(3))).status).toBe(200);
  });

  it('throws for an unknown domain in the handle', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    expect(() => sim.portal('missing.sim.test')).toThrow(
      expect.objectContaining({ name: 'UnknownPortalError' }),
    );
    expect(() => sim.control.deletePortal('missing.sim.test')).toThrow(/missing\.sim\.test/);
  });
});
