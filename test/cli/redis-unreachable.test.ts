import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/redis/start-redis-server.js';
import { runCli } from '../support/run-cli.js';

const EXAMPLE_APPS = join(import.meta.dirname, '../../examples/apps.json');
const PASSWORD = 'redis-password-never-shown';

/** A port nothing listens on (found free, and nothing is started there). */
let port: number;
let env: Record<string, string>;
let portalsFile: string;

beforeAll(async () => {
  port = await findFreePort();
  env = {
    LOG_LEVEL: 'info',
    ROLLOUT_CONFIG: '',
    REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${port}`,
    ROLLOUT_SECRET_KEY: randomBytes(32).toString('base64'),
    ROLLOUT_SECRET_KEY_PREVIOUS: '',
    ROLLOUT_INSECURE_PLAINTEXT_SECRETS: '',
    ROLLOUT_HASH_SECRET: 'redis-unreachable-hash-secret',
  };
  const dir = mkdtempSync(join(tmpdir(), 'redis-down-'));
  portalsFile = join(dir, 'portals.json');
  writeFileSync(
    portalsFile,
    JSON.stringify([
      {
        domain: 'down.example.com',
        botId: 1,
        auth: {
          type: 'oauth',
          accessToken: 'down-access',
          refreshToken: 'down-refresh',
          expiresAt: '2030-01-01T00:00:00Z',
        },
      },
    ]),
  );
});

const COMMANDS: readonly (readonly string[])[] = [
  ['status'],
  ['status', '--json'],
  ['failed'],
  ['export', '--format', 'csv'],
  ['retry', '--all'],
  ['unregister', '--code', 'echo'],
  ['queue'],
  ['rollout', '--apps', 'APPS', '--portals', 'PORTALS'],
  ['worker'],
  ['rotate-key'],
];

describe('every command that uses Redis fails fast when Redis cannot be reached', () => {
  it.each(COMMANDS.map((args) => [args.join(' '), args] as const))(
    '%s: one line, exit 3',
    async (_name, args) => {
      const argv = args.map((a) => (a === 'APPS' ? EXAMPLE_APPS : a === 'PORTALS' ? portalsFile : a));
      // A hanging command is killed after 20 s, so the test fails on the assertions, not on its own timeout.
      // How fast it gives up is not timed here (a process start under load measures the machine): the one
      // bounded attempt is shown in test/redis/require-redis.test.ts.
      const result = await runCli(argv, env, 20_000);
      expect(result.stderr).toBe(
        `imbot-rollout: cannot reach Redis at redis://127.0.0.1:${port} (ECONNREFUSED): start it or set REDIS_URL\n`,
      );
      expect(result.code).toBe(3);
      expect(result.stdout).toBe('');
      expect(result.stderr + result.stdout).not.toContain(PASSWORD);
    },
  );
});
