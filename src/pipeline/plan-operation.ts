import type { PairResult } from '../results/pair-result.js';

export type Operation = 'register' | 'update' | 'unregister';

export const METHOD_OF: Record<Operation, string> = {
  register: 'imbot.app.register',
  update: 'imbot.app.update',
  unregister: 'imbot.app.unregister',
};

/**
 * Which call brings the portal to what was asked: register when the pair holds no APP_ID, update when it
 * holds one with another definition (bitrix24-facts.md: `imbot.app.update` on the stored APP_ID instead of a
 * second register, which would create a duplicate), unregister when the app should be gone. Undefined: nothing to do.
 */
export function planOperation(result: PairResult): Operation | undefined {
  if (result.desired === 'absent') return result.appId === null ? undefined : 'unregister';
  if (result.desiredDefHash === undefined) return undefined;
  if (result.appId === null) return 'register';
  return result.appliedDefHash === result.desiredDefHash ? undefined : 'update';
}
