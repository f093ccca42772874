import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import type { SimPortalSeed } from '../../src/simulator/simulator-types.js';
import { type Harness, iframeApp, jsApp, startHarness } from '../pipeline/support/pipeline-harness.js';
import { waitFor } from '../support/wait-for.js';
import { type Browser, launchChromium, logIn } from './support/launch-chromium.js';

const ARTIFACTS = join(import.meta.dirname, '../artifacts');
const DOCS_SCREENSHOT = join(import.meta.dirname, '../../docs/dashboard.png');
const TOKEN = 'browser-test-token-0123456789';

const COMPANIES = [
  'acme-corp',
  'blue-harbor',
  'cedar-logistics',
  'delta-dental',
  'evergreen-foods',
  'fjord-travel',
  'granite-build',
  'helios-energy',
  'iris-clinic',
  'juniper-legal',
  'kestrel-air',
  'lumen-labs',
  'maple-retail',
  'nimbus-cloud',
  'orbit-media',
  'pioneer-bank',
];
const BAD_BOT = 'delta-dental.sim.test';
const REVOKED = 'juniper-legal.sim.test';
const DROPPED = 'orbit-media.sim.test';

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

async function number(page: Page, id: string): Promise<number> {
  return Number((await page.textContent(`#${id}`))?.trim());
}

