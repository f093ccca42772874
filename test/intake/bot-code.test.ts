import { afterEach, describe, expect, it } from 'vitest';
import { formatZodIssues } from '../../src/input/format-zod-issues.js';
import { portalsFileSchema } from '../../src/portals/portal-entry-schema.js';
import { type Harness, jsApp, startHarness } from '../pipeline/support/pipeline-harness.js';

/** docs/install-events.md, "Bot by code": botCode instead of botId, resolved once with imbot.bot.list. */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const APPS = ['a', 'b', 'c', 'd', 'e', 'f'].map((code) => jsApp(code));

/** The simulator's portals file with botCode in place of botId. */
function byCode(harness: Harness, botCode: string) {
  return portalsFileSchema({ allowHttp: true, allowHosts: harness.config.allowHosts }).parse(
    harness.sim.portalsFile().map(({ botId: _botId, ...entry }) => ({ ...entry, botCode })),
  );
}

describe('botCode', () => {
  it('is resolved once per portal with imbot.bot.list, for all its pairs, and stored', async () => {
    h = await startHarness({ portals: [{ domain: 'code.sim.test', botId: 77, botCode: 'helper' }] });
    const summary = await h.rollout(APPS, byCode(h, 'helper'));
    h.startWorker(6);
    expect(await h.settle(summary.pairs)).toMatchObject({ registered: 6 });
    expect(h.sim.stats().callsByMethod['imbot.bot.list']).toBe(1);
    expect(new Set(h.sim.portal('code.sim.test').apps.map((app) => app.botId))).toEqual(new Set([77]));
    expect(await h.runtime.portals.get('code.sim.test')).toMatchObject({ botId: 77, botCode: 'helper' });
    // A second rollout uses the stored id: no other list call.
    const again = await h.rollout([jsApp('g')], byCode(h, 'helper'));
    await h.settle(again.pairs);
    expect(h.sim.stats().callsByMethod['imbot.bot.list']).toBe(1);
  });

  it('fails every pair for good when the portal has no bot with that code, naming code and portal', async () => {
    h = await startHarness({ portals: [{ domain: 'nobot.sim.test', botCode: 'helper' }] });
    const summary = await h.rollout(APPS, byCode(h, 'missing-bot'));
    h.startWorker(6);
    expect(await h.settle(summary.pairs)).toMatchObject({ failed: 6, registered: 0 });
    const result = await h.runtime.results.get('nobot.sim.test', 'a');
    expect(result?.lastError?.code).toBe('BOT_CODE_NOT_FOUND');
    expect(result?.lastError?.message).toContain('"missing-bot"');
    expect(result?.lastError?.message).toContain('nobot.sim.test');
    expect(h.sim.stats().callsByMethod['imbot.bot.list']).toBe(1);
    expect(h.sim.stats().callsByMethod['imbot.app.register']).toBeUndefined();
  });
});

describe('botId or botCode in the portals file', () => {
  const schema = portalsFileSchema({ allowHttp: false });
  const auth = { type: 'webhook', url: 'https://a.example.com/rest/1/abc/', clientId: 'x' };

  function problems(entry: Record<string, unknown>): string[] {
    const parsed = schema.safeParse([{ domain: 'a.example.com', auth, ...entry }]);
    return parsed.success
      ? []
      : formatZodIssues(parsed.error, 'portals.json').map(({ where, message }) => `${where}: ${message}`);
  }

  it('takes exactly one of them', () => {
    expect(problems({ botId: 5 })).toEqual([]);
    expect(problems({ botCode: 'helper' })).toEqual([]);
  });

  it('refuses both, and neither, naming the entry', () => {
    const both = problems({ botId: 5, botCode: 'helper' });
    expect(both).toHaveLength(1);
    expect(both[0]).toMatch(/portals\.json\[0\].*botCode.*not both/);
    const neither = problems({});
    expect(neither).toHaveLength(1);
    expect(neither[0]).toMatch(/portals\.json\[0\].*botId.*is required.*botCode/);
  });
});
