import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import {
  type ApplicationBackend,
  type BackendPortalSeed,
  startApplicationBackend,
} from './application-backend.js';
import type { ApplicationBackendOptions } from './application-backend-options.js';
import {
  applyBackendControlAction,
  BackendStateError,
  backendControlActionSchema,
  isBackendAction,
} from './backend-control-action.js';
import { parseRequestParams } from './parse-request-params.js';
import { resolveSimulatorOptions } from './resolve-simulator-options.js';
import { sendAppEvent } from './send-app-event.js';
import { applyControlAction, simControlActionSchema } from './sim-control-action.js';
import { bitrixErrorOutcome, jsonOutcome, type SimOutcome } from './sim-outcome.js';
import { SimulatorConfigError } from './simulator-config-error.js';
import { type RestRequest, SimulatorCore, UnknownPortalError } from './simulator-core.js';

export type { ApplicationBackend, BackendPortalView, BackendStats } from './application-backend.js';
export type { ApplicationBackendOptions, BackendMode } from './application-backend-options.js';
export { DEFAULT_WEBHOOK_CLIENT_ID } from './simulator-core.js';

import type { SimulatorHandle, SimulatorOptions } from './simulator-types.js';

export type {
  AppEventDelivery,
  PortalFileAuth,
  PortalFileEntry,
  SimApp,
  SimAppFields,
  SimAppLang,
  SimBucket,
  SimFaults,
  SimInjectedStats,
  SimPortalSeed,
  SimPortalState,
  SimPortalView,
  SimPreexisting,
  SimulatorControl,
  SimulatorHandle,
  SimulatorOptions,
  SimulatorStats,
  SimYesNo,
} from './simulator-types.js';

import { formatZodIssues } from '../input/format-zod-issues.js';

/** POST /_sim/events: send a portal's install or uninstall event to a URL (the demo and tests). */
const sendEventSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    domain: z.string().min(1),
    event: z.enum(['install', 'update', 'uninstall']),
  })
  .strict();

