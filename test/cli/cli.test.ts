import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../pipeline/support/pipeline-harness.js';
import { spawnWorker, untilStarted, type WorkerProcess } from '../pipeline/support/spawn-worker.js';
import { runCli } from '../support/run-cli.js';

const EXAMPLE_APPS = join(import.meta.dirname, '../../examples/apps.json');

const run = (args: string[], env: Record<string, string> = {}) => runCli(args, env);

let harness: Harness | undefined;
let worker: WorkerProcess | undefined;
afterEach(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
  worker = undefined;
  await harness?.close();
  harness = undefined;
});

describe('imbot-rollout CLI', () => {
  it.each(['rollout', 'worker', 'status', 'demo', 'simulate'])('prints --help for %s', async (command) => {
    const { code, stdout } = await run([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: imbot-rollout ${command}`);
  });

  it('refuses a bad environment value with one line naming the variable', async () => {
    const { code, stderr } = await run(['status'], { LOG_LEVEL: 'loud' });
    expect(code).toBe(2);
    expect(stderr).toContain('logLevel (LOG_LEVEL)');
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('rolls out with --wait, then status --json reports every pair in the public shape', async () => {
    harness = await startHarness({ portals: 4, webhookShare: 0.25, seed: 31 });
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const portalsFile = join(dir, 'portals.json');
    writeFileSync(portalsFile, JSON.stringify(harness.sim.portalsFile()));
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(harness.config));
    worker = spawnWorker(harness.config, 5);
    await untilStarted(worker);

    const env = { ROLLOUT_CONFIG: configFile };
    const rollout = await run(['rollout', '--apps', EXAMPLE_APPS, '--portals', portalsFile, '--wait'], env);
    expect(rollout.stderr, worker.output()).toContain('progress: done 12/12');
    expect(rollout.code).toBe(0);
    expect(rollout.stdout).toContain('12 pairs: 12 queued');

    const again = await run(['rollout', '--apps', EXAMPLE_APPS, '--portals', portalsFile], env);
    expect(again.stdout).toContain('12 pairs: 0 queued, 0 already pending, 12 already registered');

    const status = await run(['status', '--json'], env);
    expect(status.code).toBe(0);
    const rows = JSON.parse(status.stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(12);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(
        ['appId', 'attempts', 'code', 'hash', 'lastError', 'portal', 'state', 'updatedAt'].sort(),
      );
      expect(row).toMatchObject({ state: 'registered', lastError: null });
      expect(typeof row['appId']).toBe('number');
    }
    const one = JSON.parse(
      (await run(['status', '--json', '--portal', 'portal-00001.sim.test'], env)).stdout,
    ) as unknown[];
    expect(one).toHaveLength(3);
    const text = await run(['status', '--pairs'], env);
    expect(text.stdout).toContain('PORTAL');
    const summary = await run(['status'], env);
    expect(summary.stdout).toContain('no pair needs attention');
    expect(summary.stdout).toContain('registered 12');
    expect(summary.stdout).not.toContain('PORTAL');
    expect(text.stdout).toContain('registered 12');
    // No secret on stdout or stderr.
    for (const entry of harness.sim.portalsFile()) {
      const secret = entry.auth.type === 'oauth' ? entry.auth.refreshToken : entry.auth.url.split('/').at(-2);
      expect(`${rollout.stdout}${rollout.stderr}${status.stdout}${text.stdout}`).not.toContain(secret);
    }
  }, 90_000);

  it('rejects a bad portals file whole, listing every problem, and queues nothing', async () => {
    harness = await startHarness({ portals: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const [first, second] = harness.sim.portalsFile();
    const portalsFile = join(dir, 'portals.json');
    writeFileSync(portalsFile, JSON.stringify([first, { ...second, botId: 'x' }, { ...first }]));
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(harness.config));
    const result = await run(['rollout', '--apps', EXAMPLE_APPS, '--portals', portalsFile], {
      ROLLOUT_CONFIG: configFile,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('[1].botId');
    expect(result.stderr).toMatch(/\[2\]\.domain.*duplicate|duplicate.*\[2\]/i);
    expect(await harness.runtime.queue.count()).toBe(0);
    expect(await harness.runtime.results.listPairs()).toEqual([]);
  }, 60_000);
});
