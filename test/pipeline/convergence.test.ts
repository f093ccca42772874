import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type AppDefinition, appDefinitionSchema } from '../../src/apps/app-definition-schema.js';
import { InputError } from '../../src/input/input-error.js';
import { expectPortalsHold } from './support/expect-portals-hold.js';
import { type Harness, iframeApp, jsApp, startHarness } from './support/pipeline-harness.js';

/**
 * The convergence rule (README, "How a pair converges"; docs/bitrix24.md): register is get-or-create, so every
 * register is followed by an update with the whole definition, and a portal ends up holding exactly what was
 * defined, whatever it held before and however many answers were lost on the way.
 */
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const PNG = readFileSync(new URL('../../examples/icons/echo.png', import.meta.url)).toString('base64');
/** The same 16x16 PNG with one more (ignored) byte at the end: another icon as far as the server is concerned. */
const OTHER_PNG = Buffer.concat([Buffer.from(PNG, 'base64'), Buffer.from([0])]).toString('base64');

function define(raw: Record<string, unknown>): AppDefinition {
  return appDefinitionSchema.parse(raw);
}

/** Every portal holds exactly one app per CODE, with exactly the defined fields, under the stored APP_ID. */

const MODES = [
  ['single calls', { enabled: false, maxCommands: 50, maxBytes: 1_048_576 }],
  ['batch requests', { enabled: true, maxCommands: 50, maxBytes: 1_048_576 }],
] as const;

