import { describe, expect, it } from 'vitest';
import { testRedisUrl } from '../support/redis.js';
import { runCli } from '../support/run-cli.js';

describe('demo --waves', () => {
  it('shows a wave halting the plan, an install meanwhile getting the stable version 1, then the resumed plan ending done and stable', async () => {
    const result = await runCli(
      ['demo', '--waves', '--portals', '60', '--workers', '1'],
      { REDIS_URL: testRedisUrl() },
      120_000,
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // 58 portals in the file (2 join later by install events): wave 1 is 5% = 3 portals, one of them deleted.
    expect(result.stdout).toContain("deleted in the simulator: 1 of wave 1's 3 portals");
    expect(result.stdout).toMatch(
      /demo: the plan halted by itself: wave 1 of 3: 3 of 9 pairs failed \(33\.3%, above --halt-failures 5%\)/,
    );
    expect(result.stdout).toMatch(
      / {4}portal-\d{5}\.sim\.test echo-\S+ failed PORTAL_DELETED: Portal was deleted/,
    );
    expect(result.stdout).toContain('wave 2/3 (12 portals): not started');
    expect(result.stdout).toMatch(/demo: rollout (r-[a-z0-9-]+) is done; stable: echo-help from \1, /);
    // docs/waves.md, "Stable definitions": the install during the halt gets version 1, the one after the end v2.
    expect(result.stdout).toMatch(
      /demo: meanwhile portal-\d{5}\.sim\.test installs the application: it gets the stable version 1 \("Echobot help"\), not the halted version 2 that wave 1's portals hold \("Echobot help v2"\)/,
    );
    expect(result.stdout).toMatch(/demo: plan w-[a-z0-9-]+ is done: version 2 is now the stable one/);
    expect(result.stdout).toMatch(
      /demo: portal-\d{5}\.sim\.test installs the application now: it gets version 2 \("Echobot help v2"\)/,
    );
  }, 120_000);
});
