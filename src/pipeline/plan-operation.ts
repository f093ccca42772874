import type { PairResult } from '../store/pair-result.js';

export type Operation = 'register' | 'update' | 'unregister';

export const METHOD_OF: Record<Operation, string> = {
  register: 'imbot.app.register',
  update: 'imbot.app.update',
  unregister: 'imbot.app.unregister',
};

/**
 * Which call brings the portal one step closer to what was asked (docs/bitrix24.md, "Register is get-or-create"
 * and "Update"):
 * - register when the pair holds no APP_ID. Register is get-or-create by (BOT_ID, CODE), so it may return an
 *   app that already existed with other fields: it leaves the pair without a known applied definition, and the
 *   next step is therefore always an update;
 * - update when the portal's fields are not known to match the wanted definition (after every register, and
 *   after a definition change): update applies every field the definition states;
 * - unregister when the app should be gone, or must be replaced (`recreate`: an icon change or a JS <-> IFRAME
 *   switch, which update cannot apply); a register follows then.
 * Undefined: nothing to do.
 */
export function planOperation(result: PairResult): Operation | undefined {
  if (result.desired === 'absent') return result.appId === null ? undefined : 'unregister';
  if (result.desiredDefHash === undefined) return undefined;
  if (result.appId === null) return 'register';
  if (result.recreate) return 'unregister';
  return result.appliedDefHash === result.desiredDefHash ? undefined : 'update';
}
