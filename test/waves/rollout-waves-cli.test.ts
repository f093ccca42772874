import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { formatWavePlan } from '../../src/waves/format-wave-plan.js';
import type { WavePlanView } from '../../src/waves/wave-plan-view.js';
import { jsApp } from '../pipeline/support/pipeline-harness.js';
import { type CliRun, runCli } from '../support/run-cli.js';
import { seeds, startWaveKit, type WaveKit, wavesOf } from './support/wave-kit.js';

let kit: WaveKit | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  await kit?.close();
  kit = undefined;
});

/** The kit's config and input files, as an operator would have them. */
function files(k: WaveKit): { env: Record<string, string>; apps: string; portals: string } {
  const dir = mkdtempSync(join(tmpdir(), 'waves-cli-'));
  const config = join(dir, 'config.json');
  const apps = join(dir, 'apps.json');
  const portals = join(dir, 'portals.json');
  writeFileSync(config, JSON.stringify(k.h.config));
  writeFileSync(apps, JSON.stringify([jsApp('echo'), jsApp('help', '/help me')]));
  writeFileSync(portals, JSON.stringify(k.h.sim.portalsFile()));
  return { env: { ROLLOUT_CONFIG: config }, apps, portals };
}

function expectOneLineError(result: CliRun, code: number, text: string): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stderr).toContain(text);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
}

describe('rollout --waves on the command line', () => {
  it('--wait follows the waves to a halt; status shows it; --resume --wait finishes; --abort names the state', async () => {
    const [wave1 = []] = wavesOf(10, [40, 100]);
    const deleted = wave1[0] ?? '';
    kit = await startWaveKit(seeds(10, [deleted]));
    kit.h.startWorker();
    const f = files(kit);
    const run = (args: string[]) => runCli(args, f.env, 40_000);

    const started = await run([
      'rollout',
      '--apps',
      f.apps,
      '--portals',
      f.portals,
      '--waves',
      '40%,100%',
      '--wait',
    ]);
    expect(started.code, started.stderr).toBe(1);
    const id = /wave plan (w-[a-z0-9-]+):/.exec(started.stdout)?.[1] ?? '';
    expect(started.stdout).toContain(`wave plan ${id}: 2 waves of 4, 6 portals x 2 apps`);
    expect(started.stderr).toContain(
      `plan ${id} (apps.json; waves 40%,100%): HALTED: wave 1 of 2: 2 of 8 pairs failed (25%, above --halt-failures 5%)`,
    );
    expect(started.stderr).toContain(
      '  wave 1/2 (4 portals): 8 pairs | registered 6 | failed 2 | needs_reauth 0 | pending 0',
    );
    expect(started.stderr).toContain('  wave 2/2 (6 portals): not started');
    expect(started.stderr).toContain(`    ${deleted} echo failed PORTAL_DELETED`);

    const status = await run(['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('wave plans (newest first):');
    expect(status.stdout).toContain(`plan ${id} (apps.json; waves 40%,100%): HALTED: wave 1 of 2`);
    expect(status.stdout).toContain(`  next: rollout --resume | --skip-wave | --abort ${id}\n`);
    // One view of the plan: the API's answer, formatted, is the block `status` prints.
    app = await buildApi(kit.h.runtime, { host: '127.0.0.1', token: undefined });
    const answer = await app.inject({ method: 'GET', url: `/api/rollouts/${id}` });
    expect(answer.statusCode).toBe(200);
    expect(status.stdout).toContain(`${formatWavePlan(answer.json() as WavePlanView).join('\n')}\n`);

    const resumed = await run(['rollout', '--resume', id, '--wait']);
    // The plan ends done; wave 1's two failed pairs make the exit code 1.
    expect(resumed.code, resumed.stderr).toBe(1);
    expect(resumed.stdout).toContain('rollout: resumed:');
    expect(resumed.stderr).toContain(`plan ${id} (apps.json; waves 40%,100%): done (2 waves)`);
    expect(resumed.stdout).toContain(`plan ${id} done; 2 pair(s) failed or need re-authorisation`);
    expect(kit.h.sim.stats().registrations).toBe(18);

    expectOneLineError(await run(['rollout', '--abort', id]), 2, `wave plan ${id} is done: nothing to abort`);
    expectOneLineError(await run(['rollout', '--skip-wave', 'w-unknown']), 1, 'no wave plan w-unknown');
  }, 90_000);

  it('names the wrong flag before reading any file', async () => {
    kit = await startWaveKit(seeds(2));
    const f = files(kit);
    const run = (args: string[]) => runCli(args, f.env, 20_000);
    expectOneLineError(
      await run(['rollout', '--apps', f.apps, '--portals', f.portals, '--waves', '10%,5%,100%']),
      2,
      '--waves: the percentages are cumulative and must increase',
    );
    expectOneLineError(
      await run(['rollout', '--apps', f.apps, '--portals', f.portals, '--halt-failures', '5%']),
      2,
      '--halt-failures applies to a rollout in waves: add --waves',
    );
    expectOneLineError(
      await run(['rollout', '--apps', f.apps, '--portals', f.portals, '--waves', '10%,50%,100%']),
      2,
      '--waves: 3 waves need at least 3 portals, the portals file has 2',
    );
    expect(kit.h.sim.stats().calls).toBe(0);
  }, 60_000);
});
