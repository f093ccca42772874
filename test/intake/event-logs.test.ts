import { afterEach, describe, expect, it } from 'vitest';
import { sendAppEvent } from '../../src/simulator/send-app-event.js';
import { captureLogger } from '../api/support/capture-logger.js';
import { jsApp } from '../pipeline/support/pipeline-harness.js';
import { type IntakeHarness, startIntakeHarness } from './support/intake-harness.js';

let h: IntakeHarness | undefined;
afterEach(async () => {
  await h?.closeAll();
  h = undefined;
});

describe('application event logs', () => {
  it('name the events and refusals but never a token or application_token', async () => {
    const capture = captureLogger();
    h = await startIntakeHarness({ portals: [{ domain: 'a.sim.test' }] }, {}, { logger: capture.logger });
    await h.rollout([jsApp('echo')], h.portals());
    const install = h.sim.appEvent('a.sim.test', 'install');
    const secrets = Object.entries(install['auth'] as Record<string, string>)
      .filter(([key]) => ['access_token', 'refresh_token', 'application_token'].includes(key))
      .map(([, value]) => value);
    expect(secrets).toHaveLength(3);
    expect((await sendAppEvent(h.eventsUrl, install)).status).toBe(200);
    const forged = {
      ...install,
      auth: { ...(install['auth'] as object), application_token: 'forged-app-token-1234' },
    };
    expect((await sendAppEvent(h.eventsUrl, forged)).status).toBe(403);
    const uninstall = h.sim.appEvent('a.sim.test', 'uninstall');
    expect((await sendAppEvent(h.eventsUrl, uninstall)).status).toBe(200);

    const lines = capture.lines();
    expect(lines).toContain('install event: portal stored');
    expect(lines).toContain('application event refused');
    expect(lines).toContain('uninstall event: portal uninstalled');
    for (const secret of [...secrets, 'forged-app-token-1234']) expect(lines).not.toContain(secret);
  });
});
