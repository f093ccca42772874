import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { simulateCommand } from '../../src/cli/commands/simulate.js';
import type { PortalFileEntry } from '../../src/simulator/simulator-types.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';
import { type CliProcess, runCli as runImbotRollout, spawnCli } from '../support/run-cli.js';
import { waitFor } from '../support/wait-for.js';
import { withoutOwnershipNotice } from '../support/without-ownership-notice.js';

const EXAMPLE_APPS = join(import.meta.dirname, '../../examples/apps.json');

const fixture = fileURLToPath(new URL('./fixtures/run-simulate-cli.ts', import.meta.url));
const children: CliProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const cli of children.splice(0)) if (cli.alive()) cli.child.kill('SIGKILL');
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function runCli(args: string[]): {
  child: CliProcess;
  output: () => string;
  waitFor: (re: RegExp) => Promise<string>;
} {
  const child = spawnCli(args, {}, { entry: fixture });
  children.push(child);
  const waitForOutput = async (re: RegExp): Promise<string> => {
    // Stops waiting at once when the process exits: its output then says why.
    await waitFor(
      () => {
        if (re.test(child.output()) || !child.alive()) return true;
        throw new Error(`output so far:\n${child.output()}`);
      },
      { timeoutMs: 15_000, message: `${re} in the output` },
    );
    if (!re.test(child.output())) {
      throw new Error(`exited with ${(await child.exited).code}; output:\n${child.output()}`);
    }
    return child.output();
  };
  return { child, output: child.output, waitFor: waitForOutput };
}

