import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { type Harness, jsApp, startHarness } from '../pipeline/support/pipeline-harness.js';
import { type Browser, launchChromium, logIn } from './support/launch-chromium.js';

const TOKEN = 'browser-test-token-0123456789';

let harness: Harness | undefined;
let app: FastifyInstance | undefined;
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  browser = undefined;
  await app?.close();
  app = undefined;
  await harness?.close();
  harness = undefined;
});

describe('dashboard in headless Chromium: plan before apply', () => {
  it('plans the last rollout, shows its counts and a page of pairs, and applies it after one confirmation', async () => {
    harness = await startHarness({ portals: 3, seed: 44 });
    const h = harness;
    const first = await h.rollout([jsApp('echo', '/help')]);
    h.startWorker();
    await h.settle(first.pairs);
    // A new version is rolled out on one portal only; the plan (of the last rollout's apps) updates the other two.
    const [one] = h.portals();
    if (!one) throw new Error('the harness made no portal');
    await h.settle((await h.rollout([jsApp('echo', '/start')], [one])).pairs);

    app = await buildApi(h.runtime, { host: '127.0.0.1', token: TOKEN });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    const { page, pageErrors } = browser;
    await logIn(page, base, TOKEN);

    await page.locator('#plan-make').click();
    const total = page.locator('#plan-counts tr', { hasText: 'total' });
    await expect.poll(async () => await total.textContent(), { timeout: 10_000 }).toBe('total020100');
    await expect.poll(async () => await page.locator('#plan-pairs tr').count(), { timeout: 10_000 }).toBe(3);
    expect(await page.locator('#plan-pairs').textContent()).toContain('JS_PARAM');

    let confirmed = '';
    page.once('dialog', async (dialog) => {
      confirmed = dialog.message();
      await dialog.accept();
    });
    await page.locator('#plan-apply').click();
    await expect
      .poll(async () => await page.textContent('#plan-flash'), { timeout: 10_000 })
      .toContain('queued as rollout');
    expect(confirmed).toContain('0 register, 2 update, 0 recreate');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
