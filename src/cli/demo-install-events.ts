import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/build-api.js';
import { APP_EVENTS_PATH } from '../api/routes/app-event-routes.js';
import type { Runtime } from '../runtime/create-runtime.js';
import { sendAppEvent } from '../simulator/send-app-event.js';
import type { SimulatorHandle } from '../simulator/start-simulator.js';
import { waitForRollout } from './wait-for-rollout.js';

/** The event endpoint (`serve`'s POST /bitrix24/events) on a free loopback port, for the demo. */
export interface DemoEventEndpoint {
  url: string;
  close(): Promise<void>;
}

export async function serveDemoEvents(runtime: Runtime): Promise<DemoEventEndpoint> {
  const api: FastifyInstance = await buildApi(runtime, { host: '127.0.0.1', token: undefined });
  await api.listen({ host: '127.0.0.1', port: 0 });
  const address = api.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}${APP_EVENTS_PATH}`, close: async () => await api.close() };
}

/**
 * Lets the simulator deliver ONAPPINSTALL for `domain`, sent again (like Bitrix24) while the handler cannot verify
 * the install yet (injected faults). Returns the CODEs it queued, or undefined when it was not handled.
 */
export async function deliverDemoInstall(
  url: string,
  simulator: SimulatorHandle,
  domain: string,
  options: { replay?: boolean } = {},
): Promise<{ codes: string[]; replayIgnored: boolean } | undefined> {
  const event = simulator.appEvent(domain, 'install');
  let answer = await sendAppEvent(url, event);
  for (let attempt = 1; attempt < 5 && (answer.status === 503 || answer.status === 409); attempt++)
    answer = await sendAppEvent(url, event);
  const body = answer.body as { ok?: boolean; apps?: string[] };
  if (answer.status !== 200 || body.ok !== true) return undefined;
  let replayIgnored = false;
  if (options.replay) {
    const again = await sendAppEvent(url, event);
    replayIgnored = (again.body as { duplicate?: boolean }).duplicate === true;
  }
  return { codes: body.apps ?? [], replayIgnored };
}

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
  const endpoint = await serveDemoEvents(runtime);
  try {
    const pairs: { domain: string; code: string }[] = [];
    let added = 0;
    let replayed = 0;
    for (const [index, domain] of domains.entries()) {
      const delivered = await deliverDemoInstall(endpoint.url, simulator, domain, { replay: index === 0 });
      if (!delivered) continue;
      added++;
      for (const code of delivered.codes) pairs.push({ domain, code });
      if (delivered.replayIgnored) replayed++;
    }
    const final = await waitForRollout(runtime.results, pairs, { stream: process.stderr });
    return [
      ['install events: portals added by ONAPPINSTALL', `${added} of ${domains.length}`],
      ['install events: replayed event ignored', `${replayed} of 1`],
      ['install events: their apps registered', `${final.registered} of ${pairs.length}`],
    ];
  } finally {
    await endpoint.close();
  }
}