describe('dashboard in headless Chromium during a simulated rollout', () => {
  it('shows progress rising, a failed pair, and re-queues it with the Retry button', async () => {
    const seeds: SimPortalSeed[] = COMPANIES.map((name) => ({ domain: `${name}.sim.test` }));
    for (const seed of seeds) {
      if (seed.domain === REVOKED) seed.accessTokenExpired = true;
      if (seed.domain === DROPPED) seed.faults = { dropAfterWorkRate: 1 };
      if (seed.domain === 'helios-energy.sim.test') seed.auth = 'webhook';
    }
    // Slow on purpose: 250 ms per call and 0.8 calls per second per portal, so progress rises over seconds.
    harness = await startHarness(
      { portals: seeds, latencyMs: 250 },
      {
        portalRate: { rate: 0.8, burst: 1 },
        retry: { maxAttempts: 3, baseDelayMs: 300, maxDelayMs: 1_000, jitter: 0.2 },
      },
    );
    const h = harness;
    h.sim.control.revokeRefreshToken(REVOKED);
    const entries = h.portals();
    const withWrongBot = entries.map((p) =>
      p.domain === BAD_BOT ? { ...p, botId: (p.botId ?? 0) + 1000 } : p,
    );
    const summary = await h.rollout(
      [jsApp('echo'), jsApp('help', '/help me'), iframeApp('panel')],
      withWrongBot,
    );
    const total = summary.pairs.length;
    expect(total).toBe(48);

    app = await buildApi(h.runtime, { host: '127.0.0.1', token: TOKEN });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });

    browser = await launchChromium();
    const { page, pageErrors } = browser;
    // Not logged in: the dashboard sends the browser to the login form.
    await logIn(page, base, TOKEN);
    expect(await number(page, 'n-total')).toBe(total);
    expect(await number(page, 'n-registered-big')).toBe(0);

    // Workers start: the page (polling every 2 s) shows the registered count rising.
    h.startWorker(6);
    const seen: number[] = [];
    let midShot = false;
    // Two views of one fact must agree on every screen: while the list shows the parked portal, the credentials
    // panel counts it (it used to be read every fifth poll, and showed 0 beside the parked row for 10 s).
    const disagreements: string[] = [];
    const checkParkedAgrees = async () => {
      // Read in this order: once listed, the portal stays listed, and a panel drawn later is drawn from a later poll.
      const listed = await page.locator(`#attention-rows tr[data-portal="${REVOKED}"]`).count();
      const reauth = await number(page, 'cred-reauth');
      if (listed > 0 && reauth !== 1)
        disagreements.push(`needs re-auth listed, credentials panel says ${reauth}`);
    };
    // Samples the page every 250 ms until it shows nothing pending.
    await waitFor(
      async () => {
        const registered = await number(page, 'n-registered-big');
        if (seen.at(-1) !== registered) seen.push(registered);
        await checkParkedAgrees();
        const pending = await number(page, 'n-pending');
        if (!midShot && registered > total * 0.3 && (await number(page, 'n-failed')) > 0) {
          await page.screenshot({ path: join(ARTIFACTS, 'dashboard-progress.png'), fullPage: true });
          midShot = true;
        }
        expect(pending, `registered counts seen: ${seen.join(', ')}`).toBe(0);
      },
      { timeoutMs: 25_000, intervalMs: 250, message: 'the dashboard to show nothing pending' },
    );
    expect(disagreements.slice(0, 1)).toEqual([]);
    expect(seen.length, `registered counts seen: ${seen.join(', ')}`).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(39); // 13 healthy portals x 3 apps
    expect(await page.textContent('#pct-registered')).toBe(`${Math.floor((100 * 39) / total)}%`);

    // The failed pair is listed with its error and a Retry button.
    const row = page.locator(`#attention-rows tr[data-portal="${BAD_BOT}"][data-code="echo"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('BOT_ID_ERROR');
    // The parked portal's pairs share one row: the cause (dead credentials) is the portal's.
    const parked = page.locator(`#attention-rows tr[data-portal="${REVOKED}"]`);
    expect(await parked.count()).toBe(1);
    expect(await parked.textContent()).toContain('echo, help, panel');
    expect(await parked.textContent()).toContain('REFRESH_TOKEN_REUSED'); // Bitrix24's invalid_grant on a pair stored days ago
    // Every answer lost: the pair failed after its attempts, with the transport error (no "duplicate" to check:
    // register is get-or-create).
    expect(
      await page.textContent(`#attention-rows tr[data-portal="${DROPPED}"][data-code="echo"]`),
    ).toContain('CONNECTION_RESET');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-failed.png'), fullPage: true });

    // The operator fixes the botId (re-import of the portal) and clicks Retry on that pair.
    await h.runtime.portals.importPortals(entries.filter((p) => p.domain === BAD_BOT));
    await row.locator('button.retry').click();
    await page.locator('#retry-flash', { hasText: `Re-queued ${BAD_BOT} / echo` }).waitFor();
    const flash = await page.textContent('#retry-flash');
    expect(flash).toMatch(/now (pending|registered)/);

    // It leaves the attention list and shows as registered in the portal table.
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    await page.fill('#search', 'delta');
    await expect
      .poll(async () => await page.locator('#portal-rows .chip.s-registered').allTextContents(), {
        timeout: 10_000,
      })
      .toEqual(['echo']);
    expect(await page.locator('#portal-rows tr').count()).toBe(1);
    expect(await h.runtime.results.get(BAD_BOT, 'echo')).toMatchObject({ state: 'registered' });
    expect(await page.locator('#portal-rows .chip.s-failed').allTextContents()).toEqual(['help', 'panel']);
    expect(new URL(page.url()).search).toBe('?search=delta');
    await page.fill('#search', '');
    await expect.poll(async () => await page.locator('#portal-rows tr').count(), { timeout: 5_000 }).toBe(16);
    expect(await number(page, 'n-registered')).toBe(40);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(pageErrors).toEqual([]);

    // A paused queue shows as a banner, and goes away when resumed (the page polls /api/progress).
    const banner = page.locator('#queue-paused');
    expect(await banner.isVisible()).toBe(false);
    await h.runtime.queue.pause();
    await banner.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await banner.textContent()).toContain('imbot-rollout queue --resume');
    await h.runtime.queue.resume();
    await banner.waitFor({ state: 'hidden', timeout: 10_000 });

    // The queue view is bull-board's, behind the same login, under its Content-Security-Policy: nothing it needs
    // is refused (only the third-party font stylesheet it links, on purpose).
    const refused: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text()))
        refused.push(message.text());
    });
    await page.click('a[href="/queues"]');
    await page.getByText('rollout', { exact: true }).first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'queue-board.png') });
    expect(pageErrors).toEqual([]);
    expect(refused.filter((text) => !text.includes('https://fonts.googleapis.com/'))).toEqual([]);

    if (process.env['UPDATE_DOCS_SCREENSHOT'] === '1') {
      mkdirSync(join(DOCS_SCREENSHOT, '..'), { recursive: true });
      copyFileSync(join(ARTIFACTS, midShot ? 'dashboard-progress.png' : 'dashboard.png'), DOCS_SCREENSHOT);
    }
  }, 60_000);
});
