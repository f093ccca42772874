import { afterEach, describe, expect, it } from 'vitest';
import { sendAppEvent } from '../../src/simulator/send-app-event.js';
import { captureLogger } from '../api/support/capture-logger.js';
import { type IntakeHarness, startIntakeHarness } from './support/intake-harness.js';

/**
 * Issue 19 item 2, docs/install-events.md "Configuration": the event route stores credentials, so without
 * ROLLOUT_SECRET_KEY it is off (503 not_configured, an error at start) unless
 * ROLLOUT_INSECURE_PLAINTEXT_SECRETS=1, as `rollout` and `worker` refuse to run.
 */
let h: IntakeHarness | undefined;
afterEach(async () => {
  await h?.closeAll();
  h = undefined;
});

describe('the event route and ROLLOUT_SECRET_KEY', () => {
  it('without a key answers 503 not_configured naming ROLLOUT_SECRET_KEY, stores nothing and spends nothing', async () => {
    const capture = captureLogger();
    h = await startIntakeHarness(
      { portals: [{ domain: 'k.sim.test' }] },
      { secrets: {} },
      {
        logger: capture.logger,
      },
    );
    expect(capture.lines()).toContain('ROLLOUT_SECRET_KEY');
    expect(capture.lines()).toContain('"level":50');
    const answer = await sendAppEvent(h.eventsUrl, h.sim.appEvent('k.sim.test', 'install'));
    expect(answer).toMatchObject({ status: 503, body: { error: 'not_configured' } });
    expect((answer.body as { message: string }).message).toContain('ROLLOUT_SECRET_KEY');
    expect((answer.body as { message: string }).message).toContain('ROLLOUT_INSECURE_PLAINTEXT_SECRETS');
    expect(await h.rawPortal('k.sim.test')).toEqual({});
    expect(h.sim.stats().refreshes).toBe(0);
  });

  it('with ROLLOUT_INSECURE_PLAINTEXT_SECRETS=1 takes the install (in plaintext, as asked)', async () => {
    h = await startIntakeHarness(
      { portals: [{ domain: 'k.sim.test' }] },
      { secrets: { insecurePlaintext: true } },
    );
    const answer = await h.sim.sendAppEvent(h.eventsUrl, 'k.sim.test', 'install');
    expect(answer).toMatchObject({ status: 200, body: { ok: true, portal: 'created' } });
  });
});
