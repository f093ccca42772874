import { createHash } from 'node:crypto';
import { afterEach } from 'vitest';
import type {
  PortalFileEntry,
  SimulatorHandle,
  SimulatorOptions,
} from '../../../src/simulator/simulator-types.js';
import { startSimulator } from '../../../src/simulator/start-simulator.js';

/** A decoded answer body: the Bitrix24 and OAuth fields the tests read, plus anything else. */
export interface AnswerJson {
  [key: string]: unknown;
  result?: unknown;
  time?: unknown;
  error?: unknown;
  error_description?: unknown;
  access_token?: unknown;
  refresh_token?: unknown;
  expires_in?: unknown;
  domain?: unknown;
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
  json: AnswerJson;
}

/** Starts simulators for a test file and stops every one of them after each test. */
export function useSimulators(): (options: SimulatorOptions) => Promise<SimulatorHandle> {
  const open: SimulatorHandle[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((sim) => sim.stop()));
  });
  return async (options) => {
    const sim = await startSimulator(options);
    open.push(sim);
    return sim;
  };
}

async function toAnswer(response: Response): Promise<Answer> {
  const text = await response.text();
  let json: AnswerJson = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) json = parsed as AnswerJson;
  } catch {
    json = {};
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, json };
}

export async function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, {
    ...init,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return await toAnswer(response);
}

export async function postForm(url: string, body: string): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return await toAnswer(response);
}

export async function getJson(url: string): Promise<Answer> {
  return await toAnswer(await fetch(url));
}

export function entryOf(sim: SimulatorHandle, domain: string): PortalFileEntry {
  const entry = sim.portalsFile().find((candidate) => candidate.domain === domain);
  if (entry === undefined) throw new Error(`no portals-file entry for ${domain}`);
  return entry;
}

/** Calls `method` on an OAuth portal with its current access token (or `auth` if given). */
export async function callOAuth(
  sim: SimulatorHandle,
  domain: string,
  method: string,
  params: Record<string, unknown> = {},
  auth?: string,
): Promise<Answer> {
  const token = auth ?? sim.portal(domain).currentAccessToken;
  return await postJson(`${sim.url}/portal/${domain}/rest/${method}.json`, { ...params, auth: token });
}

/**
 * Calls `method` through a webhook portal's URL from the portals file, with the entry's CLIENT_ID unless
 * `params` has a CLIENT_ID key of its own (`CLIENT_ID: undefined` sends none).
 */
export async function callWebhook(
  sim: SimulatorHandle,
  domain: string,
  method: string,
  params: Record<string, unknown> = {},
): Promise<Answer> {
  const entry = entryOf(sim, domain);
  if (entry.auth.type !== 'webhook') throw new Error(`${domain} is not a webhook portal`);
  const body = 'CLIENT_ID' in params ? params : { CLIENT_ID: entry.auth.clientId, ...params };
  return await postJson(`${entry.auth.url}${method}.json`, body);
}

export const VALID_HASH = 'd1ab17949a572b0979d8db0d5b349cd2';

/** The HASH the server gives a JS app registered without one: md5(BOT_ID . CODE . server id) (memberId here). */
export function serverJsHash(botId: number, code: string, memberId: string): string {
  return createHash('md5').update(`${botId}${code}${memberId}`).digest('hex');
}

/** A PNG header of `width` x `height`, base64 (enough for the server's image check). */
export function pngBase64(width = 16, height = 16): string {
  const data = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(data, 0);
  data.writeUInt32BE(13, 8);
  data.write('IHDR', 12, 'latin1');
  data.writeUInt32BE(width, 16);
  data.writeUInt32BE(height, 20);
  return data.toString('base64');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function jsApp(botId: number, code = 'echo'): Record<string, unknown> {
  return {
    BOT_ID: botId,
    CODE: code,
    JS_METHOD: 'SEND',
    JS_PARAM: '/help',
    CONTEXT: 'BOT',
    LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Echobot BUTTON', DESCRIPTION: 'Send help command' }],
  };
}

export function iframeApp(botId: number, code = 'frame'): Record<string, unknown> {
  return {
    BOT_ID: botId,
    CODE: code,
    IFRAME: 'https://marta.bitrix.com/iframe/echo.php',
    IFRAME_WIDTH: '350',
    IFRAME_HEIGHT: '150',
    HASH: VALID_HASH,
    HIDDEN: 'N',
    LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Echobot IFRAME', DESCRIPTION: 'Open Echobot IFRAME app' }],
  };
}

/** A controllable clock for the simulator's `now` option. */
export function manualClock(startMs = Date.parse('2025-03-01T12:00:00Z')): {
  now: () => number;
  advance: (ms: number) => void;
} {
  let current = startMs;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
  };
}