describe('imbot-rollout simulate', () => {
  it('starts, writes the portals file, prints the environment and stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-cli-'));
    dirs.push(dir);
    const out = join(dir, 'portals.json');
    const cli = runCli([
      '--portals',
      '10',
      '--port',
      '0',
      '--out',
      out,
      '--webhook-share',
      '0.2',
      '--seed',
      '5',
    ]);
    const printed = await cli.waitFor(/Press Ctrl\+C/);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(printed)?.[1] ?? '';
    expect(printed).toContain(`B24_OAUTH_URL=${url}/oauth/token/`);
    expect(printed).toContain('B24_CLIENT_ID=sim-client-id');
    expect(printed).toContain('B24_CLIENT_SECRET=sim-client-secret');
    expect(printed).toContain('ROLLOUT_ALLOW_HTTP=1');
    expect(printed).toContain('ROLLOUT_ALLOW_HOSTS=127.0.0.1');
    expect(printed).toContain('Webhook portals: chat-app calls must send CLIENT_ID=sim-webhook-app');
    const text = await readFile(out, 'utf8');
    expect(text).toMatch(/^\[\n {2}\{\n {4}"domain"/);
    const entries = JSON.parse(text) as PortalFileEntry[];
    expect(entries).toHaveLength(10);
    const webhooks = entries.flatMap((entry) => (entry.auth.type === 'webhook' ? [entry.auth] : []));
    expect(webhooks.map((auth) => auth.clientId)).toEqual(['sim-webhook-app', 'sim-webhook-app']);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    for (const entry of entries) {
      if (entry.auth.type === 'oauth') expect(printed).not.toContain(entry.auth.accessToken);
    }
    const stats = (await (await fetch(`${url}/_sim/stats`)).json()) as { calls: number };
    expect(stats.calls).toBe(0);
    expect((await cli.child.stop()).code).toBe(0); // SIGTERM
    expect(cli.output()).toContain('simulator stopped');
  });

  it('starts the application backend as a token source and prints its URL and secret', async () => {
    const cli = runCli(['--portals', '3', '--port', '0', '--backend', 'source', '--backend-interval', '0']);
    const printed = await cli.waitFor(/Press Ctrl\+C/);
    const sourceUrl = /ROLLOUT_TOKEN_SOURCE_URL=(\S+)/.exec(printed)?.[1] ?? '';
    const secret = /ROLLOUT_TOKEN_SOURCE_SECRET=(\S+)/.exec(printed)?.[1] ?? '';
    expect(secret).toMatch(/^[0-9a-f]{48}$/);
    const answer = await fetch(`${sourceUrl}?domain=portal-00001.sim.test`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({
      access_token: expect.any(String),
      expires_in: expect.any(Number),
    });
    expect((await cli.child.stop()).code).toBe(0); // SIGTERM
  });

  it('prints an environment the next command runs with: a rollout of the printed portals file is queued', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-cli-'));
    dirs.push(dir);
    const out = join(dir, 'portals.json');
    const cli = runCli([
      '--portals',
      '3',
      '--port',
      '0',
      '--out',
      out,
      '--webhook-share',
      '0',
      '--seed',
      '7',
    ]);
    const printed = await cli.waitFor(/Press Ctrl\+C/);
    const start = printed.indexOf('Environment for the rollout:');
    const printedEnv = Object.fromEntries(
      printed
        .slice(start)
        .split('\n')
        .slice(1)
        .map((line) => /^ {2}([A-Z0-9_]+)=(\S*)$/.exec(line))
        .filter((match) => match !== null)
        .map((match) => [match[1] ?? '', match[2] ?? '']),
    );
    expect(Object.keys(printedEnv)).toEqual(
      expect.arrayContaining(['B24_CLIENT_ID', 'ROLLOUT_SECRET_KEY', 'ROLLOUT_HASH_SECRET']),
    );

    const rollout = await runImbotRollout(['rollout', '--apps', EXAMPLE_APPS, '--portals', out], {
      ...printedEnv,
      REDIS_URL: testRedisUrl(),
      ROLLOUT_PREFIX: uniquePrefix('sim-env'),
    });

    expect(withoutOwnershipNotice(rollout.stderr)).toBe('');
    expect(rollout.code).toBe(0);
    expect(rollout.stdout).toContain('9 pairs: 9 queued');
    expect((await cli.child.stop()).code).toBe(0); // SIGTERM
  });

  it('refuses --backend borrow without the handout URL', async () => {
    const errors: string[] = [];
    const command = simulateCommand()
      .exitOverride()
      .configureOutput({ writeErr: (text) => errors.push(text), writeOut: () => undefined });
    const failure = await command
      .parseAsync(['--backend', 'borrow'], { from: 'user' })
      .catch((e: unknown) => e);
    expect((failure as CommanderError).exitCode).toBe(2);
    expect(errors.join('')).toContain("option '--backend borrow' needs '--backend-url'");
  });

  it('refuses an invalid option with a one-line error naming it', async () => {
    const errors: string[] = [];
    const command = simulateCommand()
      .exitOverride()
      .configureOutput({ writeErr: (text) => errors.push(text), writeOut: () => undefined });
    const failure = await command
      .parseAsync(['--webhook-share', '2'], { from: 'user' })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CommanderError);
    expect((failure as CommanderError).exitCode).toBe(2);
    expect(errors.join('')).toBe("error: option '--webhook-share' must be between 0 and 1\n");
  });

  it('refuses a non-numeric port', async () => {
    const errors: string[] = [];
    const command = simulateCommand()
      .exitOverride()
      .configureOutput({ writeErr: (text) => errors.push(text), writeOut: () => undefined });
    await command.parseAsync(['--port', 'abc'], { from: 'user' }).catch(() => undefined);
    expect(errors.join('')).toMatch(/^error: option '--port' must be a number\n$/);
  });

  it('documents every option in its help', () => {
    const help = simulateCommand().helpInformation();
    for (const flag of [
      '--portals',
      '--out',
      '--latency',
      '--fault-500',
      '--fault-drop',
      '--fault-slow',
      '--seed',
    ]) {
      expect(help).toContain(flag);
    }
    expect(simulateCommand().description()).toMatch(/simulator/i);
  });
});
