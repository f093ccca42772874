import { afterEach, describe, expect, it } from 'vitest';
import { type AppDefinition, appDefinitionSchema } from '../../src/apps/app-definition-schema.js';
import { computeRolloutPlan } from '../../src/plan/compute-rollout-plan.js';
import type { PlanEntry } from '../../src/plan/plan-summary.js';
import type { PlanAction } from '../../src/plan/predict-pair-action.js';
import { type Harness, iframeApp, jsApp, startHarness } from '../pipeline/support/pipeline-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** An outdated echo the simulator seeds on some portals before any rollout (adopted by register). */
const OUTDATED_ECHO = {
  CODE: 'echo',
  JS_METHOD: 'SEND',
  JS_PARAM: '/old',
  LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Old title' }],
};

function echoV2(): AppDefinition {
  return appDefinitionSchema.parse({
    CODE: 'echo',
    JS_METHOD: 'SEND',
    JS_PARAM: '/start',
    CONTEXT: 'BOT',
    LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Echo, new title', DESCRIPTION: 'Test command' }],
  });
}

/** `switch` as an IFRAME app: a JS command before, which update cannot turn into an IFRAME app. */
function switchV2(): AppDefinition {
  return { ...iframeApp('switch') };
}

/** What the rollout did to a pair: from the operations its history gained and the state it ended in. */
function didAction(ops: readonly string[], state: string | undefined): PlanAction | string {
  if (ops.includes('unregister') && ops.includes('register')) return 'recreate';
  if (ops.includes('register')) return 'register';
  if (ops.includes('update')) return 'update';
  if (ops.length === 0 && state === 'registered') return 'unchanged';
  if (ops.length === 0 && state === 'needs_reauth') return 'blocked';
  return `ops [${ops.join(',')}] ending ${state}`;
}

describe('a plan against the rollout it describes (real Redis, real simulator)', () => {
  it('predicts for every pair what the rollout then does, adoption of seeded apps named as possible', async () => {
    harness = await startHarness({
      portals: 10,
      seed: 21,
      preexisting: { share: 0.5, apps: [OUTDATED_ECHO] },
    });
    const h = harness;
    const all = h.portals();
    const first = all.slice(0, 6);
    h.startWorker();
    // Version 1 on six portals: echo, panel and switch (a JS command) registered and up to date.
    const v1 = [jsApp('echo', '/help'), iframeApp('panel'), jsApp('switch')];
    await h.settle((await h.rollout(v1, first)).pairs);
    // One portal parked for re-authorisation, one whose application was uninstalled.
    const [parked, uninstalled] = [all[1]?.domain ?? '', all[4]?.domain ?? ''];
    await h.runtime.portals.markNeedsReauth(parked, 'test: refresh token revoked');
    await h.runtime.portals.markUninstalled(uninstalled, 'test: ONAPPUNINSTALL');
    // The portals file of version 2 is the stored entries, so importing it brings no new credentials.
    const v2 = [echoV2(), iframeApp('panel'), switchV2(), jsApp('help', '/help me')];

    const predicted: PlanEntry[] = [];
    const summary = await computeRolloutPlan(
      { apps: v2, portals: all, recreate: true, replace: false },
      h.runtime,
      (entry) => {
        predicted.push(entry);
      },
    );
    expect(summary.pairs).toBe(40);
    expect(predicted).toHaveLength(40);
    const historyBefore = new Map<string, number>();
    for (const p of predicted)
      historyBefore.set(`${p.domain}|${p.code}`, (await h.runtime.results.history(p.domain, p.code)).length);

    const rollout = await h.rollout(v2, all, { recreate: true });
    await h.settle(rollout.pairs);

    const mismatches: string[] = [];
    let adopted = 0;
    const actions = new Map<PlanAction, number>();
    for (const p of predicted) {
      const history = await h.runtime.results.history(p.domain, p.code);
      const gained = history.length - (historyBefore.get(`${p.domain}|${p.code}`) ?? 0);
      const ops = history
        .slice(0, gained)
        .filter((r) => r.outcome === 'ok')
        .map((r) => r.op);
      const result = await h.runtime.results.get(p.domain, p.code);
      const did = didAction(ops, result?.state);
      actions.set(p.action, (actions.get(p.action) ?? 0) + 1);
      if (did !== p.action) mismatches.push(`${p.domain} ${p.code}: planned ${p.action}, did ${did}`);
      if (p.action === 'update' && p.code === 'echo')
        expect(p.fields).toEqual(['JS_PARAM', 'LANG[en].TITLE']);
      if (p.action === 'recreate') expect(p.recreateReason).toBe('kind');
      // An app the portal already held, handed back by register: the plan named that register as a possible adoption.
      const app = h.sim.portal(p.domain).apps.find((a) => a.code === p.code);
      if (did === 'register' && app?.origin === 'seed') {
        adopted++;
        expect(p.adoption, `${p.domain} ${p.code} adopted`).toBe(true);
      }
    }
    expect(mismatches).toEqual([]);
    // Every kind of prediction the plan can make without a refusal was exercised.
    for (const action of ['register', 'update', 'recreate', 'unchanged', 'blocked'] as const)
      expect(actions.get(action), action).toBeGreaterThan(0);
    // panel is unchanged on both (registered with this definition: REQUEST_PRESENT leaves it, parked or not).
    expect(summary.blocked).toEqual({ needs_reauth: 3, uninstalled: 3 });
    expect(adopted).toBeGreaterThan(0);
  });
});
