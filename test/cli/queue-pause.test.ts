import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QUEUE_PAUSED_HINT } from '../../src/ops/queue-paused-hint.js';
import { type Harness, startHarness } from '../pipeline/support/pipeline-harness.js';
import { runCli, startCli } from '../support/run-cli.js';
import { waitFor } from '../support/wait-for.js';

const EXAMPLE_APPS = join(import.meta.dirname, '../../examples/apps.json');

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('a paused queue', () => {
  it('is said by status, rollout --wait and `queue`, which also resumes it', async () => {
    const h = await startHarness({ portals: 2 });
    harness = h;
    const dir = mkdtempSync(join(tmpdir(), 'queue-pause-'));
    const portalsFile = join(dir, 'portals.json');
    writeFileSync(portalsFile, JSON.stringify(h.sim.portalsFile()));
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(h.config));
    const env = { ROLLOUT_CONFIG: configFile };

    const running = await runCli(['queue'], env);
    expect(running.code, running.stderr).toBe(0);
    expect(running.stdout).toBe('queue rollout: running; jobs: 0 waiting, 0 active, 0 delayed\n');

    const paused = await runCli(['queue', '--pause'], env);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toContain('queue rollout: PAUSED;');
    expect(paused.stdout).toContain('imbot-rollout queue --resume');
    expect(await h.runtime.queue.isPaused()).toBe(true);

    // A worker is running, but the queue is paused: the rollout waits and says why.
    h.startWorker();
    const rollout = startCli(['rollout', '--apps', EXAMPLE_APPS, '--portals', portalsFile, '--wait'], env);
    await waitFor(async () => (await h.runtime.results.listPairs()).length === 6, {
      timeoutMs: 20_000,
      intervalMs: 50,
      message: 'the rollout to queue its pairs',
    });
    // Its progress, while paused, said so (and nothing was done).
    await waitFor(() => expect(rollout.stderr()).toMatch(/progress: done 0\/6 \| .* \| QUEUE PAUSED\n/), {
      timeoutMs: 20_000,
      message: 'a progress line saying the queue is paused',
    });

    const [status, statusJson, shown] = await Promise.all([
      runCli(['status'], env),
      runCli(['status', '--json'], env),
      runCli(['queue'], env),
    ]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`status: ${QUEUE_PAUSED_HINT}\n`);
    expect(status.stdout).toContain('pending 6');
    // --json: the hint on stderr, stdout stays the JSON array.
    expect(statusJson.stderr).toContain(`status: ${QUEUE_PAUSED_HINT}`);
    expect(JSON.parse(statusJson.stdout)).toHaveLength(6);
    expect(shown.stdout).toMatch(/^queue rollout: PAUSED; jobs: 6 waiting, 0 active, 0 delayed\n/);

    const resumed = await runCli(['queue', '--resume'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^queue rollout: running; /);
    expect(resumed.stdout).not.toContain('PAUSED');

    const done = await rollout.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain(`note: ${QUEUE_PAUSED_HINT}\n`);
    expect(done.stderr).toMatch(/progress: done 0\/6 \| .* \| QUEUE PAUSED\n/);
    expect(done.stderr).toContain('progress: done 6/6');
  }, 90_000);

  it('`queue --pause --resume` is refused as usage', async () => {
    const run = await runCli(['queue', '--pause', '--resume'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('imbot-rollout: give either --pause or --resume, not both\n');
  });
});
