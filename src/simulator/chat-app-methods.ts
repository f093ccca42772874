import type { SimPortal } from './sim-portal.js';
import type { SimApp, SimulatorStats } from './simulator-types.js';
import { type ChatAppError, validateChatApp } from './validate-chat-app.js';

/** What a chat-app method needs from the simulator. */
export interface ChatAppContext {
  readonly stats: SimulatorStats;
  nextAppId(): number;
  now(): number;
}

export type MethodResult = { ok: true; result: unknown } | { ok: false; error: ChatAppError };

/** Parameters that are transport, not part of the application. */
const META_PARAMS = new Set(['auth', 'CLIENT_ID']);

const IFRAME_FIELDS = ['IFRAME', 'IFRAME_WIDTH', 'IFRAME_HEIGHT', 'HASH', 'IFRAME_POPUP'];
const JS_FIELDS = ['JS_METHOD', 'JS_PARAM'];

function appParams(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if (!META_PARAMS.has(key) && key !== '__proto__') out[key] = value;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(code: string, description: string): MethodResult {
  return { ok: false, error: { code, description } };
}

/** Finds APP_ID on the portal and checks the owner (bitrix24-facts.md: CHAT_APP_ID_ERROR, APP_ID_ERROR). */
function ownedApp(portal: SimPortal, owner: string, appIdParam: unknown): SimApp | MethodResult {
  const appId = Number(appIdParam);
  const app = Number.isInteger(appId) ? portal.apps.get(appId) : undefined;
  if (app === undefined) return fail('CHAT_APP_ID_ERROR', 'Application not found');
  if (app.ownerClientId !== owner) {
    return fail(
      'APP_ID_ERROR',
      'The chat application does not belong to this rest application. You can only work with chat applications installed within the current rest application',
    );
  }
  return app;
}

function isApp(value: SimApp | MethodResult): value is SimApp {
  return 'appId' in value;
}

/**
 * imbot.app.register (imbot.app.register.txt): validates, then ALWAYS creates a new app with a new global
 * APP_ID. Bitrix24 does not deduplicate (bitrix24-facts.md), so a repeat of BOT_ID + CODE + owner is created too
 * and counted in `duplicates`.
 */
export function registerChatApp(
  context: ChatAppContext,
  portal: SimPortal,
  owner: string,
  params: Record<string, unknown>,
): MethodResult {
  const error = validateChatApp(params, portal.botId);
  if (error !== null) return { ok: false, error };
  const code = String(params['CODE']);
  let duplicate = false;
  for (const app of portal.apps.values()) {
    if (app.botId === portal.botId && app.code === code && app.ownerClientId === owner) duplicate = true;
  }
  const app: SimApp = {
    appId: context.nextAppId(),
    botId: portal.botId,
    code,
    ownerClientId: owner,
    params: appParams(params),
    createdAt: context.now(),
  };
  portal.apps.set(app.appId, app);
  context.stats.registrations += 1;
  if (duplicate) {
    context.stats.duplicates += 1;
    portal.duplicates += 1;
  }
  return { ok: true, result: app.appId };
}

/**
 * imbot.app.update (bitrix24-facts.md): FIELDS merged over the stored params; if FIELDS has JS_METHOD the app
 * becomes a JS command (IFRAME fields dropped), else if it has IFRAME it becomes an IFRAME app; the merged params
 * are validated like register.
 */
export function updateChatApp(
  context: ChatAppContext,
  portal: SimPortal,
  owner: string,
  params: Record<string, unknown>,
): MethodResult {
  const found = ownedApp(portal, owner, params['APP_ID']);
  if (!isApp(found)) return found;
  const fields = params['FIELDS'];
  if (!isRecord(fields)) return fail('WRONG_REQUEST', 'FIELDS must be an object');
  const merged: Record<string, unknown> = { ...found.params };
  const nextFields = appParams(fields);
  if (typeof nextFields['JS_METHOD'] === 'string' && nextFields['JS_METHOD'] !== '') {
    for (const key of IFRAME_FIELDS) delete merged[key];
    for (const key of IFRAME_FIELDS) delete nextFields[key];
  } else if (typeof nextFields['IFRAME'] === 'string' && nextFields['IFRAME'] !== '') {
    for (const key of JS_FIELDS) delete merged[key];
  }
  delete nextFields['BOT_ID'];
  delete nextFields['CODE'];
  Object.assign(merged, nextFields);
  const error = validateChatApp(merged, found.botId);
  if (error !== null) return { ok: false, error };
  found.params = merged;
  context.stats.updates += 1;
  return { ok: true, result: true };
}

/** imbot.app.unregister (bitrix24-facts.md): removes the app after the same checks as update. */
export function unregisterChatApp(
  context: ChatAppContext,
  portal: SimPortal,
  owner: string,
  params: Record<string, unknown>,
): MethodResult {
  const found = ownedApp(portal, owner, params['APP_ID']);
  if (!isApp(found)) return found;
  portal.apps.delete(found.appId);
  context.stats.unregistrations += 1;
  return { ok: true, result: true };
}
