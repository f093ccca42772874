import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../src/redis/start-redis-server.js';
import { type Harness, startHarness } from '../pipeline/support/pipeline-harness.js';
import { forgetUserConfigVariables } from '../support/child-env.js';
import { keysMatching } from '../support/keys-matching.js';
import { newRedis } from '../support/redis.js';
import { runCli } from '../support/run-cli.js';

const EXAMPLE_APPS = join(import.meta.dirname, '../../examples/apps.json');

let harness: Harness | undefined;
let dir: string | undefined;
afterEach(async () => {
  forgetUserConfigVariables();
  await harness?.close();
  harness = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('tests and the user environment', () => {
  it('a CLI the harness spawns writes to the test Redis, never to the Redis of an exported REDIS_URL', async () => {
    // The user's own Redis, as the README's real-rollout section has them export it.
    const userServer = await startRedisServer();
    const user = new Redis(userServer.url, { maxRetriesPerRequest: null });
    const testRedis = newRedis();
    try {
      harness = await startHarness({ portals: 2, seed: 5 });
      dir = mkdtempSync(join(tmpdir(), 'user-env-'));
      const portalsFile = join(dir, 'portals.json');
      writeFileSync(portalsFile, JSON.stringify(harness.sim.portalsFile()));
      const configFile = join(dir, 'config.json');
      writeFileSync(configFile, JSON.stringify(harness.config));
      process.env['REDIS_URL'] = userServer.url;
      process.env['REDIS_CLUSTER_NODES'] = '';
      process.env['ROLLOUT_PREFIX'] = 'users-own-prefix';
      process.env['ROLLOUT_CONFIG'] = join(dir, 'users-own-config.json');

      const rollout = await runCli(['rollout', '--apps', EXAMPLE_APPS, '--portals', portalsFile], {
        ROLLOUT_CONFIG: configFile,
      });

      expect(rollout.code, rollout.stderr).toBe(0);
      expect(rollout.stdout).toContain('6 pairs: 6 queued');
      expect(await user.dbsize()).toBe(0);
      expect(await keysMatching(testRedis, `${harness.config.prefix}*`)).not.toEqual([]);
    } finally {
      user.disconnect();
      testRedis.disconnect();
      await userServer.stop();
    }
  });

  it('the test process starts without the configuration variables of the shell that ran it', () => {
    process.env['REDIS_URL'] = 'redis://users-own-redis:6379';
    process.env['B24_CLIENT_SECRET'] = 'users-own-secret';
    process.env['LOG_LEVEL'] = 'debug';
    process.env['PATH_FOR_THIS_TEST'] = 'kept';

    forgetUserConfigVariables();

    expect(process.env['REDIS_URL']).toBeUndefined();
    expect(process.env['B24_CLIENT_SECRET']).toBeUndefined();
    expect(process.env['LOG_LEVEL']).toBeUndefined();
    expect(process.env['PATH_FOR_THIS_TEST']).toBe('kept');
    delete process.env['PATH_FOR_THIS_TEST'];
  });
});