describe.each(MODES)(
  'convergence with %s: the portal ends up holding exactly the definition',
  (mode, batch) => {
    it('adopts an outdated app that already exists: keeps its APP_ID and brings every field up to date', async () => {
      const outdated = {
        CODE: 'echo',
        JS_METHOD: 'PUT',
        JS_PARAM: '/old',
        CONTEXT: 'ALL',
        EXTRANET_SUPPORT: 'Y',
        LANG: [
          { LANGUAGE_ID: 'en', TITLE: 'Old title', DESCRIPTION: 'old' },
          { LANGUAGE_ID: 'de', TITLE: 'Alter Titel' },
        ],
      };
      harness = await startHarness(
        {
          portals: [{ domain: 'old.sim.test', apps: [outdated] }, { domain: 'new.sim.test' }],
        },
        { batch },
      );
      const before = harness.sim.portal('old.sim.test').apps;
      expect(before.map((a) => a.code)).toEqual(['echo']);
      harness.startWorker();
      const echo = jsApp('echo');
      const summary = await harness.rollout([echo]);
      expect(await harness.settle(summary.pairs)).toMatchObject({ registered: 2, pending: 0 });

      await expectPortalsHold(harness, [echo]);
      expect((await harness.runtime.results.get('old.sim.test', 'echo'))?.appId).toBe(before[0]?.appId);
      const stats = harness.sim.stats();
      expect(stats.registerExisting).toBe(1);
      expect(stats.duplicates).toBe(0);
      // register, then update, on each portal: exactly that sequence, nothing more (in one request per portal
      // when batched).
      expect(stats.callsByMethod).toEqual({
        'imbot.app.register': 2,
        'imbot.app.update': 2,
        ...(mode === 'batch requests' ? { batch: 2 } : {}),
      });
      expect(
        (await harness.runtime.results.history('old.sim.test', 'echo')).map((r) => [r.op, r.outcome]),
      ).toEqual([
        ['update', 'ok'],
        ['register', 'ok'],
      ]);
      expect((await harness.runtime.results.get('old.sim.test', 'echo'))?.attempts).toBe(1);
    });

    it('loses no pair to lost answers: no pair flagged, no second app, every field as defined', async () => {
      harness = await startHarness(
        { portals: 12, seed: 31, faults: { dropAfterWorkRate: 0.3 } },
        { retry: { maxAttempts: 15, baseDelayMs: 20, maxDelayMs: 100, jitter: 0.2 }, batch },
      );
      const apps = [jsApp('echo'), jsApp('help', '/help me'), iframeApp('panel')];
      harness.startWorker(10);
      const summary = await harness.rollout(apps);
      const counts = await harness.settle(summary.pairs, 30_000);
      expect(counts).toMatchObject({ total: 36, registered: 36, failed: 0, pending: 0 });
      const stats = harness.sim.stats();
      expect(stats.injected.dropped).toBeGreaterThan(0);
      // Registers whose answer was lost were sent again and returned the app they had made.
      expect(stats.registerExisting).toBeGreaterThan(0);
      expect(stats.duplicates).toBe(0);
      await expectPortalsHold(harness, apps);
    }, 40_000);

    it('applies a HIDDEN flip with update and keeps the APP_ID', async () => {
      harness = await startHarness({ portals: 2, seed: 12 }, { batch });
      harness.startWorker();
      const visible = iframeApp('panel');
      const first = await harness.rollout([visible]);
      await harness.settle(first.pairs);
      const ids = await harness.runtime.results.getMany(first.pairs);

      const hidden = define({ ...visible, HIDDEN: 'Y' });
      const second = await harness.rollout([hidden]);
      expect(second.counts).toMatchObject({ queued: 2 });
      await harness.settle(second.pairs);
      await expectPortalsHold(harness, [hidden]);
      const after = await harness.runtime.results.getMany(first.pairs);
      expect(after.map((r) => r?.appId)).toEqual(ids.map((r) => r?.appId));
      expect(harness.sim.stats().callsByMethod['imbot.app.unregister'] ?? 0).toBe(0);
    });

    it('resets a field removed from the definition to its default (update sends every field)', async () => {
      harness = await startHarness({ portals: 1 }, { batch });
      harness.startWorker();
      const wide = define({
        CODE: 'panel',
        IFRAME: 'https://apps.example.com/iframe.php',
        IFRAME_WIDTH: 600,
        IFRAME_HEIGHT: 400,
        IFRAME_POPUP: 'Y',
        HASH: 'auto',
        LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Panel', DESCRIPTION: 'with a description' }],
      });
      await harness.settle((await harness.rollout([wide])).pairs);
      const plain = define({
        CODE: 'panel',
        IFRAME: 'https://apps.example.com/iframe.php',
        HASH: 'auto',
        LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Panel' }],
      });
      await harness.settle((await harness.rollout([plain])).pairs);
      await expectPortalsHold(harness, [plain]);
      const app = harness.sim.portal(harness.portals()[0]?.domain ?? '').apps[0];
      expect(app?.fields).toMatchObject({ IFRAME_WIDTH: 350, IFRAME_HEIGHT: 250, IFRAME_POPUP: 'N' });
    });

    it('refuses an icon change whole without --recreate, and with it replaces the app (new APP_ID, new icon)', async () => {
      harness = await startHarness({ portals: 2 }, { batch });
      harness.startWorker();
      const iconA = define({
        CODE: 'panel',
        IFRAME: 'https://apps.example.com/iframe.php',
        HASH: 'auto',
        ICON_FILE: PNG,
        LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Panel' }],
      });
      const echo = jsApp('echo');
      const first = await harness.rollout([iconA, echo]);
      await harness.settle(first.pairs);
      const before = await harness.runtime.results.getMany(first.pairs);

      const iconB = define({ ...iconA, ICON_FILE: OTHER_PNG });
      const refused = await harness.rollout([iconB, jsApp('echo', '/changed')]).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(InputError);
      expect((refused as InputError).problems).toEqual([
        expect.objectContaining({
          where: 'apps[CODE=panel].ICON_FILE',
          message: expect.stringContaining('--recreate'),
        }),
      ]);
      // Nothing half-applied: the other app's change was not queued either.
      expect((await harness.runtime.results.countsByState()).pending).toBe(0);
      expect(harness.sim.stats().callsByMethod['imbot.app.update']).toBe(4);

      const replaced = await harness.rollout([iconB, echo], undefined, { recreate: true });
      expect(replaced).toMatchObject({ recreating: 2, counts: { queued: 2, unchanged: 2 } });
      await harness.settle(replaced.pairs);
      await expectPortalsHold(harness, [iconB, echo]);
      const after = await harness.runtime.results.getMany(first.pairs);
      for (const [i, result] of after.entries()) {
        if (result?.code === 'panel') expect(result.appId).not.toBe(before[i]?.appId);
        else expect(result?.appId).toBe(before[i]?.appId);
        expect(result?.recreate).toBe(false);
      }
      expect(harness.sim.stats().callsByMethod['imbot.app.unregister']).toBe(2);
    });

    it('refuses a JS command <-> IFRAME switch without --recreate', async () => {
      harness = await startHarness({ portals: 1 }, { batch });
      harness.startWorker();
      await harness.settle((await harness.rollout([jsApp('echo')])).pairs);
      const switched = iframeApp('echo');
      const refused = await harness.rollout([switched]).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(InputError);
      expect((refused as InputError).problems[0]?.where).toBe('apps[CODE=echo].JS_METHOD/IFRAME');
      const replaced = await harness.rollout([switched], undefined, { recreate: true });
      await harness.settle(replaced.pairs);
      await expectPortalsHold(harness, [switched]);
    });

    it('parks a webhook portal with a wrong webhook code (INVALID_CREDENTIALS) once instead of failing every pair', async () => {
      harness = await startHarness({ portals: [{ domain: 'hook.sim.test', auth: 'webhook' }] }, { batch });
      const [entry] = harness.portals();
      if (entry?.auth.type !== 'webhook') throw new Error('expected a webhook portal');
      const wrong = {
        ...entry,
        auth: { ...entry.auth, url: entry.auth.url.replace(/\/[^/]+\/$/, '/wrongcode0/') },
      };
      harness.startWorker(1);
      const summary = await harness.rollout([jsApp('echo'), jsApp('help'), jsApp('start')], [wrong]);
      expect(await harness.settle(summary.pairs)).toMatchObject({ needs_reauth: 3, failed: 0 });
      expect((await harness.runtime.portals.get('hook.sim.test'))?.state).toBe('needs_reauth');
      expect(await harness.runtime.results.get('hook.sim.test', 'echo')).toMatchObject({
        lastError: { code: 'INVALID_CREDENTIALS' },
      });
      // Parked after the first refusal: the other pairs did not call the portal at all.
      expect(harness.sim.portal('hook.sim.test').calls).toBe(1);
    });
  },
);
