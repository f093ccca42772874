import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readStableApps } from '../../src/store/read-stable-apps.js';
import { jsApp } from '../pipeline/support/pipeline-harness.js';
import { runCli } from '../support/run-cli.js';
import { seeds, startWaveKit, type WaveKit, wavesOf } from './support/wave-kit.js';

let kit: WaveKit | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

describe('stable definitions on the command line', () => {
  it('a plain rollout prints as before and ends stable; --promote refuses a halted plan (exit 2) and an unknown id (exit 1); status shows both', async () => {
    const [wave1 = []] = wavesOf(10, [40, 100]);
    kit = await startWaveKit(seeds(10));
    kit.h.startWorker();
    const dir = mkdtempSync(join(tmpdir(), 'promote-cli-'));
    const config = join(dir, 'config.json');
    const v1 = join(dir, 'v1.json');
    const v2 = join(dir, 'v2.json');
    const portals = join(dir, 'portals.json');
    writeFileSync(config, JSON.stringify(kit.h.config));
    writeFileSync(v1, JSON.stringify([jsApp('echo', '/v1')]));
    writeFileSync(v2, JSON.stringify([jsApp('echo', '/v2')]));
    writeFileSync(portals, JSON.stringify(kit.h.sim.portalsFile()));
    const run = (args: string[]) => runCli(args, { ROLLOUT_CONFIG: config }, 40_000);

    const plain = await run(['rollout', '--apps', v1, '--portals', portals, '--wait']);
    expect(plain.code, plain.stderr).toBe(0);
    const id =
      /^rollout (r-\S+): 10 pairs: 10 queued, 0 already pending, 0 already registered, 0 parked/.exec(
        plain.stdout,
      )?.[1];
    expect(id, plain.stdout).toBeDefined();
    // --wait ended the one-wave plan at once: done, its definition stable.
    expect((await readStableApps(kit.h.runtime)).map((s) => [s.planId, s.how])).toEqual([[id, 'finished']]);

    kit.h.sim.control.deletePortal(wave1[0] ?? '');
    const waves = await run(['rollout', '--apps', v2, '--portals', portals, '--waves', '40%,100%', '--wait']);
    expect(waves.code).toBe(1);
    const planId = /wave plan (w-\S+):/.exec(waves.stdout)?.[1] ?? '';

    const refused = await run(['rollout', '--promote', planId]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toContain(
      `wave plan ${planId} is halted at wave 1 of 2, not done: --promote makes a finished plan stable`,
    );
    const unknown = await run(['rollout', '--promote', 'w-none']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no wave plan w-none');

    const status = await run(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`rollout ${id} (v1.json; all portals at once): done\n`);
    expect(status.stdout).toContain('  wave 1/1 (10 portals): 10 pairs | registered 10 | failed 0');
    expect(status.stdout).toMatch(
      new RegExp(
        `  echo: stable \\w{12} from ${id} \\(v1\\.json; finished [^)]+\\); in flight: ${planId} \\(v2\\.json\\) halted at wave 1 of 2: \\w{12}\\n`,
      ),
    );

    const promoted = await run(['rollout', '--promote', id ?? '']);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout).toContain(
      `rollout: ${id} promoted: the stable definitions of echo are now its own (v1.json)`,
    );
  }, 120_000);
});
