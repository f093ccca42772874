import { applyAppUpdate } from './apply-app-update.js';
import type { ChatAppError } from './chat-app-error.js';
import { appColumnsOf, fitsAppTable } from './fits-app-table.js';
import { phpArrayKey } from './php-values.js';
import { phpVarExport } from './php-var-export.js';
import { planRegister } from './plan-register.js';
import type { SimPortal } from './sim-portal.js';
import type { SimApp, SimulatorStats } from './simulator-types.js';

/** What a chat-app method needs from the simulator. */
export interface ChatAppContext {
  readonly stats: SimulatorStats;
  /** false: register always inserts (a server without get-or-create), see SimulatorOptions.registerDeduplicates. */
  readonly registerDeduplicates: boolean;
  nextAppId(): number;
  now(): number;
}

export type MethodResult = { ok: true; result: unknown } | { ok: false; error: ChatAppError };

/** Parameters that are transport, not part of the application (keys already upper-cased). */
const META_PARAMS = new Set(['AUTH', 'CLIENT_ID']);

/**
 * PHP `array_change_key_case($params, CASE_UPPER)`, which every chat-app method starts with: 'bot_id' is BOT_ID.
 * Keys of nested values (FIELDS, LANG entries) are left as they are, as on the server.
 */
export function upperCaseKeys(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    const upper = key.toUpperCase();
    if (upper !== '__PROTO__') out[upper] = value;
  }
  return out;
}

/** The parameters kept in SimApp.params (deprecated view): without transport parameters. */
function appParams(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if (!META_PARAMS.has(key)) out[key] = structuredClone(value);
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(code: string, description: string): MethodResult {
  return { ok: false, error: { code, description } };
}

/**
 * Finds APP_ID on the portal and checks the owner (im source, `appUpdate` / `appUnRegister`:
 * `isset($apps[$arParams['APP_ID']])` on the list of apps keyed by id). The id is read as PHP reads an array
 * key (phpArrayKey): "17" and 17.9 find app 17, `true` finds app 1, " 17" or "017" find nothing, and an array
 * (what a batch reference to a failed command becomes, docs/bitrix24.md "Batch") throws PhpFatalError.
 */
function ownedApp(portal: SimPortal, owner: string, appIdParam: unknown): SimApp | MethodResult {
  const appId = phpArrayKey(appIdParam);
  const app = typeof appId === 'number' ? portal.apps.get(appId) : undefined;
  if (app === undefined) return fail('CHAT_APP_ID_ERROR', 'App not found');
  if (app.ownerClientId !== owner)
    return fail('APP_ID_ERROR', 'App was installed by another rest application');
  return app;
}

function isApp(value: SimApp | MethodResult): value is SimApp {
  return 'appId' in value;
}

function findByBotAndCode(portal: SimPortal, botId: number, code: string): SimApp | undefined {
  for (const app of portal.apps.values()) {
    if (app.fields.BOT_ID === botId && app.fields.CODE === code) return app;
  }
  return undefined;
}

/**
 * imbot.app.register (docs/bitrix24.md, "Register is get-or-create" and "What the server checks on register"):
 * the checks of planRegister; then, as `\Bitrix\Im\App::register` does, an app the portal already holds with the
 * same BOT_ID and CODE is returned as it is, its APP_ID as a string (the cached row's ID) — counted in
 * `registerExisting`; else the columns are checked (too long: WRONG_REQUEST whose description dumps every field,
 * HASH included, as the real server does) and a new app is inserted, its APP_ID a number.
 * With `registerDeduplicates: false` every register inserts, and a repeated (BOT_ID, CODE) counts in `duplicates`.
 * `origin: 'seed'` creates a portal's starting apps: nothing is counted.
 */
export function registerChatApp(
  context: ChatAppContext,
  portal: SimPortal,
  owner: string,
  rawParams: Record<string, unknown>,
  origin: SimApp['origin'] = 'register',
): MethodResult {
  const params = upperCaseKeys(rawParams);
  const plan = planRegister(params, { id: portal.botId, owner: portal.botOwner }, owner, portal.memberId);
  if ('code' in plan) return { ok: false, error: plan };
  const existing = findByBotAndCode(portal, plan.fields.BOT_ID, plan.fields.CODE);
  if (existing !== undefined && context.registerDeduplicates) {
    if (origin === 'register') {
      context.stats.registerExisting += 1;
      portal.registerExisting += 1;
    }
    return { ok: true, result: String(existing.appId) };
  }
  const columns = { ...appColumnsOf(plan.fields), CONTEXT: plan.fields.CONTEXT, HASH: plan.fields.HASH };
  if (!fitsAppTable({ ...columns, CODE: plan.fields.CODE, APP_ID: owner })) {
    return fail('WRONG_REQUEST', `App can't be registered${phpVarExport(plan.dump)}`);
  }
  const app: SimApp = {
    appId: context.nextAppId(),
    botId: plan.fields.BOT_ID,
    code: plan.fields.CODE,
    ownerClientId: owner,
    origin,
    fields: plan.fields,
    updates: 0,
    params: appParams(params),
    createdAt: context.now(),
  };
  portal.apps.set(app.appId, app);
  if (origin === 'register') {
    context.stats.registrations += 1;
    if (existing !== undefined) {
      context.stats.duplicates += 1;
      portal.duplicates += 1;
    }
  }
  return { ok: true, result: app.appId };
}

/**
 * imbot.app.update (docs/bitrix24.md, "Update"): CHAT_APP_ID_ERROR for an id the portal does not hold,
 * APP_ID_ERROR for another application's app, IFRAME_HTTPS for a non-https IFRAME; else FIELDS applied as
 * applyAppUpdate describes and `true`, also when nothing changed or a too-long column dropped the row update.
 */
export function updateChatApp(
  context: ChatAppContext,
  portal: SimPortal,
  owner: string,
  rawParams: Record<string, unknown>,
): MethodResult {
  const params = upperCaseKeys(rawParams);
  const found = ownedApp(portal, owner, params['APP_ID']);
  if (!isApp(found)) return found;
  const outcome = applyAppUpdate(found.fields, params['FIELDS']);
  if (!outcome.ok) return { ok: false, error: outcome.error };
  found.fields = outcome.fields;
  found.updates += 1;
  if (outcome.rowWritten && isRecord(params['FIELDS'])) {
    const { BOT_ID: _bot, CODE: _code, ...applied } = appParams(params['FIELDS']);
    Object.assign(found.params, applied);
  }
  context.stats.updates += 1;
  return { ok: true, result: true };
}

/** imbot.app.unregister (docs/bitrix24.md, "Unregister"): removes the app after the same checks as update. */
export function unregisterChatApp(
  context: ChatAppContext,
  portal: SimPortal,
  owner: string,
  rawParams: Record<string, unknown>,
): MethodResult {
  const params = upperCaseKeys(rawParams);
  const found = ownedApp(portal, owner, params['APP_ID']);
  if (!isApp(found)) return found;
  portal.apps.delete(found.appId);
  context.stats.unregistrations += 1;
  return { ok: true, result: true };
}