/** Request bodies above this are refused with 413 (icons are base64, so allow a few MB). */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `/portal/<domain>/rest/<method>.json` or `/portal/<domain>/rest/<user>/<code>/<method>.json`. */
function parseRestPath(pathname: string): Omit<RestRequest, 'params'> | null {
  const parts = pathname.split('/');
  // ['', 'portal', domain, 'rest', ...tail]
  if (parts.length < 5 || parts[3] !== 'rest') return null;
  const tail = parts.slice(4);
  const last = tail[tail.length - 1] ?? '';
  const method = last.endsWith('.json') ? last.slice(0, -'.json'.length) : last;
  if (method === '') return null;
  let domain: string;
  try {
    domain = decodeURIComponent(parts[2] ?? '');
  } catch {
    return null;
  }
  if (tail.length === 1) return { domain, webhook: null, method };
  if (tail.length === 3) return { domain, webhook: { user: tail[0] ?? '', code: tail[1] ?? '' }, method };
  return null;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts the portal simulator: one node:http server acting as many Bitrix24 cloud portals
 * (`/portal/<domain>/rest/...`), their OAuth server (`/oauth/token/`) and an inspection API (`/_sim/...`).
 * SimulatorCore.rest() documents the order of checks and the error codes. Unknown domains answer 404
 * `ERROR_PORTAL_NOT_FOUND` (a simulator-only code: the real cloud has no such answer, the host does not resolve).
 */
export async function startSimulator(options: SimulatorOptions): Promise<SimulatorHandle> {
  const resolved = resolveSimulatorOptions(options);
  const core = new SimulatorCore(resolved);
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;
  let backend: ApplicationBackend | null = null;
  let backendStarting = false;

  /** The current pair of every OAuth portal, as the application's install gave it to its backend. */
  const backendSeeds = (): BackendPortalSeed[] =>
    core.portalsFile().flatMap((entry) =>
      entry.auth.type === 'oauth'
        ? [
            {
              domain: entry.domain,
              restUrl: entry.restUrl,
              memberId: entry.memberId,
              accessToken: entry.auth.accessToken === '' ? null : entry.auth.accessToken,
              refreshToken: entry.auth.refreshToken === '' ? null : entry.auth.refreshToken,
              expiresAt: Date.parse(entry.auth.expiresAt),
            },
          ]
        : [],
    );

  const startBackend = async (options: ApplicationBackendOptions): Promise<ApplicationBackend> => {
    if (backend !== null || backendStarting)
      throw new BackendStateError('an application backend already runs (stopBackend first)');
    backendStarting = true;
    try {
      backend = await startApplicationBackend(options, {
        seeds: backendSeeds(),
        oauth: {
          oauthUrl: `${url}/oauth/token/`,
          clientId: resolved.clientId,
          clientSecret: resolved.clientSecret,
        },
        now: resolved.now,
      });
      return backend;
    } finally {
      backendStarting = false;
    }
  };

  const stopBackend = async (): Promise<void> => {
    const running = backend;
    backend = null;
    await running?.stop();
  };

  const backendView = (): Record<string, unknown> =>
    backend === null
      ? { running: false }
      : { running: true, mode: backend.mode, sourceUrl: backend.sourceUrl, stats: backend.stats() };

  const write = (req: IncomingMessage, res: ServerResponse, outcome: SimOutcome): void => {
    if (outcome.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (res.destroyed || res.writableEnded) return;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(outcome.status, {
      'content-type': outcome.contentType,
      'content-length': Buffer.byteLength(outcome.body),
    });
    res.end(outcome.body);
  };

  const send = (req: IncomingMessage, res: ServerResponse, outcome: SimOutcome): void => {
    if (outcome.delayMs <= 0 || stopping) {
      write(req, res, outcome);
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      write(req, res, outcome);
    }, outcome.delayMs);
    timers.add(timer);
  };

  const inspect = (method: string, pathname: string, body: string): SimOutcome => {
    if (method === 'GET' && pathname === '/_sim/stats') return jsonOutcome(200, core.stats());
    if (method === 'GET' && pathname === '/_sim/backend') return jsonOutcome(200, backendView());
    if (method === 'GET' && pathname.startsWith('/_sim/portals/')) {
      const domain = decodeURIComponent(pathname.slice('/_sim/portals/'.length));
      if (!core.hasPortal(domain))
        return bitrixErrorOutcome(404, 'ERROR_PORTAL_NOT_FOUND', 'Portal not found');
      return jsonOutcome(200, core.publicPortalView(domain));
    }
    if (method === 'POST' && pathname === '/_sim/control') {
      let decoded: unknown;
      try {
        decoded = JSON.parse(body);
      } catch {
        return bitrixErrorOutcome(400, 'INVALID_CONTROL', 'the body must be JSON');
      }
      const parsed = simControlActionSchema.safeParse(decoded);
      if (!parsed.success) {
        const [problem] = formatZodIssues(parsed.error, '', { path: 'dotted' });
        const where = problem === undefined || problem.where === '' ? 'body' : problem.where;
        return bitrixErrorOutcome(400, 'INVALID_CONTROL', `${where}: ${problem?.message ?? 'invalid'}`);
      }
      try {
        applyControlAction(core.control, parsed.data);
      } catch (error) {
        if (error instanceof UnknownPortalError) {
          return bitrixErrorOutcome(404, 'ERROR_PORTAL_NOT_FOUND', 'Portal not found');
        }
        throw error;
      }
      return jsonOutcome(200, { ok: true });
    }
    return bitrixErrorOutcome(404, 'NOT_FOUND', 'Unknown simulator endpoint');
  };

  /** POST /_sim/events: builds the portal's event (core.appEvent) and delivers it; answers what the receiver said. */
  const deliverEvent = async (body: string): Promise<SimOutcome> => {
    let decoded: unknown;
    try {
      decoded = JSON.parse(body);
    } catch {
      return bitrixErrorOutcome(400, 'INVALID_CONTROL', 'the body must be JSON');
    }
    const parsed = sendEventSchema.safeParse(decoded);
    if (!parsed.success) {
      const [problem] = formatZodIssues(parsed.error, '', { path: 'dotted' });
      return bitrixErrorOutcome(
        400,
        'INVALID_CONTROL',
        `${problem?.where || 'body'}: ${problem?.message ?? 'invalid'}`,
      );
    }
    let event: Record<string, unknown>;
    try {
      event = core.appEvent(parsed.data.domain, parsed.data.event);
    } catch (error) {
      if (error instanceof UnknownPortalError)
        return bitrixErrorOutcome(404, 'ERROR_PORTAL_NOT_FOUND', 'Portal not found');
      if (error instanceof RangeError) return bitrixErrorOutcome(400, 'INVALID_CONTROL', error.message);
      throw error;
    }
    try {
      return jsonOutcome(200, { delivered: await sendAppEvent(parsed.data.url, event) });
    } catch {
      return bitrixErrorOutcome(502, 'EVENT_NOT_DELIVERED', 'the event handler could not be reached');
    }
  };

  /** POST /_sim/control with a backend action (backend-control-action.ts); null for any other action. */
  const controlBackend = async (body: string): Promise<SimOutcome | null> => {
    let decoded: unknown;
    try {
      decoded = JSON.parse(body);
    } catch {
      return null;
    }
    if (!isBackendAction(decoded)) return null;
    const parsed = backendControlActionSchema.safeParse(decoded);
    if (!parsed.success) {
      const [problem] = formatZodIssues(parsed.error, '', { path: 'dotted' });
      const where = problem === undefined || problem.where === '' ? 'body' : problem.where;
      return bitrixErrorOutcome(400, 'INVALID_CONTROL', `${where}: ${problem?.message ?? 'invalid'}`);
    }
    try {
      return jsonOutcome(200, {
        ok: true,
        ...(await applyBackendControlAction(handleForBackend, parsed.data)),
      });
    } catch (error) {
      if (error instanceof BackendStateError) return bitrixErrorOutcome(409, 'BACKEND_STATE', error.message);
      if (error instanceof SimulatorConfigError)
        return bitrixErrorOutcome(400, 'INVALID_CONTROL', error.message);
      throw error;
    }
  };
  const handleForBackend = { startBackend, stopBackend, backend: () => backend };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const pathname = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = queryAt < 0 ? '' : rawUrl.slice(queryAt + 1);
    const method = req.method ?? 'GET';
    let body: string;
    try {
      body = await readBody(req);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        res.setHeader('connection', 'close');
        write(req, res, bitrixErrorOutcome(413, 'REQUEST_TOO_LARGE', 'The request body is too large'));
        return;
      }
      throw error;
    }
    if (pathname.startsWith('/portal/')) {
      const target = parseRestPath(pathname);
      if (target === null) {
        send(req, res, bitrixErrorOutcome(404, 'NOT_FOUND', 'Expected /portal/<domain>/rest/<method>.json'));
        return;
      }
      const params = parseRequestParams(req.headers['content-type'], body, query);
      if (!params.ok) {
        send(req, res, bitrixErrorOutcome(400, 'INVALID_REQUEST', params.description));
        return;
      }
      send(req, res, core.rest({ ...target, params: params.params }));
      return;
    }
    if (pathname === '/oauth/token/' || pathname === '/oauth/token') {
      const params = parseRequestParams(req.headers['content-type'], body, query);
      send(req, res, params.ok ? core.oauth(params.params) : jsonOutcome(400, { error: 'invalid_request' }));
      return;
    }
    if (method === 'POST' && pathname === '/_sim/events') {
      send(req, res, await deliverEvent(body));
      return;
    }
    if (method === 'POST' && pathname === '/_sim/control') {
      const backendAnswer = await controlBackend(body);
      if (backendAnswer !== null) {
        send(req, res, backendAnswer);
        return;
      }
    }
    if (pathname.startsWith('/_sim/')) {
      send(req, res, inspect(method, pathname, body));
      return;
    }
    send(req, res, bitrixErrorOutcome(404, 'NOT_FOUND', 'Unknown path'));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // A simulator bug or a broken socket: answer 500 if still possible; never log (params may hold tokens).
      write(req, res, bitrixErrorOutcome(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${hostForUrl(resolved.host)}:${address.port}`;
  core.setBaseUrl(url);

  if (options.backend !== undefined) {
    try {
      await startBackend(options.backend);
    } catch (error) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      throw error;
    }
  }

  let stopped: Promise<void> | null = null;
  return {
    url,
    oauthUrl: `${url}/oauth/token/`,
    portalsFile: () => core.portalsFile(),
    stats: () => core.stats(),
    portal: (domain) => core.portalView(domain),
    control: core.control,
    appEvent: (domain, kind) => core.appEvent(domain, kind),
    issueOtherClientTokens: (domain, clientId) => core.issueOtherClientTokens(domain, clientId),
    sendAppEvent: async (target, domain, kind) => await sendAppEvent(target, core.appEvent(domain, kind)),
    startBackend,
    backend: () => backend,
    stopBackend,
    stop: () => {
      if (stopped === null) {
        stopping = true;
        const backendStopped = stopBackend();
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        stopped = backendStopped.then(
          () =>
            new Promise<void>((resolve, reject) => {
              server.close((error) => (error === undefined ? resolve() : reject(error)));
              server.closeAllConnections();
            }),
        );
      }
      return stopped;
    },
  };
}
