import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { jsApp } from '../pipeline/support/pipeline-harness.js';
import { seeds, startWaveKit, type WaveKit, wavesOf } from '../waves/support/wave-kit.js';
import { type Browser, launchChromium, logIn } from './support/launch-chromium.js';

const ARTIFACTS = join(import.meta.dirname, '../artifacts');
const TOKEN = 'browser-test-token-0123456789';

let kit: WaveKit | undefined;
let app: FastifyInstance | undefined;
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  browser = undefined;
  await app?.close();
  app = undefined;
  await kit?.close();
  kit = undefined;
});

describe('dashboard in headless Chromium: wave plans and credential health', () => {
  it('shows a halted wave with its reason and failing pair, and the Resume button finishes the plan', async () => {
    // 10 portals in waves of 40% and 100%: one portal of wave 1 is deleted, so wave 1 halts at 25% failed.
    const [wave1 = []] = wavesOf(10, [40, 100]);
    const deleted = wave1[0] ?? '';
    kit = await startWaveKit(seeds(10, [deleted]));
    const k = kit;
    k.h.startWorker();
    k.startController();
    const plan = await k.createPlan([jsApp('echo')], [40, 100]);
    await k.untilState(plan.id, ['halted']);

    app = await buildApi(k.h.runtime, { host: '127.0.0.1', token: TOKEN });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    const { page, pageErrors } = browser;
    await logIn(page, base, TOKEN);

    // The panel appears once a plan exists: the plan, its state, the reason and the failing pair.
    const panel = page.locator('#waves');
    await panel.waitFor({ state: 'visible', timeout: 10_000 });
    const row = panel.locator('#wave-rows tr', { hasText: plan.id });
    await expect
      .poll(async () => await row.textContent(), { timeout: 10_000 })
      .toContain('halted · wave 1/2');
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('wave 1 of 2: 1 of 4 pairs failed (25%, above --halt-failures 5%)');
    expect(text).toContain(`${deleted} echo: PORTAL_DELETED`);
    expect(text).toContain('wave 2 (6 portals): not started');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-waves-halted.png'), fullPage: true });

    // Resume from the browser: wave 2 starts and the plan ends done, which the panel then shows.
    await row.getByRole('button', { name: 'Resume' }).click();
    await k.untilState(plan.id, ['done']);
    await expect.poll(async () => await row.textContent(), { timeout: 15_000 }).toContain('done · wave 2/2');
    expect(await row.getByRole('button').count()).toBe(0);
    // Done: its definition is the stable one, what new installs get (docs/waves.md, "Stable definitions").
    expect(await row.textContent()).toContain('stable: echo');
    const apps = panel.locator('#app-rows tr', { hasText: 'echo' });
    await expect.poll(async () => await apps.textContent(), { timeout: 15_000 }).toContain(`from ${plan.id}`);
    expect(await apps.textContent()).toContain('none');

    // The credential panel counts the simulator's OAuth portals.
    await expect
      .poll(async () => Number(await page.textContent('#cred-oauth')), { timeout: 15_000 })
      .toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
