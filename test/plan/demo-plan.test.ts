import { describe, expect, it } from 'vitest';
import { testRedisUrl } from '../support/redis.js';
import { runCli } from '../support/run-cli.js';

describe('demo --plan', () => {
  it('shows updates with field diffs, a recreate refused on one portal and blocked portals, then a rollout that did what the plan said', async () => {
    const result = await runCli(
      ['demo', '--plan', '--portals', '20', '--workers', '1'],
      { REDIS_URL: testRedisUrl() },
      120_000,
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^update echo-help: CONTEXT \(\d+\), LANG\[de\]\.TITLE \(\d+\), LANG\[en\]\.TITLE \(\d+\)$/m,
    );
    expect(result.stdout).toMatch(/^echo-help +0 +\d+ +1 +0 +0 +\d+ +0$/m);
    expect(result.stdout).toContain('echo-help: 1 portal(s) need a change imbot.app.update cannot apply');
    expect(result.stdout).toMatch(/^blocked: \d+ portal needs re-authorisation, 1 application uninstalled$/m);
    expect(result.stdout).toMatch(/^recreate +1 +1$/m);
    expect(result.stdout).toContain('demo: every pair went as planned');
  }, 120_000);
});
