import { buildApi } from '../api/build-api.js';
import { APP_EVENTS_PATH } from '../api/routes/app-event-routes.js';
import type { Runtime } from '../runtime/create-runtime.js';
import { sendAppEvent } from '../simulator/send-app-event.js';
import type { SimulatorHandle } from '../simulator/start-simulator.js';
import { waitForRollout } from './wait-for-rollout.js';

/**
 * The demo's install events (docs/install-events.md): serves the event endpoint on a free loopback port, lets
 * the simulator deliver ONAPPINSTALL for `domains` (portals the rollout did not import), delivers the first one
 * again (a replay changes nothing), waits for their apps and returns summary rows.
 */
export async function demoInstallEvents(
  runtime: Runtime,
  simulator: SimulatorHandle,
  domains: readonly string[],
): Promise<string[][]> {
  if (domains.length === 0) return [];
  const api = await buildApi(runtime, { host: '127.0.0.1', token: undefined });
  try {
    await api.listen({ host: '127.0.0.1', port: 0 });
    const address = api.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const url = `http://127.0.0.1:${port}${APP_EVENTS_PATH}`;
    const pairs: { domain: string; code: string }[] = [];
    let added = 0;
    let replayed = 0;
    for (const [index, domain] of domains.entries()) {
      const event = simulator.appEvent(domain, 'install');
      // Like Bitrix24, send again when the handler could not verify the install yet (injected faults).
      let answer = await sendAppEvent(url, event);
      for (let attempt = 1; attempt < 5 && (answer.status === 503 || answer.status === 409); attempt++)
        answer = await sendAppEvent(url, event);
      const body = answer.body as { ok?: boolean; apps?: string[] };
      if (answer.status !== 200 || body.ok !== true) continue;
      added++;
      for (const code of body.apps ?? []) pairs.push({ domain, code });
      if (index === 0) {
        const again = await sendAppEvent(url, event);
        if ((again.body as { duplicate?: boolean }).duplicate === true) replayed++;
      }
    }
    const final = await waitForRollout(runtime.results, pairs, { stream: process.stderr });
    return [
      ['install events: portals added by ONAPPINSTALL', `${added} of ${domains.length}`],
      ['install events: replayed event ignored', `${replayed} of 1`],
      ['install events: their apps registered', `${final.registered} of ${pairs.length}`],
    ];
  } finally {
    await api.close();
  }
}
